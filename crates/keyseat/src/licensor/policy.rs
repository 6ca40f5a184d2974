//! The license policy, as pure functions of the cached record, the time and the settings:
//! what the record says ([`decide`], [`offline_state`]), and how each kind of answer from
//! the server changes it (`record_*`, [`fresh_record`]).

use crate::cache::CacheRecord;
use crate::fingerprint::Components;

use super::status::LicenseState;
use crate::clock::from_unix;

/// The time settings of the policy, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// A definite answer younger than this is used without asking again.
    pub revalidate_every: i64,
    /// How long after the last successful validation the license works offline.
    pub grace: i64,
    /// How far the clock may fall behind the latest time seen without it counting as a
    /// rollback (daylight saving, drift, NTP corrections).
    pub clock_tolerance: i64,
    /// After a failed attempt, how long to answer from the cache before trying again.
    pub retry_after_failure: i64,
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Answer this without the network.
    Answer(LicenseState),
    /// Ask the server.
    GoOnline,
}

/// The time the policy reasons with: the clock, but never earlier than the latest time seen,
/// so that turning the clock back cannot make a cache fresher or a grace period longer.
pub(crate) fn effective_now(record: &CacheRecord, now: i64) -> i64 {
    now.max(record.high_water)
}

/// Decides from the cache alone.
pub(crate) fn decide(record: &CacheRecord, now: i64, policy: &Policy) -> Decision {
    if now.saturating_add(policy.clock_tolerance) < record.high_water {
        return Decision::GoOnline;
    }
    let now = effective_now(record, now);
    if now.saturating_sub(record.last_answer) < policy.revalidate_every {
        return Decision::Answer(answered_state(record));
    }
    match record.last_failure {
        Some(failed) if now.saturating_sub(failed) < policy.retry_after_failure => {
            Decision::Answer(offline_state(record, now, policy))
        }
        _ => Decision::GoOnline,
    }
}

/// The state when the server cannot be asked (it failed, or the caller forbade it).
pub(crate) fn offline_state(record: &CacheRecord, now: i64, policy: &Policy) -> LicenseState {
    if now.saturating_add(policy.clock_tolerance) < record.high_water {
        return LicenseState::ClockRollback;
    }
    if record.revoked {
        return LicenseState::Revoked;
    }
    let now = effective_now(record, now);
    if now.saturating_sub(record.last_answer) < policy.revalidate_every {
        return LicenseState::Active;
    }
    let until = record.last_validated.saturating_add(policy.grace);
    if now < until {
        LicenseState::Grace {
            until: from_unix(until),
        }
    } else {
        LicenseState::GraceExpired
    }
}

/// The server said "valid" at `now`, on the machine whose fingerprint is `fingerprint`.
pub(crate) fn record_valid(record: &mut CacheRecord, now: i64, fingerprint: &Components) {
    record.last_validated = now;
    record.last_answer = now;
    record.last_failure = None;
    record.high_water = now;
    record.revoked = false;
    record.fingerprint = fingerprint.clone();
}

/// The server said the key or this activation is no longer valid, at `now`.
pub(crate) fn record_revoked(record: &mut CacheRecord, now: i64) {
    record.revoked = true;
    record.last_answer = now;
    record.last_failure = None;
    record.high_water = now;
}

/// The server could not be asked at `now`: remember when, so that checks answer from the
/// cache for a while, and never let the clock going back undo it.
pub(crate) fn record_failure(record: &mut CacheRecord, now: i64) {
    let seen = effective_now(record, now);
    record.last_failure = Some(seen);
    record.high_water = seen;
}

/// A record for an activation the server has just answered about at `now`.
pub(crate) fn fresh_record(
    instance_id: &str,
    fingerprint: &Components,
    now: i64,
    valid: bool,
) -> CacheRecord {
    CacheRecord {
        instance_id: instance_id.to_owned(),
        last_validated: now,
        last_answer: now,
        last_failure: None,
        high_water: now,
        revoked: !valid,
        fingerprint: fingerprint.clone(),
        provider: None,
        account: None,
        facts: None,
    }
}

