//! The relay's wire: requests as the protocol describes them, and every way an answer can
//! fail its signature or its echo. Answers are signed here with ring, as the relay signs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{Ed25519KeyPair, KeyPair};
use ureq::http::{HeaderMap, HeaderValue};

use super::*;
use crate::error::{ApiCode, ErrorKind};

const KEY: &str = "RELAY-TEST-KEY-0000-1111";
const HOST: &str = "relay.example";

fn pair(seed: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap()
}

fn public_hex(seed: u8) -> String {
    hex::encode(pair(seed).public_key().as_ref())
}

fn relay(seeds: &[u8]) -> Relay {
    Relay::new(
        format!("https://{HOST}/"),
        seeds.iter().map(|s| public_hex(*s)).collect(),
    )
}

fn key() -> LicenseKey {
    LicenseKey::new(KEY).unwrap()
}

/// `body` signed as the relay signs it, for `request`, by the key of `seed`, dated `date`.
fn signed(request: &Request, body: &[u8], seed: u8, date: i64) -> HeaderMap {
    let date = jiff::Timestamp::from_second(date)
        .unwrap()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let digest = format!("sha-256={}", BASE64.encode(Sha256::digest(body)));
    let message = format!(
        "(request-target): post {}\nhost: {HOST}\ndate: {date}\ndigest: {digest}",
        request.path
    );
    let signature = BASE64.encode(pair(seed).sign(message.as_bytes()).as_ref());
    let id = PinnedKey::parse(&public_hex(seed)).unwrap().id;
    let mut h = HeaderMap::new();
    h.insert("date", HeaderValue::from_str(&date).unwrap());
    h.insert("digest", HeaderValue::from_str(&digest).unwrap());
    let header = format!(
        r#"keyid="{id}", algorithm="ed25519", signature="{signature}", headers="(request-target) host date digest""#
    );
    h.insert("keyseat-signature", HeaderValue::from_str(&header).unwrap());
    h
}

fn check(relay: &Relay, request: &Request, headers: &HeaderMap, body: &[u8]) -> Result<(), Error> {
    relay.verify(&Received {
        method: "post",
        host: HOST,
        target: &request.path,
        headers,
        body,
        echo: request.echo.as_ref(),
    })
}

