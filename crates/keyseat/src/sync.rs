//! Mutexes whose poisoning is ignored: a panic elsewhere (a caught callback panic, say) must
//! not turn every later license check into a second panic. The data they guard (remembered
//! credentials, a clock, a stop flag) stays valid whatever panicked while holding them.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// [`Mutex::lock`], ignoring poisoning.
pub(crate) trait Locked<T> {
    /// The guard, whether or not a holder panicked.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
