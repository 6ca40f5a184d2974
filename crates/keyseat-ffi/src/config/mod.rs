//! `ks_config`: the settings of a Licensor, built up with setters and copied by
//! ks_licensor_new(), so that new settings never change a struct layout apps compiled
//! against.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use keyseat::api::{Environment, Provider, TrustStore};
use keyseat::licensor::LicensorBuilder;
use keyseat::{App, Error, KeyStorage, Licensor};

use crate::error::{from_error, guard, ks_result, null};
use crate::strings::str_required;

mod provider;
mod settings;

pub use provider::{
    ks_config_add_public_key, ks_config_add_variant_id, ks_config_set_account,
    ks_config_set_base_url, ks_config_set_environment, ks_config_set_provider,
    ks_config_set_public_key,
};
pub use settings::{
    ks_config_add_product_id, ks_config_allow_any_product, ks_config_set_ca_file,
    ks_config_set_data_dir, ks_config_set_grace_period, ks_config_set_instance_names_include_host,
    ks_config_set_key_storage, ks_config_set_revalidate_interval, ks_config_set_timeout_ms,
    ks_config_set_trial_days, ks_config_set_trust_store, ks_config_set_vendor_secret,
};

/// The provider's servers, for ks_config_set_environment().
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ks_environment {
    /// The live server, real customers' keys (the default).
    KS_ENVIRONMENT_LIVE = 0,
    /// The test server, test-mode keys (`https://test.dodopayments.com`,
    /// `https://sandbox-api.polar.sh`; Lemon Squeezy's test keys live on its live server).
    KS_ENVIRONMENT_TEST = 1,
}

/// Who sold the keys, for ks_config_set_provider(). Since ABI 1.2.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ks_provider {
    /// Dodo Payments (the default). No account id.
    KS_PROVIDER_DODO = 0,
    /// Lemon Squeezy: ks_config_set_account() takes the store id (a number).
    KS_PROVIDER_LEMON_SQUEEZY = 1,
    /// Polar: ks_config_set_account() takes the organization id (a UUID).
    KS_PROVIDER_POLAR = 2,
    /// Keygen: ks_config_set_account() takes the account id, and ks_config_set_public_key()
    /// the account's Ed25519 public key, both required.
    KS_PROVIDER_KEYGEN = 3,
    /// The seller's own keyseat-relay in front of Dodo: ks_config_set_base_url() takes its
    /// URL, and ks_config_add_public_key() its public keys (one or more), both required.
    /// Since ABI 1.4.
    KS_PROVIDER_RELAY = 4,
}

/// Where the license key is kept: ks_config_set_key_storage(), ks_status_key_storage().
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ks_key_storage {
    /// The OS credential store, falling back to a file only the user can read (the default).
    KS_KEY_STORAGE_KEYRING = 0,
    /// A file only the user can read, in the data directory.
    KS_KEY_STORAGE_FILE = 1,
    /// Process memory only.
    KS_KEY_STORAGE_MEMORY = 2,
    /// No credentials are stored (a status only: not activated).
    KS_KEY_STORAGE_NONE = 3,
    /// A store newer than this header knows (a status only).
    KS_KEY_STORAGE_OTHER = 255,
}

/// Where trusted root certificates come from, for ks_config_set_trust_store().
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ks_trust_store {
    /// The Mozilla roots compiled into the library, plus ks_config_set_ca_file() (the
    /// default). A root certificate installed on the machine cannot forge Dodo's answers.
    KS_TRUST_STORE_BUNDLED = 0,
    /// The operating system's verifier and trust store: trusts whatever is installed there.
    KS_TRUST_STORE_SYSTEM = 1,
}

/// The longest grace period or revalidation interval accepted: 100 years, in seconds.
const MAX_SECONDS: u64 = 100 * 365 * 24 * 3600;

/// Settings for ks_licensor_new(): opaque, made by ks_config_new(), freed by
/// ks_config_free(). Not thread-safe: one thread at a time may use a config.
pub struct ks_config {
    app: App,
    provider: ks_provider,
    account: Option<String>,
    /// The public keys: Keygen's one, or the relay's.
    public_keys: Vec<String>,
    variant_ids: Vec<String>,
    environment: Environment,
    data_dir: Option<PathBuf>,
    key_storage: KeyStorage,
    vendor_secret: zeroize::Zeroizing<Vec<u8>>,
    product_ids: Vec<String>,
    any_product: bool,
    grace_period: Option<Duration>,
    revalidate_interval: Option<Duration>,
    timeout: Option<Duration>,
    ca_file: Option<PathBuf>,
    trust_store: TrustStore,
    trial_days: Option<u32>,
    include_host: bool,
}

