//! The rest of a Licensor's settings: where its data lives, the vendor secret, the products,
//! the trial, instance names, the grace period and revalidation, the timeout and TLS trust.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use keyseat::KeyStorage;
use keyseat::api::TrustStore;

use super::{MAX_SECONDS, ks_config, ks_key_storage, ks_trust_store, with_config};
use crate::error::{invalid, ks_result, null};
use crate::strings::{str_in, str_required};

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
