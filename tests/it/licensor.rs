//! The Licensor against the emulator with a controllable clock.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::clock::ManualClock;
use keyseat::fingerprint::{Confidence, Fingerprint, RawComponents};
use keyseat::licensor::LicensorBuilder;
use keyseat::{App, CACHE_FILE, Deactivation, ErrorKind, KeyStorage, LicenseState, Licensor};
use keyseat_emulator::{Emulator, Endpoint, Fault, KeyStatus};
use keyseat_tests::{KEY, emulator, fast_retries};

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);
const T0: u64 = 1_800_000_000;

fn raw(machine: &str) -> RawComponents {
    RawComponents {
        machine_id: machine.into(),
        hostname: Some(format!("host-{machine}")),
        os: Some("TestOS 1".into()),
        cpu: Some(format!("cpu-{machine}")),
        ram_gib: Some(16),
        mac: Some(format!("mac-{machine}")),
    }
}

fn fingerprint(machine: &str) -> Fingerprint {
    Fingerprint::from_raw("com.example.Test", &raw(machine), Confidence::High)
}

/// The builder every test Licensor starts from: the test app accepting the emulator's
/// product, file key storage, the vendor secret, the given server, directory, clock and
/// machine.
fn builder(url: String, dir: &Path, clock: Arc<ManualClock>, fp: Fingerprint) -> LicensorBuilder {
    unbound_builder(url, dir, clock, fp).product_ids([keyseat_emulator::DEFAULT_PRODUCT_ID])
}

/// As [`builder`], with no product binding yet.
fn unbound_builder(
    url: String,
    dir: &Path,
    clock: Arc<ManualClock>,
    fp: Fingerprint,
) -> LicensorBuilder {
    Licensor::builder(App::new("com", "Example", "Test"))
        .environment(keyseat::api::Environment::Custom(url))
        .data_dir(dir)
        .key_storage(KeyStorage::File)
        .vendor_secret(*b"vendor secret for tests")
        .clock(clock)
        .fingerprint(fp)
        .retry_policy(fast_retries())
        .timeout(Duration::from_secs(2))
}

struct Setup {
    emu: Emulator,
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
}

impl Setup {
    fn new(limit: Option<u32>) -> Setup {
        Setup {
            emu: emulator(limit),
            dir: tempfile::tempdir().unwrap(),
            clock: Arc::new(ManualClock::new(
                SystemTime::UNIX_EPOCH + Duration::from_secs(T0),
            )),
        }
    }

    fn licensor(&self) -> Licensor {
        self.licensor_on(self.dir.path(), "machine-a")
    }

    /// The test app on `dir` and machine-a, with no product binding yet.
    fn unbound_on(&self, dir: &Path) -> LicensorBuilder {
        unbound_builder(
            self.emu.url(),
            dir,
            self.clock.clone(),
            fingerprint("machine-a"),
        )
    }

    fn licensor_on(&self, dir: &Path, machine: &str) -> Licensor {
        builder(
            self.emu.url(),
            dir,
            self.clock.clone(),
            fingerprint(machine),
        )
        .build()
        .unwrap()
    }

    fn validations(&self) -> u64 {
        self.emu.request_count(Endpoint::Validate)
    }

    fn cache(&self) -> std::path::PathBuf {
        self.dir.path().join(CACHE_FILE)
    }
}

