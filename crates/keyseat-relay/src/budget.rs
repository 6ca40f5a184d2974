//! Dodo's budget: every upstream call goes through one limiter, set to Dodo's documented
//! limits (public license calls 20 a second and 100 a minute per IP; API-key calls 40 and
//! 240), and a 429 from Dodo pauses that kind of call for as long as it asks. Behind the
//! relay every customer shares its IP, so one client in a loop must not spend it for all:
//! the client-facing limits ([`crate::client_limits`]) come first.
//!
//! The limits are GCRA (governor), which keeps each rate over any window, not just
//! calendar seconds and minutes. Each replica keeps its own: replicas that share one egress
//! IP should each be given their share (`--upstream-public-rate`).

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::config::Rate;

/// Which of Dodo's budgets a call spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// The public license calls (activate, validate, deactivate).
    Public,
    /// The API-key calls.
    Api,
}

impl Call {
    /// Its name in metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Call::Public => "public",
            Call::Api => "api",
        }
    }
}

/// One budget: its rate a second and a minute, and a pause Dodo asked for.
struct Limit {
    second: DefaultDirectRateLimiter,
    minute: DefaultDirectRateLimiter,
    paused_until: Mutex<Option<Instant>>,
}

impl Limit {
    fn new(rate: Rate) -> Limit {
        let n = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        Limit {
            second: RateLimiter::direct(Quota::per_second(n(rate.per_second))),
            minute: RateLimiter::direct(Quota::per_minute(n(rate.per_minute))),
            paused_until: Mutex::new(None),
        }
    }
}

/// Dodo's two budgets.
pub struct Budget {
    public: Limit,
    api: Limit,
}

/// The budget is spent: nothing may be sent for this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spent(pub Duration);

impl Budget {
    /// Budgets of these rates.
    pub fn new(public: Rate, api: Rate) -> Budget {
        Budget {
            public: Limit::new(public),
            api: Limit::new(api),
        }
    }

    fn limit(&self, call: Call) -> &Limit {
        match call {
            Call::Public => &self.public,
            Call::Api => &self.api,
        }
    }

    /// Takes one call of `call`'s budget, or says how long until one is free.
    ///
    /// # Errors
    /// [`Spent`] when none is.
    pub fn take(&self, call: Call) -> Result<(), Spent> {
        let limit = self.limit(call);
        if let Some(until) = *limit.paused_until.lock().unwrap_or_else(|p| p.into_inner()) {
            let left = until.saturating_duration_since(Instant::now());
            if !left.is_zero() {
                return Err(Spent(left));
            }
        }
        let clock = DefaultClock::default();
        // The second's window first: a call it holds back must not spend the minute's,
        // which refills slowly (one the minute's holds back costs the second's a cell, which
        // refills at once).
        for window in [&limit.second, &limit.minute] {
            if let Err(not_until) = window.check() {
                let wait = not_until.wait_time_from(clock.now());
                return Err(Spent(wait.max(Duration::from_millis(1))));
            }
        }
        Ok(())
    }

    /// Dodo answered 429 to a call of `call`'s kind: send none for `wait`.
    pub fn pause(&self, call: Call, wait: Duration) {
        let until = Instant::now() + wait.min(Duration::from_secs(3600));
        *self
            .limit(call)
            .paused_until
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_budget_keeps_its_rates_and_pauses() {
        let b = Budget::new(
            Rate {
                per_second: 2,
                per_minute: 3,
            },
            Rate {
                per_second: 10,
                per_minute: 10,
            },
        );
        assert!(b.take(Call::Public).is_ok());
        assert!(b.take(Call::Public).is_ok());
        let Spent(wait) = b.take(Call::Public).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        std::thread::sleep(Duration::from_millis(600));
        assert!(b.take(Call::Public).is_ok(), "the second's budget is back");
        std::thread::sleep(Duration::from_millis(1100));
        let Spent(wait) = b.take(Call::Public).unwrap_err();
        assert!(
            wait > Duration::from_secs(5),
            "the minute's is not: {wait:?}"
        );
        // The other budget is its own; a pause stops it whatever its rate.
        assert!(b.take(Call::Api).is_ok());
        b.pause(Call::Api, Duration::from_secs(30));
        let Spent(wait) = b.take(Call::Api).unwrap_err();
        assert!(wait > Duration::from_secs(25));
    }
}
