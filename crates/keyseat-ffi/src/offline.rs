//! Offline activation through the seller's keyseat-relay (KS_PROVIDER_RELAY): the request
//! a machine that never goes online writes, the machine file that activates it, and the
//! proof its removal writes. Since ABI 1.4.

use std::ffi::c_char;

use crate::error::{from_error, guard, ks_result, null};
use crate::licensor::{coded, ks_licensor, status_call};
use crate::status::{ks_status, read};
use crate::strings::{str_required, write_out};

/// Writes the request to activate `key` on this machine offline to `buf`: text to carry to
/// the seller's relay (its page), which answers with a machine file. The key travels sealed
/// to the relay's key. Nothing is stored or sent; every call writes a new request (of the
/// same length). KS_ERR_UNSUPPORTED for a provider other than the relay. String conventions
/// as in the header. Since ABI 1.4.
///
/// # Safety
/// `licensor` NULL or a live handle; `key` NULL or NUL-terminated; `buf` NULL or valid for
/// `len` bytes; `needed` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_offline_request(
    licensor: *const ks_licensor,
    key: *const c_char,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    guard(|| {
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return null("licensor");
        };
        // SAFETY: the caller promises key is NULL or NUL-terminated.
        let key = match unsafe { str_required(key, "key") } {
            Ok(key) => key,
            Err(code) => return code,
        };
        match h.licensor.offline_request(key) {
            // SAFETY: forwarded buffer contract.
            Ok(text) => unsafe { write_out(&text, buf, len, needed) },
            Err(e) => from_error(&e),
        }
    })
}

/// Activates `key` on this machine from the relay's machine file (its text, NUL-terminated),
/// with no network: it must be signed by a pinned relay key, open with this key on this
/// machine, be of an accepted product, and not have expired. The machine is then licensed
/// until the file's expiry (ks_status_grace_deadline()). KS_ERR_BAD_SIGNATURE for a file no
/// pinned key signed; KS_ERR_INVALID_INPUT for another machine's or key's file, or an
/// expired one. On success `*out` receives a status to free with ks_status_free(); on
/// failure `*out` is NULL. Since ABI 1.4.
///
/// # Safety
/// `licensor` NULL or a live handle; `key` and `machine_file` NULL or NUL-terminated; `out`
/// NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_offline_activate(
    licensor: *const ks_licensor,
    key: *const c_char,
    machine_file: *const c_char,
    out: *mut *mut ks_status,
) -> ks_result {
    // SAFETY: the caller promises both strings are NULL or NUL-terminated.
    let texts = unsafe {
        (
            str_required(key, "key"),
            str_required(machine_file, "machine_file"),
        )
    };
    // SAFETY: forwarded contract.
    unsafe {
        status_call(licensor, out, |l| {
            let (key, file) = match texts {
                (Ok(k), Ok(f)) => (k, f),
                (Err(code), _) | (_, Err(code)) => return Err(code),
            };
            coded(l.offline_activate(key, file))
        })
    }
}

/// Removes this machine's offline activation, with no network, and writes the proof of its
/// removal to `buf`: text to carry to the seller's relay, which frees the seat once.
/// Nothing is removed unless the whole proof fits in `buf` (KS_ERR_BUFFER_TOO_SMALL and
/// `*needed` say how much room it takes). KS_ERR_NOT_ACTIVATED when this machine holds no
/// offline activation. Since ABI 1.4.
///
/// # Safety
/// `licensor` NULL or a live handle; `buf` NULL or valid for `len` bytes; `needed` NULL or
/// valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_offline_deactivate(
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
        let proof = match h.licensor.offline_release_proof() {
            Ok(proof) => proof,
            Err(e) => return from_error(&e),
        };
        // SAFETY: forwarded buffer contract.
        let written = unsafe { write_out(&proof, buf, len, needed) };
        if written != ks_result::KS_OK {
            return written;
        }
        match h.licensor.offline_deactivate() {
            Ok(_) => ks_result::KS_OK,
            Err(e) => from_error(&e),
        }
    })
}

/// Whether the status is of an activation by a relay's machine file (licensed until
/// ks_status_grace_deadline(), never asking the server); false for NULL. Since ABI 1.4.
///
/// # Safety
/// `status` NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_activated_offline(status: *const ks_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(|s| s.activated_offline)
}