#[test]
fn activate_then_fresh_check_uses_no_network_then_stale_revalidates() {
    let s = Setup::new(Some(3));
    let l = s.licensor();
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
    let st = l.activate(&format!(" {KEY}\n")).unwrap();
    assert_eq!(st.state, LicenseState::Active);
    assert!(st.network_used);
    assert_eq!(st.customer_email.as_deref(), Some("customer@example.com"));
    assert_eq!(st.product_name.as_deref(), Some("Emulated App"));
    assert_eq!(st.key_hint.as_deref(), Some("****-34ab"));
    assert_eq!(st.key_storage, Some(keyseat::StorageKind::File));

    s.clock.advance(23 * HOUR);
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Active);
    assert!(!st.network_used);
    assert_eq!(
        s.validations(),
        0,
        "a fresh cache answers without the network"
    );

    // A fresh Licensor (an app restart) also answers from disk.
    let st = s.licensor().check().unwrap();
    assert!(!st.network_used && st.state == LicenseState::Active);

    s.clock.advance(2 * HOUR);
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Active);
    assert!(st.network_used);
    assert_eq!(s.validations(), 1);
    assert!(!l.check().unwrap().network_used);
    assert_eq!(s.validations(), 1);
}

#[test]
fn reactivating_the_same_key_spends_no_slot_and_other_keys_are_refused() {
    let s = Setup::new(Some(3));
    let l = s.licensor();
    l.activate(KEY).unwrap();
    let again = l.activate(KEY).unwrap();
    assert_eq!(again.state, LicenseState::Active);
    assert_eq!(s.emu.request_count(Endpoint::Activate), 1);
    assert_eq!(s.emu.instances_of(KEY).len(), 1);

    s.emu
        .add_key(keyseat_emulator::KeySpec::new("ANOTHER-KEY-0000000001"));
    let e = l.activate("ANOTHER-KEY-0000000001").unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::AlreadyActivated { .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains(KEY));
}

#[test]
fn outage_gives_grace_then_grace_expired_and_recovery() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    s.clock.advance(2 * DAY);
    s.emu
        .inject(Endpoint::Validate, Fault::CloseBeforeProcessing, 1000);

    let st = l.check().unwrap();
    let until = SystemTime::UNIX_EPOCH + Duration::from_secs(T0) + 14 * DAY;
    assert_eq!(st.state, LicenseState::Grace { until });
    assert!(st.is_licensed() && st.network_used);
    assert_eq!(st.grace_deadline, Some(until));
    let tried = s.validations();
    assert_eq!(tried, 3, "one check, two retries");

    // Right after a failure, checks answer from the cache instead of waiting on the network.
    let st = l.check().unwrap();
    assert!(!st.network_used);
    assert!(matches!(st.state, LicenseState::Grace { .. }));
    assert_eq!(s.validations(), tried);

    s.clock.advance(13 * DAY);
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::GraceExpired);
    assert!(!st.is_licensed());

    s.emu.clear_faults();
    s.clock.advance(HOUR);
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Active);
    assert!(st.network_used);
}

#[test]
fn stopped_server_gives_grace() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    s.emu.stop();
    s.clock.advance(3 * DAY);
    assert!(matches!(
        l.check().unwrap().state,
        LicenseState::Grace { .. }
    ));
    s.clock.advance(12 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::GraceExpired);
}

#[test]
fn revocation_is_noticed_and_survives_going_offline() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    s.emu.set_key_status(KEY, KeyStatus::Disabled);
    assert_eq!(
        l.check().unwrap().state,
        LicenseState::Active,
        "fresh cache: not asked yet"
    );
    s.clock.advance(25 * HOUR);
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Revoked);
    assert!(st.network_used);

    s.emu.stop();
    for _ in 0..3 {
        s.clock.advance(2 * DAY);
        let st = l.check().unwrap();
        assert_eq!(
            st.state,
            LicenseState::Revoked,
            "offline must not bring it back"
        );
        assert!(!st.is_licensed());
    }
    assert_eq!(
        s.licensor().check_offline().unwrap().state,
        LicenseState::Revoked
    );

    // Re-enabled by the merchant: noticed at the next revalidation.
    s.emu.resume().unwrap();
    s.emu.set_key_status(KEY, KeyStatus::Active);
    s.clock.advance(2 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::Active);
}

