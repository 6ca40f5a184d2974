//! Every command against the emulator, JSON shapes, exit codes,
//! stdin key input, and `watch` printing a revocation and exiting on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use keyseat_emulator::{KeySpec, KeyStatus};
use serde_json::Value;

use crate::support::{BIN, KEY, Setup, assert_no_key, stderr};

#[test]
fn activate_status_fingerprint_deactivate_with_json_and_exit_codes() {
    let s = Setup::new(Some(1));
    let (code, v) = s.json(&["status"]);
    assert_eq!((code, v["state"].as_str()), (3, Some("not_activated")));

    let (code, v) = s.json(&["activate", KEY]);
    assert_eq!(code, 0, "{v}");
    for field in [
        "state",
        "licensed",
        "instance_id",
        "license_key_id",
        "key",
        "product_id",
        "product_name",
        "customer_email",
        "activated_at",
        "last_validated",
        "grace_deadline",
        "network_used",
        "fingerprint_match",
        "key_storage",
        "recovered",
    ] {
        assert!(v.get(field).is_some(), "missing {field} in {v}");
    }
    assert_eq!(v["state"], "active");
    assert_eq!(v["licensed"], true);
    assert_eq!(v["key"], "****-a5b4");
    assert_eq!(v["key_storage"], "file");

    let (code, v) = s.json(&["status", "--offline"]);
    assert_eq!((code, v["network_used"].as_bool()), (0, Some(false)));
    let out = s.run(&["status"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("license: active"));

    let (code, v) = s.json(&["fingerprint", "--components"]);
    assert_eq!(code, 0);
    assert_eq!(v["fingerprint"].as_str().unwrap().len(), 64);
    assert!(v["components"]["machine_id"].is_string());
    let out = s.run(&["fingerprint"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("instance name"));

    let (code, v) = s.json(&["deactivate"]);
    assert_eq!((code, v["outcome"].as_str()), (0, Some("slot_freed")));
    assert!(s.emu.instances_of(KEY).is_empty());
    let (code, _) = s.json(&["status"]);
    assert_eq!(code, 3);
    let (code, v) = s.json(&["deactivate"]);
    assert_eq!(code, 3, "{v}");
}

#[test]
fn key_from_stdin_with_trailing_newline() {
    let s = Setup::new(None);
    let mut child = s
        .cmd(&["--json", "activate", "-"])
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
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.emu.instances_of(KEY).len(), 1);
}

#[test]
fn refused_revoked_tampered_network_and_usage_exit_codes() {
    let s = Setup::new(Some(1));
    s.emu
        .add_key(KeySpec::new("OTHER-KEY-000000000001").with_limit(0));
    let (code, v) = s.json(&["activate", "OTHER-KEY-000000000001"]);
    assert_eq!(code, 8, "{v}");
    assert!(
        v["error"]["advice"]
            .as_str()
            .unwrap()
            .contains("deactivate another machine")
    );
    let out = s.run(&["activate", "NO-SUCH-KEY-00000000001"]);
    assert_eq!(out.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&out.stderr).contains("typos"));

    assert_eq!(s.run(&["activate", KEY]).status.code(), Some(0));
    s.emu.set_key_status(KEY, KeyStatus::Disabled);
    let (code, v) = s.json(&["status", "--refresh"]);
    assert_eq!((code, v["state"].as_str()), (4, Some("revoked")));

    std::fs::write(s.dir.path().join("license.json"), b"garbage").unwrap();
    s.emu.stop();
    let (code, v) = s.json(&["status"]);
    assert_eq!((code, v["state"].as_str()), (6, Some("tampered")));

    let fresh = Setup::new(None);
    fresh.emu.stop();
    let (code, v) = fresh.json(&["activate", KEY]);
    assert_eq!(code, 7, "{v}");

    let out = Command::new(BIN).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN)
        .args(["status"])
        .env_remove("LICENSECTL_APP")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = s.run(&["watch", "--interval", "0s"]);
    assert_eq!(out.status.code(), Some(2));
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes"));
}

