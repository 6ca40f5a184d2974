//! Dodo down, or its budget spent: the relay never invents an answer. A confirmation within
//! the maximum staleness answers, marked stale; anything else is an unsigned 503, which the
//! app takes for no answer (its grace period).

use std::time::Duration;

use keyseat::api::{Client, Provider};
use keyseat::{LicenseKey, LicenseState};
use keyseat_emulator::Endpoint;
use keyseat_relay::config::Rate;

use crate::support::{Db, KEY, World, clock, machine_named};

const DAY: Duration = Duration::from_secs(86_400);

/// A world whose relay asks Dodo at every validation (no freshness window) and answers
/// stale for at most `staleness`.
fn world(staleness: Duration) -> World {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::Sqlite(dir.path().to_owned());
    World::on(1, &db, dir, |mut s| {
        s.freshness = Duration::ZERO;
        s.max_staleness = staleness;
        s
    })
}

#[test]
fn dodo_down_answers_stale_within_the_maximum_staleness_and_no_verdict_beyond() {
    let w = world(Duration::from_secs(3600));
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = w.licensor(&w.relay.url(), dir.path(), "laptop", &c);
    l.activate(KEY).unwrap();
    w.emu.stop();
    c.advance(2 * DAY);
    // Confirmed at activation, moments ago: stale, but an answer.
    let st = l.check().unwrap();
    assert_eq!(st.state, LicenseState::Active, "a stale answer, signed");
    // A relay that keeps no stale answer: no verdict, so the app is in grace.
    let strict = world(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let l = strict.licensor(&strict.relay.url(), dir.path(), "laptop", &c);
    l.activate(KEY).unwrap();
    strict.emu.stop();
    c.advance(2 * DAY);
    assert!(matches!(
        l.check().unwrap().state,
        LicenseState::Grace { .. }
    ));
}

#[test]
fn dodos_budget_is_never_overspent_and_an_activation_beyond_it_is_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::Sqlite(dir.path().to_owned());
    let w = World::on(100, &db, dir, |mut s| {
        s.freshness = Duration::ZERO;
        s.max_staleness = Duration::ZERO;
        s.upstream_public_rate = Rate {
            per_second: 100,
            per_minute: 3,
        };
        s
    });
    let client = Client::builder()
        .provider(Provider::relay(
            w.relay.url(),
            w.relay.public_keys().iter().cloned(),
        ))
        .retry_policy(keyseat::api::RetryPolicy::never())
        .build()
        .unwrap();
    let key = LicenseKey::new(KEY).unwrap();
    let machine = machine_named("desk").id();
    let a = client
        .activate_machine(&key, "desk", Some(&machine))
        .unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        outcomes.push(
            client
                .validate_machine(&key, Some(&a.id), Some(&machine))
                .is_ok(),
        );
    }
    assert_eq!(
        outcomes,
        [true, true, false, false, false],
        "3 a minute: 1 spent activating"
    );
    assert_eq!(w.emu.request_count(Endpoint::Validate), 2);
    // An activation beyond the budget is held back (429), never sent.
    let e = client
        .activate_machine(&key, "other", Some(&machine))
        .unwrap_err();
    assert_eq!(e.code(), keyseat::ErrorCode::RateLimited, "{e}");
    assert_eq!(w.emu.instances_of(KEY).len(), 1);
}
