//! The relay as a web service: HTTPS straight from PEM files; `/healthz` and `/metrics` as
//! documented; a client over its per-IP or per-key budget gets 429 with `Retry-After` and
//! spends none of Dodo's; a body over the limit is 413, one that is not a request 422.

use std::time::Duration;

use keyseat::LicenseKey;
use keyseat::api::{Client, Provider};
use keyseat_emulator::{Endpoint, KeySpec};
use keyseat_relay::{Settings, Spawned};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::json;

use crate::support::{Db, KEY, World, machine_named, settings};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// `POST url` of `body`: the status, the `Retry-After` header and the body.
fn post(url: &str, body: &str) -> (u16, Option<String>, String) {
    let mut r = agent()
        .post(url)
        .content_type("application/json")
        .send(body.as_bytes())
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (r.status().as_u16(), retry, text)
}

fn validation(nonce: u32) -> String {
    json!({"license_key": KEY, "fingerprint": machine_named("a").id(), "nonce": format!("{nonce:032x}")})
        .to_string()
}

#[test]
fn https_from_pem_files() {
    let dir = tempfile::tempdir().unwrap();
    // A CA, and a certificate it signs for 127.0.0.1, as PEM files.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "relay test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let (cert_file, key_file, ca_file) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();

    let emu = keyseat_emulator::Emulator::start(vec![KeySpec::new(KEY).with_limit(1)]).unwrap();
    emu.set_api_key(crate::support::API_KEY);
    let db = Db::Sqlite(dir.path().to_owned());
    let relay = Spawned::start(Settings {
        tls: Some((cert_file, key_file)),
        ..settings(&emu.url(), &db)
    })
    .unwrap();
    let url = relay.url().replace("http://", "https://");
    let client = Client::builder()
        .provider(Provider::relay(
            url.clone(),
            relay.public_keys().iter().cloned(),
        ))
        .ca_file(&ca_file)
        .build()
        .unwrap();
    let machine = machine_named("a").id();
    let key = LicenseKey::new(KEY).unwrap();
    let a = client.activate_machine(&key, "a", Some(&machine)).unwrap();
    assert!(
        client
            .validate_machine(&key, Some(&a.id), Some(&machine))
            .unwrap()
            .valid
    );
    // Without the CA, the certificate is not trusted: no answer.
    let untrusting = Client::builder()
        .provider(Provider::relay(url, relay.public_keys().iter().cloned()))
        .build()
        .unwrap();
    assert!(
        untrusting
            .validate_machine(&key, Some(&a.id), Some(&machine))
            .is_err()
    );
    // Plain HTTP to the HTTPS port is no answer either.
    assert!(
        agent()
            .get(&format!("{}/healthz", relay.url()))
            .call()
            .is_err()
    );
}

#[test]
fn health_and_metrics_say_what_the_protocol_says() {
    let world = World::new(1);
    let url = world.relay.url();
    let mut r = agent().get(&format!("{url}/healthz")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let health: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(health["status"], "ok");
    let (status, _, _) = post(&format!("{url}/v1/licenses/validate"), &validation(1));
    assert_eq!(status, 200);
    let mut r = agent().get(&format!("{url}/metrics")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = r.body_mut().read_to_string().unwrap();
    for line in [
        "keyseat_relay_requests_total{endpoint=\"/v1/licenses/validate\",status=\"200\"} 1",
        "keyseat_relay_requests_total{endpoint=\"/healthz\",status=\"200\"} 1",
        "keyseat_relay_upstream_calls_total{call=\"validate\",outcome=\"ok\"} 1",
        "keyseat_relay_validation_answers_total{source=\"upstream\"} 1",
        "# TYPE keyseat_relay_request_duration_seconds histogram",
        "# TYPE keyseat_relay_upstream_duration_seconds histogram",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
}

#[test]
fn a_client_over_its_budget_gets_429_and_spends_none_of_dodos() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::Sqlite(dir.path().to_owned());
    let world = World::on(1, &db, dir, |s| Settings {
        client_limit_per_ip: 0,
        client_limit_per_key: 3,
        freshness: Duration::ZERO,
        ..s
    });
    let target = format!("{}/v1/licenses/validate", world.relay.url());
    for n in 0..3 {
        assert_eq!(post(&target, &validation(n)).0, 200);
    }
    let calls = world.emu.request_count(Endpoint::Validate);
    let (status, retry, _) = post(&target, &validation(9));
    assert_eq!(status, 429);
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        world.emu.request_count(Endpoint::Validate),
        calls,
        "Dodo not asked"
    );
    // Another key is within its own budget; the same IP has no limit here.
    let other = json!({"license_key": "ANOTHER-KEY-0001", "fingerprint": machine_named("a").id(), "nonce": "0".repeat(32)});
    assert_ne!(post(&target, &other.to_string()).0, 429);

    let dir = tempfile::tempdir().unwrap();
    let db = Db::Sqlite(dir.path().to_owned());
    let per_ip = World::on(1, &db, dir, |s| Settings {
        client_limit_per_ip: 2,
        client_limit_per_key: 0,
        ..s
    });
    let target = format!("{}/v1/licenses/validate", per_ip.relay.url());
    assert_eq!(post(&target, &validation(1)).0, 200);
    assert_eq!(post(&target, &validation(2)).0, 200);
    assert_eq!(
        post(&target, &other.to_string()).0,
        429,
        "this IP's budget is spent"
    );
}

#[test]
fn a_body_over_the_limit_is_413_and_one_not_a_request_422() {
    let world = World::new(1);
    let target = format!("{}/v1/licenses/validate", world.relay.url());
    let huge =
        json!({"license_key": KEY, "fingerprint": "x".repeat(20_000), "nonce": "0".repeat(32)});
    assert_eq!(post(&target, &huge.to_string()).0, 413);
    let (status, _, body) = post(&target, "{\"license_key\": 1}");
    assert_eq!(status, 422);
    assert!(body.contains("INVALID_REQUEST_BODY"), "{body}");
    let (status, _, body) = post(
        &target,
        &json!({"license_key": KEY, "fingerprint": machine_named("a").id(), "nonce": "short"})
            .to_string(),
    );
    assert_eq!(status, 422, "a nonce under 128 bits");
    assert!(!body.contains(KEY));
}
