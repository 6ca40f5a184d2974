//! `lk_watch`: revalidation on a background thread, with a callback on every state change.

use std::ffi::c_void;
use std::time::Duration;

use crate::error::{from_error, guard, invalid, lk_result, null};
use crate::licensor::{handing_out, lk_licensor};
use crate::status::lk_status;

/// An opaque running watch, stopped and freed by lk_watch_stop().
pub struct lk_watch {
    handle: licensekit::WatchHandle,
}

/// A watch callback: receives a status, valid only during the call (copy what you need; do
/// not free it), and the `user_data` given to lk_watch_start(). It runs on the watch's
/// background thread, never on the caller's.
pub type lk_watch_callback =
    Option<unsafe extern "C" fn(status: *const lk_status, user_data: *mut c_void)>;

/// Starts a background thread that revalidates every `interval_ms` milliseconds and calls
/// `callback(status, user_data)` on the first check and on every state change. **The
/// callback runs on that background thread**; it must be thread-safe. It may call
/// lk_watch_stop() on its own watch (which then returns at once, and no further callback
/// runs). `*out` receives the watch, to stop with lk_watch_stop();
/// on failure (LK_ERR_THREAD when the thread could not start) `*out` is NULL.
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
                let status = lk_status(status.clone());
                // SAFETY: the callback and user_data were given together by the caller, who
                // promises they are valid and thread-safe until lk_watch_stop(); the status
                // lives until the call returns.
                unsafe { cb(&status, user.0) };
            });
        match started {
            Ok(handle) => {
                // SAFETY: out is non-NULL (checked above).
                unsafe { *out = Box::into_raw(Box::new(lk_watch { handle })) };
                lk_result::LK_OK
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
