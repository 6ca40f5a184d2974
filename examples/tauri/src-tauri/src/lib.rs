//! The example's licensing: the plugin, configured as a Licensor is.

use keyseat::api::Environment;
use keyseat::{App, Licensor};

/// The product the example sells (the emulator's default product).
pub const PRODUCT: &str = "pdt_emulator";

/// The Licensor's configuration: this app, its product, its vendor secret, a 14-day trial,
/// and Dodo's live server; in a debug build, the server `KEYSEAT_BASE_URL` names (the
/// emulator). A release build never lets the environment choose its license server: the
/// environment is the end user's.
pub fn licensor() -> keyseat::licensor::LicensorBuilder {
    let builder = Licensor::builder(App::new("com", "Example", "KeyseatTauriExample"))
        .product_ids([PRODUCT])
        .vendor_secret(*b"the Tauri example's vendor secret")
        .trial_days(14);
    match std::env::var("KEYSEAT_BASE_URL") {
        Ok(url) if cfg!(debug_assertions) => builder.environment(Environment::Custom(url)),
        _ => builder,
    }
}

/// The plugin, as the app registers it.
pub fn licensing<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_keyseat::init(licensor())
}
