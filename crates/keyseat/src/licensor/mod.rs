//! The Licensor: what a desktop app calls at every start.
//!
//! ```no_run
//! use keyseat::licensor::{App, Licensor};
//!
//! let licensor = Licensor::builder(App::new("com", "Example", "PhotoTool"))
//!     .product_ids(["pdt_0NVbT1bXE1XGeYJb2ZVx8"])
//!     .vendor_secret(*b"a secret compiled into the app")
//!     .build()?;
//! if licensor.check()?.state == keyseat::LicenseState::NotActivated {
//!     licensor.activate("2b1f8e2d-c41e-4e8f-b2d3-d9fd61c38f43")?;
//! }
//! let status = licensor.check()?; // microseconds when the cache is fresh
//! assert!(status.is_licensed());
//! # Ok::<(), keyseat::Error>(())
//! ```
//!
//! ## Policy
//! - A stored activation of a product the app does not accept is `WrongProduct`, whatever
//!   else is true.
//! - A definite answer from the server younger than the revalidation interval (by the clock
//!   and by the latest time ever seen) is used from disk, with no network.
//! - Older: ask the server. Valid → refresh. Invalid, or the key inactive → `Revoked`,
//!   recorded, so going offline cannot bring the license back. No answer → `Grace` until the
//!   last success plus the grace period, then `GraceExpired`.
//! - The clock going back beyond the tolerance → `ClockRollback`, until a successful online
//!   validation.
//!
//! ## The path of a check, in the order the code runs
//! 1. **Snapshot** ([`Licensor::snapshot`]): the credentials (remembered in memory), the
//!    cache file verified against them, and the one comparison of this machine's
//!    fingerprint with the recorded one. No lock: cache writes are atomic renames.
//! 2. **Decide** ([`Licensor::decide`]): the pure policy turns the snapshot into an answer,
//!    or into an [`Action`] that needs the network or a write.
//! 3. Only for an action: take the cross-process **lock**, read a fresh snapshot and decide
//!    again, since another process may have done the work while this one waited.
//! 4. **Act** ([`Licensor::act`]), holding the lock (the [`LockGuard`] is passed by reference
//!    as proof): validate online, rebuild an unusable cache, or rewrite an old-format one,
//!    and **record** the outcome in the cache.
//!
//! `activate` and `deactivate` take the lock first and run steps 1 to 4 under it.

mod binding;
mod builder;
mod lock;
mod memo;
mod policy;
mod status;
mod trial;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use builder::{App, LicensorBuilder};
pub use lock::LOCK_FILE;
pub use status::{Deactivation, LicenseState, LicenseStatus};
pub use watch::WatchHandle;

use crate::api::Client;
use crate::cache::{self, CacheProblem, CacheRecord, Loaded};
use crate::clock::{Clock, unix};
use crate::error::{Error, ErrorKind};
use crate::fingerprint::{Fingerprint, Match};
use crate::key::LicenseKey;
use crate::storage::{CredentialStore, Credentials, StorageKind};
use binding::{Binding, Origin};
use lock::{DirLock, LockGuard};
use policy::{Decision, Policy, decide, offline_state};

/// Checks, activates and deactivates the license of one application on this machine.
///
/// Cheap to clone (clones share everything), `Send` and `Sync`.
#[derive(Clone)]
pub struct Licensor {
    inner: Arc<Inner>,
}

struct Inner {
    app_id: String,
    /// Which keys license the app.
    binding: Binding,
    data_dir: PathBuf,
    cache_path: PathBuf,
    trial_path: PathBuf,
    /// Whether the app has a local trial.
    trial: trial::TrialSetting,
    /// Whether instance names start with the host name.
    include_host: bool,
    /// The last verified cache, by the file's identity.
    memo: memo::CacheMemo,
    lock: DirLock,
    client: Client,
    policy: Policy,
    vendor_secret: zeroize::Zeroizing<Vec<u8>>,
    store: CredentialStore,
    clock: Arc<dyn Clock>,
    fingerprint: Fingerprint,
}

impl std::fmt::Debug for Licensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Licensor")
            .field("app", &self.inner.app_id)
            .field("provider", &self.inner.binding.provider)
            .field("data_dir", &self.inner.data_dir)
            .field("server", &self.inner.client.base_url())
            .finish_non_exhaustive()
    }
}

/// How a check may use the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    /// As the policy says.
    Allowed,
    /// Never.
    Forbidden,
    /// Treat answers older than this many seconds as stale.
    Refresh(i64),
}

