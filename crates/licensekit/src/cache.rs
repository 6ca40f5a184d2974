//! The license cache file: what the last online answers were, protected by a MAC.
//!
//! The file is JSON, machine-local, and holds state, never the key:
//!
//! ```json
//! {"format":"licensekit-cache","version":1,"record":{…},"mac":"<64 hex>"}
//! ```
//!
//! `mac` is HMAC-SHA256 over the exact bytes of `record`, keyed by a hash of the vendor
//! secret, the license key and the machine fingerprint recorded in it. Editing any field,
//! or pairing the file with another key, breaks the MAC; copying it to another machine keeps
//! the MAC intact but fails the fingerprint comparison.

use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::fingerprint::Components;
use crate::key::LicenseKey;

/// Name of the cache file in the data directory.
pub const CACHE_FILE: &str = "license.json";
/// The `format` value.
const FORMAT: &str = "licensekit-cache";
/// The current `version`.
const VERSION: u32 = 1;

/// The cached state of one activation. Times are Unix seconds by the local clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CacheRecord {
    pub instance_id: String,
    pub license_key_id: String,
    /// The redacted key (`****-8f43`), for display.
    pub key_hint: String,
    pub product_id: String,
    pub product_name: Option<String>,
    pub customer_email: String,
    pub activated_at: Option<i64>,
    /// Last time the server said "valid": the start of the grace period.
    pub last_validated: i64,
    /// Last time the server gave a definite answer (valid or not): freshness.
    pub last_answer: i64,
    /// Last failed attempt to reach the server since the last answer.
    pub last_failure: Option<i64>,
    /// Latest wall-clock time seen: the clock-rollback guard.
    pub high_water: i64,
    /// The server said the key or instance is no longer valid.
    pub revoked: bool,
    /// The fingerprint of the machine the record belongs to.
    pub fingerprint: Components,
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'static str,
    version: u32,
    record: &'a RawValue,
    mac: String,
}

#[derive(Deserialize)]
struct FileIn<'a> {
    format: String,
    version: u32,
    #[serde(borrow)]
    record: &'a RawValue,
    mac: String,
}

/// Why a cache file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CacheProblem {
    /// There is no cache file.
    Missing,
    /// It is not a licensekit cache of a known version, or not JSON at all.
    Unreadable(String),
    /// It parses but its MAC does not verify (edited, or another key's).
    BadMac,
    /// It is genuine but records another activation of the key than the credentials hold.
    OtherInstance,
}

/// Loads and verifies the cache at `path`.
pub(crate) fn load(
    path: &Path,
    vendor_secret: &[u8],
    key: &LicenseKey,
) -> Result<Result<CacheRecord, CacheProblem>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(parse(&bytes, vendor_secret, key)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Err(CacheProblem::Missing)),
        Err(e) => Err(Error::io(path, &e)),
    }
}

/// Parses and verifies cache bytes. Never panics, whatever the bytes.
pub(crate) fn parse(
    bytes: &[u8],
    vendor_secret: &[u8],
    key: &LicenseKey,
) -> Result<CacheRecord, CacheProblem> {
    let file: FileIn<'_> = serde_json::from_slice(bytes)
        .map_err(|e| CacheProblem::Unreadable(format!("not a cache file: {e}")))?;
    if file.format != FORMAT || file.version != VERSION {
        return Err(CacheProblem::Unreadable(format!(
            "unknown cache format {:?} version {}",
            file.format, file.version
        )));
    }
    let record: CacheRecord = serde_json::from_str(file.record.get())
        .map_err(|e| CacheProblem::Unreadable(format!("bad record: {e}")))?;
    let expected = mac(
        vendor_secret,
        key,
        &record.fingerprint,
        file.record.get().as_bytes(),
    );
    if !constant_time_eq(expected.as_bytes(), file.mac.as_bytes()) {
        return Err(CacheProblem::BadMac);
    }
    Ok(record)
}

/// Serialises and MACs a record.
pub(crate) fn encode(
    record: &CacheRecord,
    vendor_secret: &[u8],
    key: &LicenseKey,
) -> Result<Vec<u8>, serde_json::Error> {
    let raw = serde_json::value::to_raw_value(record)?;
    let mac = mac(
        vendor_secret,
        key,
        &record.fingerprint,
        raw.get().as_bytes(),
    );
    serde_json::to_vec(&FileOut {
        format: FORMAT,
        version: VERSION,
        record: &raw,
        mac,
    })
}

/// Writes a record atomically and durably.
pub(crate) fn store(
    path: &Path,
    record: &CacheRecord,
    vendor_secret: &[u8],
    key: &LicenseKey,
) -> Result<(), Error> {
    let bytes = encode(record, vendor_secret, key)
        .map_err(|e| Error::io(path, &std::io::Error::other(e.to_string())))?;
    crate::fsutil::replace(path, &bytes)
}

