//! Sealing to an Ed25519 key: what only the holder of the key's seed can open, as age and
//! libsodium's sealed boxes do. The Ed25519 public key is read as the X25519 key of the same
//! curve (its Montgomery form), an ephemeral X25519 key agrees a secret with it, HKDF-SHA256
//! turns that into a key, and ChaCha20-Poly1305 seals the message with associated data.
//! The seed's holder derives the X25519 secret as Ed25519 itself does (SHA-512 of the seed,
//! clamped). curve25519-dalek does the curve; ring the KDF and the AEAD.

use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::montgomery::MontgomeryPoint;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, KeyType, Salt};
use sha2::{Digest as _, Sha512};
use zeroize::Zeroizing;

use crate::error::Error;

/// The HKDF info of a seal.
const INFO: &[u8] = b"keyseat seal v1";
/// The length of the ephemeral public key before the ciphertext.
const EPHEMERAL: usize = 32;

/// HKDF output of 32 bytes.
struct KeyLen;

impl KeyType for KeyLen {
    fn len(&self) -> usize {
        32
    }
}

/// The X25519 form of an Ed25519 public key (checked by [`crate::pinned`] when pinned).
fn montgomery(ed25519: &[u8; 32]) -> Result<MontgomeryPoint, Error> {
    let point = CompressedEdwardsY(*ed25519)
        .decompress()
        .ok_or_else(|| Error::invalid_input("the relay's key is not a point of the curve"))?;
    if point.is_small_order() {
        return Err(Error::invalid_input("the relay's key is of small order"));
    }
    Ok(point.to_montgomery())
}

/// The AEAD key of a seal: HKDF of the shared secret, salted with both public keys.
fn aead_key(
    shared: &MontgomeryPoint,
    ephemeral: &MontgomeryPoint,
    recipient: &MontgomeryPoint,
) -> Result<LessSafeKey, Error> {
    if shared.as_bytes() == &[0u8; 32] {
        return Err(Error::invalid_input(
            "no secret can be agreed with that key",
        ));
    }
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral.as_bytes());
    salt[32..].copy_from_slice(recipient.as_bytes());
    let prk = Salt::new(HKDF_SHA256, &salt).extract(shared.as_bytes());
    let mut key = Zeroizing::new([0u8; 32]);
    prk.expand(&[INFO], KeyLen)
        .and_then(|okm| okm.fill(key.as_mut()))
        .map_err(|_| Error::invalid_input("the seal's key could not be derived"))?;
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, key.as_ref())
        .map_err(|_| Error::invalid_input("the seal's key is unusable"))?;
    Ok(LessSafeKey::new(unbound))
}

/// Seals `message` (with `aad`, which is not secret but must not change) to the holder of the
/// Ed25519 key `recipient`: the ephemeral public key, then the ciphertext and its tag.
///
/// # Errors
/// [`crate::ErrorKind::InvalidInput`] for a key that is no usable point;
/// [`crate::ErrorKind::Random`] when the OS has no randomness.
pub(crate) fn seal(recipient: &[u8; 32], aad: &[u8], message: &[u8]) -> Result<Vec<u8>, Error> {
    let recipient = montgomery(recipient)?;
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(secret.as_mut())
        .map_err(|e| Error::new(crate::ErrorKind::Random(e.to_string())))?;
    let ephemeral = MontgomeryPoint::mul_base_clamped(*secret);
    let shared = recipient.mul_clamped(*secret);
    let key = aead_key(&shared, &ephemeral, &recipient)?;
    let mut out = ephemeral.as_bytes().to_vec();
    let mut sealed = message.to_vec();
    // One key per message (a fresh ephemeral key): a fixed nonce is safe.
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key([0u8; 12]),
        Aad::from(aad),
        &mut sealed,
    )
    .map_err(|_| Error::invalid_input("the message could not be sealed"))?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens what [`seal`] sealed to the public key of the Ed25519 `seed`.
///
/// # Errors
/// [`crate::ErrorKind::InvalidInput`] when it was not sealed to this key, or was changed
/// (its message, its associated data or its ephemeral key).
pub(crate) fn open(
    seed: &[u8; 32],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let not_ours = || Error::invalid_input("it was not sealed to this relay's key, or was changed");
    if sealed.len() < EPHEMERAL + CHACHA20_POLY1305.tag_len() {
        return Err(not_ours());
    }
    let hash: Zeroizing<[u8; 64]> = Zeroizing::new(Sha512::digest(seed).into());
    let mut scalar = Zeroizing::new([0u8; 32]);
    scalar.copy_from_slice(&hash[..32]);
    let recipient = MontgomeryPoint::mul_base_clamped(*scalar);
    let mut ephemeral = [0u8; 32];
    ephemeral.copy_from_slice(&sealed[..EPHEMERAL]);
    let ephemeral = MontgomeryPoint(ephemeral);
    let shared = ephemeral.mul_clamped(*scalar);
    let key = aead_key(&shared, &ephemeral, &recipient).map_err(|_| not_ours())?;
    let mut message = Zeroizing::new(sealed[EPHEMERAL..].to_vec());
    let len = key
        .open_in_place(
            Nonce::assume_unique_for_key([0u8; 12]),
            Aad::from(aad),
            message.as_mut_slice(),
        )
        .map_err(|_| not_ours())?
        .len();
    message.truncate(len);
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair as _};

    fn public(seed: &[u8; 32]) -> [u8; 32] {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).unwrap();
        pair.public_key().as_ref().try_into().unwrap()
    }

    #[test]
    fn only_the_seed_opens_and_nothing_may_change() {
        let (seed, other) = ([7u8; 32], [8u8; 32]);
        let sealed = seal(&public(&seed), b"aad", b"the license key").unwrap();
        assert_eq!(
            open(&seed, b"aad", &sealed).unwrap().as_slice(),
            b"the license key"
        );
        assert!(open(&other, b"aad", &sealed).is_err(), "another key");
        assert!(
            open(&seed, b"other aad", &sealed).is_err(),
            "other associated data"
        );
        for at in [0, 31, 32, sealed.len() - 1] {
            let mut changed = sealed.clone();
            changed[at] ^= 1;
            assert!(
                open(&seed, b"aad", &changed).is_err(),
                "a bit flipped at {at}"
            );
        }
        assert!(open(&seed, b"aad", &sealed[..40]).is_err(), "cut short");
        let again = seal(&public(&seed), b"aad", b"the license key").unwrap();
        assert_ne!(again, sealed, "a fresh ephemeral key every time");
        // The identity, of small order: nothing is sealed to it.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(seal(&identity, b"aad", b"x").is_err());
    }
}
