//! Durable file writes: a temp file in the target's directory, fsync, rename, fsync the
//! directory. A reader sees the old file or the new one, never a torn one.
//!
//! On Windows a rename over a file that another process has open (a second copy of the app
//! reading the cache, an antivirus scan) can fail with "access denied" or a sharing violation
//! until that handle closes. [`rename`] retries those for a bounded time. Deleting such a
//! file only marks it for deletion, and its name stays (readable under Wine, "access denied"
//! on Windows) until the handle closes; [`remove`] moves it to a temp name first.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use tempfile::NamedTempFile;

use crate::error::Error;

use crate::persisted::TEMP_PREFIX;

/// Removes temp files left in `dir` by writers that died before renaming them (a killed
/// process), when older than `min_age`. Call it holding the lock that writers hold.
pub(crate) fn remove_stale_temps(dir: &Path, min_age: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_temp = name
            .to_str()
            .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(".tmp"));
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= min_age);
        if is_temp && old {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => log::info!("removed a stale temp file {}", entry.path().display()),
                Err(e) => log::debug!("could not remove {}: {e}", entry.path().display()),
            }
        }
    }
}

/// Writes `bytes` to a new temp file in `dir` (mode 0600 on Unix) and syncs it to disk.
pub(crate) fn write_temp(dir: &Path, bytes: &[u8]) -> Result<NamedTempFile, Error> {
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), e))?;
    Ok(tmp)
}

/// Atomically replaces `path` with `bytes`.
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = parent(path);
    let tmp = write_temp(dir, bytes)?.into_temp_path();
    rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    // The temp name is gone now: keep() only stops the guard from removing it again.
    let _ = tmp.keep();
    sync_dir(dir);
    Ok(())
}

/// Removes `path`; nothing to do when it does not exist. The name is gone when this
/// returns, even if another process still has the file open: the file is first renamed to
/// a temp name, which is then deleted (or swept later by [`remove_stale_temps`]).
pub(crate) fn remove(path: &Path) -> Result<(), Error> {
    let dir = parent(path);
    let moved = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map(NamedTempFile::into_temp_path)
        .and_then(|grave| rename(path, &grave).map(|()| grave));
    let grave = match moved {
        Ok(grave) => grave,
        // No file, or no directory either.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    sync_dir(dir);
    if let Err(e) = grave.close() {
        log::debug!("a removed file is still held open, to be swept later: {e}");
    }
    Ok(())
}

/// The directory of `path`, `.` for a bare file name.
fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The waits between attempts of [`rename`] while the target is held open: 1.6 s in all.
/// Readers hold the cache for microseconds; the long tail is for scanners.
const HELD_OPEN_WAITS_MS: [u64; 10] = [1, 2, 5, 10, 20, 50, 100, 200, 400, 800];

/// Renames `from` to `to`, replacing `to`. Retries while [`held_open`] says another process
/// has one of the files open, then returns the last error.
pub(crate) fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    let waits = HELD_OPEN_WAITS_MS.map(Duration::from_millis);
    retry_while(held_open, &waits, || std::fs::rename(from, to))
}

/// Runs `op`, and again after each of `waits` for as long as it fails with an error that
/// `transient` accepts. Returns the first success or other error, or the last transient one.
fn retry_while<T>(
    transient: impl Fn(&std::io::Error) -> bool,
    waits: &[Duration],
    mut op: impl FnMut() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut waits = waits.iter();
    loop {
        match op() {
            Err(e) if transient(&e) => match waits.next() {
                Some(wait) => {
                    log::debug!("{e}; retrying in {wait:?}");
                    std::thread::sleep(*wait);
                }
                None => return Err(e),
            },
            done => return done,
        }
    }
}

/// Whether a rename failed because another handle has a file open: `ERROR_ACCESS_DENIED`,
/// `ERROR_SHARING_VIOLATION` or `ERROR_LOCK_VIOLATION` on Windows; never elsewhere, where
/// an open file does not stop a rename.
fn held_open(e: &std::io::Error) -> bool {
    cfg!(windows) && matches!(e.raw_os_error(), Some(5 | 32 | 33))
}