impl ks_config {
    /// The Licensor builder these settings describe.
    ///
    /// # Errors
    /// When the provider's account id is missing or malformed.
    pub(crate) fn builder(&self) -> Result<LicensorBuilder, Error> {
        let name = match self.provider {
            ks_provider::KS_PROVIDER_DODO => "dodo",
            ks_provider::KS_PROVIDER_LEMON_SQUEEZY => "lemonsqueezy",
            ks_provider::KS_PROVIDER_POLAR => "polar",
            ks_provider::KS_PROVIDER_KEYGEN => "keygen",
            ks_provider::KS_PROVIDER_RELAY => "relay",
        };
        let keys: Vec<&str> = self.public_keys.iter().map(String::as_str).collect();
        // The relay's URL is the base URL: the server every call goes to.
        let url = match &self.environment {
            Environment::Custom(url) => Some(url.as_str()),
            _ => None,
        };
        let provider = Provider::from_settings(name, self.account.as_deref(), &keys, url)?;
        let mut b = Licensor::builder(self.app.clone())
            .provider(provider)
            .variant_ids(self.variant_ids.iter().cloned())
            .environment(self.environment.clone())
            .key_storage(self.key_storage)
            .vendor_secret(self.vendor_secret.to_vec())
            .trust_store(self.trust_store)
            .product_ids(self.product_ids.iter().cloned());
        if self.any_product {
            b = b.any_product();
        }
        if let Some(dir) = &self.data_dir {
            b = b.data_dir(dir);
        }
        if let Some(d) = self.grace_period {
            b = b.grace_period(d);
        }
        if let Some(d) = self.revalidate_interval {
            b = b.revalidate_every(d);
        }
        if let Some(d) = self.timeout {
            b = b.timeout(d);
        }
        if let Some(path) = &self.ca_file {
            b = b.ca_file(path);
        }
        if let Some(days) = self.trial_days {
            b = b.trial_days(days);
        }
        Ok(b.instance_names_include_host(self.include_host))
    }
}

/// Creates a config for the app `qualifier.organisation.application` (for example "com",
/// "Example", "PhotoTool"): it decides where license data lives and which keychain entry
/// holds the key. On success `*out` receives the config; on failure `*out` is NULL.
///
/// # Safety
/// The strings must be NULL or NUL-terminated; `out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_new(
    qualifier: *const c_char,
    organisation: *const c_char,
    application: *const c_char,
    out: *mut *mut ks_config,
) -> ks_result {
    guard(|| {
        if out.is_null() {
            return null("out");
        }
        // SAFETY: out is non-NULL and the caller promises it is valid for writes.
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: the caller promises each string is NULL or NUL-terminated.
        let parts = unsafe {
            (
                str_required(qualifier, "qualifier"),
                str_required(organisation, "organisation"),
                str_required(application, "application"),
            )
        };
        let (q, o, a) = match parts {
            (Ok(q), Ok(o), Ok(a)) => (q, o, a),
            (Err(code), _, _) | (_, Err(code), _) | (_, _, Err(code)) => return code,
        };
        let app = match App::try_new(q, o, a) {
            Ok(app) => app,
            Err(e) => return from_error(&e),
        };
        let config = Box::new(ks_config {
            app,
            provider: ks_provider::KS_PROVIDER_DODO,
            account: None,
            public_keys: Vec::new(),
            variant_ids: Vec::new(),
            environment: Environment::Live,
            data_dir: None,
            key_storage: KeyStorage::Keyring,
            vendor_secret: zeroize::Zeroizing::new(Vec::new()),
            product_ids: Vec::new(),
            any_product: false,
            grace_period: None,
            revalidate_interval: None,
            timeout: None,
            ca_file: None,
            trust_store: TrustStore::Bundled,
            trial_days: None,
            include_host: true,
        });
        // SAFETY: out is non-NULL and valid for writes (checked above).
        unsafe { *out = Box::into_raw(config) };
        ks_result::KS_OK
    })
}

/// Frees a config. NULL is allowed and does nothing. A Licensor made from it is unaffected.
///
/// # Safety
/// `config` must be NULL or a config from ks_config_new() not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_free(config: *mut ks_config) {
    let _ = guard(|| {
        if !config.is_null() {
            // SAFETY: the caller promises this came from Box::into_raw in ks_config_new and
            // is freed once.
            drop(unsafe { Box::from_raw(config) });
        }
        ks_result::KS_OK
    });
}

/// Runs a setter on a config, guarded; NULL gives KS_ERR_NULL_ARGUMENT.
fn with_config(
    config: Option<&mut ks_config>,
    f: impl FnOnce(&mut ks_config) -> ks_result,
) -> ks_result {
    guard(|| match config {
        Some(c) => f(c),
        None => null("config"),
    })
}
