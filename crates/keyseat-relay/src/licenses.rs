//! The license endpoints other than validation: activation (forwarded once, never from the
//! store, the new instance bound to the machine), deactivation and the key's seats.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::admission::{Activate, Admitted, Deactivate, Seats};
use crate::answer::{refused, signed, unsigned};
use crate::facts;
use crate::state::{App, now, rfc3339};
use crate::store::{InstanceRecord, KeyRecord};
use crate::upstream::UpstreamError;

/// Runs a blocking call (Dodo's) on tokio's blocking threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, UpstreamError> + Send + 'static,
) -> Result<T, UpstreamError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(UpstreamError::Unreachable(format!("the call failed: {e}"))))
}

/// A store failure: an unsigned 503 (no verdict), logged.
pub fn store_failed(e: &sqlx::Error) -> Response {
    tracing::error!(error = %e, "the database failed");
    unsigned(
        StatusCode::SERVICE_UNAVAILABLE,
        "STORE_UNAVAILABLE",
        "the relay's database cannot be reached",
        Some(std::time::Duration::from_secs(5)),
    )
}

/// The answer to an upstream failure that is no verdict.
pub fn no_verdict(e: &UpstreamError) -> Response {
    match e {
        UpstreamError::Spent(wait) => unsigned(
            StatusCode::SERVICE_UNAVAILABLE,
            "UPSTREAM_BUDGET_SPENT",
            "the relay cannot ask Dodo now: its budget is spent",
            Some(*wait),
        ),
        _ => unsigned(
            StatusCode::SERVICE_UNAVAILABLE,
            "UPSTREAM_UNAVAILABLE",
            "the relay cannot ask Dodo now",
            Some(std::time::Duration::from_secs(30)),
        ),
    }
}

/// `POST /v1/licenses/activate`.
pub async fn activate(State(app): State<Arc<App>>, Admitted(a, _): Admitted<Activate>) -> Response {
    let made = activate_and_record(
        &app,
        a.key.clone(),
        a.name.clone().unwrap_or_default(),
        a.fingerprint.clone(),
    )
    .await;
    let Activated {
        activation,
        record,
        at: t,
    } = match made {
        Ok(made) => made,
        Err(UpstreamError::Refused {
            status,
            code,
            message,
        }) => return refused(&app.keys, &a.asked, &a.echo, status, &code, &message),
        Err(e) => return activation_failed(&e),
    };
    signed(
        &app.keys,
        &a.asked,
        &a.echo,
        StatusCode::CREATED,
        json!({
            "instance": {
                "id": activation.id.as_str(),
                "name": activation.name,
                "created_at": activation.created_at.map(rfc3339),
            },
            "license": facts::license(&record),
            "entitlements": facts::entitlements(&record),
            "confirmed_at": rfc3339(t),
        }),
    )
}

/// The unsigned answer to an activation Dodo did not make, or may have made (a lost
/// answer: ambiguous), other than a refusal.
pub fn activation_failed(e: &UpstreamError) -> Response {
    match e {
        UpstreamError::Ambiguous(why) => {
            tracing::warn!(why, "an activation's answer from Dodo was lost");
            unsigned(
                StatusCode::BAD_GATEWAY,
                "AMBIGUOUS_ACTIVATION",
                "Dodo may have made the activation, but its answer was lost",
                None,
            )
        }
        // Nothing was sent: the client may try again, as after a 429.
        UpstreamError::Spent(wait) => unsigned(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "the relay cannot ask Dodo now: its budget is spent",
            Some(*wait),
        ),
        e => no_verdict(e),
    }
}

/// An activation Dodo made, recorded: the activation, the key's facts, and when.
pub struct Activated {
    pub activation: keyseat::api::Activation,
    pub record: KeyRecord,
    pub at: i64,
}

