//! What the relay knows of a key, from Dodo (its API key's answers) to the store, and from
//! the store to an answer's `license` and `entitlements`.

use keyseat::LicenseKey;
use serde_json::{Value, json};

use crate::state::rfc3339;
use crate::store::{Grant, KeyRecord};
use crate::upstream::{DodoGrant, DodoKey, Upstream, UpstreamError};

/// The answer's `license` object.
pub fn license(k: &KeyRecord) -> Value {
    json!({
        "key_id": k.license_key_id,
        "status": k.status,
        "product_id": k.product_id,
        "customer_email": k.customer_email,
        "expires_at": k.expires_at.map(rfc3339),
        "activation_limit": k.activation_limit,
        "activations_used": k.activations_used,
    })
}

/// The answer's `entitlements`, or null when the relay does not know them.
pub fn entitlements(k: &KeyRecord) -> Value {
    match &k.entitlements {
        Some(grants) => json!(grants),
        None => Value::Null,
    }
}

/// The entitlements as the core's, for a machine file.
pub fn core_entitlements(k: &KeyRecord) -> Option<Vec<keyseat::api::Entitlement>> {
    k.entitlements.as_ref().map(|grants| {
        grants
            .iter()
            .map(|g| {
                let mut e = keyseat::api::Entitlement::new(g.entitlement_id.clone());
                e.grant_id = Some(g.grant_id.clone());
                e.status = Some(g.status.clone());
                e.expires_at = g
                    .expires_at
                    .as_deref()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                    .map(|t| t.as_second());
                e
            })
            .collect()
    })
}

/// `record` with what Dodo's `LicenseKey` says.
pub fn with_key(mut record: KeyRecord, key: &DodoKey) -> KeyRecord {
    record.license_key_id = key.id.clone();
    record.customer_id = Some(key.customer_id.clone());
    record.product_id = Some(key.product_id.clone());
    record.status = Some(key.status.clone());
    record.expires_at = key
        .expires_at
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_second());
    record.activation_limit = key.activations_limit;
    record.activations_used = key.instances_count;
    record
}

/// The grants as the protocol shows them.
pub fn grants(grants: &[DodoGrant]) -> Vec<Grant> {
    grants
        .iter()
        .map(|g| {
            let key = g.license_key.as_ref();
            Grant {
                grant_id: g.id.clone(),
                entitlement_id: g.entitlement_id.clone(),
                status: g.status.clone(),
                activations_limit: key.and_then(|k| k.activations_limit),
                activations_used: key.and_then(|k| k.activations_used),
                expires_at: key.and_then(|k| k.expires_at.clone()),
            }
        })
        .collect()
}

/// Asks Dodo (with the API key) what it knows of the key: `GET /license_keys/{id}`, then the
/// customer's grants of it. `license_key_id` may be unknown: the instance `instance` (which
/// Dodo knows by id) names it. Returns `record` as Dodo left it, dated `now`; a call that
/// fails leaves what the record had.
///
/// # Errors
/// When the key's own facts could not be read (the grants are best effort).
pub fn refresh(
    upstream: &Upstream,
    key: &LicenseKey,
    mut record: KeyRecord,
    instance: Option<&str>,
    now: i64,
) -> Result<KeyRecord, UpstreamError> {
    if record.license_key_id.is_empty() {
        let found = match instance {
            Some(id) => upstream.instance(id)?,
            None => None,
        };
        let Some(found) = found else {
            return Err(UpstreamError::Refused {
                status: 404,
                code: "LICENSE_KEY_NOT_FOUND".into(),
                message: "the relay does not know this key yet".into(),
            });
        };
        record.license_key_id = found.license_key_id;
    }
    let dodo = upstream.license_key(&record.license_key_id)?;
    record = with_key(record, &dodo);
    match upstream.grants(&dodo.customer_id, key) {
        Ok(found) => record.entitlements = Some(grants(&found)),
        Err(e) => tracing::warn!(error = %e, "the key's entitlement grants could not be read"),
    }
    record.details_at = now;
    Ok(record)
}
