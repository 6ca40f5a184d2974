//! The license cache file: what the last online answers were, protected by a MAC.
//!
//! The file is JSON, machine-local, and holds only what the credentials do not: times, the
//! revocation flag, the clock high-water mark and the fingerprint of the machine. Never the
//! key, and nothing the credentials already hold (product, customer), so there is one
//! source of truth for each fact.
//!
//! ```json
//! {"format":"<persisted::CACHE_FORMAT>","version":2,"secret_id":"<16 hex>","record":{…},"mac":"<64 hex>"}
//! ```
//!
//! - `mac` is HMAC-SHA256 over the exact bytes of `record`, keyed by a hash of the vendor
//!   secret, the license key and the machine fingerprint recorded in it. Editing any field,
//!   or pairing the file with another key, breaks the MAC; copying it to another machine
//!   keeps the MAC intact but fails the fingerprint comparison.
//! - `secret_id` is a short one-way id of the vendor secret the file was written with. A
//!   program reading with another secret (`licensectl` without the app's secret, say) is
//!   told exactly that, instead of taking the file for a tampered one. It reveals only
//!   whether two files share a secret; guessing a weak secret from it is no easier than
//!   from the MAC, or from the app binary the secret is compiled into.
//!
//! Version 1 files (release 0.1) still load; the Licensor rewrites them as version 2.

use std::path::Path;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::Sha256;

use crate::error::Error;
use crate::facts::KeyFacts;
use crate::fingerprint::Components;
use crate::key::LicenseKey;

use crate::mac::secret_id;
pub(crate) use crate::persisted::CACHE_FILE;
use crate::persisted::{CACHE_FORMAT as FORMAT, CACHE_MAC_LABEL};
/// The version this release writes.
const VERSION: u32 = 2;
/// The version release 0.1 wrote, still read.
const VERSION_1: u32 = 1;

/// The cached state of one activation. Times are Unix seconds by the local clock. Fields
/// a later release adds are read past (the MAC covers them all), so that an app and an
/// older copy of it share one cache; the 2026-11-23 release still refuses them, and an
/// older copy then rebuilds the cache with one online validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CacheRecord {
    /// The activation the record belongs to.
    pub instance_id: String,
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
    /// The provider of the activation, when it is not Dodo (absent before 0.2, and for
    /// Dodo, so that a Dodo cache stays readable by earlier releases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The seller's account at that provider, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// What the provider last said of the key (its expiry, limit, seats in use,
    /// entitlements), when an answer said any of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<KeyFacts>,
}

/// The record of a version 1 file: the same times, plus copies of facts the credentials
/// hold (which version 2 no longer duplicates).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Most copied facts are read only to accept the exact v1 shape.
struct RecordV1 {
    instance_id: String,
    license_key_id: String,
    key_hint: String,
    product_id: String,
    product_name: Option<String>,
    customer_email: String,
    activated_at: Option<i64>,
    last_validated: i64,
    last_answer: i64,
    last_failure: Option<i64>,
    high_water: i64,
    revoked: bool,
    fingerprint: Components,
}

impl From<RecordV1> for CacheRecord {
    fn from(v1: RecordV1) -> CacheRecord {
        CacheRecord {
            instance_id: v1.instance_id,
            last_validated: v1.last_validated,
            last_answer: v1.last_answer,
            last_failure: v1.last_failure,
            high_water: v1.high_water,
            revoked: v1.revoked,
            fingerprint: v1.fingerprint,
            provider: None,
            account: None,
            facts: None,
        }
    }
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'static str,
    version: u32,
    secret_id: &'a str,
    record: &'a RawValue,
    mac: String,
}

#[derive(Deserialize)]
struct FileIn<'a> {
    format: String,
    version: u32,
    /// Absent in version 1.
    #[serde(default)]
    secret_id: Option<String>,
    #[serde(borrow)]
    record: &'a RawValue,
    mac: String,
}

/// A verified record, and what an older format that should be rewritten said besides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loaded {
    pub record: CacheRecord,
    /// Read from a version 1 file: the facts it kept that version 2 leaves to the
    /// credentials.
    pub legacy: Option<LegacyFacts>,
}

