//! The C ABI of licensekit. A thin translation of [`licensekit::Licensor`]: no policy here.
//!
//! Modelled on rustls-ffi: opaque handles, one result enum with stable numbers, caller-owned
//! buffers, a panic boundary in every exported function, and a thread-local last-error
//! message. The header `include/licensekit.h` is generated from this file by cbindgen.

#![allow(non_camel_case_types)]
#![warn(missing_docs)]

mod error;
mod strings;

use std::ffi::{c_char, c_void};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use licensekit::api::Environment;
use licensekit::{App, KeyStorage, LicenseState, LicenseStatus, Licensor, StorageKind};

use error::{guard, set_error};
pub use error::{lk_last_error_message, lk_result};
use strings::{str_in, write_out};

/// The license state, as in licensekit's `LicenseState`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lk_state {
    /// No activation on this machine.
    LK_STATE_NOT_ACTIVATED = 0,
    /// Activated and recently confirmed by the server.
    LK_STATE_ACTIVE = 1,
    /// The server cannot be reached; licensed until `grace_deadline`.
    LK_STATE_GRACE = 2,
    /// Offline for longer than the grace period.
    LK_STATE_GRACE_EXPIRED = 3,
    /// The server revoked the license.
    LK_STATE_REVOKED = 4,
    /// The license data belongs to another machine.
    LK_STATE_FINGERPRINT_MISMATCH = 5,
    /// The cache was edited or damaged and could not be rebuilt.
    LK_STATE_TAMPERED = 6,
    /// The clock went back beyond the tolerance.
    LK_STATE_CLOCK_ROLLBACK = 7,
}

/// Where the license key is kept.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lk_key_storage {
    /// The OS credential store, falling back to a 0600 file when unavailable.
    LK_KEY_STORAGE_KEYRING = 0,
    /// A 0600 file in the data directory.
    LK_KEY_STORAGE_FILE = 1,
    /// Process memory only.
    LK_KEY_STORAGE_MEMORY = 2,
}

/// Settings for lk_licensor_new(). Zero-initialise it (`lk_config c = {0};`), then set at
/// least the three identity strings. Pointers are only read during lk_licensor_new().
#[repr(C)]
pub struct lk_config {
    /// Reverse-domain qualifier, e.g. "com". Required.
    pub qualifier: *const c_char,
    /// Organisation, e.g. "Example". Required.
    pub organisation: *const c_char,
    /// Application, e.g. "PhotoTool". Required.
    pub application: *const c_char,
    /// Base URL of the license server; NULL for Dodo's live server.
    pub base_url: *const c_char,
    /// When base_url is NULL: true for Dodo's test-mode server.
    pub test_mode: bool,
    /// Data directory; NULL for the platform default.
    pub data_dir: *const c_char,
    /// Where the key is kept.
    pub key_storage: lk_key_storage,
    /// The vendor secret mixed into the cache MAC (may be NULL when vendor_secret_len is 0).
    pub vendor_secret: *const u8,
    /// Length of vendor_secret in bytes.
    pub vendor_secret_len: usize,
    /// Grace period in seconds; 0 for the default (14 days).
    pub grace_period_secs: u64,
    /// Revalidation interval in seconds; 0 for the default (24 hours).
    pub revalidate_every_secs: u64,
    /// Whole-request timeout in milliseconds; 0 for the default (30 s).
    pub timeout_ms: u64,
}

/// The result of a check. Times are Unix seconds; 0 when unknown.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lk_status {
    /// The state.
    pub state: lk_state,
    /// True for LK_STATE_ACTIVE and LK_STATE_GRACE: run as licensed.
    pub licensed: bool,
    /// When the activation was created on the server.
    pub activated_at: i64,
    /// Last successful online validation.
    pub last_validated: i64,
    /// When the license stops working if the server stays unreachable.
    pub grace_deadline: i64,
    /// Whether this check talked to the server.
    pub network_used: bool,
    /// The cache was unusable and has been rebuilt online.
    pub recovered: bool,
    /// Where the key is kept (meaningful once activated).
    pub key_storage: lk_key_storage,
}

/// An opaque Licensor. Thread-safe: any function taking a `lk_licensor *` may be called from
/// several threads at once.
pub struct lk_licensor {
    licensor: Licensor,
    last: Mutex<Option<LicenseStatus>>,
}

/// An opaque running watch, stopped and freed by lk_watch_stop().
pub struct lk_watch {
    handle: licensekit::WatchHandle,
}

