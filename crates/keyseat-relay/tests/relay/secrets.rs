//! No secret leaves the relay: the binary, run as a seller runs it with its log at `trace`,
//! through activations, validations, seats, deactivations, webhooks good and bad, Dodo
//! refusing the API key, health and metrics. Neither Dodo's API key, the webhook secret (nor
//! its key bytes), the signing key, nor the license key appears in its output, an answer's
//! headers or body, or the database file; the settings' `Debug` shows none either.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyseat::LicenseKey;
use keyseat::api::{Client, Provider};
use keyseat_emulator::{Emulator, KeySpec, KeyStatus};
use serde_json::json;

use crate::support::{API_KEY, KEY, SIGNING_SEED, WEBHOOK_SECRET, machine_named, settings};

/// Every form of every secret that must not leak.
fn secrets() -> Vec<(&'static str, String)> {
    let webhook_bytes = BASE64
        .decode(WEBHOOK_SECRET.trim_start_matches("whsec_"))
        .unwrap();
    vec![
        ("the API key", API_KEY.to_owned()),
        ("the webhook secret", WEBHOOK_SECRET.to_owned()),
        (
            "the webhook secret's key",
            WEBHOOK_SECRET.trim_start_matches("whsec_").to_owned(),
        ),
        ("the webhook key's hex", hex::encode(webhook_bytes)),
        ("the signing key", SIGNING_SEED.to_owned()),
        ("the license key", KEY.to_owned()),
    ]
}

/// Fails when any secret is in `text`: whole, or any 12 characters of it (a log that
/// dumps bytes 16 to a line splits it), or 12 of its bytes as hex (the dump's other
/// column), the spaces between hex groups left out.
fn assert_none_in(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    let packed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for (name, secret) in secrets() {
        assert!(!text.contains(&secret), "{name} is in {what}");
        let chars: Vec<char> = secret.chars().collect();
        for piece in chars.windows(12) {
            let piece: String = piece.iter().collect();
            assert!(!text.contains(&piece), "{name} is in {what}: {piece:?}");
            let hex = hex::encode(&piece);
            assert!(!packed.contains(&hex), "{name} is in {what} as hex: {hex}");
        }
    }
}

#[test]
fn no_secret_in_the_log_the_answers_or_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(vec![KeySpec::new(KEY).with_limit(2)]).unwrap();
    emu.set_api_key(API_KEY);
    let database = format!("sqlite://{}", dir.path().join("relay.db").display());
    let mut relay = Command::new(env!("CARGO_BIN_EXE_keyseat-relay"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .args(["--upstream-url", &emu.url(), "--client-limit-per-key", "0"])
        .env("KEYSEAT_RELAY_SIGNING_KEY", SIGNING_SEED)
        .env("KEYSEAT_RELAY_API_KEY", API_KEY)
        .env("KEYSEAT_RELAY_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("KEYSEAT_RELAY_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(relay.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    // The log, read as it comes (a full pipe would stop the relay).
    let mut stderr = relay.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut all = Vec::new();
        stderr.read_to_end(&mut all).unwrap();
        all
    });
    emu.set_webhook(&format!("{url}/v1/webhooks/dodo"), WEBHOOK_SECRET)
        .unwrap();

    // The library's calls, as an app makes them.
    let seed = hex::decode(SIGNING_SEED).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    let keys = vec![hex::encode(ring::signature::KeyPair::public_key(&pair))];
    let client = Client::builder()
        .provider(Provider::relay(url.clone(), keys))
        .build()
        .unwrap();
    let key = LicenseKey::new(KEY).unwrap();
    let machine = machine_named("a").id();
    let a = client.activate_machine(&key, "a", Some(&machine)).unwrap();
    assert!(
        client
            .validate_machine(&key, Some(&a.id), Some(&machine))
            .unwrap()
            .valid
    );
    emu.set_key_status(KEY, KeyStatus::Disabled);
    emu.set_key_status(KEY, KeyStatus::Active);
    // Dodo refuses the relay's API key now: the relay's calls with it fail, and say so.
    emu.set_api_key("another-api-key");
    let b = client.activate_machine(&key, "b", Some(&machine_named("b").id()));
    assert!(
        b.is_ok(),
        "the activation itself is Dodo's public call: {b:?}"
    );

    // Raw calls: every answer's headers and body.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut answers = Vec::new();
    let mut keep = |r: Result<ureq::http::Response<ureq::Body>, ureq::Error>| {
        let mut r = r.unwrap();
        let mut text = format!("{:?}\n", r.headers()).into_bytes();
        text.extend(r.body_mut().read_to_vec().unwrap());
        answers.push(text);
    };
    let nonce = "00112233445566778899aabbccddeeff";
    for (path, body) in [
        (
            "validate",
            json!({"license_key": KEY, "license_key_instance_id": a.id.as_str(), "fingerprint": machine, "nonce": nonce}),
        ),
        ("seats", json!({"license_key": KEY, "nonce": nonce})),
        (
            "validate",
            json!({"license_key": KEY, "fingerprint": "zz", "nonce": "short"}),
        ),
        (
            "deactivate",
            json!({"license_key": KEY, "license_key_instance_id": a.id.as_str(), "nonce": nonce}),
        ),
    ] {
        keep(
            agent
                .post(&format!("{url}/v1/licenses/{path}"))
                .content_type("application/json")
                .send(body.to_string().as_bytes()),
        );
    }
    // A webhook signed with another secret, and one not JSON.
    keep(
        agent
            .post(&format!("{url}/v1/webhooks/dodo"))
            .header("webhook-id", "msg_1")
            .header("webhook-timestamp", "1")
            .header("webhook-signature", "v1,AAAA")
            .send(&b"{"[..]),
    );
    keep(agent.get(&format!("{url}/healthz")).call());
    keep(agent.get(&format!("{url}/metrics")).call());

    // SIGTERM, then everything it wrote.
    sigterm(relay.id());
    assert!(relay.wait().unwrap().success());
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let log = log.join().unwrap();
    assert!(
        log.len() > 1000,
        "the trace log says something: {} bytes",
        log.len()
    );
    assert!(
        String::from_utf8_lossy(&log).contains("Dodo refused the API key"),
        "the refused API key is logged, in words"
    );
    assert_none_in("the log", &log);
    assert_none_in("stdout", first.as_bytes());
    assert_none_in("stdout", &rest);
    for answer in &answers {
        assert_none_in("an answer", answer);
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        assert_none_in(&path.display().to_string(), &std::fs::read(&path).unwrap());
    }
    let debug = format!(
        "{:?}",
        settings(&emu.url(), &crate::support::Db::Postgres(database))
    );
    assert_none_in("the settings' Debug", debug.as_bytes());
}

/// Sends SIGTERM to `pid`, as systemd stops the relay.
fn sigterm(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