/// What is on disk for the app, read without the lock.
struct Snapshot {
    creds: Arc<Credentials>,
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
}

impl Licensor {
    /// Starts a [`LicensorBuilder`] for `app`.
    pub fn builder(app: App) -> LicensorBuilder {
        LicensorBuilder::new(app)
    }

    /// The license state, from the cache when it is fresh, else from the server (see the
    /// module docs for the policy).
    ///
    /// # Errors
    /// When local storage fails (the data directory or credential store cannot be read),
    /// and [`ErrorKind::VendorSecretMismatch`] when the cache was written with another vendor
    /// secret. Network trouble is a state (`Grace`, `GraceExpired`), not an error.
    pub fn check(&self) -> Result<LicenseStatus, Error> {
        self.evaluate(Net::Allowed)
    }

    /// The license state without touching the network: a stale cache gives `Grace` or
    /// `GraceExpired` as if the server were unreachable (nothing is recorded).
    ///
    /// # Errors
    /// As [`Licensor::check`].
    pub fn check_offline(&self) -> Result<LicenseStatus, Error> {
        self.evaluate(Net::Forbidden)
    }

    /// Asks the server now, whatever the age of the cache (unless another process of the
    /// app has just done so).
    ///
    /// # Errors
    /// As [`Licensor::check`].
    pub fn revalidate(&self) -> Result<LicenseStatus, Error> {
        self.evaluate(Net::Refresh(0))
    }

    /// Activates `key` on this machine: fingerprint, instance name, API call, product check,
    /// credentials, cache. If this machine already holds a working activation of the same
    /// key, that one is returned and no slot is spent.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a malformed key; [`ErrorKind::AlreadyActivated`] when a
    /// different key is working here; [`ErrorKind::WrongProduct`] for a key of a product the
    /// app does not accept (its activation released again); the API's errors, including
    /// [`ErrorKind::AmbiguousActivation`]; storage errors (after which the new activation is
    /// released again on the server, so no slot is lost).
    pub fn activate(&self, key: &str) -> Result<LicenseStatus, Error> {
        let key = LicenseKey::new(key)?;
        let lock = self.lock()?;
        if let Some(existing) = self.inner.store.current(true)? {
            let status = self.evaluate_locked(&lock, Net::Allowed)?;
            if status.is_licensed() {
                if existing.key == key {
                    log::info!("key {key} is already active on this machine; no slot spent");
                    return Ok(status);
                }
                return Err(ErrorKind::AlreadyActivated {
                    active_key: existing.key.redacted(),
                }
                .into());
            }
            log::info!(
                "replacing the activation of {} (state {})",
                existing.key,
                status.state.name()
            );
        }
        let inner = &self.inner;
        let name = inner.fingerprint.instance_name(inner.include_host);
        let machine = inner.fingerprint.components().machine_id.to_hex();
        let activation = match inner.client.activate_machine(&key, &name, Some(&machine)) {
            Ok(activation) => activation,
            Err(e) => return Err(self.activation_failed(e, &name)),
        };
        let license = activation.license;
        let creds = Credentials {
            activated_at: activation.created_at,
            key,
            instance_id: activation.id,
            instance_name: Some(activation.name),
            license_key_id: license.license_key_id,
            product_id: license.product_id,
            product_name: license.product_name,
            customer_email: license.customer_email,
            fingerprint: inner.fingerprint.components().clone(),
            provider: Some(inner.binding.provider.name().to_owned()),
            account_id: license.account_id,
            variant_id: license.variant_id,
            holds_seat: activation.holds_seat,
            expires_at: license.expires_at,
            activation_limit: license.activation_limit,
            test_mode: license.test_mode,
        };
        if let Some(product) = inner.binding.mismatch(&Origin::of(&creds)) {
            log::warn!(
                "the key is of product {product}, which this app does not accept; releasing \
                 activation {}",
                creds.instance_id
            );
            let release_failed = self.release(&creds);
            return Err(ErrorKind::WrongProduct {
                product_id: product,
                release_failed,
            }
            .into());
        }
        if let Err(e) = inner.store.save(&creds) {
            log::error!("activation {} could not be stored: {e}", creds.instance_id);
            let _ = self.release(&creds);
            return Err(e);
        }
        if let Err(e) = crate::pending::forget(&self.pending_path()) {
            log::warn!("could not forget the activation whose answer was lost: {e}");
        }
        let record = self.fresh_record(&creds, true);
        if let Err(e) = self.record(&creds, &record) {
            // The credentials are safe; the next check rebuilds the cache online.
            log::error!("activated, but the cache could not be written: {e}");
        }
        let matched = inner.fingerprint.matches(&record.fingerprint);
        Ok(self.status(&creds, Some(&record), LicenseState::Active, true, &matched))
    }

