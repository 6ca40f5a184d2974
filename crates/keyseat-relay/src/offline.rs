//! Offline activation at the relay (`docs/relay-protocol.md`, "Offline activation"): an
//! offline request becomes a machine file, spending a seat with Dodo's activation as an
//! online activation does (`POST /v1/offline`, and `keyseat-relay offline sign`), and a
//! release proof frees that seat, once (`POST /v1/offline/release`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyseat::offline::{OfflineGrant, OfflineRequest, ReleaseProof};
use keyseat::{InstanceId, LicenseKey};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::answer::unsigned;
use crate::facts;
use crate::licenses::{Activated, activate_and_record, activation_failed, blocking, store_failed};
use crate::state::{App, now};
use crate::store::OfflineRecord;
use crate::upstream::UpstreamError;

/// Why an offline request or release was not served.
#[derive(Debug)]
pub enum OfflineError {
    /// The text is not what it should be, or is not for this relay: in words.
    Bad(String),
    /// Dodo refused, or could not be asked.
    Upstream(UpstreamError),
    /// The database failed.
    Store(sqlx::Error),
    /// No offline activation of that instance is known here.
    Unknown,
}

impl std::fmt::Display for OfflineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OfflineError::Bad(why) => f.write_str(why),
            OfflineError::Upstream(e) => write!(f, "{e}"),
            OfflineError::Store(e) => write!(f, "the relay's database failed: {e}"),
            OfflineError::Unknown => {
                f.write_str("no offline activation of that instance is known here")
            }
        }
    }
}

fn bad(e: impl std::fmt::Display) -> OfflineError {
    OfflineError::Bad(e.to_string())
}

/// SHA-256 of `text`, hex.
fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The machine file for the offline request `text`: the key opened, a seat activated with
/// Dodo and bound to the request's machine, the grant encrypted for that key and machine
/// and signed with the key the request was sealed to. The same request again gets the same
/// file, and spends no second seat.
///
/// # Errors
/// [`OfflineError`].
pub async fn sign(app: &App, text: &str) -> Result<String, OfflineError> {
    let request = OfflineRequest::parse(text).map_err(bad)?;
    let secret = app.keys.offline(&request.relay_key).ok_or_else(|| {
        bad(format!(
            "the request is sealed to the key {}, which this relay does not hold",
            request.relay_key
        ))
    })?;
    let key = secret.open_request(&request).map_err(bad)?;
    if request.fingerprint.is_empty() || request.fingerprint.len() > 128 || request.name.len() > 256
    {
        return Err(bad("the request's machine or name is malformed"));
    }
    let key_hash = keyseat::api::relay_key_hash(&key);
    if let Some(served) = app
        .store
        .offline_by_nonce(&request.nonce)
        .await
        .map_err(OfflineError::Store)?
    {
        if served.key_hash != key_hash {
            return Err(bad("this request's nonce was used by another key"));
        }
        tracing::info!(
            instance = served.instance_id,
            "an offline request sent again: the same file"
        );
        return Ok(served.machine_file);
    }
    let Activated {
        activation,
        record,
        at,
    } = activate_and_record(
        app,
        key.clone(),
        request.name.clone(),
        Some(request.fingerprint.clone()),
    )
    .await
    .map_err(OfflineError::Upstream)?;
    let expires_at = at.saturating_add(app.offline_validity);
    let mut grant =
        OfflineGrant::new(&request, &key, activation.id.as_str(), at, expires_at).map_err(bad)?;
    grant.created_at = activation.created_at;
    grant.license_key_id = record.license_key_id.clone();
    grant.product_id = record.product_id.clone().unwrap_or_default();
    grant.customer_email = record.customer_email.clone();
    grant.key_expires_at = record.expires_at;
    grant.activation_limit = record.activation_limit.and_then(|n| u32::try_from(n).ok());
    grant.activations_used = record.activations_used.and_then(|n| u32::try_from(n).ok());
    grant.entitlements = facts::core_entitlements(&record);
    let file = secret.issue(&grant, &key).map_err(bad)?;
    let served = OfflineRecord {
        instance_id: grant.instance_id.clone(),
        key_hash,
        request_nonce: request.nonce.clone(),
        token_hash: hash(&grant.removal_token),
        machine_file: file.clone(),
        issued_at: at,
        expires_at,
        released_at: None,
    };
    if let Err(e) = app.store.save_offline(&served).await {
        // The seat is spent: the file is answered; its release will not be recognised.
        tracing::error!(error = %e, "an offline activation could not be recorded");
    }
    tracing::info!(instance = %activation.id, expires_at, "offline activation granted");
    Ok(file)
}

