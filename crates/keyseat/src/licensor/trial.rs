//! The local trial's two copies, and what they say.
//!
//! One record (`crate::trial`) is kept in two places: `trial.json` in the data directory and
//! an entry of the app's own in the OS credential store. Either copy, genuine and of this
//! machine, is the trial: deleting the data directory or reinstalling the app does not
//! reset it, and the missing copy is written again from the other.
//!
//! - A genuine copy of another machine (copied over) is not a trial here:
//!   `FingerprintMismatch`. Starting a trial replaces it with this machine's own.
//! - A copy that fails its MAC (or names another vendor secret) is `Tampered`, whatever lies
//!   beside it, and is never taken for "no trial" (which would give a fresh one), nor
//!   written over: a damaged copy beside a genuine one could otherwise hide the later clock
//!   guard the damaged one held.
//! - With the OS credential store unreadable (a locked keychain, no Secret Service), the
//!   file alone cannot say that no trial ran here: no trial starts
//!   ([`ErrorKind::TrialUnavailable`]). With file storage the file is the one copy, by
//!   design.
//! - The record keeps the latest time a check has seen; the clock more than the tolerance
//!   behind it is `ClockRollback`, as for licenses.
//! - The end never moves: starting a trial that exists returns it.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};
use crate::fingerprint::Fingerprint;
use crate::persisted::KEYCHAIN_TRIAL_USER;
use crate::storage::CredentialStore;
use crate::trial::{self, TrialProblem, TrialRecord};

use super::Licensor;
use super::check::Net;
use super::lock::LockGuard;
use super::status::{LicenseState, LicenseStatus};
use crate::clock::from_unix;

/// Whether the app has a local trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TrialSetting {
    /// No trial: a trial record on this machine is ignored.
    Off,
    /// A trial the app started is reported, but none is started here (tools of the app).
    Observe,
    /// A trial of this many days.
    Days(u32),
}

/// How often a check moves the record's clock guard forward (a write of both copies).
const HIGH_WATER_STEP: i64 = 3600;

/// What the two copies hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Found {
    /// No copy anywhere: no trial was started on this machine.
    Nothing,
    /// A genuine record of this machine; `stale` when a copy is missing, damaged or behind
    /// and should be written again.
    Valid {
        record: Box<TrialRecord>,
        stale: bool,
    },
    /// Only genuine records of another machine.
    Foreign,
    /// A copy fails its MAC or cannot be read.
    Tampered,
    /// No genuine copy of this machine, and the credential store cannot be read: whether a
    /// trial ran here is unknown (why, in words).
    Unknown(String),
}

/// One copy, as read.
enum Copy {
    Absent,
    Genuine(Box<TrialRecord>),
    Damaged,
    /// There is no place for it (file storage): the file is the one copy.
    NoPlace,
    /// The credential store cannot be read (why, in words): its absence says nothing.
    Unreadable(String),
}

/// The trial's two copies for one app.
pub(super) struct TrialCopies<'a> {
    pub file: &'a Path,
    pub store: &'a CredentialStore,
    pub vendor_secret: &'a [u8],
    pub fingerprint: &'a Fingerprint,
}

