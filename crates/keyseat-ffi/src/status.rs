//! `ks_status`: the opaque result of a check or an activation, read through accessors so
//! that new fields never change a layout. A status is the caller's own copy: it stays valid,
//! and unchanged, after its Licensor is freed, until ks_status_free().

use std::ffi::c_char;
use std::time::{SystemTime, UNIX_EPOCH};

use keyseat::{LicenseState, LicenseStatus, StorageKind};

use crate::config::ks_key_storage;
use crate::error::{guard, guard_value, ks_result, null, set_error};
use crate::strings::write_out;

/// The license state, from ks_status_state(): a `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ks_state {
    /// No activation on this machine.
    KS_STATE_NOT_ACTIVATED = 0,
    /// Activated and recently confirmed by the server.
    KS_STATE_ACTIVE = 1,
    /// The server cannot be reached; licensed until the grace deadline.
    KS_STATE_GRACE = 2,
    /// Offline for longer than the grace period.
    KS_STATE_GRACE_EXPIRED = 3,
    /// The server revoked the license.
    KS_STATE_REVOKED = 4,
    /// The license data belongs to another machine.
    KS_STATE_FINGERPRINT_MISMATCH = 5,
    /// The license data (credentials, cache or trial) was edited, written by hand or
    /// damaged, and could not be rebuilt.
    KS_STATE_TAMPERED = 6,
    /// The clock went back beyond the tolerance.
    KS_STATE_CLOCK_ROLLBACK = 7,
    /// The stored activation is of a product this app does not accept.
    KS_STATE_WRONG_PRODUCT = 8,
    /// No activation; this machine's local trial runs until ks_status_trial_ends_at():
    /// licensed.
    KS_STATE_TRIAL = 9,
    /// No activation; this machine's local trial has ended. Nothing restarts it.
    KS_STATE_TRIAL_EXPIRED = 10,
    /// An activation an earlier release stored, which no genuine cache vouches for: not
    /// licensed; activate the key again (its old seat is released first). Since ABI 1.3.
    KS_STATE_UNVERIFIED = 11,
    /// A state newer than this header knows: not licensed.
    KS_STATE_UNKNOWN = 255,
}

/// The result of a check or an activation. Opaque: read it with the ks_status_* functions,
/// free it with ks_status_free(). Immutable, so any thread may read it.
pub struct ks_status(pub(crate) LicenseStatus);

impl ks_status {
    /// A heap status for the caller.
    pub(crate) fn boxed(status: LicenseStatus) -> *mut ks_status {
        Box::into_raw(Box::new(ks_status(status)))
    }
}

/// Frees a status. NULL is allowed and does nothing.
///
/// # Safety
/// `status` must be NULL or a status from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_free(status: *mut ks_status) {
    let _ = guard(|| {
        if !status.is_null() {
            // SAFETY: the caller promises this came from ks_status::boxed and is freed once.
            drop(unsafe { Box::from_raw(status) });
        }
        ks_result::KS_OK
    });
}

/// The status behind a pointer from C.
///
/// # Safety
/// `status` must be NULL or a live status.
pub(crate) unsafe fn read<'a>(status: *const ks_status) -> Option<&'a LicenseStatus> {
    // SAFETY: the caller promises status is NULL or a live status.
    unsafe { status.as_ref() }.map(|s| &s.0)
}

/// The state, a KS_STATE_* value (KS_STATE_NOT_ACTIVATED for NULL).
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_state(status: *const ks_status) -> u32 {
    // SAFETY: forwarded contract.
    let status = unsafe { read(status) };
    guard_value(ks_state::KS_STATE_NOT_ACTIVATED as u32, || {
        status.map_or(ks_state::KS_STATE_NOT_ACTIVATED, |s| state(&s.state)) as u32
    })
}

/// True for KS_STATE_ACTIVE, KS_STATE_GRACE and KS_STATE_TRIAL: run as licensed (false for
/// NULL).
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_is_licensed(status: *const ks_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(LicenseStatus::is_licensed)
}

/// Whether this check or activation talked to the server (false for NULL).
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_network_used(status: *const ks_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(|s| s.network_used)
}

