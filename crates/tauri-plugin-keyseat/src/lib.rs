//! keyseat for Tauri 2: the app's [`keyseat::Licensor`] as a plugin, with commands the web
//! side calls through the `tauri-plugin-keyseat-api` npm package (or
//! `window.__TAURI__.keyseat` with `withGlobalTauri`), the permissions that grant them
//! (`keyseat:default`), a background revalidation that tells the web side when the license
//! state changes (the `keyseat://status-changed` event), and [`KeyseatExt`] for the app's
//! own Rust code.
//!
//! ```rust,no_run
//! use keyseat::{App, Licensor};
//! use tauri::{Runtime, plugin::TauriPlugin};
//!
//! fn licensing<R: Runtime>() -> TauriPlugin<R> {
//!     tauri_plugin_keyseat::Builder::new(
//!         Licensor::builder(App::new("com", "Example", "PhotoTool"))
//!             .product_ids(["pdt_0NVbT1bXE1XGeYJb2ZVx8"])
//!             .vendor_secret(*b"a secret compiled into the app")
//!             .trial_days(14),
//!     )
//!     .build()
//! }
//! // In the app: tauri::Builder::default().plugin(licensing())…
//! ```
//!
//! The key crosses to the web side only as the user types it (`activate`, `seats`,
//! `releaseInstance`); no command or event returns it: a status carries its redacted form.

#![warn(missing_docs)]

mod commands;
mod model;

use std::sync::Mutex;
use std::time::Duration;

use keyseat::Licensor;
use keyseat::licensor::LicensorBuilder;
use tauri::plugin::{Builder as PluginBuilder, TauriPlugin};
use tauri::{AppHandle, Emitter, Manager, RunEvent, Runtime};

pub use model::{Entitlement, Error, Seat, Status};

/// The event the plugin emits, with a [`Status`], when the license state changes: found by
/// the background revalidation, or by a command.
pub const STATUS_CHANGED: &str = "keyseat://status-changed";

/// How often the background revalidation asks by default: hourly (a check answers from
/// the cache until the Licensor's revalidation interval has passed).
pub const DEFAULT_WATCH_INTERVAL: Duration = Duration::from_secs(3600);

/// The plugin's configuration: the Licensor's, as the core crate takes it, and how often
/// to revalidate in the background.
pub struct Builder {
    licensor: LicensorBuilder,
    watch_every: Option<Duration>,
}

impl Builder {
    /// The plugin of the Licensor `licensor` describes (its app id, provider and account,
    /// products, vendor secret, trial, relay keys: everything [`Licensor::builder`] takes).
    pub fn new(licensor: LicensorBuilder) -> Builder {
        Builder {
            licensor,
            watch_every: Some(DEFAULT_WATCH_INTERVAL),
        }
    }

    /// Revalidates in the background every `interval`, emitting [`STATUS_CHANGED`] on a
    /// change of state; `None` turns it off.
    pub fn watch_every(mut self, interval: Option<Duration>) -> Builder {
        self.watch_every = interval;
        self
    }

    /// The plugin. Building the Licensor fails the app's setup with the reason (a missing
    /// product id, a malformed public key, an unusable data directory).
    pub fn build<R: Runtime>(self) -> TauriPlugin<R> {
        let Builder {
            licensor,
            watch_every,
        } = self;
        let licensor = Mutex::new(Some(licensor));
        PluginBuilder::new("keyseat")
            .invoke_handler(tauri::generate_handler![
                commands::status,
                commands::activate,
                commands::deactivate,
                commands::start_trial,
                commands::release_instance,
                commands::fingerprint,
                commands::seats,
            ])
            .setup(move |app, _api| {
                let builder = licensor
                    .lock()
                    .map_err(|_| "the plugin was set up twice")?
                    .take()
                    .ok_or("the plugin was set up twice")?;
                let keyseat = Keyseat::new(builder.build()?);
                app.manage(keyseat);
                if let Some(interval) = watch_every {
                    app.keyseat().start_watch(app, interval)?;
                }
                Ok(())
            })
            .on_event(|app, event| {
                if let RunEvent::Exit = event {
                    app.keyseat().stop_watch();
                }
            })
            .build()
    }
}

/// The plugin with the Licensor `licensor` describes and the default background
/// revalidation.
pub fn init<R: Runtime>(licensor: LicensorBuilder) -> TauriPlugin<R> {
    Builder::new(licensor).build()
}

/// The plugin's state: the app's Licensor, its background revalidation, and the last state
/// told to the web side.
pub struct Keyseat {
    licensor: Licensor,
    watch: Mutex<Option<keyseat::WatchHandle>>,
    last: Mutex<Option<String>>,
}

impl Keyseat {
    fn new(licensor: Licensor) -> Keyseat {
        Keyseat {
            licensor,
            watch: Mutex::new(None),
            last: Mutex::new(None),
        }
    }

    /// The app's Licensor (a cheap clone of the same one the commands use).
    pub fn licensor(&self) -> Licensor {
        self.licensor.clone()
    }

    /// Emits [`STATUS_CHANGED`] when `status`'s state differs from the last one told.
    fn changed<R: Runtime>(&self, app: &AppHandle<R>, status: &Status) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_deref() == Some(status.state.as_str()) {
            return;
        }
        *last = Some(status.state.clone());
        drop(last);
        if let Err(e) = app.emit(STATUS_CHANGED, status) {
            log::warn!("the license status could not be sent to the web side: {e}");
        }
    }

    fn start_watch<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        interval: Duration,
    ) -> Result<(), keyseat::Error> {
        let handle = app.clone();
        let watch = self.licensor.watch(interval, move |status| {
            handle.keyseat().changed(&handle, &Status::from(status));
        })?;
        *self.watch.lock().unwrap_or_else(|p| p.into_inner()) = Some(watch);
        Ok(())
    }

    /// Stops the background revalidation (at the app's exit).
    fn stop_watch(&self) {
        if let Some(watch) = self.watch.lock().unwrap_or_else(|p| p.into_inner()).take() {
            watch.stop();
        }
    }
}

/// The app's [`Keyseat`] from anything that manages Tauri state: `app.keyseat().licensor()`.
pub trait KeyseatExt<R: Runtime> {
    /// The plugin's state.
    fn keyseat(&self) -> &Keyseat;
}

impl<R: Runtime, T: Manager<R>> KeyseatExt<R> for T {
    fn keyseat(&self) -> &Keyseat {
        self.state::<Keyseat>().inner()
    }
}
