//! The plugin's commands, which the web side invokes as `plugin:keyseat|<name>`. Each runs
//! the Licensor's call on a blocking thread, so that the webview never waits on the network.
//! Only `activate`, `releaseInstance` and `seats` take the key, as the user typed it; no
//! command returns it.

use tauri::{AppHandle, Runtime, command};

use crate::KeyseatExt as _;
use crate::model::{Error, Seat, Status};

/// Runs `f` with the app's Licensor on a blocking thread.
async fn blocking<R: Runtime, T: Send + 'static>(
    app: &AppHandle<R>,
    f: impl FnOnce(&keyseat::Licensor) -> Result<T, keyseat::Error> + Send + 'static,
) -> Result<T, Error> {
    let licensor = app.keyseat().licensor();
    tauri::async_runtime::spawn_blocking(move || f(&licensor).map_err(Error::from))
        .await
        .map_err(|e| Error::internal(format!("the call did not finish: {e}")))?
}

/// The license state: from the cache when fresh, else asking the server.
#[command]
pub(crate) async fn status<R: Runtime>(app: AppHandle<R>) -> Result<Status, Error> {
    blocking(&app, |l| l.check().map(|s| Status::from(&s))).await
}

/// Activates `key` on this machine.
#[command]
pub(crate) async fn activate<R: Runtime>(app: AppHandle<R>, key: String) -> Result<Status, Error> {
    let status = blocking(&app, move |l| l.activate(&key).map(|s| Status::from(&s))).await?;
    app.keyseat().changed(&app, &status);
    Ok(status)
}

/// Releases this machine's activation: `slot_freed`, `already_gone`, `local_only` (with
/// `force`, when the server could not be reached) or `no_seat`.
#[command]
pub(crate) async fn deactivate<R: Runtime>(
    app: AppHandle<R>,
    force: Option<bool>,
) -> Result<String, Error> {
    let force = force.unwrap_or(false);
    let outcome = blocking(&app, move |l| {
        l.deactivate(force).map(|d| d.name().to_owned())
    })
    .await?;
    let after = blocking(&app, |l| l.check_offline().map(|s| Status::from(&s))).await?;
    app.keyseat().changed(&app, &after);
    Ok(outcome)
}

/// Starts this machine's trial (or gives the trial or license that exists).
#[command]
pub(crate) async fn start_trial<R: Runtime>(app: AppHandle<R>) -> Result<Status, Error> {
    let status = blocking(&app, |l| l.start_trial().map(|s| Status::from(&s))).await?;
    app.keyseat().changed(&app, &status);
    Ok(status)
}

/// Frees the seat of instance `instance_id` of `key`, on any machine: `slot_freed` or
/// `already_gone`. Not in `keyseat:default`.
#[command]
pub(crate) async fn release_instance<R: Runtime>(
    app: AppHandle<R>,
    key: String,
    instance_id: String,
) -> Result<String, Error> {
    blocking(&app, move |l| {
        l.release_instance(&key, &instance_id)
            .map(|d| d.name().to_owned())
    })
    .await
}

/// This machine's fingerprint for the app: 64 hex characters.
#[command]
pub(crate) async fn fingerprint<R: Runtime>(app: AppHandle<R>) -> Result<String, Error> {
    Ok(app.keyseat().licensor().fingerprint().id())
}

/// The seats of `key`, or of this machine's activation's key (the relay, Keygen).
#[command]
pub(crate) async fn seats<R: Runtime>(
    app: AppHandle<R>,
    key: Option<String>,
) -> Result<Vec<Seat>, Error> {
    blocking(&app, move |l| {
        l.seats(key.as_deref())
            .map(|all| all.iter().map(Seat::from).collect())
    })
    .await
}
