//! The providers' own official SDKs, unchanged, through their license calls against the
//! emulator (issue 27): a vendor who tests their own code against the emulator with them
//! must get the answers the real servers would give.
//!
//! - Lemon Squeezy's JavaScript SDK sends its license calls as JSON with
//!   `Content-Type: application/vnd.api+json` (`official_sdks/lemonsqueezy.mjs`).
//! - Polar's Python SDK loads every answer into its models of API version 2026-10, which
//!   refuse a missing required field (`official_sdks/polar_sdk.py`; not `polar.py`, which would shadow the
//!   SDK's own `polar` package).
//!
//! Each needs its SDK installed, so each is ignored by default; `.ci/run` installs them
//! (pinned) and runs these with `--include-ignored`:
//! `KEYSEAT_LEMONSQUEEZY_JS=<…/dist/index.js>` and `KEYSEAT_POLAR_PYTHON=<a python with
//! polar-sdk>`.

use std::path::Path;
use std::process::Command;

use keyseat_emulator::{Emulator, KeySpec};

const ORG: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
const BENEFIT: &str = "5a1e3c0e-0000-4000-8000-000000000003";

/// The script `name` of `official_sdks/`.
fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/official_sdks")
        .join(name)
        .display()
        .to_string()
}

/// Runs `command`, failing the test with its output unless it succeeds.
fn run(mut command: Command) {
    let out = command.output().expect("the SDK's runtime starts");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    print!("{text}");
}

/// The environment variable `name`, which CI sets.
fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (see .ci/run)"))
}

#[test]
#[ignore = "needs @lemonsqueezy/lemonsqueezy.js installed (see .ci/run)"]
fn lemon_squeezys_javascript_sdk_runs_its_license_calls_unchanged() {
    let key = "LS-OFFICIAL-SDK-KEY-0001";
    let emu = Emulator::start(vec![
        KeySpec::new(key)
            .sold_by("lemonsqueezy", "7")
            .of_product("4")
            .with_limit(2),
    ])
    .unwrap();
    let mut node = Command::new("node");
    node.arg(script("lemonsqueezy.mjs"))
        .arg(required("KEYSEAT_LEMONSQUEEZY_JS"))
        .arg(emu.url())
        .arg(key);
    run(node);
    assert!(emu.instances().is_empty(), "activated, then deactivated");
}

#[test]
#[ignore = "needs polar-sdk installed (see .ci/run)"]
fn polars_python_sdk_runs_its_license_calls_unchanged() {
    let (key, seatless) = ("POLAR-OFFICIAL-SDK-0001", "POLAR-OFFICIAL-SDK-0002");
    let polar = |key: &str| KeySpec::new(key).sold_by("polar", ORG).of_product(BENEFIT);
    let emu = Emulator::start(vec![polar(key).with_limit(2), polar(seatless)]).unwrap();
    let mut python = Command::new(required("KEYSEAT_POLAR_PYTHON"));
    python
        .arg(script("polar_sdk.py"))
        .args([emu.url().as_str(), key, ORG, BENEFIT, seatless]);
    run(python);
    assert!(emu.instances().is_empty(), "activated, then deactivated");
}
