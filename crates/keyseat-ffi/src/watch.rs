//! `ks_watch`: revalidation on a background thread, with a callback on every state change.

use std::ffi::c_void;
use std::time::Duration;

use crate::error::{from_error, guard, invalid, ks_result, null};
use crate::licensor::{handing_out, ks_licensor};
use crate::status::ks_status;

/// An opaque running watch, stopped and freed by ks_watch_stop().
pub struct ks_watch {
    handle: keyseat::WatchHandle,
}

/// A watch callback: receives a status, valid only during the call (copy what you need; do
/// not free it), and the `user_data` given to ks_watch_start(). It runs on the watch's
/// background thread, never on the caller's.
pub type ks_watch_callback =
    Option<unsafe extern "C" fn(status: *const ks_status, user_data: *mut c_void)>;

/// Starts a background thread that revalidates every `interval_ms` milliseconds and calls
/// `callback(status, user_data)` on the first check and on every state change. **The
/// callback runs on that background thread**; it must be thread-safe. It may call
/// ks_watch_stop() on its own watch (which then returns at once, and no further callback
/// runs). `*out` receives the watch, to stop with ks_watch_stop();
/// on failure (KS_ERR_THREAD when the thread could not start) `*out` is NULL.
///
/// # Safety
/// `licensor` NULL or a live handle; `out` NULL or valid for writes; `user_data` must stay
/// valid, and usable from another thread, until ks_watch_stop() returns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_watch_start(
    licensor: *const ks_licensor,
    interval_ms: u64,
    callback: ks_watch_callback,
    user_data: *mut c_void,
    out: *mut *mut ks_watch,
) -> ks_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let h = match unsafe { handing_out(licensor, out) } {
            Ok(h) => h,
            Err(code) => return code,
        };
        let Some(cb) = callback else {
            return null("callback");
        };
        if interval_ms == 0 {
            return invalid("interval_ms must be positive");
        }
        let user = UserData(user_data);
        let started = h
            .licensor
            .watch(Duration::from_millis(interval_ms), move |status| {
                let user = &user;
                let status = ks_status(status.clone());
                // SAFETY: the callback and user_data were given together by the caller, who
                // promises they are valid and thread-safe until ks_watch_stop(); the status
                // lives until the call returns.
                unsafe { cb(&status, user.0) };
            });
        match started {
            Ok(handle) => {
                // SAFETY: out is non-NULL (checked above).
                unsafe { *out = Box::into_raw(Box::new(ks_watch { handle })) };
                ks_result::KS_OK
            }
            Err(e) => from_error(&e),
        }
    })
}

/// Stops a watch, waits for its thread (at most one check in progress) and frees it. NULL is
/// allowed. Called from inside the watch's own callback, it returns without waiting: the
/// thread ends when the callback returns, and no further callback runs.
///
/// # Safety
/// `watch` must be NULL or a handle from ks_watch_start() not yet stopped.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_watch_stop(watch: *mut ks_watch) {
    let _ = guard(|| {
        if !watch.is_null() {
            // SAFETY: the caller promises this came from ks_watch_start and is stopped once.
            let w = unsafe { Box::from_raw(watch) };
            w.handle.stop();
        }
        ks_result::KS_OK
    });
}

/// The caller's user_data pointer, carried to the watch thread.
struct UserData(*mut c_void);
// SAFETY: ks_watch_start's contract makes the caller responsible for user_data being usable
// from the watch thread.
unsafe impl Send for UserData {}