    /// What a failed activation leaves behind. When the answer was lost, the name sent is
    /// remembered (the server may hold that instance); when the limit is reached, an
    /// activation remembered so is named in the error, as the seat it may hold.
    fn activation_failed(&self, e: Error, name: &str) -> Error {
        let path = self.pending_path();
        if matches!(e.kind(), ErrorKind::AmbiguousActivation(_)) {
            if let Err(why) = crate::pending::remember(&path, name, self.now()) {
                log::warn!("could not remember the activation whose answer was lost: {why}");
            }
            return e;
        }
        if e.code() == crate::ErrorCode::LimitReached
            && let Some(pending) = crate::pending::recall(&path, self.now())
        {
            return e.with_note(pending.limit_hint());
        }
        e
    }

    /// Frees the activation slot held by instance `instance_id` of `key`, on any machine:
    /// the customer's old laptop, say, noted from its `licensectl status` or the vendor's
    /// dashboard. When it is this machine's own activation, the local credentials and cache
    /// are removed too, as [`Licensor::deactivate`] does.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a malformed key or instance id; the API's errors
    /// (the server could not be reached: nothing changed).
    pub fn release_instance(&self, key: &str, instance_id: &str) -> Result<Deactivation, Error> {
        let key = LicenseKey::new(key)?;
        let instance = crate::key::InstanceId::new(instance_id.trim())?;
        let _lock = self.lock()?;
        let outcome = match self.inner.client.deactivate(&key, &instance) {
            Ok(()) => Deactivation::SlotFreed,
            Err(e) if is_gone(&e) => {
                log::info!("the server no longer knows instance {instance} ({e})");
                Deactivation::AlreadyGone
            }
            Err(e) => return Err(e),
        };
        let ours = self
            .inner
            .store
            .current(true)?
            .is_some_and(|c| c.instance_id == instance && c.key == key);
        if ours {
            log::info!("instance {instance} was this machine's: removing local state");
            self.forget_activation()?;
        }
        Ok(outcome)
    }

    /// Releases this machine's activation on the server, then removes the local credentials
    /// and cache. If the server cannot be reached, local state is kept and the error
    /// returned, unless `force` is true.
    ///
    /// # Errors
    /// [`ErrorKind::NotActivated`] when there is nothing to deactivate; the API's errors when
    /// the server could not be reached (without `force`); storage errors.
    pub fn deactivate(&self, force: bool) -> Result<Deactivation, Error> {
        let _lock = self.lock()?;
        let Some(creds) = self.inner.store.current(true)? else {
            if force {
                self.remove_cache()?;
            }
            return Err(ErrorKind::NotActivated.into());
        };
        let Some(seat) = creds.seat() else {
            log::info!("the license held no seat on the server: removing local state");
            self.forget_activation()?;
            return Ok(Deactivation::NoSeat);
        };
        let outcome = match self.inner.client.deactivate(&creds.key, seat) {
            Ok(()) => Deactivation::SlotFreed,
            Err(e) if is_gone(&e) => {
                log::info!("the server no longer knows this activation ({e})");
                Deactivation::AlreadyGone
            }
            Err(e) if force && !e.is_rejection() => {
                log::warn!("could not reach the server ({e}); removing local state anyway");
                Deactivation::LocalOnly
            }
            Err(e) => return Err(e),
        };
        self.forget_activation()?;
        Ok(outcome)
    }

