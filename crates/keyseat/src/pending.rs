//! An activation whose answer was lost: the instance name that was sent, and when, kept in
//! the data directory. The server may hold that instance, taking a seat this machine never
//! heard of; when a later activation is refused for the limit, the customer can be told what
//! to ask the vendor to release. Nothing here holds the key.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::clock::from_unix;
use crate::error::Error;

/// How long a pending name is remembered: 30 days.
pub const PENDING_MAX_AGE: i64 = 30 * 86_400;

/// An activation that may exist on the server although its answer was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingActivation {
    /// The instance name that was sent.
    pub name: String,
    /// When it was sent.
    pub at: SystemTime,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDisk {
    name: String,
    at: i64,
}

/// The file in a data directory.
pub(crate) fn file_in(data_dir: &Path) -> PathBuf {
    data_dir.join(crate::persisted::PENDING_ACTIVATION_FILE)
}

/// Remembers that an activation named `name` was sent at `now` and its answer was lost.
pub(crate) fn remember(path: &Path, name: &str, now: i64) -> Result<(), Error> {
    let bytes = serde_json::to_vec(&OnDisk {
        name: name.to_owned(),
        at: now,
    })
    .map_err(|e| Error::json(path, e))?;
    crate::fsutil::replace(path, &bytes)
}

/// The pending activation, when one younger than [`PENDING_MAX_AGE`] is remembered. An
/// unreadable file counts as none: it only ever adds a hint.
pub(crate) fn recall(path: &Path, now: i64) -> Option<PendingActivation> {
    let bytes = std::fs::read(path).ok()?;
    let pending: OnDisk = match serde_json::from_slice(&bytes) {
        Ok(p) => p,
        Err(e) => {
            log::debug!("{} is unreadable: {e}", path.display());
            return None;
        }
    };
    let age = now.saturating_sub(pending.at);
    (0..PENDING_MAX_AGE)
        .contains(&age)
        .then(|| PendingActivation {
            name: pending.name.chars().filter(|c| !c.is_control()).collect(),
            at: from_unix(pending.at),
        })
}

/// Forgets the pending activation (an activation succeeded).
pub(crate) fn forget(path: &Path) -> Result<(), Error> {
    crate::fsutil::remove(path)
}

impl PendingActivation {
    /// The sentence that goes with a refusal for the activation limit.
    pub fn limit_hint(&self) -> String {
        let date = jiff::Timestamp::try_from(self.at)
            .map(|t| t.to_string()[..10].to_owned())
            .unwrap_or_else(|_| "an earlier date".to_owned());
        format!(
            "an activation named '{}' may have been created on {date} when the server's answer \
             was lost; it may be holding a seat: ask the vendor to release it",
            self.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_for_thirty_days_then_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_in(dir.path());
        assert_eq!(recall(&path, 0), None);
        let t = 1_800_000_000;
        remember(&path, "Ada's ThinkPad (Windows 11) · 3f9a2c", t).unwrap();
        let p = recall(&path, t + 86_400).unwrap();
        assert_eq!(p.name, "Ada's ThinkPad (Windows 11) · 3f9a2c");
        assert_eq!(p.at, from_unix(t));
        assert!(recall(&path, t + PENDING_MAX_AGE - 1).is_some());
        assert_eq!(recall(&path, t + PENDING_MAX_AGE), None);
        assert_eq!(recall(&path, t - 1), None, "from the future: not trusted");
        forget(&path).unwrap();
        assert_eq!(recall(&path, t), None);
        forget(&path).unwrap();
    }

    #[test]
    fn the_hint_names_the_instance_and_the_day() {
        let p = PendingActivation {
            name: "laptop · 3f9a2c".into(),
            at: from_unix(1_800_000_000),
        };
        assert_eq!(
            p.limit_hint(),
            "an activation named 'laptop · 3f9a2c' may have been created on 2027-01-15 when the \
             server's answer was lost; it may be holding a seat: ask the vendor to release it"
        );
    }

    #[test]
    fn a_damaged_file_is_no_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_in(dir.path());
        std::fs::write(&path, b"{not json").unwrap();
        assert_eq!(recall(&path, 0), None);
    }
}
