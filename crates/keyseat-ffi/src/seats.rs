//! `ks_seats`: the seats of a key, for the customer to see which machines hold them and
//! free one with ks_release_instance(). A list the caller owns, read by index. Since ABI 1.4.

use std::ffi::c_char;

use keyseat::api::Seat;

use crate::error::{from_error, guard, ks_result, null, set_error};
use crate::licensor::ks_licensor;
use crate::strings::{str_in, write_out};

/// The seats of a key: opaque, made by ks_seats_list(), freed by ks_seats_free().
/// Immutable, so any thread may read it. Since ABI 1.4.
pub struct ks_seats(Vec<Seat>);

/// Lists the seats of `key`, or of this machine's activation's key when `key` is NULL:
/// each with an id (what ks_release_instance() takes), a name, when it was made, and
/// whether it is this machine's. Asks the server. KS_ERR_UNSUPPORTED for a provider that
/// cannot list seats (Dodo, Lemon Squeezy and Polar directly; the relay and Keygen can);
/// KS_ERR_NOT_ACTIVATED with a NULL key and no activation here. On success `*out` receives
/// a list to free with ks_seats_free(); on failure `*out` is NULL. Since ABI 1.4.
///
/// # Safety
/// `licensor` NULL or a live handle; `key` NULL or NUL-terminated; `out` NULL or valid for
/// writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_seats_list(
    licensor: *const ks_licensor,
    key: *const c_char,
    out: *mut *mut ks_seats,
) -> ks_result {
    guard(|| {
        if out.is_null() {
            return null("out");
        }
        // SAFETY: out is non-NULL and the caller promises it is valid for writes.
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: the caller promises licensor is NULL or a live handle.
        let Some(h) = (unsafe { licensor.as_ref() }) else {
            return null("licensor");
        };
        // SAFETY: the caller promises key is NULL or NUL-terminated.
        let key = match unsafe { str_in(key, "key") } {
            Ok(key) => key,
            Err(code) => return code,
        };
        match h.licensor.seats(key) {
            Ok(seats) => {
                // SAFETY: out is non-NULL and valid for writes (checked above).
                unsafe { *out = Box::into_raw(Box::new(ks_seats(seats))) };
                ks_result::KS_OK
            }
            Err(e) => from_error(&e),
        }
    })
}

/// Frees a list of seats. NULL is allowed and does nothing. Since ABI 1.4.
///
/// # Safety
/// `seats` NULL or a list from ks_seats_list() not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_seats_free(seats: *mut ks_seats) {
    let _ = guard(|| {
        if !seats.is_null() {
            // SAFETY: the caller promises this came from Box::into_raw in ks_seats_list
            // and is freed once.
            drop(unsafe { Box::from_raw(seats) });
        }
        ks_result::KS_OK
    });
}

/// The seat at `index`, if any.
///
/// # Safety
/// `seats` NULL or a live list.
unsafe fn seat<'a>(seats: *const ks_seats, index: usize) -> Option<&'a Seat> {
    // SAFETY: the caller promises seats is NULL or a live list.
    unsafe { seats.as_ref() }.and_then(|s| s.0.get(index))
}

/// How many seats the list holds (0 for NULL). Since ABI 1.4.
///
/// # Safety
/// `seats` NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_seats_count(seats: *const ks_seats) -> usize {
    // SAFETY: the caller promises seats is NULL or a live list.
    unsafe { seats.as_ref() }.map_or(0, |s| s.0.len())
}

/// Writes a text of seat `index` to `buf`; KS_ERR_NO_VALUE when there is no such seat.
///
/// # Safety
/// As ks_seats_id().
unsafe fn text_of(
    seats: *const ks_seats,
    index: usize,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
    field: fn(&Seat) -> &str,
) -> ks_result {
    guard(|| {
        if seats.is_null() {
            return null("seats");
        }
        // SAFETY: forwarded contract.
        match unsafe { seat(seats, index) } {
            // SAFETY: forwarded buffer contract.
            Some(s) => unsafe { write_out(field(s), buf, len, needed) },
            None => set_error(
                ks_result::KS_ERR_NO_VALUE,
                &format!("there is no seat {index}"),
            ),
        }
    })
}

/// Writes the id of seat `index` (what ks_release_instance() takes) to `buf`;
/// KS_ERR_NO_VALUE when there is no such seat. String conventions as in the header. Since
/// ABI 1.4.
///
/// # Safety
/// `seats` NULL or a live list; `buf` NULL or valid for `len` bytes; `needed` NULL or valid
/// for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_seats_id(
    seats: *const ks_seats,
    index: usize,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe { text_of(seats, index, buf, len, needed, |s| s.id.as_str()) }
}

/// Writes the name of seat `index` (`Ada's ThinkPad (Windows 11) · 3f9a2c`) to `buf`, as
/// ks_seats_id(). Since ABI 1.4.
///
/// # Safety
/// As ks_seats_id().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_seats_name(
    seats: *const ks_seats,
    index: usize,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    unsafe { text_of(seats, index, buf, len, needed, |s| s.name.as_str()) }
}

/// When seat `index` was made, as Unix seconds in `*unix_seconds`. Returns false, leaving it
/// alone, when unknown, there is no such seat, or an argument is NULL. Since ABI 1.4.
///
/// # Safety
/// `seats` NULL or a live list; `unix_seconds` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_seats_created_at(
    seats: *const ks_seats,
    index: usize,
    unix_seconds: *mut i64,
) -> bool {
    // SAFETY: forwarded contract.
    match unsafe { seat(seats, index) }.and_then(|s| s.created_at) {
        Some(t) if !unix_seconds.is_null() => {
            // SAFETY: non-NULL, and the caller promises it is valid for writes.
            unsafe { *unix_seconds = t };
            true
        }
        _ => false,
    }
}

/// Whether seat `index` is this machine's (false when there is no such seat). Since ABI 1.4.
///
/// # Safety
/// `seats` NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_seats_this_machine(seats: *const ks_seats, index: usize) -> bool {
    // SAFETY: forwarded contract.
    unsafe { seat(seats, index) }.is_some_and(|s| s.this_machine)
}
