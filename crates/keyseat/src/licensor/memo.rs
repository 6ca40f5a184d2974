//! The last verified cache, kept in memory so that a check of a fresh cache costs one
//! `stat()` of the file instead of a read, a parse and an HMAC.
//!
//! The memory copy is used only while the file's identity and change times are what they
//! were when it was read: device, inode, size, modification and status-change times in
//! nanoseconds on Unix; volume serial number, file index, size and last-write time on
//! Windows. Every writer replaces the file by renaming a new one over it, so a write by any
//! process, even one within the same modification-time tick, gives a new inode (a new file
//! index on Windows) and the next check reads it. The creation time is no identity on
//! Windows: file-system tunnelling gives a file created under a name that was just freed
//! the old file's creation time. The identity is taken before the read: a write between
//! the two leaves the memory copy stale only until the next check, never for good.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::cache::{CacheProblem, Loaded};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::sync::Locked;

/// What identifies one version of the cache file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileStamp {
    #[cfg(unix)]
    id: (u64, u64, u64, i64, i64, i64, i64),
    #[cfg(windows)]
    id: (u64, u64, u64, Option<u64>),
    #[cfg(not(any(unix, windows)))]
    id: (u64, Option<std::time::SystemTime>),
}

impl FileStamp {
    /// The stamp of the file at `path`, when it can be stat'ed.
    pub fn of(path: &Path) -> Option<FileStamp> {
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt;
            let m = std::fs::metadata(path).ok()?;
            (
                m.dev(),
                m.ino(),
                m.size(),
                m.mtime(),
                m.mtime_nsec(),
                m.ctime(),
                m.ctime_nsec(),
            )
        };
        // std's `metadata` opens the file the same way and asks the same question, but
        // keeps the file index to itself (unstable `MetadataExt::file_index`).
        #[cfg(windows)]
        let id = {
            let handle = winapi_util::Handle::from_path(path).ok()?;
            let info = winapi_util::file::information(&handle).ok()?;
            (
                info.volume_serial_number(),
                info.file_index(),
                info.file_size(),
                info.last_write_time(),
            )
        };
        #[cfg(not(any(unix, windows)))]
        let id = {
            let m = std::fs::metadata(path).ok()?;
            (m.len(), m.modified().ok())
        };
        Some(FileStamp { id })
    }
}

struct Remembered {
    stamp: FileStamp,
    /// The credentials the file was verified against (their key is in the MAC).
    creds: Arc<Credentials>,
    loaded: Loaded,
}

/// The last verified cache of one Licensor.
#[derive(Default)]
pub(super) struct CacheMemo(Mutex<Option<Remembered>>);

impl CacheMemo {
    /// The verified cache at `path` for `creds`: the memory copy while the file is
    /// unchanged, else what `read` gives (remembered when it verified).
    pub fn load(
        &self,
        path: &Path,
        creds: &Arc<Credentials>,
        read: impl FnOnce(&Path) -> Result<Result<Loaded, CacheProblem>, Error>,
    ) -> Result<Result<Loaded, CacheProblem>, Error> {
        let stamp = FileStamp::of(path);
        if let Some(stamp) = stamp
            && let Some(r) = self.0.locked().as_ref()
            && r.stamp == stamp
            && Arc::ptr_eq(&r.creds, creds)
        {
            return Ok(Ok(r.loaded.clone()));
        }
        let result = read(path)?;
        *self.0.locked() = match (&result, stamp) {
            (Ok(loaded), Some(stamp)) if loaded.legacy.is_none() => Some(Remembered {
                stamp,
                creds: Arc::clone(creds),
                loaded: loaded.clone(),
            }),
            _ => None,
        };
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{LegacyFacts, tests::record};
    use std::cell::Cell;

    #[test]
    fn a_current_cache_is_remembered_an_old_format_one_is_read_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("license.json");
        std::fs::write(&path, b"a cache").unwrap();
        let creds = Arc::new(crate::credentials::tests::creds());
        let memo = CacheMemo::default();
        let reads = Cell::new(0);
        let read = |legacy: Option<LegacyFacts>| {
            let reads = &reads;
            let record = record();
            move |_: &Path| {
                reads.set(reads.get() + 1);
                Ok(Ok(Loaded { record, legacy }))
            }
        };
        let facts = LegacyFacts {
            license_key_id: "lic_1".into(),
            product_id: "pdt_1".into(),
        };
        // An old-format cache is to be rewritten: never served from memory.
        for _ in 0..2 {
            memo.load(&path, &creds, read(Some(facts.clone())))
                .unwrap()
                .unwrap();
        }
        assert_eq!(reads.get(), 2);
        // A current one is read once while the file is unchanged.
        for _ in 0..2 {
            memo.load(&path, &creds, read(None)).unwrap().unwrap();
        }
        assert_eq!(reads.get(), 3);
        // Other credentials (another key) read it again.
        let other = Arc::new(crate::credentials::tests::creds());
        memo.load(&path, &other, read(None)).unwrap().unwrap();
        assert_eq!(reads.get(), 4);
    }

    #[test]
    fn a_replaced_file_has_a_new_stamp_even_with_the_same_size_and_times() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("license.json");
        std::fs::write(&path, b"version one").unwrap();
        let first = FileStamp::of(&path).unwrap();
        assert_eq!(FileStamp::of(&path), Some(first), "stable while unchanged");
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        crate::fsutil::replace(&path, b"version two").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_ne!(FileStamp::of(&path), Some(first));
        assert_eq!(FileStamp::of(&dir.path().join("missing")), None);
    }
}
