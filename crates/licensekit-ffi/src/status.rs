//! `lk_status`: the opaque result of a check or an activation, read through accessors so
//! that new fields never change a layout. A status is the caller's own copy: it stays valid,
//! and unchanged, after its Licensor is freed, until lk_status_free().

use std::ffi::c_char;
use std::time::{SystemTime, UNIX_EPOCH};

use licensekit::{LicenseState, LicenseStatus, StorageKind};

use crate::config::lk_key_storage;
use crate::error::{guard, guard_value, lk_result, null, set_error};
use crate::strings::write_out;

/// The license state, from lk_status_state(): a `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lk_state {
    /// No activation on this machine.
    LK_STATE_NOT_ACTIVATED = 0,
    /// Activated and recently confirmed by the server.
    LK_STATE_ACTIVE = 1,
    /// The server cannot be reached; licensed until the grace deadline.
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
    /// The stored activation is of a product this app does not accept.
    LK_STATE_WRONG_PRODUCT = 8,
    /// A state newer than this header knows: not licensed.
    LK_STATE_UNKNOWN = 255,
}

/// The result of a check or an activation. Opaque: read it with the lk_status_* functions,
/// free it with lk_status_free(). Immutable, so any thread may read it.
pub struct lk_status(pub(crate) LicenseStatus);

impl lk_status {
    /// A heap status for the caller.
    pub(crate) fn boxed(status: LicenseStatus) -> *mut lk_status {
        Box::into_raw(Box::new(lk_status(status)))
    }
}

/// Frees a status. NULL is allowed and does nothing.
///
/// # Safety
/// `status` must be NULL or a status from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_free(status: *mut lk_status) {
    let _ = guard(|| {
        if !status.is_null() {
            // SAFETY: the caller promises this came from lk_status::boxed and is freed once.
            drop(unsafe { Box::from_raw(status) });
        }
        lk_result::LK_OK
    });
}

/// The status behind a pointer from C.
///
/// # Safety
/// `status` must be NULL or a live status.
unsafe fn read<'a>(status: *const lk_status) -> Option<&'a LicenseStatus> {
    // SAFETY: the caller promises status is NULL or a live status.
    unsafe { status.as_ref() }.map(|s| &s.0)
}

/// The state, an LK_STATE_* value (LK_STATE_NOT_ACTIVATED for NULL).
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_state(status: *const lk_status) -> u32 {
    // SAFETY: forwarded contract.
    let status = unsafe { read(status) };
    guard_value(lk_state::LK_STATE_NOT_ACTIVATED as u32, || {
        status.map_or(lk_state::LK_STATE_NOT_ACTIVATED, |s| state(&s.state)) as u32
    })
}

/// True for LK_STATE_ACTIVE and LK_STATE_GRACE: run as licensed (false for NULL).
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_is_licensed(status: *const lk_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(LicenseStatus::is_licensed)
}

/// Whether this check or activation talked to the server (false for NULL).
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_network_used(status: *const lk_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(|s| s.network_used)
}

/// Whether an unusable cache was set aside and rebuilt online by this check (false for NULL).
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_recovered(status: *const lk_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(|s| s.recovered)
}

/// Where the key is kept: an LK_KEY_STORAGE_* value; LK_KEY_STORAGE_NONE when nothing is
/// stored (not activated) and for NULL.
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_key_storage(status: *const lk_status) -> u32 {
    // SAFETY: forwarded contract.
    let kind = unsafe { read(status) }.and_then(|s| s.key_storage);
    (match kind {
        Some(StorageKind::Keyring) => lk_key_storage::LK_KEY_STORAGE_KEYRING,
        Some(StorageKind::File) => lk_key_storage::LK_KEY_STORAGE_FILE,
        Some(StorageKind::Memory) => lk_key_storage::LK_KEY_STORAGE_MEMORY,
        Some(_) => lk_key_storage::LK_KEY_STORAGE_OTHER,
        None => lk_key_storage::LK_KEY_STORAGE_NONE,
    }) as u32
}

/// Writes a time as Unix seconds; false when absent or an argument is NULL.
///
/// # Safety
/// `status` NULL or a live status; `out` NULL or valid for writes.
unsafe fn time_out(
    status: *const lk_status,
    out: *mut i64,
    field: fn(&LicenseStatus) -> Option<SystemTime>,
) -> bool {
    // SAFETY: forwarded contract.
    let Some(t) = unsafe { read(status) }.and_then(field) else {
        return false;
    };
    if out.is_null() {
        return false;
    }
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    };
    // SAFETY: non-NULL, and the caller promises it is valid for writes.
    unsafe { *out = secs };
    true
}

