//! Dodo's documented rate limits, when the emulator is asked to keep them: the public
//! license calls per client IP (20 a second, 100 a minute) and the API-key calls per key (40
//! a second, 240 a minute). Over a limit, the answer is 429 with the `X-RateLimit-*` headers
//! Dodo sends (and `Retry-After`), and the request is not processed.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::http::Response;

/// How many requests a window allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Requests allowed in the window.
    pub limit: u32,
    /// The window's length, in seconds.
    pub seconds: u64,
}

/// The limits the emulator keeps, each a list of windows that must all allow a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimits {
    /// The public license calls (activate, validate, deactivate), per client IP.
    pub public: Vec<Window>,
    /// The API-key calls, per API key.
    pub api: Vec<Window>,
}

impl RateLimits {
    /// Dodo's documented limits (its API reference, 2026): public calls 20/s and 100/min per
    /// IP, API-key calls 40/s and 240/min per key.
    pub fn dodo() -> RateLimits {
        let w = |limit, seconds| Window { limit, seconds };
        RateLimits {
            public: vec![w(20, 1), w(100, 60)],
            api: vec![w(40, 1), w(240, 60)],
        }
    }
}

/// Which limit a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Bucket {
    /// A public call from this client IP.
    Public(String),
    /// An API-key call with this key.
    Api(String),
}

/// The requests each bucket made lately.
#[derive(Default)]
pub(crate) struct Limiter {
    seen: BTreeMap<Bucket, VecDeque<Instant>>,
}

impl Limiter {
    /// Counts a request against `bucket` under `limits`: the headers to add to its answer,
    /// or the 429 that answers it instead.
    pub(crate) fn admit(
        &mut self,
        limits: &RateLimits,
        bucket: Bucket,
        now: Instant,
    ) -> Result<Vec<(String, String)>, Box<Response>> {
        let windows = match bucket {
            Bucket::Public(_) => &limits.public,
            Bucket::Api(_) => &limits.api,
        };
        let longest = windows.iter().map(|w| w.seconds).max().unwrap_or(0);
        let seen = self.seen.entry(bucket).or_default();
        while seen
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(longest))
        {
            seen.pop_front();
        }
        let in_window = |w: &Window| {
            seen.iter()
                .filter(|t| now.duration_since(**t) < Duration::from_secs(w.seconds))
                .count() as u32
        };
        // The tightest window decides what the headers say.
        let (window, used) = windows
            .iter()
            .map(|w| (w, in_window(w)))
            .min_by_key(|(w, used)| w.limit.saturating_sub(*used))
            .unwrap_or((
                &Window {
                    limit: u32::MAX,
                    seconds: 1,
                },
                0,
            ));
        let reset = seen
            .iter()
            .find(|t| now.duration_since(**t) < Duration::from_secs(window.seconds))
            .map_or(0, |t| {
                window
                    .seconds
                    .saturating_sub(now.duration_since(*t).as_secs())
            });
        let headers = |remaining: u32| {
            vec![
                ("X-RateLimit-Limit".to_owned(), window.limit.to_string()),
                ("X-RateLimit-Remaining".to_owned(), remaining.to_string()),
                ("X-RateLimit-Reset".to_owned(), reset.max(1).to_string()),
            ]
        };
        if used >= window.limit {
            let mut refused = Response::error(429, "TOO_MANY_REQUESTS", "Too many requests");
            for (name, value) in headers(0) {
                refused = refused.with_header(&name, &value);
            }
            return Err(Box::new(
                refused.with_header("Retry-After", &reset.max(1).to_string()),
            ));
        }
        seen.push_back(now);
        Ok(headers(window.limit - used - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_window_holds_and_the_buckets_are_apart() {
        let limits = RateLimits {
            public: vec![
                Window {
                    limit: 2,
                    seconds: 1,
                },
                Window {
                    limit: 3,
                    seconds: 60,
                },
            ],
            api: vec![Window {
                limit: 1,
                seconds: 1,
            }],
        };
        let mut l = Limiter::default();
        let t = Instant::now();
        let ip = || Bucket::Public("127.0.0.1".into());
        let first = l.admit(&limits, ip(), t).unwrap();
        assert!(first.contains(&("X-RateLimit-Remaining".into(), "1".into())));
        l.admit(&limits, ip(), t).unwrap();
        let refused = l.admit(&limits, ip(), t).unwrap_err();
        assert_eq!(refused.status, 429);
        assert!(
            refused
                .headers
                .iter()
                .any(|(n, v)| n == "Retry-After" && v == "1")
        );
        // A second later the per-second window is open, the per-minute one not for long.
        l.admit(&limits, ip(), t + Duration::from_secs(1)).unwrap();
        assert!(l.admit(&limits, ip(), t + Duration::from_secs(2)).is_err());
        assert!(l.admit(&limits, ip(), t + Duration::from_secs(61)).is_ok());
        // Another bucket counts for itself.
        l.admit(&limits, Bucket::Api("k".into()), t).unwrap();
        assert!(l.admit(&limits, Bucket::Api("k".into()), t).is_err());
        assert!(l.admit(&limits, Bucket::Api("j".into()), t).is_ok());
    }
}
