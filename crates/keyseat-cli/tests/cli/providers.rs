//! Lemon Squeezy and Polar keys at the command line (issue 22): `--provider`, `--account`,
//! `--product`, `--variant`, with `--base-url` for every provider; another store's key is
//! refused (exit 8) with its slot released; a Polar key with no activations holds no seat.

use std::process::Command;

use keyseat_emulator::{Emulator, Endpoint, KeySpec};

use crate::support::{KEY, Setup, checked, parse, stderr};

const OTHER_STORE_KEY: &str = "LS-OTHER-STORE-KEY-3c2b1a09f8e7d6c5";
const ORG: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
const BENEFIT: &str = "5a1e3c0e-0000-4000-8000-000000000003";

fn lemon(key: &str, store: &str) -> KeySpec {
    let mut spec = KeySpec::new(key)
        .with_limit(1)
        .sold_by("lemonsqueezy", store)
        .of_product("4");
    spec.variant_id = Some("5".into());
    spec.expires_at = Some("2099-01-01T00:00:00Z".into());
    spec
}

/// `licensectl` for Lemon Squeezy store 7, product 4.
fn lemon_cmd(s: &Setup, args: &[&str]) -> Command {
    let mut c = s.cmd_without_product(&["--provider", "lemonsqueezy", "--account", "7"]);
    c.args(["--product", "4"]).args(args);
    c
}

#[test]
fn a_lemon_squeezy_key_lives_through_licensectl() {
    let s =
        Setup::with(Emulator::start(vec![lemon(KEY, "7"), lemon(OTHER_STORE_KEY, "8")]).unwrap());
    let out = checked(lemon_cmd(&s, &["--variant", "5", "activate", KEY]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, v) = parse(&checked(lemon_cmd(&s, &["--json", "status", "--refresh"])));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["state"], "active");
    assert_eq!(v["provider"], "lemonsqueezy");
    assert_eq!(v["product_id"], "4");
    assert_eq!(v["holds_seat"], true);
    assert_eq!(v["expires_at"], "2099-01-01T00:00:00Z");
    let text = String::from_utf8_lossy(&checked(lemon_cmd(&s, &["status"])).stdout).into_owned();
    assert!(text.contains("provider        lemonsqueezy"), "{text}");
    // A variant the app does not accept makes the stored activation the wrong product.
    let out = checked(lemon_cmd(&s, &["--variant", "6", "status", "--offline"]));
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    let out = checked(lemon_cmd(&s, &["deactivate"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(s.emu.instances().is_empty());

    // Another store's key: refused, released, nothing kept.
    let out = checked(lemon_cmd(&s, &["activate", OTHER_STORE_KEY]));
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(stderr(&out).contains("of account 8"), "{}", stderr(&out));
    assert!(s.emu.instances().is_empty(), "the slot was released");
    assert_eq!(
        s.emu.request_count_of("lemonsqueezy", Endpoint::Deactivate),
        2
    );
    let out = checked(lemon_cmd(&s, &["status", "--offline"]));
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn a_polar_key_without_activations_holds_no_seat() {
    let spec = KeySpec::new(KEY).sold_by("polar", ORG).of_product(BENEFIT);
    let s = Setup::with(Emulator::start(vec![spec]).unwrap());
    let polar = |args: &[&str]| {
        let mut c = s.cmd_without_product(&["--provider", "polar", "--account", ORG]);
        c.args(["--product", BENEFIT]).args(args);
        checked(c)
    };
    let out = polar(&["activate", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, v) = parse(&polar(&["--json", "status"]));
    assert_eq!(
        (code, &v["holds_seat"], &v["instance_id"]),
        (0, &serde_json::json!(false), &serde_json::Value::Null)
    );
    let text = String::from_utf8_lossy(&polar(&["status"]).stdout).into_owned();
    assert!(text.contains("licenses by validation alone"), "{text}");
    let (code, v) = parse(&polar(&["--json", "deactivate"]));
    assert_eq!(code, 0, "{v}");
    assert_eq!(s.emu.request_count(Endpoint::Deactivate), 0);
}

#[test]
fn a_provider_needs_its_account() {
    let s = Setup::new(None);
    for args in [
        &["--provider", "polar", "status"][..],
        &["--provider", "lemonsqueezy", "status"],
        &["--provider", "lemonsqueezy", "--account", "store", "status"],
        &["--provider", "polar", "--account", "org", "status"],
        &["--account", "7", "status"],
        &["--variant", "5", "status"],
        &["--provider", "paddle", "status"],
    ] {
        let out = checked(s.cmd(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_keygen_key_lives_through_licensectl_and_a_wrong_public_key_is_refused() {
    let spec = KeySpec::new(KEY)
        .with_limit(1)
        .sold_by("keygen", "acme")
        .of_product("prod-1");
    let s = Setup::with(Emulator::start(vec![spec]).unwrap());
    let keygen = |public_key: &str, args: &[&str]| {
        let mut c = s.cmd_without_product(&["--provider", "keygen", "--account", "acme"]);
        c.args(["--public-key", public_key, "--product", "prod-1"])
            .args(args);
        checked(c)
    };
    let genuine = s.emu.keygen_public_key();
    // A public key of small order (the identity point) is no account's key: with it one
    // signature verifies every message. Refused as a usage error, before any request.
    let weak = format!("01{}", "00".repeat(31));
    let out = keygen(&weak, &["activate", KEY]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("small order"), "{}", stderr(&out));
    assert!(s.emu.instances().is_empty());
    // RFC 8032's first test key: a genuine key, of another account.
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    // Another public key: the genuine answer does not verify, nothing is kept (exit 7).
    let out = keygen(other, &["activate", KEY]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(stderr(&out).contains("not signed"), "{}", stderr(&out));
    assert!(s.emu.instances().is_empty());
    let out = keygen(&genuine, &["activate", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, v) = parse(&keygen(&genuine, &["--json", "status", "--refresh"]));
    assert_eq!((code, &v["provider"]), (0, &serde_json::json!("keygen")));
    let out = keygen(&genuine, &["deactivate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(s.emu.instances().is_empty());
    // --public-key is required with keygen, and Keygen's alone.
    let mut c = s.cmd(&["--provider", "keygen", "--account", "acme", "status"]);
    assert_eq!(checked(c).status.code(), Some(2));
    c = s.cmd(&["--public-key", &genuine, "status"]);
    assert_eq!(checked(c).status.code(), Some(2));
}
