//! Clients' budgets: requests a minute per client IP and per license key, so that one client
//! in a loop cannot spend Dodo's budget, which every customer shares, for everyone. Over a
//! limit, the answer is an unsigned 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The limits of one replica.
pub struct ClientLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_key: Option<DefaultKeyedRateLimiter<String>>,
}

impl ClientLimits {
    /// `per_ip` and `per_key` requests a minute; 0 turns one off.
    pub fn new(per_ip: u32, per_key: u32) -> ClientLimits {
        let quota = |n: u32| NonZeroU32::new(n).map(Quota::per_minute);
        ClientLimits {
            per_ip: quota(per_ip).map(RateLimiter::keyed),
            per_key: quota(per_key).map(RateLimiter::keyed),
        }
    }

    /// Counts a request from `ip` about the key `key_hash` (when it names one); how long to
    /// wait when it is over a limit.
    pub fn admit(&self, ip: IpAddr, key_hash: Option<&str>) -> Result<(), Duration> {
        // The limiter's own clock: a new one costs a CPU probe, too much for every request.
        if let Some(limiter) = &self.per_ip
            && let Err(not_until) = limiter.check_key(&ip)
        {
            return Err(not_until.wait_time_from(limiter.clock().now()));
        }
        if let (Some(limiter), Some(key)) = (&self.per_key, key_hash)
            && let Err(not_until) = limiter.check_key(&key.to_owned())
        {
            return Err(not_until.wait_time_from(limiter.clock().now()));
        }
        Ok(())
    }

    /// Forgets clients idle long enough to be back at a full budget (memory stays bounded).
    pub fn tidy(&self) {
        if let Some(l) = &self.per_ip {
            l.retain_recent();
        }
        if let Some(l) = &self.per_key {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ip_and_per_key_each_hold_and_zero_is_off() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        let l = ClientLimits::new(3, 2);
        assert!(l.admit(ip, Some("k")).is_ok());
        assert!(l.admit(ip, Some("k")).is_ok());
        let wait = l.admit(other, Some("k")).unwrap_err();
        assert!(
            wait > Duration::from_secs(1),
            "the key's budget is spent: {wait:?}"
        );
        assert!(l.admit(ip, Some("j")).is_ok());
        assert!(l.admit(ip, None).is_err(), "the IP's budget is spent");
        let off = ClientLimits::new(0, 0);
        for _ in 0..1000 {
            assert!(off.admit(ip, Some("k")).is_ok());
        }
        l.tidy();
    }
}