#[test]
fn clock_rollback_beyond_tolerance_only() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    s.emu.stop();

    s.clock.rewind(HOUR); // daylight saving
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Active);
    s.clock.rewind(Duration::from_secs(50 * 60)); // 1 h 50 min back in all: still within 2 h
    assert_eq!(l.check().unwrap().state, LicenseState::Active);

    s.clock.rewind(HOUR); // 2 h 50 min back
    assert_eq!(l.check().unwrap().state, LicenseState::ClockRollback);
    assert_eq!(
        l.check_offline().unwrap().state,
        LicenseState::ClockRollback
    );

    // A successful online validation clears it.
    s.emu.resume().unwrap();
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Active);
    assert!(st.network_used);
    assert_eq!(l.check().unwrap().state, LicenseState::Active);
}

#[test]
fn rolling_the_clock_back_cannot_extend_grace() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    s.emu.stop();
    s.clock.advance(15 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::GraceExpired);
    s.clock.rewind(14 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::ClockRollback);
    s.clock.advance(14 * DAY - HOUR);
    assert_eq!(l.check().unwrap().state, LicenseState::GraceExpired);
}

/// Rewrites one field of the cache record, keeping the rest byte for byte.
fn edit_record(path: &Path, field: &str, edit: impl Fn(&mut serde_json::Value)) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        serde_json::to_string(&file).unwrap(),
        text,
        "round trip is exact"
    );
    if field.is_empty() {
        edit(&mut file);
    } else {
        edit(&mut file["record"][field]);
    }
    std::fs::write(path, serde_json::to_string(&file).unwrap()).unwrap();
}

fn changed(v: &mut serde_json::Value) {
    *v = match v.take() {
        serde_json::Value::Null => serde_json::json!(1),
        serde_json::Value::Bool(b) => serde_json::json!(!b),
        serde_json::Value::Number(n) => serde_json::json!(n.as_i64().unwrap() + 3600),
        serde_json::Value::String(s) => serde_json::json!(format!("{s}x")),
        serde_json::Value::Object(mut o) => {
            let mac = o["hostname"].as_str().unwrap().replace('a', "b");
            o.insert("hostname".into(), serde_json::json!(mac));
            serde_json::Value::Object(o)
        }
        other => other,
    };
}

#[test]
fn every_edited_field_is_tampered() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    let good = std::fs::read(s.cache()).unwrap();
    let record: serde_json::Value = serde_json::from_slice(&good).unwrap();
    let fields: Vec<String> = record["record"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    // The record holds only what the credentials do not.
    assert_eq!(
        fields,
        [
            "instance_id",
            "last_validated",
            "last_answer",
            "last_failure",
            "high_water",
            "revoked",
            "fingerprint"
        ],
    );
    s.emu.stop();
    for field in &fields {
        std::fs::write(s.cache(), &good).unwrap();
        edit_record(&s.cache(), field, changed);
        let st = s.licensor().check().unwrap();
        assert_eq!(
            st.state,
            LicenseState::Tampered,
            "editing {field} went unnoticed"
        );
        assert!(!st.is_licensed());
    }
    for (what, edit) in [
        (
            "mac",
            Box::new(|v: &mut serde_json::Value| {
                let m = v["mac"]
                    .as_str()
                    .unwrap()
                    .replace('a', "b")
                    .replace('1', "2");
                v["mac"] = serde_json::json!(m);
            }) as Box<dyn Fn(&mut serde_json::Value)>,
        ),
        (
            "version",
            Box::new(|v: &mut serde_json::Value| v["version"] = serde_json::json!(3)),
        ),
        (
            "format",
            Box::new(|v: &mut serde_json::Value| v["format"] = serde_json::json!("x")),
        ),
    ] {
        std::fs::write(s.cache(), &good).unwrap();
        edit_record(&s.cache(), "", edit);
        assert_eq!(
            s.licensor().check().unwrap().state,
            LicenseState::Tampered,
            "{what}"
        );
    }
    // The secret id is a hint, read only of a file that fails its MAC: edited on the
    // genuine file, it changes nothing.
    std::fs::write(s.cache(), &good).unwrap();
    edit_record(&s.cache(), "", |v| {
        v["secret_id"] = serde_json::json!("0011223344556677")
    });
    assert_eq!(s.licensor().check().unwrap().state, LicenseState::Active);
    // A file planted with a made-up id beside sealed credentials (which prove this
    // program's secret) is tampered, never an error: set aside and rebuilt online.
    edit_record(&s.cache(), "last_validated", changed);
    let l = s.licensor();
    assert_eq!(l.check_offline().unwrap().state, LicenseState::Tampered);
    s.emu.resume().unwrap();
    let rebuilt = l.check().unwrap();
    assert!(
        rebuilt.recovered && rebuilt.state == LicenseState::Active,
        "{rebuilt:?}"
    );
    // Untouched, it is fine again.
    std::fs::write(s.cache(), &good).unwrap();
    assert_eq!(s.licensor().check().unwrap().state, LicenseState::Active);
}

