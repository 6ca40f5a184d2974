//! The relay binds each instance to the machine that activated it, which Dodo does not:
//! credentials copied to another machine are refused by the server too.

use std::time::Duration;

use keyseat::api::{Client, Provider};
use keyseat::{LicenseKey, LicenseState};

use crate::support::{KEY, World, clock, machine_named};

#[test]
fn an_instance_validated_from_another_machine_is_not_activated_there() {
    let world = World::new(2);
    let client = Client::builder()
        .provider(Provider::relay(
            world.relay.url(),
            world.relay.public_keys().iter().cloned(),
        ))
        .build()
        .unwrap();
    let key = LicenseKey::new(KEY).unwrap();
    let here = machine_named("a").id();
    let a = client.activate_machine(&key, "a", Some(&here)).unwrap();
    assert!(
        client
            .validate_machine(&key, Some(&a.id), Some(&here))
            .unwrap()
            .valid
    );
    let elsewhere = machine_named("b").id();
    let v = client
        .validate_machine(&key, Some(&a.id), Some(&elsewhere))
        .unwrap();
    assert!(!v.valid && v.not_activated_here);
}

/// A twin of the activating machine (its other facts equal, its machine id not), holding a
/// copy of its data directory: the app there is no longer activated, and the original
/// keeps its seat.
#[test]
fn a_copied_data_directory_loses_its_activation_on_the_twin() {
    let world = World::new(1);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    world
        .licensor(&world.relay.url(), dir.path(), "a/twin", &c)
        .activate(KEY)
        .unwrap();
    c.advance(Duration::from_secs(2 * 86_400));
    let twin = world.licensor(&world.relay.url(), dir.path(), "b/twin", &c);
    assert_eq!(twin.check().unwrap().state, LicenseState::NotActivated);
    assert_eq!(
        world.emu.instances_of(KEY).len(),
        1,
        "the original's seat is untouched"
    );
}
