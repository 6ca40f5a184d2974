//! `ks_config`: the settings of a Licensor, built up with setters and copied by
//! ks_licensor_new(), so that new settings never change a struct layout apps compiled
//! against.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use keyseat::api::{Environment, Provider, TrustStore};
use keyseat::licensor::LicensorBuilder;
use keyseat::{App, Error, KeyStorage, Licensor};

use crate::error::{from_error, guard, invalid, ks_result, null};
use crate::strings::{str_in, str_required};

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
    public_key: Option<String>,
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
        };
        let keys: Vec<&str> = self.public_key.as_deref().into_iter().collect();
        let provider = Provider::from_settings(name, self.account.as_deref(), &keys, None)?;
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
            public_key: None,
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

/// Who sold the keys: KS_PROVIDER_DODO (the default), KS_PROVIDER_LEMON_SQUEEZY,
/// KS_PROVIDER_POLAR or KS_PROVIDER_KEYGEN; all but Dodo need ks_config_set_account(), and
/// Keygen ks_config_set_public_key(), checked by ks_licensor_new(). Any other value gives
/// KS_ERR_INVALID_INPUT. Since ABI 1.2.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_provider(
    config: *mut ks_config,
    provider: u32,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.provider = match provider {
            x if x == ks_provider::KS_PROVIDER_DODO as u32 => ks_provider::KS_PROVIDER_DODO,
            x if x == ks_provider::KS_PROVIDER_LEMON_SQUEEZY as u32 => {
                ks_provider::KS_PROVIDER_LEMON_SQUEEZY
            }
            x if x == ks_provider::KS_PROVIDER_POLAR as u32 => ks_provider::KS_PROVIDER_POLAR,
            x if x == ks_provider::KS_PROVIDER_KEYGEN as u32 => ks_provider::KS_PROVIDER_KEYGEN,
            other => return invalid(&format!("unknown provider {other}")),
        };
        ks_result::KS_OK
    })
}

