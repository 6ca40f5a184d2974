//! Nothing an end user writes is a license (issue 27): the review's edits of the app's own
//! files, each of which used to license, against every provider; answers about another key,
//! store, product or activation than the one asked about; Keygen's seat bound to this
//! machine; credentials of earlier releases believed only beside a genuine cache.
//!
//! The assertions name states by [`keyseat::LicenseState::name`], so that the file also
//! builds against the code before the fix, where each test fails.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::api::{Client, Environment, Provider};
use keyseat::clock::ManualClock;
use keyseat::{CACHE_FILE, CREDENTIALS_FILE, LicenseKey, LicenseStatus, Licensor};
use keyseat_emulator::{Emulator, Endpoint, KeySpec};
use keyseat_tests::{KEY, LS_STORE, POLAR_ORG, Seller, fast_retries, machine};

const T0: u64 = 1_800_000_000;
const DAY: Duration = Duration::from_secs(86_400);

/// The attacker's own key: another store's, organization's or product's.
const THEIRS: &str = "ATTACKER-OWN-KEY-0000-1111-2222";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0),
    ))
}

fn licensor(seller: Seller, emu: &Emulator, dir: &Path, c: &Arc<ManualClock>) -> Licensor {
    seller
        .licensor_builder("HandWritten", emu.url(), dir)
        .clock(c.clone())
        .build()
        .unwrap()
}

/// A 1-seat key of `seller` activated in a fresh data directory by the app.
struct Activated {
    emu: Emulator,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

fn activated(seller: Seller) -> Activated {
    let emu = seller.emulator(Some(1));
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    licensor(seller, &emu, dir.path(), &clock)
        .activate(KEY)
        .unwrap();
    Activated { emu, clock, dir }
}

/// The credentials file of `dir`, as JSON.
fn credentials(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(CREDENTIALS_FILE)).unwrap()).unwrap()
}

/// Writes `creds` as the credentials file of `dir`.
fn write_credentials(dir: &Path, creds: &serde_json::Value) {
    std::fs::write(dir.join(CREDENTIALS_FILE), creds.to_string()).unwrap();
}

/// `creds` as a release before the seal wrote them: the same fields, no MAC.
fn as_earlier_release(mut creds: serde_json::Value) -> serde_json::Value {
    let fields = creds.as_object_mut().unwrap();
    fields.remove("mac");
    fields.remove("secret_id");
    creds
}

fn assert_not_licensed(st: &LicenseStatus, what: &str) {
    assert!(!st.is_licensed(), "{what}: {}", st.state.name());
}

/// The review's first edit: `"holds_seat": false` in the credentials, no cache beside them.
/// Every provider whose keys always hold a seat is refused it, and the server never hears a
/// validation of the bare key.
#[test]
fn a_seat_dropped_in_the_credentials_is_no_license() {
    for seller in [Seller::Dodo, Seller::LemonSqueezy, Seller::Keygen] {
        let Activated { emu, clock: c, dir } = activated(seller);
        let genuine_cache = std::fs::read(dir.path().join(CACHE_FILE)).unwrap();
        let mut creds = credentials(dir.path());
        creds["holds_seat"] = false.into();
        creds["instance_id"] = "anything".into();
        for (what, edited, cache) in [
            ("sealed, no cache", creds.clone(), None),
            ("no MAC, no cache", as_earlier_release(creds.clone()), None),
            (
                "no MAC, the genuine cache",
                as_earlier_release(creds.clone()),
                Some(&genuine_cache),
            ),
        ] {
            write_credentials(dir.path(), &edited);
            let cache_path = dir.path().join(CACHE_FILE);
            match cache {
                Some(bytes) => std::fs::write(&cache_path, bytes).unwrap(),
                None => {
                    let _ = std::fs::remove_file(&cache_path);
                }
            }
            let before = emu.request_count(Endpoint::Validate);
            let l = licensor(seller, &emu, dir.path(), &c);
            assert_not_licensed(&l.check().unwrap(), &format!("{seller:?}, {what}"));
            assert_not_licensed(&l.revalidate().unwrap(), &format!("{seller:?}, {what}"));
            assert_eq!(
                emu.request_count(Endpoint::Validate),
                before,
                "{seller:?}, {what}: no validation of the bare key"
            );
        }
    }
}

