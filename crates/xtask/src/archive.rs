//! Archives written the same way every time: entries sorted by path, under one top folder,
//! every time set to `SOURCE_DATE_EPOCH`, owner and group 0 with no names, fixed modes, and
//! gzip with no file name or time in its header (as `gzip -n`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::error::{Context, Result, bail};

/// The mode of a file in an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0644.
    Data,
    /// 0755: programs and shared libraries.
    Executable,
}

impl Mode {
    fn bits(self) -> u32 {
        match self {
            Mode::Data => 0o644,
            Mode::Executable => 0o755,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { bytes: Vec<u8>, mode: Mode },
    Symlink { target: String },
}

/// The contents of an archive, built up in memory and written as tar.xz, tar.gz or zip.
#[derive(Debug, Clone)]
pub struct Archive {
    top: String,
    entries: BTreeMap<String, Entry>,
}

impl Archive {
    /// An empty archive whose entries all sit in the folder `top`.
    pub fn new(top: &str) -> Archive {
        Archive {
            top: top.to_owned(),
            entries: BTreeMap::new(),
        }
    }

    /// Adds a file at `path` (relative to the top folder, `/`-separated).
    pub fn add(&mut self, path: &str, bytes: Vec<u8>, mode: Mode) {
        self.entries
            .insert(path.to_owned(), Entry::File { bytes, mode });
    }

    /// Adds a copy of the file `from` at `path`.
    pub fn copy(&mut self, path: &str, from: &Path, mode: Mode) -> Result<()> {
        let bytes = std::fs::read(from).context(format!("reading {}", from.display()))?;
        self.add(path, bytes, mode);
        Ok(())
    }

    /// Adds a symbolic link at `path` to `target` (tar only: zip has none).
    pub fn symlink(&mut self, path: &str, target: &str) {
        self.entries.insert(
            path.to_owned(),
            Entry::Symlink {
                target: target.to_owned(),
            },
        );
    }

    /// The paths of the entries, sorted.
    #[cfg(test)]
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Every folder the entries need, sorted, each with a trailing `/`.
    fn folders(&self) -> Vec<String> {
        let mut folders = std::collections::BTreeSet::new();
        folders.insert(format!("{}/", self.top));
        for path in self.entries.keys() {
            let mut at = 0;
            while let Some(slash) = path[at..].find('/') {
                at += slash + 1;
                folders.insert(format!("{}/{}", self.top, &path[..at]));
            }
        }
        folders.into_iter().collect()
    }

    /// Writes the archive in the format its name ends with: `.zip`, `.tar.xz` or `.tar.gz`.
    pub fn write(&self, out: &Path, mtime: u64) -> Result<()> {
        let name = out.to_string_lossy();
        if name.ends_with(".zip") {
            self.write_zip(out, mtime)
        } else if name.ends_with(".tar.xz") {
            self.write_tar_xz(out, mtime)
        } else if name.ends_with(".tar.gz") {
            self.write_tar_gz(out, mtime)
        } else {
            bail!("{name}: not a .zip, .tar.xz or .tar.gz name")
        }
    }

    /// Writes the archive as a gzip-compressed tar file.
    pub fn write_tar_gz(&self, out: &Path, mtime: u64) -> Result<()> {
        let file = std::fs::File::create(out).context(format!("creating {}", out.display()))?;
        let gz = flate2::GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(file, flate2::Compression::best());
        let io = |e: std::io::Error| crate::error::Error::new(format!("{}: {e}", out.display()));
        let gz = self.write_tar(gz, mtime, out)?;
        gz.finish().map_err(io)?.flush().map_err(io)?;
        Ok(())
    }

    /// Writes the archive as an xz-compressed tar file (preset 9, extreme, one thread: the
    /// same bytes every time).
    pub fn write_tar_xz(&self, out: &Path, mtime: u64) -> Result<()> {
        let file = std::fs::File::create(out).context(format!("creating {}", out.display()))?;
        let xz = liblzma::write::XzEncoder::new(file, 9 | liblzma::stream::PRESET_EXTREME);
        let io = |e: std::io::Error| crate::error::Error::new(format!("{}: {e}", out.display()));
        let xz = self.write_tar(xz, mtime, out)?;
        xz.finish().map_err(io)?.flush().map_err(io)?;
        Ok(())
    }

    /// Writes the tar stream of the archive to `sink`, and gives the sink back.
    fn write_tar<W: Write>(&self, sink: W, mtime: u64, out: &Path) -> Result<W> {
        let mut tar = tar::Builder::new(sink);
        tar.mode(tar::HeaderMode::Deterministic);
        let header = |kind: tar::EntryType, mode: u32, size: u64| {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(kind);
            h.set_mode(mode);
            h.set_size(size);
            h.set_mtime(mtime);
            h.set_uid(0);
            h.set_gid(0);
            h
        };
        let mut items: Vec<(String, Option<&Entry>)> =
            self.folders().into_iter().map(|f| (f, None)).collect();
        items.extend(
            self.entries
                .iter()
                .map(|(path, entry)| (format!("{}/{path}", self.top), Some(entry))),
        );
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let io = |e: std::io::Error| crate::error::Error::new(format!("{}: {e}", out.display()));
        for (path, entry) in items {
            match entry {
                None => {
                    let mut h = header(tar::EntryType::Directory, 0o755, 0);
                    tar.append_data(&mut h, &path, std::io::empty())
                        .map_err(io)?;
                }
                Some(Entry::File { bytes, mode }) => {
                    let mut h = header(tar::EntryType::Regular, mode.bits(), bytes.len() as u64);
                    tar.append_data(&mut h, &path, bytes.as_slice())
                        .map_err(io)?;
                }
                Some(Entry::Symlink { target }) => {
                    let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                    tar.append_link(&mut h, &path, target).map_err(io)?;
                }
            }
        }
        tar.into_inner().map_err(io)
    }

    /// Writes the archive as a zip file (deflated, the folders as entries of their own).
    pub fn write_zip(&self, out: &Path, mtime: u64) -> Result<()> {
        use zip::write::SimpleFileOptions;
        let file = std::fs::File::create(out).context(format!("creating {}", out.display()))?;
        let mut zip = zip::ZipWriter::new(file);
        let time = zip_time(mtime)?;
        let options = |mode: u32| {
            SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .compression_level(Some(9))
                .last_modified_time(time)
                .unix_permissions(mode)
        };
        let failed = |e: zip::result::ZipError| {
            crate::error::Error::new(format!("writing {}: {e}", out.display()))
        };
        let mut items: Vec<(String, Option<&Entry>)> =
            self.folders().into_iter().map(|f| (f, None)).collect();
        items.extend(
            self.entries
                .iter()
                .map(|(path, entry)| (format!("{}/{path}", self.top), Some(entry))),
        );
        items.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, entry) in items {
            match entry {
                None => zip.add_directory(&path, options(0o755)).map_err(failed)?,
                Some(Entry::File { bytes, mode }) => {
                    zip.start_file(&path, options(mode.bits()))
                        .map_err(failed)?;
                    zip.write_all(bytes)
                        .context(format!("writing {}", out.display()))?;
                }
                Some(Entry::Symlink { .. }) => {
                    bail!("{path}: a zip archive cannot hold a symbolic link")
                }
            }
        }
        zip.finish().map_err(failed)?;
        Ok(())
    }
}

/// Extracts a `.tar.xz`, `.tar.gz` or `.zip` archive into `into`; returns the top folder it
/// held.
pub fn extract(archive: &Path, into: &Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(into).context(format!("creating {}", into.display()))?;
    let name = archive
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let file = std::fs::File::open(archive).context(format!("opening {}", archive.display()))?;
    if name.ends_with(".zip") {
        let mut zip = zip::ZipArchive::new(file).context(format!("reading {name}"))?;
        zip.extract(into).context(format!("extracting {name}"))?;
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        tar.set_preserve_permissions(true);
        tar.unpack(into).context(format!("extracting {name}"))?;
    } else if name.ends_with(".tar.xz") {
        let mut tar = tar::Archive::new(liblzma::read::XzDecoder::new(file));
        tar.set_preserve_permissions(true);
        tar.unpack(into).context(format!("extracting {name}"))?;
    } else {
        bail!("{name}: not a .tar.xz, .tar.gz or .zip archive");
    }
    let stem = name
        .trim_end_matches(".zip")
        .trim_end_matches(".tar.xz")
        .trim_end_matches(".tar.gz")
        .trim_end_matches(".tgz");
    let top = into.join(stem);
    if !top.is_dir() {
        bail!("{name} does not hold the folder {stem}/");
    }
    Ok(top)
}

/// `epoch` as a zip (MS-DOS) time, in UTC; zip cannot say anything before 1980.
fn zip_time(epoch: u64) -> Result<zip::DateTime> {
    let seconds = i64::try_from(epoch).context("SOURCE_DATE_EPOCH")?;
    let t = jiff::Timestamp::from_second(seconds.max(315_532_800))
        .context("SOURCE_DATE_EPOCH")?
        .to_zoned(jiff::tz::TimeZone::UTC);
    let small = |n: i8| u8::try_from(n).unwrap_or(0);
    zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).unwrap_or(1980),
        small(t.month()),
        small(t.day()),
        small(t.hour()),
        small(t.minute()),
        small(t.second()),
    )
    .map_err(|e| crate::error::Error::new(format!("SOURCE_DATE_EPOCH as a zip time: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    const EPOCH: u64 = 1_790_000_000;

    fn sample() -> Archive {
        let mut a = Archive::new("pkg-1.0");
        a.add("README.md", b"read me\n".to_vec(), Mode::Data);
        a.add("bin/tool", b"\x7fELF".to_vec(), Mode::Executable);
        a.add(
            "lib/cmake/pkg/pkgConfig.cmake",
            b"# cmake\n".to_vec(),
            Mode::Data,
        );
        a
    }

    #[test]
    fn the_same_contents_give_the_same_bytes_whatever_the_order_added() {
        let dir = tempfile::tempdir().unwrap();
        let mut reversed = Archive::new("pkg-1.0");
        let a = sample();
        for path in a.paths().collect::<Vec<_>>().into_iter().rev() {
            reversed
                .entries
                .insert(path.to_owned(), a.entries[path].clone());
        }
        for (name, write) in [
            (
                "a.tar.gz",
                Archive::write_tar_gz as fn(&Archive, &Path, u64) -> Result<()>,
            ),
            ("a.tar.xz", Archive::write_tar_xz),
            ("a.zip", Archive::write_zip),
        ] {
            let one = dir.path().join(format!("1-{name}"));
            let two = dir.path().join(format!("2-{name}"));
            write(&a, &one, EPOCH).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(1100));
            write(&reversed, &two, EPOCH).unwrap();
            assert_eq!(
                std::fs::read(&one).unwrap(),
                std::fs::read(&two).unwrap(),
                "{name}"
            );
        }
    }

    #[test]
    fn gzip_header_has_no_time_or_name_and_tar_entries_are_sorted_and_ownerless() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.tar.gz");
        let mut a = sample();
        a.symlink("lib/libpkg.so", "libpkg.so.1");
        a.write_tar_gz(&out, EPOCH).unwrap();
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(&bytes[..3], &[0x1f, 0x8b, 8]);
        assert_eq!(bytes[3] & 0x08, 0, "no file name");
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "no time");
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
        let mut seen = Vec::new();
        for entry in tar.entries().unwrap() {
            let entry = entry.unwrap();
            let h = entry.header();
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
            assert_eq!(h.mtime().unwrap(), EPOCH);
            assert_eq!(h.username().unwrap(), Some(""));
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let mode = h.mode().unwrap();
            if path.ends_with("bin/tool") {
                assert_eq!(mode, 0o755);
            } else if path.ends_with("README.md") {
                assert_eq!(mode, 0o644);
            } else if path.ends_with("libpkg.so") {
                assert_eq!(
                    h.link_name().unwrap().unwrap().to_str(),
                    Some("libpkg.so.1")
                );
            }
            seen.push(path);
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        assert_eq!(seen[0], "pkg-1.0/");
        assert!(seen.contains(&"pkg-1.0/lib/cmake/pkg/".to_owned()));
    }

    #[test]
    fn zip_entries_carry_the_fixed_time_and_modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.zip");
        sample().write_zip(&out, EPOCH).unwrap();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        let mut tool = zip.by_name("pkg-1.0/bin/tool").unwrap();
        assert_eq!(tool.unix_mode().map(|m| m & 0o777), Some(0o755));
        let t = tool.last_modified().unwrap();
        // 1 790 000 000 is 2026-09-21 14:13:20 UTC; zip keeps even seconds.
        assert_eq!((t.year(), t.month(), t.day()), (2026, 9, 21));
        assert_eq!((t.hour(), t.minute(), t.second()), (14, 13, 20));
        let mut body = Vec::new();
        tool.read_to_end(&mut body).unwrap();
        assert_eq!(body, b"\x7fELF");
    }

    #[test]
    fn archives_extract_to_their_top_folder_with_modes_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = sample();
        let tgz = dir.path().join("pkg-1.0.tar.gz");
        a.symlink("bin/tool-link", "tool");
        a.write_tar_gz(&tgz, EPOCH).unwrap();
        let top = extract(&tgz, &dir.path().join("t")).unwrap();
        assert_eq!(std::fs::read(top.join("README.md")).unwrap(), b"read me\n");
        assert_eq!(
            std::fs::read_link(top.join("bin/tool-link")).unwrap(),
            Path::new("tool")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(top.join("bin/tool"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o755);
        }
        let zip = dir.path().join("pkg-1.0.zip");
        sample().write_zip(&zip, EPOCH).unwrap();
        let top = extract(&zip, &dir.path().join("z")).unwrap();
        assert!(top.join("lib/cmake/pkg/pkgConfig.cmake").is_file());
        let wrong = dir.path().join("other-2.0.zip");
        std::fs::copy(&zip, &wrong).unwrap();
        assert!(extract(&wrong, &dir.path().join("w")).is_err());
    }

    #[test]
    fn a_zip_refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = sample();
        a.symlink("lib/x", "y");
        let e = a.write_zip(&dir.path().join("a.zip"), EPOCH).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }
}
