//! `lk_config`: the settings of a Licensor, built up with setters and copied by
//! lk_licensor_new(), so that new settings never change a struct layout apps compiled
//! against.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use licensekit::api::{Environment, TrustStore};
use licensekit::licensor::LicensorBuilder;
use licensekit::{App, KeyStorage, Licensor};

use crate::error::{from_error, guard, invalid, lk_result, null};
use crate::strings::{str_in, str_required};

/// Dodo's servers, for lk_config_set_environment().
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lk_environment {
    /// `https://live.dodopayments.com`, real customers' keys (the default).
    LK_ENVIRONMENT_LIVE = 0,
    /// `https://test.dodopayments.com`, test-mode keys.
    LK_ENVIRONMENT_TEST = 1,
}

/// Where the license key is kept: lk_config_set_key_storage(), lk_status_key_storage().
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lk_key_storage {
    /// The OS credential store, falling back to a file only the user can read (the default).
    LK_KEY_STORAGE_KEYRING = 0,
    /// A file only the user can read, in the data directory.
    LK_KEY_STORAGE_FILE = 1,
    /// Process memory only.
    LK_KEY_STORAGE_MEMORY = 2,
    /// No credentials are stored (a status only: not activated).
    LK_KEY_STORAGE_NONE = 3,
    /// A store newer than this header knows (a status only).
    LK_KEY_STORAGE_OTHER = 255,
}

/// Where trusted root certificates come from, for lk_config_set_trust_store().
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lk_trust_store {
    /// The Mozilla roots compiled into the library, plus lk_config_set_ca_file() (the
    /// default). A root certificate installed on the machine cannot forge Dodo's answers.
    LK_TRUST_STORE_BUNDLED = 0,
    /// The operating system's verifier and trust store: trusts whatever is installed there.
    LK_TRUST_STORE_SYSTEM = 1,
}

/// The longest grace period or revalidation interval accepted: 100 years, in seconds.
const MAX_SECONDS: u64 = 100 * 365 * 24 * 3600;

/// Settings for lk_licensor_new(): opaque, made by lk_config_new(), freed by
/// lk_config_free(). Not thread-safe: one thread at a time may use a config.
pub struct lk_config {
    app: App,
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
}

impl lk_config {
    /// The Licensor builder these settings describe.
    pub(crate) fn builder(&self) -> LicensorBuilder {
        let mut b = Licensor::builder(self.app.clone())
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
        b
    }
}

/// Creates a config for the app `qualifier.organisation.application` (for example "com",
/// "Example", "PhotoTool"): it decides where license data lives and which keychain entry
/// holds the key. On success `*out` receives the config; on failure `*out` is NULL.
///
/// # Safety
/// The strings must be NULL or NUL-terminated; `out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_new(
    qualifier: *const c_char,
    organisation: *const c_char,
    application: *const c_char,
    out: *mut *mut lk_config,
) -> lk_result {
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
        let config = Box::new(lk_config {
            app,
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
        });
        // SAFETY: out is non-NULL and valid for writes (checked above).
        unsafe { *out = Box::into_raw(config) };
        lk_result::LK_OK
    })
}

/// Frees a config. NULL is allowed and does nothing. A Licensor made from it is unaffected.
///
/// # Safety
/// `config` must be NULL or a config from lk_config_new() not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_free(config: *mut lk_config) {
    let _ = guard(|| {
        if !config.is_null() {
            // SAFETY: the caller promises this came from Box::into_raw in lk_config_new and
            // is freed once.
            drop(unsafe { Box::from_raw(config) });
        }
        lk_result::LK_OK
    });
}

/// Runs a setter on a config, guarded; NULL gives LK_ERR_NULL_ARGUMENT.
fn with_config(
    config: Option<&mut lk_config>,
    f: impl FnOnce(&mut lk_config) -> lk_result,
) -> lk_result {
    guard(|| match config {
        Some(c) => f(c),
        None => null("config"),
    })
}

/// Which Dodo server: LK_ENVIRONMENT_LIVE (the default) or LK_ENVIRONMENT_TEST. Replaces a
/// base URL set before. Any other value gives LK_ERR_INVALID_INPUT.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_environment(
    config: *mut lk_config,
    environment: u32,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.environment = match environment {
            x if x == lk_environment::LK_ENVIRONMENT_LIVE as u32 => Environment::Live,
            x if x == lk_environment::LK_ENVIRONMENT_TEST as u32 => Environment::Test,
            other => return invalid(&format!("unknown environment {other}")),
        };
        lk_result::LK_OK
    })
}

/// Another license server (`https://…`, or `http://` on a loopback address, such as the
/// emulator), replacing the environment. Checked by lk_licensor_new().
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `url` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_base_url(
    config: *mut lk_config,
    url: *const c_char,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises url is NULL or NUL-terminated.
    let url = unsafe { str_required(url, "url") };
    with_config(config, |c| match url {
        Ok(url) => {
            c.environment = Environment::Custom(url.to_owned());
            lk_result::LK_OK
        }
        Err(code) => code,
    })
}

/// The data directory (cache, lock, fallback credentials); NULL for the platform default.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `dir` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_data_dir(
    config: *mut lk_config,
    dir: *const c_char,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises dir is NULL or NUL-terminated.
    let dir = unsafe { str_in(dir, "dir") };
    with_config(config, |c| match dir {
        Ok(dir) => {
            c.data_dir = dir.map(PathBuf::from);
            lk_result::LK_OK
        }
        Err(code) => code,
    })
}