/// What a version 1 record says about the activation beyond the times: compared with
/// credentials of the same release, which carry no MAC of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LegacyFacts {
    /// The license key's id.
    pub license_key_id: String,
    /// The product.
    pub product_id: String,
}

/// Why a cache file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CacheProblem {
    /// There is no cache file.
    Missing,
    /// It is not a keyseat cache of a known version, or not JSON at all.
    Unreadable(String),
    /// It fails its MAC and names another vendor secret than the reader's: written by a
    /// program with another secret, or planted with a made-up id.
    SecretMismatch,
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
) -> Result<Result<Loaded, CacheProblem>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(parse(&bytes, vendor_secret, key)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Err(CacheProblem::Missing)),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Parses and verifies cache bytes of either version. Never panics, whatever the bytes.
pub(crate) fn parse(
    bytes: &[u8],
    vendor_secret: &[u8],
    key: &LicenseKey,
) -> Result<Loaded, CacheProblem> {
    let file: FileIn<'_> = serde_json::from_slice(bytes)
        .map_err(|e| CacheProblem::Unreadable(format!("not a cache file: {e}")))?;
    let unreadable = |why: String| CacheProblem::Unreadable(why);
    if file.format != FORMAT {
        return Err(unreadable(format!(
            "unknown cache format {:?}",
            file.format
        )));
    }
    let (record, legacy) = match (file.version, &file.secret_id) {
        (VERSION, Some(_)) => {
            let record: CacheRecord = serde_json::from_str(file.record.get())
                .map_err(|e| unreadable(format!("bad record: {e}")))?;
            (record, None)
        }
        (VERSION_1, None) => {
            let v1: RecordV1 = serde_json::from_str(file.record.get())
                .map_err(|e| unreadable(format!("bad version 1 record: {e}")))?;
            let facts = LegacyFacts {
                license_key_id: v1.license_key_id.clone(),
                product_id: v1.product_id.clone(),
            };
            (v1.into(), Some(facts))
        }
        (version, _) => return Err(unreadable(format!("unknown cache version {version}"))),
    };
    // The MAC first: the secret's id is believed only of a file that fails it.
    if !crate::mac::verifies(
        mac(vendor_secret, key, &record.fingerprint, file.record.get()),
        &file.mac,
    ) {
        return Err(match &file.secret_id {
            Some(id) if *id != secret_id(vendor_secret) => CacheProblem::SecretMismatch,
            _ => CacheProblem::BadMac,
        });
    }
    Ok(Loaded { record, legacy })
}

/// Serialises and MACs a record in the current format.
pub(crate) fn encode(
    record: &CacheRecord,
    vendor_secret: &[u8],
    key: &LicenseKey,
) -> Result<Vec<u8>, serde_json::Error> {
    let raw = serde_json::value::to_raw_value(record)?;
    let mac = mac(vendor_secret, key, &record.fingerprint, raw.get());
    serde_json::to_vec(&FileOut {
        format: FORMAT,
        version: VERSION,
        secret_id: &secret_id(vendor_secret),
        record: &raw,
        mac: crate::mac::to_hex(mac),
    })
}

/// Writes a record atomically and durably.
pub(crate) fn store(
    path: &Path,
    record: &CacheRecord,
    vendor_secret: &[u8],
    key: &LicenseKey,
) -> Result<(), Error> {
    let bytes = encode(record, vendor_secret, key).map_err(|e| Error::json(path, e))?;
    crate::fsutil::replace(path, &bytes)
}

/// Moves an unusable cache file aside (never deletes it) and returns where it went.
pub(crate) fn set_aside(path: &Path, now: i64) -> Result<std::path::PathBuf, Error> {
    use crate::persisted::SET_ASIDE_EXTENSION;
    let mut target = path.with_extension(format!("{SET_ASIDE_EXTENSION}-{now}"));
    let mut n = 1;
    while target.exists() {
        target = path.with_extension(format!("{SET_ASIDE_EXTENSION}-{now}-{n}"));
        n += 1;
    }
    crate::fsutil::rename(path, &target).map_err(|e| Error::io(path, e))?;
    crate::fsutil::sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(target)
}

