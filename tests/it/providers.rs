//! Lemon Squeezy and Polar keys through the one Licensor (issue 22): the whole life of each,
//! keys of another store, organization, product or variant refused with no slot held, a lost
//! activation answer that is one request and ambiguous, a 429 honoured without a burst,
//! Polar keys with no activations, and stored activations of another provider or account.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use keyseat::api::{Client, Environment, Provider, RetryPolicy};
use keyseat::clock::ManualClock;
use keyseat::{Deactivation, ErrorCode, ErrorKind, LicenseKey, LicenseState, Licensor};
use keyseat_emulator::{Emulator, Endpoint, Fault, KeyStatus};
use keyseat_tests::{KEY, LS_STORE, POLAR_BENEFIT, POLAR_ORG, Seller};

const DAY: Duration = Duration::from_secs(86_400);

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(SystemTime::now()))
}

fn licensor(seller: Seller, emu: &Emulator, dir: &std::path::Path) -> Licensor {
    seller
        .licensor_builder("Providers", emu.url(), dir)
        .build()
        .unwrap()
}

fn no_key_in(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
}

#[test]
fn the_whole_life_of_a_key_of_each_new_provider() {
    for seller in [Seller::LemonSqueezy, Seller::Polar] {
        let emu = seller.emulator(Some(2));
        let dir = tempfile::tempdir().unwrap();
        let c = clock();
        let l = seller
            .licensor_builder("Providers", emu.url(), dir.path())
            .clock(c.clone())
            .build()
            .unwrap();
        let active = l.activate(&format!(" {KEY}\n")).unwrap();
        assert_eq!(active.state, LicenseState::Active, "{seller:?}");
        assert_eq!(active.provider.as_deref(), Some(seller.provider().name()));
        assert_eq!(active.product_id.as_deref(), Some(seller.product()));
        assert!(active.holds_seat && active.instance_id.is_some());
        assert_eq!(
            active.customer_email.as_deref(),
            Some("customer@example.com")
        );
        no_key_in(&format!("{active:?}"));
        let instance = emu.instances_of(KEY);
        assert_eq!(instance.len(), 1);
        assert_eq!(instance[0].provider, seller.provider().name());
        assert_eq!(
            active.instance_id.as_ref().unwrap().as_str(),
            instance[0].id
        );

        // Fresh: no network. Stale: one validation of this activation.
        assert!(!l.check().unwrap().network_used);
        c.advance(2 * DAY);
        let checked = l.check().unwrap();
        assert!(checked.network_used && checked.state == LicenseState::Active);
        assert_eq!(
            emu.request_count_of(seller.provider().name(), Endpoint::Validate),
            1
        );

        // The seller revokes the key: the next validation says so, and offline keeps it.
        emu.set_key_status(KEY, KeyStatus::Disabled);
        assert_eq!(
            l.revalidate().unwrap().state,
            LicenseState::Revoked,
            "{seller:?}"
        );
        assert_eq!(l.check_offline().unwrap().state, LicenseState::Revoked);
        emu.set_key_status(KEY, KeyStatus::Active);
        assert_eq!(l.revalidate().unwrap().state, LicenseState::Active);

        assert_eq!(l.deactivate(false).unwrap(), Deactivation::SlotFreed);
        assert!(emu.instances_of(KEY).is_empty(), "{seller:?}");
        assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);
        assert_eq!(emu.authorization_headers_seen(), 0);
    }
}

