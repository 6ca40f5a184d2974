//! The cross-process lock of one app's data directory: held by anything that may write the
//! cache or the credentials, so that processes of one app take turns (std's `File::lock`:
//! `flock` on Unix, `LockFileEx` on Windows).

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::Error;

pub use crate::persisted::LOCK_FILE;

/// Age beyond which a temp file in the data directory is an orphan of a killed writer.
const STALE_TEMP_AGE: Duration = Duration::from_secs(2);

/// The lock of one data directory.
pub(super) struct DirLock {
    data_dir: PathBuf,
    path: PathBuf,
    /// Whether orphaned temp files have been looked for yet (once per process).
    swept: AtomicBool,
}

/// Proof that this process holds the lock; released when dropped.
pub(super) struct LockGuard(#[allow(dead_code)] File);

impl DirLock {
    pub(super) fn new(data_dir: PathBuf) -> DirLock {
        DirLock {
            path: data_dir.join(LOCK_FILE),
            data_dir,
            swept: AtomicBool::new(false),
        }
    }

    /// Waits for the lock. The first time in a process, also removes temp files that
    /// writers killed mid-write left behind: a live writer holds this lock, so one older
    /// than a few seconds is an orphan.
    pub(super) fn take(&self) -> Result<LockGuard, Error> {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.path)
            .map_err(|e| Error::io(&self.path, e))?;
        file.lock().map_err(|e| Error::io(&self.path, e))?;
        if !self.swept.swap(true, Ordering::Relaxed) {
            crate::fsutil::remove_stale_temps(&self.data_dir, STALE_TEMP_AGE);
        }
        Ok(LockGuard(file))
    }
}