/// Makes a rename in `dir` durable (Unix only; a no-op elsewhere).
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        log::debug!("fsync of {} failed: {e}", dir.display());
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_writes_whole_files_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        replace(&path, b"one").unwrap();
        replace(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temp files left behind");
    }

    /// An operation that fails `failures` times with `kind`, then succeeds; counts its calls.
    fn failing(
        failures: usize,
        kind: std::io::ErrorKind,
    ) -> impl FnMut() -> std::io::Result<usize> {
        let mut calls = 0;
        move || {
            calls += 1;
            if calls <= failures {
                Err(kind.into())
            } else {
                Ok(calls)
            }
        }
    }

    fn busy(e: &std::io::Error) -> bool {
        e.kind() == std::io::ErrorKind::ResourceBusy
    }

    #[test]
    fn transient_failures_are_retried_until_success() {
        let waits = [Duration::ZERO; 4];
        let op = failing(3, std::io::ErrorKind::ResourceBusy);
        assert_eq!(
            retry_while(busy, &waits, op).unwrap(),
            4,
            "success on the 4th call"
        );
    }

    #[test]
    fn transient_failures_give_up_after_the_last_wait() {
        let waits = [Duration::ZERO; 4];
        let mut calls = 0;
        let op = || {
            calls += 1;
            Err::<(), _>(std::io::ErrorKind::ResourceBusy.into())
        };
        let err = retry_while(busy, &waits, op).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ResourceBusy);
        assert_eq!(calls, 5, "one attempt, then one after each wait");
    }

    #[test]
    fn other_failures_are_not_retried() {
        let waits = [Duration::ZERO; 4];
        let mut calls = 0;
        let op = || {
            calls += 1;
            Err::<(), _>(std::io::ErrorKind::NotFound.into())
        };
        let err = retry_while(busy, &waits, op).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(calls, 1);
    }

    #[test]
    fn only_windows_reports_files_held_open() {
        for code in [5, 32, 33] {
            let e = std::io::Error::from_raw_os_error(code);
            assert_eq!(held_open(&e), cfg!(windows), "os error {code}");
        }
        assert!(!held_open(&std::io::Error::from_raw_os_error(2)));
        assert!(!held_open(&std::io::ErrorKind::PermissionDenied.into()));
    }

    /// What a second copy of the app does on Windows: read the cache while this one replaces
    /// it. The replace waits for the reader instead of failing.
    #[test]
    fn replace_waits_for_a_reader_that_holds_the_file_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        replace(&path, b"one").unwrap();
        let reader = std::fs::File::open(&path).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(reader);
        });
        replace(&path, b"two").unwrap();
        release.join().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
    }

    /// A second copy of the app must not read credentials that this one has deleted, even
    /// while it still has the old file open.
    #[test]
    fn a_removed_file_is_gone_while_a_reader_holds_it_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        replace(&path, b"one").unwrap();
        let reader = std::fs::File::open(&path).unwrap();
        remove(&path).unwrap();
        let read = std::fs::read(&path);
        assert!(!path.exists(), "{read:?}");
        assert_eq!(read.unwrap_err().kind(), std::io::ErrorKind::NotFound);
        drop(reader);
        remove(&path).expect("removing what is not there is not an error");
        remove(&dir.path().join("no such dir/f.json")).expect("nor in a missing directory");
        remove_stale_temps(dir.path(), Duration::ZERO);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_failed_removal_is_an_error_and_keeps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        // Something that cannot be moved to the temp name: on Unix a directory (it cannot
        // replace a file); on Windows a file held open without delete sharing (after
        // rename's retries).
        #[cfg(unix)]
        std::fs::create_dir(&path).unwrap();
        #[cfg(windows)]
        let _holder = {
            use std::os::windows::fs::OpenOptionsExt;
            const FILE_SHARE_READ: u32 = 1;
            std::fs::write(&path, b"x").unwrap();
            std::fs::File::options()
                .read(true)
                .share_mode(FILE_SHARE_READ)
                .open(&path)
                .unwrap()
        };
        let err = remove(&path).unwrap_err();
        assert!(matches!(err.kind(), crate::ErrorKind::Io { .. }), "{err:?}");
        assert!(path.exists());
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 1, "the temp name made for the move is gone");
    }

    #[test]
    fn the_parent_of_a_bare_name_is_the_current_directory() {
        assert_eq!(parent(Path::new("f.json")), Path::new("."));
        assert_eq!(parent(Path::new("d/f.json")), Path::new("d"));
    }

    #[test]
    fn stale_temps_are_removed_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = write_temp(dir.path(), b"x").unwrap().keep().unwrap().1;
        let others = [
            "license.json".to_owned(),
            "notes.tmp".to_owned(),
            format!("{TEMP_PREFIX}notes"),
        ];
        for name in &others {
            std::fs::write(dir.path().join(name), b"keep").unwrap();
        }
        remove_stale_temps(dir.path(), std::time::Duration::from_secs(3600));
        assert!(
            stale.exists(),
            "young temp files may belong to a live writer"
        );
        remove_stale_temps(dir.path(), std::time::Duration::ZERO);
        assert!(!stale.exists());
        for name in &others {
            assert!(dir.path().join(name).exists(), "{name} is not ours");
        }
    }
}