/// Activates `key` with Dodo (once: never from the store), reads the key's facts, and
/// records the key and the new instance, bound to `machine`. A record that cannot be
/// written is logged: the seat is spent on Dodo, and the activation is still answered.
///
/// # Errors
/// Dodo's refusal, or why it could not be asked (or its answer was lost).
pub async fn activate_and_record(
    app: &App,
    key: keyseat::LicenseKey,
    name: String,
    machine: Option<String>,
) -> Result<Activated, UpstreamError> {
    let upstream = app.upstream.clone();
    let k = key.clone();
    let activation = blocking(move || upstream.activate(&k, &name)).await?;
    let t = now();
    let hash = keyseat::api::relay_key_hash(&key);
    let stored = app.store.key(&hash).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the key's record could not be read");
        None
    });
    let license = &activation.license;
    let mut record = stored.unwrap_or_else(|| KeyRecord {
        key_hash: hash.clone(),
        ..KeyRecord::default()
    });
    record.license_key_id = license.license_key_id.clone();
    record.product_id = Some(license.product_id.clone());
    record.customer_email = license.customer_email.clone();
    let upstream = app.upstream.clone();
    let before = record.clone();
    let mut record = blocking(move || facts::refresh(&upstream, &key, record, None, t))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the new activation's key facts could not be read");
            before
        });
    // Dodo activated the key: whatever revocation the webhooks brought was undone.
    if record.revoked {
        match app.store.lift_revocation(&record.key_hash, t).await {
            Ok(()) => record.revoked = false,
            Err(e) => tracing::error!(error = %e, "a lifted revocation could not be recorded"),
        }
    }
    let instance = InstanceRecord {
        instance_id: activation.id.as_str().to_owned(),
        key_hash: hash,
        name: activation.name.clone(),
        created_at: activation
            .created_at
            .map(|c| rfc3339(c).as_str().unwrap_or_default().to_owned()),
        machine,
        valid: true,
        confirmed_at: t,
    };
    if let Err(e) = save(app, &record, &instance).await {
        // The seat is spent on Dodo: answer it, the binding is what is lost.
        tracing::error!(error = %e, "the activation could not be recorded");
    }
    tracing::info!(instance = %activation.id, "activated");
    Ok(Activated {
        activation,
        record,
        at: t,
    })
}

/// Records a key and one of its instances.
pub async fn save(
    app: &App,
    key: &KeyRecord,
    instance: &InstanceRecord,
) -> Result<(), sqlx::Error> {
    app.store.save_key(key).await?;
    app.store.save_instance(instance).await
}

/// `POST /v1/licenses/deactivate`: frees the seat (any machine's, for whoever holds the key).
pub async fn deactivate(
    State(app): State<Arc<App>>,
    Admitted(a, _): Admitted<Deactivate>,
) -> Response {
    let Some(instance) = a.instance.clone() else {
        return unsigned(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST_BODY",
            "no instance",
            None,
        );
    };
    let (upstream, key, id) = (app.upstream.clone(), a.key.clone(), instance.clone());
    match blocking(move || upstream.deactivate(&key, &id)).await {
        Ok(()) => {
            if let Err(e) = app.store.delete_instance(instance.as_str()).await {
                tracing::error!(error = %e, "a freed instance could not be forgotten");
            }
            tracing::info!(%instance, "deactivated");
            signed(
                &app.keys,
                &a.asked,
                &a.echo,
                StatusCode::OK,
                json!({ "deactivated": true }),
            )
        }
        Err(UpstreamError::Refused {
            status,
            code,
            message,
        }) => refused(&app.keys, &a.asked, &a.echo, status, &code, &message),
        Err(e) => no_verdict(&e),
    }
}

/// `POST /v1/licenses/seats`: the key's instances, and which is this machine's.
pub async fn seats(State(app): State<Arc<App>>, Admitted(a, _): Admitted<Seats>) -> Response {
    let record = match app.store.key(&a.echo.key_hash).await {
        Ok(Some(k)) if !k.license_key_id.is_empty() => k,
        Ok(_) => {
            return refused(
                &app.keys,
                &a.asked,
                &a.echo,
                404,
                "LICENSE_KEY_NOT_FOUND",
                "the relay knows no activation of this key",
            );
        }
        Err(e) => return store_failed(&e),
    };
    let (upstream, id) = (app.upstream.clone(), record.license_key_id.clone());
    let listed = match blocking(move || upstream.instances(&id)).await {
        Ok(listed) => listed,
        Err(e) => return no_verdict(&e),
    };
    let bound = match app.store.instances_of(&a.echo.key_hash).await {
        Ok(known) => known,
        Err(e) => return store_failed(&e),
    };
    let seats: Vec<_> = listed
        .iter()
        .map(|i| {
            let machine = bound
                .iter()
                .find(|b| b.instance_id == i.id)
                .and_then(|b| b.machine.as_deref());
            json!({
                "id": i.id,
                "name": i.name,
                "created_at": i.created_at,
                "this_machine": a.fingerprint.is_some() && machine == a.fingerprint.as_deref(),
            })
        })
        .collect();
    signed(
        &app.keys,
        &a.asked,
        &a.echo,
        StatusCode::OK,
        json!({ "seats": seats, "license": facts::license(&record) }),
    )
}
