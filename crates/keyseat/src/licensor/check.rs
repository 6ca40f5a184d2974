//! The path of a check: snapshot, decide, and, for work, lock and act (see the module docs
//! of [`super`]).

use std::sync::Arc;

use crate::cache::{self, CacheProblem, CacheRecord, Loaded};
use crate::credentials::{Credentials, Damage, Opened};
use crate::error::{Error, ErrorKind};
use crate::facts::KeyFacts;
use crate::fingerprint::Match;

use super::answer::{legacy_agrees, mismatch, still_seatless};
use super::binding::Origin;
use super::lock::LockGuard;
use super::policy::{self, Decision, Policy, decide, offline_state};
use super::status::{LicenseState, LicenseStatus};
use super::{Licensor, cache_origin, is_gone};

/// How a check may use the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Net {
    /// As the policy says.
    Allowed,
    /// Never.
    Forbidden,
    /// Treat answers older than this many seconds as stale.
    Refresh(i64),
}

/// What is on disk for the app, read without the lock.
enum Look {
    /// No stored activation.
    Nothing,
    /// Stored credentials this app did not write (or wrote with another vendor secret).
    Damaged(Damage, Option<Arc<Credentials>>),
    /// A stored activation.
    Activation(Box<Snapshot>),
}

/// A stored activation as read.
struct Snapshot {
    creds: Arc<Credentials>,
    /// Sealed by this app; false for credentials of an earlier release.
    sealed: bool,
    /// The verified cache of the activation `creds` hold, or why there is none.
    cache: Result<Loaded, CacheProblem>,
    /// This machine against the recorded fingerprint (the cache's, else the credentials').
    matched: Match,
}

/// What a snapshot calls for.
enum Step {
    /// The answer, with no write and no network.
    Answer(LicenseState),
    /// Work that needs the lock.
    Act(Action),
}

/// Work done under the lock.
enum Action {
    /// Ask the server, then record its answer in this record.
    Validate(Box<CacheRecord>),
    /// The cache is unusable: set it aside and rebuild it from the credentials online.
    Rebuild(CacheProblem),
    /// The cache is of an older format: rewrite this record as it is, giving this state.
    Migrate(Box<CacheRecord>, LicenseState),
    /// The credentials of an earlier release agree with the genuine cache: seal them (and
    /// confirm a seatless key online).
    Seal,
    /// An offline activation's clock has moved on: record the latest time seen (the
    /// rollback guard), giving this state.
    Advance(Box<CacheRecord>, LicenseState),
}

/// What the server said about a stored activation.
enum Heard {
    /// A state to record, and what the answer said of the key, when it said anything.
    State(LicenseState, Option<KeyFacts>),
    /// This machine holds no seat of the key any more (released here or elsewhere, or a
    /// seatless key that now has a limit): not a revocation.
    Released,
    /// The answer is about another key, store, product or activation than the one stored.
    Mismatch(String),
}

impl Licensor {
    /// Steps 1 and 2 without the lock; 3 and 4 under it when there is work to do.
    pub(super) fn evaluate(&self, net: Net) -> Result<LicenseStatus, Error> {
        match self.look(false)? {
            Look::Nothing => self.unactivated(None),
            Look::Damaged(damage, claimed) => self.damaged(damage, claimed.as_deref()),
            Look::Activation(snap) => match self.decide(&snap, net)? {
                Step::Answer(state) => Ok(self.snapshot_status(&snap, state)),
                Step::Act(_) => {
                    let lock = self.lock()?;
                    self.evaluate_locked(&lock, net)
                }
            },
        }
    }

    /// Steps 1 to 4 with the lock held: a fresh snapshot, a decision, and the action.
    pub(super) fn evaluate_locked(
        &self,
        lock: &LockGuard,
        net: Net,
    ) -> Result<LicenseStatus, Error> {
        match self.look(true)? {
            Look::Nothing => self.unactivated(Some(lock)),
            Look::Damaged(damage, claimed) => self.damaged(damage, claimed.as_deref()),
            Look::Activation(snap) => match self.decide(&snap, net)? {
                Step::Answer(state) => Ok(self.snapshot_status(&snap, state)),
                Step::Act(action) => self.act(lock, &snap, action, net),
            },
        }
    }

