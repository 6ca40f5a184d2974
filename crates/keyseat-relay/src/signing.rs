//! The relay's Ed25519 signing keys, and the signature of an answer
//! (`docs/relay-protocol.md`): `Date`, `Digest` and `Keyseat-Signature` over the request's
//! target, the host, the date and the digest.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyseat::offline::RelaySecret;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::config::Secret;

/// One signing key, with its id (`ks1-` and 16 hex characters of SHA-256 of its public key,
/// as the client computes it from the key it pins).
pub struct SigningKey {
    id: String,
    pair: Ed25519KeyPair,
    /// The same key, for offline activation: it opens requests sealed to it and signs
    /// machine files.
    offline: RelaySecret,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("id", &self.id).finish()
    }
}

impl SigningKey {
    /// The key of a 32-byte seed written as 64 hex characters.
    ///
    /// # Errors
    /// When the text is not 64 hex characters.
    pub fn from_hex(seed: &Secret) -> Result<SigningKey, String> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(seed.expose(), bytes.as_mut())
            .map_err(|_| "a signing key is 64 hexadecimal characters".to_owned())?;
        let pair = Ed25519KeyPair::from_seed_unchecked(bytes.as_ref())
            .map_err(|_| "not an Ed25519 seed".to_owned())?;
        let id = key_id(pair.public_key().as_ref());
        let offline = RelaySecret::from_seed(&bytes).map_err(|e| e.to_string())?;
        Ok(SigningKey { id, pair, offline })
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The public key, as the 64 hex characters an app pins.
    pub fn public_hex(&self) -> String {
        hex::encode(self.pair.public_key().as_ref())
    }
}

/// The id of a public key: the core's, which clients compute from the keys they pin.
pub use keyseat::api::relay_key_id as key_id;

/// The relay's keys, the first the one it prefers.
#[derive(Debug)]
pub struct SigningKeys(Vec<SigningKey>);

impl SigningKeys {
    /// The keys, in order of preference.
    ///
    /// # Errors
    /// When there are none.
    pub fn new(keys: Vec<SigningKey>) -> Result<SigningKeys, String> {
        if keys.is_empty() {
            return Err("at least one signing key is needed".into());
        }
        Ok(SigningKeys(keys))
    }

    /// The key to sign an answer with: the first a client's `Keyseat-Accept-Signature`
    /// names, else the first (which such a client will refuse, as it should).
    pub fn choose(&self, accepted: Option<&str>) -> &SigningKey {
        let accepted = accepted.unwrap_or_default();
        self.0
            .iter()
            .find(|k| accepted.contains(&format!("keyid=\"{}\"", k.id)))
            .unwrap_or(&self.0[0])
    }

    /// The key named `id`, for offline activation (a request names the key it is sealed
    /// to; its machine file is signed with the same).
    pub fn offline(&self, id: &str) -> Option<&RelaySecret> {
        self.0.iter().find(|k| k.id == id).map(|k| &k.offline)
    }

    /// Every public key, as hex.
    pub fn public_keys(&self) -> Vec<String> {
        self.0.iter().map(SigningKey::public_hex).collect()
    }
}

/// The headers that sign `body` as the answer to `method` `target` on `host`, at `now`.
pub fn sign(
    key: &SigningKey,
    method: &str,
    target: &str,
    host: &str,
    body: &[u8],
    now: jiff::Timestamp,
) -> Vec<(&'static str, String)> {
    let date = now.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let digest = format!("sha-256={}", BASE64.encode(Sha256::digest(body)));
    let message = format!(
        "(request-target): {} {target}\nhost: {host}\ndate: {date}\ndigest: {digest}",
        method.to_ascii_lowercase()
    );
    let signature = BASE64.encode(key.pair.sign(message.as_bytes()).as_ref());
    let header = format!(
        "keyid=\"{}\", algorithm=\"ed25519\", signature=\"{signature}\", headers=\"(request-target) host date digest\"",
        key.id
    );
    vec![
        ("date", date),
        ("digest", digest),
        ("keyseat-signature", header),
    ]
}

/// Writes a new signing key (a random seed, as 64 hex characters, readable only by its
/// owner) to `path`, which must not exist, and returns the key.
///
/// # Errors
/// When the file exists or cannot be written, or the OS has no randomness.
pub fn keygen(path: &Path) -> Result<SigningKey, String> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| format!("no randomness: {e}"))?;
    let text = Secret::new(&hex::encode(seed.as_ref()));
    let key = SigningKey::from_hex(&text)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(file, "{}", text.expose())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_ids_and_the_client_chooses_among_them() {
        let a = SigningKey::from_hex(&Secret::new(&"11".repeat(32))).unwrap();
        let b = SigningKey::from_hex(&Secret::new(&"22".repeat(32))).unwrap();
        assert!(a.id().starts_with("ks1-") && a.id().len() == 20);
        assert_ne!(a.id(), b.id());
        // The public key of the seed 0x11…, computed by Python's cryptography.
        assert_eq!(
            a.public_hex(),
            "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737"
        );
        let (ida, idb) = (a.id().to_owned(), b.id().to_owned());
        let keys = SigningKeys::new(vec![a, b]).unwrap();
        assert_eq!(keys.choose(None).id(), ida);
        assert_eq!(keys.choose(Some(&format!("keyid=\"{idb}\""))).id(), idb);
        assert_eq!(keys.choose(Some("keyid=\"ks1-other\"")).id(), ida);
        assert!(SigningKeys::new(Vec::new()).is_err());
        assert!(SigningKey::from_hex(&Secret::new("abc")).is_err());
        assert!(!format!("{keys:?}").contains(&"11".repeat(32)));
    }

    #[test]
    fn keygen_writes_a_private_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        let key = keygen(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let again = SigningKey::from_hex(&Secret::new(&text)).unwrap();
        assert_eq!(again.public_hex(), key.public_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(
            keygen(&path).is_err(),
            "an existing key is never overwritten"
        );
    }
}
