//! What a validation's answer is, from what the store knows, or whether Dodo must be asked:
//! pure functions of the records, the time and the settings.

use crate::store::{InstanceRecord, KeyRecord};

/// A validation's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The key works, and this machine holds the instance.
    Valid,
    /// The key is disabled, expired or revoked.
    Invalid,
    /// This machine holds no seat: the instance is gone, or bound to another machine.
    NotActivatedHere,
}

impl Verdict {
    /// The protocol's word.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::NotActivatedHere => "not_activated_here",
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Dodo, now.
    Upstream,
    /// The store, confirmed within the freshness window.
    Store,
    /// The store, older than the freshness window (Dodo could not be asked).
    Stale,
}

impl Source {
    /// The protocol's word.
    pub fn name(self) -> &'static str {
        match self {
            Source::Upstream => "upstream",
            Source::Store => "store",
            Source::Stale => "stale",
        }
    }
}

/// What a validation calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// This answer, with no call.
    Answer(Source, Verdict),
    /// Ask Dodo.
    Ask,
}

/// The settings of the decision, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// How long Dodo's confirmation answers with no call.
    pub freshness: i64,
    /// How old a confirmation may answer, stale, when Dodo cannot be asked.
    pub max_staleness: i64,
}

/// The verdict the store gives now, whatever the age of its records.
fn stored(now: i64, key: &KeyRecord, instance: &InstanceRecord) -> Verdict {
    match (key.revoked || !key.works(now), instance.valid) {
        (true, _) => Verdict::Invalid,
        (false, true) => Verdict::Valid,
        (false, false) => Verdict::NotActivatedHere,
    }
}

/// Whether the instance's confirmation counts: no webhook has changed the key since (in
/// the same second counts as since: times are whole seconds).
fn confirmed(key: &KeyRecord, instance: &InstanceRecord) -> bool {
    instance.confirmed_at > 0 && instance.confirmed_at > key.changed_at
}

/// What a validation of `instance` of `key` from the machine `fingerprint` calls for.
pub fn plan(
    now: i64,
    key: Option<&KeyRecord>,
    instance: Option<&InstanceRecord>,
    fingerprint: &str,
    windows: Windows,
) -> Plan {
    if let Some(bound) = instance.and_then(|i| i.machine.as_deref())
        && bound != fingerprint
    {
        return Plan::Answer(Source::Store, Verdict::NotActivatedHere);
    }
    let Some(key) = key else {
        return Plan::Ask;
    };
    // A revocation a webhook brought answers with no call for a freshness window; then
    // Dodo is asked again, so that a lost webhook undoing it cannot lock a customer out.
    if key.revoked && now - key.changed_at < windows.freshness {
        return Plan::Answer(Source::Store, Verdict::Invalid);
    }
    match instance {
        Some(i) if confirmed(key, i) && now - i.confirmed_at < windows.freshness => {
            Plan::Answer(Source::Store, stored(now, key, i))
        }
        _ => Plan::Ask,
    }
}

/// The answer when Dodo cannot be asked: the store's, marked stale, while its confirmation
/// is within the maximum staleness; else none.
pub fn fallback(
    now: i64,
    key: Option<&KeyRecord>,
    instance: Option<&InstanceRecord>,
    windows: Windows,
) -> Option<Verdict> {
    let (key, instance) = (key?, instance?);
    (confirmed(key, instance) && now - instance.confirmed_at < windows.max_staleness)
        .then(|| stored(now, key, instance))
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Windows = Windows {
        freshness: 900,
        max_staleness: 86_400,
    };
    const T: i64 = 1_800_000_000;

    fn key() -> KeyRecord {
        KeyRecord {
            key_hash: "h".into(),
            license_key_id: "lic_1".into(),
            status: Some("active".into()),
            ..KeyRecord::default()
        }
    }

    fn instance(confirmed_at: i64) -> InstanceRecord {
        InstanceRecord {
            instance_id: "lki_1".into(),
            key_hash: "h".into(),
            machine: Some("m".into()),
            valid: true,
            confirmed_at,
            ..InstanceRecord::default()
        }
    }

    #[test]
    fn fresh_confirmations_answer_from_the_store_and_stale_ones_ask() {
        let (k, i) = (key(), instance(T - 60));
        assert_eq!(
            plan(T, Some(&k), Some(&i), "m", W),
            Plan::Answer(Source::Store, Verdict::Valid)
        );
        let old = instance(T - 900);
        assert_eq!(plan(T, Some(&k), Some(&old), "m", W), Plan::Ask);
        assert_eq!(
            plan(T, None, Some(&i), "m", W),
            Plan::Ask,
            "an unknown key is asked"
        );
        assert_eq!(
            plan(T, Some(&k), None, "m", W),
            Plan::Ask,
            "an unknown instance too"
        );
    }

    #[test]
    fn another_machine_a_revocation_and_an_expiry_need_no_call() {
        let (k, i) = (key(), instance(T - 60));
        assert_eq!(
            plan(T, Some(&k), Some(&i), "other", W),
            Plan::Answer(Source::Store, Verdict::NotActivatedHere)
        );
        let mut revoked = key();
        revoked.revoked = true;
        revoked.changed_at = T - 899;
        assert_eq!(
            plan(T, Some(&revoked), Some(&instance(0)), "m", W),
            Plan::Answer(Source::Store, Verdict::Invalid)
        );
        revoked.changed_at = T - 900;
        assert_eq!(
            plan(T, Some(&revoked), Some(&instance(T - 1000)), "m", W),
            Plan::Ask,
            "a window after the revocation, Dodo is asked again"
        );
        assert_eq!(
            plan(T, Some(&revoked), Some(&instance(T - 60)), "m", W),
            Plan::Answer(Source::Store, Verdict::Invalid),
            "until it answers again, as Dodo last confirmed: still revoked"
        );
        assert_eq!(
            fallback(T, Some(&revoked), Some(&instance(T - 60)), W),
            Some(Verdict::Invalid),
            "when Dodo cannot be asked, the stale answer keeps the revocation"
        );
        let mut expired = key();
        expired.expires_at = Some(T - 1);
        assert_eq!(
            plan(T, Some(&expired), Some(&i), "m", W),
            Plan::Answer(Source::Store, Verdict::Invalid)
        );
        let mut unbound = instance(T - 60);
        unbound.machine = None;
        assert_eq!(
            plan(T, Some(&k), Some(&unbound), "any", W),
            Plan::Answer(Source::Store, Verdict::Valid)
        );
    }

    #[test]
    fn a_webhook_change_after_the_confirmation_asks_again() {
        let mut k = key();
        k.changed_at = T - 30;
        assert_eq!(
            plan(T, Some(&k), Some(&instance(T - 60)), "m", W),
            Plan::Ask
        );
        assert_eq!(fallback(T, Some(&k), Some(&instance(T - 60)), W), None);
    }

    #[test]
    fn the_fallback_is_the_store_within_the_maximum_staleness() {
        let k = key();
        assert_eq!(
            fallback(T, Some(&k), Some(&instance(T - 3600)), W),
            Some(Verdict::Valid)
        );
        assert_eq!(fallback(T, Some(&k), Some(&instance(T - 86_400)), W), None);
        let mut gone = instance(T - 60);
        gone.valid = false;
        assert_eq!(
            fallback(T, Some(&k), Some(&gone), W),
            Some(Verdict::NotActivatedHere)
        );
        assert_eq!(fallback(T, None, Some(&instance(T)), W), None);
    }
}