    /// Step 1: the credentials, the verified cache of their activation, and the one
    /// fingerprint comparison. `reload` reads the credentials from the store again.
    fn look(&self, reload: bool) -> Result<Look, Error> {
        let (creds, sealed) = match self.inner.store.current(reload)? {
            None => return Ok(Look::Nothing),
            Some(Opened::Damaged(damage, claimed)) => return Ok(Look::Damaged(damage, claimed)),
            Some(Opened::Sealed(creds)) => (creds, true),
            Some(Opened::Legacy(creds)) => (creds, false),
        };
        let inner = &self.inner;
        let cache = inner
            .memo
            .load(&inner.cache_path, &creds, |path| {
                cache::load(path, &inner.vendor_secret, &creds.key)
            })?
            .and_then(|loaded| {
                let record = &loaded.record;
                if record.instance_id == creds.instance_id.as_str()
                    && (record.provider.as_deref(), record.account.as_deref())
                        == cache_origin(&creds)
                {
                    Ok(loaded)
                } else {
                    Err(CacheProblem::OtherInstance)
                }
            });
        let recorded = match &cache {
            Ok(loaded) => &loaded.record.fingerprint,
            Err(_) => &creds.fingerprint,
        };
        let matched = inner.fingerprint.matches(recorded);
        Ok(Look::Activation(Box::new(Snapshot {
            creds,
            sealed,
            cache,
            matched,
        })))
    }

    /// Credentials that fail their seal: `Tampered`, never a license, and left where they
    /// are. A tool of the app, or a program without a vendor secret of its own, is told
    /// instead that they name another secret, when nothing here was written with its own
    /// ([`super::LicensorBuilder::report_other_vendor_secret`]): an app never takes a file
    /// that fails its MAC for anything but tampering, so that a file planted with a made-up
    /// id cannot turn its check into an error.
    fn damaged(
        &self,
        damage: Damage,
        claimed: Option<&Credentials>,
    ) -> Result<LicenseStatus, Error> {
        if damage == Damage::OtherSecret
            && self.inner.report_other_secret
            && !self.secret_is_ours(claimed)?
        {
            return Err(ErrorKind::VendorSecretMismatch {
                path: self.inner.store.file().to_owned(),
            }
            .into());
        }
        log::warn!("the stored credentials fail their check ({damage:?}): tampered");
        let mut status = self.bare(LicenseState::Tampered);
        status.key_storage = self.inner.store.kind();
        Ok(status)
    }

    /// Whether anything on this machine verifies under this program's vendor secret: the
    /// cache of the key the credentials claim, or a copy of the trial.
    fn secret_is_ours(&self, claimed: Option<&Credentials>) -> Result<bool, Error> {
        let inner = &self.inner;
        if let Some(creds) = claimed
            && cache::load(&inner.cache_path, &inner.vendor_secret, &creds.key)?.is_ok()
        {
            return Ok(true);
        }
        self.trial_copies().any_genuine()
    }

    /// Step 2: the answer a snapshot gives, or the work it needs.
    fn decide(&self, snap: &Snapshot, net: Net) -> Result<Step, Error> {
        let creds = &snap.creds;
        if let Some(product) = self.inner.binding.mismatch(&Origin::of(creds)) {
            log::warn!(
                "the stored activation is of product {product}, which this app does not accept"
            );
            return Ok(Step::Answer(LicenseState::WrongProduct));
        }
        if !snap.matched.is_same_machine() {
            log::warn!(
                "the license data belongs to another machine ({:?})",
                snap.matched.changed
            );
            return Ok(Step::Answer(LicenseState::FingerprintMismatch));
        }
        if !creds.holds_seat && !self.inner.binding.provider.licenses_without_seats() {
            log::warn!(
                "the stored activation holds no seat, which keys of {} never do: tampered",
                creds.provider_name()
            );
            return Ok(Step::Answer(LicenseState::Tampered));
        }
        if let Some(until) = creds.offline_until {
            return Ok(self.decide_offline(snap, until));
        }
        let loaded = match &snap.cache {
            Ok(loaded) => loaded,
            // Sealed credentials prove this program's secret: a cache that names another is
            // planted, and rebuilt like any unusable cache. Beside earlier releases'
            // credentials, it is reported only as `damaged` says.
            Err(CacheProblem::SecretMismatch) if !snap.sealed && self.inner.report_other_secret => {
                return Err(ErrorKind::VendorSecretMismatch {
                    path: self.inner.cache_path.clone(),
                }
                .into());
            }
            Err(problem) if !snap.sealed => {
                log::warn!(
                    "the stored activation was written by an earlier release and its cache \
                     cannot vouch for it ({problem:?}): activate the key again"
                );
                return Ok(Step::Answer(LicenseState::Unverified));
            }
            Err(problem) => return Ok(Step::Act(Action::Rebuild(problem.clone()))),
        };
        if !snap.sealed {
            // A seat dropped is believed only on the provider's word, which the cache does
            // not keep: seatless credentials are confirmed online as they are sealed.
            if legacy_agrees(creds, loaded) && (creds.holds_seat || net != Net::Forbidden) {
                return Ok(Step::Act(Action::Seal));
            }
            log::warn!(
                "the stored activation of an earlier release disagrees with its cache: \
                 activate the key again"
            );
            return Ok(Step::Answer(LicenseState::Unverified));
        }
        let policy = self.policy_for(net);
        let now = self.now();
        let state = match (decide(&loaded.record, now, &policy), net) {
            (Decision::Answer(state), _) => state,
            (Decision::GoOnline, Net::Forbidden) => offline_state(&loaded.record, now, &policy),
            (Decision::GoOnline, _) => {
                return Ok(Step::Act(Action::Validate(Box::new(loaded.record.clone()))));
            }
        };
        Ok(if loaded.legacy.is_some() {
            Step::Act(Action::Migrate(Box::new(loaded.record.clone()), state))
        } else {
            Step::Answer(state)
        })
    }