/// A Polar key with a limit (its seats all taken) written as seatless is not a license
/// either: a seat is dropped only while the server says the key has no limit.
#[test]
fn a_polar_seat_is_dropped_only_while_the_server_says_the_key_has_no_limit() {
    let seller = Seller::Polar;
    let Activated { emu, clock: c, dir } = activated(seller);
    let genuine_cache = std::fs::read(dir.path().join(CACHE_FILE)).unwrap();
    let mut creds = as_earlier_release(credentials(dir.path()));
    creds["holds_seat"] = false.into();
    write_credentials(dir.path(), &creds);
    std::fs::write(dir.path().join(CACHE_FILE), genuine_cache).unwrap();
    let l = licensor(seller, &emu, dir.path(), &c);
    assert_not_licensed(
        &l.check().unwrap(),
        "a limited Polar key written as seatless",
    );
    c.advance(2 * DAY);
    assert_not_licensed(&l.check().unwrap(), "and later");
}

/// The "curl" of the review: an activation the attacker makes by hand on their own store.
fn activate_by_hand(provider: Provider, emu: &Emulator, key: &str) -> keyseat::api::Activation {
    let client = Client::builder()
        .provider(provider)
        .environment(Environment::Custom(emu.url()))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    client
        .activate_machine(
            &LicenseKey::new(key).unwrap(),
            "by hand",
            Some(&machine("HandWritten").id()),
        )
        .unwrap()
}

/// The review's second edit: the attacker's own key, activated by hand on their own store
/// (organization, product), written into the credentials under this store's ids. Never
/// licensed, now or at any revalidation.
#[test]
fn another_stores_key_written_under_this_stores_name_is_no_license() {
    let polar_other_org = "2ccfc517-0bbf-4301-9ba8-555ca42b9737";
    let cases = [
        (
            Seller::LemonSqueezy,
            KeySpec::new(THEIRS)
                .sold_by("lemonsqueezy", "99")
                .of_product("77"),
            Provider::lemon_squeezy(99),
        ),
        (
            Seller::Polar,
            KeySpec::new(THEIRS)
                .sold_by("polar", polar_other_org)
                .of_product("5a1e3c0e-0000-4000-8000-0000000000ff")
                .with_limit(5),
            Provider::polar(polar_other_org),
        ),
        (
            Seller::Keygen,
            KeySpec::new(THEIRS)
                .sold_by("keygen", keyseat_tests::KEYGEN_ACCOUNT)
                .of_product("9c1e3c0e-0000-4000-8000-0000000000ff")
                .with_limit(5),
            Seller::Keygen.provider(),
        ),
    ];
    for (seller, theirs, their_provider) in cases {
        let emu = seller.emulator(Some(1));
        emu.add_key(theirs);
        let c = clock();
        let dir = tempfile::tempdir().unwrap();
        // The app's own genuine activation, for the shape of the credentials.
        licensor(seller, &emu, dir.path(), &c)
            .activate(KEY)
            .unwrap();
        let genuine = credentials(dir.path());
        let by_hand = activate_by_hand(their_provider, &emu, THEIRS);
        let mut forged = as_earlier_release(genuine.clone());
        forged["key"] = THEIRS.into();
        forged["instance_id"] = by_hand.id.as_str().into();
        forged["license_key_id"] = by_hand.license.license_key_id.clone().into();
        for (what, creds) in [
            ("no MAC", forged.clone()),
            ("with the genuine seal fields", {
                let mut f = forged.clone();
                f["mac"] = genuine["mac"].clone();
                f["secret_id"] = genuine["secret_id"].clone();
                f
            }),
        ] {
            write_credentials(dir.path(), &creds);
            let _ = std::fs::remove_file(dir.path().join(CACHE_FILE));
            let l = licensor(seller, &emu, dir.path(), &c);
            assert_not_licensed(&l.check().unwrap(), &format!("{seller:?}, {what}"));
            c.advance(2 * DAY);
            assert_not_licensed(&l.check().unwrap(), &format!("{seller:?}, {what}, later"));
        }
    }
}

