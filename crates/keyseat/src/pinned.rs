//! The Ed25519 public keys an app pins (Keygen's account key, keyseat-relay's keys): read
//! and checked once, with the id keyseat-relay names its keys by.

use sha2::{Digest as _, Sha256};

use crate::error::Error;

/// The id of an Ed25519 public key, as keyseat-relay names it (`ks1-` and 16 hex characters
/// of SHA-256 of the key): the relay signs with it, and clients and offline files name it.
pub fn key_id(public: &[u8]) -> String {
    format!("ks1-{}", hex::encode(&Sha256::digest(public)[..8]))
}

/// An Ed25519 public key an app pins, with its id (`ks1-` and 16 hex characters of SHA-256
/// of the key, the id keyseat-relay signs with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PinnedKey {
    pub id: String,
    pub bytes: [u8; 32],
}

impl PinnedKey {
    /// A key given as 64 hex characters, checked ([`check_public_key`]).
    pub(crate) fn parse(hex_key: &str) -> Result<PinnedKey, Error> {
        let bytes = check_public_key(hex_key)?;
        Ok(PinnedKey {
            id: key_id(&bytes),
            bytes,
        })
    }
}

/// Checks an Ed25519 public key given as hex, and returns its bytes: 32 bytes, the
/// canonical encoding of a point of the curve, and not of small order (with such a key, one
/// signature verifies for every message: the identity `01 00…00` and the other seven points
/// of order 1 to 8). The point is read by curve25519-dalek, the Ed25519 implementation of
/// the RustCrypto and dalek projects, rather than by a table of bad encodings written here.
pub(crate) fn check_public_key(hex_key: &str) -> Result<[u8; 32], Error> {
    let what = "an Ed25519 public key is 64 hexadecimal characters";
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_key.trim(), &mut bytes).map_err(|_| Error::invalid_input(what))?;
    let compressed = curve25519_dalek::edwards::CompressedEdwardsY(bytes);
    let point = compressed.decompress().ok_or_else(|| {
        Error::invalid_input("the public key is not a point of the Ed25519 curve")
    })?;
    if point.compress() != compressed {
        return Err(Error::invalid_input(
            "the public key is not in its canonical encoding",
        ));
    }
    if point.is_small_order() {
        return Err(Error::invalid_input(
            "the public key is a point of small order, with which one signature verifies \
             every message: it is no account's key",
        ));
    }
    Ok(bytes)
}
