//! A key's whole life through the relay: activated, checked from the cache and revalidated,
//! revoked by a webhook (seen with no call to Dodo), restored, deactivated.

use std::time::Duration;

use keyseat::api::{Client, Provider};
use keyseat::{Deactivation, LicenseKey, LicenseState};
use keyseat_emulator::{Endpoint, KeyStatus};

use crate::support::{Db, KEY, World, clock, machine_named, postgres};

const DAY: Duration = Duration::from_secs(86_400);

fn the_whole_life(world: &World) {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = world.licensor(&world.relay.url(), dir.path(), "laptop", &c);
    let active = l.activate(KEY).unwrap();
    assert_eq!(active.state, LicenseState::Active);
    assert_eq!(active.provider.as_deref(), Some("relay"));
    assert_eq!(world.emu.instances_of(KEY).len(), 1);

    // Fresh: no network. Two days later by the app's clock it asks the relay, which answers
    // from its store: by the relay's own (real) clock, Dodo confirmed the activation moments
    // ago.
    assert!(!l.check().unwrap().network_used);
    c.advance(2 * DAY);
    let before = world.emu.request_count(Endpoint::Validate);
    let st = l.check().unwrap();
    assert!(
        st.network_used && st.state == LicenseState::Active,
        "{st:?}"
    );
    assert_eq!(
        world.emu.request_count(Endpoint::Validate),
        before,
        "answered from the relay's store: Dodo confirmed it within 15 minutes"
    );

    // The seller disables the key: Dodo's webhook reaches the relay, which says revoked at
    // the next validation with no call to Dodo.
    world.emu.set_key_status(KEY, KeyStatus::Disabled);
    assert_eq!(world.emu.sent_webhooks().last().unwrap().status, Some(204));
    let before = world.emu.request_count(Endpoint::Validate);
    assert_eq!(l.revalidate().unwrap().state, LicenseState::Revoked);
    assert_eq!(
        world.emu.request_count(Endpoint::Validate),
        before,
        "no call"
    );
    assert_eq!(l.check_offline().unwrap().state, LicenseState::Revoked);

    // Enabled again: the relay asks Dodo, which confirms.
    world.emu.set_key_status(KEY, KeyStatus::Active);
    assert_eq!(l.revalidate().unwrap().state, LicenseState::Active);
    assert_eq!(world.emu.request_count(Endpoint::Validate), before + 1);

    assert_eq!(l.deactivate(false).unwrap(), Deactivation::SlotFreed);
    assert!(world.emu.instances_of(KEY).is_empty());
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
}

#[test]
fn the_whole_life_of_a_key_through_the_relay_on_sqlite() {
    the_whole_life(&World::new(1));
}

#[test]
#[ignore = "needs PostgreSQL: KEYSEAT_TEST_POSTGRES_URL (see .ci/run)"]
fn the_whole_life_of_a_key_through_the_relay_on_postgresql() {
    let url = postgres().expect("KEYSEAT_TEST_POSTGRES_URL");
    let world = World::on(1, &Db::Postgres(url), tempfile::tempdir().unwrap(), |s| s);
    // Another key than other tests' on the shared database.
    the_whole_life(&world);
}

/// What the relay knows beyond Dodo's public answers: the key's status, expiry, limit and
/// use, and the customer's license-key grants, in every signed answer.
#[test]
fn a_signed_validation_carries_what_the_api_key_knows() {
    let world = World::new(3);
    let client = Client::builder()
        .provider(Provider::relay(
            world.relay.url(),
            world.relay.public_keys().iter().cloned(),
        ))
        .build()
        .unwrap();
    let key = LicenseKey::new(KEY).unwrap();
    let machine = machine_named("desk").id();
    let activation = client
        .activate_machine(&key, "desk", Some(&machine))
        .unwrap();
    let l = &activation.license;
    assert_eq!(l.license_key_id, "lic_0001");
    assert_eq!(l.product_id, keyseat_emulator::DEFAULT_PRODUCT_ID);
    assert_eq!(l.customer_email.as_deref(), Some("customer@example.com"));
    assert_eq!((l.activation_limit, l.activations_used), (Some(3), Some(1)));
    assert_eq!(l.status.as_deref(), Some("active"));
    let grants = l.entitlements.clone().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(
        (grants[0].id.as_str(), grants[0].status.as_deref()),
        ("ent_emulator", Some("Delivered"))
    );
    let v = client
        .validate_machine(&key, Some(&activation.id), Some(&machine))
        .unwrap();
    assert!(v.valid && !v.not_activated_here);
    assert_eq!(v.license.unwrap().activations_used, Some(1));
    // A refusal is signed too, and read as Dodo's.
    let e = client
        .activate_machine(
            &LicenseKey::new("NO-SUCH-KEY-000000").unwrap(),
            "x",
            Some(&machine),
        )
        .unwrap_err();
    assert_eq!(e.code(), keyseat::ErrorCode::KeyNotFound, "{e}");
}
