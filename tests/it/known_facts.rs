//! What a customer can see (issue 29): the status shows the key's expiry, activation limit,
//! seats in use and entitlements as the provider last said them, offline too, and nothing a
//! provider does not say; the seats of a key are listed where the provider can list them
//! (Keygen here; the relay in `crates/keyseat-relay/tests`), and the others say they cannot.

use keyseat::{ErrorCode, ErrorKind, LicenseState};
use keyseat_tests::{KEY, Seller, machine};

#[test]
fn the_status_shows_the_limit_and_seats_in_use_as_the_provider_last_said() {
    for seller in [Seller::LemonSqueezy, Seller::Keygen] {
        let emu = seller.emulator(Some(3));
        let dir = tempfile::tempdir().unwrap();
        let l = seller
            .licensor_builder("Facts", emu.url(), dir.path())
            .build()
            .unwrap();
        let active = l.activate(KEY).unwrap();
        assert_eq!(active.activation_limit, Some(3), "{seller:?}");
        // A second machine takes a seat; the next validation says so.
        let other = tempfile::tempdir().unwrap();
        seller
            .licensor_builder("Facts", emu.url(), other.path())
            .fingerprint(machine("another"))
            .build()
            .unwrap()
            .activate(KEY)
            .unwrap();
        let checked = l.revalidate().unwrap();
        assert_eq!(checked.state, LicenseState::Active);
        assert_eq!(
            (checked.activation_limit, checked.activations_used),
            (Some(3), Some(2)),
            "{seller:?}"
        );
        // Offline, from the MAC'd cache.
        let offline = l.check_offline().unwrap();
        assert_eq!(
            (offline.activation_limit, offline.activations_used),
            (Some(3), Some(2)),
            "{seller:?}"
        );
        assert_eq!(offline.entitlements, None, "{seller:?} says none");
    }
}

#[test]
fn dodo_says_nothing_and_nothing_is_guessed() {
    let emu = Seller::Dodo.emulator(Some(3));
    let dir = tempfile::tempdir().unwrap();
    let l = Seller::Dodo
        .licensor_builder("Facts", emu.url(), dir.path())
        .build()
        .unwrap();
    l.activate(KEY).unwrap();
    let s = l.revalidate().unwrap();
    assert_eq!(
        (
            s.activation_limit,
            s.activations_used,
            s.expires_at,
            s.entitlements
        ),
        (None, None, None, None)
    );
    assert!(s.customer_email.is_some(), "Dodo's activation gives it");
}

#[test]
fn keygen_lists_the_seats_and_marks_this_machines() {
    let emu = Seller::Keygen.emulator(Some(3));
    let (here, there) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let l = Seller::Keygen
        .licensor_builder("Seats", emu.url(), here.path())
        .build()
        .unwrap();
    let mine = l.activate(KEY).unwrap().instance_id.unwrap();
    let other = Seller::Keygen
        .licensor_builder("Seats", emu.url(), there.path())
        .fingerprint(machine("old laptop"))
        .build()
        .unwrap();
    let theirs = other.activate(KEY).unwrap().instance_id.unwrap();
    let seats = l.seats(None).unwrap();
    assert_eq!(seats.len(), 2);
    let this: Vec<_> = seats.iter().filter(|s| s.this_machine).collect();
    assert_eq!(this.len(), 1);
    assert_eq!(this[0].id, mine);
    let old = seats.iter().find(|s| !s.this_machine).unwrap();
    assert_eq!(old.id, theirs);
    assert!(old.name.contains("old laptop"), "{old:?}");
    // Freed from here, by the id the listing gave.
    l.release_instance(KEY, old.id.as_str()).unwrap();
    assert_eq!(l.seats(Some(KEY)).unwrap().len(), 1);
}

#[test]
fn providers_that_cannot_list_seats_say_so() {
    for seller in [Seller::Dodo, Seller::LemonSqueezy, Seller::Polar] {
        let emu = seller.emulator(Some(3));
        let dir = tempfile::tempdir().unwrap();
        let l = seller
            .licensor_builder("Seats", emu.url(), dir.path())
            .build()
            .unwrap();
        let e = l.seats(Some(KEY)).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Unsupported(_)),
            "{seller:?}: {e}"
        );
        assert_eq!(e.code(), ErrorCode::Unsupported);
        assert!(!e.to_string().contains(KEY));
        let requests = emu.request_count(keyseat_emulator::Endpoint::Validate);
        assert_eq!(requests, 0, "{seller:?}: nothing was sent");
        // Not activated, and no key given: nothing to list.
        assert_eq!(
            l.seats(None).unwrap_err().code(),
            ErrorCode::NotActivated,
            "{seller:?}"
        );
    }
}
