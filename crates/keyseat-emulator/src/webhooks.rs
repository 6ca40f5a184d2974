//! Dodo's webhooks, as Standard Webhooks: when a Dodo key is added, disabled, enabled or
//! expired, an event is POSTed to the URL given, signed with the secret given.
//!
//! - Headers: `webhook-id` (a message id), `webhook-timestamp` (Unix seconds of the
//!   attempt), `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by
//!   the secret's bytes (`whsec_` then base64).
//! - Body: Dodo's envelope `{business_id, type, timestamp, data}`. A key added is
//!   `license_key.created` (`data` the `LicenseKey`); disabled or expired,
//!   `entitlement_grant.revoked`; enabled, `entitlement_grant.delivered` (`data` the
//!   `EntitlementGrant`, which names the key).
//!
//! Each event is sent once, synchronously, and kept (with the answer's status) so that tests
//! can deliver it again, or out of order.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::Locked;
use crate::state::State;

/// Where events go, and the secret they are signed with.
#[derive(Clone)]
pub(crate) struct Target {
    pub url: String,
    key: Vec<u8>,
}

impl Target {
    /// A target of `url`, with a Standard Webhooks secret (`whsec_<base64>`).
    pub(crate) fn new(url: &str, secret: &str) -> Result<Target, String> {
        let encoded = secret
            .strip_prefix("whsec_")
            .ok_or("a webhook secret starts with whsec_")?;
        let key = BASE64
            .decode(encoded)
            .map_err(|_| "a webhook secret is whsec_ followed by base64".to_owned())?;
        Ok(Target {
            url: url.to_owned(),
            key,
        })
    }
}

/// One event sent.
#[derive(Debug, Clone, Serialize)]
pub struct SentWebhook {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The event's type.
    pub event_type: String,
    /// The exact body sent.
    pub body: String,
    /// The receiver's answer, or none when it could not be reached.
    pub status: Option<u16>,
}

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// It was added.
    Added,
    /// Its status changed (disabled, enabled, expired, revoked).
    Status,
}

/// Sends the event a change of the Dodo key `key` makes, when the emulator sends webhooks
/// (nothing for another provider's key, or without a target). The state is not locked while
/// the event is on its way.
pub(crate) fn notify(state: &std::sync::Mutex<State>, key: &str, change: Change) {
    let (target, event) = {
        let state = state.locked();
        let (Some(target), Some(entry)) = (state.webhook.clone(), state.key("dodo", key)) else {
            return;
        };
        let event = match change {
            Change::Added => {
                let mut data = crate::dodo_api::license_key(&state, &entry);
                data["payload_type"] = json!("LicenseKey");
                event("license_key.created", data)
            }
            Change::Status => {
                let mut data = crate::dodo_api::grant(&state, &entry);
                let kind = if data["status"] == "Delivered" {
                    "entitlement_grant.delivered"
                } else {
                    "entitlement_grant.revoked"
                };
                data["payload_type"] = json!("EntitlementGrant");
                event(kind, data)
            }
        };
        (target, event)
    };
    let sent = send(&target, &event);
    state.locked().sent_webhooks.push(sent);
}

/// The envelope of an event of `event_type` about `data`.
pub(crate) fn event(event_type: &str, data: Value) -> Value {
    let now = jiff::Timestamp::now();
    json!({
        "business_id": "bus_emulator",
        "type": event_type,
        "timestamp": now.round(jiff::Unit::Second).unwrap_or(now).to_string(),
        "data": data,
    })
}

/// The `v1,` signature of `body` with id `id` at `timestamp`, keyed by `key`.
pub(crate) fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// Signs and sends `event` to `target`, once; returns what was sent.
pub(crate) fn send(target: &Target, event: &Value) -> SentWebhook {
    let id = format!("msg_{}", crate::state::random_hex());
    let timestamp = jiff::Timestamp::now().as_second();
    let body = event.to_string();
    let signature = signature(&target.key, &id, timestamp, &body);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(15)))
        .build()
        .into();
    let status = agent
        .post(&target.url)
        .header("webhook-id", &id)
        .header("webhook-timestamp", &timestamp.to_string())
        .header("webhook-signature", &signature)
        .content_type("application/json")
        .send(body.as_bytes())
        .map(|r| r.status().as_u16())
        .ok();
    SentWebhook {
        id,
        timestamp,
        signature,
        event_type: event["type"].as_str().unwrap_or_default().to_owned(),
        body,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_test_vector() {
        // The specification's own vector (its Rust library's tests).
        let target = Target::new("http://x", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let sig = signature(
            &target.key,
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1_649_367_553,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(sig, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
        assert!(Target::new("http://x", "C2FVsBQI").is_err());
        assert!(Target::new("http://x", "whsec_!!").is_err());
    }
}