/// The state of a record whose last answer is fresh.
fn answered_state(record: &CacheRecord) -> LicenseState {
    if record.revoked {
        LicenseState::Revoked
    } else {
        LicenseState::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::tests::record;

    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;

    fn policy() -> Policy {
        Policy {
            revalidate_every: DAY,
            grace: 14 * DAY,
            clock_tolerance: 2 * HOUR,
            retry_after_failure: 15 * 60,
        }
    }

    #[test]
    fn fresh_is_answered_from_cache() {
        let r = record();
        let t = r.last_answer;
        assert_eq!(
            decide(&r, t + HOUR, &policy()),
            Decision::Answer(LicenseState::Active)
        );
        assert_eq!(decide(&r, t + DAY, &policy()), Decision::GoOnline);
    }

    #[test]
    fn rolling_back_within_tolerance_is_fine_beyond_is_not() {
        let mut r = record();
        r.high_water = r.last_answer + 10 * HOUR;
        let now = r.high_water - HOUR; // an hour back: daylight saving
        assert_eq!(
            decide(&r, now, &policy()),
            Decision::Answer(LicenseState::Active)
        );
        let now = r.high_water - 3 * HOUR;
        assert_eq!(decide(&r, now, &policy()), Decision::GoOnline);
        assert_eq!(
            offline_state(&r, now, &policy()),
            LicenseState::ClockRollback
        );
    }

    #[test]
    fn rollback_cannot_extend_freshness() {
        let mut r = record();
        r.high_water = r.last_answer + 2 * DAY; // seen two days after the last answer
        // The clock now says one hour after the last answer, within tolerance of nothing:
        assert_eq!(
            decide(&r, r.last_answer + HOUR, &policy()),
            Decision::GoOnline
        );
    }

    #[test]
    fn grace_after_failure_then_expiry() {
        let mut r = record();
        let t = r.last_validated;
        r.last_failure = Some(t + 2 * DAY);
        r.high_water = t + 2 * DAY;
        let until = from_unix(t + 14 * DAY);
        assert_eq!(
            decide(&r, t + 2 * DAY + 60, &policy()),
            Decision::Answer(LicenseState::Grace { until })
        );
        assert_eq!(
            decide(&r, t + 2 * DAY + HOUR, &policy()),
            Decision::GoOnline
        );
        assert_eq!(
            offline_state(&r, t + 15 * DAY, &policy()),
            LicenseState::GraceExpired
        );
    }

    #[test]
    fn answers_change_the_record_as_documented() {
        let p = policy();
        let mut r = record();
        let t = r.last_answer;
        record_failure(&mut r, t + 2 * DAY);
        assert_eq!(
            (r.last_failure, r.high_water),
            (Some(t + 2 * DAY), t + 2 * DAY)
        );
        // A failure seen with the clock turned back is recorded at the latest time seen.
        record_failure(&mut r, t + DAY);
        assert_eq!(
            (r.last_failure, r.high_water),
            (Some(t + 2 * DAY), t + 2 * DAY)
        );
        let fp = r.fingerprint.clone();
        record_valid(&mut r, t + 3 * DAY, &fp);
        assert_eq!(
            (
                r.last_validated,
                r.last_answer,
                r.last_failure,
                r.high_water,
                r.revoked
            ),
            (t + 3 * DAY, t + 3 * DAY, None, t + 3 * DAY, false)
        );
        record_revoked(&mut r, t + 4 * DAY);
        assert_eq!(
            (
                r.last_validated,
                r.last_answer,
                r.last_failure,
                r.high_water,
                r.revoked
            ),
            (t + 3 * DAY, t + 4 * DAY, None, t + 4 * DAY, true)
        );
        assert_eq!(offline_state(&r, t + 4 * DAY, &p), LicenseState::Revoked);
        let fresh = fresh_record("lki_9", &fp, t, false);
        assert!(fresh.revoked && fresh.instance_id == "lki_9" && fresh.last_failure.is_none());
        assert_eq!((fresh.last_validated, fresh.high_water), (t, t));
        assert!(!fresh_record("lki_9", &fp, t, true).revoked);
    }

    #[test]
    fn every_boundary_is_exact() {
        let p = policy();
        let mut r = record();
        let t = r.last_answer;
        // The clock exactly the tolerance behind the latest time seen is not a rollback;
        // a second more is.
        r.high_water = t + 10 * HOUR;
        let edge = r.high_water - p.clock_tolerance;
        assert_eq!(decide(&r, edge, &p), Decision::Answer(LicenseState::Active));
        assert_eq!(decide(&r, edge - 1, &p), Decision::GoOnline);
        assert_eq!(offline_state(&r, edge, &p), LicenseState::Active);
        assert_eq!(offline_state(&r, edge - 1, &p), LicenseState::ClockRollback);

        // An answer exactly the revalidation interval old is stale, a second younger fresh.
        let r = record();
        assert_eq!(offline_state(&r, t + DAY - 1, &p), LicenseState::Active);
        assert!(matches!(
            offline_state(&r, t + DAY, &p),
            LicenseState::Grace { .. }
        ));
        assert_eq!(
            decide(&r, t + DAY - 1, &p),
            Decision::Answer(LicenseState::Active)
        );
        assert_eq!(decide(&r, t + DAY, &p), Decision::GoOnline);

        // A failure is waited out for exactly retry_after_failure.
        let mut r = record();
        r.last_failure = Some(t + 2 * DAY);
        r.high_water = t + 2 * DAY;
        let retry_at = t + 2 * DAY + p.retry_after_failure;
        assert!(matches!(
            decide(&r, retry_at - 1, &p),
            Decision::Answer(LicenseState::Grace { .. })
        ));
        assert_eq!(decide(&r, retry_at, &p), Decision::GoOnline);

        // Grace ends exactly at the last validation plus the grace period.
        let r = record();
        let until = t + p.grace;
        assert!(matches!(
            offline_state(&r, until - 1, &p),
            LicenseState::Grace { .. }
        ));
        assert_eq!(offline_state(&r, until, &p), LicenseState::GraceExpired);
    }

    #[test]
    fn revoked_stays_revoked_offline() {
        let mut r = record();
        r.revoked = true;
        assert_eq!(
            decide(&r, r.last_answer + 60, &policy()),
            Decision::Answer(LicenseState::Revoked)
        );
        assert_eq!(
            offline_state(&r, r.last_answer + 30 * DAY, &policy()),
            LicenseState::Revoked
        );
    }
}