impl TrialCopies<'_> {
    /// Reads both copies and says what they hold.
    ///
    /// # Errors
    /// An unreadable data directory.
    pub fn find(&self) -> Result<Found, Error> {
        let (file, stored) = self.read()?;
        Ok(self.judge(&file, &stored))
    }

    /// Whether either copy is genuine under this vendor secret (of any machine): evidence
    /// that this program's secret is the app's.
    pub fn any_genuine(&self) -> Result<bool, Error> {
        let (file, stored) = self.read()?;
        Ok([file, stored].iter().any(|c| matches!(c, Copy::Genuine(_))))
    }

    /// Both copies, as read.
    fn read(&self) -> Result<(Copy, Copy), Error> {
        let file = self.parse(match std::fs::read(self.file) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(self.file, e)),
        });
        let stored = if !self.store.has_own_place() {
            Copy::NoPlace
        } else {
            match self.store.read_entry(KEYCHAIN_TRIAL_USER) {
                Ok(text) => self.parse(text.map(String::into_bytes)),
                Err(e) => {
                    log::warn!("the trial's copy in the credential store is unreadable: {e}");
                    Copy::Unreadable(e.to_string())
                }
            }
        };
        Ok((file, stored))
    }

    fn parse(&self, bytes: Option<Vec<u8>>) -> Copy {
        let Some(bytes) = bytes else {
            return Copy::Absent;
        };
        match trial::parse(&bytes, self.vendor_secret) {
            Ok(record) => Copy::Genuine(Box::new(record)),
            Err(TrialProblem::SecretMismatch) => {
                log::warn!(
                    "a copy of the trial record fails its MAC and names another vendor \
                     secret: written by a program with another secret, or forged"
                );
                Copy::Damaged
            }
            Err(problem) => {
                log::warn!("a copy of the trial record is unusable: {problem:?}");
                Copy::Damaged
            }
        }
    }

    /// The verdict on two copies. A damaged copy is `Tampered`, whatever lies beside it. Of
    /// two genuine records of this machine, the one that ends first counts (the end never
    /// moves later), with the latest time either has seen.
    fn judge(&self, file: &Copy, stored: &Copy) -> Found {
        if [file, stored].iter().any(|c| matches!(c, Copy::Damaged)) {
            return Found::Tampered;
        }
        let mine = |c: &Copy| match c {
            Copy::Genuine(r) if self.fingerprint.matches(&r.fingerprint).is_same_machine() => {
                Some(r.as_ref().clone())
            }
            _ => None,
        };
        match (mine(file), mine(stored)) {
            (Some(a), Some(b)) => {
                let stale = a != b;
                let mut record = if b.end < a.end { b } else { a.clone() };
                record.high_water = a.high_water.max(record.high_water);
                Found::Valid {
                    record: Box::new(record),
                    stale,
                }
            }
            (Some(record), None) => Found::Valid {
                record: Box::new(record),
                stale: !matches!(stored, Copy::NoPlace | Copy::Unreadable(_)),
            },
            (None, Some(record)) => Found::Valid {
                record: Box::new(record),
                stale: true,
            },
            (None, None) => match stored {
                Copy::Unreadable(why) => Found::Unknown(why.clone()),
                _ if [file, stored].iter().any(|c| matches!(c, Copy::Genuine(_))) => Found::Foreign,
                _ => Found::Nothing,
            },
        }
    }

    /// Writes `record` to both copies (the caller holds the lock). A damaged or foreign file
    /// is moved aside first, never deleted. Returns whether the credential store kept its
    /// copy too.
    pub fn write(&self, record: &TrialRecord, now: i64) -> Result<bool, Error> {
        let bytes =
            trial::encode(record, self.vendor_secret).map_err(|e| Error::json(self.file, e))?;
        if let Ok(old) = std::fs::read(self.file)
            && !matches!(trial::parse(&old, self.vendor_secret), Ok(r) if self.fingerprint.matches(&r.fingerprint).is_same_machine())
        {
            let aside = crate::cache::set_aside(self.file, now)?;
            log::warn!(
                "the trial file was not this machine's; kept as {}",
                aside.display()
            );
        }
        crate::fsutil::replace(self.file, &bytes)?;
        let text = String::from_utf8_lossy(&bytes);
        match self.store.write_entry(KEYCHAIN_TRIAL_USER, &text) {
            Ok(kept) => Ok(kept),
            Err(e) => {
                log::warn!("the trial could not be copied to the credential store: {e}");
                Ok(false)
            }
        }
    }
}

/// The state a genuine record gives at `now`.
pub(super) fn state(record: &TrialRecord, now: i64, clock_tolerance: i64) -> LicenseState {
    if now.saturating_add(clock_tolerance) < record.high_water.max(record.start) {
        return LicenseState::ClockRollback;
    }
    if now < record.end {
        LicenseState::Trial {
            ends_at: from_unix(record.end),
        }
    } else {
        LicenseState::TrialExpired
    }
}

/// The record with its clock guard moved to `now`, when a check should write it: the copies
/// are stale, or the guard is more than [`HIGH_WATER_STEP`] behind.
pub(super) fn advanced(record: &TrialRecord, stale: bool, now: i64) -> Option<TrialRecord> {
    if !stale && now < record.high_water.saturating_add(HIGH_WATER_STEP) {
        return None;
    }
    let mut next = record.clone();
    next.high_water = record.high_water.max(now);
    Some(next)
}