#[test]
fn garbage_cache_is_kept_aside_and_rebuilt_online() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    std::fs::write(s.cache(), b"\x00\xffnot json at all").unwrap();

    s.emu.stop();
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Tampered);
    // Offline it stays Tampered, however often asked.
    assert_eq!(l.check().unwrap().state, LicenseState::Tampered);

    s.emu.resume().unwrap();
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Active);
    assert!(st.recovered && st.network_used);
    let kept: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("license.json.corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read(s.dir.path().join(&kept[0])).unwrap(),
        b"\x00\xffnot json at all"
    );
    let st = l.check().unwrap();
    assert!(!st.network_used && st.state == LicenseState::Active && !st.recovered);
}

#[test]
fn truncated_cache_is_tampered_not_a_panic() {
    let s = Setup::new(None);
    s.licensor().activate(KEY).unwrap();
    let good = std::fs::read(s.cache()).unwrap();
    s.emu.stop();
    for cut in [0, 1, good.len() / 3, good.len() - 1] {
        std::fs::write(s.cache(), &good[..cut]).unwrap();
        assert_eq!(
            s.licensor().check().unwrap().state,
            LicenseState::Tampered,
            "cut at {cut}"
        );
    }
}

#[test]
fn cache_copied_to_another_machine_is_a_mismatch() {
    let s = Setup::new(None);
    s.licensor().activate(KEY).unwrap();
    let copy = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(s.dir.path()).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), copy.path().join(f.file_name())).unwrap();
    }
    let other = s.licensor_on(copy.path(), "machine-b");
    let st = other.check().unwrap();
    assert_eq!(st.state, LicenseState::FingerprintMismatch);
    assert!(!st.network_used);
    assert_eq!(s.validations(), 0);

    // Breaking the cache on the other machine does not turn into a rebuild there.
    std::fs::write(copy.path().join(CACHE_FILE), b"garbage").unwrap();
    let st = other.check().unwrap();
    assert_eq!(st.state, LicenseState::FingerprintMismatch);
    assert_eq!(s.validations(), 0);

    // The same machine with a small change (hostname) is still fine.
    let mut r = raw("machine-a");
    r.hostname = Some("renamed".into());
    let fp = Fingerprint::from_raw("com.example.Test", &r, Confidence::High);
    let renamed = builder(s.emu.url(), s.dir.path(), s.clock.clone(), fp)
        .build()
        .unwrap();
    assert_eq!(renamed.check().unwrap().state, LicenseState::Active);
}

#[test]
fn two_licensors_in_threads_share_one_revalidation() {
    let s = Setup::new(None);
    s.licensor().activate(KEY).unwrap();
    s.clock.advance(2 * DAY);
    s.emu
        .inject(Endpoint::Validate, Fault::Delay { ms: 200 }, 1);
    let a = s.licensor();
    let b = s.licensor();
    let ta = std::thread::spawn(move || a.check().unwrap());
    let tb = std::thread::spawn(move || b.check().unwrap());
    let (ra, rb) = (ta.join().unwrap(), tb.join().unwrap());
    assert_eq!(ra.state, LicenseState::Active);
    assert_eq!(rb.state, LicenseState::Active);
    assert_eq!(
        s.validations(),
        1,
        "the second waited and used the first one's answer"
    );
    assert!(ra.network_used ^ rb.network_used);
}

