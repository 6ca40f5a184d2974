//! What the relay reads from Dodo beyond the public license calls, as the emulator serves
//! it (issue 28): the API-key endpoints and their pages, Dodo's documented rate limits, and
//! webhooks signed as Standard Webhooks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;

use keyseat_emulator::{Emulator, KeySpec, KeyStatus, RateLimits, Window};
use serde_json::Value;

const API_KEY: &str = "dodo-test-api-key";

/// A raw GET; returns the status, the headers (lower-case names) and the body.
fn get(url: &str, path: &str, token: Option<&str>) -> (u16, Vec<(String, String)>, Value) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (
        status,
        headers,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn activate(url: &str, key: &str) -> String {
    let client = keyseat::api::Client::builder()
        .environment(keyseat::api::Environment::Custom(url.to_owned()))
        .build()
        .unwrap();
    let key = keyseat::LicenseKey::new(key).unwrap();
    client
        .activate(&key, "laptop")
        .unwrap()
        .id
        .as_str()
        .to_owned()
}

#[test]
fn the_api_key_endpoints_answer_only_the_api_key_in_pages() {
    let spec = KeySpec::new("DODO-API-KEY-0001").with_limit(3);
    let emu = Emulator::start(vec![spec, KeySpec::new("DODO-API-KEY-0002")]).unwrap();
    let url = emu.url();
    assert_eq!(
        get(&url, "/license_keys/lic_0001", Some(API_KEY)).0,
        401,
        "no API key set"
    );
    emu.set_api_key(API_KEY);
    assert_eq!(get(&url, "/license_keys/lic_0001", None).0, 401);
    assert_eq!(get(&url, "/license_keys/lic_0001", Some("wrong")).0, 401);
    let ids: Vec<String> = (0..3)
        .map(|_| activate(&url, "DODO-API-KEY-0001"))
        .collect();

    let (status, _, key) = get(&url, "/license_keys/lic_0001", Some(API_KEY));
    assert_eq!(status, 200);
    assert_eq!(key["key"], "DODO-API-KEY-0001");
    assert_eq!(
        (key["status"].as_str(), key["instances_count"].as_u64()),
        (Some("active"), Some(3))
    );
    assert_eq!(key["activations_limit"], 3);
    assert_eq!(key["customer_id"], "cus_emulator");
    assert_eq!(get(&url, "/license_keys/lic_9999", Some(API_KEY)).0, 404);

    let page = |n: u32| {
        let path =
            format!("/license_key_instances?license_key_id=lic_0001&page_size=2&page_number={n}");
        get(&url, &path, Some(API_KEY)).2["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    let (first, second, third) = (page(0), page(1), page(2));
    assert_eq!((first.len(), second.len(), third.len()), (2, 1, 0));
    let listed: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let (status, _, one) = get(
        &url,
        &format!("/license_key_instances/{}", ids[0]),
        Some(API_KEY),
    );
    assert_eq!(
        (status, one["license_key_id"].as_str()),
        (200, Some("lic_0001"))
    );

    let grants = get(
        &url,
        "/customers/cus_emulator/entitlement-grants?integration_type=license_key",
        Some(API_KEY),
    )
    .2;
    let grants = grants["items"].as_array().unwrap();
    assert_eq!(grants.len(), 2, "one grant per key of the customer");
    let grant = &grants[0];
    assert_eq!(
        (grant["status"].as_str(), grant["integration_type"].as_str()),
        (Some("Delivered"), Some("license_key"))
    );
    assert_eq!(grant["license_key"]["activations_used"], 3);
    emu.set_key_status("DODO-API-KEY-0001", KeyStatus::Disabled);
    let grants = get(
        &url,
        "/customers/cus_emulator/entitlement-grants",
        Some(API_KEY),
    )
    .2;
    assert_eq!(grants["items"][0]["status"], "Revoked");
    assert_eq!(
        grants["items"][0]["revocation_reason"],
        "license_key_disabled"
    );
    assert_eq!(
        emu.api_request_count(),
        11,
        "every call counted, refused or not"
    );
}

#[test]
fn dodos_rate_limits_are_kept_with_their_headers() {
    let emu = Emulator::start(vec![KeySpec::new("DODO-RATE-0001")]).unwrap();
    emu.set_api_key(API_KEY);
    let w = |limit, seconds| Window { limit, seconds };
    emu.set_rate_limits(Some(RateLimits {
        public: vec![w(3, 60)],
        api: vec![w(2, 60)],
    }));
    let url = emu.url();
    for remaining in ["1", "0"] {
        let (status, headers, _) = get(&url, "/license_keys/lic_0001", Some(API_KEY));
        assert_eq!(status, 200);
        assert!(
            headers.contains(&("x-ratelimit-remaining".into(), remaining.into())),
            "{headers:?}"
        );
        assert!(headers.contains(&("x-ratelimit-limit".into(), "2".into())));
    }
    let (status, headers, body) = get(&url, "/license_keys/lic_0001", Some(API_KEY));
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("TOO_MANY_REQUESTS"))
    );
    assert!(headers.iter().any(|(n, _)| n == "retry-after"));
    // The public calls count for themselves.
    let client = keyseat::api::Client::builder()
        .environment(keyseat::api::Environment::Custom(url.clone()))
        .retry_policy(keyseat::api::RetryPolicy::never())
        .build()
        .unwrap();
    let key = keyseat::LicenseKey::new("DODO-RATE-0001").unwrap();
    for _ in 0..3 {
        assert!(client.validate(&key, None).unwrap().valid);
    }
    let e = client.validate(&key, None).unwrap_err();
    assert_eq!(e.code(), keyseat::ErrorCode::RateLimited, "{e}");
}

/// A request a receiver heard: its headers (lower-case names) and body.
type Heard = (Vec<(String, String)>, String);

/// A receiver that answers 204 and passes each request's headers and body on.
fn receiver() -> (String, mpsc::Receiver<Heard>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut headers = Vec::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if let Some((n, v)) = line.split_once(':') {
                    headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
                line.clear();
            }
            let len: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let mut stream = reader.into_inner();
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
            let _ = tx.send((headers, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (url, rx)
}

#[test]
fn webhooks_are_signed_as_standard_webhooks_when_keys_change() {
    let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let emu = Emulator::start(vec![KeySpec::new("DODO-HOOK-0001")]).unwrap();
    let (url, received) = receiver();
    assert!(emu.set_webhook(&url, "not-a-secret").is_err());
    emu.set_webhook(&url, secret).unwrap();
    emu.set_key_status("DODO-HOOK-0001", KeyStatus::Disabled);
    emu.set_key_status("DODO-HOOK-0001", KeyStatus::Active);
    emu.add_key(KeySpec::new("DODO-HOOK-0002"));
    let mut types = Vec::new();
    let wh = standardwebhooks_check(secret);
    for _ in 0..3 {
        let (headers, body) = received
            .recv_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        wh(&headers, &body);
        let event: Value = serde_json::from_str(&body).unwrap();
        types.push(event["type"].as_str().unwrap().to_owned());
        if event["type"] == "entitlement_grant.revoked" {
            assert_eq!(event["data"]["revocation_reason"], "license_key_disabled");
            assert_eq!(event["data"]["license_key"]["key"], "DODO-HOOK-0001");
        }
    }
    assert_eq!(
        types,
        [
            "entitlement_grant.revoked",
            "entitlement_grant.delivered",
            "license_key.created"
        ]
    );
    let sent = emu.sent_webhooks();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|s| s.status == Some(204)));
}

/// A check of a Standard Webhooks signature, written from the specification (the relay uses
/// the specification's own library; the emulator's test must not share the emulator's code).
fn standardwebhooks_check(secret: &str) -> impl Fn(&[(String, String)], &str) {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    move |headers, body| {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("no {name}"))
        };
        let signed = format!(
            "{}.{}.{body}",
            header("webhook-id"),
            header("webhook-timestamp")
        );
        let mac = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
            signed.as_bytes(),
        );
        let expected = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.as_ref())
        );
        assert!(
            header("webhook-signature")
                .split(' ')
                .any(|s| s == expected)
        );
    }
}
