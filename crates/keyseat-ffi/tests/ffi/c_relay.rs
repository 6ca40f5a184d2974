//! `examples/c/relay.c` through a relay in front of the emulator (issue 29): the license's
//! life with the limit, the seats in use and the entitlements, the seats listed, and an
//! offline activation with the relay and Dodo gone; the C caller's buffers grown as the
//! header says (a removal only once its proof fits).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use keyseat_emulator::{Emulator, KeySpec};
use keyseat_relay::config::{Rate, Secret};
use keyseat_relay::{Settings, Spawned};

use crate::c_callers::compile;

const KEY: &str = "FFI-RELAY-KEY-0a1b2c3d4e5f6071";
const PRODUCT: &str = "pdt_c_relay";
const API_KEY: &str = "ffi-relay-api-key";

fn relay(emu: &Emulator, dir: &Path) -> Spawned {
    let rate = |per_second, per_minute| Rate {
        per_second,
        per_minute,
    };
    Spawned::start(Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: format!("sqlite://{}", dir.join("relay.db").display()),
        signing_keys: vec![Secret::new(&"5a".repeat(32))],
        api_key: Secret::new(API_KEY),
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
fn c_relay_life_seats_and_offline_activation() {
    flow(&[], &[]);
}

#[test]
fn c_relay_under_sanitizers() {
    flow(
        &[
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            "-fno-omit-frame-pointer",
        ],
        &[
            ("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1"),
            ("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1"),
        ],
    );
}

/// The whole flow of `relay.c`, built with `flags`, run with `env`.
fn flow(flags: &[&str], env: &[(&str, &str)]) {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("relay");
    compile("examples/c/relay.c", &exe, flags);
    let mut spec = KeySpec::new(KEY).with_limit(2);
    spec.product_id = PRODUCT.into();
    let emu = Emulator::start(vec![spec]).unwrap();
    emu.set_api_key(API_KEY);
    let mut relay = relay(&emu, tmp.path());
    let url = relay.url();
    let public_key = relay.public_keys()[0].clone();
    let data = tmp.path().join("data");
    let run = |args: &[&str]| {
        let out = Command::new(&exe)
            .args(args)
            .env("KS_RELAY_URL", &url)
            .env("KS_RELAY_PUBLIC_KEY", &public_key)
            .env("KS_DATA_DIR", &data)
            .env("KS_KEY", KEY)
            .env("KS_PRODUCT_ID", PRODUCT)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "relay {args:?}:\n{stdout}\n{stderr}");
        assert!(!stdout.contains(KEY) && !stderr.contains(KEY), "key leaked");
        assert!(!stderr.contains("Sanitizer"), "{stderr}");
        stdout
    };
    let out = run(&["life"]);
    for line in [
        "state: active",
        "activation limit: 2",
        "activations used: 1",
        "key expires: never",
        "entitlements: 1",
        "  entitlement ent_emulator (Delivered)",
        "seats: 1",
        "after deactivate: not activated",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} not in:\n{out}");
    }
    assert!(out.contains("(this machine)"), "{out}");

    let request = tmp.path().join("request.txt");
    run(&["offline-request", request.to_str().unwrap()]);
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let file = agent
        .post(&format!("{url}/v1/offline"))
        .send(std::fs::read(&request).unwrap().as_slice())
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let machine_file = tmp.path().join("machine-file.txt");
    std::fs::write(&machine_file, file).unwrap();
    relay.stop();
    emu.stop();
    let out = run(&["offline-activate", machine_file.to_str().unwrap()]);
    assert!(
        out.contains("state: active\nactivated offline: yes"),
        "{out}"
    );
    assert!(out.contains("entitlements: 1"), "{out}");
    let proof = tmp.path().join("proof.txt");
    let out = run(&["offline-deactivate", proof.to_str().unwrap()]);
    assert!(
        out.contains("after offline deactivate: not activated"),
        "{out}"
    );
    let proof = std::fs::read_to_string(&proof).unwrap();
    assert!(
        proof.starts_with("-----BEGIN KEYSEAT OFFLINE RELEASE-----"),
        "{proof}"
    );
}
