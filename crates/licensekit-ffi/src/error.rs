//! The result enum, the panic boundary and the thread-local last-error message.

use std::cell::RefCell;
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

use licensekit::{DodoCode, Error, ErrorKind};

use crate::strings::write_out;

/// The result of every fallible function. The numbers are stable.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lk_result {
    /// Success.
    LK_OK = 0,
    /// A required pointer argument was NULL.
    LK_ERR_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8.
    LK_ERR_INVALID_UTF8 = 2,
    /// The output buffer was too small; `*needed` says how large it must be.
    LK_ERR_BUFFER_TOO_SMALL = 3,
    /// An argument was refused (an empty key, a bad URL, a zero interval).
    LK_ERR_INVALID_INPUT = 4,
    /// The license server could not be reached.
    LK_ERR_NETWORK = 5,
    /// The license server did not answer in time.
    LK_ERR_TIMEOUT = 6,
    /// The license server refused the request with another Dodo error code (see the message).
    LK_ERR_API = 7,
    /// The license server's answer was unusable.
    LK_ERR_INVALID_RESPONSE = 8,
    /// The activation may or may not have been recorded; it was not retried.
    LK_ERR_AMBIGUOUS_ACTIVATION = 9,
    /// A file could not be read or written.
    LK_ERR_IO = 10,
    /// The credential store failed.
    LK_ERR_KEY_STORAGE = 11,
    /// There is no activation on this machine.
    LK_ERR_NOT_ACTIVATED = 12,
    /// Another key is already active here; deactivate it first.
    LK_ERR_ALREADY_ACTIVATED = 13,
    /// Dodo `LICENSE_KEY_LIMIT_REACHED`: every activation slot is in use.
    LK_ERR_LIMIT_REACHED = 14,
    /// Dodo `INACTIVE_LICENSE_KEY`: the key is disabled or expired.
    LK_ERR_INACTIVE_KEY = 15,
    /// Dodo `LICENSE_KEY_NOT_FOUND` / `NOT_FOUND`: unknown key or instance.
    LK_ERR_KEY_NOT_FOUND = 16,
    /// Dodo `TOO_MANY_REQUESTS`: rate limited.
    LK_ERR_RATE_LIMITED = 17,
    /// A panic inside licensekit was caught; the handle may be used again.
    LK_ERR_PANIC = 99,
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `msg` as this thread's last error and returns `code`.
pub(crate) fn set_error(code: lk_result, msg: &str) -> lk_result {
    LAST_ERROR.with(|e| *e.borrow_mut() = msg.to_owned());
    code
}

/// Maps a licensekit error (whose text never holds the key) to a result code.
pub(crate) fn from_error(e: &Error) -> lk_result {
    let code = match (e.kind(), e.dodo_code()) {
        (_, Some(DodoCode::LicenseKeyLimitReached)) => lk_result::LK_ERR_LIMIT_REACHED,
        (_, Some(DodoCode::InactiveLicenseKey)) => lk_result::LK_ERR_INACTIVE_KEY,
        (_, Some(DodoCode::LicenseKeyNotFound | DodoCode::NotFound)) => {
            lk_result::LK_ERR_KEY_NOT_FOUND
        }
        (_, Some(DodoCode::TooManyRequests)) => lk_result::LK_ERR_RATE_LIMITED,
        (ErrorKind::Api { .. }, _) => lk_result::LK_ERR_API,
        (ErrorKind::Network(_), _) => lk_result::LK_ERR_NETWORK,
        (ErrorKind::Timeout, _) => lk_result::LK_ERR_TIMEOUT,
        (ErrorKind::InvalidResponse { .. }, _) => lk_result::LK_ERR_INVALID_RESPONSE,
        (ErrorKind::InvalidInput(_), _) => lk_result::LK_ERR_INVALID_INPUT,
        (ErrorKind::AmbiguousActivation(_), _) => lk_result::LK_ERR_AMBIGUOUS_ACTIVATION,
        (ErrorKind::Io { .. }, _) => lk_result::LK_ERR_IO,
        (ErrorKind::KeyStorage(_), _) => lk_result::LK_ERR_KEY_STORAGE,
        (ErrorKind::NotActivated, _) => lk_result::LK_ERR_NOT_ACTIVATED,
        (ErrorKind::AlreadyActivated { .. }, _) => lk_result::LK_ERR_ALREADY_ACTIVATED,
        _ => lk_result::LK_ERR_IO,
    };
    set_error(code, &e.to_string())
}

/// Runs `f`, turning a panic into LK_ERR_PANIC.
pub(crate) fn guard(f: impl FnOnce() -> lk_result) -> lk_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(code) => code,
        Err(_) => set_error(
            lk_result::LK_ERR_PANIC,
            "internal error (panic) in licensekit",
        ),
    }
}

/// Writes the calling thread's last error message to `buf` (empty when there was none).
/// String conventions as in the header. Never contains the license key.
///
/// # Safety
/// `buf` NULL or valid for `len` bytes; `needed` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lk_last_error_message(
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    let msg = LAST_ERROR.with(|e| e.borrow().clone());
    // SAFETY: forwarded buffer contract. Not guarded by `guard`, which would overwrite the
    // message; write_out cannot panic.
    unsafe { write_out(&msg, buf, len, needed) }
}
