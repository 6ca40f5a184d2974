//! Keygen through the Licensor (issue 23): the whole life of a key, answers whose signature
//! fails in any way refused as no answer, a seat this machine holds already re-used, another
//! product's key refused by scope, and a seat released elsewhere.

use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use keyseat::api::Provider;
use keyseat::clock::ManualClock;
use keyseat::{Deactivation, ErrorCode, ErrorKind, LicenseState, Licensor};
use keyseat_emulator::{Emulator, Endpoint, Fault, KeyStatus};
use keyseat_tests::{KEY, KEYGEN_ACCOUNT, Seller, machine, signing_emulator};

const DAY: Duration = Duration::from_secs(86_400);

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(SystemTime::now()))
}

fn licensor(emu: &Emulator, dir: &std::path::Path, c: &Arc<ManualClock>) -> Licensor {
    Seller::Keygen
        .licensor_builder("Keygen", emu.url(), dir)
        .clock(c.clone())
        .build()
        .unwrap()
}

/// This test machine's fingerprint as Keygen is sent it.
fn fingerprint() -> String {
    machine("Keygen").components().machine_id.to_hex()
}

#[test]
fn the_whole_life_of_a_keygen_key() {
    let emu = Seller::Keygen.emulator(Some(2));
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = licensor(&emu, dir.path(), &c);
    let active = l.activate(KEY).unwrap();
    assert_eq!(active.state, LicenseState::Active);
    assert_eq!(active.provider.as_deref(), Some("keygen"));
    assert!(active.holds_seat);
    assert!(!format!("{active:?}").contains(KEY));
    let machines = emu.instances_of(KEY);
    assert_eq!(machines.len(), 1);
    assert_eq!(
        machines[0].fingerprint.as_deref(),
        Some(fingerprint().as_str())
    );
    assert_eq!(
        active.instance_id.as_ref().unwrap().as_str(),
        machines[0].id
    );
    assert!(
        !machines[0]
            .fingerprint
            .as_deref()
            .unwrap()
            .contains("Keygen-machine-id"),
        "only the per-app hash is sent"
    );

    c.advance(2 * DAY);
    let checked = l.check().unwrap();
    assert!(checked.network_used && checked.state == LicenseState::Active);

    emu.set_key_status(KEY, KeyStatus::Disabled);
    assert_eq!(l.revalidate().unwrap().state, LicenseState::Revoked);
    emu.set_key_status(KEY, KeyStatus::Active);
    assert_eq!(l.revalidate().unwrap().state, LicenseState::Active);

    assert_eq!(l.deactivate(false).unwrap(), Deactivation::SlotFreed);
    assert!(emu.instances_of(KEY).is_empty());
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
}

/// Every way a validation answer can fail its signature: the license stays in grace, never
/// confirmed, never revoked.
#[test]
fn a_validation_that_fails_its_signature_is_no_answer() {
    for fault in [
        Fault::BadSignature,
        Fault::NoSignature,
        Fault::StaleSignature,
        Fault::ForgedBody,
        Fault::TruncatedBody,
    ] {
        let emu = Seller::Keygen.emulator(None);
        let dir = tempfile::tempdir().unwrap();
        let c = clock();
        let l = licensor(&emu, dir.path(), &c);
        l.activate(KEY).unwrap();
        c.advance(2 * DAY);
        // Suspended: the genuine answer says "not valid"; a forger turns it into "valid".
        emu.set_key_status(KEY, KeyStatus::Disabled);
        emu.inject(Endpoint::Validate, fault.clone(), 10);
        let st = l.check().unwrap();
        assert!(
            matches!(st.state, LicenseState::Grace { .. }),
            "{fault:?}: {:?}",
            st.state
        );
        assert!(st.network_used);
        // The genuine answer, once the faults are gone, is heard.
        emu.clear_faults();
        assert_eq!(
            l.revalidate().unwrap().state,
            LicenseState::Revoked,
            "{fault:?}"
        );
    }
}

#[test]
fn an_activation_whose_answer_fails_its_signature_is_ambiguous_and_stores_nothing() {
    for fault in [
        Fault::BadSignature,
        Fault::NoSignature,
        Fault::StaleSignature,
        Fault::ForgedBody,
    ] {
        let emu = Seller::Keygen.emulator(None);
        emu.inject(Endpoint::Activate, fault.clone(), 1);
        let dir = tempfile::tempdir().unwrap();
        let l = licensor(&emu, dir.path(), &clock());
        let e = l.activate(KEY).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::AmbiguousActivation(_)),
            "{fault:?}: {e:?}"
        );
        assert!(!e.to_string().contains(KEY));
        assert_eq!(l.check_offline().unwrap().state, LicenseState::NotActivated);
        assert_eq!(
            emu.request_count(Endpoint::Activate),
            1,
            "{fault:?}: one request"
        );
        // The machine the server made is this machine's seat: the next activation finds
        // it, and spends no other.
        let again = l.activate(KEY).unwrap();
        assert_eq!(again.state, LicenseState::Active);
        assert_eq!(emu.instances_of(KEY).len(), 1, "{fault:?}");
        assert_eq!(emu.request_count(Endpoint::Activate), 1, "{fault:?}");
    }
}