/// The seller's account at the provider: the Lemon Squeezy store id ("12345"), the Polar
/// organization id (a UUID) or the Keygen account id; NULL clears it. Dodo takes none. Checked by ks_licensor_new(),
/// which gives KS_ERR_INVALID_INPUT for a missing, malformed or unexpected account. Since
/// ABI 1.2.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `account` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_account(
    config: *mut ks_config,
    account: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises account is NULL or NUL-terminated.
    let account = unsafe { str_in(account, "account") };
    with_config(config, |c| match account {
        Ok(account) => {
            c.account = account.map(str::to_owned);
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Keygen only, and required for it: the account's Ed25519 public key, 64 hexadecimal
/// characters; NULL clears it. Answers not signed by it are refused (KS_ERR_BAD_SIGNATURE,
/// counted as no answer). Checked by ks_licensor_new(). Since ABI 1.2.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `public_key` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_public_key(
    config: *mut ks_config,
    public_key: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises public_key is NULL or NUL-terminated.
    let public_key = unsafe { str_in(public_key, "public_key") };
    with_config(config, |c| match public_key {
        Ok(key) => {
            c.public_key = key.map(str::to_owned);
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Lemon Squeezy only: accepts keys of this variant id of the accepted products, and of no
/// other variant once one is added; call once per variant. Since ABI 1.2.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `variant_id` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_add_variant_id(
    config: *mut ks_config,
    variant_id: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises variant_id is NULL or NUL-terminated.
    let variant_id = unsafe { str_required(variant_id, "variant_id") };
    with_config(config, |c| match variant_id {
        Ok(v) => {
            c.variant_ids.push(v.to_owned());
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Which of the provider's servers: KS_ENVIRONMENT_LIVE (the default) or
/// KS_ENVIRONMENT_TEST. Replaces a base URL set before. Any other value gives
/// KS_ERR_INVALID_INPUT.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_environment(
    config: *mut ks_config,
    environment: u32,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.environment = match environment {
            x if x == ks_environment::KS_ENVIRONMENT_LIVE as u32 => Environment::Live,
            x if x == ks_environment::KS_ENVIRONMENT_TEST as u32 => Environment::Test,
            other => return invalid(&format!("unknown environment {other}")),
        };
        ks_result::KS_OK
    })
}

/// Another license server (`https://…`, or `http://` on a loopback address, such as the
/// emulator), replacing the environment. Checked by ks_licensor_new().
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `url` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_base_url(
    config: *mut ks_config,
    url: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises url is NULL or NUL-terminated.
    let url = unsafe { str_required(url, "url") };
    with_config(config, |c| match url {
        Ok(url) => {
            c.environment = Environment::Custom(url.to_owned());
            ks_result::KS_OK
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
pub unsafe extern "C" fn ks_config_set_data_dir(
    config: *mut ks_config,
    dir: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises dir is NULL or NUL-terminated.
    let dir = unsafe { str_in(dir, "dir") };
    with_config(config, |c| match dir {
        Ok(dir) => {
            c.data_dir = dir.map(PathBuf::from);
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Where the key is kept: KS_KEY_STORAGE_KEYRING (the default), KS_KEY_STORAGE_FILE or
/// KS_KEY_STORAGE_MEMORY. Any other value gives KS_ERR_INVALID_INPUT.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_key_storage(
    config: *mut ks_config,
    storage: u32,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.key_storage = match storage {
            x if x == ks_key_storage::KS_KEY_STORAGE_KEYRING as u32 => KeyStorage::Keyring,
            x if x == ks_key_storage::KS_KEY_STORAGE_FILE as u32 => KeyStorage::File,
            x if x == ks_key_storage::KS_KEY_STORAGE_MEMORY as u32 => KeyStorage::Memory,
            other => return invalid(&format!("unknown key storage {other}")),
        };
        ks_result::KS_OK
    })
}

/// The vendor secret compiled into the app, mixed into the cache MAC: `len` bytes at
/// `secret` (NULL only when `len` is 0). Every program of the app must use the same one.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `secret` valid for
/// `len` bytes of reads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_vendor_secret(
    config: *mut ks_config,
    secret: *const u8,
    len: usize,
) -> ks_result {
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
        ks_result::KS_OK
    })
}

/// Accepts keys of this product id (Dodo's `pdt_…`, the Lemon Squeezy product id, the Polar
/// benefit id); call once per product. A config needs
/// this or ks_config_allow_any_product(): a key of another product is refused with
/// KS_ERR_WRONG_PRODUCT, its activation released.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `product_id` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_add_product_id(
    config: *mut ks_config,
    product_id: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises product_id is NULL or NUL-terminated.
    let product_id = unsafe { str_required(product_id, "product_id") };
    with_config(config, |c| match product_id {
        Ok(id) if id.trim().is_empty() => invalid("product_id is empty"),
        Ok(id) => {
            c.product_ids.push(id.to_owned());
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Accepts keys of any product from any Dodo merchant: only for tools that are not the
/// licensed product themselves. An app that sells licenses wants ks_config_add_product_id().
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_allow_any_product(config: *mut ks_config) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.any_product = true;
        ks_result::KS_OK
    })
}

/// Checks a number of seconds for a duration setting.
fn checked_seconds(value: u64, name: &str, allow_zero: bool) -> Result<Duration, ks_result> {
    if (value == 0 && !allow_zero) || value > MAX_SECONDS {
        let low = if allow_zero { 0 } else { 1 };
        return Err(invalid(&format!(
            "{name} must be from {low} to {MAX_SECONDS} seconds, got {value}"
        )));
    }
    Ok(Duration::from_secs(value))
}

/// The longest local trial accepted, in days: 100 years.
const MAX_TRIAL_DAYS: u32 = 36_500;

/// Gives the app a local trial of `days` days (from 1 to 36 500), which ks_start_trial()
/// starts on this machine. Without it the app has no trial. Anything else gives
/// KS_ERR_INVALID_INPUT. A trial needs a vendor secret of at least 16 bytes
/// (ks_config_set_vendor_secret()): without one, ks_licensor_new() refuses the config with
/// KS_ERR_INVALID_INPUT, since anyone could write the trial's record.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_trial_days(config: *mut ks_config, days: u32) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        if !(1..=MAX_TRIAL_DAYS).contains(&days) {
            return invalid(&format!(
                "a trial of {days} days: give 1 to {MAX_TRIAL_DAYS}"
            ));
        }
        c.trial_days = Some(days);
        ks_result::KS_OK
    })
}

/// Whether activation names start with the host name (true, the default: `Ada's ThinkPad
/// (Windows 11) · 3f9a2c`) or not (`(Windows 11) · 3f9a2c`, for privacy).
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_instance_names_include_host(
    config: *mut ks_config,
    include: bool,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.include_host = include;
        ks_result::KS_OK
    })
}

/// How long the license keeps working without reaching the server, counted from the last
/// successful validation, in seconds (default 14 days; 0 means no offline use; at most 100
/// years).
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_grace_period(
    config: *mut ks_config,
    seconds: u64,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        match checked_seconds(seconds, "grace period", true) {
            Ok(d) => {
                c.grace_period = Some(d);
                ks_result::KS_OK
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
pub unsafe extern "C" fn ks_config_set_revalidate_interval(
    config: *mut ks_config,
    seconds: u64,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        match checked_seconds(seconds, "revalidate interval", false) {
            Ok(d) => {
                c.revalidate_interval = Some(d);
                ks_result::KS_OK
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
pub unsafe extern "C" fn ks_config_set_timeout_ms(
    config: *mut ks_config,
    milliseconds: u64,
) -> ks_result {
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
        ks_result::KS_OK
    })
}

/// Also trusts the CA certificates of this PEM file (the CA of a TLS-inspecting proxy),
/// beside the bundled roots. Read by ks_licensor_new().
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `path` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_ca_file(
    config: *mut ks_config,
    path: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises path is NULL or NUL-terminated.
    let path = unsafe { str_required(path, "path") };
    with_config(config, |c| match path {
        Ok(path) => {
            c.ca_file = Some(PathBuf::from(path));
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Where trusted root certificates come from: KS_TRUST_STORE_BUNDLED (the default) or
/// KS_TRUST_STORE_SYSTEM. Any other value gives KS_ERR_INVALID_INPUT.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_trust_store(
    config: *mut ks_config,
    trust_store: u32,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.trust_store = match trust_store {
            x if x == ks_trust_store::KS_TRUST_STORE_BUNDLED as u32 => TrustStore::Bundled,
            x if x == ks_trust_store::KS_TRUST_STORE_SYSTEM as u32 => TrustStore::System,
            other => return invalid(&format!("unknown trust store {other}")),
        };
        ks_result::KS_OK
    })
}
