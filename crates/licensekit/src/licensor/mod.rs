//! The Licensor: what a desktop app calls at every start.
//!
//! ```no_run
//! use licensekit::licensor::{App, Licensor};
//!
//! let licensor = Licensor::builder(App::new("com", "Example", "PhotoTool"))
//!     .vendor_secret(*b"a secret compiled into the app")
//!     .build()?;
//! if licensor.check()?.state == licensekit::LicenseState::NotActivated {
//!     licensor.activate("2b1f8e2d-c41e-4e8f-b2d3-d9fd61c38f43")?;
//! }
//! let status = licensor.check()?; // microseconds when the cache is fresh
//! assert!(status.is_licensed());
//! # Ok::<(), licensekit::Error>(())
//! ```
//!
//! ## Policy
//! - A definite answer from the server younger than the revalidation interval (by the clock
//!   and by the latest time ever seen) is used from disk, with no network.
//! - Older: ask the server. Valid → refresh. Invalid, or the key inactive → `Revoked`,
//!   recorded, so going offline cannot bring the license back. No answer → `Grace` until the
//!   last success plus the grace period, then `GraceExpired`.
//! - The clock going back beyond the tolerance → `ClockRollback`, until a successful online
//!   validation.
//! - Processes of one app share the cache: checks read it without locking (writes are atomic
//!   renames), and anything that may write takes a cross-process lock, then reads again, so
//!   that when one process has just asked the server the others use its answer.

mod builder;
mod policy;
mod status;
mod watch;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use builder::{App, LOCK_FILE, LicensorBuilder};
pub use status::{LicenseState, LicenseStatus};
pub use watch::WatchHandle;

use crate::api::Client;
use crate::cache::{self, CacheProblem, CacheRecord};
use crate::clock::{Clock, from_unix, unix};
use crate::error::{Error, ErrorKind};
use crate::fingerprint::{Fingerprint, Match};
use crate::key::LicenseKey;
use crate::storage::{CredentialStore, Credentials, StorageKind};
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
    data_dir: PathBuf,
    cache_path: PathBuf,
    lock_path: PathBuf,
    client: Client,
    policy: Policy,
    vendor_secret: zeroize::Zeroizing<Vec<u8>>,
    store: CredentialStore,
    /// The credentials as last read, so that a check does not go to the keychain each time.
    creds: Mutex<Option<Arc<Credentials>>>,
    clock: Arc<dyn Clock>,
    fingerprint: Fingerprint,
    /// Whether orphaned temp files have been looked for yet.
    swept: std::sync::atomic::AtomicBool,
}

/// Age beyond which a temp file in the data directory is an orphan of a killed writer.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(2);

impl std::fmt::Debug for Licensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Licensor")
            .field("app", &self.inner.app_id)
            .field("data_dir", &self.inner.data_dir)
            .field("server", &self.inner.client.base_url())
            .finish_non_exhaustive()
    }
}

/// What [`Licensor::deactivate`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deactivation {
    /// The server freed the activation slot.
    SlotFreed,
    /// The server no longer knew the activation (freed elsewhere); local state removed.
    AlreadyGone,
    /// The server could not be reached and `force` was given: local state removed, the slot
    /// is still in use on the server.
    LocalOnly,
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

