//! Dodo's webhooks at the relay: the Standard Webhooks signature checked (the wrong secret,
//! a stale timestamp: refused), each delivered once however often it comes, and an event
//! older than what the relay knows changing nothing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyseat::api::{Client, Provider};
use keyseat::{InstanceId, LicenseKey};
use keyseat_emulator::{Endpoint, KeyStatus};
use serde_json::json;

use crate::support::{KEY, WEBHOOK_SECRET, World, machine_named, webhook_url};

/// `body` signed for webhook `id` at `timestamp` with `secret`, as Standard Webhooks sign.
fn post(world: &World, secret: &str, id: &str, timestamp: i64, body: &str) -> u16 {
    let key = BASE64.decode(secret.trim_start_matches("whsec_")).unwrap();
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
        format!("{id}.{timestamp}.{body}").as_bytes(),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .post(&webhook_url(&world.relay))
        .header("webhook-id", id)
        .header("webhook-timestamp", &timestamp.to_string())
        .header(
            "webhook-signature",
            &format!("v1,{}", BASE64.encode(mac.as_ref())),
        )
        .content_type("application/json")
        .send(body.as_bytes())
        .unwrap()
        .status()
        .as_u16()
}

/// A grant event of `kind` about [`KEY`], dated `at` (RFC 3339).
fn grant_event(kind: &str, at: &str) -> String {
    let status = if kind.ends_with("revoked") {
        "Revoked"
    } else {
        "Delivered"
    };
    json!({
        "business_id": "bus_emulator", "type": kind, "timestamp": at,
        "data": { "payload_type": "EntitlementGrant", "id": "entg_0001", "status": status,
            "integration_type": "license_key", "revocation_reason": "license_key_disabled",
            "license_key": { "key": KEY, "activations_used": 1, "activations_limit": 1, "expires_at": null } }
    })
    .to_string()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A client of the relay, an activation of [`KEY`] on one machine, and a validation of it.
struct Checked {
    client: Client,
    instance: InstanceId,
    machine: String,
}

impl Checked {
    fn new(world: &World) -> Checked {
        let client = Client::builder()
            .provider(Provider::relay(
                world.relay.url(),
                world.relay.public_keys().iter().cloned(),
            ))
            .build()
            .unwrap();
        let machine = machine_named("a").id();
        let instance = client
            .activate_machine(&key(), "a", Some(&machine))
            .unwrap()
            .id;
        Checked {
            client,
            instance,
            machine,
        }
    }

    fn valid(&self) -> bool {
        self.client
            .validate_machine(&key(), Some(&self.instance), Some(&self.machine))
            .unwrap()
            .valid
    }
}

fn key() -> LicenseKey {
    LicenseKey::new(KEY).unwrap()
}

#[test]
fn a_wrong_or_late_signature_is_refused_and_changes_nothing() {
    let world = World::new(1);
    let checked = Checked::new(&world);
    let revoke = grant_event("entitlement_grant.revoked", "2026-12-06T12:00:00Z");
    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert_eq!(post(&world, other, "msg_1", now(), &revoke), 401);
    assert_eq!(
        post(&world, WEBHOOK_SECRET, "msg_2", now() - 600, &revoke),
        401
    );
    assert_eq!(
        post(&world, WEBHOOK_SECRET, "msg_3", now() + 600, &revoke),
        401
    );
    assert!(checked.valid());
}

#[test]
fn a_revocation_is_heard_once_and_an_older_event_after_it_changes_nothing() {
    let world = World::new(1);
    let checked = Checked::new(&world);
    let validations = world.emu.request_count(Endpoint::Validate);
    let revoke = grant_event("entitlement_grant.revoked", "2026-12-06T12:00:00Z");
    assert_eq!(
        post(&world, WEBHOOK_SECRET, "msg_revoke", now(), &revoke),
        204
    );
    assert!(!checked.valid(), "revoked at the next validation");
    assert_eq!(
        world.emu.request_count(Endpoint::Validate),
        validations,
        "with no call to Dodo"
    );
    // Out of order: a delivery dated before the revocation arrives after it.
    let older = grant_event("entitlement_grant.delivered", "2026-12-06T11:00:00Z");
    assert_eq!(
        post(&world, WEBHOOK_SECRET, "msg_older", now(), &older),
        204
    );
    assert!(!checked.valid(), "an older event changes nothing");
    // A newer delivery restores it (confirmed with Dodo, which says valid).
    let newer = grant_event("entitlement_grant.delivered", "2026-12-06T13:00:00Z");
    assert_eq!(
        post(&world, WEBHOOK_SECRET, "msg_newer", now(), &newer),
        204
    );
    assert!(checked.valid());
    // The revocation delivered again (Dodo retries): recorded once, applied once.
    assert_eq!(
        post(&world, WEBHOOK_SECRET, "msg_revoke", now(), &revoke),
        204
    );
    assert!(checked.valid(), "a repeat changes nothing");
}

#[test]
fn the_emulators_own_webhooks_reach_the_relay() {
    let world = World::new(1);
    let checked = Checked::new(&world);
    world.emu.set_key_status(KEY, KeyStatus::Disabled);
    let sent = world.emu.sent_webhooks();
    let last = sent.last().unwrap();
    assert_eq!(
        (last.event_type.as_str(), last.status),
        ("entitlement_grant.revoked", Some(204))
    );
    assert!(!checked.valid());
    // A body that is not Dodo's, signed: a 400, and nothing changes.
    assert_eq!(
        post(&world, WEBHOOK_SECRET, "msg_x", now(), "{\"hello\":1}"),
        400
    );
}

#[test]
fn a_revocation_dodo_no_longer_holds_is_lifted_a_window_later_or_by_an_activation() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::support::Db::Sqlite(dir.path().to_owned());
    let world = World::on(2, &db, dir, |s| keyseat_relay::Settings {
        freshness: std::time::Duration::from_secs(1),
        ..s
    });
    let checked = Checked::new(&world);
    // A revocation whose undoing never arrives (the key works at Dodo): the webhook is
    // believed for a window, then Dodo is asked, and vouches for the key.
    let revoke = grant_event(
        "entitlement_grant.revoked",
        &jiff::Timestamp::now().to_string(),
    );
    assert_eq!(post(&world, WEBHOOK_SECRET, "msg_r1", now(), &revoke), 204);
    let calls = world.emu.request_count(Endpoint::Validate);
    assert!(!checked.valid(), "revoked, with no call");
    assert_eq!(world.emu.request_count(Endpoint::Validate), calls);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(checked.valid(), "a window later, Dodo says the key works");
    assert_eq!(world.emu.request_count(Endpoint::Validate), calls + 1);

    // Revoked again; an activation (Dodo activates only a working key) lifts it at once.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = grant_event(
        "entitlement_grant.revoked",
        &jiff::Timestamp::now().to_string(),
    );
    assert_eq!(post(&world, WEBHOOK_SECRET, "msg_r2", now(), &again), 204);
    assert!(!checked.valid());
    let machine = machine_named("b").id();
    checked
        .client
        .activate_machine(&key(), "b", Some(&machine))
        .unwrap();
    assert!(checked.valid(), "lifted by the activation");

    // A revocation Dodo holds (the key disabled there) stays, a window later too.
    world.emu.set_key_status(KEY, KeyStatus::Disabled);
    assert!(!checked.valid());
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(!checked.valid(), "Dodo agrees: still revoked");
}
