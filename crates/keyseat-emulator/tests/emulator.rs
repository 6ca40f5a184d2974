//! The emulator binary and its control surface, driven over HTTP as another process would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use std::time::Duration;

use keyseat::LicenseKey;
use keyseat::api::{Client, Environment, RetryPolicy};
use keyseat_emulator::{Emulator, Endpoint, KeySpec};

const KEY: &str = "EMU-TEST-KEY-0123456789";

fn key() -> LicenseKey {
    LicenseKey::new(KEY).unwrap()
}

fn client(url: &str) -> Client {
    Client::builder()
        .environment(Environment::Custom(url.to_owned()))
        .retry_policy(RetryPolicy::never())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A bare HTTP/1.1 request; returns (status, body).
fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn binary_prints_its_address_and_serves_keys_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(
        &keys,
        format!(
            r#"[{{"key": "{KEY}", "status": "active", "activations_limit": 1,
                "expires_at": null, "product_id": "pdt_9", "product_name": "Nine",
                "customer_id": "cus_9", "customer_name": "Nina", "customer_email": "n@x.io"}}]"#
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyseat-emulator"))
        .args(["--listen", "127.0.0.1:0", "--keys"])
        .arg(&keys)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");

    let inst = client(&url).activate(&key(), "bin").unwrap();
    assert_eq!(inst.license.product_id, "pdt_9");
    assert_eq!(inst.license.customer_email.as_deref().unwrap(), "n@x.io");
    let e = client(&url).activate(&key(), "again").unwrap_err();
    assert_eq!(e.http_status(), Some(422));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn control_surface_over_http() {
    let emu = Emulator::start(vec![]).unwrap();
    let url = emu.url();
    let (s, _) = http(
        &url,
        "POST",
        "/_emulator/keys",
        &format!(r#"{{"key":"{KEY}"}}"#),
    );
    assert_eq!(s, 200);
    let c = client(&url);
    let inst = c.activate(&key(), "ctl").unwrap();

    let (s, body) = http(&url, "GET", "/_emulator/instances", "");
    assert_eq!(s, 200);
    assert!(body.contains(inst.id.as_str()));

    let (s, _) = http(
        &url,
        "POST",
        "/_emulator/keys/disable",
        &format!(r#"{{"key":"{KEY}"}}"#),
    );
    assert_eq!(s, 200);
    assert!(!c.validate(&key(), Some(&inst.id)).unwrap().valid);
    http(
        &url,
        "POST",
        "/_emulator/keys/enable",
        &format!(r#"{{"key":"{KEY}"}}"#),
    );
    assert!(c.validate(&key(), Some(&inst.id)).unwrap().valid);
    http(
        &url,
        "POST",
        "/_emulator/keys/expire",
        &format!(r#"{{"key":"{KEY}"}}"#),
    );
    assert!(!c.validate(&key(), Some(&inst.id)).unwrap().valid);
    http(
        &url,
        "POST",
        "/_emulator/keys/enable",
        &format!(r#"{{"key":"{KEY}"}}"#),
    );

    let (s, _) = http(
        &url,
        "POST",
        "/_emulator/faults",
        r#"{"endpoint":"validate","fault":{"kind":"status","status":503},"count":5}"#,
    );
    assert_eq!(s, 200);
    assert_eq!(
        c.validate(&key(), None).unwrap_err().http_status(),
        Some(503)
    );
    let (s, _) = http(&url, "DELETE", "/_emulator/faults", "");
    assert_eq!(s, 200);
    assert!(c.validate(&key(), None).unwrap().valid);

    let (_, body) = http(&url, "GET", "/_emulator/requests", "");
    let counts: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(counts["activate"], 1);
    assert_eq!(
        counts["validate"].as_u64(),
        Some(emu.request_count(Endpoint::Validate))
    );
    assert_eq!(counts["authorization_headers"], 0);

    let (s, _) = http(&url, "POST", "/_emulator/faults", r#"{"endpoint":"nope"}"#);
    assert_eq!(s, 422);
}

#[test]
fn malformed_requests_get_invalid_request_body() {
    let emu = Emulator::start(vec![KeySpec::new(KEY)]).unwrap();
    let url = emu.url();
    for body in [
        "{",
        "[]",
        r#"{"name":"x"}"#,
        r#"{"license_key":5,"name":"x"}"#,
    ] {
        let (s, b) = http(&url, "POST", "/licenses/activate", body);
        assert_eq!(s, 422, "{body}");
        assert!(b.contains("INVALID_REQUEST_BODY"), "{b}");
    }
    let (s, _) = http(&url, "POST", "/licenses/nothing", "{}");
    assert_eq!(s, 404);
}

#[test]
fn stop_refuses_connections_and_resume_keeps_state() {
    let emu = Emulator::start(vec![KeySpec::new(KEY)]).unwrap();
    let c = client(&emu.url());
    let inst = c.activate(&key(), "n").unwrap();
    emu.stop();
    assert!(
        c.validate(&key(), Some(&inst.id))
            .unwrap_err()
            .is_unreachable()
    );
    emu.resume().unwrap();
    assert!(c.validate(&key(), Some(&inst.id)).unwrap().valid);
}