#[test]
fn two_processes_share_one_revalidation() {
    let s = Setup::new(None);
    keyseat_tests::licensor_builder("TwoProcesses", s.emu.url(), s.dir.path())
        .clock(s.clock.clone())
        .build()
        .unwrap()
        .activate(KEY)
        .unwrap();
    s.emu
        .inject(Endpoint::Validate, Fault::Delay { ms: 300 }, 1);
    let children: Vec<_> = (0..2)
        .map(|_| {
            crate::child()
                .arg("check-license")
                .arg("--dir")
                .arg(s.dir.path())
                .args(["--url", &s.emu.url()])
                .args(["--time", &(T0 + 2 * 86_400).to_string()])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap())
        .collect();
    for out in &outputs {
        assert!(out.contains("CHILD_STATE=active"), "{out}");
    }
    let used = outputs
        .iter()
        .filter(|o| o.contains("NETWORK=true"))
        .count();
    assert_eq!(used, 1, "{outputs:?}");
    assert_eq!(s.validations(), 1);
}

#[test]
fn watch_reports_revocation() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = l
        .watch(Duration::from_millis(100), move |st| {
            let _ = tx.send(st.state);
        })
        .unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        LicenseState::Active
    );
    s.emu.set_key_status(KEY, KeyStatus::Disabled);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        LicenseState::Revoked
    );
    handle.stop();
    assert!(
        l.watch(Duration::ZERO, |_| {}).is_err(),
        "a zero interval is refused"
    );
    // Stopped: no more callbacks even when the state changes again.
    s.emu.set_key_status(KEY, KeyStatus::Active);
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err());
}

#[test]
fn watch_stops_from_its_own_callback() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let slot: std::sync::Arc<std::sync::Mutex<Option<keyseat::WatchHandle>>> = Default::default();
    let inner = std::sync::Arc::clone(&slot);
    let mut guard = slot.lock().unwrap();
    *guard = Some(
        l.watch(Duration::from_millis(50), move |st| {
            let _ = tx.send(st.state);
            if let Some(handle) = inner.lock().unwrap().take() {
                handle.stop();
                let _ = tx.send(LicenseState::NotActivated); // stop() returned
            }
        })
        .unwrap(),
    );
    drop(guard);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        LicenseState::Active
    );
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        LicenseState::NotActivated,
        "stop() from the callback returned"
    );
    // Stopped: a change of state is no longer reported.
    s.emu.set_key_status(KEY, KeyStatus::Disabled);
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err());
}

#[test]
fn watch_survives_a_panicking_callback() {
    let s = Setup::new(None);
    let l = s.licensor();
    l.activate(KEY).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let _handle = l
        .watch(Duration::from_millis(50), move |st| {
            let _ = tx.send(st.state);
            panic!("callback bug");
        })
        .unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        LicenseState::Active
    );
    s.emu.set_key_status(KEY, KeyStatus::Disabled);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        LicenseState::Revoked
    );
}

#[test]
fn deactivate_frees_the_slot() {
    let s = Setup::new(Some(1));
    let l = s.licensor();
    l.activate(KEY).unwrap();
    assert_eq!(s.emu.instances_of(KEY).len(), 1);
    assert_eq!(l.deactivate(false).unwrap(), Deactivation::SlotFreed);
    assert!(s.emu.instances_of(KEY).is_empty());
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
    assert!(!s.cache().exists());
    // The slot is usable again, here or elsewhere.
    l.activate(KEY).unwrap();
    assert_eq!(s.emu.instances_of(KEY).len(), 1);
    assert!(matches!(
        l.deactivate(false)
            .and_then(|_| l.deactivate(false))
            .unwrap_err()
            .kind(),
        ErrorKind::NotActivated
    ));
}

