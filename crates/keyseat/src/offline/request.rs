//! What a machine sends the relay through a person: the offline activation request, and
//! the proof that an offline activation was removed. Both carry the license key sealed to
//! the relay's key ([`super::seal`]), and bind what they say in the clear to it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{armor, seal};
use crate::error::Error;
use crate::key::LicenseKey;
use crate::pinned::PinnedKey;

/// The format version of both files.
const VERSION: u32 = 1;

/// An offline activation request: which relay key it is sealed to, this machine's
/// fingerprint, the instance name, a fresh nonce, and the key, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OfflineRequest {
    /// The format version (1).
    pub v: u32,
    /// The id of the relay key it is sealed to (`ks1-…`).
    pub relay_key: String,
    /// The machine's fingerprint, as an online activation sends it.
    pub fingerprint: String,
    /// The instance name.
    pub name: String,
    /// A fresh random nonce: the machine file echoes it.
    pub nonce: String,
    sealed: String,
}

/// What an offline request seals.
#[derive(Serialize, Deserialize)]
struct RequestSecret {
    license_key: String,
}

impl OfflineRequest {
    /// The armor's kind.
    const KIND: &'static str = "OFFLINE REQUEST";

    /// The associated data that binds the fields in the clear to the sealed key.
    fn aad(relay_key: &str, fingerprint: &str, name: &str, nonce: &str) -> Vec<u8> {
        format!("keyseat offline request v1\n{relay_key}\n{fingerprint}\n{name}\n{nonce}")
            .into_bytes()
    }

    /// A request for `key` on the machine `fingerprint`, sealed to `relay`.
    pub(crate) fn make(
        key: &LicenseKey,
        relay: &PinnedKey,
        fingerprint: &str,
        name: &str,
    ) -> Result<OfflineRequest, Error> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)
            .map_err(|e| Error::new(crate::ErrorKind::Random(e.to_string())))?;
        let nonce = hex::encode(nonce);
        let secret = Zeroizing::new(
            serde_json::to_vec(&RequestSecret {
                license_key: key.expose().to_owned(),
            })
            .unwrap_or_default(),
        );
        let aad = Self::aad(&relay.id, fingerprint, name, &nonce);
        let sealed = seal::seal(&relay.bytes, &aad, &secret)?;
        Ok(OfflineRequest {
            v: VERSION,
            relay_key: relay.id.clone(),
            fingerprint: fingerprint.to_owned(),
            name: name.to_owned(),
            nonce,
            sealed: BASE64.encode(sealed),
        })
    }

    /// The request as the text that travels.
    pub fn to_text(&self) -> String {
        armor::wrap(Self::KIND, self)
    }

    /// Reads a request's text.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] for text that is not a request of this version.
    pub fn parse(text: &str) -> Result<OfflineRequest, Error> {
        let request: OfflineRequest = armor::unwrap(Self::KIND, text)?;
        if request.v != VERSION {
            return Err(Error::invalid_input(format!(
                "an offline request of version {}: this relay reads version {VERSION}",
                request.v
            )));
        }
        Ok(request)
    }

    /// The license key, opened with the relay's key `seed`.
    pub(crate) fn open(&self, seed: &[u8; 32]) -> Result<LicenseKey, Error> {
        let sealed = BASE64
            .decode(&self.sealed)
            .map_err(|_| Error::invalid_input("the request's sealed key is damaged"))?;
        let aad = Self::aad(&self.relay_key, &self.fingerprint, &self.name, &self.nonce);
        let secret: RequestSecret = serde_json::from_slice(&seal::open(seed, &aad, &sealed)?)
            .map_err(|_| Error::invalid_input("the request's sealed key is damaged"))?;
        LicenseKey::new(&Zeroizing::new(secret.license_key))
    }
}

/// The proof that an offline activation was removed from its machine: the instance, and,
/// sealed to the relay, the key and the removal token that only the machine file, opened on
/// that machine with that key, holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReleaseProof {
    /// The format version (1).
    pub v: u32,
    /// The id of the relay key it is sealed to.
    pub relay_key: String,
    /// The instance whose seat it frees.
    pub instance_id: String,
    sealed: String,
}

/// What a release proof seals.
#[derive(Serialize, Deserialize)]
struct ReleaseSecret {
    license_key: String,
    removal_token: String,
}

impl ReleaseProof {
    /// The armor's kind.
    const KIND: &'static str = "OFFLINE RELEASE";

    fn aad(relay_key: &str, instance_id: &str) -> Vec<u8> {
        format!("keyseat offline release v1\n{relay_key}\n{instance_id}").into_bytes()
    }

    /// The proof that `instance_id` of `key` was removed, with the machine file's token.
    pub(crate) fn make(
        key: &LicenseKey,
        relay: &PinnedKey,
        instance_id: &str,
        removal_token: &str,
    ) -> Result<ReleaseProof, Error> {
        let secret = Zeroizing::new(
            serde_json::to_vec(&ReleaseSecret {
                license_key: key.expose().to_owned(),
                removal_token: removal_token.to_owned(),
            })
            .unwrap_or_default(),
        );
        let sealed = seal::seal(&relay.bytes, &Self::aad(&relay.id, instance_id), &secret)?;
        Ok(ReleaseProof {
            v: VERSION,
            relay_key: relay.id.clone(),
            instance_id: instance_id.to_owned(),
            sealed: BASE64.encode(sealed),
        })
    }

    /// The proof as the text that travels.
    pub fn to_text(&self) -> String {
        armor::wrap(Self::KIND, self)
    }

    /// Reads a proof's text.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] for text that is not a proof of this version.
    pub fn parse(text: &str) -> Result<ReleaseProof, Error> {
        let proof: ReleaseProof = armor::unwrap(Self::KIND, text)?;
        if proof.v != VERSION {
            return Err(Error::invalid_input(format!(
                "a release proof of version {}: this relay reads version {VERSION}",
                proof.v
            )));
        }
        Ok(proof)
    }

    /// The key and the removal token, opened with the relay's key `seed`.
    pub(crate) fn open(&self, seed: &[u8; 32]) -> Result<(LicenseKey, Zeroizing<String>), Error> {
        let sealed = BASE64
            .decode(&self.sealed)
            .map_err(|_| Error::invalid_input("the proof's sealed part is damaged"))?;
        let aad = Self::aad(&self.relay_key, &self.instance_id);
        let secret: ReleaseSecret = serde_json::from_slice(&seal::open(seed, &aad, &sealed)?)
            .map_err(|_| Error::invalid_input("the proof's sealed part is damaged"))?;
        Ok((
            LicenseKey::new(&Zeroizing::new(secret.license_key))?,
            Zeroizing::new(secret.removal_token),
        ))
    }
}
