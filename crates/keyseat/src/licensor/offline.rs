//! Offline activation through keyseat-relay ([`crate::offline`]): the request a machine
//! that never goes online writes, the machine file that activates it, and its removal, which
//! writes the proof that frees its seat.

use crate::credentials::{Credentials, Opened};
use crate::error::{Error, ErrorKind};
use crate::facts::KeyFacts;
use crate::key::{InstanceId, LicenseKey};
use crate::offline::{OfflineRequest, ReleaseProof, read_machine_file};
use crate::pinned::PinnedKey;

use super::Licensor;
use super::binding::Origin;
use super::check::Net;
use super::status::{LicenseState, LicenseStatus};

impl Licensor {
    /// The relay keys of offline activation, or why there are none.
    fn offline_keys(&self) -> Result<Vec<PinnedKey>, Error> {
        let keys = self.inner.binding.provider.offline_keys();
        if keys.is_empty() {
            return Err(ErrorKind::Unsupported(format!(
                "offline activation needs keyseat-relay; {} cannot grant it",
                self.inner.binding.provider.name()
            ))
            .into());
        }
        Ok(keys)
    }

    /// Writes the request for activating `key` on this machine offline: this machine's
    /// fingerprint, its instance name, a fresh nonce, and the key sealed to the relay's
    /// (first pinned) key, as text to carry to the seller's relay (its page at `/`, or
    /// `keyseat-relay offline sign`). Nothing is stored, and nothing is sent.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for a provider other than the relay;
    /// [`ErrorKind::InvalidInput`] for a malformed key.
    pub fn offline_request(&self, key: &str) -> Result<String, Error> {
        let key = LicenseKey::new(key)?;
        let keys = self.offline_keys()?;
        let inner = &self.inner;
        let name = inner.fingerprint.instance_name(inner.include_host);
        let request = OfflineRequest::make(&key, &keys[0], &inner.fingerprint.id(), &name)?;
        log::info!("offline activation request written for key {key}");
        Ok(request.to_text())
    }

