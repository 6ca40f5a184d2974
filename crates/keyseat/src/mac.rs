//! The MAC every record keyseat writes carries (the cache, the credentials, the trial): a
//! key derived from a label and the parts that bind it (the vendor secret, the license key,
//! the machine), and the short one-way id of the vendor secret written beside it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest as _, Sha256};

use crate::persisted::CACHE_SECRET_ID_LABEL;

/// HMAC-SHA256 keyed by SHA-256 of `label` and each of `parts`, each part preceded by its
/// length (so that no two lists of parts give the same key), ready for the record's bytes.
pub(crate) fn keyed(label: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut kdf = Sha256::new();
    kdf.update(label);
    for part in parts {
        kdf.update((part.len() as u64).to_le_bytes());
        kdf.update(part);
    }
    let key = zeroize::Zeroizing::new(<[u8; 32]>::from(kdf.finalize()));
    <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_ref()).expect("HMAC takes any key length")
}

/// The one-way id of a vendor secret written beside a MAC: 8 bytes of a domain-separated
/// SHA-256, as hex. It reveals only whether two records share a secret.
pub(crate) fn secret_id(vendor_secret: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(CACHE_SECRET_ID_LABEL)
        .chain_update(vendor_secret)
        .finalize();
    hex::encode(&digest[..8])
}

/// Whether `mac` (hex) is the MAC `m` computed, compared in constant time.
pub(crate) fn verifies(m: Hmac<Sha256>, mac: &str) -> bool {
    hex::decode(mac).is_ok_and(|bytes| m.verify_slice(&bytes).is_ok())
}

/// The MAC `m` computed, as hex.
pub(crate) fn to_hex(m: Hmac<Sha256>) -> String {
    hex::encode(m.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_length_prefixed_and_the_label_separates() {
        let mac = |label: &[u8], parts: &[&[u8]]| {
            let mut m = keyed(label, parts);
            m.update(b"record");
            to_hex(m)
        };
        let a = mac(b"l", &[b"ab", b"c"]);
        assert_ne!(a, mac(b"l", &[b"a", b"bc"]));
        assert_ne!(a, mac(b"m", &[b"ab", b"c"]));
        assert_eq!(a, mac(b"l", &[b"ab", b"c"]));
        let mut m = keyed(b"l", &[b"ab", b"c"]);
        m.update(b"record");
        assert!(verifies(m.clone(), &a));
        assert!(!verifies(m.clone(), &a[..62]));
        assert!(!verifies(m, "zz"));
    }

    #[test]
    fn secret_id_is_short_stable_and_distinct() {
        let a = secret_id(b"secret");
        assert_eq!(a.len(), 16);
        assert_eq!(a, secret_id(b"secret"));
        assert_ne!(a, secret_id(b"secreT"));
        assert_ne!(a, secret_id(b""));
        assert!(!a.contains("secret"));
    }
}
