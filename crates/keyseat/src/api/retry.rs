//! When to try a request again, and how long to wait first.
//!
//! The schedule follows Dodo's official SDKs (0.5 s × 2^n, capped at 8 s, minus up to 25 %
//! jitter, `Retry-After-Ms`/`Retry-After` honoured, `x-should-retry` overriding the
//! decision), with two deliberate differences: activation is only retried when the request
//! certainly did not reach the server (see [`super::client`]), and a server wait longer than
//! 8 s is not sat through (the SDKs wait up to 60 s) but ends the call, with every request
//! held back until the wait is over. A desktop app's license check must not stall for a
//! minute behind Polar's 60-second rate-limit block; its offline grace covers the gap.

use std::time::Duration;

use ureq::http::HeaderMap;

/// How many times, and how far apart, `validate` and `deactivate` are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// Wait before the first retry (default 500 ms); doubled for each further retry.
    pub base_delay: Duration,
    /// Longest computed wait (default 8 s).
    pub max_delay: Duration,
    /// Longest server-requested wait sat through before a retry (default 8 s). After a 429
    /// asking for longer, the call fails at once, and no request of the client is sent
    /// before the wait is over (each fails at once as rate limited), so that a server that
    /// asked for a pause never gets a burst.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (0 for the first retry): the server's request
    /// when it sent a usable one, else the exponential schedule with jitter.
    pub(crate) fn delay(&self, retry: u32, headers: Option<&HeaderMap>) -> Duration {
        if let Some(asked) = headers
            .and_then(retry_after)
            .filter(|asked| *asked <= self.max_retry_after)
        {
            return asked;
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(16)));
        let capped = exp.min(self.max_delay);
        // Up to 25 % less, so that many clients do not retry in lock step.
        let jitter = (random_unit() * 0.25 * capped.as_secs_f64()).max(0.0);
        capped.saturating_sub(Duration::from_secs_f64(jitter))
    }
}

/// The server's `x-should-retry` decision, when it sent one.
pub(crate) fn should_retry_header(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The wait a server asked for with `Retry-After-Ms` (milliseconds) or `Retry-After`
/// (seconds, or an HTTP date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = when.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// A number in [0, 1) from the OS random source (0.5 if it is unavailable).
fn random_unit() -> f64 {
    getrandom::u32().map_or(0.5, |r| f64::from(r) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn schedule_doubles_with_bounded_jitter_and_cap() {
        let p = RetryPolicy::default();
        for _ in 0..50 {
            let d0 = p.delay(0, None);
            assert!(d0 <= Duration::from_millis(500) && d0 >= Duration::from_millis(375));
            let d1 = p.delay(1, None);
            assert!(d1 <= Duration::from_secs(1) && d1 >= Duration::from_millis(750));
            let d9 = p.delay(9, None);
            assert!(d9 <= Duration::from_secs(8) && d9 >= Duration::from_secs(6));
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        let past = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
    }

    #[test]
    fn jitter_varies_and_never_retries_means_none() {
        // With real randomness, 64 equal delays would mean no jitter at all.
        let p = RetryPolicy::default();
        let delays: std::collections::BTreeSet<Duration> =
            (0..64).map(|_| p.delay(0, None)).collect();
        assert!(delays.len() > 1, "no jitter: {delays:?}");
        assert!(
            delays.iter().any(|d| *d < Duration::from_millis(495)),
            "jitter that never takes anything off: {delays:?}"
        );
        assert_eq!(RetryPolicy::never().max_retries, 0);
        assert_eq!(RetryPolicy::never().base_delay, p.base_delay);
    }

    #[test]
    fn negative_or_infinite_waits_are_ignored() {
        for bad in ["-5", "inf", "NaN", "-0.5"] {
            let h = headers(&[("retry-after-ms", bad), ("retry-after", bad)]);
            assert_eq!(retry_after(&h), None, "{bad}");
        }
        // An unusable Retry-After-Ms gives way to a usable Retry-After.
        let h = headers(&[("retry-after-ms", "-5"), ("retry-after", "2")]);
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
    }

    #[test]
    fn long_retry_after_is_ignored() {
        let p = RetryPolicy::default();
        let d = p.delay(0, Some(&headers(&[("retry-after", "3600")])));
        assert!(d <= Duration::from_millis(500));
        let d = p.delay(0, Some(&headers(&[("retry-after", "2")])));
        assert_eq!(d, Duration::from_secs(2));
    }

    #[test]
    fn should_retry_header_values() {
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "true")])),
            Some(true)
        );
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "false")])),
            Some(false)
        );
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "maybe")])),
            None
        );
        assert_eq!(should_retry_header(&HeaderMap::new()), None);
    }
}