/// The trial file of a data directory.
pub(super) fn file_in(data_dir: &Path) -> PathBuf {
    data_dir.join(crate::persisted::TRIAL_FILE)
}

impl Licensor {
    /// Starts this machine's local trial, of the length given to
    /// [`LicensorBuilder::trial_days`](super::LicensorBuilder::trial_days), or returns the
    /// trial that exists: calling it again never moves the end, and nothing restarts a trial
    /// that has ended (`TrialExpired`). With an activation on this machine the license
    /// decides, and its status is returned. A damaged trial record is `Tampered` and a clock
    /// set back is `ClockRollback`: neither gives a new trial.
    ///
    /// No network is used. The record goes to the data directory and to the OS credential
    /// store, so that deleting either does not reset the trial.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the Licensor was built without a trial length;
    /// [`ErrorKind::TrialUnavailable`] when the OS credential store, which keeps a copy of
    /// the trial, cannot be read and the data directory holds no trial of this machine;
    /// storage errors.
    pub fn start_trial(&self) -> Result<LicenseStatus, Error> {
        let TrialSetting::Days(days) = self.inner.trial else {
            return Err(Error::invalid_input(
                "this app has no local trial: give the builder its length with \
                 trial_days(...)",
            ));
        };
        let lock = self.lock()?;
        if self.inner.store.current(true)?.is_some() {
            return self.evaluate_locked(&lock, Net::Allowed);
        }
        let copies = self.trial_copies();
        let found = copies.find()?;
        if let Found::Unknown(why) = found {
            return Err(ErrorKind::TrialUnavailable(why).into());
        }
        if matches!(found, Found::Nothing | Found::Foreign) {
            let now = self.now();
            let record = TrialRecord::start(now, days, self.inner.fingerprint.components());
            let both = copies.write(&record, now)?;
            log::info!(
                "started a {days}-day trial, ending at Unix time {} ({})",
                record.end,
                if both {
                    "kept in the data directory and the credential store"
                } else {
                    "kept in the data directory only"
                }
            );
        }
        self.unactivated(Some(&lock))
    }

    /// The status of this machine with no activation: its trial when the app has one,
    /// else `NotActivated`, with any activation whose answer was lost. Without `lock`, a
    /// check that must write (a copy to restore, the clock guard to move) takes it and
    /// starts again.
    pub(super) fn unactivated(&self, lock: Option<&LockGuard>) -> Result<LicenseStatus, Error> {
        let now = self.now();
        let mut status = self.bare(LicenseState::NotActivated);
        status.pending_activation = crate::pending::recall(&self.pending_path(), now);
        if self.inner.trial == TrialSetting::Off {
            return Ok(status);
        }
        let copies = self.trial_copies();
        let record = match copies.find()? {
            Found::Nothing => return Ok(status),
            Found::Tampered => {
                log::warn!("the trial record fails its check: tampered");
                status.state = LicenseState::Tampered;
                return Ok(status);
            }
            Found::Foreign => {
                log::warn!("the trial record belongs to another machine");
                status.state = LicenseState::FingerprintMismatch;
                return Ok(status);
            }
            Found::Unknown(why) => {
                log::warn!("whether a trial ran here is unknown: {why}");
                return Ok(status);
            }
            Found::Valid { record, stale } => match (advanced(&record, stale, now), lock) {
                (None, _) => *record,
                (Some(next), Some(_)) => {
                    copies.write(&next, now)?;
                    next
                }
                (Some(_), None) => {
                    let lock = self.lock()?;
                    return self.evaluate_locked(&lock, Net::Forbidden);
                }
            },
        };
        status.state = state(&record, now, self.inner.policy.clock_tolerance);
        status.trial_ends_at = Some(from_unix(record.end));
        Ok(status)
    }