    /// This machine's fingerprint for the app.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.inner.fingerprint
    }

    /// Where the credentials are kept, once known (after a check or an activation).
    pub fn key_storage(&self) -> Option<StorageKind> {
        self.inner.store.kind()
    }

    /// The data directory (cache, lock, fallback files).
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// The app identity, `qualifier.organisation.application`.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// Steps 1 and 2 without the lock; 3 and 4 under it when there is work to do.
    fn evaluate(&self, net: Net) -> Result<LicenseStatus, Error> {
        let Some(snap) = self.snapshot(false)? else {
            return self.unactivated(None);
        };
        match self.decide(&snap, net)? {
            Step::Answer(state) => Ok(self.snapshot_status(&snap, state)),
            Step::Act(_) => {
                let lock = self.lock()?;
                self.evaluate_locked(&lock, net)
            }
        }
    }

    /// Steps 1 to 4 with the lock held: a fresh snapshot, a decision, and the action.
    fn evaluate_locked(&self, lock: &LockGuard, net: Net) -> Result<LicenseStatus, Error> {
        let Some(snap) = self.snapshot(true)? else {
            return self.unactivated(Some(lock));
        };
        match self.decide(&snap, net)? {
            Step::Answer(state) => Ok(self.snapshot_status(&snap, state)),
            Step::Act(action) => self.act(lock, &snap, action, net),
        }
    }

    /// Step 1: the credentials, the verified cache of their activation, and the one
    /// fingerprint comparison. `reload` reads the credentials from the store again.
    fn snapshot(&self, reload: bool) -> Result<Option<Snapshot>, Error> {
        let Some(creds) = self.inner.store.current(reload)? else {
            return Ok(None);
        };
        let inner = &self.inner;
        let cache = inner
            .memo
            .load(&inner.cache_path, &creds, |path| {
                cache::load(path, &inner.vendor_secret, &creds.key)
            })?
            .and_then(|loaded| {
                let record = &loaded.record;
                let origin = cache_origin(&creds);
                if record.instance_id == creds.instance_id.as_str()
                    && (record.provider.as_deref(), record.account.as_deref()) == origin
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
        Ok(Some(Snapshot {
            creds,
            cache,
            matched,
        }))
    }

    /// Step 2: the answer a snapshot gives, or the work it needs.
    fn decide(&self, snap: &Snapshot, net: Net) -> Result<Step, Error> {
        if let Some(product) = self.inner.binding.mismatch(&Origin::of(&snap.creds)) {
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
        let loaded = match &snap.cache {
            Ok(loaded) => loaded,
            Err(CacheProblem::SecretMismatch) => {
                return Err(ErrorKind::VendorSecretMismatch {
                    path: self.inner.cache_path.clone(),
                }
                .into());
            }
            Err(problem) => return Ok(Step::Act(Action::Rebuild(problem.clone()))),
        };
        let policy = self.policy_for(net);
        let now = self.now();
        let state = match (decide(&loaded.record, now, &policy), net) {
            (Decision::Answer(state), _) => state,
            (Decision::GoOnline, Net::Forbidden) => offline_state(&loaded.record, now, &policy),
            (Decision::GoOnline, _) => {
                return Ok(Step::Act(Action::Validate(Box::new(loaded.record.clone()))));
            }
        };
        Ok(if loaded.legacy {
            Step::Act(Action::Migrate(Box::new(loaded.record.clone()), state))
        } else {
            Step::Answer(state)
        })
    }

    /// Step 4, under the lock: do the work and record the outcome.
    fn act(
        &self,
        _lock: &LockGuard,
        snap: &Snapshot,
        action: Action,
        net: Net,
    ) -> Result<LicenseStatus, Error> {
        let (creds, matched) = (&snap.creds, &snap.matched);
        let (record, state, network_used) = match action {
            Action::Migrate(record, state) => {
                log::info!("rewriting the license cache in the current format");
                (*record, state, false)
            }
            Action::Validate(mut record) => {
                let state = self.validate_into(creds, &mut record, &self.policy_for(net));
                if state == LicenseState::NotActivated {
                    return self.forget_released(creds);
                }
                (*record, state, true)
            }
            Action::Rebuild(problem) => return self.rebuild(creds, problem, net, matched),
        };
        self.record(creds, &record)?;
        Ok(self.status(creds, Some(&record), state, network_used, matched))
    }

    /// Asks the server about `creds` and updates `record` with the answer.
    fn validate_into(
        &self,
        creds: &Credentials,
        record: &mut CacheRecord,
        policy: &Policy,
    ) -> LicenseState {
        let machine = creds.fingerprint.machine_id.to_hex();
        let answer = self
            .inner
            .client
            .validate_machine(&creds.key, creds.seat(), Some(&machine));
        let now = self.now();
        if answer.as_ref().is_ok_and(|v| v.not_activated_here) {
            log::warn!("the server says this machine no longer holds a seat of the key");
            return LicenseState::NotActivated;
        }
        match answer.map(|v| v.valid) {
            Ok(true) => {
                policy::record_valid(record, now, self.inner.fingerprint.components());
                LicenseState::Active
            }
            Ok(false) => {
                log::warn!("license revoked: the server says it is not valid");
                policy::record_revoked(record, now);
                LicenseState::Revoked
            }
            Err(e) if is_gone(&e) => {
                log::warn!("license revoked: {e}");
                policy::record_revoked(record, now);
                LicenseState::Revoked
            }
            Err(e) => {
                log::warn!("could not revalidate the license: {e}");
                policy::record_failure(record, now);
                offline_state(record, now, policy)
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
        let machine = creds.fingerprint.machine_id.to_hex();
        let answer = self
            .inner
            .client
            .validate_machine(&creds.key, creds.seat(), Some(&machine));
        let valid = match answer {
            Ok(validation) if validation.not_activated_here => {
                log::warn!("the server says this machine no longer holds a seat of the key");
                return self.forget_released(creds);
            }
            Ok(validation) => validation.valid,
            Err(e) if is_gone(&e) => false,
            Err(e) => {
                log::warn!("could not rebuild the license cache: {e}");
                return Ok(tampered(true));
            }
        };
        let record = self.fresh_record(creds, valid);
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
        let mut status = LicenseStatus::bare(LicenseState::NotActivated);
        status.network_used = true;
        Ok(status)
    }

    /// Releases a just-made activation that cannot be kept; says why that failed, when it
    /// did (the slot may then still be held), after logging it with the instance id.
    fn release(&self, creds: &Credentials) -> Option<String> {
        let undo = self.inner.client.deactivate(&creds.key, creds.seat()?);
        let why = undo.err()?.to_string();
        log::error!(
            "releasing activation {} failed: {why}; its slot may still be held",
            creds.instance_id
        );
        Some(why)
    }

    /// A record of a definite answer about `creds`, given now.
    fn fresh_record(&self, creds: &Credentials, valid: bool) -> CacheRecord {
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
    fn record(&self, creds: &Credentials, record: &CacheRecord) -> Result<(), Error> {
        let inner = &self.inner;
        cache::store(&inner.cache_path, record, &inner.vendor_secret, &creds.key)
    }

    fn policy_for(&self, net: Net) -> Policy {
        let mut p = self.inner.policy;
        if let Net::Refresh(max_age) = net {
            p.revalidate_every = p.revalidate_every.min(max_age);
            p.retry_after_failure = p.retry_after_failure.min(max_age);
        }
        p
    }

    fn pending_path(&self) -> PathBuf {
        crate::pending::file_in(&self.inner.data_dir)
    }

    fn now(&self) -> i64 {
        unix(self.inner.clock.now())
    }

    fn lock(&self) -> Result<LockGuard, Error> {
        self.inner.lock.take()
    }

    fn remove_cache(&self) -> Result<(), Error> {
        crate::fsutil::remove(&self.inner.cache_path)
    }

    /// Removes this machine's activation: its credentials, then its cache.
    fn forget_activation(&self) -> Result<(), Error> {
        self.inner.store.delete()?;
        self.remove_cache()
    }

    /// The status of a snapshot answered without acting.
    fn snapshot_status(&self, snap: &Snapshot, state: LicenseState) -> LicenseStatus {
        let record = snap.cache.as_ref().ok().map(|l| &l.record);
        self.status(&snap.creds, record, state, false, &snap.matched)
    }

    /// A status of `creds`, with the record's times when there is a usable one.
    fn status(
        &self,
        creds: &Credentials,
        record: Option<&CacheRecord>,
        state: LicenseState,
        network_used: bool,
        matched: &Match,
    ) -> LicenseStatus {
        LicenseStatus::of(status::Parts {
            creds,
            last_validated: record.map(|r| r.last_validated),
            grace: self.inner.policy.grace,
            state,
            network_used,
            matched,
            key_storage: self.inner.store.kind(),
        })
    }
}

/// A server answer meaning the key or activation no longer exists or works: Dodo's 403 and
/// 404, and any provider's refusal as an unknown or inactive key (Lemon Squeezy says so
/// with a 400).
fn is_gone(e: &Error) -> bool {
    e.is_rejection()
        && (matches!(e.http_status(), Some(403 | 404))
            || matches!(
                e.code(),
                crate::ErrorCode::KeyNotFound | crate::ErrorCode::InactiveKey
            ))
}

/// The provider and account a cache record of `creds` names: none for Dodo, whose records
/// keep the shape earlier releases read.
fn cache_origin(creds: &Credentials) -> (Option<&str>, Option<&str>) {
    let provider = creds.provider_name();
    if provider == crate::api::Provider::default().name() {
        return (None, None);
    }
    (Some(provider), creds.account_id.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licensor_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Licensor>();
        assert_send_sync::<WatchHandle>();
    }
}