    /// Activates `key` on this machine from the relay's machine file `machine_file`, with no
    /// network: a pinned relay key signed it, it opens only with this key on this machine,
    /// its product is one the app accepts, and it has not expired. The machine is then
    /// licensed until the file's expiry (`grace_deadline` says when; renewal is another
    /// file), and the usual rules (clock rollback, tampering, another machine) apply.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for a provider other than the relay;
    /// [`ErrorKind::BadSignature`] for a file no pinned key signed, or that was changed;
    /// [`ErrorKind::InvalidInput`] for a file of another key or machine, an expired one, or a
    /// clock before it was issued; [`ErrorKind::WrongProduct`]; [`ErrorKind::AlreadyActivated`]
    /// when another activation works here; storage errors.
    pub fn offline_activate(&self, key: &str, machine_file: &str) -> Result<LicenseStatus, Error> {
        let key = LicenseKey::new(key)?;
        let keys = self.offline_keys()?;
        let inner = &self.inner;
        let grant = read_machine_file(machine_file, &key, &inner.fingerprint.id(), &keys)?;
        let now = self.now();
        let tolerance = inner.policy.clock_tolerance;
        if now >= grant.expires_at {
            return Err(Error::invalid_input(
                "this machine file has expired: ask the seller for a new one",
            ));
        }
        if now.saturating_add(tolerance) < grant.issued_at {
            return Err(Error::invalid_input(
                "this machine's clock is before the machine file was issued: set the date",
            ));
        }
        let creds = Credentials {
            key: key.clone(),
            instance_id: InstanceId::new(grant.instance_id.clone())?,
            license_key_id: grant.license_key_id.clone(),
            product_id: grant.product_id.clone(),
            product_name: None,
            instance_name: Some(grant.instance_name.clone()),
            customer_email: grant.customer_email.clone(),
            activated_at: grant.created_at.or(Some(grant.issued_at)),
            fingerprint: inner.fingerprint.components().clone(),
            provider: Some(inner.binding.provider.name().to_owned()),
            account_id: None,
            variant_id: None,
            holds_seat: true,
            expires_at: grant.key_expires_at,
            activation_limit: grant.activation_limit,
            test_mode: None,
            offline_until: Some(grant.expires_at),
            removal_token: Some(grant.removal_token.clone()),
        };
        if let Some(product) = inner.binding.mismatch(&Origin::of(&creds)) {
            return Err(ErrorKind::WrongProduct {
                product_id: product,
                release_failed: Some(
                    "an offline activation is released with the relay, from its page".into(),
                ),
            }
            .into());
        }
        let lock = self.lock()?;
        if let Some(existing) = inner.store.current(true)? {
            let status = self.evaluate_locked(&lock, Net::Forbidden)?;
            let same = matches!(&existing, Opened::Sealed(c) | Opened::Legacy(c)
                if c.key == key && c.instance_id == creds.instance_id);
            if status.is_licensed() && !same {
                let active_key = match &existing {
                    Opened::Sealed(c) | Opened::Legacy(c) => c.key.redacted(),
                    Opened::Damaged(..) => "****".to_owned(),
                };
                return Err(ErrorKind::AlreadyActivated { active_key }.into());
            }
        }
        self.keep_aside_damaged_credentials();
        inner.store.save(&creds)?;
        let mut record = self.fresh_record(&creds, true);
        record.high_water = record.high_water.max(grant.issued_at);
        record.facts = KeyFacts::of(&crate::api::License {
            expires_at: grant.key_expires_at,
            activation_limit: grant.activation_limit,
            activations_used: grant.activations_used,
            entitlements: grant.entitlements.clone(),
            ..crate::api::License::default()
        });
        self.record(&creds, &record)?;
        log::info!(
            "activated offline by machine file: instance {}, until {}",
            creds.instance_id,
            grant.expires_at
        );
        let matched = inner.fingerprint.matches(&record.fingerprint);
        Ok(self.status(&creds, Some(&record), LicenseState::Active, false, &matched))
    }

    /// Removes this machine's offline activation, with no network, and returns the proof of
    /// its removal to carry to the relay (its page, or `POST /v1/offline/release`), which
    /// frees the seat once. Only this machine could write it: it holds the removal token of
    /// the machine file it opened. (An online activation is released with
    /// [`Licensor::deactivate`].)
    ///
    /// # Errors
    /// [`ErrorKind::NotActivated`] when this machine holds no offline activation;
    /// [`ErrorKind::Unsupported`] for a provider other than the relay; storage errors.
    pub fn offline_deactivate(&self) -> Result<String, Error> {
        let _lock = self.lock()?;
        let (proof, creds) = self.release_proof()?;
        self.forget_activation()?;
        log::info!(
            "offline activation {} removed; its seat is freed when the relay gets the proof",
            creds.instance_id
        );
        Ok(proof)
    }

    /// The proof [`Licensor::offline_deactivate`] would write, removing nothing: for a
    /// caller that must keep the proof safe before the activation is removed (the C ABI
    /// copies it out first). Every proof of one activation frees its seat, once.
    ///
    /// # Errors
    /// As [`Licensor::offline_deactivate`].
    pub fn offline_release_proof(&self) -> Result<String, Error> {
        Ok(self.release_proof()?.0)
    }

    /// The release proof of this machine's offline activation, and its credentials.
    fn release_proof(&self) -> Result<(String, std::sync::Arc<Credentials>), Error> {
        let keys = self.offline_keys()?;
        let creds = match self.inner.store.current(true)? {
            Some(Opened::Sealed(creds)) => creds,
            _ => return Err(ErrorKind::NotActivated.into()),
        };
        let Some(token) = creds.removal_token.as_deref() else {
            return Err(Error::invalid_input(
                "this machine's activation is not an offline one: deactivate it online",
            ));
        };
        let proof = ReleaseProof::make(&creds.key, &keys[0], creds.instance_id.as_str(), token)?;
        Ok((proof.to_text(), creds))
    }
}