/// Where the key is kept: LK_KEY_STORAGE_KEYRING (the default), LK_KEY_STORAGE_FILE or
/// LK_KEY_STORAGE_MEMORY. Any other value gives LK_ERR_INVALID_INPUT.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_key_storage(
    config: *mut lk_config,
    storage: u32,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.key_storage = match storage {
            x if x == lk_key_storage::LK_KEY_STORAGE_KEYRING as u32 => KeyStorage::Keyring,
            x if x == lk_key_storage::LK_KEY_STORAGE_FILE as u32 => KeyStorage::File,
            x if x == lk_key_storage::LK_KEY_STORAGE_MEMORY as u32 => KeyStorage::Memory,
            other => return invalid(&format!("unknown key storage {other}")),
        };
        lk_result::LK_OK
    })
}

/// The vendor secret compiled into the app, mixed into the cache MAC: `len` bytes at
/// `secret` (NULL only when `len` is 0). Every program of the app must use the same one.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `secret` valid for
/// `len` bytes of reads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_vendor_secret(
    config: *mut lk_config,
    secret: *const u8,
    len: usize,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        let bytes = match (secret.is_null(), len) {
            (_, 0) => Vec::new(),
            (true, _) => return null("secret"),
            // SAFETY: non-NULL, and the caller promises `len` readable bytes.
            (false, len) => unsafe { std::slice::from_raw_parts(secret, len) }.to_vec(),
        };
        c.vendor_secret = zeroize::Zeroizing::new(bytes);
        lk_result::LK_OK
    })
}

/// Accepts keys of this Dodo product id (`pdt_…`); call once per product. A config needs
/// this or lk_config_allow_any_product(): a key of another product is refused with
/// LK_ERR_WRONG_PRODUCT, its activation released.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `product_id` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_add_product_id(
    config: *mut lk_config,
    product_id: *const c_char,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises product_id is NULL or NUL-terminated.
    let product_id = unsafe { str_required(product_id, "product_id") };
    with_config(config, |c| match product_id {
        Ok(id) if id.trim().is_empty() => invalid("product_id is empty"),
        Ok(id) => {
            c.product_ids.push(id.to_owned());
            lk_result::LK_OK
        }
        Err(code) => code,
    })
}

/// Accepts keys of any product from any Dodo merchant: only for tools that are not the
/// licensed product themselves. An app that sells licenses wants lk_config_add_product_id().
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_allow_any_product(config: *mut lk_config) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.any_product = true;
        lk_result::LK_OK
    })
}

/// Checks a number of seconds for a duration setting.
fn checked_seconds(value: u64, name: &str, allow_zero: bool) -> Result<Duration, lk_result> {
    if (value == 0 && !allow_zero) || value > MAX_SECONDS {
        let low = if allow_zero { 0 } else { 1 };
        return Err(invalid(&format!(
            "{name} must be from {low} to {MAX_SECONDS} seconds, got {value}"
        )));
    }
    Ok(Duration::from_secs(value))
}

/// How long the license keeps working without reaching the server, counted from the last
/// successful validation, in seconds (default 14 days; 0 means no offline use; at most 100
/// years).
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_grace_period(
    config: *mut lk_config,
    seconds: u64,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        match checked_seconds(seconds, "grace period", true) {
            Ok(d) => {
                c.grace_period = Some(d);
                lk_result::LK_OK
            }
            Err(code) => code,
        }
    })
}

/// How old the server's last answer may be before a check asks again, in seconds (default
/// 24 hours; from 1 second to 100 years).
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_revalidate_interval(
    config: *mut lk_config,
    seconds: u64,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        match checked_seconds(seconds, "revalidate interval", false) {
            Ok(d) => {
                c.revalidate_interval = Some(d);
                lk_result::LK_OK
            }
            Err(code) => code,
        }
    })
}

/// The time allowed for one whole request, in milliseconds (default 30 000; from 1 to
/// 600 000).
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_timeout_ms(
    config: *mut lk_config,
    milliseconds: u64,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        if !(1..=600_000).contains(&milliseconds) {
            return invalid(&format!(
                "timeout must be from 1 to 600000 ms, got {milliseconds}"
            ));
        }
        c.timeout = Some(Duration::from_millis(milliseconds));
        lk_result::LK_OK
    })
}

/// Also trusts the CA certificates of this PEM file (the CA of a TLS-inspecting proxy),
/// beside the bundled roots. Read by lk_licensor_new().
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `path` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_ca_file(
    config: *mut lk_config,
    path: *const c_char,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises path is NULL or NUL-terminated.
    let path = unsafe { str_required(path, "path") };
    with_config(config, |c| match path {
        Ok(path) => {
            c.ca_file = Some(PathBuf::from(path));
            lk_result::LK_OK
        }
        Err(code) => code,
    })
}

/// Where trusted root certificates come from: LK_TRUST_STORE_BUNDLED (the default) or
/// LK_TRUST_STORE_SYSTEM. Any other value gives LK_ERR_INVALID_INPUT.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_config_set_trust_store(
    config: *mut lk_config,
    trust_store: u32,
) -> lk_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.trust_store = match trust_store {
            x if x == lk_trust_store::LK_TRUST_STORE_BUNDLED as u32 => TrustStore::Bundled,
            x if x == lk_trust_store::LK_TRUST_STORE_SYSTEM as u32 => TrustStore::System,
            other => return invalid(&format!("unknown trust store {other}")),
        };
        lk_result::LK_OK
    })
}