/// When the activation was created on the server, as Unix seconds in `*unix_seconds`.
/// Returns false, leaving `*unix_seconds` alone, when unknown or an argument is NULL.
///
/// # Safety
/// `status` NULL or a live status; `unix_seconds` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_activated_at(
    status: *const lk_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { time_out(status, unix_seconds, |s| s.activated_at) }
}

/// The last successful online validation, as lk_status_activated_at().
///
/// # Safety
/// As lk_status_activated_at().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_last_validated(
    status: *const lk_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { time_out(status, unix_seconds, |s| s.last_validated) }
}

/// When the license stops working if the server stays unreachable, as
/// lk_status_activated_at().
///
/// # Safety
/// As lk_status_activated_at().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_grace_deadline(
    status: *const lk_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { time_out(status, unix_seconds, |s| s.grace_deadline) }
}

/// Writes a text field to a caller buffer; LK_ERR_NO_VALUE when the status has none.
///
/// # Safety
/// `status` NULL or a live status; `buf` NULL or valid for `len` bytes; `needed` NULL or
/// valid for writes.
unsafe fn text_out(
    status: *const lk_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
    name: &str,
    field: fn(&LicenseStatus) -> Option<String>,
) -> lk_result {
    // SAFETY: forwarded contract.
    let status = unsafe { read(status) };
    guard(|| {
        let Some(status) = status else {
            return null("status");
        };
        match field(status) {
            // SAFETY: forwarded buffer contract.
            Some(value) => unsafe { write_out(&value, buf, len, needed) },
            None => set_error(
                lk_result::LK_ERR_NO_VALUE,
                &format!("the status has no {name}"),
            ),
        }
    })
}

/// Writes the activation's instance ID (`lki_…`) to `buf`; LK_ERR_NO_VALUE when not
/// activated. String conventions as in the header.
///
/// # Safety
/// `status` NULL or a live status; `buf` NULL or valid for `len` bytes; `needed` NULL or
/// valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_instance_id(
    status: *const lk_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "instance id", |s| {
            s.instance_id.as_ref().map(|i| i.as_str().to_owned())
        })
    }
}

/// Writes the Dodo product ID (`pdt_…`) of the key to `buf`, as lk_status_instance_id().
///
/// # Safety
/// As lk_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_product_id(
    status: *const lk_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "product id", |s| {
            s.product_id.clone()
        })
    }
}

/// Writes the product's name to `buf`, as lk_status_instance_id() (the server may send none).
///
/// # Safety
/// As lk_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_product_name(
    status: *const lk_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "product name", |s| {
            s.product_name.clone()
        })
    }
}

/// Writes the customer's email to `buf`, as lk_status_instance_id().
///
/// # Safety
/// As lk_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_customer_email(
    status: *const lk_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "customer email", |s| {
            s.customer_email.clone()
        })
    }
}

/// Writes the key in redacted form (`****-8f43`, never the key) to `buf`, as
/// lk_status_instance_id().
///
/// # Safety
/// As lk_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_status_key_hint(
    status: *const lk_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    // SAFETY: forwarded contract.
    unsafe { text_out(status, buf, len, needed, "key hint", |s| s.key_hint.clone()) }
}

/// The C constant of a state.
fn state(state: &LicenseState) -> lk_state {
    match state {
        LicenseState::NotActivated => lk_state::LK_STATE_NOT_ACTIVATED,
        LicenseState::Active => lk_state::LK_STATE_ACTIVE,
        LicenseState::Grace { .. } => lk_state::LK_STATE_GRACE,
        LicenseState::GraceExpired => lk_state::LK_STATE_GRACE_EXPIRED,
        LicenseState::Revoked => lk_state::LK_STATE_REVOKED,
        LicenseState::FingerprintMismatch => lk_state::LK_STATE_FINGERPRINT_MISMATCH,
        LicenseState::Tampered => lk_state::LK_STATE_TAMPERED,
        LicenseState::ClockRollback => lk_state::LK_STATE_CLOCK_ROLLBACK,
        LicenseState::WrongProduct => lk_state::LK_STATE_WRONG_PRODUCT,
        _ => lk_state::LK_STATE_UNKNOWN,
    }
}
