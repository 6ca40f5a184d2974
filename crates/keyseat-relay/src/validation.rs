//! `POST /v1/licenses/validate`: from the store while Dodo's confirmation is fresh and no
//! webhook changed the key; a revoked key and another machine's instance with no call;
//! otherwise one call of Dodo's (and, when it says no, one more to tell a revoked key from a
//! released instance); and when Dodo cannot be asked, a stale answer or none.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::admission::{Admitted, Validate};
use crate::decide::{Plan, Source, Verdict, fallback, plan};
use crate::facts;
use crate::licenses::{blocking, no_verdict, save, store_failed};
use crate::requests::Asking;
use crate::state::{App, now, rfc3339};
use crate::store::{InstanceRecord, KeyRecord};
use crate::upstream::UpstreamError;

/// `POST /v1/licenses/validate`.
pub async fn validate(State(app): State<Arc<App>>, Admitted(a, _): Admitted<Validate>) -> Response {
    let fingerprint = a.fingerprint.clone().unwrap_or_default();
    let hash = a.echo.key_hash.clone();
    let (key, instance) = match lookup(&app, &hash, a.echo.instance.as_deref()).await {
        Ok(found) => found,
        Err(e) => return store_failed(&e),
    };
    let t = now();
    if let Plan::Answer(source, verdict) = plan(
        t,
        key.as_ref(),
        instance.as_ref(),
        &fingerprint,
        app.windows,
    ) {
        let confirmed = instance.as_ref().map_or(0, |i| i.confirmed_at);
        let key = key.unwrap_or_default();
        return answer(&app, &a, source, verdict, &key, confirmed);
    }
    match ask(&app, &a, key.clone(), instance.clone(), t).await {
        Ok((verdict, key)) => answer(&app, &a, Source::Upstream, verdict, &key, t),
        Err(e) => match fallback(t, key.as_ref(), instance.as_ref(), app.windows) {
            Some(verdict) => {
                tracing::warn!(error = %e, "Dodo could not be asked: answering from the store, stale");
                let confirmed = instance.as_ref().map_or(0, |i| i.confirmed_at);
                answer(
                    &app,
                    &a,
                    Source::Stale,
                    verdict,
                    &key.unwrap_or_default(),
                    confirmed,
                )
            }
            None => no_verdict(&e),
        },
    }
}

/// The key and the instance the store knows.
async fn lookup(
    app: &App,
    hash: &str,
    instance: Option<&str>,
) -> Result<(Option<KeyRecord>, Option<InstanceRecord>), sqlx::Error> {
    let key = app.store.key(hash).await?;
    let instance = match instance {
        Some(id) => app.store.instance(id).await?.filter(|i| i.key_hash == hash),
        None => None,
    };
    Ok((key, instance))
}

/// Asks Dodo, records what it said, and gives the verdict with the key as it now stands.
async fn ask(
    app: &App,
    a: &Asking,
    key: Option<KeyRecord>,
    instance: Option<InstanceRecord>,
    t: i64,
) -> Result<(Verdict, KeyRecord), UpstreamError> {
    let (upstream, k, id) = (app.upstream.clone(), a.key.clone(), a.instance.clone());
    let valid = blocking(move || upstream.validate(&k, id.as_ref())).await?;
    let mut record = key.unwrap_or_else(|| KeyRecord {
        key_hash: a.echo.key_hash.clone(),
        ..KeyRecord::default()
    });
    // The key's facts, at most once a freshness window, and at once when Dodo says no (its
    // status tells a revoked key from a released instance).
    let due = !valid
        || record.license_key_id.is_empty()
        || t - record.details_at >= app.windows.freshness
        || record.changed_at > record.details_at;
    if due {
        let (upstream, k, id) = (app.upstream.clone(), a.key.clone(), a.echo.instance.clone());
        let before = record.clone();
        record = blocking(move || facts::refresh(&upstream, &k, before, id.as_deref(), t))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the key's facts could not be read");
                record
            });
    }
    let key_works = record.works(t);
    // Dodo vouches for a key the webhooks revoked: the revocation was undone (its webhook
    // lost, or not yet here).
    if record.revoked && valid && key_works {
        match app.store.lift_revocation(&record.key_hash, t).await {
            Ok(()) => record.revoked = false,
            Err(e) => tracing::error!(error = %e, "a lifted revocation could not be recorded"),
        }
    }
    let verdict = match (valid && !record.revoked, key_works) {
        (true, _) => Verdict::Valid,
        (false, false) => Verdict::Invalid,
        (false, true) if a.instance.is_some() => Verdict::NotActivatedHere,
        (false, true) => Verdict::Invalid,
    };
    let instance = a.echo.instance.clone().map(|id| InstanceRecord {
        instance_id: id,
        key_hash: a.echo.key_hash.clone(),
        name: instance
            .as_ref()
            .map(|i| i.name.clone())
            .unwrap_or_default(),
        created_at: instance.as_ref().and_then(|i| i.created_at.clone()),
        // An instance the relay first hears of is bound to the machine asking.
        machine: instance
            .and_then(|i| i.machine)
            .or_else(|| a.fingerprint.clone()),
        valid: verdict == Verdict::Valid,
        confirmed_at: t,
    });
    let saved = match &instance {
        Some(i) => save(app, &record, i).await,
        None => app.store.save_key(&record).await,
    };
    if let Err(e) = saved {
        tracing::error!(error = %e, "Dodo's answer could not be recorded");
    }
    Ok((verdict, record))
}

/// A signed validation.
fn answer(
    app: &App,
    a: &Asking,
    source: Source,
    verdict: Verdict,
    key: &KeyRecord,
    confirmed_at: i64,
) -> Response {
    app.metrics.answer(source.name());
    crate::answer::signed(
        &app.keys,
        &a.asked,
        &a.echo,
        StatusCode::OK,
        json!({
            "verdict": verdict.name(),
            "license": facts::license(key),
            "entitlements": facts::entitlements(key),
            "confirmed_at": rfc3339(confirmed_at),
            "source": source.name(),
        }),
    )
}