/// Holds the cross-process lock until dropped.
struct LockGuard(#[allow(dead_code)] File);

impl Licensor {
    /// Starts a [`LicensorBuilder`] for `app`.
    pub fn builder(app: App) -> LicensorBuilder {
        LicensorBuilder::new(app)
    }

    /// The license state, from the cache when it is fresh, else from the server (see the
    /// module docs for the policy).
    ///
    /// # Errors
    /// Only when local storage fails (the data directory or credential store cannot be
    /// read). Network trouble is a state (`Grace`, `GraceExpired`), not an error.
    pub fn check(&self) -> Result<LicenseStatus, Error> {
        self.evaluate(Net::Allowed, false)
    }

    /// The license state without touching the network: a stale cache gives `Grace` or
    /// `GraceExpired` as if the server were unreachable (nothing is recorded).
    ///
    /// # Errors
    /// As [`Licensor::check`].
    pub fn check_offline(&self) -> Result<LicenseStatus, Error> {
        self.evaluate(Net::Forbidden, false)
    }

    /// Asks the server now, whatever the age of the cache (unless another process of the
    /// app has just done so).
    ///
    /// # Errors
    /// As [`Licensor::check`].
    pub fn revalidate(&self) -> Result<LicenseStatus, Error> {
        self.evaluate(Net::Refresh(0), false)
    }

    /// Activates `key` on this machine: fingerprint, instance name, API call, credentials,
    /// cache. If this machine already holds a working activation of the same key, that one
    /// is returned and no slot is spent.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a malformed key; [`ErrorKind::AlreadyActivated`] when a
    /// different key is working here; the API's errors, including
    /// [`ErrorKind::AmbiguousActivation`]; storage errors (after which the new activation is
    /// released again on the server, so no slot is lost).
    pub fn activate(&self, key: &str) -> Result<LicenseStatus, Error> {
        let key = LicenseKey::new(key)?;
        let _lock = self.lock()?;
        if let Some(existing) = self.credentials(true)? {
            let status = self.evaluate(Net::Allowed, true)?;
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
        let instance = inner
            .client
            .activate(&key, &inner.fingerprint.instance_name())?;
        let creds = Credentials {
            activated_at: instance.created_at_unix(),
            key,
            instance_id: instance.id,
            license_key_id: instance.license_key_id,
            product_id: instance.product.product_id,
            product_name: instance.product.name,
            customer_email: instance.customer.email,
            fingerprint: inner.fingerprint.components().clone(),
        };
        if let Err(e) = inner.store.save(&creds) {
            log::error!("activation {} could not be stored: {e}", creds.instance_id);
            if let Err(undo) = inner.client.deactivate(&creds.key, &creds.instance_id) {
                log::error!(
                    "and releasing activation {} failed too: {undo}",
                    creds.instance_id
                );
            }
            return Err(e);
        }
        let now = self.now();
        let record = fresh_record(&creds, now, true);
        let creds = Arc::new(creds);
        self.remember(Some(Arc::clone(&creds)));
        if let Err(e) = cache::store(&inner.cache_path, &record, &inner.vendor_secret, &creds.key) {
            // The credentials are safe; the next check rebuilds the cache online.
            log::error!("activated, but the cache could not be written: {e}");
        }
        Ok(self.status(&record, &creds, LicenseState::Active, true, None))
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
        let Some(creds) = self.credentials(true)? else {
            if force {
                self.remove_cache()?;
            }
            return Err(ErrorKind::NotActivated.into());
        };
        let outcome = match self.inner.client.deactivate(&creds.key, &creds.instance_id) {
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
        self.inner.store.delete()?;
        self.remember(None);
        self.remove_cache()?;
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

    /// The policy, given the credentials.
    fn evaluate(&self, net: Net, lock_held: bool) -> Result<LicenseStatus, Error> {
        let mut reloaded = false;
        loop {
            let Some(creds) = self.credentials(reloaded)? else {
                return Ok(self.not_activated());
            };
            match self.load_record(&creds)? {
                Ok(record) => return self.judge_record(record, &creds, net, lock_held),
                // The remembered credentials may be stale (another process re-activated or
                // deactivated): read them again once before judging the cache.
                Err(_) if !reloaded => reloaded = true,
                Err(problem) => return self.recover(problem, &creds, net, lock_held),
            }
        }
    }

    /// Loads and verifies the cache, and checks that it records the activation `creds` hold.
    fn load_record(&self, creds: &Credentials) -> Result<Result<CacheRecord, CacheProblem>, Error> {
        let inner = &self.inner;
        Ok(
            cache::load(&inner.cache_path, &inner.vendor_secret, &creds.key)?.and_then(|r| {
                if r.instance_id == creds.instance_id.as_str() {
                    Ok(r)
                } else {
                    Err(CacheProblem::OtherInstance)
                }
            }),
        )
    }

    /// Applies the policy to a verified record.
    fn judge_record(
        &self,
        record: CacheRecord,
        creds: &Credentials,
        net: Net,
        lock_held: bool,
    ) -> Result<LicenseStatus, Error> {
        let matched = self.inner.fingerprint.matches(&record.fingerprint);
        if !matched.is_same_machine() {
            log::warn!(
                "the license cache belongs to another machine ({:?})",
                matched.changed
            );
            let state = LicenseState::FingerprintMismatch;
            return Ok(self.status(&record, creds, state, false, Some(&matched)));
        }
        let policy = self.policy_for(net);
        let now = self.now();
        let state = match (decide(&record, now, &policy), net) {
            (Decision::Answer(state), _) => state,
            (Decision::GoOnline, Net::Forbidden) => offline_state(&record, now, &policy),
            (Decision::GoOnline, _) => return self.ask_server(&policy, lock_held),
        };
        Ok(self.status(&record, creds, state, false, Some(&matched)))
    }

    /// Validates online under the lock and records the answer.
    fn ask_server(&self, policy: &Policy, lock_held: bool) -> Result<LicenseStatus, Error> {
        let _lock = if lock_held { None } else { Some(self.lock()?) };
        let inner = &self.inner;
        // Another process may have asked, re-activated or deactivated while this one waited
        // for the lock: read both again.
        let Some(creds) = self.credentials(true)? else {
            return Ok(self.not_activated());
        };
        let creds = &*creds;
        let mut record = match self.load_record(creds)? {
            Ok(r) => r,
            Err(problem) => return self.recover(problem, creds, Net::Allowed, true),
        };
        let matched = inner.fingerprint.matches(&record.fingerprint);
        if !matched.is_same_machine() {
            let state = LicenseState::FingerprintMismatch;
            return Ok(self.status(&record, creds, state, false, Some(&matched)));
        }
        let matched = &matched;
        if let Decision::Answer(state) = decide(&record, self.now(), policy) {
            return Ok(self.status(&record, creds, state, false, Some(matched)));
        }
        let answer = inner.client.validate(&creds.key, Some(&creds.instance_id));
        let now = self.now();
        let state = match answer {
            Ok(true) => {
                record.last_validated = now;
                record.last_answer = now;
                record.last_failure = None;
                record.high_water = now;
                record.revoked = false;
                record.fingerprint = inner.fingerprint.components().clone();
                LicenseState::Active
            }
            Ok(false) => {
                self.mark_revoked(&mut record, now, "the server says the license is not valid");
                LicenseState::Revoked
            }
            Err(e) if is_gone(&e) => {
                self.mark_revoked(&mut record, now, &e.to_string());
                LicenseState::Revoked
            }
            Err(e) => {
                log::warn!("could not revalidate the license: {e}");
                let seen = policy::effective_now(&record, now);
                record.last_failure = Some(seen);
                record.high_water = seen;
                offline_state(&record, now, policy)
            }
        };
        cache::store(&inner.cache_path, &record, &inner.vendor_secret, &creds.key)?;
        Ok(self.status(&record, creds, state, true, Some(matched)))
    }

    fn mark_revoked(&self, record: &mut CacheRecord, now: i64, why: &str) {
        log::warn!("license revoked: {why}");
        record.revoked = true;
        record.last_answer = now;
        record.last_failure = None;
        record.high_water = now;
    }

    /// The cache is missing, unreadable or fails its MAC: keep the file aside and rebuild it
    /// from the credentials with one online validation, when allowed and possible.
    fn recover(
        &self,
        problem: CacheProblem,
        creds: &Credentials,
        net: Net,
        lock_held: bool,
    ) -> Result<LicenseStatus, Error> {
        log::debug!("license cache unusable: {problem:?}");
        // Writers hold the lock between saving credentials and writing the cache: take it
        // and look again, so a write in progress in another process is not mistaken for
        // tampering.
        let (_lock, fresh, problem) = if lock_held {
            (None, None, problem)
        } else {
            let lock = self.lock()?;
            let Some(fresh) = self.credentials(true)? else {
                return Ok(self.not_activated());
            };
            match self.load_record(&fresh)? {
                Ok(record) => return self.judge_record(record, &fresh, net, true),
                Err(p) => (Some(lock), Some(fresh), p),
            }
        };
        let creds = fresh.as_deref().unwrap_or(creds);
        let inner = &self.inner;
        let matched = inner.fingerprint.matches(&creds.fingerprint);
        let now = self.now();
        let bare = |state, network| self.creds_status(creds, state, network, Some(&matched));
        if !matched.is_same_machine() {
            return Ok(bare(LicenseState::FingerprintMismatch, false));
        }
        if net == Net::Forbidden {
            return Ok(bare(LicenseState::Tampered, false));
        }
        if problem != CacheProblem::Missing {
            let aside = cache::set_aside(&inner.cache_path, now)?;
            log::warn!(
                "the license cache was unusable ({problem:?}); kept as {}",
                aside.display()
            );
        } else {
            log::warn!("the license cache is missing; rebuilding it online");
        }
        let valid = match inner.client.validate(&creds.key, Some(&creds.instance_id)) {
            Ok(valid) => valid,
            Err(e) if is_gone(&e) => false,
            Err(e) => {
                log::warn!("could not rebuild the license cache: {e}");
                return Ok(bare(LicenseState::Tampered, true));
            }
        };
        let now = self.now();
        let record = fresh_record(creds, now, valid);
        cache::store(&inner.cache_path, &record, &inner.vendor_secret, &creds.key)?;
        let state = if valid {
            LicenseState::Active
        } else {
            LicenseState::Revoked
        };
        let mut status = self.status(&record, creds, state, true, Some(&matched));
        status.recovered = true;
        Ok(status)
    }

    fn policy_for(&self, net: Net) -> Policy {
        let mut p = self.inner.policy;
        if let Net::Refresh(max_age) = net {
            p.revalidate_every = p.revalidate_every.min(max_age);
            p.retry_after_failure = p.retry_after_failure.min(max_age);
        }
        p
    }

    fn credentials(&self, reload: bool) -> Result<Option<Arc<Credentials>>, Error> {
        let remembered = self
            .inner
            .creds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let (false, Some(c)) = (reload, remembered) {
            return Ok(Some(c));
        }
        let loaded = self.inner.store.load()?;
        let loaded = loaded.map(Arc::new);
        self.remember(loaded.clone());
        Ok(loaded)
    }

    fn remember(&self, creds: Option<Arc<Credentials>>) {
        *self.inner.creds.lock().unwrap_or_else(|p| p.into_inner()) = creds;
    }

    fn not_activated(&self) -> LicenseStatus {
        if self.inner.cache_path.exists() {
            log::warn!("a license cache exists but no credentials: treating as not activated");
        }
        LicenseStatus::bare(LicenseState::NotActivated)
    }

    fn now(&self) -> i64 {
        unix(self.inner.clock.now())
    }

    fn lock(&self) -> Result<LockGuard, Error> {
        let path = &self.inner.lock_path;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, &e))?;
        file.lock().map_err(|e| Error::io(path, &e))?;
        if !self
            .inner
            .swept
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            // Temp files of writers killed mid-write; a live writer holds this lock, so one
            // older than a few seconds is an orphan.
            crate::fsutil::remove_stale_temps(&self.inner.data_dir, STALE_TEMP_AGE);
        }
        Ok(LockGuard(file))
    }

    fn remove_cache(&self) -> Result<(), Error> {
        match std::fs::remove_file(&self.inner.cache_path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.inner.cache_path, &e)),
        }
    }

    /// A status from a verified cache record: the credentials' facts plus the record's times.
    fn status(
        &self,
        record: &CacheRecord,
        creds: &Credentials,
        state: LicenseState,
        network_used: bool,
        matched: Option<&Match>,
    ) -> LicenseStatus {
        let grace_deadline = record
            .last_validated
            .saturating_add(self.inner.policy.grace);
        LicenseStatus {
            last_validated: Some(from_unix(record.last_validated)),
            grace_deadline: Some(from_unix(grace_deadline)),
            ..self.creds_status(creds, state, network_used, matched)
        }
    }

    /// A status from the credentials alone (no usable cache record).
    fn creds_status(
        &self,
        creds: &Credentials,
        state: LicenseState,
        network_used: bool,
        matched: Option<&Match>,
    ) -> LicenseStatus {
        LicenseStatus {
            state,
            instance_id: Some(creds.instance_id.clone()),
            license_key_id: Some(creds.license_key_id.clone()),
            key_hint: Some(creds.key.redacted()),
            product_id: Some(creds.product_id.clone()),
            product_name: creds.product_name.clone(),
            customer_email: Some(creds.customer_email.clone()),
            activated_at: creds.activated_at.map(from_unix),
            last_validated: None,
            grace_deadline: None,
            network_used,
            fingerprint_match: matched.map(|m| m.kind),
            key_storage: self.inner.store.kind(),
            recovered: false,
        }
    }
}

/// A server answer meaning the key or activation no longer exists or works.
fn is_gone(e: &Error) -> bool {
    e.is_rejection() && matches!(e.http_status(), Some(403 | 404))
}

/// A record for credentials just confirmed by the server at `now`.
fn fresh_record(creds: &Credentials, now: i64, valid: bool) -> CacheRecord {
    CacheRecord {
        instance_id: creds.instance_id.as_str().to_owned(),
        license_key_id: creds.license_key_id.clone(),
        key_hint: creds.key.redacted(),
        product_id: creds.product_id.clone(),
        product_name: creds.product_name.clone(),
        customer_email: creds.customer_email.clone(),
        activated_at: creds.activated_at,
        last_validated: now,
        last_answer: now,
        last_failure: None,
        high_water: now,
        revoked: !valid,
        fingerprint: creds.fingerprint.clone(),
    }
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