    /// Step 2 for an activation by machine file, which never goes online: licensed until
    /// `until` by the clock, which may not fall behind the latest time seen; with no
    /// genuine cache (the guard of that time), not licensed until the file is loaded again.
    fn decide_offline(&self, snap: &Snapshot, until: i64) -> Step {
        let Ok(loaded) = &snap.cache else {
            log::warn!(
                "the offline activation's cache is missing or damaged: load the machine file again"
            );
            return Step::Answer(LicenseState::Tampered);
        };
        let record = &loaded.record;
        let now = self.now();
        if now.saturating_add(self.inner.policy.clock_tolerance) < record.high_water {
            return Step::Answer(LicenseState::ClockRollback);
        }
        let state = if now.max(record.high_water) < until {
            LicenseState::Active
        } else {
            LicenseState::GraceExpired
        };
        // The latest time seen moves on at most every hour: a check stays a read.
        if now >= record.high_water.saturating_add(3600) {
            let mut advanced = record.clone();
            advanced.high_water = now;
            return Step::Act(Action::Advance(Box::new(advanced), state));
        }
        Step::Answer(state)
    }

    /// Step 4, under the lock: do the work and record the outcome.
    fn act(
        &self,
        lock: &LockGuard,
        snap: &Snapshot,
        action: Action,
        net: Net,
    ) -> Result<LicenseStatus, Error> {
        let (creds, matched) = (&snap.creds, &snap.matched);
        let (record, state, network_used) = match action {
            Action::Seal => {
                log::info!("sealing the credentials an earlier release wrote");
                self.inner.store.save(creds)?;
                let net = if creds.holds_seat {
                    net
                } else {
                    Net::Refresh(0)
                };
                return self.evaluate_locked(lock, net);
            }
            Action::Migrate(record, state) => {
                log::info!("rewriting the license cache in the current format");
                (*record, state, false)
            }
            Action::Advance(record, state) => (*record, state, false),
            Action::Validate(mut record) => {
                match self.validate_into(creds, &mut record, &self.policy_for(net)) {
                    Heard::State(state, _) => (*record, state, true),
                    Heard::Released => return self.forget_released(creds),
                    Heard::Mismatch(why) => return self.forget_mismatched(creds, &why),
                }
            }
            Action::Rebuild(problem) => return self.rebuild(creds, problem, net, matched),
        };
        self.record(creds, &record)?;
        Ok(self.status(creds, Some(&record), state, network_used, matched))
    }

    /// Asks the server about `creds`: what it said, checked against what was asked.
    fn hear(&self, creds: &Credentials) -> Result<Heard, Error> {
        // This machine's fingerprint, not the one recorded: a seat bound to a machine
        // (Keygen's) is this machine's or none.
        let machine = self.inner.fingerprint.id();
        let answer =
            self.inner
                .client
                .validate_machine(&creds.key, creds.seat(), Some(&machine))?;
        if answer.not_activated_here {
            log::warn!("the server says this machine no longer holds a seat of the key");
            return Ok(Heard::Released);
        }
        if let Some(why) = mismatch(&self.inner.binding, creds, &answer) {
            return Ok(Heard::Mismatch(why));
        }
        if !creds.holds_seat && !still_seatless(&answer) {
            log::warn!("the key now has an activation limit: it must be activated on this machine");
            return Ok(Heard::Released);
        }
        let facts = answer.license.as_ref().and_then(KeyFacts::of);
        Ok(Heard::State(
            if answer.valid {
                LicenseState::Active
            } else {
                log::warn!("license revoked: the server says it is not valid");
                LicenseState::Revoked
            },
            facts,
        ))
    }

    /// Asks the server about `creds` and updates `record` with the answer.
    fn validate_into(
        &self,
        creds: &Credentials,
        record: &mut CacheRecord,
        policy: &Policy,
    ) -> Heard {
        let now = self.now();
        match self.hear(creds) {
            Ok(Heard::State(LicenseState::Active, facts)) => {
                policy::record_valid(record, now, self.inner.fingerprint.components());
                record.facts = facts.or(record.facts.take());
                Heard::State(LicenseState::Active, None)
            }
            Ok(Heard::State(state, facts)) => {
                policy::record_revoked(record, now);
                record.facts = facts.or(record.facts.take());
                Heard::State(state, None)
            }
            Ok(other) => other,
            Err(e) if is_gone(&e) => {
                log::warn!("license revoked: {e}");
                policy::record_revoked(record, now);
                Heard::State(LicenseState::Revoked, None)
            }
            Err(e) => {
                log::warn!("could not revalidate the license: {e}");
                policy::record_failure(record, now);
                Heard::State(offline_state(record, now, policy), None)
            }
        }
    }

