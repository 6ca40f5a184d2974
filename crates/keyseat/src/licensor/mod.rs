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
//! - Nothing the end user can write is a license: the credentials, the cache and the trial
//!   each carry a MAC keyed by the vendor secret and bound to this machine; one that fails
//!   it is `Tampered`. Credentials of an earlier release (no MAC) are believed once, beside
//!   a genuine cache that agrees with them, and sealed then; otherwise `Unverified`.
//! - Every answer is checked against what was asked: the store, product, variant, key and
//!   activation it names must be the app's and the stored activation's ([`answer`]); a
//!   mismatch is `WrongProduct` and the activation is forgotten.
//!
//! ## The path of a check, in the order the code runs ([`check`])
//! 1. **Snapshot**: the credentials (remembered in memory) and their seal, the cache file
//!    verified against them, and the one comparison of this machine's fingerprint with the
//!    recorded one. No lock: cache writes are atomic renames.
//! 2. **Decide**: the pure policy turns the snapshot into an answer, or into an action that
//!    needs the network or a write.
//! 3. Only for an action: take the cross-process **lock**, read a fresh snapshot and decide
//!    again, since another process may have done the work while this one waited.
//! 4. **Act**, holding the lock (the lock guard is passed by reference as proof): validate
//!    online, rebuild an unusable cache, rewrite an old-format one or seal old credentials,
//!    and **record** the outcome in the cache.
//!
//! `activate` and `deactivate` ([`activation`]) take the lock first and run steps 1 to 4
//! under it.

mod activation;
mod answer;
mod binding;
mod builder;
mod check;
mod lock;
mod memo;
mod offline;
mod policy;
mod seats;
mod status;
mod trial;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use builder::{App, LicensorBuilder, MIN_VENDOR_SECRET_LEN};
pub use lock::LOCK_FILE;
pub use status::{Deactivation, LicenseState, LicenseStatus};
pub use watch::WatchHandle;

use crate::api::Client;
use crate::cache::CacheRecord;
use crate::clock::{Clock, unix};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::fingerprint::{Fingerprint, Match};
use crate::storage::{CredentialStore, StorageKind};
use binding::Binding;
use check::Net;
use lock::{DirLock, LockGuard};
use policy::Policy;

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
    /// License data of another vendor secret is an error, not tampering (a tool, or a
    /// program without a secret of its own).
    report_other_secret: bool,
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
    /// and [`crate::ErrorKind::VendorSecretMismatch`] when the license data was written with
    /// another vendor secret and nothing here with this program's. Network trouble is a
    /// state (`Grace`, `GraceExpired`), not an error; so is tampering (`Tampered`).
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

    /// Whether the vendor secret protects what this machine stores.
    fn protected(&self) -> bool {
        self.inner.vendor_secret.len() >= MIN_VENDOR_SECRET_LEN
    }

    /// A status with only a state (and whether the local state is protected).
    fn bare(&self, state: LicenseState) -> LicenseStatus {
        let mut status = LicenseStatus::bare(state);
        status.local_state_protected = self.protected();
        status
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
        let mut status = LicenseStatus::of(status::Parts {
            creds,
            facts: record.and_then(|r| r.facts.as_ref()),
            last_validated: record.map(|r| r.last_validated),
            grace: self.inner.policy.grace,
            state,
            network_used,
            matched,
            key_storage: self.inner.store.kind(),
        });
        status.local_state_protected = self.protected();
        if let Some(until) = creds.offline_until {
            // A machine file licenses until its expiry, whatever the grace period.
            status.grace_deadline = Some(crate::clock::from_unix(until));
            status.activated_offline = true;
        }
        status
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
