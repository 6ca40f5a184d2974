//! Where the Licensor gets the time. Tests and demos move a [`ManualClock`]; apps use
//! [`SystemClock`].

use crate::sync::Locked;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The OS clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: SystemTime) -> ManualClock {
        ManualClock(Mutex::new(start))
    }

    /// Sets the time.
    pub fn set(&self, t: SystemTime) {
        *self.0.locked() = t;
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.locked();
        *t += by;
    }

    /// Moves the time backward.
    pub fn rewind(&self, by: Duration) {
        let mut t = self.0.locked();
        *t -= by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.locked()
    }
}

/// Whole seconds since the Unix epoch (negative before it).
pub(crate) fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The inverse of [`unix`].
pub(crate) fn from_unix(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_round_trip() {
        for s in [0, 1, -1, 1_700_000_000, -86_400] {
            assert_eq!(unix(from_unix(s)), s);
        }
    }

    #[test]
    fn manual_clock_moves() {
        let c = ManualClock::new(from_unix(100));
        c.advance(Duration::from_secs(50));
        c.rewind(Duration::from_secs(20));
        assert_eq!(unix(c.now()), 130);
    }
}
