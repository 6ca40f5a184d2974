//! Activation for machines that never go online, through keyseat-relay
//! (`docs/relay-protocol.md`, "Offline activation"):
//!
//! 1. The machine writes an [`OfflineRequest`]: its fingerprint, the instance name, a nonce,
//!    and the license key sealed to the relay's key, so that the file may travel by USB
//!    stick or e-mail.
//! 2. The relay opens it ([`RelaySecret::open_request`]), spends a seat with Dodo's
//!    activation, and issues a machine file ([`RelaySecret::issue`]): an [`OfflineGrant`]
//!    encrypted with a key derived from the license key and the fingerprint, signed with
//!    the relay's key, valid until a time the seller sets.
//! 3. The machine reads it with the key ([`crate::Licensor::offline_activate`]): a pinned
//!    key signed it, it opens only with this key on this machine, it answers this app's
//!    product, and it has not expired.
//! 4. Removing the activation writes a [`ReleaseProof`]: the key and the removal token that
//!    only the opened machine file holds, sealed to the relay, which frees the seat once.
//!
//! The formats live here, on both sides, so that the relay and its clients share one
//! implementation.

mod armor;
mod machine_file;
mod request;
mod seal;

use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::api::Entitlement;
use crate::error::Error;
use crate::key::LicenseKey;
use crate::pinned::key_id;

pub(crate) use machine_file::read as read_machine_file;
pub use request::{OfflineRequest, ReleaseProof};

/// What a machine file grants: an activation of a key on one machine, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OfflineGrant {
    /// The activation's id (Dodo's `lki_…`).
    pub instance_id: String,
    /// Its name.
    pub instance_name: String,
    /// When Dodo made it, as Unix seconds.
    pub created_at: Option<i64>,
    /// The key's hash ([`crate::api::relay_key_hash`]).
    pub key_hash: String,
    /// The machine's fingerprint, as the request gave it.
    pub fingerprint: String,
    /// The request's nonce.
    pub request_nonce: String,
    /// The license key's id (`lic_…`).
    pub license_key_id: String,
    /// The product.
    pub product_id: String,
    /// The customer's email, when Dodo says.
    pub customer_email: Option<String>,
    /// When the relay issued it, as Unix seconds.
    pub issued_at: i64,
    /// When it stops licensing the machine, as Unix seconds.
    pub expires_at: i64,
    /// When the key itself stops working, when it does.
    pub key_expires_at: Option<i64>,
    /// The key's activation limit, when Dodo says.
    pub activation_limit: Option<u32>,
    /// Its activations in use, when Dodo says.
    pub activations_used: Option<u32>,
    /// The customer's license-key entitlements for the key, when Dodo says.
    pub entitlements: Option<Vec<Entitlement>>,
    /// The secret that proves the machine file was opened and removed (a [`ReleaseProof`]).
    pub removal_token: String,
}

impl OfflineGrant {
    /// A grant of the activation `instance_id` to the machine of `request` until
    /// `expires_at`, the other facts to fill in, with a fresh removal token.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Random`] when the OS has no randomness.
    pub fn new(
        request: &OfflineRequest,
        key: &LicenseKey,
        instance_id: impl Into<String>,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<OfflineGrant, Error> {
        let mut token = [0u8; 32];
        getrandom::fill(&mut token)
            .map_err(|e| Error::new(crate::ErrorKind::Random(e.to_string())))?;
        Ok(OfflineGrant {
            instance_id: instance_id.into(),
            instance_name: request.name.clone(),
            created_at: None,
            key_hash: crate::api::relay_key_hash(key),
            fingerprint: request.fingerprint.clone(),
            request_nonce: request.nonce.clone(),
            license_key_id: String::new(),
            product_id: String::new(),
            customer_email: None,
            issued_at,
            expires_at,
            key_expires_at: None,
            activation_limit: None,
            activations_used: None,
            entitlements: None,
            removal_token: hex::encode(token),
        })
    }
}

/// The relay's side: one of its signing keys, which opens what is sealed to it and signs
/// machine files. The seed never leaves it (`Debug` shows only the key's id).
pub struct RelaySecret {
    seed: Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
    id: String,
}

impl std::fmt::Debug for RelaySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelaySecret").field("id", &self.id).finish()
    }
}

impl RelaySecret {
    /// The key of an Ed25519 seed.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] when ring refuses the seed.
    pub fn from_seed(seed: &[u8; 32]) -> Result<RelaySecret, Error> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| Error::invalid_input("not an Ed25519 seed"))?;
        let id = key_id(pair.public_key().as_ref());
        Ok(RelaySecret {
            seed: Zeroizing::new(*seed),
            pair,
            id,
        })
    }

    /// The key's id (`ks1-…`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The license key a request seals.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] when it is sealed to another key, or was changed.
    pub fn open_request(&self, request: &OfflineRequest) -> Result<LicenseKey, Error> {
        request.open(&self.seed)
    }

    /// The key and the removal token a release proof seals.
    ///
    /// # Errors
    /// As [`RelaySecret::open_request`].
    pub fn open_release(
        &self,
        proof: &ReleaseProof,
    ) -> Result<(LicenseKey, Zeroizing<String>), Error> {
        proof.open(&self.seed)
    }

    /// The machine file of `grant` for `key`, signed with this key.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Random`] when the OS has no randomness.
    pub fn issue(&self, grant: &OfflineGrant, key: &LicenseKey) -> Result<String, Error> {
        machine_file::issue(grant, key, &self.id, |message| {
            self.pair.sign(message).as_ref().to_vec()
        })
    }
}

#[cfg(test)]
mod tests;
