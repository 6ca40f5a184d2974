//! The `new Licensor(options)` object, checked and turned into a core builder.

use std::time::Duration;

use keyseat::api::{Environment, Provider};
use keyseat::licensor::LicensorBuilder;
use keyseat::{App, KeyStorage};
use napi::bindgen_prelude::{Either, FromNapiValue, Uint8Array, Unknown};
use napi_derive::napi;

use crate::error::{Outcome, failure, invalid_input};

/// Options of `new Licensor(…)`. The three names locate the data directory and the keychain
/// entry, so every program of an app (the app, `licensectl`, a helper) must give the same
/// ones, and the same `vendorSecret`.
#[napi(object)]
pub struct LicensorOptions {
    /// Reverse-DNS qualifier of the vendor (`com`).
    pub qualifier: String,
    /// The vendor (`Example`).
    pub organisation: String,
    /// The application (`MyApp`).
    pub application: String,
    /// Who sold the keys: `'dodo'` (the default), `'lemonsqueezy'`, `'polar'`, `'keygen'`,
    /// or `'relay'`: the seller's own keyseat-relay in front of Dodo, at `baseUrl`, its
    /// answers signed by one of `publicKeys`.
    #[napi(ts_type = "'dodo' | 'lemonsqueezy' | 'polar' | 'keygen' | 'relay'")]
    pub provider: Option<String>,
    /// The seller's account: the Lemon Squeezy store id, the Polar organization id or the
    /// Keygen account id (required for those; Dodo takes none).
    pub account: Option<String>,
    /// Keygen only, and required for it: the account's Ed25519 public key (64 hexadecimal
    /// characters). Answers not signed by it are refused (`BAD_SIGNATURE`, as no answer).
    pub public_key: Option<String>,
    /// The relay only, and required for it: the relay's Ed25519 public keys (64 hexadecimal
    /// characters each; several during a key rotation). Answers signed by none of them are
    /// refused (`BAD_SIGNATURE`, as no answer).
    pub public_keys: Option<Vec<String>>,
    /// Product ids whose keys license this app: Dodo's (`pdt_…`), Lemon Squeezy product ids,
    /// or Polar benefit ids. A key of another product (or store, or organization) is refused
    /// with code `WRONG_PRODUCT` and its activation released.
    pub product_ids: Option<Vec<String>>,
    /// Lemon Squeezy only: the variant ids whose keys license this app (default: every
    /// variant of the products).
    pub variant_ids: Option<Vec<String>>,
    /// Accept a key of any product (of the account; for Dodo, of any merchant): only for
    /// tools that are not the licensed product themselves. Give this or `productIds`, not
    /// both.
    pub any_product: Option<bool>,
    /// The vendor secret compiled into the app, mixed into the cache's MAC.
    pub vendor_secret: Option<Either<String, Uint8Array>>,
    /// `'live'` (the default) or `'test'` (the provider's test server).
    #[napi(ts_type = "'live' | 'test'")]
    pub environment: Option<String>,
    /// Another license server (`https://…`, or `http://` on loopback, such as the emulator);
    /// replaces `environment`. For the relay, its URL (required).
    pub base_url: Option<String>,
    /// The data directory (cache, lock, fallback credentials); default: the platform's.
    pub data_dir: Option<String>,
    /// Where the key is kept: `'keyring'` (the OS credential store, the default), `'file'`
    /// or `'memory'`.
    #[napi(ts_type = "'keyring' | 'file' | 'memory'")]
    pub key_storage: Option<String>,
    /// How long the license keeps working without reaching the server (default 14 days).
    pub grace_period_seconds: Option<f64>,
    /// How old the last answer may be before `check()` asks the server (default 24 hours).
    pub revalidate_interval_seconds: Option<f64>,
    /// A PEM file of extra CAs to trust, for a TLS-inspecting proxy.
    pub ca_file: Option<String>,
    /// The length of this app's local trial, in days (`startTrial()` starts it). Without
    /// it the app has no trial.
    pub trial_days: Option<u32>,
    /// Whether activation names start with the host name (default true): `Ada's ThinkPad
    /// (Windows 11) · 3f9a2c`, else `(Windows 11) · 3f9a2c`.
    pub instance_names_include_host: Option<bool>,
}