/// What a server says about another store, organization, product, variant or activation
/// than the one stored is never `Active`: the activation is forgotten and released, as a
/// key of another product is at activation. The emulator plays a server whose answer
/// changed under a genuine activation.
#[test]
fn an_answer_about_another_store_product_or_variant_is_wrong_product_and_forgotten() {
    /// Who sold the key, and how the server's answer about it changes.
    type Edit = (Seller, fn(KeySpec) -> KeySpec);
    let edits: [Edit; 5] = [
        (Seller::LemonSqueezy, |k| k.sold_by("lemonsqueezy", "99")),
        (Seller::LemonSqueezy, |k| k.of_product("77")),
        (Seller::LemonSqueezy, |k| KeySpec {
            variant_id: Some("999".into()),
            ..k
        }),
        (Seller::Polar, |k| {
            k.of_product("5a1e3c0e-0000-4000-8000-0000000000ff")
        }),
        (Seller::Keygen, |k| {
            k.of_product("9c1e3c0e-0000-4000-8000-0000000000ff")
        }),
    ];
    for (i, (seller, edit)) in edits.into_iter().enumerate() {
        let emu = seller.emulator(Some(2));
        let c = clock();
        let dir = tempfile::tempdir().unwrap();
        let l = licensor(seller, &emu, dir.path(), &c);
        let mut spec = seller.spec(KEY, Some(2));
        if seller == Seller::LemonSqueezy {
            spec.variant_id = Some("5".into());
        }
        emu.add_key(spec.clone());
        l.activate(KEY).unwrap();
        emu.add_key(edit(spec));
        let st = l.revalidate().unwrap();
        assert_eq!(st.state.name(), "wrong_product", "case {i}: {seller:?}");
        assert!(!dir.path().join(CREDENTIALS_FILE).exists(), "case {i}");
        assert!(emu.instances_of(KEY).is_empty(), "case {i}: released");
        assert_eq!(l.check().unwrap().state.name(), "not_activated", "case {i}");
    }
}

/// The review's third edit, and the cause under it: machine B, fuzzily the same as machine
/// A (its other components equal), validating A's Keygen seat with A's machine id. The
/// validation now names this machine's fingerprint, and B holds no seat.
#[test]
fn keygen_validates_this_machines_fingerprint_not_the_recorded_one() {
    use keyseat::fingerprint::{Confidence, Fingerprint, RawComponents};
    let seller = Seller::Keygen;
    let emu = seller.emulator(Some(1));
    let c = clock();
    let dir = tempfile::tempdir().unwrap();
    let raw = |id: &str| RawComponents {
        machine_id: id.into(),
        hostname: Some("twin".into()),
        os: Some("TestOS 1".into()),
        cpu: Some("TestCPU".into()),
        ram_gib: Some(16),
        mac: Some("00:11:22:33:44:55".into()),
    };
    let on = |id: &str| {
        seller
            .licensor_builder("HandWritten", emu.url(), dir.path())
            .fingerprint(Fingerprint::from_raw(
                "com.Example.HandWritten",
                &raw(id),
                Confidence::High,
            ))
            .clock(c.clone())
            .build()
            .unwrap()
    };
    on("machine-a").activate(KEY).unwrap();
    c.advance(2 * DAY);
    let b = on("machine-b");
    let st = b.check().unwrap();
    assert_not_licensed(&st, "machine B on machine A's seat");
    assert_eq!(emu.instances_of(KEY).len(), 1, "A's seat is untouched");
    // B's own activation is a machine of its own, which the 1-seat key does not have.
    let e = b.activate(KEY).unwrap_err();
    assert_eq!(e.code(), keyseat::ErrorCode::LimitReached, "{e}");
}

/// Credentials of the release before the seal, with no cache (deleted, or never written):
/// not a license, no network, and activating the same key again spends no second seat.
#[test]
fn credentials_of_an_earlier_release_without_a_cache_are_unverified() {
    let Activated { emu, clock: c, dir } = activated(Seller::Dodo);
    let old = as_earlier_release(credentials(dir.path()));
    write_credentials(dir.path(), &old);
    std::fs::remove_file(dir.path().join(CACHE_FILE)).unwrap();
    let l = licensor(Seller::Dodo, &emu, dir.path(), &c);
    let before = emu.request_count(Endpoint::Validate);
    let st = l.check().unwrap();
    assert_eq!(st.state.name(), "unverified");
    assert_eq!(emu.request_count(Endpoint::Validate), before, "no network");
    // The customer activates again: the earlier seat is released first.
    let again = l.activate(KEY).unwrap();
    assert!(again.is_licensed());
    assert_eq!(emu.instances_of(KEY).len(), 1, "one seat, not two");
    assert!(credentials(dir.path())["mac"].is_string(), "sealed now");
}

