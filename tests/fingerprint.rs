//! The fingerprint is the same in another process, and the fallback ID survives restarts.

use std::process::Command;

use licensekit::fingerprint::Fingerprint;

const CHILD_ENV: &str = "LK_FINGERPRINT_CHILD_DIR";

/// Run by the parent test in a child process: prints the fingerprint it computes.
#[test]
fn child_prints_fingerprint() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return; // only meaningful as a child
    };
    let f = Fingerprint::builder("com.example.Cross")
        .fallback_dir(dir)
        .compute()
        .unwrap();
    println!("FINGERPRINT={}", f.id());
}

fn fingerprint_in_child(dir: &std::path::Path) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_prints_fingerprint",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.split("FINGERPRINT=").nth(1))
        .map(|rest| rest.chars().take(64).collect::<String>())
        .unwrap_or_else(|| panic!("child printed no fingerprint: {stdout}"))
}

#[test]
fn same_fingerprint_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let here = Fingerprint::builder("com.example.Cross")
        .fallback_dir(dir.path())
        .compute()
        .unwrap();
    let a = fingerprint_in_child(dir.path());
    let b = fingerprint_in_child(dir.path());
    assert_eq!(a, b);
    assert_eq!(a, here.id());
}