/// Frees the seat of the offline activation a release proof names, once: the proof opens
/// with this relay's key, names the key the activation is of, and carries its removal token.
/// Returns the instance, and whether it was released before.
///
/// # Errors
/// [`OfflineError`].
pub async fn release(app: &App, text: &str) -> Result<(String, bool), OfflineError> {
    let proof = ReleaseProof::parse(text).map_err(bad)?;
    let secret = app.keys.offline(&proof.relay_key).ok_or_else(|| {
        bad(format!(
            "the proof is sealed to the key {}, which this relay does not hold",
            proof.relay_key
        ))
    })?;
    let (key, token): (LicenseKey, _) = secret.open_release(&proof).map_err(bad)?;
    let served = app
        .store
        .offline(&proof.instance_id)
        .await
        .map_err(OfflineError::Store)?
        .ok_or(OfflineError::Unknown)?;
    if served.key_hash != keyseat::api::relay_key_hash(&key) || served.token_hash != hash(&token) {
        return Err(bad("this is not the proof of that activation's removal"));
    }
    let now = now();
    if !app
        .store
        .release_offline(&served.instance_id, now)
        .await
        .map_err(OfflineError::Store)?
    {
        return Ok((served.instance_id, true));
    }
    let instance = InstanceId::new(served.instance_id.clone()).map_err(bad)?;
    let (upstream, k, id) = (app.upstream.clone(), key.clone(), instance.clone());
    match blocking(move || upstream.deactivate(&k, &id)).await {
        // Freed now, or gone already (freed from the dashboard, say).
        Ok(())
        | Err(UpstreamError::Refused {
            status: 403 | 404, ..
        }) => {}
        Err(e) => {
            if let Err(e) = app.store.unrelease_offline(&served.instance_id).await {
                tracing::error!(error = %e, "a failed release could not be undone");
            }
            return Err(OfflineError::Upstream(e));
        }
    }
    if let Err(e) = app.store.delete_instance(instance.as_str()).await {
        tracing::error!(error = %e, "a freed instance could not be forgotten");
    }
    tracing::info!(%instance, "offline activation released");
    Ok((served.instance_id, false))
}

/// The unsigned answer to an offline call that failed. (Machine files are signed
/// themselves; what the page shows of a failure needs no signature.)
fn failed(e: OfflineError) -> Response {
    match e {
        OfflineError::Bad(why) => unsigned(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST_BODY",
            &why,
            None,
        ),
        OfflineError::Unknown => unsigned(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no offline activation of that instance is known here",
            None,
        ),
        OfflineError::Store(e) => store_failed(&e),
        OfflineError::Upstream(UpstreamError::Refused {
            status,
            code,
            message,
        }) => unsigned(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            &code,
            &message,
            None,
        ),
        OfflineError::Upstream(e) => activation_failed(&e),
    }
}

/// Counts an offline call against the client's budget: the answer when it is spent.
fn over_budget(app: &App, peer: SocketAddr, headers: &HeaderMap) -> Option<Response> {
    let wait = app.limits.admit(app.client_ip(peer, headers), None).err()?;
    Some(unsigned(
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_REQUESTS",
        "too many requests from this client",
        Some(wait),
    ))
}

/// `POST /v1/offline`: the body an offline request's text, the answer its machine file
/// (`text/plain`, to save as `keyseat-machine-file.txt`).
pub async fn request(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = over_budget(&app, peer, &headers) {
        return refused;
    }
    let text = String::from_utf8_lossy(&body);
    match sign(&app, &text).await {
        Ok(file) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"keyseat-machine-file.txt\"",
                ),
            ],
            file,
        )
            .into_response(),
        Err(e) => failed(e),
    }
}

/// `POST /v1/offline/release`: the body a release proof's text; the answer
/// `{"released": true, "instance_id", "already"}`.
pub async fn release_proof(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = over_budget(&app, peer, &headers) {
        return refused;
    }
    let text = String::from_utf8_lossy(&body);
    match release(&app, &text).await {
        Ok((instance_id, already)) => (
            StatusCode::OK,
            axum::Json(json!({ "released": true, "instance_id": instance_id, "already": already })),
        )
            .into_response(),
        Err(e) => failed(e),
    }
}