#[test]
fn deactivate_offline_keeps_state_unless_forced() {
    let s = Setup::new(Some(1));
    let l = s.licensor();
    l.activate(KEY).unwrap();
    s.emu.stop();
    let e = l.deactivate(false).unwrap_err();
    assert!(e.is_unreachable(), "{e:?}");
    assert_eq!(
        l.check().unwrap().state,
        LicenseState::Active,
        "nothing lost"
    );
    assert_eq!(l.deactivate(true).unwrap(), Deactivation::LocalOnly);
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
    s.emu.resume().unwrap();
    assert_eq!(
        s.emu.instances_of(KEY).len(),
        1,
        "the slot is still held on the server"
    );
}

#[test]
fn deactivated_elsewhere_is_revoked_here_and_cleans_up() {
    let s = Setup::new(None);
    let l = s.licensor();
    let st = l.activate(KEY).unwrap();
    let c = keyseat_tests::client(&s.emu.url());
    c.deactivate(&keyseat_tests::key(), st.instance_id.as_ref().unwrap())
        .unwrap();
    s.clock.advance(2 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::Revoked);
    assert_eq!(l.deactivate(false).unwrap(), Deactivation::AlreadyGone);
    // A revoked activation may be replaced by a new one.
    l.activate(KEY).unwrap();
    assert_eq!(l.check().unwrap().state, LicenseState::Active);
}

#[test]
fn ambiguous_activation_keeps_nothing_and_spends_one_slot() {
    let s = Setup::new(Some(2));
    let l = s.licensor();
    s.emu.inject(Endpoint::Activate, Fault::ProcessThenClose, 1);
    let e = l.activate(KEY).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::AmbiguousActivation(_)),
        "{e:?}"
    );
    assert_eq!(s.emu.instances_of(KEY).len(), 1);
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
}

#[test]
fn the_key_is_not_in_the_cache_and_memory_storage_writes_no_key() {
    let s = Setup::new(None);
    s.licensor().activate(KEY).unwrap();
    let cache = std::fs::read_to_string(s.cache()).unwrap();
    assert!(!cache.contains(KEY));
    assert!(!cache.contains(&KEY[..20]));

    let dir = tempfile::tempdir().unwrap();
    let l = Licensor::builder(App::new("com", "Example", "Mem"))
        .product_ids([keyseat_emulator::DEFAULT_PRODUCT_ID])
        .environment(keyseat::api::Environment::Custom(s.emu.url()))
        .data_dir(dir.path())
        .key_storage(KeyStorage::Memory)
        .fingerprint(fingerprint("machine-m"))
        .build()
        .unwrap();
    l.activate(KEY).unwrap();
    assert_eq!(
        l.check().unwrap().key_storage,
        Some(keyseat::StorageKind::Memory)
    );
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(KEY));
    }
}

const OTHER_PRODUCT_KEY: &str = "OTHER-PRODUCT-KEY-5a4b3c2d1e0f9988";
const OTHER_PRODUCT: &str = "pdt_someone_elses_app";

impl Setup {
    /// Adds a key of another merchant's product, with one activation slot.
    fn add_other_product_key(&self) {
        let mut spec = keyseat_emulator::KeySpec::new(OTHER_PRODUCT_KEY).with_limit(1);
        spec.product_id = OTHER_PRODUCT.into();
        self.emu.add_key(spec);
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != keyseat::licensor::LOCK_FILE)
            .collect();
        names.sort();
        names
    }
}

