//! Durable file writes: a temp file in the target's directory, fsync, rename, fsync the
//! directory. A reader sees the old file or the new one, never a torn one.

use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::Error;

/// Prefix of the temp files [`write_temp`] creates.
const TEMP_PREFIX: &str = ".licensekit-";

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
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = write_temp(dir, bytes)?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    sync_dir(dir);
    Ok(())
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

    #[test]
    fn stale_temps_are_removed_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = write_temp(dir.path(), b"x").unwrap().keep().unwrap().1;
        std::fs::write(dir.path().join("license.json"), b"keep").unwrap();
        remove_stale_temps(dir.path(), std::time::Duration::from_secs(3600));
        assert!(
            stale.exists(),
            "young temp files may belong to a live writer"
        );
        remove_stale_temps(dir.path(), std::time::Duration::ZERO);
        assert!(!stale.exists());
        assert!(dir.path().join("license.json").exists());
    }
}
