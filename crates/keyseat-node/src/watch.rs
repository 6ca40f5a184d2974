//! `licensor.watch(intervalMs, callback)`: the core's watch thread calling back into
//! JavaScript through a thread-safe function.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::error::{Code, Outcome, failure, invalid_input};
use crate::status::LicenseStatus;

/// The JavaScript callback, callable from the watch thread. While it exists it keeps the
/// event loop alive; dropping it releases it.
type Callback = ThreadsafeFunction<LicenseStatus, (), LicenseStatus, napi::Status, false>;

/// A running watch, returned by `licensor.watch()`. Call `stop()` to end it; as with
/// `setInterval`, losing the object does not stop it.
#[napi]
pub struct Watch {
    handle: Option<keyseat::WatchHandle>,
    callback: Arc<Mutex<Option<Callback>>>,
}

impl Watch {
    /// Starts the core watch with a callback that forwards each status to JavaScript.
    pub fn start(
        licensor: &keyseat::Licensor,
        interval: Duration,
        callback: Function<'_, LicenseStatus, ()>,
    ) -> napi::Result<Watch, Code> {
        let tsfn: Callback = callback
            .build_threadsafe_function::<LicenseStatus>()
            .callee_handled::<false>()
            .build()
            .map_err(|e| invalid_input(format!("callback: {e}")))?;
        let callback = Arc::new(Mutex::new(Some(tsfn)));
        let forward = Arc::clone(&callback);
        let handle = licensor
            .watch(interval, move |status| {
                let guard = forward.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(tsfn) = guard.as_ref() {
                    tsfn.call(
                        LicenseStatus::from(status),
                        ThreadsafeFunctionCallMode::NonBlocking,
                    );
                }
            })
            .map_err(|e| failure(&e))?;
        Ok(Watch {
            handle: Some(handle),
            callback,
        })
    }
}

#[napi]
impl Watch {
    /// Ends the watch: no callback runs after this returns, and the watch no longer keeps
    /// the process alive. Returns at once (a check in progress finishes on its own thread).
    /// Calling it again does nothing.
    #[napi]
    pub fn stop(&mut self) {
        // Aborting the thread-safe function first means no call is queued from here on, and
        // one already queued is dropped rather than delivered (a plain release would deliver
        // it). `abort` is deprecated in favour of dropping, which only releases.
        let callback = self
            .callback
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(callback) = callback {
            #[allow(deprecated)]
            let _ = callback.abort();
        }
        if let Some(handle) = self.handle.take() {
            // WatchHandle::stop waits for a check in progress, which may be a network call:
            // wait on a thread of its own, not on the JavaScript thread.
            let _ = std::thread::Builder::new()
                .name("keyseat-watch-stop".into())
                .spawn(move || handle.stop());
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Garbage collection of an unstopped handle leaves the watch running, as with a
        // lost `setInterval` handle: the thread and its callback live until process exit.
        if let Some(handle) = self.handle.take() {
            std::mem::forget(handle);
        }
    }
}

/// The watch interval from JavaScript milliseconds: finite and at least one.
pub fn interval(ms: f64) -> Outcome<Duration> {
    if ms.is_finite() && ms >= 1.0 {
        Ok(Duration::from_secs_f64(ms / 1000.0))
    } else {
        Err(invalid_input(format!(
            "intervalMs must be a finite number of milliseconds >= 1, not {ms}"
        )))
    }
}