/// A watch callback: receives the status and the `user_data` given to lk_watch_start().
/// It runs on the watch's background thread, never on the caller's.
pub type lk_watch_callback =
    Option<unsafe extern "C" fn(status: *const lk_status, user_data: *mut c_void)>;

/// The library version, e.g. "0.1.0": a static NUL-terminated string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn lk_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Creates a Licensor.
///
/// `config` must point to a valid lk_config whose string pointers are NULL or NUL-terminated.
/// On success `*out` receives a handle to free with lk_licensor_free(); on failure `*out` is
/// set to NULL (when `out` is not NULL). Thread-safe.
///
/// # Safety
/// `config` and `out` must be NULL or valid for reads (config) and writes (out).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_licensor_new(
    config: *const lk_config,
    out: *mut *mut lk_licensor,
) -> lk_result {
    guard(|| {
        if out.is_null() {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "out is NULL");
        }
        // SAFETY: out is non-NULL and the caller promises it is valid for writes.
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: the caller promises config is NULL or points to a valid lk_config.
        let Some(cfg) = (unsafe { config.as_ref() }) else {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "config is NULL");
        };
        let licensor = match build(cfg) {
            Ok(l) => l,
            Err(code) => return code,
        };
        let handle = Box::new(lk_licensor {
            licensor,
            last: Mutex::new(None),
        });
        // SAFETY: out is non-NULL and valid for writes (checked above).
        unsafe { *out = Box::into_raw(handle) };
        lk_result::LK_OK
    })
}

fn build(cfg: &lk_config) -> Result<Licensor, lk_result> {
    let req = |p: *const c_char, name: &str| -> Result<String, lk_result> {
        // SAFETY: the caller promises every config string is NULL or NUL-terminated.
        match unsafe { str_in(p, name) }? {
            Some(s) => Ok(s.to_owned()),
            None => Err(set_error(
                lk_result::LK_ERR_NULL_ARGUMENT,
                &format!("config.{name} is NULL"),
            )),
        }
    };
    let app = App::new(
        &req(cfg.qualifier, "qualifier")?,
        &req(cfg.organisation, "organisation")?,
        &req(cfg.application, "application")?,
    );
    // SAFETY: as above.
    let base_url = unsafe { str_in(cfg.base_url, "base_url") }?;
    // SAFETY: as above.
    let data_dir = unsafe { str_in(cfg.data_dir, "data_dir") }?;
    let environment = match (base_url, cfg.test_mode) {
        (Some(url), _) => Environment::Custom(url.to_owned()),
        (None, true) => Environment::Test,
        (None, false) => Environment::Live,
    };
    let secret = if cfg.vendor_secret_len == 0 {
        Vec::new()
    } else if cfg.vendor_secret.is_null() {
        return Err(set_error(
            lk_result::LK_ERR_NULL_ARGUMENT,
            "config.vendor_secret is NULL",
        ));
    } else {
        // SAFETY: non-NULL, and the caller promises vendor_secret_len readable bytes.
        unsafe { std::slice::from_raw_parts(cfg.vendor_secret, cfg.vendor_secret_len) }.to_vec()
    };
    let mut b = Licensor::builder(app)
        .environment(environment)
        .vendor_secret(secret)
        .key_storage(match cfg.key_storage {
            lk_key_storage::LK_KEY_STORAGE_KEYRING => KeyStorage::Keyring,
            lk_key_storage::LK_KEY_STORAGE_FILE => KeyStorage::File,
            lk_key_storage::LK_KEY_STORAGE_MEMORY => KeyStorage::Memory,
        });
    if let Some(dir) = data_dir {
        b = b.data_dir(PathBuf::from(dir));
    }
    if cfg.grace_period_secs > 0 {
        b = b.grace_period(Duration::from_secs(cfg.grace_period_secs));
    }
    if cfg.revalidate_every_secs > 0 {
        b = b.revalidate_every(Duration::from_secs(cfg.revalidate_every_secs));
    }
    if cfg.timeout_ms > 0 {
        b = b.timeout(Duration::from_millis(cfg.timeout_ms));
    }
    b.build().map_err(|e| error::from_error(&e))
}

/// Frees a Licensor. NULL is allowed and does nothing. Stop its watches first (a running
/// watch keeps its own reference, so freeing is safe either way). Not to be called while
/// another thread uses the same handle.
///
/// # Safety
/// `licensor` must be NULL or a handle from lk_licensor_new() not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_licensor_free(licensor: *mut lk_licensor) {
    let _ = guard(|| {
        if !licensor.is_null() {
            // SAFETY: the caller promises this came from Box::into_raw in lk_licensor_new
            // and is freed once.
            drop(unsafe { Box::from_raw(licensor) });
        }
        lk_result::LK_OK
    });
}

