//! `ks_licensor`: the handle an app keeps, and the calls that check, activate and
//! deactivate.

use std::ffi::c_char;

use keyseat::{LicenseStatus, Licensor};

use crate::config::ks_config;
use crate::error::{from_error, guard, ks_result, null};
use crate::status::ks_status;
use crate::strings::{str_required, write_out};

/// An opaque Licensor. Thread-safe: any function taking a `const ks_licensor *` may be
/// called from several threads at once.
pub struct ks_licensor {
    pub(crate) licensor: Licensor,
}

/// Creates a Licensor from `config`, copying what it needs: the config may be freed at once.
/// Refuses a config with no product binding (ks_config_add_product_id() or
/// ks_config_allow_any_product()) with KS_ERR_INVALID_INPUT. On success `*out` receives a
/// handle to free with ks_licensor_free(); on failure `*out` is NULL.
///
/// # Safety
/// `config` NULL or a live config used by no other thread; `out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_licensor_new(
    config: *const ks_config,
    out: *mut *mut ks_licensor,
) -> ks_result {
    guard(|| {
        if out.is_null() {
            return null("out");
        }
        // SAFETY: out is non-NULL and the caller promises it is valid for writes.
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: the caller promises config is NULL or a live config.
        let Some(config) = (unsafe { config.as_ref() }) else {
            return null("config");
        };
        match config.builder().and_then(|b| b.build()) {
            Ok(licensor) => {
                // SAFETY: out is non-NULL and valid for writes (checked above).
                unsafe { *out = Box::into_raw(Box::new(ks_licensor { licensor })) };
                ks_result::KS_OK
            }
            Err(e) => from_error(&e),
        }
    })
}

/// Frees a Licensor. NULL is allowed and does nothing. Statuses it gave stay valid; a running
/// watch keeps its own reference, so freeing is safe either way. Not to be called while
/// another thread uses the same handle.
///
/// # Safety
/// `licensor` must be NULL or a handle from ks_licensor_new() not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_licensor_free(licensor: *mut ks_licensor) {
    let _ = guard(|| {
        if !licensor.is_null() {
            // SAFETY: the caller promises this came from Box::into_raw in ks_licensor_new
            // and is freed once.
            drop(unsafe { Box::from_raw(licensor) });
        }
        ks_result::KS_OK
    });
}

/// Runs a status-returning operation on a licensor: the NULL checks, the guard, the delivery.
///
/// # Safety
/// `licensor` NULL or a live handle; `out` NULL or valid for writes.
pub(crate) unsafe fn status_call(
    licensor: *const ks_licensor,
    out: *mut *mut ks_status,
    f: impl FnOnce(&Licensor) -> Result<LicenseStatus, ks_result>,
) -> ks_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let h = match unsafe { handing_out(licensor, out) } {
            Ok(h) => h,
            Err(code) => return code,
        };
        match f(&h.licensor) {
            Ok(status) => {
                // SAFETY: out is non-NULL and valid for writes (checked above).
                unsafe { *out = ks_status::boxed(status) };
                ks_result::KS_OK
            }
            Err(code) => code,
        }
    })
}

/// The start of every call that hands the caller a new handle through `out`: `out` must
/// not be NULL and is cleared first (so it is NULL on any failure), then the licensor must
/// not be NULL.
///
/// # Safety
/// `licensor` NULL or a live handle; `out` NULL or valid for writes.
pub(crate) unsafe fn handing_out<'a, T>(
    licensor: *const ks_licensor,
    out: *mut *mut T,
) -> Result<&'a ks_licensor, ks_result> {
    if out.is_null() {
        return Err(null("out"));
    }
    // SAFETY: non-NULL, and the caller promises it is valid for writes.
    unsafe { *out = std::ptr::null_mut() };
    // SAFETY: the caller promises licensor is NULL or a live handle.
    unsafe { licensor.as_ref() }.ok_or_else(|| null("licensor"))
}

/// The C code of a keyseat result.
pub(crate) fn coded(
    result: Result<LicenseStatus, keyseat::Error>,
) -> Result<LicenseStatus, ks_result> {
    result.map_err(|e| from_error(&e))
}