#[test]
fn a_lemon_squeezy_key_of_another_store_product_or_variant_is_refused_and_released() {
    let other_store = Seller::LemonSqueezy
        .spec("LS-OTHER-STORE-KEY-0001", Some(1))
        .sold_by("lemonsqueezy", "8");
    let other_product = Seller::LemonSqueezy
        .spec("LS-OTHER-PRODUCT-KEY-001", Some(1))
        .of_product("99");
    let mut other_variant = Seller::LemonSqueezy.spec("LS-OTHER-VARIANT-KEY-001", Some(1));
    other_variant.variant_id = Some("6".into());
    let emu = Emulator::start(vec![other_store, other_product, other_variant]).unwrap();
    for (key, shown) in [
        ("LS-OTHER-STORE-KEY-0001", "4 of account 8"),
        ("LS-OTHER-PRODUCT-KEY-001", "99"),
        ("LS-OTHER-VARIANT-KEY-001", "4 variant 6"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let l = Seller::LemonSqueezy
            .licensor_builder("Providers", emu.url(), dir.path())
            .variant_ids(["1"])
            .build()
            .unwrap();
        let e = l.activate(key).unwrap_err();
        match e.kind() {
            ErrorKind::WrongProduct {
                product_id,
                release_failed: None,
            } => assert_eq!(product_id, shown),
            other => panic!("{key}: {other:?}"),
        }
        assert!(
            emu.instances_of(key).is_empty(),
            "{key}: its slot was released"
        );
        assert_eq!(l.check_offline().unwrap().state, LicenseState::NotActivated);
    }
    assert_eq!(
        emu.request_count_of("lemonsqueezy", Endpoint::Deactivate),
        3
    );
}

#[test]
fn a_polar_key_of_another_organization_or_benefit_is_refused_with_no_slot_held() {
    let other_org = "2dbfc517-0bbf-4301-9ba8-555ca42b9737";
    let emu = Emulator::start(vec![
        Seller::Polar
            .spec("POLAR-OTHER-ORG-KEY-0001", Some(1))
            .sold_by("polar", other_org),
        Seller::Polar
            .spec("POLAR-OTHER-BENEFIT-KEY-1", Some(1))
            .of_product("3a1e3c0e-0000-4000-8000-000000000009"),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let l = licensor(Seller::Polar, &emu, dir.path());
    // Polar looks the key up within the organization: another's is "not found".
    let e = l.activate("POLAR-OTHER-ORG-KEY-0001").unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotFound, "{e}");
    assert!(e.is_rejection());
    let e = l.activate("POLAR-OTHER-BENEFIT-KEY-1").unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongProduct, "{e}");
    assert!(emu.instances().is_empty());
    assert_eq!(l.check_offline().unwrap().state, LicenseState::NotActivated);
}

#[test]
fn a_lost_activation_answer_is_one_request_and_ambiguous_for_every_provider() {
    for seller in [Seller::LemonSqueezy, Seller::Polar] {
        let emu = seller.emulator(Some(2));
        emu.inject(Endpoint::Activate, Fault::ProcessThenClose, 1);
        let dir = tempfile::tempdir().unwrap();
        let l = licensor(seller, &emu, dir.path());
        let e = l.activate(KEY).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::AmbiguousActivation(_)),
            "{e:?}"
        );
        assert_eq!(emu.request_count(Endpoint::Activate), 1, "{seller:?}");
        assert_eq!(emu.instances_of(KEY).len(), 1, "the server made it");
        // The name sent is remembered for the customer.
        let status = l.check_offline().unwrap();
        assert!(status.pending_activation.is_some(), "{seller:?}");
    }
}

/// A client of `seller` with quick computed retries, and server waits honoured up to 5 s.
fn client(seller: Seller, url: &str) -> Client {
    Client::builder()
        .provider(seller.provider())
        .environment(Environment::Custom(url.to_owned()))
        .retry_policy(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(5),
        })
        .build()
        .unwrap()
}

fn too_many(retry_after: &str) -> Fault {
    Fault::Status {
        status: 429,
        retry_after: Some(retry_after.into()),
        retry_after_ms: None,
    }
}

#[test]
fn a_429_is_honoured_and_never_turned_into_a_burst() {
    let key = LicenseKey::new(KEY).unwrap();
    for seller in [Seller::LemonSqueezy, Seller::Polar] {
        // A short wait is sat through, then the request goes again.
        let emu = seller.emulator(None);
        emu.inject(Endpoint::Validate, too_many("1"), 1);
        let c = client(seller, &emu.url());
        let started = Instant::now();
        assert!(c.validate(&key, None).unwrap().valid);
        assert!(
            started.elapsed() >= Duration::from_millis(950),
            "{seller:?}"
        );
        assert_eq!(emu.request_count(Endpoint::Validate), 2);

        // A long one (Polar's 60-second block) fails the call at once, and holds back every
        // request of the client until it is over: nothing more reaches the server.
        emu.inject(Endpoint::Validate, too_many("60"), 1);
        let started = Instant::now();
        let e = c.validate(&key, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::RateLimited, "{e}");
        assert!(started.elapsed() < Duration::from_secs(2));
        let e = c.activate(&key, "later").unwrap_err();
        assert_eq!(e.code(), ErrorCode::RateLimited, "{e}");
        assert!(e.is_unreachable() && !e.is_rejection());
        assert!(e.to_string().contains("not sent"), "{e}");
        assert_eq!(emu.request_count(Endpoint::Validate), 3, "{seller:?}");
        assert_eq!(emu.request_count(Endpoint::Activate), 0, "{seller:?}");
        assert!(emu.instances_of(KEY).is_empty());
    }
}

