//! `POST /v1/webhooks/dodo`: Dodo's webhooks, verified as Standard Webhooks (the
//! specification's own library: HMAC-SHA256 of `id.timestamp.body`, a timestamp within five
//! minutes, any of several signatures), recorded once by `webhook-id`, and applied only when
//! newer than what the relay knows of the key, so that repeats and events out of order
//! change nothing.
//!
//! - `entitlement_grant.revoked` (a disabled key's `license_key_disabled`, a refund, a
//!   cancelled subscription): the key is revoked, answered `invalid` with no call for a
//!   freshness window, then as Dodo says (see [`crate::decide`]).
//! - `entitlement_grant.delivered` and `.created`: the revocation is lifted; the next
//!   validation asks Dodo.
//! - `license_key.created`: the key's facts are recorded.
//!
//! Any other event is acknowledged and ignored.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keyseat::LicenseKey;
use keyseat::api::relay_key_hash;
use serde::Deserialize;

use crate::answer::unsigned;
use crate::licenses::store_failed;
use crate::state::{App, now};
use crate::store::KeyRecord;
use crate::upstream::DodoKey;

/// Dodo's envelope.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    timestamp: String,
    data: serde_json::Value,
}

/// The part of a grant read: its license key.
#[derive(Deserialize)]
struct GrantData {
    #[serde(default)]
    license_key: Option<GrantKey>,
}

#[derive(Deserialize)]
struct GrantKey {
    key: String,
}

/// `POST /v1/webhooks/dodo`.
pub async fn dodo(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if !app
        .webhooks
        .iter()
        .any(|w| w.verify(&body, &headers).is_ok())
    {
        tracing::warn!("a webhook failed its signature (or was too old): refused");
        return unsigned(
            StatusCode::UNAUTHORIZED,
            "INVALID_SIGNATURE",
            "the webhook's signature does not verify",
            None,
        );
    }
    let bad = || {
        unsigned(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST_BODY",
            "not a Dodo webhook",
            None,
        )
    };
    let Ok(event) = serde_json::from_slice::<Envelope>(&body) else {
        return bad();
    };
    let Some(event_at) = event
        .timestamp
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
    else {
        return bad();
    };
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match app.store.delivered(id).await {
        Ok(false) => {}
        Ok(true) => {
            tracing::info!(webhook = id, "a webhook delivered again: already applied");
            return StatusCode::NO_CONTENT.into_response();
        }
        Err(e) => return store_failed(&e),
    }
    // Applied, then recorded: a failure between the two is retried by Dodo, and applying an
    // event twice changes nothing more than once.
    let applied = match apply(&app, &event, event_at).await {
        Ok(applied) => applied,
        Err(Refusal::Bad) => return bad(),
        Err(Refusal::Store(e)) => return store_failed(&e),
    };
    if let Err(e) = app.store.record_delivery(id, &event.kind, now()).await {
        return store_failed(&e);
    }
    tracing::info!(webhook = id, kind = event.kind, applied, "webhook");
    StatusCode::NO_CONTENT.into_response()
}

/// Why an event was not applied.
enum Refusal {
    Bad,
    Store(sqlx::Error),
}

/// Applies an event; whether it changed anything.
async fn apply(app: &App, event: &Envelope, event_at: i64) -> Result<bool, Refusal> {
    let hash_of = |key: &str| LicenseKey::new(key).map(|k| relay_key_hash(&k));
    match event.kind.as_str() {
        "entitlement_grant.revoked"
        | "entitlement_grant.delivered"
        | "entitlement_grant.created" => {
            let grant: GrantData =
                serde_json::from_value(event.data.clone()).map_err(|_| Refusal::Bad)?;
            // A grant of another kind (not a license key) is none of the relay's business.
            let Some(key) = grant.license_key else {
                return Ok(false);
            };
            let hash = hash_of(&key.key).map_err(|_| Refusal::Bad)?;
            let revoked = event.kind == "entitlement_grant.revoked";
            app.store
                .apply_event(&hash, revoked, event_at, now())
                .await
                .map_err(Refusal::Store)
        }
        "license_key.created" => {
            let key: DodoKey =
                serde_json::from_value(event.data.clone()).map_err(|_| Refusal::Bad)?;
            let text = event.data["key"].as_str().ok_or(Refusal::Bad)?;
            let hash = hash_of(text).map_err(|_| Refusal::Bad)?;
            let known = app.store.key(&hash).await.map_err(Refusal::Store)?;
            if known.as_ref().is_some_and(|k| !k.license_key_id.is_empty()) {
                return Ok(false);
            }
            let record = crate::facts::with_key(
                known.unwrap_or_else(|| KeyRecord {
                    key_hash: hash,
                    ..KeyRecord::default()
                }),
                &key,
            );
            app.store.save_key(&record).await.map_err(Refusal::Store)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use standardwebhooks::Webhook;

    #[test]
    fn the_specifications_test_vector_signs_and_verifies() {
        // Standard Webhooks' own vector (its Rust library's tests).
        let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let (id, at) = ("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553);
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        let hook = Webhook::new(secret).unwrap();
        assert_eq!(
            hook.sign(id, at, body).unwrap(),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        // Verified as the relay verifies: now, one of several signatures, the body exact.
        let now = jiff::Timestamp::now().as_second();
        let signature = hook.sign(id, now, body).unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("webhook-id", id.parse().unwrap());
        headers.insert("webhook-timestamp", now.to_string().parse().unwrap());
        let several = format!("v1,bm90IHRoaXMgb25l {signature}");
        headers.insert("webhook-signature", several.parse().unwrap());
        assert!(hook.verify(body, &headers).is_ok());
        assert!(
            hook.verify(br#"{"email":"test@example.com"}"#, &headers)
                .is_err()
        );
        let other = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert!(other.verify(body, &headers).is_err());
        headers.insert(
            "webhook-timestamp",
            (now - 301).to_string().parse().unwrap(),
        );
        assert!(hook.verify(body, &headers).is_err(), "five minutes late");
    }
}
