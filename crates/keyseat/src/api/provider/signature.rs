//! Signed answers, as Keygen signs them and keyseat-relay does too (draft-cavage HTTP
//! signatures): a `Date`, a `Digest: sha-256=<base64>` of the body, and an Ed25519 signature
//! over the request's target, the host, the date and the digest, by a key the app pins.
//! An answer that fails any check is [`ErrorKind::BadSignature`]: no answer at all.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};

use super::Received;
use crate::error::{Error, ErrorKind};
pub(crate) use crate::pinned::{PinnedKey, check_public_key};

/// How far an answer's `Date` may be from this machine's clock, in seconds.
pub(crate) const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// The error of an answer that fails its checks.
pub(crate) fn bad_signature(detail: impl Into<String>) -> Error {
    Error::new(ErrorKind::BadSignature(detail.into()))
}

/// How one provider's answers are checked.
pub(crate) struct Signer<'a> {
    /// The header carrying the signature (`keygen-signature`, `keyseat-signature`).
    pub header: &'a str,
    /// The keys that may have signed.
    pub keys: Vec<PinnedKey>,
    /// Whether the signature names its key (`keyid`), which must be one of `keys`; otherwise
    /// any of `keys` may verify it (Keygen's key id is the account's, not the key's).
    pub by_id: bool,
}

impl Signer<'_> {
    /// Checks a signed answer as at `now` (Unix seconds).
    pub(crate) fn verify(&self, received: &Received<'_>, now: i64) -> Result<(), Error> {
        let header = |name: &str| {
            received
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| bad_signature(format!("no {name} header")))
        };
        let params = signature_params(header(self.header)?);
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| bad_signature(format!("the signature has no {name}")))
        };
        if !param("algorithm")?.eq_ignore_ascii_case("ed25519") {
            return Err(bad_signature("the signature is not Ed25519"));
        }
        let digest = header("digest")?;
        let body_digest = format!("sha-256={}", BASE64.encode(Sha256::digest(received.body)));
        if digest != body_digest {
            return Err(bad_signature(
                "the body is not the one signed (digest mismatch)",
            ));
        }
        let date = header("date")?;
        let when = jiff::fmt::rfc2822::parse(date)
            .map_err(|_| bad_signature(format!("unreadable date {date:?}")))?
            .timestamp()
            .as_second();
        let skew = (when - now).abs();
        if skew > MAX_SKEW_SECONDS {
            return Err(bad_signature(format!(
                "the answer is dated {skew} s from this machine's clock (at most \
                 {MAX_SKEW_SECONDS} s)"
            )));
        }
        let signature = BASE64
            .decode(param("signature")?)
            .map_err(|_| bad_signature("the signature is not base64"))?;
        let message = format!(
            "(request-target): {} {}\nhost: {}\ndate: {date}\ndigest: {digest}",
            received.method, received.target, received.host
        );
        let candidates: Vec<&PinnedKey> = if self.by_id {
            let id = param("keyid")?;
            let named: Vec<_> = self.keys.iter().filter(|k| k.id == id).collect();
            if named.is_empty() {
                return Err(bad_signature(format!(
                    "the answer is signed by key {id}, which this app does not pin"
                )));
            }
            named
        } else {
            self.keys.iter().collect()
        };
        let verifies = |key: &&PinnedKey| {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key.bytes)
                .verify(message.as_bytes(), &signature)
                .is_ok()
        };
        if candidates.iter().any(verifies) {
            Ok(())
        } else {
            Err(bad_signature(
                "the signature does not verify with the pinned key",
            ))
        }
    }
}

/// The parameters of a signature header: `name="value"` pairs.
pub(crate) fn signature_params(header: &str) -> Vec<(&str, &str)> {
    header
        .split(',')
        .filter_map(|part| {
            let (name, value) = part.trim().split_once('=')?;
            Some((name.trim(), value.trim().trim_matches('"')))
        })
        .collect()
}