/// Credentials of an earlier release beside the genuine cache they agree with are believed
/// once, with no network, and sealed: the MAC is then there on disk.
#[test]
fn credentials_of_an_earlier_release_beside_their_cache_are_sealed_once() {
    let Activated { emu, clock: c, dir } = activated(Seller::LemonSqueezy);
    let sealed = credentials(dir.path());
    write_credentials(dir.path(), &as_earlier_release(sealed.clone()));
    let before = emu.request_count(Endpoint::Validate);
    let st = licensor(Seller::LemonSqueezy, &emu, dir.path(), &c)
        .check_offline()
        .unwrap();
    assert_eq!(st.state.name(), "active");
    assert_eq!(emu.request_count(Endpoint::Validate), before);
    assert_eq!(credentials(dir.path()), sealed, "sealed as the app seals");
    // The same, with the store edited: the cache (which names it) disagrees.
    let mut edited = as_earlier_release(sealed);
    edited["account_id"] = LS_STORE.to_string().replace('7', "8").into();
    write_credentials(dir.path(), &edited);
    let st = licensor(Seller::LemonSqueezy, &emu, dir.path(), &c)
        .check()
        .unwrap();
    assert_not_licensed(&st, "an earlier release's credentials, edited");
}

/// A Polar organization id pasted in upper case is the same organization: genuine keys
/// activate and stay active.
#[test]
fn a_polar_organization_id_in_upper_case_is_the_same_organization() {
    let emu = Seller::Polar.emulator(Some(2));
    let c = clock();
    let dir = tempfile::tempdir().unwrap();
    let l = Seller::Polar
        .licensor_builder("HandWritten", emu.url(), dir.path())
        .provider(Provider::polar(POLAR_ORG.to_uppercase()))
        .clock(c.clone())
        .build()
        .unwrap();
    assert_eq!(l.activate(KEY).unwrap().state.name(), "active");
    c.advance(2 * DAY);
    let st = l.check().unwrap();
    assert!(st.network_used && st.state.name() == "active", "{st:?}");
    assert_eq!(emu.instances_of(KEY).len(), 1, "nothing released");
}

/// A trial needs a vendor secret of at least 16 bytes: without one its record's MAC is
/// keyed by public values, and anyone could write one.
#[test]
fn a_trial_without_a_vendor_secret_of_16_bytes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for secret in [&b""[..], b"fifteen bytes!!"] {
        let e = Seller::Dodo
            .licensor_builder("HandWritten", "http://127.0.0.1:9", dir.path())
            .vendor_secret(secret)
            .trial_days(14)
            .build()
            .unwrap_err();
        assert_eq!(e.code(), keyseat::ErrorCode::InvalidInput, "{e}");
        assert!(e.to_string().contains("16 bytes"), "{e}");
    }
    let ok = Seller::Dodo
        .licensor_builder("HandWritten", "http://127.0.0.1:9", dir.path())
        .vendor_secret(*b"sixteen bytes!!!")
        .trial_days(14)
        .build();
    assert!(ok.is_ok());
}

/// A file planted with a made-up vendor-secret id never turns an app's check into an error
/// (an app that treats errors as "run anyway" would then run): credentials and a cache that
/// fail their MAC are `Tampered`, whatever secret they name. Only a tool of the app, told to
/// report it, hears that another secret wrote them, and only when nothing here verifies under
/// its own (beside the genuine cache, its secret is the app's: the file was planted).
#[test]
fn a_planted_file_naming_another_secret_is_tampered_never_an_error() {
    let Activated { emu, clock: c, dir } = activated(Seller::Dodo);
    let mut planted = credentials(dir.path());
    planted["secret_id"] = "0123456789abcdef".into();
    planted["mac"] = "00".repeat(32).into();
    write_credentials(dir.path(), &planted);
    for (what, keep_cache) in [("beside the cache", true), ("alone", false)] {
        if !keep_cache {
            let _ = std::fs::remove_file(dir.path().join(CACHE_FILE));
        }
        let st = licensor(Seller::Dodo, &emu, dir.path(), &c).check();
        let st = st.unwrap_or_else(|e| panic!("{what}: an error: {e}"));
        assert_eq!(st.state.name(), "tampered", "{what}");
        let tool = Seller::Dodo
            .licensor_builder("HandWritten", emu.url(), dir.path())
            .report_other_vendor_secret()
            .build()
            .unwrap();
        match (keep_cache, tool.check()) {
            (true, Ok(st)) => assert_eq!(st.state.name(), "tampered"),
            (false, Err(e)) => assert_eq!(e.code(), keyseat::ErrorCode::VendorSecretMismatch),
            (_, other) => panic!("{what}: {other:?}"),
        }
    }
}