#[test]
fn a_wrong_public_key_refuses_every_answer() {
    let emu = Seller::Keygen.emulator(None);
    let dir = tempfile::tempdir().unwrap();
    // RFC 8032's first test key: a genuine key, of another account.
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let l = Seller::Keygen
        .licensor_builder("Keygen", emu.url(), dir.path())
        .provider(Provider::keygen(KEYGEN_ACCOUNT, other))
        .build()
        .unwrap();
    let e = l.activate(KEY).unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadSignature, "{e}");
    assert!(e.is_unreachable() && !e.is_rejection());
    assert!(emu.instances().is_empty(), "nothing was spent");
    assert_eq!(l.check_offline().unwrap().state, LicenseState::NotActivated);

    // An activation made with the right key, checked with the wrong one: grace.
    let c = clock();
    licensor(&emu, dir.path(), &c).activate(KEY).unwrap();
    c.advance(2 * DAY);
    let wrong = Seller::Keygen
        .licensor_builder("Keygen", emu.url(), dir.path())
        .provider(Provider::keygen(KEYGEN_ACCOUNT, other))
        .clock(c.clone())
        .build()
        .unwrap();
    assert!(matches!(
        wrong.check().unwrap().state,
        LicenseState::Grace { .. }
    ));
}

#[test]
fn fingerprint_taken_reuses_the_seat() {
    // Two copies of the app on one machine activate at once: both hear "no machine" from
    // the validation, both create one; the second hears FINGERPRINT_TAKEN, finds the
    // first's machine, and spends nothing.
    let emu = Seller::Keygen.emulator(Some(2));
    emu.inject(Endpoint::Activate, Fault::Delay { ms: 800 }, 1);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let start = Arc::new(Barrier::new(2));
    let url = emu.url();
    let run = |dir: std::path::PathBuf, wait: u64| {
        let (start, url) = (start.clone(), url.clone());
        std::thread::spawn(move || {
            let l = Seller::Keygen
                .licensor_builder("Keygen", url, &dir)
                .build()
                .unwrap();
            start.wait();
            std::thread::sleep(Duration::from_millis(wait));
            l.activate(KEY)
        })
    };
    let slow = run(a.path().to_owned(), 0);
    let fast = run(b.path().to_owned(), 200);
    let (slow, fast) = (slow.join().unwrap().unwrap(), fast.join().unwrap().unwrap());
    assert_eq!(
        slow.instance_id, fast.instance_id,
        "one seat for one machine"
    );
    assert_eq!(emu.instances_of(KEY).len(), 1);
    assert_eq!(
        emu.request_count(Endpoint::Activate),
        2,
        "both tried to create it"
    );
}

#[test]
fn another_products_key_is_refused_by_scope() {
    let other = Seller::Keygen
        .spec("KEYGEN-OTHER-PRODUCT-0001", Some(1))
        .of_product("0c1e3c0e-0000-4000-8000-0000000000bb");
    let emu = signing_emulator(vec![other]);
    let dir = tempfile::tempdir().unwrap();
    let l = licensor(&emu, dir.path(), &clock());
    let e = l.activate("KEYGEN-OTHER-PRODUCT-0001").unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongProduct, "{e}");
    assert!(emu.instances().is_empty(), "no machine was made");
    assert_eq!(emu.request_count(Endpoint::Activate), 0);
}

#[test]
fn a_seat_released_elsewhere_is_not_activated_here_not_revoked() {
    let emu = Seller::Keygen.emulator(Some(1));
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = licensor(&emu, dir.path(), &c);
    let instance = l.activate(KEY).unwrap().instance_id.unwrap();
    // The customer frees this machine's seat from another one.
    let elsewhere = tempfile::tempdir().unwrap();
    let other = licensor(&emu, elsewhere.path(), &c);
    assert_eq!(
        other.release_instance(KEY, instance.as_str()).unwrap(),
        Deactivation::SlotFreed
    );
    c.advance(2 * DAY);
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::NotActivated);
    assert!(st.network_used);
    // Nothing is left that names the released seat, and the key activates again.
    assert_eq!(l.check_offline().unwrap().state, LicenseState::NotActivated);
    assert_eq!(l.activate(KEY).unwrap().state, LicenseState::Active);
}

#[test]
fn keygen_refusals_are_typed() {
    let emu = Seller::Keygen.emulator(Some(1));
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    licensor(&emu, a.path(), &clock()).activate(KEY).unwrap();
    let other_machine = Seller::Keygen
        .licensor_builder("Keygen", emu.url(), b.path())
        .fingerprint(machine("another machine"))
        .build()
        .unwrap();
    let e = other_machine.activate(KEY).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitReached, "{e}");
    let e = other_machine
        .activate("KEYGEN-NO-SUCH-KEY-0001")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotFound, "{e}");
    emu.set_key_status(KEY, KeyStatus::Expired);
    let e = other_machine.activate(KEY).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InactiveKey, "{e}");
    assert_eq!(emu.authorization_headers_seen(), 0);
}

/// A server (or a proxy) that answers every request `200 OK` with a body cut short.
fn cut_body_server() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut stream = reader.into_inner();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n{\"da");
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    });
    url
}

/// A deactivation's 2xx is the whole answer only where answers are not signed: from
/// Keygen, a success whose body did not arrive whole cannot be checked, and is no answer.
#[test]
fn a_success_whose_body_was_cut_is_no_answer_from_a_signing_provider() {
    let url = cut_body_server();
    let key = keyseat::LicenseKey::new(KEY).unwrap();
    let instance = keyseat::InstanceId::new("m-1").unwrap();
    let client = |provider: Provider| {
        keyseat::api::Client::builder()
            .provider(provider)
            .environment(keyseat::api::Environment::Custom(url.clone()))
            .retry_policy(keyseat_tests::fast_retries())
            .build()
            .unwrap()
    };
    let e = client(Seller::Keygen.provider())
        .deactivate(&key, &instance)
        .unwrap_err();
    assert!(e.is_unreachable() && !e.is_rejection(), "{e:?}");
    // Dodo's status is its answer: its body is empty anyway.
    client(Provider::dodo())
        .deactivate(&key, &instance)
        .unwrap();
}
