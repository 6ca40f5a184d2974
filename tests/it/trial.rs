//! The local trial (issue 21): started by the app, kept in the data directory and the
//! credential store, bound to the machine, guarded against a clock set back and against
//! editing, never restarted, and out of the way while a license is active.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::clock::ManualClock;
use keyseat::{ErrorKind, KeyStorage, LicenseState, LicenseStatus, Licensor};
use keyseat_emulator::Endpoint;
use keyseat_tests::{KEY, emulator, licensor_builder, machine};

const T0: u64 = 1_800_000_000;
const DAY: Duration = Duration::from_secs(86_400);
const TRIAL_FILE: &str = "trial.json";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0),
    ))
}

/// The test app with a 14-day trial on `dir`, machine `name`, file key storage.
fn trial_licensor(url: &str, dir: &Path, clock: &Arc<ManualClock>, name: &str) -> Licensor {
    licensor_builder("Trial", url, dir)
        .trial_days(14)
        .fingerprint(machine(name))
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// A machine sharing nothing with `machine(..)`'s: no fuzzy match either.
fn another_machine() -> keyseat::fingerprint::Fingerprint {
    use keyseat::fingerprint::{Confidence, Fingerprint, RawComponents};
    let raw = RawComponents {
        machine_id: "another-machine-id".into(),
        hostname: Some("elsewhere".into()),
        os: Some("OtherOS 7".into()),
        cpu: Some("OtherCPU / aarch64".into()),
        ram_gib: Some(64),
        mac: Some("02:00:00:00:00:01".into()),
    };
    Fingerprint::from_raw("keyseat-tests", &raw, Confidence::High)
}

fn ends_at(st: &LicenseStatus) -> SystemTime {
    st.trial_ends_at.expect("a trial end")
}

fn requests(emu: &keyseat_emulator::Emulator) -> u64 {
    [Endpoint::Activate, Endpoint::Validate, Endpoint::Deactivate]
        .into_iter()
        .map(|e| emu.request_count(e))
        .sum()
}

#[test]
fn no_activation_and_no_trial_is_not_activated_and_an_app_without_a_trial_cannot_start_one() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = trial_licensor(&emu.url(), dir.path(), &c, "a");
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::NotActivated);
    assert_eq!(st.trial_ends_at, None);
    assert!(
        !dir.path().join(TRIAL_FILE).exists(),
        "check never starts a trial"
    );
    let no_trial = licensor_builder("Trial", emu.url(), dir.path())
        .build()
        .unwrap();
    let e = no_trial.start_trial().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{e}");
    assert!(
        licensor_builder("Trial", emu.url(), dir.path())
            .trial_days(0)
            .build()
            .is_err()
    );
    assert_eq!(requests(&emu), 0, "a trial never uses the network");
}

#[test]
fn a_trial_runs_exactly_its_days_and_starting_again_never_moves_the_end() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = trial_licensor(&emu.url(), dir.path(), &c, "a");
    let started = l.start_trial().unwrap();
    let end = SystemTime::UNIX_EPOCH + Duration::from_secs(T0) + 14 * DAY;
    assert_eq!(started.state, LicenseState::Trial { ends_at: end });
    assert!(started.is_licensed());
    assert_eq!(ends_at(&started), end);

    c.advance(5 * DAY);
    assert_eq!(
        ends_at(&l.start_trial().unwrap()),
        end,
        "started again: same end"
    );
    assert_eq!(
        l.check().unwrap().state,
        LicenseState::Trial { ends_at: end }
    );

    c.set(end - Duration::from_secs(1));
    assert!(l.check().unwrap().is_licensed());
    c.set(end);
    let over = l.check().unwrap();
    assert_eq!(over.state, LicenseState::TrialExpired);
    assert!(!over.is_licensed());
    assert_eq!(ends_at(&over), end);
    c.advance(30 * DAY);
    assert_eq!(
        l.start_trial().unwrap().state,
        LicenseState::TrialExpired,
        "never restarted"
    );
    assert_eq!(requests(&emu), 0);
}