/// The MAC of `record`, ready to finalise or verify.
fn mac(vendor_secret: &[u8], key: &LicenseKey, fp: &Components, record: &str) -> Hmac<Sha256> {
    let machine = fp.machine_id.to_hex();
    let parts: [&[u8]; 3] = [vendor_secret, key.expose().as_bytes(), machine.as_bytes()];
    let mut m = crate::mac::keyed(CACHE_MAC_LABEL, &parts);
    m.update(record.as_bytes());
    m
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
            last_validated: 1_700_000_000,
            last_answer: 1_700_000_000,
            last_failure: None,
            high_water: 1_700_000_000,
            revoked: false,
            fingerprint: Fingerprint::from_raw("t", &raw, Confidence::High)
                .components()
                .clone(),
            provider: None,
            account: None,
            facts: None,
        }
    }

    fn key() -> LicenseKey {
        LicenseKey::new("CACHE-TEST-KEY-abcd").unwrap()
    }

    fn current(record: CacheRecord) -> Result<Loaded, CacheProblem> {
        Ok(Loaded {
            record,
            legacy: None,
        })
    }

    #[test]
    fn facts_round_trip_and_a_later_releases_field_is_read_past() {
        let mut with_facts = record();
        with_facts.facts = Some(KeyFacts {
            activation_limit: Some(3),
            activations_used: Some(2),
            ..KeyFacts::default()
        });
        let bytes = encode(&with_facts, b"secret", &key()).unwrap();
        assert_eq!(parse(&bytes, b"secret", &key()), current(with_facts));
        // A field this release does not know, MAC'd by the release that wrote it.
        let mut raw: serde_json::Value = serde_json::to_value(record()).unwrap();
        raw["from_the_future"] = serde_json::json!({"x": 1});
        let raw = serde_json::value::to_raw_value(&raw).unwrap();
        let mac = mac(b"secret", &key(), &record().fingerprint, raw.get());
        let file = serde_json::to_vec(&FileOut {
            format: FORMAT,
            version: VERSION,
            secret_id: &secret_id(b"secret"),
            record: &raw,
            mac: crate::mac::to_hex(mac),
        })
        .unwrap();
        assert_eq!(parse(&file, b"secret", &key()), current(record()));
    }

    #[test]
    fn round_trip_and_no_plaintext_key() {
        let bytes = encode(&record(), b"secret", &key()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(key().expose()));
        assert!(text.contains(r#""version":2"#), "{text}");
        assert_eq!(parse(&bytes, b"secret", &key()), current(record()));
    }

    #[test]
    fn another_secret_is_named_as_such_another_key_fails_the_mac() {
        let bytes = encode(&record(), b"secret", &key()).unwrap();
        assert_eq!(
            parse(&bytes, b"other", &key()),
            Err(CacheProblem::SecretMismatch)
        );
        assert_eq!(
            parse(&bytes, b"", &key()),
            Err(CacheProblem::SecretMismatch)
        );
        let other = LicenseKey::new("CACHE-TEST-KEY-zzzz").unwrap();
        assert_eq!(parse(&bytes, b"secret", &other), Err(CacheProblem::BadMac));
    }

    #[test]
    fn an_edited_secret_id_or_mac_is_never_accepted() {
        let text = String::from_utf8(encode(&record(), b"s", &key()).unwrap()).unwrap();
        let id = secret_id(b"s");
        // The id is a hint read only of a file that fails its MAC: a genuine file with
        // its id edited is still the genuine record.
        let edited = text.replace(&id, &secret_id(b"t"));
        assert_eq!(parse(edited.as_bytes(), b"s", &key()), current(record()));
        // A planted file with a made-up id fails its MAC first: the id then only says
        // another secret may have written it, which the Licensor weighs.
        let planted = edited.replace(
            &text[text.find(r#""mac":""#).unwrap() + 7..][..64],
            &"0".repeat(64),
        );
        assert_eq!(
            parse(planted.as_bytes(), b"s", &key()),
            Err(CacheProblem::SecretMismatch)
        );
        let no_id = text.replace(&format!(r#""secret_id":"{id}","#), "");
        assert!(matches!(
            parse(no_id.as_bytes(), b"s", &key()),
            Err(CacheProblem::Unreadable(_))
        ));
        let mac_at = text.find(r#""mac":""#).unwrap() + 7;
        for bad_mac in ["00", "zz", ""] {
            let mut edited = text.clone();
            edited.replace_range(mac_at..mac_at + 64, bad_mac);
            assert_eq!(
                parse(edited.as_bytes(), b"s", &key()),
                Err(CacheProblem::BadMac)
            );
        }
    }

    /// A version 1 file as release 0.1 wrote it (its `encode`, byte for byte).
    fn v1_file(secret: &[u8], record: &CacheRecord, extra_field: &str) -> Vec<u8> {
        let raw = format!(
            r#"{{"instance_id":"{}","license_key_id":"lic_1","key_hint":"****-abcd","product_id":"pdt_1","product_name":null,"customer_email":"a@b.c","activated_at":1,"last_validated":{},"last_answer":{},"last_failure":null,"high_water":{},"revoked":{}{extra_field},"fingerprint":{}}}"#,
            record.instance_id,
            record.last_validated,
            record.last_answer,
            record.high_water,
            record.revoked,
            serde_json::to_string(&record.fingerprint).unwrap(),
        );
        let mac = crate::mac::to_hex(mac(secret, &key(), &record.fingerprint, &raw));
        format!(r#"{{"format":"{FORMAT}","version":1,"record":{raw},"mac":"{mac}"}}"#).into_bytes()
    }

    #[test]
    fn version_1_files_load_as_legacy() {
        let mut r = record();
        r.revoked = true;
        let bytes = v1_file(b"s", &r, "");
        assert_eq!(
            parse(&bytes, b"s", &key()),
            Ok(Loaded {
                record: r.clone(),
                legacy: Some(LegacyFacts {
                    license_key_id: "lic_1".into(),
                    product_id: "pdt_1".into(),
                })
            })
        );
        // Version 1 has no secret id: another secret is only a bad MAC there.
        assert_eq!(parse(&bytes, b"t", &key()), Err(CacheProblem::BadMac));
        let unknown_field = v1_file(b"s", &r, r#","extra":1"#);
        assert!(matches!(
            parse(&unknown_field, b"s", &key()),
            Err(CacheProblem::Unreadable(_))
        ));
        // A version 2 record under a version 1 header is not accepted either.
        let v2 = String::from_utf8(encode(&r, b"s", &key()).unwrap()).unwrap();
        let relabelled = v2.replace(r#""version":2"#, r#""version":1"#);
        assert!(matches!(
            parse(relabelled.as_bytes(), b"s", &key()),
            Err(CacheProblem::Unreadable(_))
        ));
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
        for (from, to) in [
            (r#""version":2"#, r#""version":99"#),
            (&format!(r#""format":"{FORMAT}""#), r#""format":"other""#),
        ] {
            let edited = text.replace(from, to);
            assert!(matches!(
                parse(edited.as_bytes(), b"s", &key()),
                Err(CacheProblem::Unreadable(_))
            ));
        }
    }

    #[test]
    fn load_tells_missing_from_unreadable_and_store_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CACHE_FILE);
        assert_eq!(
            load(&path, b"s", &key()).unwrap(),
            Err(CacheProblem::Missing)
        );
        // A directory where the file should be is an I/O error, not "missing".
        std::fs::create_dir(&path).unwrap();
        let e = load(&path, b"s", &key()).unwrap_err();
        assert!(matches!(e.kind(), crate::ErrorKind::Io { .. }), "{e:?}");
        std::fs::remove_dir(&path).unwrap();
        store(&path, &record(), b"s", &key()).unwrap();
        assert_eq!(load(&path, b"s", &key()).unwrap(), current(record()));
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
        std::fs::write(&path, b"and again").unwrap();
        let moved3 = set_aside(&path, 42).unwrap();
        assert!(moved != moved2 && moved2 != moved3 && moved != moved3);
        assert_eq!(std::fs::read(&moved).unwrap(), b"garbage");
        assert_eq!(std::fs::read(&moved2).unwrap(), b"again");
        assert_eq!(std::fs::read(&moved3).unwrap(), b"and again");
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
                    prop_assert_eq!(parsed, current(record()).unwrap());
                }
            }
        }
    }
}
