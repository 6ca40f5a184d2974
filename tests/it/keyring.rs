//! The OS credential store, for real: a Secret Service (gnome-keyring) on a session bus when
//! one is running (CI starts one under `dbus-run-session`), and the file fallback when there
//! is no bus.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::clock::ManualClock;
use keyseat::{CACHE_FILE, CREDENTIALS_FILE, KeyStorage, LicenseState, StorageKind};
use keyseat_tests::fixtures::{self, WRITTEN_AT};
use keyseat_tests::{KEY, emulator, keyring_licensor, licensor_builder};

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
    let bus = "unix:path=/nonexistent/keyseat-test-bus";
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

/// In keyring mode, a trial keeps a copy in the OS credential store: with that store out of
/// reach (no session bus), the data directory alone cannot tell that no trial ran here, so
/// none starts, and the error says why. File mode keeps one copy by design, and starts.
#[cfg(target_os = "linux")]
#[test]
fn no_trial_starts_while_the_os_store_cannot_be_read() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let app = format!("NoBusTrial{}", std::process::id());
    let start = |storage: &str| {
        let out = crate::child()
            .arg("start-trial")
            .arg("--dir")
            .arg(dir.path())
            .args(["--url", &emu.url(), "--app", &app, "--storage", storage])
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/keyseat-test-bus",
            )
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for _ in 0..2 {
        assert!(start("keyring").contains("TRIAL error=TRIAL_UNAVAILABLE"));
        assert!(!dir.path().join("trial.json").exists());
    }
    assert!(start("file").contains("TRIAL state=trial"));
}

/// The platform's credential store, opened directly, as an earlier release (or another
/// program) would.
fn os_store() -> std::sync::Arc<keyring_core::CredentialStore> {
    #[cfg(target_os = "macos")]
    let store = apple_native_keyring_store::keychain::Store::new();
    #[cfg(windows)]
    let store = windows_native_keyring_store::Store::new();
    #[cfg(not(any(windows, target_os = "macos")))]
    let store = dbus_secret_service_keyring_store::Store::new();
    store.expect("the OS credential store opens")
}

/// An activation that the release of 2026-11-23 kept in the OS credential store: its entry
/// (service and user from `fixtures/format2/keychain.json`) and its cache load with no
/// network. The entry's service is one of the identifiers that kept the old name (persisted.rs).
#[test]
#[ignore = "needs a Secret Service on the session bus (see .ci/run)"]
fn an_activation_kept_in_the_os_store_by_the_last_release_loads_offline() {
    let entry_of_release = fixtures::json("format2/keychain.json");
    let field = |name: &str| entry_of_release[name].as_str().unwrap().to_owned();
    let entry = os_store()
        .build(&field("service"), &field("user"), None)
        .unwrap();
    let credentials =
        std::fs::read_to_string(fixtures::dir("format2").join(CREDENTIALS_FILE)).unwrap();
    entry.set_password(credentials.trim_end()).unwrap();

    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures::dir("format2").join(CACHE_FILE),
        dir.path().join(CACHE_FILE),
    )
    .unwrap();
    let app = keyseat::App::parse(&field("app")).unwrap();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(WRITTEN_AT + 3600);
    let licensor = licensor_builder("Upgrade", emu.url(), dir.path())
        .key_storage(KeyStorage::Keyring)
        .fingerprint(fixtures::machine())
        .clock(Arc::new(ManualClock::new(now)))
        .build()
        .unwrap();
    assert_eq!(licensor.app_id(), app.id(), "the fixture's app");
    let st = licensor.check();
    let _ = entry.delete_credential();
    let st = st.unwrap();
    assert_eq!(st.state, LicenseState::Active);
    assert_eq!(st.key_storage, Some(StorageKind::Keyring));
    assert!(!st.network_used);
    assert_eq!(emu.request_count(keyseat_emulator::Endpoint::Validate), 0);
}

/// The trial's copy in the real OS credential store: a reinstall that deletes the data
/// directory finds the trial there, with its original end; a fresh data directory gets its
/// copy written again.
#[test]
#[ignore = "needs a Secret Service on the session bus (see .ci/run)"]
fn a_trial_survives_deleting_the_data_directory_through_the_os_store() {
    let emu = emulator(None);
    let app = format!("Trial{}", std::process::id());
    let licensor = |dir: &Path| {
        keyseat::Licensor::builder(keyseat::App::new("com", "KeyseatTest", &app))
            .product_ids([keyseat_emulator::DEFAULT_PRODUCT_ID])
            .environment(keyseat::api::Environment::Custom(emu.url()))
            .data_dir(dir)
            .key_storage(KeyStorage::Keyring)
            .vendor_secret(*b"trial keyring test")
            .trial_days(14)
            .build()
            .unwrap()
    };
    let first = tempfile::tempdir().unwrap();
    let started = licensor(first.path()).start_trial().unwrap();
    assert!(matches!(started.state, LicenseState::Trial { .. }));
    let end = started.trial_ends_at.unwrap();
    let store = os_store();
    let entry = store
        .build(
            &format!("{}com.KeyseatTest.{app}", keychain_service_prefix()),
            "trial",
            None,
        )
        .unwrap();
    assert!(entry.get_password().is_ok(), "the trial is in the OS store");
    drop(first); // the data directory is gone: a reinstall

    let second = tempfile::tempdir().unwrap();
    let l = licensor(second.path());
    let st = l.check().unwrap();
    let _ = entry.delete_credential();
    assert_eq!(st.state, LicenseState::Trial { ends_at: end });
    assert!(second.path().join("trial.json").exists(), "written again");
}

/// The OS store's service prefix of every keyseat app (`<prefix><app id>`), as the
/// fixture of the last release records it.
fn keychain_service_prefix() -> String {
    let entry = fixtures::json("format2/keychain.json");
    let (service, app) = (
        entry["service"].as_str().unwrap(),
        entry["app"].as_str().unwrap(),
    );
    service.strip_suffix(app).unwrap().to_owned()
}