/// Moves an unusable cache file aside (never deletes it) and returns where it went.
pub(crate) fn set_aside(path: &Path, now: i64) -> Result<std::path::PathBuf, Error> {
    let mut target = path.with_extension(format!("json.corrupt-{now}"));
    let mut n = 1;
    while target.exists() {
        target = path.with_extension(format!("json.corrupt-{now}-{n}"));
        n += 1;
    }
    std::fs::rename(path, &target).map_err(|e| Error::io(path, &e))?;
    crate::fsutil::sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(target)
}

fn mac(vendor_secret: &[u8], key: &LicenseKey, fp: &Components, record: &[u8]) -> String {
    let mut kdf = Sha256::new();
    kdf.update(b"licensekit cache mac v1\0");
    for part in [
        vendor_secret,
        key.expose().as_bytes(),
        fp.machine_id.to_hex().as_bytes(),
    ] {
        kdf.update((part.len() as u64).to_le_bytes());
        kdf.update(part);
    }
    let mac_key = zeroize::Zeroizing::new(<[u8; 32]>::from(kdf.finalize()));
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(mac_key.as_ref())
        .expect("HMAC takes any key length");
    m.update(record);
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fingerprint::{Confidence, Fingerprint, RawComponents};

    pub(crate) fn record() -> CacheRecord {
        let raw = RawComponents {
            machine_id: "m".into(),
            hostname: Some("h".into()),
            os: None,
            cpu: None,
            ram_gib: Some(8),
            mac: None,
        };
        CacheRecord {
            instance_id: "lki_1".into(),
            license_key_id: "lic_1".into(),
            key_hint: "****-abcd".into(),
            product_id: "pdt_1".into(),
            product_name: None,
            customer_email: "a@b.c".into(),
            activated_at: Some(1),
            last_validated: 1_700_000_000,
            last_answer: 1_700_000_000,
            last_failure: None,
            high_water: 1_700_000_000,
            revoked: false,
            fingerprint: Fingerprint::from_raw("t", &raw, Confidence::High)
                .components()
                .clone(),
        }
    }

    fn key() -> LicenseKey {
        LicenseKey::new("CACHE-TEST-KEY-abcd").unwrap()
    }

    #[test]
    fn round_trip_and_no_plaintext_key() {
        let bytes = encode(&record(), b"secret", &key()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(key().expose()));
        assert_eq!(parse(&bytes, b"secret", &key()).unwrap(), record());
    }

    #[test]
    fn wrong_secret_or_key_fails_the_mac() {
        let bytes = encode(&record(), b"secret", &key()).unwrap();
        assert_eq!(parse(&bytes, b"other", &key()), Err(CacheProblem::BadMac));
        let other = LicenseKey::new("CACHE-TEST-KEY-zzzz").unwrap();
        assert_eq!(parse(&bytes, b"secret", &other), Err(CacheProblem::BadMac));
    }

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        for bad in [
            &b""[..],
            b"{",
            b"null",
            b"[]",
            b"{\"format\":1}",
            &[0xff, 0xfe, 0],
        ] {
            assert!(matches!(
                parse(bad, b"s", &key()),
                Err(CacheProblem::Unreadable(_))
            ));
        }
        let bytes = encode(&record(), b"s", &key()).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let truncated = &text[..text.len() / 2];
        assert!(matches!(
            parse(truncated.as_bytes(), b"s", &key()),
            Err(CacheProblem::Unreadable(_))
        ));
        let future = text.replace("\"version\":1", "\"version\":99");
        assert!(matches!(
            parse(future.as_bytes(), b"s", &key()),
            Err(CacheProblem::Unreadable(_))
        ));
    }

    #[test]
    fn set_aside_keeps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CACHE_FILE);
        std::fs::write(&path, b"garbage").unwrap();
        let moved = set_aside(&path, 42).unwrap();
        assert!(!path.exists());
        assert_eq!(std::fs::read(&moved).unwrap(), b"garbage");
        std::fs::write(&path, b"again").unwrap();
        let moved2 = set_aside(&path, 42).unwrap();
        assert_ne!(moved, moved2);
    }

    mod hostile {
        use super::*;
        use crate::proptest_config::{config, mutated};
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                prop_assert!(parse(&bytes, b"s", &key()).is_err());
            }

            #[test]
            fn edited_cache_is_detected(bytes in mutated(encode(&record(), b"s", &key()).unwrap())) {
                // Whitespace outside the record can parse; any accepted file must carry the
                // original record.
                if let Ok(parsed) = parse(&bytes, b"s", &key()) {
                    prop_assert_eq!(parsed, record());
                }
            }
        }
    }
}
