//! Seats a customer can free (issue 21): an instance released from another machine, names a
//! person recognises, and the name an activation whose answer was lost leaves behind.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::clock::ManualClock;
use keyseat::{Deactivation, ErrorCode, ErrorKind, LicenseState, Licensor};
use keyseat_emulator::{Endpoint, Fault};
use keyseat_tests::{KEY, emulator, licensor_builder, machine};

const T0: u64 = 1_800_000_000;

fn licensor(url: &str, dir: &std::path::Path, name: &str, clock: &Arc<ManualClock>) -> Licensor {
    licensor_builder("Seats", url, dir)
        .fingerprint(machine(name))
        .clock(clock.clone())
        .build()
        .unwrap()
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0),
    ))
}

#[test]
fn a_replaced_laptop_frees_the_old_ones_seat_from_the_new_one() {
    let emu = emulator(Some(1));
    let (old_dir, new_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let c = clock();
    let old = licensor(&emu.url(), old_dir.path(), "old-laptop", &c);
    let noted = old.activate(KEY).unwrap();
    let instance = noted.instance_id.clone().unwrap();
    assert!(
        noted
            .instance_name
            .as_deref()
            .unwrap()
            .starts_with("old-laptop (")
    );

    let new = licensor(&emu.url(), new_dir.path(), "new-laptop", &c);
    let e = new.activate(KEY).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitReached);
    assert_eq!(
        new.release_instance(&format!("  {KEY}\n"), instance.as_str())
            .unwrap(),
        Deactivation::SlotFreed
    );
    assert!(emu.instances_of(KEY).is_empty());
    assert_eq!(new.activate(KEY).unwrap().state, LicenseState::Active);
    // Once freed, freeing again is no error: the server no longer knows it.
    assert_eq!(
        new.release_instance(KEY, instance.as_str()).unwrap(),
        Deactivation::AlreadyGone
    );
    // The old laptop, if it ever comes back online, learns it lost the seat.
    assert_eq!(old.revalidate().unwrap().state, LicenseState::Revoked);
    // Nothing of the new laptop's own activation was touched.
    assert_eq!(new.check().unwrap().state, LicenseState::Active);
}

#[test]
fn releasing_this_machines_own_instance_removes_its_local_state() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = licensor(&emu.url(), dir.path(), "a", &c);
    let id = l.activate(KEY).unwrap().instance_id.unwrap();
    l.release_instance(KEY, id.as_str()).unwrap();
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
    assert!(!dir.path().join(keyseat::CACHE_FILE).exists());
    for bad in ["", " ", "lki\n1"] {
        let e = l.release_instance(KEY, bad).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::InvalidInput(_)),
            "{bad:?}: {e}"
        );
    }
}

#[test]
fn activations_are_named_for_people_with_or_without_the_host() {
    let emu = emulator(None);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let c = clock();
    let st = licensor(&emu.url(), a.path(), "Ada's ThinkPad", &c)
        .activate(KEY)
        .unwrap();
    let tag = &machine("Ada's ThinkPad").id()[..6];
    let expected = format!("Ada's ThinkPad (TestOS 1) · {tag}");
    assert_eq!(st.instance_name.as_deref(), Some(expected.as_str()));
    assert!(emu.instances_of(KEY).iter().any(|i| i.name == expected));
    let private = licensor_builder("Seats", emu.url(), b.path())
        .fingerprint(machine("Ada's ThinkPad"))
        .instance_names_include_host(false)
        .build()
        .unwrap()
        .activate(KEY)
        .unwrap();
    assert_eq!(
        private.instance_name.as_deref(),
        Some(format!("(TestOS 1) · {tag}").as_str())
    );
}

#[test]
fn a_lost_answer_leaves_its_name_for_the_limit_message_and_status() {
    let emu = emulator(Some(1));
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = licensor(&emu.url(), dir.path(), "ada-laptop", &c);
    emu.inject(Endpoint::Activate, Fault::ProcessThenClose, 1);
    let e = l.activate(KEY).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::AmbiguousActivation(_)), "{e}");
    assert_eq!(emu.instances_of(KEY).len(), 1, "the server made it");
    let name = l.fingerprint().instance_name(true);

    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::NotActivated);
    let pending = st.pending_activation.expect("the pending name");
    assert_eq!(pending.name, name);
    assert_eq!(pending.at, SystemTime::UNIX_EPOCH + Duration::from_secs(T0));

    c.advance(Duration::from_secs(86_400));
    let e = l.activate(KEY).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitReached);
    let text = e.to_string();
    assert!(
        text.contains(&format!(
            "an activation named '{name}' may have been created on 2027-01-15 when the \
             server's answer was lost; it may be holding a seat: ask the vendor to release it"
        )),
        "{text}"
    );
    assert!(!text.contains(KEY));
    let remembered = std::fs::read_to_string(dir.path().join("pending-activation.json")).unwrap();
    assert!(!remembered.contains(KEY), "{remembered}");

    // Released by the vendor, then activated: the name is forgotten.
    let lost = emu.instances_of(KEY)[0].id.clone();
    l.release_instance(KEY, &lost).unwrap();
    l.activate(KEY).unwrap();
    l.deactivate(false).unwrap();
    assert_eq!(l.check().unwrap().pending_activation, None);
}

#[test]
fn a_lost_name_is_forgotten_after_thirty_days() {
    let emu = emulator(Some(1));
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = licensor(&emu.url(), dir.path(), "a", &c);
    emu.inject(Endpoint::Activate, Fault::ProcessThenClose, 1);
    l.activate(KEY).unwrap_err();
    c.advance(Duration::from_secs(30 * 86_400 - 1));
    assert!(l.check().unwrap().pending_activation.is_some());
    c.advance(Duration::from_secs(1));
    assert_eq!(l.check().unwrap().pending_activation, None);
    let e = l.activate(KEY).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitReached);
    assert!(e.note().is_none(), "{e}");
}
