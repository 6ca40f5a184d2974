//! A customer upgrading keeps the activation. The cache and credentials that earlier
//! releases wrote (`fixtures/`, see each README) load with no network call: format 1, from
//! keyseat 0.1, is rewritten in the current format once; format 2, the current one, from
//! the release of 2026-11-23, is used as it is.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::clock::ManualClock;
use keyseat::{CACHE_FILE, CREDENTIALS_FILE, LicenseState, LicenseStatus, Licensor};
use keyseat_emulator::Endpoint;
use keyseat_tests::fixtures::{self, WRITTEN_AT};
use keyseat_tests::{emulator, licensor_builder};
/// The activation the 0.1 fixture (cache format 1) holds.
const INSTANCE: &str = "lki_8d1472532aa0e0b3";
/// The activation the format 2 fixture holds.
const INSTANCE_FORMAT2: &str = "lki_b06c1963db5e6511";

/// A copy of the 0.1 data directory, and a Licensor on it at `hours` after it was written.
fn upgraded(url: String, hours: u64) -> (tempfile::TempDir, Licensor) {
    upgraded_from("v0.1", url, hours)
}

/// A copy of the data directory `fixtures/<fixture>`, and a Licensor on it at `hours` after
/// it was written.
fn upgraded_from(fixture: &str, url: String, hours: u64) -> (tempfile::TempDir, Licensor) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixtures::dir(fixture);
    for name in [CACHE_FILE, CREDENTIALS_FILE] {
        std::fs::copy(fixture.join(name), dir.path().join(name)).unwrap();
    }
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(WRITTEN_AT + hours * 3600);
    let licensor = licensor_builder("Upgrade", url, dir.path())
        .fingerprint(fixtures::machine())
        .clock(Arc::new(ManualClock::new(now)))
        .build()
        .unwrap();
    (dir, licensor)
}

/// The cache file of `dir`, as it is on disk.
fn cache_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join(CACHE_FILE)).unwrap()
}

fn cache_version(dir: &Path) -> u64 {
    let cache: serde_json::Value = serde_json::from_slice(&cache_bytes(dir)).unwrap();
    cache["version"].as_u64().unwrap()
}

fn requests(emu: &keyseat_emulator::Emulator) -> u64 {
    [Endpoint::Activate, Endpoint::Validate, Endpoint::Deactivate]
        .into_iter()
        .map(|e| emu.request_count(e))
        .sum()
}

#[test]
fn a_fresh_v1_cache_loads_offline_and_is_rewritten_once() {
    let emu = emulator(None);
    let (dir, licensor) = upgraded(emu.url(), 1);
    assert_eq!(cache_version(dir.path()), 1);
    assert_is_the_fixtures(&licensor.check().unwrap(), INSTANCE);
    assert_eq!(cache_version(dir.path()), 2, "rewritten in the new format");
    let rewritten = cache_bytes(dir.path());
    assert!(licensor.check().unwrap().is_licensed());
    assert_eq!(
        cache_bytes(dir.path()),
        rewritten,
        "rewritten once, then only read"
    );
    assert_eq!(requests(&emu), 0, "no network call");
    assert_nothing_set_aside(dir.path());
}

#[test]
fn an_offline_check_migrates_too_and_a_stale_one_revalidates() {
    let emu = emulator(None);
    let (dir, licensor) = upgraded(emu.url(), 1);
    assert!(licensor.check_offline().unwrap().is_licensed());
    assert_eq!(cache_version(dir.path()), 2);
    assert_eq!(requests(&emu), 0);

    // Two days later, with the server up: the old activation is confirmed online. The
    // emulator does not know the fixture's instance, so it answers "not valid": what
    // matters is that the rebuilt path asks once and records the answer.
    let (dir, licensor) = upgraded(emu.url(), 48);
    let st = licensor.check().unwrap();
    assert!(st.network_used);
    assert_eq!(st.state, LicenseState::Revoked);
    assert_eq!(emu.request_count(Endpoint::Validate), 1);
    assert_eq!(cache_version(dir.path()), 2);
    // Offline two days later: grace, counted from the fixture's last validation.
    emu.stop();
    let (_dir, licensor) = upgraded(emu.url(), 48);
    let st = licensor.check().unwrap();
    assert!(
        matches!(st.state, LicenseState::Grace { .. }),
        "{:?}",
        st.state
    );
}

#[test]
fn a_format2_cache_from_the_last_release_loads_offline_as_it_is() {
    let emu = emulator(None);
    let (dir, licensor) = upgraded_from("format2", emu.url(), 1);
    let written = cache_bytes(dir.path());
    assert_eq!(cache_version(dir.path()), 2);
    assert_is_the_fixtures(&licensor.check().unwrap(), INSTANCE_FORMAT2);
    assert_is_the_fixtures(&licensor.check_offline().unwrap(), INSTANCE_FORMAT2);
    assert_eq!(
        cache_bytes(dir.path()),
        written,
        "the current format is not rewritten"
    );
    assert_eq!(requests(&emu), 0, "no network call");
    assert_nothing_set_aside(dir.path());
}

/// `st` is the fixture's activation `instance`, active and answered from disk.
fn assert_is_the_fixtures(st: &LicenseStatus, instance: &str) {
    assert_eq!(st.state, LicenseState::Active);
    assert!(!st.network_used);
    assert_eq!(st.instance_id.as_ref().map(|i| i.as_str()), Some(instance));
    assert_eq!(st.product_name.as_deref(), Some("Emulated App"));
    assert_eq!(st.customer_email.as_deref(), Some("customer@example.com"));
    // Credentials of releases that knew only Dodo name no provider: they are Dodo's, and
    // every activation of theirs held a seat.
    assert_eq!(st.provider.as_deref(), Some("dodo"));
    assert!(st.holds_seat);
    assert_eq!(
        st.last_validated,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(WRITTEN_AT))
    );
}

/// No file of `dir` was set aside as unusable.
fn assert_nothing_set_aside(dir: &Path) {
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.to_string_lossy().contains("corrupt")),
        "{names:?}"
    );
}
