//! `sha256.sum`, in cargo-dist's format: one line per artifact, `<sha256 hex> *<file name>`,
//! sorted by name, which `sha256sum --check sha256.sum` reads.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Context, Result, bail};

/// The checksum file's name.
pub const FILE: &str = "sha256.sum";

/// The SHA-256 of a file, as lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).context(format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .context(format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The artifacts of `dir` (every file but `sha256.sum`), by name, with their checksums.
pub fn compute(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut sums = BTreeMap::new();
    for entry in std::fs::read_dir(dir).context(format!("listing {}", dir.display()))? {
        let entry = entry.context(format!("listing {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == FILE || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        sums.insert(name, sha256_file(&entry.path())?);
    }
    Ok(sums)
}

/// The text of a checksum file for `sums`.
pub fn render(sums: &BTreeMap<String, String>) -> String {
    sums.iter()
        .map(|(name, sum)| format!("{sum} *{name}\n"))
        .collect()
}

/// Reads a checksum file's lines back into names and checksums.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>> {
    let mut sums = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((sum, name)) = line.split_once(' ') else {
            bail!("line {}: {line:?} is not `<sha256> *<name>`", n + 1);
        };
        // The mode character: `*` (binary, cargo-dist's) or a space (sha256sum's text mode).
        let name = name
            .strip_prefix('*')
            .or_else(|| name.strip_prefix(' '))
            .unwrap_or(name);
        if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
            bail!("line {}: {line:?} is not `<sha256> *<name>`", n + 1);
        }
        sums.insert(name.to_owned(), sum.to_ascii_lowercase());
    }
    Ok(sums)
}

/// Writes `dir/sha256.sum` for every artifact in `dir`; returns the sums.
pub fn write(dir: &Path) -> Result<BTreeMap<String, String>> {
    let sums = compute(dir)?;
    let path = dir.join(FILE);
    std::fs::write(&path, render(&sums)).context(format!("writing {}", path.display()))?;
    Ok(sums)
}

/// Checks `dir/sha256.sum` against the files: every listed file is there with its
/// checksum, and every file is listed.
pub fn verify(dir: &Path) -> Result<BTreeMap<String, String>> {
    let path = dir.join(FILE);
    let listed =
        parse(&std::fs::read_to_string(&path).context(format!("reading {}", path.display()))?)?;
    let actual = compute(dir)?;
    for (name, sum) in &listed {
        match actual.get(name) {
            None => bail!("{name} is listed in {FILE} but missing"),
            Some(real) if real != sum => bail!("{name}: checksum {real}, {FILE} says {sum}"),
            Some(_) => {}
        }
    }
    if let Some(extra) = actual.keys().find(|n| !listed.contains_key(*n)) {
        bail!("{extra} is not listed in {FILE}");
    }
    Ok(listed)
}

/// Checks that every artifact of `second` has the same checksum in `first`: a second build
/// of some of the artifacts reproduced them. Returns the names compared.
pub fn same(first: &Path, second: &Path) -> Result<Vec<String>> {
    let read = |p: &Path| -> Result<BTreeMap<String, String>> {
        parse(&std::fs::read_to_string(p).context(format!("reading {}", p.display()))?)
    };
    let (a, b) = (read(first)?, read(second)?);
    if b.is_empty() {
        bail!("{} lists no artifact", second.display());
    }
    let mut differ = Vec::new();
    for (name, sum) in &b {
        match a.get(name) {
            Some(s) if s == sum => {}
            Some(s) => differ.push(format!("{name}: {s} then {sum}")),
            None => differ.push(format!("{name}: missing from {}", first.display())),
        }
    }
    if !differ.is_empty() {
        bail!("not reproduced:\n  {}", differ.join("\n  "));
    }
    Ok(b.into_keys().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_in_cargo_dists_format_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.zip"), b"bbb").unwrap();
        std::fs::write(dir.path().join("a.tar.gz"), b"").unwrap();
        let sums = write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(
            text,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 *a.tar.gz\n\
             3e744b9dc39389baf0c5a0660589b8402f3dbb49b89b3e75f2c9355852a3c677 *b.zip\n"
        );
        assert_eq!(verify(dir.path()).unwrap(), sums);
        assert_eq!(parse(&text).unwrap(), sums);
    }

    #[test]
    fn a_changed_missing_or_unlisted_file_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.zip"), b"a").unwrap();
        write(dir.path()).unwrap();
        std::fs::write(dir.path().join("a.zip"), b"A").unwrap();
        assert!(
            verify(dir.path())
                .unwrap_err()
                .to_string()
                .contains("a.zip: checksum")
        );
        write(dir.path()).unwrap();
        std::fs::write(dir.path().join("new.whl"), b"n").unwrap();
        assert!(
            verify(dir.path())
                .unwrap_err()
                .to_string()
                .contains("new.whl is not listed")
        );
        std::fs::remove_file(dir.path().join("new.whl")).unwrap();
        std::fs::remove_file(dir.path().join("a.zip")).unwrap();
        assert!(
            verify(dir.path())
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
    }

    #[test]
    fn malformed_lines_are_refused() {
        for bad in ["abc *x", "x", &format!("{} *", "0".repeat(64))] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // sha256sum's text-mode form (two spaces) is read too.
        let two_spaces = format!("{}  name.tgz\n", "a".repeat(64));
        assert_eq!(parse(&two_spaces).unwrap()["name.tgz"], "a".repeat(64));
    }

    #[test]
    fn a_second_build_must_match_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("1.sum"), dir.path().join("2.sum"));
        let line = |sum: char, name: &str| format!("{} *{name}\n", sum.to_string().repeat(64));
        std::fs::write(&first, line('a', "x.tgz") + &line('b', "y.zip")).unwrap();
        std::fs::write(&second, line('a', "x.tgz")).unwrap();
        assert_eq!(same(&first, &second).unwrap(), ["x.tgz"]);
        std::fs::write(&second, line('c', "x.tgz")).unwrap();
        assert!(
            same(&first, &second)
                .unwrap_err()
                .to_string()
                .contains("x.tgz")
        );
        std::fs::write(&second, line('a', "z.whl")).unwrap();
        assert!(
            same(&first, &second)
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
        std::fs::write(&second, "").unwrap();
        assert!(same(&first, &second).is_err());
    }
}
