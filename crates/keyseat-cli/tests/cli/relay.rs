//! A license's whole life through `licensectl --provider relay` (issue 28): the relay in front
//! of the emulator as Dodo, its public key pinned with --public-key (repeatable, for a
//! rotation), every answer signed; a wrong key refuses them all.

use std::time::Duration;

use keyseat_emulator::{DEFAULT_PRODUCT_ID, Emulator, KeySpec, KeyStatus};
use keyseat_relay::config::{Rate, Secret};
use keyseat_relay::{Settings, Spawned};

use crate::support::{KEY, Setup, parse, stderr};

fn relay(emu: &Emulator, dir: &std::path::Path) -> Spawned {
    let rate = |per_second, per_minute| Rate {
        per_second,
        per_minute,
    };
    Spawned::start(Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: format!("sqlite://{}", dir.join("relay.db").display()),
        signing_keys: vec![Secret::new(&"22".repeat(32))],
        api_key: Secret::new("cli-relay-api-key"),
        webhook_secrets: vec![Secret::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")],
        upstream_url: emu.url(),
        tls: None,
        freshness: Duration::from_secs(900),
        max_staleness: Duration::from_secs(86_400),
        client_limit_per_ip: 0,
        client_limit_per_key: 0,
        upstream_public_rate: rate(20, 100),
        upstream_api_rate: rate(40, 240),
        max_body_bytes: 16 * 1024,
        trust_forwarded_for: false,
        offline_validity: Duration::from_secs(365 * 86_400),
    })
    .unwrap()
}

#[test]
fn a_key_lives_through_licensectl_and_the_relay() {
    let s = Setup::with(Emulator::start(vec![KeySpec::new(KEY).with_limit(2)]).unwrap());
    s.emu.set_api_key("cli-relay-api-key");
    let relay = relay(&s.emu, s.dir.path());
    let hook = format!("{}/v1/webhooks/dodo", relay.url());
    s.emu
        .set_webhook(&hook, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        .unwrap();
    let genuine = relay.public_keys()[0].clone();
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let run = |keys: &[&str], args: &[&str]| {
        let mut c = s.cmd_on(
            &relay.url(),
            &["--provider", "relay", "--product", DEFAULT_PRODUCT_ID],
        );
        for key in keys {
            c.args(["--public-key", key]);
        }
        c.args(args);
        c.output().unwrap()
    };
    // Only another key pinned: the relay's answer is not signed by it, so the activation's
    // outcome is unknown (exit 7) and nothing is stored, though Dodo spent a seat.
    let out = run(&[other], &["activate", KEY]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(stderr(&out).contains("not signed"), "{}", stderr(&out));
    assert_eq!(s.emu.instances().len(), 1);
    let out = run(&[other, &genuine], &["activate", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, v) = parse(&run(&[&genuine], &["--json", "status", "--refresh"]));
    assert_eq!(
        (code, v["provider"].as_str(), v["state"].as_str()),
        (0, Some("relay"), Some("active")),
        "{v}"
    );
    // What Dodo's API key knows, through the relay: the limit, the seats in use, the grant.
    assert_eq!(
        (
            v["activation_limit"].as_u64(),
            v["activations_used"].as_u64()
        ),
        (Some(2), Some(2)),
        "{v}"
    );
    let grants = v["entitlements"].as_array().expect("entitlements");
    assert_eq!(grants.len(), 1, "{v}");
    assert_eq!(grants[0]["id"], "ent_emulator", "{v}");
    // The seats: the activation whose answer was refused took one too, and the relay bound
    // both to this machine: both are marked.
    let (code, seats) = parse(&run(&[&genuine], &["--json", "seats"]));
    assert_eq!(code, 0, "{seats}");
    let seats = seats["seats"].as_array().unwrap().clone();
    assert_eq!(seats.len(), 2, "{seats:?}");
    assert!(seats.iter().all(|s| s["this_machine"] == true), "{seats:?}");
    let text = run(&[&genuine], &["seats"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("<- this machine"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    // The seller disables the key: Dodo's webhook tells the relay, which says so at once.
    s.emu.set_key_status(KEY, KeyStatus::Disabled);
    let (code, v) = parse(&run(&[&genuine], &["--json", "status", "--refresh"]));
    assert_eq!((code, v["state"].as_str()), (4, Some("revoked")), "{v}");
    s.emu.set_key_status(KEY, KeyStatus::Active);
    let out = run(&[&genuine], &["deactivate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        s.emu.instances().len(),
        1,
        "the unsigned activation's seat remains"
    );
    // The relay takes no account, and needs a public key.
    let out = run(&[&genuine], &["--account", "12", "status"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run(&[], &["status"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_machine_activated_offline_through_licensectl_and_the_relay() {
    let s = Setup::with(Emulator::start(vec![KeySpec::new(KEY).with_limit(2)]).unwrap());
    s.emu.set_api_key("cli-relay-api-key");
    let mut relay = relay(&s.emu, s.dir.path());
    let key_hex = relay.public_keys()[0].clone();
    let url = relay.url();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut c = s.cmd_on(
            &url,
            &[
                "--provider",
                "relay",
                "--product",
                DEFAULT_PRODUCT_ID,
                "--public-key",
                &key_hex,
            ],
        );
        c.args(args);
        match stdin {
            Some(text) => {
                use std::io::Write as _;
                c.stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = c.spawn().unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(text.as_bytes())
                    .unwrap();
                child.wait_with_output().unwrap()
            }
            None => c.output().unwrap(),
        }
    };
    let files = tempfile::tempdir().unwrap();
    let (request, file, proof) = (
        files.path().join("request.txt"),
        files.path().join("machine-file.txt"),
        files.path().join("release.txt"),
    );
    let out = run(
        &["offline-request", "-", "--out", request.to_str().unwrap()],
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&request).unwrap();
    assert!(!text.contains(KEY));
    // The seller's relay makes the machine file (its page posts the request so).
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let machine_file = agent
        .post(&format!("{url}/v1/offline"))
        .send(text.as_bytes())
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    std::fs::write(&file, &machine_file).unwrap();
    // Its seat shows in licensectl seats, as this machine's.
    let (code, seats) = parse(&run(&["--json", "seats", KEY], None));
    assert_eq!(code, 0, "{seats}");
    assert_eq!(seats["seats"].as_array().unwrap().len(), 1, "{seats}");
    assert_eq!(seats["seats"][0]["this_machine"], true, "{seats}");

    // No network from here: the relay and Dodo are gone.
    relay.stop();
    s.emu.stop();
    let out = run(
        &["--json", "offline-activate", file.to_str().unwrap()],
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, v) = parse(&run(&["--json", "status"], None));
    assert_eq!(
        (code, v["state"].as_str(), v["activated_offline"].as_bool()),
        (0, Some("active"), Some(true)),
        "{v}"
    );
    let out = run(
        &["offline-deactivate", "--out", proof.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, _) = parse(&run(&["--json", "status"], None));
    assert_eq!(code, 3, "not activated");

    // Back online, the proof frees the seat, once.
    s.emu.resume().unwrap();
    let relay = self::relay(&s.emu, s.dir.path());
    let answer = agent
        .post(&format!("{}/v1/offline/release", relay.url()))
        .send(std::fs::read_to_string(&proof).unwrap().as_bytes())
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(answer.contains("\"already\":false"), "{answer}");
    assert!(s.emu.instances().is_empty());
}
