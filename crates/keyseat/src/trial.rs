//! The trial record: when this machine's local trial started and ends, protected by a MAC.
//!
//! ```json
//! {"format":"keyseat-trial","version":1,"secret_id":"<16 hex>","record":{…},"mac":"<64 hex>"}
//! ```
//!
//! - `record` holds the start and end (Unix seconds), the latest time a check has seen (the
//!   clock-rollback guard), and the fingerprint of the machine the trial belongs to.
//! - `mac` is HMAC-SHA256 over the exact bytes of `record`, keyed by a hash of the vendor
//!   secret and the recorded machine-ID component: editing any field breaks it, and a copy
//!   moved to another machine keeps its MAC but fails the fingerprint comparison (so it is
//!   told apart from a forged one).
//! - `secret_id` names the vendor secret, as in the license cache, so that a program with
//!   another secret is told so instead of taking the record for a forged one.
//!
//! The record holds no license key. The Licensor keeps two copies (the data directory and
//! the OS credential store; `licensor::trial`).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::Sha256;

use crate::fingerprint::Components;
use crate::mac::{secret_id, to_hex, verifies};
use crate::persisted::{TRIAL_FORMAT, TRIAL_MAC_LABEL};

/// The version this release writes.
const VERSION: u32 = 1;

/// One machine's trial. Times are Unix seconds by the local clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrialRecord {
    /// When the trial started.
    pub start: i64,
    /// When it ends: the start plus the trial length, in whole days of 86 400 seconds.
    pub end: i64,
    /// Latest wall-clock time a check has seen: the clock-rollback guard.
    pub high_water: i64,
    /// The machine the trial belongs to.
    pub fingerprint: Components,
}

