//! Background revalidation: a thread that asks the server on an interval and reports state
//! changes.

use crate::sync::Locked;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::check::Net;
use super::{LicenseState, LicenseStatus, Licensor};
use crate::error::{Error, ErrorKind};

/// A running watch. Dropping it (or calling [`WatchHandle::stop`]) stops the thread and
/// waits for it, except from the watch's own callback, where it only asks the thread to end
/// after the callback returns.
pub struct WatchHandle {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl WatchHandle {
    /// Stops the watch and waits for its thread to end (at most one check in progress).
    /// Called from the callback itself, it returns at once: no further check or callback
    /// runs, and the thread ends when the callback returns.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let (flag, cv) = &*self.stop;
        *flag.locked() = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            // A thread cannot wait for itself: from the callback, the flag is enough.
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

impl Licensor {
    /// Starts a background thread that checks the license now and then every `interval`
    /// (±10 % jitter), asking the server whenever the last answer is older than `interval`
    /// (another process's answer counts), and calls `callback` with the status on the first
    /// check and on every change of state. The callback runs on that thread. A panic in the
    /// callback or the check is caught and logged; the watch goes on.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] for a zero interval; [`crate::ErrorKind::Thread`]
    /// when the operating system cannot start the thread.
    pub fn watch<F>(&self, interval: Duration, callback: F) -> Result<WatchHandle, Error>
    where
        F: FnMut(&LicenseStatus) + Send + 'static,
    {
        if interval.is_zero() {
            return Err(Error::invalid_input("the watch interval must be positive"));
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let licensor = self.clone();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("keyseat-watch".into())
            .spawn(move || run(&licensor, interval, callback, &flag))
            .map_err(|e| Error::new(ErrorKind::Thread(e.to_string())))?;
        Ok(WatchHandle {
            stop,
            thread: Some(thread),
        })
    }
}

fn run<F>(licensor: &Licensor, interval: Duration, mut callback: F, stop: &(Mutex<bool>, Condvar))
where
    F: FnMut(&LicenseStatus),
{
    let max_age = i64::try_from(interval.as_secs()).unwrap_or(i64::MAX);
    let mut last: Option<LicenseState> = None;
    loop {
        match catch_unwind(AssertUnwindSafe(|| {
            licensor.evaluate(Net::Refresh(max_age))
        })) {
            Ok(Ok(status)) if last != Some(status.state) => {
                last = Some(status.state);
                if catch_unwind(AssertUnwindSafe(|| callback(&status))).is_err() {
                    log::error!("the watch callback panicked; the watch goes on");
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => log::warn!("watch: license check failed: {e}"),
            Err(_) => log::error!("watch: license check panicked; the watch goes on"),
        }
        if wait(stop, jittered(interval)) {
            return;
        }
    }
}

/// Waits up to `d`; true when asked to stop.
fn wait(stop: &(Mutex<bool>, Condvar), d: Duration) -> bool {
    let (flag, cv) = stop;
    let deadline = Instant::now() + d;
    let mut stopped = flag.locked();
    while !*stopped {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stopped = cv
            .wait_timeout(stopped, left)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
    true
}

fn jittered(d: Duration) -> Duration {
    let r = getrandom::u32().map_or(0.5, |r| f64::from(r) / f64::from(u32::MAX));
    d.mul_f64(0.9 + 0.2 * r)
}
