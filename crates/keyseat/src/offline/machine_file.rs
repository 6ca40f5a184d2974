//! The machine file: what the relay grants a machine that never goes online. Its grant is
//! encrypted with a key derived from the license key and the machine's fingerprint (as
//! Keygen's machine files are), so that only that key on that machine reads it, and the
//! encryption is signed with the relay's Ed25519 key, so that nothing else can write one.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::signature::{ED25519, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::{OfflineGrant, armor};
use crate::error::{Error, ErrorKind};
use crate::key::LicenseKey;
use crate::pinned::PinnedKey;

/// The armor's kind.
const KIND: &str = "MACHINE FILE";
/// The format version.
const VERSION: u32 = 1;

/// A machine file as it travels: the signing key's id, the encrypted grant, the signature.
#[derive(Serialize, Deserialize)]
struct Sealed {
    v: u32,
    kid: String,
    enc: String,
    sig: String,
}

/// What the signature covers: the key's id and the encrypted grant, as sent.
fn signed_message(kid: &str, enc: &str) -> Vec<u8> {
    format!("keyseat machine file v1\n{kid}\n{enc}").into_bytes()
}

/// The grant's key: SHA-256 of a label, the license key and the fingerprint.
fn grant_key(key: &LicenseKey, fingerprint: &str) -> Result<LessSafeKey, Error> {
    let digest: Zeroizing<[u8; 32]> = Zeroizing::new(
        Sha256::new()
            .chain_update(b"keyseat machine file v1\0")
            .chain_update(key.expose().as_bytes())
            .chain_update(b"\0")
            .chain_update(fingerprint.as_bytes())
            .finalize()
            .into(),
    );
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, digest.as_ref())
        .map_err(|_| Error::invalid_input("the machine file's key is unusable"))?;
    Ok(LessSafeKey::new(unbound))
}

/// The machine file of `grant` for `key`, signed with `sign` (a signature of the message
/// under the key `kid`).
pub(super) fn issue(
    grant: &OfflineGrant,
    key: &LicenseKey,
    kid: &str,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Result<String, Error> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| Error::new(ErrorKind::Random(e.to_string())))?;
    let mut sealed = serde_json::to_vec(grant).unwrap_or_default();
    grant_key(key, &grant.fingerprint)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(kid.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| Error::invalid_input("the grant could not be sealed"))?;
    let mut enc = nonce.to_vec();
    enc.extend_from_slice(&sealed);
    let enc = BASE64.encode(enc);
    let sig = BASE64.encode(sign(&signed_message(kid, &enc)));
    Ok(armor::wrap(
        KIND,
        &Sealed {
            v: VERSION,
            kid: kid.to_owned(),
            enc,
            sig,
        },
    ))
}

/// The grant of the machine file `text`, for `key` on the machine `fingerprint`, signed by
/// one of `pinned`.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for text that is no machine file, or one for another key or
/// another machine; [`ErrorKind::BadSignature`] when no pinned key signed it (or it was
/// changed).
pub(crate) fn read(
    text: &str,
    key: &LicenseKey,
    fingerprint: &str,
    pinned: &[PinnedKey],
) -> Result<OfflineGrant, Error> {
    let file: Sealed = armor::unwrap(KIND, text)?;
    if file.v != VERSION {
        return Err(Error::invalid_input(format!(
            "a machine file of version {}: this release reads version {VERSION}",
            file.v
        )));
    }
    let signer = pinned.iter().find(|k| k.id == file.kid).ok_or_else(|| {
        Error::new(ErrorKind::BadSignature(format!(
            "the machine file is signed by {}, which this app does not pin",
            file.kid
        )))
    })?;
    let sig = BASE64.decode(&file.sig).unwrap_or_default();
    UnparsedPublicKey::new(&ED25519, &signer.bytes)
        .verify(&signed_message(&file.kid, &file.enc), &sig)
        .map_err(|_| {
            Error::new(ErrorKind::BadSignature(
                "the machine file's signature does not verify: it was changed, or not \
                 written by the relay"
                    .into(),
            ))
        })?;
    let enc = BASE64
        .decode(&file.enc)
        .map_err(|_| Error::invalid_input("the machine file is damaged"))?;
    if enc.len() < NONCE_LEN {
        return Err(Error::invalid_input("the machine file is damaged"));
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&enc[..NONCE_LEN]);
    let mut grant = Zeroizing::new(enc[NONCE_LEN..].to_vec());
    let len = grant_key(key, fingerprint)?
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(file.kid.as_bytes()),
            grant.as_mut_slice(),
        )
        .map_err(|_| {
            Error::invalid_input("this machine file is for another machine or another license key")
        })?
        .len();
    let grant: OfflineGrant = serde_json::from_slice(&grant[..len])
        .map_err(|e| Error::invalid_input(format!("the machine file's grant is damaged: {e}")))?;
    if grant.fingerprint != fingerprint || grant.key_hash != crate::api::relay_key_hash(key) {
        return Err(Error::invalid_input(
            "this machine file is for another machine or another license key",
        ));
    }
    Ok(grant)
}