/// The core builder the options describe; the core checks the rest when it builds.
pub fn builder(o: LicensorOptions) -> Outcome<LicensorBuilder> {
    let app =
        App::try_new(&o.qualifier, &o.organisation, &o.application).map_err(|e| failure(&e))?;
    let provider = o.provider.as_deref().unwrap_or("dodo");
    let keys: Vec<&str> = o
        .public_key
        .as_deref()
        .into_iter()
        .chain(o.public_keys.iter().flatten().map(String::as_str))
        .collect();
    let provider =
        Provider::from_settings(provider, o.account.as_deref(), &keys, o.base_url.as_deref())
            .map_err(|e| failure(&e))?;
    let mut b = keyseat::Licensor::builder(app)
        .provider(provider)
        .variant_ids(o.variant_ids.unwrap_or_default());
    let ids = o.product_ids.unwrap_or_default();
    b = match (ids.is_empty(), o.any_product.unwrap_or(false)) {
        (false, false) => b.product_ids(ids),
        (true, true) => b.any_product(),
        (false, true) => {
            return Err(invalid_input(
                "give productIds or anyProduct: true, not both",
            ));
        }
        (true, false) => {
            return Err(invalid_input(
                "name the products whose keys license this app with productIds \
                 (or, for a tool that is not the licensed product, anyProduct: true)",
            ));
        }
    };
    if let Some(secret) = o.vendor_secret {
        b = b.vendor_secret(match secret {
            Either::A(text) => text.into_bytes(),
            Either::B(bytes) => bytes.to_vec(),
        });
    }
    b = b.environment(match o.base_url {
        Some(url) => Environment::Custom(url),
        None => {
            let name = o.environment.as_deref().unwrap_or("live");
            Environment::from_name(name).ok_or_else(|| {
                invalid_input(format!(
                    "environment must be 'live' or 'test', not {name:?}"
                ))
            })?
        }
    });
    if let Some(dir) = o.data_dir {
        b = b.data_dir(dir);
    }
    let storage = o.key_storage.as_deref().unwrap_or("keyring");
    b = b.key_storage(KeyStorage::from_name(storage).ok_or_else(|| {
        invalid_input(format!(
            "keyStorage must be 'keyring', 'file' or 'memory', not {storage:?}"
        ))
    })?);
    if let Some(secs) = o.grace_period_seconds {
        b = b.grace_period(seconds("gracePeriodSeconds", secs)?);
    }
    if let Some(secs) = o.revalidate_interval_seconds {
        b = b.revalidate_every(seconds("revalidateIntervalSeconds", secs)?);
    }
    if let Some(path) = o.ca_file {
        b = b.ca_file(path);
    }
    if let Some(days) = o.trial_days {
        b = b.trial_days(days);
    }
    if let Some(include) = o.instance_names_include_host {
        b = b.instance_names_include_host(include);
    }
    Ok(b)
}

/// A number of seconds from JavaScript: finite and not negative.
pub fn seconds(name: &str, secs: f64) -> Outcome<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        invalid_input(format!(
            "{name} must be a finite number of seconds >= 0, not {secs}"
        ))
    })
}

/// An argument converted from JavaScript, a value of the wrong type being `INVALID_INPUT`
/// like every other bad argument (napi's own conversion errors carry other codes).
pub fn from_js<T: FromNapiValue>(value: Unknown<'_>) -> Outcome<T> {
    // SAFETY: `value` is a live value of the current call's environment, and the
    // `FromNapiValue` impls used here (strings and `#[napi(object)]` structs) check the
    // value's type and return an error rather than assume it.
    unsafe { value.cast::<T>() }.map_err(|e| invalid_input(e.reason))
}