fn answer(request: &Request) -> Vec<u8> {
    json!({
        "request": request.echo,
        "verdict": "valid",
        "license": { "key_id": "lic_1", "status": "active", "product_id": "pdt_1",
            "customer_email": "ada@example.com", "expires_at": "2030-01-01T00:00:00Z",
            "activation_limit": 3, "activations_used": 1 },
        "entitlements": [{ "grant_id": "entg_1", "entitlement_id": "ent_1",
            "status": "Delivered", "expires_at": null }],
        "confirmed_at": "2026-12-06T12:00:00Z",
        "source": "upstream"
    })
    .to_string()
    .into_bytes()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn is_bad(r: Result<(), Error>) -> bool {
    matches!(
        r.map_err(|e| e.kind().clone()),
        Err(ErrorKind::BadSignature(_))
    )
}

#[test]
fn requests_carry_the_fingerprint_a_fresh_nonce_and_the_accepted_keys() {
    let r = relay(&[1, 2]);
    let instance = InstanceId::new("lki_1").unwrap();
    let a = r.validate(&key(), Some(&instance), Some("fp"));
    let b = r.validate(&key(), Some(&instance), Some("fp"));
    let body: Value = serde_json::from_slice(&a.body).unwrap();
    assert_eq!(a.path, "/v1/licenses/validate");
    assert_eq!(body["license_key"], KEY);
    assert_eq!(body["license_key_instance_id"], "lki_1");
    assert_eq!(body["fingerprint"], "fp");
    let nonce = body["nonce"].as_str().unwrap();
    assert_eq!(nonce.len(), 32);
    assert_ne!(a.echo, b.echo, "a fresh nonce each time");
    let echo = a.echo.as_ref().unwrap();
    assert_eq!(echo["nonce"], nonce);
    assert_eq!(echo["key_hash"].as_str().unwrap().len(), 64);
    assert!(
        !echo.to_string().contains(KEY),
        "the echo names the key by its hash only"
    );
    let accepted = &a
        .headers
        .iter()
        .find(|(n, _)| *n == "keyseat-accept-signature")
        .unwrap()
        .1;
    for seed in [1, 2] {
        let id = PinnedKey::parse(&public_hex(seed)).unwrap().id;
        assert!(
            accepted.contains(&format!("keyid=\"{id}\"")),
            "{}",
            accepted.as_str()
        );
    }
    let seat = NewSeat {
        name: "laptop",
        fingerprint: None,
    };
    assert!(
        r.activate(&key(), &seat).is_err(),
        "an activation needs the fingerprint"
    );
}

#[test]
fn a_genuine_answer_verifies_and_reads() {
    let r = relay(&[1, 2]);
    let request = r.validate(&key(), None, Some("fp"));
    let body = answer(&request);
    for seed in [1, 2] {
        check(&r, &request, &signed(&request, &body, seed, now()), &body).unwrap();
    }
    let v = r.read_validation(&request, &body, &key()).unwrap();
    assert!(v.valid && !v.not_activated_here);
    let l = v.license.unwrap();
    assert_eq!(
        (l.license_key_id.as_str(), l.product_id.as_str()),
        ("lic_1", "pdt_1")
    );
    assert_eq!(
        (l.activation_limit, l.activations_used, l.expires_at),
        (Some(3), Some(1), Some(1_893_456_000))
    );
    let e = &l.entitlements.unwrap()[0];
    assert_eq!(
        (e.id.as_str(), e.grant_id.as_deref(), e.status.as_deref()),
        ("ent_1", Some("entg_1"), Some("Delivered"))
    );
}

#[test]
fn every_forgery_and_every_replay_is_a_bad_signature() {
    let r = relay(&[1]);
    let request = r.validate(&key(), None, Some("fp"));
    let body = answer(&request);
    // A key the app does not pin, however valid its signature.
    assert!(is_bad(check(
        &r,
        &request,
        &signed(&request, &body, 9, now()),
        &body
    )));
    // A body changed after signing.
    let changed = String::from_utf8(body.clone())
        .unwrap()
        .replace("\"valid\"", "\"invalid\"")
        .into_bytes();
    let headers = signed(&request, &body, 1, now());
    assert!(is_bad(check(&r, &request, &headers, &changed)));
    // Stale.
    assert!(is_bad(check(
        &r,
        &request,
        &signed(&request, &body, 1, now() - 600),
        &body
    )));
    // A genuine answer to another request (an earlier nonce): replayed.
    let earlier = r.validate(&key(), None, Some("fp"));
    let old = answer(&earlier);
    assert!(is_bad(check(
        &r,
        &request,
        &signed(&request, &old, 1, now()),
        &old
    )));
    // About another machine, or another key.
    for (field, value) in [("fingerprint", json!("other")), ("key_hash", json!("00"))] {
        let mut v: Value = serde_json::from_slice(&body).unwrap();
        v["request"][field] = value;
        let other = v.to_string().into_bytes();
        assert!(
            is_bad(check(
                &r,
                &request,
                &signed(&request, &other, 1, now()),
                &other
            )),
            "{field}"
        );
    }
    // No echo at all, or no signature.
    let bare = br#"{"verdict":"valid"}"#;
    assert!(is_bad(check(
        &r,
        &request,
        &signed(&request, bare, 1, now()),
        bare
    )));
    assert!(is_bad(check(&r, &request, &HeaderMap::new(), &body)));
}

#[test]
fn settings_are_checked() {
    assert!(relay(&[1]).check().is_ok());
    let none = Relay::new("https://r".into(), Vec::new());
    assert!(matches!(
        none.check().unwrap_err().kind(),
        ErrorKind::InvalidInput(_)
    ));
    let weak = Relay::new("https://r".into(), vec![format!("01{}", "00".repeat(31))]);
    assert!(matches!(
        weak.check().unwrap_err().kind(),
        ErrorKind::InvalidInput(_)
    ));
    assert_eq!(relay(&[1]).live_url(), format!("https://{HOST}"));
}

#[test]
fn verdicts_and_refusals() {
    let r = relay(&[1]);
    let request = r.validate(&key(), None, Some("fp"));
    let mut v: Value = serde_json::from_slice(&answer(&request)).unwrap();
    v["verdict"] = json!("not_activated_here");
    let read = r
        .read_validation(&request, v.to_string().as_bytes(), &key())
        .unwrap();
    assert!(!read.valid && read.not_activated_here);
    v["verdict"] = json!("maybe");
    assert!(
        r.read_validation(&request, v.to_string().as_bytes(), &key())
            .is_err()
    );
    let e = r.refusal(
        422,
        br#"{"request":{},"code":"LICENSE_KEY_LIMIT_REACHED","message":"all seats taken"}"#,
        &key(),
    );
    assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyLimitReached));
}
