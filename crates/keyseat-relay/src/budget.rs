//! Dodo's budget: every upstream call goes through one limiter, set to Dodo's documented
//! limits (public license calls 20 a second and 100 a minute per IP; API-key calls 40 and
//! 240), and a 429 from Dodo pauses that kind of call for as long as it asks. Behind the
//! relay every customer shares its IP, so one client in a loop must not spend it for all:
//! the client-facing limits ([`crate::client_limits`]) come first.
//!
//! The limits are sliding windows, as Dodo counts: at most N calls in any second and any
//! minute, not just calendar ones (a token bucket would let a full burst through, and then
//! the refill, within one minute). Each replica keeps its own: replicas that share one egress
//! IP should each be given their share (`--upstream-public-rate`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// One budget: the times of its latest calls, its rates a second and a minute, and a pause
/// Dodo asked for.
struct Limit {
    windows: [(usize, Duration); 2],
    /// The latest calls, oldest first: as many as the largest window allows.
    calls: Mutex<VecDeque<Instant>>,
    paused_until: Mutex<Option<Instant>>,
}

impl Limit {
    fn new(rate: Rate) -> Limit {
        let n = |v: u32| usize::try_from(v.max(1)).unwrap_or(usize::MAX);
        Limit {
            windows: [
                (n(rate.per_second), Duration::from_secs(1)),
                (n(rate.per_minute), Duration::from_secs(60)),
            ],
            calls: Mutex::new(VecDeque::new()),
            paused_until: Mutex::new(None),
        }
    }

    /// Takes a call at `now` when every window has room: a window of length `w` that allows
    /// `n` is full while the `n`th latest call is younger than `w`.
    fn take_at(&self, now: Instant) -> Result<(), Spent> {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        for &(allowed, length) in &self.windows {
            if let Some(nth) = calls.len().checked_sub(allowed).map(|i| calls[i]) {
                let free_at = nth + length;
                if free_at > now {
                    return Err(Spent(free_at - now));
                }
            }
        }
        calls.push_back(now);
        let keep = self.windows.iter().map(|w| w.0).max().unwrap_or(1);
        while calls.len() > keep {
            calls.pop_front();
        }
        Ok(())
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
        limit.take_at(Instant::now())
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
        std::thread::sleep(Duration::from_millis(1050));
        assert!(b.take(Call::Public).is_ok(), "the second's budget is back");
        let Spent(wait) = b.take(Call::Public).unwrap_err();
        assert!(
            wait > Duration::from_secs(55),
            "the minute's is not: {wait:?}"
        );
        // The other budget is its own; a pause stops it whatever its rate.
        assert!(b.take(Call::Api).is_ok());
        b.pause(Call::Api, Duration::from_secs(30));
        let Spent(wait) = b.take(Call::Api).unwrap_err();
        assert!(wait > Duration::from_secs(25));
    }

    #[test]
    fn no_minute_ever_holds_more_than_the_minute_allows() {
        let limit = Limit::new(Rate {
            per_second: 20,
            per_minute: 100,
        });
        let start = Instant::now();
        let mut taken = Vec::new();
        // Asked every 10 ms for three minutes.
        for ms in (0..180_000).step_by(10) {
            let t = start + Duration::from_millis(ms);
            if limit.take_at(t).is_ok() {
                taken.push(t);
            }
        }
        for (i, &t) in taken.iter().enumerate() {
            let in_minute = taken[i..]
                .iter()
                .take_while(|&&u| u < t + Duration::from_secs(60))
                .count();
            let in_second = taken[i..]
                .iter()
                .take_while(|&&u| u < t + Duration::from_secs(1))
                .count();
            assert!(in_minute <= 100, "{in_minute} calls in the minute from {i}");
            assert!(in_second <= 20, "{in_second} calls in the second from {i}");
        }
        assert_eq!(
            taken.len(),
            300,
            "the whole budget is used, three minutes of it"
        );
    }
}
