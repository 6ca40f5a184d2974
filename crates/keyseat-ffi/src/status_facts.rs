//! What the provider last said of the key, in a status (since ABI 1.4): its activation
//! limit, the seats in use, and its entitlements, each read by index. A value the provider
//! did not give is absent (false, or KS_ERR_NO_VALUE), never guessed.

use std::ffi::c_char;

use keyseat::api::Entitlement;

use crate::error::{guard, ks_result, null, set_error};
use crate::status::{ks_status, read};
use crate::strings::write_out;

/// Writes a number the status may hold; false when absent or an argument is NULL.
///
/// # Safety
/// `status` NULL or a live status; `out` NULL or valid for writes.
unsafe fn count_out(
    status: *const ks_status,
    out: *mut u32,
    field: fn(&keyseat::LicenseStatus) -> Option<u32>,
) -> bool {
    // SAFETY: forwarded contract.
    let Some(value) = unsafe { read(status) }.and_then(field) else {
        return false;
    };
    if out.is_null() {
        return false;
    }
    // SAFETY: non-NULL, and the caller promises it is valid for writes.
    unsafe { *out = value };
    true
}

/// How many activations the key allows at once, as the provider last said, in `*out`.
/// Returns false, leaving `*out` alone, when it did not say (Dodo directly) or an argument
/// is NULL. Since ABI 1.4.
///
/// # Safety
/// `status` NULL or a live status; `out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_activation_limit(
    status: *const ks_status,
    out: *mut u32,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { count_out(status, out, |s| s.activation_limit) }
}

/// How many of the key's activations are in use, as the provider last said, in `*out`; as
/// ks_status_activation_limit(). Since ABI 1.4.
///
/// # Safety
/// As ks_status_activation_limit().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_activations_used(
    status: *const ks_status,
    out: *mut u32,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { count_out(status, out, |s| s.activations_used) }
}

/// How many entitlements the key carries, as the provider last said, in `*count` (the
/// relay's license-key grants). Returns false, leaving `*count` alone, when the provider
/// does not say (then the key's entitlements are unknown, not none) or an argument is NULL.
/// Since ABI 1.4.
///
/// # Safety
/// `status` NULL or a live status; `count` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_entitlement_count(
    status: *const ks_status,
    count: *mut usize,
) -> bool {
    // SAFETY: forwarded contract.
    let Some(all) = unsafe { read(status) }.and_then(|s| s.entitlements.as_ref()) else {
        return false;
    };
    if count.is_null() {
        return false;
    }
    // SAFETY: non-NULL, and the caller promises it is valid for writes.
    unsafe { *count = all.len() };
    true
}

/// The entitlement at `index`, or KS_ERR_NO_VALUE.
///
/// # Safety
/// `status` NULL or a live status.
unsafe fn entitlement<'a>(
    status: *const ks_status,
    index: usize,
) -> Result<&'a Entitlement, ks_result> {
    // SAFETY: forwarded contract.
    let Some(status) = (unsafe { read(status) }) else {
        return Err(null("status"));
    };
    status
        .entitlements
        .as_ref()
        .and_then(|all| all.get(index))
        .ok_or_else(|| {
            set_error(
                ks_result::KS_ERR_NO_VALUE,
                &format!("the status has no entitlement {index}"),
            )
        })
}

/// Writes the id of entitlement `index` (Dodo's `ent_…`) to `buf`; KS_ERR_NO_VALUE when
/// there is no such entitlement. String conventions as in the header. Since ABI 1.4.
///
/// # Safety
/// `status` NULL or a live status; `buf` NULL or valid for `len` bytes; `needed` NULL or
/// valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_entitlement_id(
    status: *const ks_status,
    index: usize,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    guard(|| {
        // SAFETY: forwarded contract.
        match unsafe { entitlement(status, index) } {
            // SAFETY: forwarded buffer contract.
            Ok(e) => unsafe { write_out(&e.id, buf, len, needed) },
            Err(code) => code,
        }
    })
}

/// Writes the status of entitlement `index`'s grant, in the provider's word (`Delivered`,
/// `Revoked`, …), to `buf`, as ks_status_entitlement_id(); KS_ERR_NO_VALUE also when the
/// provider gave none. Since ABI 1.4.
///
/// # Safety
/// As ks_status_entitlement_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_entitlement_status(
    status: *const ks_status,
    index: usize,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    guard(|| {
        // SAFETY: forwarded contract.
        match unsafe { entitlement(status, index) } {
            Ok(Entitlement {
                status: Some(word), ..
            }) => {
                // SAFETY: forwarded buffer contract.
                unsafe { write_out(word, buf, len, needed) }
            }
            Ok(_) => set_error(
                ks_result::KS_ERR_NO_VALUE,
                &format!("entitlement {index} has no status"),
            ),
            Err(code) => code,
        }
    })
}

/// When entitlement `index`'s grant ends, as Unix seconds in `*unix_seconds`. Returns
/// false, leaving it alone, when it does not end, there is no such entitlement, or an
/// argument is NULL. Since ABI 1.4.
///
/// # Safety
/// `status` NULL or a live status; `unix_seconds` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_entitlement_expires_at(
    status: *const ks_status,
    index: usize,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    let found = unsafe { read(status) }
        .and_then(|s| s.entitlements.as_ref())
        .and_then(|all| all.get(index))
        .and_then(|e| e.expires_at);
    match found {
        Some(t) if !unix_seconds.is_null() => {
            // SAFETY: non-NULL, and the caller promises it is valid for writes.
            unsafe { *unix_seconds = t };
            true
        }
        _ => false,
    }
}