/// Activates `key` (NUL-terminated UTF-8; surrounding whitespace is ignored) on this
/// machine. If this machine already holds a working activation of the same key, no slot is
/// spent. `out` may be NULL; otherwise it receives the status. Thread-safe.
///
/// Returns LK_ERR_AMBIGUOUS_ACTIVATION when the server may have recorded the activation but
/// no answer came back (it is not retried, so no second slot is spent).
///
/// # Safety
/// `licensor` must be NULL or a live handle; `key` NULL or NUL-terminated; `out` NULL or
/// valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_activate(
    licensor: *const lk_licensor,
    key: *const c_char,
    out: *mut lk_status,
) -> lk_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "licensor is NULL");
        };
        // SAFETY: the caller promises key is NULL or NUL-terminated.
        let key = match unsafe { str_in(key, "key") } {
            Ok(Some(k)) => k,
            Ok(None) => return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "key is NULL"),
            Err(code) => return code,
        };
        let result = h.licensor.activate(key);
        // SAFETY: out is NULL or valid for writes, as the caller promises.
        unsafe { finish(h, result, out) }
    })
}

/// Checks the license (from the cache when fresh, else online) and writes the status to
/// `out` (required). Network trouble is a state, not an error. Thread-safe.
///
/// # Safety
/// `licensor` must be NULL or a live handle; `out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_check(licensor: *const lk_licensor, out: *mut lk_status) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe { check_with(licensor, out, Licensor::check) }
}

/// As lk_check(), but never touches the network. Thread-safe.
///
/// # Safety
/// As lk_check().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_check_offline(
    licensor: *const lk_licensor,
    out: *mut lk_status,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe { check_with(licensor, out, Licensor::check_offline) }
}

unsafe fn check_with(
    licensor: *const lk_licensor,
    out: *mut lk_status,
    f: fn(&Licensor) -> Result<LicenseStatus, licensekit::Error>,
) -> lk_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "licensor is NULL");
        };
        if out.is_null() {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "out is NULL");
        }
        let result = f(&h.licensor);
        // SAFETY: out is non-NULL and valid for writes, as the caller promises.
        unsafe { finish(h, result, out) }
    })
}

/// Records the status and writes it to `out` when `out` is not NULL.
unsafe fn finish(
    h: &lk_licensor,
    result: Result<LicenseStatus, licensekit::Error>,
    out: *mut lk_status,
) -> lk_result {
    match result {
        Ok(status) => {
            if !out.is_null() {
                // SAFETY: non-NULL, and the caller promised validity for writes.
                unsafe { *out = to_c(&status) };
            }
            *h.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(status);
            lk_result::LK_OK
        }
        Err(e) => error::from_error(&e),
    }
}

/// Releases this machine's activation on the server, then removes local state. When the
/// server cannot be reached, local state is kept and the error returned, unless `force` is
/// true. Thread-safe.
///
/// # Safety
/// `licensor` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_deactivate(licensor: *const lk_licensor, force: bool) -> lk_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "licensor is NULL");
        };
        match h.licensor.deactivate(force) {
            Ok(_) => {
                *h.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
                lk_result::LK_OK
            }
            Err(e) => error::from_error(&e),
        }
    })
}

/// Writes this machine's fingerprint (64 hex characters) to `buf`. See the header's string
/// conventions. Thread-safe.
///
/// # Safety
/// `licensor` NULL or a live handle; `buf` NULL or valid for `len` bytes; `needed` NULL or
/// valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_fingerprint(
    licensor: *const lk_licensor,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "licensor is NULL");
        };
        // SAFETY: forwarded buffer contract.
        unsafe { write_out(&h.licensor.fingerprint().id(), buf, len, needed) }
    })
}

/// Writes the instance ID of the last successful check or activation to `buf`;
/// LK_ERR_NOT_ACTIVATED when there is none. String conventions as in the header.
///
/// # Safety
/// As lk_fingerprint().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_instance_id(
    licensor: *const lk_licensor,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe {
        last_field(licensor, buf, len, needed, |s| {
            s.instance_id.as_ref().map(|i| i.to_string())
        })
    }
}

/// Writes the product ID of the last successful check or activation to `buf`.
///
/// # Safety
/// As lk_fingerprint().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_product_id(
    licensor: *const lk_licensor,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe { last_field(licensor, buf, len, needed, |s| s.product_id.clone()) }
}

/// Writes the customer email of the last successful check or activation to `buf`.
///
/// # Safety
/// As lk_fingerprint().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_customer_email(
    licensor: *const lk_licensor,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe { last_field(licensor, buf, len, needed, |s| s.customer_email.clone()) }
}

