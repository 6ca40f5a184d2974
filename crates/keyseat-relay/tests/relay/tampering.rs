//! A proxy between the app and the relay (a TLS-inspecting one, a patched hosts file) that
//! changes an answer's body, strips its signature or replays an earlier answer: each is no
//! answer at all. Nothing is stored from it, and the license stays in its grace period.

use std::time::Duration;

use keyseat::LicenseState;
use keyseat_emulator::KeyStatus;

use crate::support::{KEY, Proxy, Tamper, World, clock};

const DAY: Duration = Duration::from_secs(86_400);

#[test]
fn a_changed_stripped_or_replayed_answer_is_no_answer_and_keeps_grace() {
    let world = World::new(1);
    let proxy = Proxy::start(&world.relay.url());
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = world.licensor(proxy.url(), dir.path(), "laptop", &c);
    assert_eq!(l.activate(KEY).unwrap().state, LicenseState::Active);
    let cache = std::fs::read(dir.path().join(keyseat::CACHE_FILE)).unwrap();

    // One genuine validation passes through, for the proxy to replay later.
    proxy.set(Tamper::Replay);
    c.advance(2 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::Active);
    let confirmed = std::fs::read(dir.path().join(keyseat::CACHE_FILE)).unwrap();
    assert_ne!(cache, confirmed);

    // The seller revokes the key; every forger tries to keep it valid.
    world.emu.set_key_status(KEY, KeyStatus::Disabled);
    for tamper in [
        Tamper::Replay,
        Tamper::Body("\"invalid\"".into(), "\"valid\"".into()),
        Tamper::StripSignature,
    ] {
        proxy.set(tamper.clone());
        c.advance(2 * DAY);
        let st = l.check().unwrap();
        assert!(
            matches!(st.state, LicenseState::Grace { .. }),
            "{tamper:?}: {:?}",
            st.state
        );
        assert!(st.network_used, "{tamper:?}");
        let after = std::fs::read(dir.path().join(keyseat::CACHE_FILE)).unwrap();
        let record: serde_json::Value = serde_json::from_slice(&after).unwrap();
        assert_eq!(
            record["record"]["revoked"], false,
            "{tamper:?}: nothing believed"
        );
    }
    // Left alone, the genuine answer is heard.
    proxy.set(Tamper::Nothing);
    c.advance(DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::Revoked);
}

#[test]
fn an_activation_whose_answer_is_forged_is_ambiguous_and_stores_nothing() {
    let world = World::new(1);
    let proxy = Proxy::start(&world.relay.url());
    proxy.set(Tamper::StripSignature);
    let dir = tempfile::tempdir().unwrap();
    let l = world.licensor(proxy.url(), dir.path(), "laptop", &clock());
    let e = l.activate(KEY).unwrap_err();
    assert_eq!(e.code(), keyseat::ErrorCode::AmbiguousActivation, "{e}");
    assert!(!dir.path().join(keyseat::CREDENTIALS_FILE).exists());
}

#[test]
fn the_relay_down_is_grace() {
    let mut world = World::new(1);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = world.licensor(&world.relay.url(), dir.path(), "laptop", &c);
    l.activate(KEY).unwrap();
    world.relay.stop();
    c.advance(2 * DAY);
    let st = l.check().unwrap();
    assert!(
        matches!(st.state, LicenseState::Grace { .. }),
        "{:?}",
        st.state
    );
    c.advance(15 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::GraceExpired);
}
