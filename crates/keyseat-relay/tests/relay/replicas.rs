//! Two relay replicas on one PostgreSQL database, as behind a load balancer: a webhook
//! delivered to one, the revocation seen through the other, with no call to Dodo.

use keyseat::LicenseKey;
use keyseat::api::{Client, Provider};
use keyseat_emulator::{Emulator, Endpoint, KeySpec, KeyStatus};
use keyseat_relay::Spawned;

use crate::support::{API_KEY, Db, WEBHOOK_SECRET, machine_named, postgres, settings, webhook_url};

/// Another key than the other tests' on the shared database.
const KEY: &str = "RELAY-REPLICAS-KEY-0001";

#[test]
#[ignore = "needs PostgreSQL: KEYSEAT_TEST_POSTGRES_URL (see .ci/run)"]
fn a_webhook_to_one_replica_is_heard_through_the_other() {
    let db = Db::Postgres(postgres().expect("KEYSEAT_TEST_POSTGRES_URL"));
    let emu = Emulator::start(vec![KeySpec::new(KEY).with_limit(1)]).unwrap();
    emu.set_api_key(API_KEY);
    let one = Spawned::start(settings(&emu.url(), &db)).unwrap();
    let two = Spawned::start(settings(&emu.url(), &db)).unwrap();
    emu.set_webhook(&webhook_url(&one), WEBHOOK_SECRET).unwrap();
    let client = |relay: &Spawned| {
        Client::builder()
            .provider(Provider::relay(
                relay.url(),
                relay.public_keys().iter().cloned(),
            ))
            .build()
            .unwrap()
    };
    let key = LicenseKey::new(KEY).unwrap();
    let machine = machine_named("a").id();
    let a = client(&one)
        .activate_machine(&key, "a", Some(&machine))
        .unwrap();
    // The other replica knows the activation and its machine.
    let v = client(&two)
        .validate_machine(&key, Some(&a.id), Some(&machine))
        .unwrap();
    assert!(v.valid);
    let other = machine_named("b").id();
    assert!(
        client(&two)
            .validate_machine(&key, Some(&a.id), Some(&other))
            .unwrap()
            .not_activated_here
    );

    let before = emu.request_count(Endpoint::Validate);
    emu.set_key_status(KEY, KeyStatus::Disabled);
    assert_eq!(
        emu.sent_webhooks().last().unwrap().status,
        Some(204),
        "delivered to one"
    );
    let v = client(&two)
        .validate_machine(&key, Some(&a.id), Some(&machine))
        .unwrap();
    assert!(!v.valid, "revoked, through the other");
    assert_eq!(
        emu.request_count(Endpoint::Validate),
        before,
        "with no call to Dodo"
    );
}