#[test]
fn the_credential_store_copy_brings_the_trial_back_after_the_data_directory_is_emptied() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    // Memory storage stands in for the OS credential store here (the real one is tested
    // in `keyring`).
    let l = licensor_builder("Trial", emu.url(), dir.path())
        .key_storage(KeyStorage::Memory)
        .trial_days(14)
        .fingerprint(machine("a"))
        .clock(c.clone())
        .build()
        .unwrap();
    let end = ends_at(&l.start_trial().unwrap());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    c.advance(DAY);
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Trial { ends_at: end });
    assert!(
        dir.path().join(TRIAL_FILE).exists(),
        "the data directory's copy is written again"
    );
    assert_eq!(ends_at(&l.start_trial().unwrap()), end, "no fresh trial");
}

#[test]
fn a_trial_copied_to_another_machine_is_not_a_trial_there() {
    let emu = emulator(None);
    let (home, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let c = clock();
    trial_licensor(&emu.url(), home.path(), &c, "a")
        .start_trial()
        .unwrap();
    std::fs::copy(home.path().join(TRIAL_FILE), other.path().join(TRIAL_FILE)).unwrap();
    let there = licensor_builder("Trial", emu.url(), other.path())
        .trial_days(14)
        .fingerprint(another_machine())
        .clock(c.clone())
        .build()
        .unwrap();
    let st = there.check().unwrap();
    assert_eq!(st.state, LicenseState::FingerprintMismatch);
    assert!(!st.is_licensed());
    // That machine may start its own trial; the copied record is kept aside.
    c.advance(3 * DAY);
    let own = there.start_trial().unwrap();
    assert_eq!(
        ends_at(&own),
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0) + 17 * DAY
    );
    let aside = std::fs::read_dir(other.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("trial.json.corrupt-")
        })
        .count();
    assert_eq!(aside, 1);
}

#[test]
fn setting_the_clock_back_is_clock_rollback_and_never_a_longer_trial() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = trial_licensor(&emu.url(), dir.path(), &c, "a");
    l.start_trial().unwrap();
    c.advance(20 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::TrialExpired);
    // Back to day 2 of the trial: the record has seen day 20.
    c.set(SystemTime::UNIX_EPOCH + Duration::from_secs(T0) + 2 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::ClockRollback);
    assert_eq!(l.start_trial().unwrap().state, LicenseState::ClockRollback);
    // A new process on the same machine sees the same.
    let again = trial_licensor(&emu.url(), dir.path(), &c, "a");
    assert_eq!(again.check().unwrap().state, LicenseState::ClockRollback);
    // Within the tolerance (2 h), a clock a little behind is fine.
    c.set(SystemTime::UNIX_EPOCH + Duration::from_secs(T0) + 20 * DAY - Duration::from_secs(3600));
    assert_eq!(l.check().unwrap().state, LicenseState::TrialExpired);
}

#[test]
fn an_edited_record_is_tampered_kept_and_never_a_fresh_trial() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = trial_licensor(&emu.url(), dir.path(), &c, "a");
    let end = ends_at(&l.start_trial().unwrap());
    let path = dir.path().join(TRIAL_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let end_secs = end
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let edited = text.replace(
        &format!("\"end\":{end_secs}"),
        &format!("\"end\":{}", end_secs + 365 * 86_400),
    );
    assert_ne!(edited, text);
    std::fs::write(&path, &edited).unwrap();
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Tampered);
    assert!(!st.is_licensed());
    assert_eq!(l.start_trial().unwrap().state, LicenseState::Tampered);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        edited,
        "kept as it was"
    );
    std::fs::write(&path, b"\x00garbage").unwrap();
    assert_eq!(l.start_trial().unwrap().state, LicenseState::Tampered);
}

#[test]
fn an_activation_decides_while_it_lasts_and_deactivating_brings_the_trial_back() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = trial_licensor(&emu.url(), dir.path(), &c, "a");
    let end = ends_at(&l.start_trial().unwrap());
    let active = l.activate(KEY).unwrap();
    assert_eq!(active.state, LicenseState::Active);
    assert_eq!(
        l.start_trial().unwrap().state,
        LicenseState::Active,
        "the license decides"
    );
    c.advance(3 * DAY);
    l.deactivate(false).unwrap();
    assert_eq!(
        l.check().unwrap().state,
        LicenseState::Trial { ends_at: end }
    );
    c.advance(20 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::TrialExpired);
}
