//! The customer's bad day through `licensectl` (issue 21): a trial the app started, shown
//! with its end (exit 0) and once over (exit 9); another machine's seat freed with
//! `deactivate --instance`; the instance and its name in `status`; the name an activation
//! whose answer was lost left behind, in `status` and in the limit message.

use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::clock::ManualClock;
use keyseat::{App, KeyStorage, Licensor};
use keyseat_emulator::{DEFAULT_PRODUCT_ID, Endpoint, Fault};

use crate::support::{APP, KEY, Setup, assert_no_key, parse, stderr, stdout};

/// The vendor secret of the app with a trial (a trial needs one of at least 16 bytes).
const TRIAL_SECRET: &str = "the trial app's vendor secret";

/// The app itself with a 14-day trial, on the setup's directory, its clock at `started`.
fn app_with_trial(s: &Setup, started: SystemTime) -> Licensor {
    Licensor::builder(App::parse(APP).unwrap())
        .product_ids([DEFAULT_PRODUCT_ID])
        .vendor_secret(TRIAL_SECRET)
        .environment(keyseat::api::Environment::Custom(s.emu.url()))
        .data_dir(s.dir.path())
        .key_storage(KeyStorage::File)
        .trial_days(14)
        .clock(Arc::new(ManualClock::new(started)))
        .build()
        .unwrap()
}

/// `licensectl <args>` with the key on stdin.
fn with_key_on_stdin(s: &Setup, args: &[&str]) -> std::process::Output {
    let mut child = s
        .cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{KEY}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_no_key(&out);
    out
}

/// `licensectl --json <args>` with the trial app's vendor secret, parsed.
fn json_with_secret(s: &Setup, args: &[&str]) -> (i32, serde_json::Value) {
    let mut c = s.cmd(&["--json"]);
    c.args(args).env("KEYSEAT_VENDOR_SECRET", TRIAL_SECRET);
    parse(&c.output().unwrap())
}

#[test]
fn status_shows_the_apps_trial_and_its_end_and_never_starts_one() {
    let s = Setup::new(None);
    let (code, v) = json_with_secret(&s, &["status"]);
    assert_eq!(
        (code, v["state"].as_str()),
        (3, Some("not_activated")),
        "{v}"
    );
    assert!(v["trial_ends_at"].is_null());

    let started = app_with_trial(&s, SystemTime::now()).start_trial().unwrap();
    let end = started.trial_ends_at.unwrap();
    let (code, v) = json_with_secret(&s, &["status"]);
    assert_eq!((code, v["state"].as_str()), (0, Some("trial")), "{v}");
    assert_eq!(v["licensed"], true);
    let shown: jiff::Timestamp = v["trial_ends_at"].as_str().unwrap().parse().unwrap();
    let expected = jiff::Timestamp::try_from(end).unwrap();
    assert!((shown.as_second() - expected.as_second()).abs() <= 1, "{v}");
    let text = stdout(
        &s.cmd(&["status"])
            .env("KEYSEAT_VENDOR_SECRET", TRIAL_SECRET)
            .output()
            .unwrap(),
    );
    assert!(text.contains("license: trial (ends "), "{text}");
    assert!(text.contains("trial ends"), "{text}");
}

#[test]
fn an_ended_trial_has_its_own_exit_code() {
    let s = Setup::new(None);
    let twenty_days_ago = SystemTime::now() - Duration::from_secs(20 * 86_400);
    app_with_trial(&s, twenty_days_ago).start_trial().unwrap();
    let (code, v) = json_with_secret(&s, &["status", "--offline"]);
    assert_eq!(
        (code, v["state"].as_str()),
        (9, Some("trial_expired")),
        "{v}"
    );
    assert_eq!(v["licensed"], false);
    assert!(v["trial_ends_at"].is_string());
    let help = stdout(&s.run(&["--help"]));
    assert!(
        help.contains("9  no activation, and the local trial has ended"),
        "{help}"
    );
}

#[test]
fn deactivate_instance_frees_another_machines_seat() {
    let s = Setup::new(Some(1));
    let old_laptop = tempfile::tempdir().unwrap();
    let old = |args: &[&str]| {
        let mut c = s.cmd(args);
        c.arg("--data-dir").arg(old_laptop.path());
        c
    };
    let out = old(&["activate", KEY]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (_, v) = parse(&old(&["--json", "status", "--offline"]).output().unwrap());
    let instance = v["instance_id"].as_str().unwrap().to_owned();
    let name = v["instance_name"].as_str().unwrap().to_owned();
    let (_, f) = parse(&old(&["--json", "fingerprint"]).output().unwrap());
    let tag = &f["fingerprint"].as_str().unwrap()[..6];
    assert!(
        name.ends_with(&format!(" · {tag}")),
        "{name} does not end with the tag {tag}"
    );
    assert_eq!(s.emu.instances_of(KEY)[0].name, name);
    let text = stdout(&old(&["status", "--offline"]).output().unwrap());
    assert!(text.contains(&instance) && text.contains(&name), "{text}");

    // The new laptop: the limit is reached; the old one's seat is freed from here.
    let refused = s.run(&["activate", KEY]);
    assert_eq!(refused.status.code(), Some(8), "{}", stderr(&refused));
    let freed = with_key_on_stdin(&s, &["--json", "deactivate", "--instance", &instance]);
    assert_eq!(freed.status.code(), Some(0), "{}", stderr(&freed));
    let (_, v) = parse(&freed);
    assert_eq!(v["outcome"], "slot_freed");
    assert!(s.emu.instances_of(KEY).is_empty());
    assert_eq!(s.run(&["activate", KEY]).status.code(), Some(0));
    let again = with_key_on_stdin(&s, &["deactivate", "--instance", &instance]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("already released"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn a_lost_answer_is_named_in_status_and_in_the_limit_message() {
    let s = Setup::new(Some(1));
    s.emu.inject(Endpoint::Activate, Fault::ProcessThenClose, 1);
    let lost = s.run(&["activate", KEY]);
    assert_eq!(lost.status.code(), Some(7), "{}", stderr(&lost));
    let (code, v) = s.json(&["status", "--offline"]);
    assert_eq!(code, 3);
    let name = v["pending_activation"]["name"]
        .as_str()
        .expect("the pending name");
    assert!(v["pending_activation"]["at"].is_string(), "{v}");
    assert_eq!(s.emu.instances_of(KEY)[0].name, name);
    let text = stdout(&s.run(&["status", "--offline"]));
    assert!(
        text.contains(&format!("an activation named '{name}'")),
        "{text}"
    );

    let refused = s.run(&["activate", KEY]);
    assert_eq!(refused.status.code(), Some(8));
    let message = stderr(&refused);
    assert!(
        message.contains(&format!(
            "an activation named '{name}' may have been created on"
        )),
        "{message}"
    );
    assert!(
        message.contains("ask the vendor to release it"),
        "{message}"
    );
}