/// Starts this machine's local trial (of ks_config_set_trial_days()), or gives the one
/// that exists: calling it again never moves the end; an ended trial is
/// KS_STATE_TRIAL_EXPIRED, a damaged record KS_STATE_TAMPERED, a clock set back
/// KS_STATE_CLOCK_ROLLBACK, and none of them starts a new one. With an activation, the
/// license's status. No network. KS_ERR_INVALID_INPUT when the config gave no trial length;
/// KS_ERR_TRIAL_UNAVAILABLE when the OS credential store, which keeps a copy of the trial,
/// cannot be read (and the data directory holds no trial of this machine). On success
/// `*out` receives a status to free with ks_status_free().
///
/// # Safety
/// `licensor` NULL or a live handle; `out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_start_trial(
    licensor: *const ks_licensor,
    out: *mut *mut ks_status,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe { status_call(licensor, out, |l| coded(l.start_trial())) }
}

/// Frees the seat held by instance `instance_id` of `key`, on any machine (a laptop the
/// customer replaced: its `licensectl status` shows the id). KS_OK also when the server had
/// already released it. When it is this machine's own activation, the local credentials and
/// cache are removed, as ks_deactivate() does.
///
/// # Safety
/// `licensor` NULL or a live handle; `key` and `instance_id` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_release_instance(
    licensor: *const ks_licensor,
    key: *const c_char,
    instance_id: *const c_char,
) -> ks_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return null("licensor");
        };
        // SAFETY: the caller promises both strings are NULL or NUL-terminated.
        let strings = unsafe {
            (
                str_required(key, "key"),
                str_required(instance_id, "instance_id"),
            )
        };
        let (key, instance_id) = match strings {
            (Ok(k), Ok(i)) => (k, i),
            (Err(code), _) | (_, Err(code)) => return code,
        };
        match h.licensor.release_instance(key, instance_id) {
            Ok(_) => ks_result::KS_OK,
            Err(e) => from_error(&e),
        }
    })
}

/// Checks the license: from the cache when it is fresh, else online. Network trouble is a
/// state (grace), not an error. On success `*out` receives a status to free with
/// ks_status_free(); on failure `*out` is NULL. Thread-safe.
///
/// # Safety
/// `licensor` NULL or a live handle; `out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_check(
    licensor: *const ks_licensor,
    out: *mut *mut ks_status,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe { status_call(licensor, out, |l| coded(l.check())) }
}

/// As ks_check(), but never touches the network. Thread-safe.
///
/// # Safety
/// As ks_check().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_check_offline(
    licensor: *const ks_licensor,
    out: *mut *mut ks_status,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe { status_call(licensor, out, |l| coded(l.check_offline())) }
}

/// As ks_check(), but asks the server now whatever the age of the cache. Thread-safe.
///
/// # Safety
/// As ks_check().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_revalidate(
    licensor: *const ks_licensor,
    out: *mut *mut ks_status,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe { status_call(licensor, out, |l| coded(l.revalidate())) }
}

/// Activates `key` (NUL-terminated UTF-8; surrounding whitespace is ignored) on this
/// machine. If this machine already holds a working activation of the same key, no slot is
/// spent. On success `*out` receives a status to free with ks_status_free(); on failure
/// `*out` is NULL. Thread-safe.
///
/// KS_ERR_WRONG_PRODUCT: the key is for a product the config does not accept (its
/// activation was released). KS_ERR_AMBIGUOUS_ACTIVATION: the server may have recorded the
/// activation but no answer came back (not retried, so no second slot is spent).
///
/// # Safety
/// `licensor` NULL or a live handle; `key` NULL or NUL-terminated; `out` NULL or valid for
/// writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_activate(
    licensor: *const ks_licensor,
    key: *const c_char,
    out: *mut *mut ks_status,
) -> ks_result {
    // SAFETY: the caller promises key is NULL or NUL-terminated.
    let key = unsafe { str_required(key, "key") };
    // SAFETY: forwarded contract.
    unsafe { status_call(licensor, out, |l| coded(l.activate(key?))) }
}

/// Releases this machine's activation on the server, then removes local state. When the
/// server cannot be reached, local state is kept and the error returned, unless `force` is
/// true. Thread-safe.
///
/// # Safety
/// `licensor` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_deactivate(licensor: *const ks_licensor, force: bool) -> ks_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return null("licensor");
        };
        match h.licensor.deactivate(force) {
            Ok(_) => ks_result::KS_OK,
            Err(e) => from_error(&e),
        }
    })
}

/// Writes this machine's fingerprint (64 hex characters) to `buf`. String conventions as in
/// the header. Thread-safe.
///
/// # Safety
/// `licensor` NULL or a live handle; `buf` NULL or valid for `len` bytes; `needed` NULL or
/// valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_fingerprint(
    licensor: *const ks_licensor,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return null("licensor");
        };
        // SAFETY: forwarded buffer contract.
        unsafe { write_out(&h.licensor.fingerprint().id(), buf, len, needed) }
    })
}