    /// The cache is missing, unreadable or fails its MAC, and a fresh look under the lock
    /// confirmed it: keep the file aside and rebuild it from the credentials with one
    /// online validation, when allowed and possible.
    fn rebuild(
        &self,
        creds: &Credentials,
        problem: CacheProblem,
        net: Net,
        matched: &Match,
    ) -> Result<LicenseStatus, Error> {
        log::debug!("license cache unusable: {problem:?}");
        let tampered = |network| self.status(creds, None, LicenseState::Tampered, network, matched);
        if net == Net::Forbidden {
            return Ok(tampered(false));
        }
        if problem == CacheProblem::Missing {
            log::warn!("the license cache is missing; rebuilding it online");
        } else {
            let aside = cache::set_aside(&self.inner.cache_path, self.now())?;
            log::warn!(
                "the license cache was unusable ({problem:?}); kept as {}",
                aside.display()
            );
        }
        let (valid, facts) = match self.hear(creds) {
            Ok(Heard::State(state, facts)) => (state == LicenseState::Active, facts),
            Ok(Heard::Released) => return self.forget_released(creds),
            Ok(Heard::Mismatch(why)) => return self.forget_mismatched(creds, &why),
            Err(e) if is_gone(&e) => (false, None),
            Err(e) => {
                log::warn!("could not rebuild the license cache: {e}");
                return Ok(tampered(true));
            }
        };
        let mut record = self.fresh_record(creds, valid);
        record.facts = facts;
        self.record(creds, &record)?;
        let state = if valid {
            LicenseState::Active
        } else {
            LicenseState::Revoked
        };
        let mut status = self.status(creds, Some(&record), state, true, matched);
        status.recovered = true;
        Ok(status)
    }

    /// The server says this machine holds no seat of the key any more (released here or
    /// elsewhere; Keygen's `NO_MACHINE`): not a revocation. The local activation, which
    /// names a seat that no longer exists, is removed, and the key may be activated again.
    fn forget_released(&self, creds: &Credentials) -> Result<LicenseStatus, Error> {
        log::warn!(
            "activation {} was released on the server: removing it here",
            creds.instance_id
        );
        self.forget_activation()?;
        let mut status = self.bare(LicenseState::NotActivated);
        status.network_used = true;
        Ok(status)
    }

    /// The server's answer is about another key, store, product or activation than the one
    /// stored: as a key of another product at activation, the activation is released and
    /// nothing of it is kept. `WrongProduct`, never licensed.
    fn forget_mismatched(&self, creds: &Credentials, why: &str) -> Result<LicenseStatus, Error> {
        log::warn!(
            "{why}: activation {} is not the app's; releasing and forgetting it",
            creds.instance_id
        );
        let _ = self.release(creds);
        self.forget_activation()?;
        let mut status = self.bare(LicenseState::WrongProduct);
        status.network_used = true;
        Ok(status)
    }

    /// A record of a definite answer about `creds`, given now.
    pub(super) fn fresh_record(&self, creds: &Credentials, valid: bool) -> CacheRecord {
        let mut record = policy::fresh_record(
            creds.instance_id.as_str(),
            &creds.fingerprint,
            self.now(),
            valid,
        );
        let (provider, account) = cache_origin(creds);
        record.provider = provider.map(str::to_owned);
        record.account = account.map(str::to_owned);
        record
    }

    /// Writes the cache record of `creds`.
    pub(super) fn record(&self, creds: &Credentials, record: &CacheRecord) -> Result<(), Error> {
        let inner = &self.inner;
        cache::store(&inner.cache_path, record, &inner.vendor_secret, &creds.key)
    }

    /// The policy, with the freshness a refresh asks for.
    pub(super) fn policy_for(&self, net: Net) -> Policy {
        let mut p = self.inner.policy;
        if let Net::Refresh(max_age) = net {
            p.revalidate_every = p.revalidate_every.min(max_age);
            p.retry_after_failure = p.retry_after_failure.min(max_age);
        }
        p
    }

    /// The status of a snapshot answered without acting.
    fn snapshot_status(&self, snap: &Snapshot, state: LicenseState) -> LicenseStatus {
        let record = snap.cache.as_ref().ok().map(|l| &l.record);
        self.status(&snap.creds, record, state, false, &snap.matched)
    }
}