#[test]
fn a_rate_limited_check_keeps_the_license_and_asks_again_later() {
    let emu = Seller::Polar.emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = Seller::Polar
        .licensor_builder("Providers", emu.url(), dir.path())
        .clock(c.clone())
        .build()
        .unwrap();
    l.activate(KEY).unwrap();
    c.advance(2 * DAY);
    emu.inject(Endpoint::Validate, too_many("60"), 1);
    let st = l.check().unwrap();
    assert!(
        matches!(st.state, LicenseState::Grace { .. }),
        "{:?}",
        st.state
    );
    // Checks right after answer from the cache: no request until the retry interval.
    for _ in 0..5 {
        assert!(l.check().unwrap().is_licensed());
    }
    assert_eq!(emu.request_count(Endpoint::Validate), 1);
}

#[test]
fn a_polar_key_without_activations_licenses_by_validation_with_no_seat() {
    let mut spec = Seller::Polar.spec(KEY, None);
    spec.activations_limit = None;
    let emu = Emulator::start(vec![spec]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let l = Seller::Polar
        .licensor_builder("Providers", emu.url(), dir.path())
        .clock(c.clone())
        .build()
        .unwrap();
    let active = l.activate(KEY).unwrap();
    assert_eq!(active.state, LicenseState::Active);
    assert!(!active.holds_seat);
    assert_eq!(active.instance_id, None);
    assert!(emu.instances().is_empty(), "no seat taken");
    assert_eq!(emu.request_count(Endpoint::Activate), 1);
    assert_eq!(emu.request_count(Endpoint::Validate), 1);

    // Revalidation asks about the key alone, and sees a revocation.
    c.advance(2 * DAY);
    assert_eq!(l.check().unwrap().state, LicenseState::Active);
    emu.set_key_status(KEY, KeyStatus::Revoked);
    assert_eq!(l.revalidate().unwrap().state, LicenseState::Revoked);

    assert_eq!(l.deactivate(false).unwrap(), Deactivation::NoSeat);
    assert_eq!(emu.request_count(Endpoint::Deactivate), 0);
    assert_eq!(l.check().unwrap().state, LicenseState::NotActivated);

    // Through the client alone, the answer says it too.
    emu.set_key_status(KEY, KeyStatus::Active);
    let activation = client(Seller::Polar, &emu.url())
        .activate(&LicenseKey::new(KEY).unwrap(), "laptop")
        .unwrap();
    assert!(!activation.holds_seat);
    assert_eq!(activation.license.product_id, POLAR_BENEFIT);
}

#[test]
fn a_stored_activation_of_another_provider_or_account_is_wrong_product() {
    let emu = Seller::LemonSqueezy.emulator(None);
    let dir = tempfile::tempdir().unwrap();
    licensor(Seller::LemonSqueezy, &emu, dir.path())
        .activate(KEY)
        .unwrap();
    let reopened = |provider: Provider, product: &str| {
        Seller::LemonSqueezy
            .licensor_builder("Providers", emu.url(), dir.path())
            .provider(provider)
            .product_ids([product])
            .build()
            .unwrap()
            .check()
            .unwrap()
            .state
    };
    assert_eq!(
        reopened(Provider::lemon_squeezy(LS_STORE), "4"),
        LicenseState::Active
    );
    assert_eq!(
        reopened(Provider::lemon_squeezy(LS_STORE + 1), "4"),
        LicenseState::WrongProduct
    );
    assert_eq!(reopened(Provider::dodo(), "4"), LicenseState::WrongProduct);
    assert_eq!(
        reopened(Provider::polar(POLAR_ORG), "4"),
        LicenseState::WrongProduct
    );
    // Nothing was lost: the app's own settings find the activation again.
    assert_eq!(
        reopened(Provider::lemon_squeezy(LS_STORE), "4"),
        LicenseState::Active
    );
}

#[test]
fn one_emulator_serves_every_provider_at_once() {
    let emu = Emulator::start(vec![
        Seller::Dodo.spec("DODO-KEY-0000000001", None),
        Seller::LemonSqueezy.spec("LS-KEY-00000000001", None),
        Seller::Polar.spec("POLAR-KEY-000000001", None),
    ])
    .unwrap();
    for (seller, key) in [
        (Seller::Dodo, "DODO-KEY-0000000001"),
        (Seller::LemonSqueezy, "LS-KEY-00000000001"),
        (Seller::Polar, "POLAR-KEY-000000001"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            licensor(seller, &emu, dir.path())
                .activate(key)
                .unwrap()
                .is_licensed()
        );
        // A key of one provider is unknown on the others' paths.
        let other = if seller == Seller::Dodo {
            Seller::Polar
        } else {
            Seller::Dodo
        };
        let dir = tempfile::tempdir().unwrap();
        let e = licensor(other, &emu, dir.path()).activate(key).unwrap_err();
        assert_eq!(e.code(), ErrorCode::KeyNotFound, "{seller:?}: {e}");
    }
    let providers: Vec<String> = emu.instances().into_iter().map(|i| i.provider).collect();
    assert_eq!(providers, ["dodo", "lemonsqueezy", "polar"]);
}