/// Whether an unusable cache was set aside and rebuilt online by this check (false for NULL).
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_recovered(status: *const ks_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(|s| s.recovered)
}

/// Where the key is kept: an KS_KEY_STORAGE_* value; KS_KEY_STORAGE_NONE when nothing is
/// stored (not activated) and for NULL.
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_key_storage(status: *const ks_status) -> u32 {
    // SAFETY: forwarded contract.
    let kind = unsafe { read(status) }.and_then(|s| s.key_storage);
    (match kind {
        Some(StorageKind::Keyring) => ks_key_storage::KS_KEY_STORAGE_KEYRING,
        Some(StorageKind::File) => ks_key_storage::KS_KEY_STORAGE_FILE,
        Some(StorageKind::Memory) => ks_key_storage::KS_KEY_STORAGE_MEMORY,
        Some(_) => ks_key_storage::KS_KEY_STORAGE_OTHER,
        None => ks_key_storage::KS_KEY_STORAGE_NONE,
    }) as u32
}

/// Writes a time as Unix seconds; false when absent or an argument is NULL.
///
/// # Safety
/// `status` NULL or a live status; `out` NULL or valid for writes.
unsafe fn time_out(
    status: *const ks_status,
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
pub unsafe extern "C" fn ks_status_activated_at(
    status: *const ks_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { time_out(status, unix_seconds, |s| s.activated_at) }
}

/// The last successful online validation, as ks_status_activated_at().
///
/// # Safety
/// As ks_status_activated_at().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_last_validated(
    status: *const ks_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { time_out(status, unix_seconds, |s| s.last_validated) }
}

/// When this machine's local trial ends (or ended), as ks_status_activated_at(): set when
/// a trial was started (KS_STATE_TRIAL, KS_STATE_TRIAL_EXPIRED).
///
/// # Safety
/// As ks_status_activated_at().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_trial_ends_at(
    status: *const ks_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { time_out(status, unix_seconds, |s| s.trial_ends_at) }
}

/// When an activation whose answer was lost was sent (see
/// ks_status_pending_activation_name()), as ks_status_activated_at().
///
/// # Safety
/// As ks_status_activated_at().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_pending_activation_at(
    status: *const ks_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe {
        time_out(status, unix_seconds, |s| {
            s.pending_activation.as_ref().map(|p| p.at)
        })
    }
}

/// When the license stops working if the server stays unreachable, as
/// ks_status_activated_at().
///
/// # Safety
/// As ks_status_activated_at().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_grace_deadline(
    status: *const ks_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { time_out(status, unix_seconds, |s| s.grace_deadline) }
}

/// Writes a text field to a caller buffer; KS_ERR_NO_VALUE when the status has none.
///
/// # Safety
/// `status` NULL or a live status; `buf` NULL or valid for `len` bytes; `needed` NULL or
/// valid for writes.
unsafe fn text_out(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
    name: &str,
    field: fn(&LicenseStatus) -> Option<String>,
) -> ks_result {
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
                ks_result::KS_ERR_NO_VALUE,
                &format!("the status has no {name}"),
            ),
        }
    })
}

/// Writes the activation's instance ID (`lki_…`) to `buf`; KS_ERR_NO_VALUE when not
/// activated. String conventions as in the header.
///
/// # Safety
/// `status` NULL or a live status; `buf` NULL or valid for `len` bytes; `needed` NULL or
/// valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_instance_id(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "instance id", |s| {
            s.instance_id.as_ref().map(|i| i.as_str().to_owned())
        })
    }
}

/// Writes the activation's instance name, as the server recorded it (`Ada's ThinkPad
/// (Windows 11) · 3f9a2c`), to `buf`, as ks_status_instance_id(); KS_ERR_NO_VALUE also for
/// an activation made before keyseat recorded names.
///
/// # Safety
/// As ks_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_instance_name(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "instance name", |s| {
            s.instance_name.clone()
        })
    }
}