/// Nothing an end user writes is a license (issue 27): the credentials edited by hand
/// (a dropped seat) are tampered, exit 6; genuine ones without their MAC, as an earlier
/// release wrote them, with no cache to vouch for them, are unverified, exit 3. Without a vendor
/// secret, the status says the local data is unprotected.
#[test]
fn hand_edited_credentials_are_never_a_license() {
    let s = Setup::new(Some(1));
    let secret = "the CLI test's vendor secret";
    let json = |args: &[&str]| {
        let mut c = s.cmd(&["--json"]);
        c.args(args).env("KEYSEAT_VENDOR_SECRET", secret);
        crate::support::parse(&c.output().unwrap())
    };
    let (code, v) = json(&["activate", KEY]);
    assert_eq!(
        (code, &v["local_state_protected"]),
        (0, &Value::Bool(true)),
        "{v}"
    );
    let path = s.dir.path().join("credentials.json");
    let genuine: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut creds = genuine.clone();
    creds["holds_seat"] = Value::Bool(false);
    creds["instance_id"] = Value::String("anything".into());
    std::fs::write(&path, creds.to_string()).unwrap();
    std::fs::remove_file(s.dir.path().join("license.json")).unwrap();
    let (code, v) = json(&["status"]);
    assert_eq!((code, v["state"].as_str()), (6, Some("tampered")), "{v}");
    let mut old = genuine;
    let fields = old.as_object_mut().unwrap();
    fields.remove("mac");
    fields.remove("secret_id");
    std::fs::write(&path, old.to_string()).unwrap();
    let (code, v) = json(&["status"]);
    assert_eq!((code, v["state"].as_str()), (3, Some("unverified")), "{v}");
    let out = s
        .cmd(&["status"])
        .env("KEYSEAT_VENDOR_SECRET", secret)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("activate again"));

    let plain = Setup::new(None);
    let (code, v) = plain.json(&["activate", KEY]);
    assert_eq!(
        (code, &v["local_state_protected"]),
        (0, &Value::Bool(false)),
        "{v}"
    );
    let out = plain.run(&["status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("protection"));
}

// Unix only: the test sends SIGTERM with kill(1). On Windows, ctrlc stops the watch on
// Ctrl-C/Ctrl-Break, which cannot be sent to a child that has no console of its own.
#[cfg(unix)]
#[test]
fn watch_prints_revocation_and_exits_on_sigterm() {
    let s = Setup::new(None);
    assert_eq!(s.run(&["activate", KEY]).status.code(), Some(0));
    let mut child = s
        .cmd(&["--json", "watch", "--interval", "200ms"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = line_reader(&mut child);
    let first = next_json(&lines, &mut child, "first state");
    assert_eq!(first["state"], "active");
    assert_eq!(first["event"], "state");
    s.emu.set_key_status(KEY, KeyStatus::Disabled);
    let second = next_json(&lines, &mut child, "revocation");
    assert_eq!(second["state"], "revoked");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "watch did not exit on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let last = next_json(&lines, &mut child, "stopped event");
    assert_eq!(last["event"], "stopped");
}

/// The lines `child` prints, read on a thread of their own so that waiting for one can
/// time out.
fn line_reader(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next line as JSON. A line that does not come within 20 s fails the test (and ends
/// the child) instead of hanging it.
fn next_json(lines: &Receiver<String>, child: &mut Child, what: &str) -> Value {
    match lines.recv_timeout(Duration::from_secs(20)) {
        Ok(line) => serde_json::from_str(&line).unwrap(),
        Err(e) => {
            let _ = child.kill();
            panic!("watch printed no {what} line within 20 s ({e})");
        }
    }
}

#[test]
fn demo_runs_quickly_with_no_network_and_leaves_nothing() {
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(BIN)
        .arg("demo")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(10), "demo took {took:?}");
    for expected in [
        "[1/8]",
        "different product",
        "0 of 1",
        "grace",
        "revoked",
        "the activation slot is free again",
        "not activated",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Words for people, never a Rust `Debug` name.
    for debug_name in ["SlotFreed", "AlreadyGone", "LocalOnly"] {
        assert!(!text.contains(debug_name), "{debug_name} in:\n{text}");
    }
    assert_eq!(
        std::fs::read_dir(home.path()).unwrap().count(),
        0,
        "demo wrote to HOME"
    );
}

#[test]
fn verbose_logs_never_show_the_key() {
    let s = Setup::new(Some(1));
    for args in [
        &["-vv", "activate", KEY][..],
        &["-vv", "--json", "status", "--refresh"],
        &["-vv", "fingerprint", "--components"],
        &["-vv", "activate", "SOME-OTHER-KEY-000000001"],
        &["-vv", "deactivate"],
        &["-vv", "--json", "activate", KEY],
    ] {
        let out = s.run(args); // asserts the key is in neither stdout nor stderr
        assert!(!out.stderr.is_empty() || !out.stdout.is_empty());
    }
    s.emu.stop();
    let out = s.run(&["-vv", "deactivate"]);
    assert_eq!(out.status.code(), Some(7));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[DEBUG"),
        "logs were on"
    );
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    // `licensectl demo | more` where `more` quits at once. On Unix SIGPIPE ends the process;
    // on Windows, which has no SIGPIPE, a write to the closed pipe fails instead, and
    // println! would panic.
    let mut child = Command::new(BIN)
        .arg("demo")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

#[test]
fn seats_of_a_provider_that_cannot_list_them_say_so() {
    let s = Setup::new(Some(2));
    assert_eq!(s.run(&["activate", KEY]).status.code(), Some(0));
    let out = s.run(&["seats"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot list"), "{}", stderr(&out));
    let (code, v) = s.json(&["seats"]);
    assert_eq!(code, 2, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot list"),
        "{v}"
    );
    // Dodo's status says no limit, no seats in use, no entitlements: nothing is guessed.
    let (_, v) = s.json(&["status", "--refresh"]);
    assert_eq!(
        (
            &v["activation_limit"],
            &v["activations_used"],
            &v["entitlements"]
        ),
        (
            &serde_json::Value::Null,
            &serde_json::Value::Null,
            &serde_json::Value::Null
        ),
        "{v}"
    );
}
