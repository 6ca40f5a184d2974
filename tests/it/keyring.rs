//! The OS credential store, for real: a Secret Service (gnome-keyring) on a session bus when
//! one is running (CI starts one under `dbus-run-session`), and the file fallback when there
//! is no bus.

use std::path::Path;

use licensekit::{CREDENTIALS_FILE, LicenseState, StorageKind};
use licensekit_tests::{KEY, emulator, keyring_licensor};

/// The state and storage another process sees: `CHILD state=… storage=…`, less the prefix.
fn child(app: &str, url: &str, dir: &Path, bus: Option<&str>) -> String {
    let mut cmd = crate::child();
    cmd.arg("report-storage")
        .arg("--dir")
        .arg(dir)
        .args(["--url", url, "--app", app]);
    if let Some(bus) = bus {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", bus);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    stdout
        .split("CHILD ")
        .nth(1)
        .map(|rest| rest.lines().next().unwrap_or("").to_owned())
        .unwrap_or_else(|| panic!("child printed nothing: {stdout}"))
}

/// Needs the OS credential store: on Linux a running Secret Service (CI runs one under
/// dbus-run-session with gnome-keyring); on Windows the Credential Manager (CI runs it under
/// Wine).
#[test]
#[ignore = "needs a Secret Service on the session bus (see .ci/run)"]
fn secret_service_store_read_back_across_processes_and_delete() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let app = format!("Keyring{}", std::process::id());
    let l = keyring_licensor(&app, emu.url(), dir.path());
    let st = l.activate(KEY).unwrap();
    assert_eq!(
        st.key_storage,
        Some(StorageKind::Keyring),
        "no Secret Service reachable?"
    );
    assert!(
        !dir.path().join(CREDENTIALS_FILE).exists(),
        "the key must not be in a file"
    );
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(KEY));
    }

    assert_eq!(
        child(&app, &emu.url(), dir.path(), None),
        "state=active storage=keyring"
    );

    l.deactivate(false).unwrap();
    assert_eq!(
        child(&app, &emu.url(), dir.path(), None),
        "state=not_activated storage=none"
    );
    assert_eq!(
        keyring_licensor(&app, emu.url(), dir.path())
            .check()
            .unwrap()
            .state,
        LicenseState::NotActivated
    );
}

// Linux only: a session bus (and so the Secret Service) can be taken away from a process
// there; the Windows Credential Manager and the macOS Keychain have no such switch.
#[cfg(target_os = "linux")]
#[test]
fn without_a_session_bus_the_file_fallback_is_used_and_reported() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let app = format!("NoBus{}", std::process::id());
    // A child whose bus address leads nowhere activates; a second one reads it back.
    let bus = "unix:path=/nonexistent/licensekit-test-bus";
    let out = crate::child()
        .arg("activate")
        .arg("--dir")
        .arg(dir.path())
        .args(["--url", &emu.url(), "--app", &app])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ACTIVATED storage=file"), "{stdout}");
    let creds = dir.path().join(CREDENTIALS_FILE);
    assert!(creds.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert_eq!(
        child(&app, &emu.url(), dir.path(), Some(bus)),
        "state=active storage=file"
    );
}
