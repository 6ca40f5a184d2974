//! Activating a key on this machine, and freeing a seat: this machine's (deactivation) or
//! another's (release).

use crate::credentials::{Credentials, Opened};
use crate::error::{Error, ErrorKind};
use crate::facts::KeyFacts;
use crate::key::LicenseKey;

use super::binding::Origin;
use super::check::Net;
use super::status::{Deactivation, LicenseState, LicenseStatus};
use super::{Licensor, is_gone};

impl Licensor {
    /// Activates `key` on this machine: fingerprint, instance name, API call, product check,
    /// credentials, cache. If this machine already holds a working activation of the same
    /// key, that one is returned and no slot is spent.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a malformed key; [`ErrorKind::AlreadyActivated`] when a
    /// different key is working here; [`ErrorKind::WrongProduct`] for a key of a product the
    /// app does not accept (its activation released again); the API's errors, including
    /// [`ErrorKind::AmbiguousActivation`]; storage errors (after which the new activation is
    /// released again on the server, so no slot is lost);
    /// [`ErrorKind::VendorSecretMismatch`] when the stored activation was written with
    /// another vendor secret (nothing is replaced).
    pub fn activate(&self, key: &str) -> Result<LicenseStatus, Error> {
        let key = LicenseKey::new(key)?;
        let lock = self.lock()?;
        if let Some(existing) = self.inner.store.current(true)? {
            let status = self.evaluate_locked(&lock, Net::Allowed)?;
            let stored = match &existing {
                Opened::Sealed(creds) | Opened::Legacy(creds) => Some(creds),
                Opened::Damaged(..) => None,
            };
            if status.is_licensed() {
                if stored.is_some_and(|creds| creds.key == key) {
                    log::info!("key {key} is already active on this machine; no slot spent");
                    return Ok(status);
                }
                let active_key = stored.map_or_else(|| "****".to_owned(), |c| c.key.redacted());
                return Err(ErrorKind::AlreadyActivated { active_key }.into());
            }
            log::info!(
                "replacing the stored activation (state {})",
                status.state.name()
            );
            // An earlier release's activation of this key, which no cache vouches for, still
            // holds its seat on the server: free it, so that activating again spends none.
            if status.state == LicenseState::Unverified
                && let Some(old) = stored.filter(|creds| creds.key == key)
            {
                self.release_stored(old);
            }
        }
        let inner = &self.inner;
        let name = inner.fingerprint.instance_name(inner.include_host);
        let machine = inner.fingerprint.id();
        let activation = match inner.client.activate_machine(&key, &name, Some(&machine)) {
            Ok(activation) => activation,
            Err(e) => return Err(self.activation_failed(e, &name)),
        };
        let license = activation.license;
        let facts = KeyFacts::of(&license);
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
            offline_until: None,
            removal_token: None,
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
        self.keep_aside_damaged_credentials();
        if let Err(e) = inner.store.save(&creds) {
            log::error!("activation {} could not be stored: {e}", creds.instance_id);
            let _ = self.release(&creds);
            return Err(e);
        }
        if let Err(e) = crate::pending::forget(&self.pending_path()) {
            log::warn!("could not forget the activation whose answer was lost: {e}");
        }
        let mut record = self.fresh_record(&creds, true);
        record.facts = facts;
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

    /// Credentials that fail their seal are replaced by an activation only after a copy of
    /// the file is kept aside (`credentials.json.corrupt-<time>`), never deleted unseen.
    pub(super) fn keep_aside_damaged_credentials(&self) {
        let file = self.inner.store.file();
        let damaged = matches!(
            self.inner.store.current(false),
            Ok(Some(Opened::Damaged(..)))
        );
        if damaged && file.exists() {
            match crate::cache::set_aside(file, self.now()) {
                Ok(aside) => log::warn!("the damaged credentials were kept as {}", aside.display()),
                Err(e) => log::warn!("the damaged credentials could not be kept aside: {e}"),
            }
        }
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
        let ours = match self.inner.store.current(true)? {
            Some(Opened::Sealed(c) | Opened::Legacy(c)) => {
                c.instance_id == instance && c.key == key
            }
            _ => false,
        };
        if ours {
            log::info!("instance {instance} was this machine's: removing local state");
            self.forget_activation()?;
        }
        Ok(outcome)
    }

    /// Releases this machine's activation on the server, then removes the local credentials
    /// and cache. If the server cannot be reached, local state is kept and the error
    /// returned, unless `force` is true. Credentials that fail their seal name nothing this
    /// app can release: with `force` they are removed, without it they stay.
    ///
    /// # Errors
    /// [`ErrorKind::NotActivated`] when there is nothing to deactivate (or only damaged
    /// credentials, without `force`); the API's errors when the server could not be reached
    /// (without `force`); storage errors; [`ErrorKind::VendorSecretMismatch`] for credentials
    /// of another vendor secret.
    pub fn deactivate(&self, force: bool) -> Result<Deactivation, Error> {
        let lock = self.lock()?;
        let creds = match self.inner.store.current(true)? {
            Some(Opened::Sealed(creds) | Opened::Legacy(creds)) => creds,
            Some(Opened::Damaged(..)) => {
                // Says why (another vendor secret is an error), touching nothing.
                self.evaluate_locked(&lock, Net::Forbidden)?;
                if !force {
                    return Err(ErrorKind::NotActivated.into());
                }
                log::warn!("removing credentials that fail their check, as asked (force)");
                self.forget_activation()?;
                return Ok(Deactivation::LocalOnly);
            }
            None => {
                if force {
                    self.remove_cache()?;
                }
                return Err(ErrorKind::NotActivated.into());
            }
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

    /// Releases a just-made activation that cannot be kept; says why that failed, when it
    /// did (the slot may then still be held), after logging it with the instance id.
    pub(super) fn release(&self, creds: &Credentials) -> Option<String> {
        let undo = self.inner.client.deactivate(&creds.key, creds.seat()?);
        let why = undo.err()?.to_string();
        log::error!(
            "releasing activation {} failed: {why}; its slot may still be held",
            creds.instance_id
        );
        Some(why)
    }

    /// Frees the seat of a stored activation about to be replaced; a seat the server no
    /// longer knows is already free.
    fn release_stored(&self, creds: &Credentials) {
        let Some(seat) = creds.seat() else { return };
        match self.inner.client.deactivate(&creds.key, seat) {
            Ok(()) => log::info!("released the earlier activation {seat} before activating"),
            Err(e) if is_gone(&e) => log::info!("the earlier activation {seat} is gone ({e})"),
            Err(e) => log::warn!("could not release the earlier activation {seat}: {e}"),
        }
    }
}