    pub(super) fn trial_copies(&self) -> TrialCopies<'_> {
        TrialCopies {
            file: &self.inner.trial_path,
            store: &self.inner.store,
            vendor_secret: &self.inner.vendor_secret,
            fingerprint: &self.inner.fingerprint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::{Confidence, RawComponents};
    use crate::storage::KeyStorage;

    const T: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn machine(name: &str) -> Fingerprint {
        let raw = RawComponents {
            machine_id: format!("{name}-id"),
            hostname: Some(name.into()),
            os: Some(format!("TestOS of {name}")),
            cpu: Some(format!("cpu of {name}")),
            ram_gib: Some(name.len() as u64),
            mac: None,
        };
        Fingerprint::from_raw("trial-tests", &raw, Confidence::High)
    }

    struct Fixture {
        dir: tempfile::TempDir,
        store: CredentialStore,
        fp: Fingerprint,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let store =
                CredentialStore::new(KeyStorage::Memory, "com.example.Trial", dir.path(), b"s");
            Fixture {
                dir,
                store,
                fp: machine("a"),
            }
        }
        fn file(&self) -> PathBuf {
            file_in(self.dir.path())
        }
        fn copies<'a>(&'a self, file: &'a Path) -> TrialCopies<'a> {
            TrialCopies {
                file,
                store: &self.store,
                vendor_secret: b"secret",
                fingerprint: &self.fp,
            }
        }
    }