/// Writes the name of an activation whose answer was lost (sent in the last 30 days, with
/// no activation since; it may hold a seat the vendor can release) to `buf`, as
/// ks_status_instance_id(); KS_ERR_NO_VALUE when there is none.
///
/// # Safety
/// As ks_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_pending_activation_name(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "pending activation", |s| {
            s.pending_activation.as_ref().map(|p| p.name.clone())
        })
    }
}

/// Writes the Dodo product ID (`pdt_…`) of the key to `buf`, as ks_status_instance_id().
///
/// # Safety
/// As ks_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_product_id(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "product id", |s| {
            s.product_id.clone()
        })
    }
}

/// Writes the product's name to `buf`, as ks_status_instance_id() (the server may send none).
///
/// # Safety
/// As ks_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_product_name(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "product name", |s| {
            s.product_name.clone()
        })
    }
}

/// Writes the customer's email to `buf`, as ks_status_instance_id().
///
/// # Safety
/// As ks_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_customer_email(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_out(status, buf, len, needed, "customer email", |s| {
            s.customer_email.clone()
        })
    }
}

/// Writes the key in redacted form (`****-8f43`, never the key) to `buf`, as
/// ks_status_instance_id().
///
/// # Safety
/// As ks_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_key_hint(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe { text_out(status, buf, len, needed, "key hint", |s| s.key_hint.clone()) }
}

/// Writes who sold the key (`dodo`, `lemonsqueezy`, `polar`) to `buf`, as
/// ks_status_instance_id(). Since ABI 1.2.
///
/// # Safety
/// As ks_status_instance_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_provider(
    status: *const ks_status,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe { text_out(status, buf, len, needed, "provider", |s| s.provider.clone()) }
}

/// When the key itself stops working, as the provider last said (Lemon Squeezy, Polar,
/// Keygen and the relay say; Dodo directly does not), as ks_status_activated_at(). Since
/// ABI 1.2.
///
/// # Safety
/// As ks_status_activated_at().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_expires_at(
    status: *const ks_status,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    unsafe { time_out(status, unix_seconds, |s| s.expires_at) }
}

/// Whether the activation holds a seat on the server (false for NULL and with no
/// activation). False for a key that licenses by validation alone (a Polar key whose
/// benefit has no activations): ks_status_instance_id() then has nothing to give, and
/// ks_deactivate() only removes local state. Since ABI 1.2.
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_holds_seat(status: *const ks_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(|s| s.holds_seat)
}

/// Whether what this machine stores is protected by a vendor secret of at least 16 bytes
/// (false for NULL). Without one, anyone who knows the key can write license data that
/// passes. Since ABI 1.3.
///
/// # Safety
/// `status` must be NULL or a live status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_status_local_state_protected(status: *const ks_status) -> bool {
    // SAFETY: forwarded contract.
    unsafe { read(status) }.is_some_and(|s| s.local_state_protected)
}

/// The C constant of a state.
fn state(state: &LicenseState) -> ks_state {
    match state {
        LicenseState::NotActivated => ks_state::KS_STATE_NOT_ACTIVATED,
        LicenseState::Active => ks_state::KS_STATE_ACTIVE,
        LicenseState::Grace { .. } => ks_state::KS_STATE_GRACE,
        LicenseState::GraceExpired => ks_state::KS_STATE_GRACE_EXPIRED,
        LicenseState::Revoked => ks_state::KS_STATE_REVOKED,
        LicenseState::FingerprintMismatch => ks_state::KS_STATE_FINGERPRINT_MISMATCH,
        LicenseState::Tampered => ks_state::KS_STATE_TAMPERED,
        LicenseState::ClockRollback => ks_state::KS_STATE_CLOCK_ROLLBACK,
        LicenseState::WrongProduct => ks_state::KS_STATE_WRONG_PRODUCT,
        LicenseState::Trial { .. } => ks_state::KS_STATE_TRIAL,
        LicenseState::TrialExpired => ks_state::KS_STATE_TRIAL_EXPIRED,
        LicenseState::Unverified => ks_state::KS_STATE_UNVERIFIED,
        _ => ks_state::KS_STATE_UNKNOWN,
    }
}