impl TrialRecord {
    /// A trial of `days` days starting at `now` on the machine `fingerprint`.
    pub fn start(now: i64, days: u32, fingerprint: &Components) -> TrialRecord {
        TrialRecord {
            start: now,
            end: now.saturating_add(i64::from(days) * 86_400),
            high_water: now,
            fingerprint: fingerprint.clone(),
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
    secret_id: String,
    #[serde(borrow)]
    record: &'a RawValue,
    mac: String,
}

/// Why a trial record could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TrialProblem {
    /// Not a trial record of a known version, or not JSON.
    Unreadable(String),
    /// It fails its MAC and names another vendor secret than the reader's: written by a
    /// program with another secret, or planted with a made-up id.
    SecretMismatch,
    /// It parses but its MAC does not verify: edited.
    BadMac,
}

/// Parses and verifies a record. Never panics, whatever the bytes.
pub(crate) fn parse(bytes: &[u8], vendor_secret: &[u8]) -> Result<TrialRecord, TrialProblem> {
    let unreadable = |why: String| TrialProblem::Unreadable(why);
    let file: FileIn<'_> = serde_json::from_slice(bytes)
        .map_err(|e| unreadable(format!("not a trial record: {e}")))?;
    if file.format != TRIAL_FORMAT || file.version != VERSION {
        return Err(unreadable(format!(
            "unknown trial record {:?} version {}",
            file.format, file.version
        )));
    }
    let record: TrialRecord = serde_json::from_str(file.record.get())
        .map_err(|e| unreadable(format!("bad trial record: {e}")))?;
    // The MAC first: the secret's id is believed only of a record that fails it.
    if !verifies(
        mac(vendor_secret, &record.fingerprint, file.record.get()),
        &file.mac,
    ) {
        return Err(if file.secret_id != secret_id(vendor_secret) {
            TrialProblem::SecretMismatch
        } else {
            TrialProblem::BadMac
        });
    }
    if record.end < record.start {
        return Err(unreadable("a trial that ends before it starts".into()));
    }
    Ok(record)
}

/// Serialises and MACs a record.
pub(crate) fn encode(
    record: &TrialRecord,
    vendor_secret: &[u8],
) -> Result<Vec<u8>, serde_json::Error> {
    let raw = serde_json::value::to_raw_value(record)?;
    let mac = mac(vendor_secret, &record.fingerprint, raw.get());
    serde_json::to_vec(&FileOut {
        format: TRIAL_FORMAT,
        version: VERSION,
        secret_id: &secret_id(vendor_secret),
        record: &raw,
        mac: to_hex(mac),
    })
}

/// The MAC of `record`, ready to finalise or verify.
fn mac(vendor_secret: &[u8], fp: &Components, record: &str) -> Hmac<Sha256> {
    let machine = fp.machine_id.to_hex();
    let mut m = crate::mac::keyed(TRIAL_MAC_LABEL, &[vendor_secret, machine.as_bytes()]);
    m.update(record.as_bytes());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TrialRecord {
        TrialRecord::start(
            1_800_000_000,
            14,
            &crate::cache::tests::record().fingerprint,
        )
    }

    #[test]
    fn days_are_whole_days_of_86_400_seconds() {
        let r = record();
        assert_eq!(r.end - r.start, 14 * 86_400);
        assert_eq!(r.high_water, r.start);
        assert_eq!(TrialRecord::start(0, 0, &r.fingerprint).end, 0);
    }

    #[test]
    fn round_trip_and_another_secret_is_named() {
        let bytes = encode(&record(), b"secret").unwrap();
        assert_eq!(parse(&bytes, b"secret"), Ok(record()));
        assert_eq!(parse(&bytes, b"other"), Err(TrialProblem::SecretMismatch));
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with(r#"{"format":"keyseat-trial","version":1,"#),
            "{text}"
        );
    }

    #[test]
    fn any_edit_of_the_record_fails_the_mac() {
        let text = String::from_utf8(encode(&record(), b"s").unwrap()).unwrap();
        let later = text.replace(
            &format!("\"end\":{}", record().end),
            &format!("\"end\":{}", record().end + 86_400),
        );
        assert_ne!(later, text);
        assert_eq!(parse(later.as_bytes(), b"s"), Err(TrialProblem::BadMac));
        let mac_at = text.find(r#""mac":""#).unwrap() + 7;
        let mut zeroed = text.clone();
        zeroed.replace_range(mac_at..mac_at + 64, &"0".repeat(64));
        assert_eq!(parse(zeroed.as_bytes(), b"s"), Err(TrialProblem::BadMac));
    }

    #[test]
    fn garbage_and_nonsense_are_unreadable_not_a_panic() {
        for bad in [
            &b""[..],
            b"{",
            b"null",
            b"[]",
            b"{\"format\":\"keyseat-trial\"}",
        ] {
            assert!(matches!(parse(bad, b"s"), Err(TrialProblem::Unreadable(_))));
        }
        let mut backwards = record();
        backwards.end = backwards.start - 1;
        let bytes = encode(&backwards, b"s").unwrap();
        assert!(matches!(
            parse(&bytes, b"s"),
            Err(TrialProblem::Unreadable(_))
        ));
    }

    #[test]
    fn the_format_and_the_version_must_each_be_this_records() {
        let text = String::from_utf8(encode(&record(), b"s").unwrap()).unwrap();
        // Each alone is enough to refuse a record (a check with `&&` would pass these).
        for (from, to) in [
            (r#""format":"keyseat-trial""#, r#""format":"keyseat-other""#),
            (r#""version":1"#, r#""version":2"#),
        ] {
            let edited = text.replace(from, to);
            assert_ne!(edited, text);
            assert!(
                matches!(
                    parse(edited.as_bytes(), b"s"),
                    Err(TrialProblem::Unreadable(_))
                ),
                "{to}"
            );
        }
    }

    #[test]
    fn a_trial_that_ends_as_it_starts_is_a_record_one_that_ends_before_is_not() {
        let mut same = record();
        same.end = same.start;
        let bytes = encode(&same, b"s").unwrap();
        assert_eq!(parse(&bytes, b"s"), Ok(same.clone()));
        same.end -= 1;
        let bytes = encode(&same, b"s").unwrap();
        assert!(matches!(
            parse(&bytes, b"s"),
            Err(TrialProblem::Unreadable(_))
        ));
    }

    mod hostile {
        use super::*;
        use crate::proptest_config::{config, mutated};
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                prop_assert!(parse(&bytes, b"s").is_err());
            }

            #[test]
            fn an_edited_record_is_never_accepted_as_another(bytes in mutated(encode(&record(), b"s").unwrap())) {
                if let Ok(parsed) = parse(&bytes, b"s") {
                    prop_assert_eq!(parsed, record());
                }
            }
        }
    }
}