#[test]
fn a_builder_without_a_product_binding_is_refused() {
    let s = Setup::new(None);
    let e = Licensor::builder(App::new("com", "Example", "Test"))
        .data_dir(s.dir.path())
        .build()
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)));
    let text = e.to_string();
    assert!(
        text.contains("product_ids") && text.contains("any_product"),
        "{text}"
    );
    let both = s
        .unbound_on(s.dir.path())
        .product_ids([keyseat_emulator::DEFAULT_PRODUCT_ID])
        .any_product()
        .build();
    assert!(both.is_err(), "product_ids and any_product together");
    let any = s.unbound_on(s.dir.path()).any_product().build().unwrap();
    assert!(any.activate(KEY).unwrap().is_licensed());
}

#[test]
fn a_key_of_another_product_is_released_and_nothing_is_stored() {
    let s = Setup::new(None);
    s.add_other_product_key();
    let l = s.licensor();
    let e = l.activate(OTHER_PRODUCT_KEY).unwrap_err();
    let ErrorKind::WrongProduct {
        product_id,
        release_failed,
    } = e.kind()
    else {
        panic!("expected WrongProduct, got {e:?}");
    };
    assert_eq!(product_id, OTHER_PRODUCT);
    assert_eq!(release_failed, &None);
    let shown = format!("{e} {e:?}");
    assert!(shown.contains(OTHER_PRODUCT) && !shown.contains(OTHER_PRODUCT_KEY));
    assert!(
        s.emu.instances_of(OTHER_PRODUCT_KEY).is_empty(),
        "slot released"
    );
    assert!(s.files().is_empty(), "stored: {:?}", s.files());
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
    // The one slot is free again: the app that sells that product can still use it.
    let owner = s
        .unbound_on(&s.dir.path().join("owner"))
        .product_ids([OTHER_PRODUCT])
        .build()
        .unwrap();
    assert!(owner.activate(OTHER_PRODUCT_KEY).unwrap().is_licensed());
}

#[test]
fn a_failed_release_is_reported_and_the_slot_named() {
    let s = Setup::new(None);
    s.add_other_product_key();
    s.emu.inject(
        Endpoint::Deactivate,
        Fault::Status {
            status: 500,
            retry_after: None,
            retry_after_ms: None,
        },
        10,
    );
    let e = s.licensor().activate(OTHER_PRODUCT_KEY).unwrap_err();
    let ErrorKind::WrongProduct {
        release_failed: Some(why),
        ..
    } = e.kind()
    else {
        panic!("expected a failed release, got {e:?}");
    };
    assert!(why.contains("500"), "{why}");
    assert!(e.to_string().contains("may still be held"), "{e}");
    assert_eq!(s.emu.instances_of(OTHER_PRODUCT_KEY).len(), 1);
    assert!(s.files().is_empty(), "stored: {:?}", s.files());
}

#[test]
fn a_stored_activation_of_a_product_no_longer_accepted_is_wrong_product() {
    let s = Setup::new(None);
    s.licensor().activate(KEY).unwrap();
    let narrowed = || {
        s.unbound_on(s.dir.path())
            .product_ids(["pdt_new_edition"])
            .build()
            .unwrap()
    };
    // Even with a stale cache, nothing asks the server: the product alone decides.
    s.clock.advance(3 * DAY);
    for st in [
        narrowed().check().unwrap(),
        narrowed().check_offline().unwrap(),
        narrowed().revalidate().unwrap(),
    ] {
        assert_eq!(st.state, LicenseState::WrongProduct);
        assert!(!st.is_licensed() && !st.network_used);
        assert_eq!(st.product_id.as_deref(), Some("pdt_emulator"));
    }
    assert_eq!(LicenseState::WrongProduct.name(), "wrong_product");
    assert_eq!(s.validations(), 0);
    // A key of an accepted product replaces it.
    s.add_other_product_key();
    let wider = s
        .unbound_on(s.dir.path())
        .product_ids([OTHER_PRODUCT])
        .build()
        .unwrap();
    wider.activate(OTHER_PRODUCT_KEY).unwrap();
    assert_eq!(wider.check().unwrap().state, LicenseState::Active);
}
