//! Keygen's answer signatures: `Date`, `Digest: sha-256=<base64>` of the body, and
//! `Keygen-Signature` over `(request-target)`, `host`, `date` and `digest` with the
//! account's Ed25519 key, as keygen-api's `SignatureMethods` makes them.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{Ed25519KeyPair, KeyPair as _};

/// An Ed25519 signing key, from a 32-byte seed.
pub struct SigningKey {
    pair: Ed25519KeyPair,
}

impl SigningKey {
    /// The key of `seed`.
    ///
    /// # Errors
    /// When ring refuses the seed (never for 32 bytes).
    pub fn from_seed(seed: &[u8; 32]) -> std::io::Result<SigningKey> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| std::io::Error::other(format!("Ed25519 seed: {e}")))?;
        Ok(SigningKey { pair })
    }

    /// A new random key.
    ///
    /// # Errors
    /// When the operating system's random source fails.
    pub fn generate() -> std::io::Result<SigningKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| std::io::Error::other(e.to_string()))?;
        SigningKey::from_seed(&seed)
    }

    /// The public key, as the 64 hexadecimal characters a client is given.
    pub fn public_hex(&self) -> String {
        hex::encode(self.pair.public_key().as_ref())
    }
}

/// What an answer is signed for: the request it answers.
#[derive(Clone)]
pub struct SignFor {
    /// The signing key.
    pub key: Arc<SigningKey>,
    /// The request's method, lower-case.
    pub method: String,
    /// The `Host` the request named.
    pub host: String,
    /// The request's path and query.
    pub target: String,
}

impl std::fmt::Debug for SignFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SignFor({} {} on {})",
            self.method, self.target, self.host
        )
    }
}

/// The three headers of an answer with `body`, dated `date` (Unix seconds).
pub fn headers(sign: &SignFor, body: &[u8], date: i64) -> Vec<(String, String)> {
    let date = http_date(date);
    let digest = format!("sha-256={}", BASE64.encode(sha256(body)));
    let message = format!(
        "(request-target): {} {}\nhost: {}\ndate: {date}\ndigest: {digest}",
        sign.method, sign.target, sign.host
    );
    let signature = BASE64.encode(sign.key.pair.sign(message.as_bytes()).as_ref());
    vec![
        ("Date".into(), date),
        ("Digest".into(), digest),
        (
            "Keygen-Signature".into(),
            format!(
                r#"keyid="emulator", algorithm="ed25519", signature="{signature}", headers="(request-target) host date digest""#
            ),
        ),
    ]
}

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// An HTTP date (`Wed, 02 Dec 2026 10:00:00 GMT`).
fn http_date(unix: i64) -> String {
    let t = jiff::Timestamp::from_second(unix).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_keys() {
        assert_eq!(http_date(1_764_669_600), "Tue, 02 Dec 2025 10:00:00 GMT");
        let seed = [7u8; 32];
        let a = SigningKey::from_seed(&seed).unwrap();
        assert_eq!(
            a.public_hex(),
            SigningKey::from_seed(&seed).unwrap().public_hex()
        );
        assert_eq!(a.public_hex().len(), 64);
        assert_ne!(a.public_hex(), SigningKey::generate().unwrap().public_hex());
    }
}