    #[test]
    fn either_copy_alone_is_the_trial_and_none_is_nothing() {
        let f = Fixture::new();
        let file = f.file();
        let copies = f.copies(&file);
        assert_eq!(copies.find().unwrap(), Found::Nothing);
        let record = TrialRecord::start(T, 14, f.fp.components());
        assert!(
            copies.write(&record, T).unwrap(),
            "memory storage keeps a copy"
        );
        assert_eq!(
            copies.find().unwrap(),
            Found::Valid {
                record: Box::new(record.clone()),
                stale: false
            }
        );
        // The data directory is deleted: the credential store's copy remains.
        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            copies.find().unwrap(),
            Found::Valid {
                record: Box::new(record),
                stale: true
            }
        );
    }

    #[test]
    fn a_damaged_copy_alone_is_tampered_never_nothing() {
        let f = Fixture::new();
        let file = f.file();
        let record = TrialRecord::start(T, 14, f.fp.components());
        let text = String::from_utf8(trial::encode(&record, b"secret").unwrap()).unwrap();
        let edited = text.replace(
            &format!("\"end\":{}", record.end),
            &format!("\"end\":{}", record.end + 30 * DAY),
        );
        std::fs::write(&file, edited).unwrap();
        assert_eq!(f.copies(&file).find().unwrap(), Found::Tampered);
        std::fs::write(&file, b"not json").unwrap();
        assert_eq!(f.copies(&file).find().unwrap(), Found::Tampered);
    }

    #[test]
    fn a_damaged_copy_is_tampered_whatever_lies_beside_it() {
        let f = Fixture::new();
        let file = f.file();
        let copies = f.copies(&file);
        let record = TrialRecord::start(T, 14, f.fp.components());
        copies.write(&record, T).unwrap();
        // Beside a genuine copy of this machine: the damaged one may have held a later clock
        // guard, which damaging it would otherwise erase.
        std::fs::write(&file, b"garbage").unwrap();
        assert_eq!(copies.find().unwrap(), Found::Tampered);
        // The damaged copy in the store, another machine's genuine file beside it: not "no
        // trial" (which would start a fresh one).
        let theirs = TrialRecord::start(T, 14, machine("bee").components());
        std::fs::write(&file, trial::encode(&theirs, b"secret").unwrap()).unwrap();
        f.store
            .write_entry(KEYCHAIN_TRIAL_USER, "{damaged")
            .unwrap();
        assert_eq!(copies.find().unwrap(), Found::Tampered);
    }

    #[test]
    fn the_earlier_end_counts_and_the_latest_clock_guard() {
        let f = Fixture::new();
        let file = f.file();
        let copies = f.copies(&file);
        let record = TrialRecord::start(T, 14, f.fp.components());
        copies.write(&record, T).unwrap();
        // A later end in one copy never extends the trial.
        let mut later = TrialRecord::start(T, 30, f.fp.components());
        later.high_water = T + DAY;
        std::fs::write(&file, trial::encode(&later, b"secret").unwrap()).unwrap();
        let Found::Valid {
            record: found,
            stale,
        } = copies.find().unwrap()
        else {
            panic!("valid");
        };
        assert!(stale);
        assert_eq!(found.end, record.end);
        assert_eq!(found.high_water, T + DAY, "the latest time either saw");
    }

    #[test]
    fn an_unreadable_store_makes_no_trial_unknown_and_keeps_a_genuine_file() {
        let f = Fixture::new();
        let file = f.file();
        let locked = CredentialStore::new(KeyStorage::Memory, "com.example.T", f.dir.path(), b"s")
            .with_entries_unreadable();
        let copies = TrialCopies {
            file: &file,
            store: &locked,
            vendor_secret: b"secret",
            fingerprint: &f.fp,
        };
        assert!(matches!(copies.find().unwrap(), Found::Unknown(why) if why.contains("locked")));
        // Another machine's file beside it does not make it "foreign" (startable).
        let theirs = TrialRecord::start(T, 14, machine("bee").components());
        std::fs::write(&file, trial::encode(&theirs, b"secret").unwrap()).unwrap();
        assert!(matches!(copies.find().unwrap(), Found::Unknown(_)));
        // This machine's genuine file is the trial, and nothing is rewritten at each check.
        let record = TrialRecord::start(T, 14, f.fp.components());
        std::fs::write(&file, trial::encode(&record, b"secret").unwrap()).unwrap();
        assert_eq!(
            copies.find().unwrap(),
            Found::Valid {
                record: Box::new(record),
                stale: false
            }
        );
    }

    #[test]
    fn another_machines_record_is_foreign_and_starting_sets_it_aside() {
        let f = Fixture::new();
        let file = f.file();
        let theirs = TrialRecord::start(T, 14, machine("bee").components());
        std::fs::write(&file, trial::encode(&theirs, b"secret").unwrap()).unwrap();
        let copies = f.copies(&file);
        assert_eq!(copies.find().unwrap(), Found::Foreign);
        let mine = TrialRecord::start(T + DAY, 14, f.fp.components());
        copies.write(&mine, T + DAY).unwrap();
        assert!(matches!(copies.find().unwrap(), Found::Valid { .. }));
        let aside: Vec<_> = std::fs::read_dir(f.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("corrupt"))
            .collect();
        assert_eq!(aside.len(), 1, "the foreign file is kept aside");
    }

    #[test]
    fn a_record_of_another_vendor_secret_is_tampered_not_an_error() {
        // It cannot be told from a record planted with a made-up secret id, which must never
        // turn a check into an error.
        let f = Fixture::new();
        let file = f.file();
        let record = TrialRecord::start(T, 14, f.fp.components());
        std::fs::write(&file, trial::encode(&record, b"other").unwrap()).unwrap();
        assert_eq!(f.copies(&file).find().unwrap(), Found::Tampered);
        assert!(!f.copies(&file).any_genuine().unwrap());
        std::fs::write(&file, trial::encode(&record, b"secret").unwrap()).unwrap();
        assert!(f.copies(&file).any_genuine().unwrap());
    }

    #[test]
    fn states_by_the_clock() {
        let fp = machine("a");
        let r = TrialRecord::start(T, 14, fp.components());
        let tol = 2 * 3600;
        assert!(matches!(state(&r, T, tol), LicenseState::Trial { .. }));
        assert!(matches!(
            state(&r, r.end - 1, tol),
            LicenseState::Trial { .. }
        ));
        assert_eq!(state(&r, r.end, tol), LicenseState::TrialExpired);
        assert_eq!(
            state(&r, T - tol, tol),
            LicenseState::Trial {
                ends_at: from_unix(r.end)
            }
        );
        assert_eq!(state(&r, T - tol - 1, tol), LicenseState::ClockRollback);
        let mut seen = r.clone();
        seen.high_water = r.end + DAY;
        assert_eq!(state(&seen, r.end - DAY, tol), LicenseState::ClockRollback);
    }

    #[test]
    fn the_clock_guard_moves_hourly_or_when_a_copy_is_stale() {
        let fp = machine("a");
        let r = TrialRecord::start(T, 14, fp.components());
        assert_eq!(advanced(&r, false, T + 60), None);
        assert_eq!(advanced(&r, false, T + 3600).unwrap().high_water, T + 3600);
        assert_eq!(advanced(&r, true, T + 60).unwrap().high_water, T + 60);
        assert_eq!(
            advanced(&r, true, T - 60).unwrap().high_water,
            T,
            "never backwards"
        );
    }
}
