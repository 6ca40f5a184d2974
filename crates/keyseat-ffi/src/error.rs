//! The result codes, the panic boundary and the thread-local last-error message.

use std::cell::RefCell;
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

use keyseat::{Error, ErrorCode};

use crate::strings::copy_out;

/// The result of every fallible function: a `uint32_t`. The numbers are stable: a code never
/// changes meaning once released, and new codes only get new numbers.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ks_result {
    /// Success.
    KS_OK = 0,
    /// A required pointer argument was NULL.
    KS_ERR_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8.
    KS_ERR_INVALID_UTF8 = 2,
    /// The output buffer was too small; `*needed` says how large it must be.
    KS_ERR_BUFFER_TOO_SMALL = 3,
    /// An argument was refused: an unknown constant, an out-of-range number, an empty key,
    /// a bad URL, a config with no product binding.
    KS_ERR_INVALID_INPUT = 4,
    /// The license server could not be reached (connection, DNS or proxy failure).
    KS_ERR_NETWORK = 5,
    /// The license server did not answer in time.
    KS_ERR_TIMEOUT = 6,
    /// The license server refused the request with another Dodo error code (see the message).
    KS_ERR_API = 7,
    /// The license server's answer was unusable.
    KS_ERR_INVALID_RESPONSE = 8,
    /// The activation may or may not have been recorded; it was not retried.
    KS_ERR_AMBIGUOUS_ACTIVATION = 9,
    /// A file could not be read or written.
    KS_ERR_IO = 10,
    /// The credential store failed.
    KS_ERR_KEY_STORAGE = 11,
    /// There is no activation on this machine.
    KS_ERR_NOT_ACTIVATED = 12,
    /// Another key is already active here; deactivate it first.
    KS_ERR_ALREADY_ACTIVATED = 13,
    /// Dodo `LICENSE_KEY_LIMIT_REACHED`: every activation slot is in use.
    KS_ERR_LIMIT_REACHED = 14,
    /// Dodo `INACTIVE_LICENSE_KEY`: the key is disabled or expired.
    KS_ERR_INACTIVE_KEY = 15,
    /// Dodo `LICENSE_KEY_NOT_FOUND` / `NOT_FOUND`: unknown key or instance.
    KS_ERR_KEY_NOT_FOUND = 16,
    /// Dodo `TOO_MANY_REQUESTS`: rate limited.
    KS_ERR_RATE_LIMITED = 17,
    /// The key was sold for a product this app does not accept; its activation was released
    /// (the message says if releasing failed and the slot may still be held).
    KS_ERR_WRONG_PRODUCT = 18,
    /// The license server's certificate is not trusted: most often a TLS-inspecting proxy.
    /// ks_config_set_ca_file() trusts its CA.
    KS_ERR_CERTIFICATE = 19,
    /// The license data was written with another vendor secret, and nothing here with this
    /// program's: every program of the app must be given the same one. The files are left
    /// untouched.
    KS_ERR_VENDOR_SECRET_MISMATCH = 20,
    /// The status holds no such value (not activated, or the server sent none).
    KS_ERR_NO_VALUE = 21,
    /// The operating system could not start a thread.
    KS_ERR_THREAD = 22,
    /// An answer's signature did not verify (Keygen): counted as no answer, like a network
    /// failure. Since ABI 1.2.
    KS_ERR_BAD_SIGNATURE = 23,
    /// No trial can start: the OS credential store, which keeps a copy of the trial, cannot
    /// be read (a locked keychain, no Secret Service). Since ABI 1.3.
    KS_ERR_TRIAL_UNAVAILABLE = 24,
    /// The provider cannot do what was asked (list a key's seats: Dodo's, Lemon Squeezy's
    /// and Polar's public endpoints cannot). Since ABI 1.4.
    KS_ERR_UNSUPPORTED = 25,
    /// An error this version of the header has no code for; see the message.
    KS_ERR_OTHER = 98,
    /// A panic inside keyseat was caught; the handle may be used again.
    KS_ERR_PANIC = 99,
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `msg` as this thread's last error and returns `code`.
pub(crate) fn set_error(code: ks_result, msg: &str) -> ks_result {
    LAST_ERROR.with(|e| *e.borrow_mut() = msg.to_owned());
    code
}

/// Records a NULL-argument error for the argument `name`.
pub(crate) fn null(name: &str) -> ks_result {
    set_error(ks_result::KS_ERR_NULL_ARGUMENT, &format!("{name} is NULL"))
}

/// Records an invalid-input error.
pub(crate) fn invalid(msg: &str) -> ks_result {
    set_error(ks_result::KS_ERR_INVALID_INPUT, msg)
}

/// Maps a keyseat error (whose text never holds the key) to a result code.
pub(crate) fn from_error(e: &Error) -> ks_result {
    set_error(result_of(e.code()), &e.to_string())
}

