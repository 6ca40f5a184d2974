//! The fingerprint is the same in another process, and the fallback ID survives restarts.

use keyseat::fingerprint::Fingerprint;

fn fingerprint_in_child(dir: &std::path::Path) -> String {
    let out = crate::child()
        .arg("print-fingerprint")
        .arg("--dir")
        .arg(dir)
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