unsafe fn last_field(
    licensor: *const lk_licensor,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
    field: fn(&LicenseStatus) -> Option<String>,
) -> lk_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "licensor is NULL");
        };
        let value = h
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .and_then(field);
        match value {
            // SAFETY: forwarded buffer contract.
            Some(v) => unsafe { write_out(&v, buf, len, needed) },
            None => set_error(
                lk_result::LK_ERR_NOT_ACTIVATED,
                "no activation known: call lk_check() first",
            ),
        }
    })
}

/// Starts a background thread that revalidates every `interval_ms` milliseconds and calls
/// `callback(status, user_data)` on the first check and on every state change. **The
/// callback runs on that background thread**; it must be thread-safe and must not call
/// lk_watch_stop() on its own watch. `*out` receives the watch, to stop with lk_watch_stop().
///
/// # Safety
/// `licensor` NULL or a live handle; `out` NULL or valid for writes; `user_data` must stay
/// valid, and usable from another thread, until lk_watch_stop() returns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_watch_start(
    licensor: *const lk_licensor,
    interval_ms: u64,
    callback: lk_watch_callback,
    user_data: *mut c_void,
    out: *mut *mut lk_watch,
) -> lk_result {
    guard(|| {
        if out.is_null() {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "out is NULL");
        }
        // SAFETY: non-NULL and valid for writes, as the caller promises.
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "licensor is NULL");
        };
        let Some(cb) = callback else {
            return set_error(lk_result::LK_ERR_NULL_ARGUMENT, "callback is NULL");
        };
        if interval_ms == 0 {
            return set_error(
                lk_result::LK_ERR_INVALID_INPUT,
                "interval_ms must be positive",
            );
        }
        let user = UserData(user_data);
        let handle = h
            .licensor
            .watch(Duration::from_millis(interval_ms), move |status| {
                let c = to_c(status);
                let user = &user;
                // SAFETY: the callback and user_data were given together by the caller, who
                // promises they are valid and thread-safe until lk_watch_stop().
                unsafe { cb(&c, user.0) };
            });
        // SAFETY: out is non-NULL (checked above).
        unsafe { *out = Box::into_raw(Box::new(lk_watch { handle })) };
        lk_result::LK_OK
    })
}

/// Stops a watch, waits for its thread (at most one check in progress) and frees it. NULL is
/// allowed. Must not be called from inside the watch's own callback.
///
/// # Safety
/// `watch` must be NULL or a handle from lk_watch_start() not yet stopped.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_watch_stop(watch: *mut lk_watch) {
    let _ = guard(|| {
        if !watch.is_null() {
            // SAFETY: the caller promises this came from lk_watch_start and is stopped once.
            let w = unsafe { Box::from_raw(watch) };
            w.handle.stop();
        }
        lk_result::LK_OK
    });
}

/// The caller's user_data pointer, carried to the watch thread.
struct UserData(*mut c_void);
// SAFETY: lk_watch_start's contract makes the caller responsible for user_data being usable
// from the watch thread.
unsafe impl Send for UserData {}

fn unix(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn to_c(s: &LicenseStatus) -> lk_status {
    lk_status {
        state: match s.state {
            LicenseState::NotActivated => lk_state::LK_STATE_NOT_ACTIVATED,
            LicenseState::Active => lk_state::LK_STATE_ACTIVE,
            LicenseState::Grace { .. } => lk_state::LK_STATE_GRACE,
            LicenseState::GraceExpired => lk_state::LK_STATE_GRACE_EXPIRED,
            LicenseState::Revoked => lk_state::LK_STATE_REVOKED,
            LicenseState::FingerprintMismatch => lk_state::LK_STATE_FINGERPRINT_MISMATCH,
            LicenseState::Tampered => lk_state::LK_STATE_TAMPERED,
            LicenseState::ClockRollback => lk_state::LK_STATE_CLOCK_ROLLBACK,
        },
        licensed: s.is_licensed(),
        activated_at: unix(s.activated_at),
        last_validated: unix(s.last_validated),
        grace_deadline: unix(s.grace_deadline),
        network_used: s.network_used,
        recovered: s.recovered,
        key_storage: match s.key_storage {
            Some(StorageKind::File) => lk_key_storage::LK_KEY_STORAGE_FILE,
            Some(StorageKind::Memory) => lk_key_storage::LK_KEY_STORAGE_MEMORY,
            _ => lk_key_storage::LK_KEY_STORAGE_KEYRING,
        },
    }
}