/// The result code of a stable error code: the same name with `KS_ERR_` in front.
fn result_of(code: ErrorCode) -> ks_result {
    use ks_result::*;
    match code {
        ErrorCode::InvalidInput => KS_ERR_INVALID_INPUT,
        ErrorCode::Network => KS_ERR_NETWORK,
        ErrorCode::Timeout => KS_ERR_TIMEOUT,
        ErrorCode::Api => KS_ERR_API,
        ErrorCode::InvalidResponse => KS_ERR_INVALID_RESPONSE,
        ErrorCode::AmbiguousActivation => KS_ERR_AMBIGUOUS_ACTIVATION,
        ErrorCode::Io => KS_ERR_IO,
        ErrorCode::KeyStorage => KS_ERR_KEY_STORAGE,
        ErrorCode::NotActivated => KS_ERR_NOT_ACTIVATED,
        ErrorCode::AlreadyActivated => KS_ERR_ALREADY_ACTIVATED,
        ErrorCode::LimitReached => KS_ERR_LIMIT_REACHED,
        ErrorCode::InactiveKey => KS_ERR_INACTIVE_KEY,
        ErrorCode::KeyNotFound => KS_ERR_KEY_NOT_FOUND,
        ErrorCode::RateLimited => KS_ERR_RATE_LIMITED,
        ErrorCode::WrongProduct => KS_ERR_WRONG_PRODUCT,
        ErrorCode::Certificate => KS_ERR_CERTIFICATE,
        ErrorCode::VendorSecretMismatch => KS_ERR_VENDOR_SECRET_MISMATCH,
        ErrorCode::Thread => KS_ERR_THREAD,
        ErrorCode::BadSignature => KS_ERR_BAD_SIGNATURE,
        ErrorCode::TrialUnavailable => KS_ERR_TRIAL_UNAVAILABLE,
        ErrorCode::Unsupported => KS_ERR_UNSUPPORTED,
        _ => KS_ERR_OTHER,
    }
}

/// Runs `f`, turning a panic into KS_ERR_PANIC.
pub(crate) fn guard(f: impl FnOnce() -> ks_result) -> ks_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(code) => code,
        Err(_) => set_error(ks_result::KS_ERR_PANIC, "internal error (panic) in keyseat"),
    }
}

/// Runs `f` for a function with no result code; a panic is caught and `fallback` returned.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// Writes the calling thread's last error message to `buf` (empty when there was none).
/// String conventions as in the header. Never contains the license key.
///
/// Reading the message never changes it: a call whose buffer is too small (or NULL) returns
/// KS_ERR_BUFFER_TOO_SMALL with `*needed` set, and the message stays this thread's last
/// error. So the two-call pattern retrieves it whole: ks_last_error_message(NULL, 0,
/// &needed), then malloc(needed), then ks_last_error_message(msg, needed, NULL) gives KS_OK
/// and the whole message.
///
/// # Safety
/// `buf` NULL or valid for `len` bytes; `needed` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_last_error_message(
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // Reading the message leaves it in place, whatever the buffer: the header's two-call
    // pattern (ask for `needed`, allocate, call again) must find the same message the second
    // time. Not guarded by `guard` either, which would replace it on a panic; copy_out
    // cannot panic.
    LAST_ERROR.with(|e| {
        let msg = e.borrow();
        // SAFETY: forwarded buffer contract.
        match unsafe { copy_out(&msg, buf, len, needed) } {
            Ok(()) => ks_result::KS_OK,
            Err(shortfall) => shortfall.code(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_ks_err_panic_and_the_next_call_works() {
        let code = guard(|| panic!("a bug in keyseat"));
        assert_eq!(code, ks_result::KS_ERR_PANIC);
        let message = LAST_ERROR.with(|e| e.borrow().clone());
        assert!(message.contains("panic"), "{message}");
        assert_eq!(guard(|| ks_result::KS_OK), ks_result::KS_OK);
        assert!(!guard_value(false, || -> bool {
            panic!("a bug in keyseat")
        }));
        assert_eq!(guard_value(0, || 7), 7);
    }

    #[test]
    fn result_codes_carry_the_error_code_names() {
        use ErrorCode::*;
        let all = [
            InvalidInput,
            Network,
            Timeout,
            Api,
            InvalidResponse,
            AmbiguousActivation,
            Io,
            KeyStorage,
            NotActivated,
            AlreadyActivated,
            LimitReached,
            InactiveKey,
            KeyNotFound,
            RateLimited,
            WrongProduct,
            Certificate,
            VendorSecretMismatch,
            Thread,
            Other,
        ];
        for code in all {
            assert_eq!(
                format!("{:?}", result_of(code)),
                format!("KS_ERR_{}", code.name())
            );
        }
    }
}
