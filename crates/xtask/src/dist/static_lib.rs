//! The static library as shipped, made smaller than rustc's staticlib without changing what
//! it links to.
//!
//! rustc's staticlib holds every object its dependencies bring, whether or not the C API
//! reaches it: on Windows, thousands of import stubs of the `windows` crates, most of the
//! archive. [`keep_reachable`] keeps only the members a program calling the C API links,
//! as a linker would pick them: starting from the exported `ks_*` functions, each member
//! that defines a symbol a kept member needs. Nothing a program could link is removed.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use object::{Object, ObjectSymbol};

use crate::error::{Context, Result, bail};

/// One member of an archive, with the symbols it defines and needs.
struct Member<'a> {
    name: String,
    data: &'a [u8],
    defines: Vec<String>,
    needs: Vec<String>,
}

/// What [`keep_reachable`] kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// Members kept, of how many.
    pub members: (usize, usize),
    /// Bytes of the archive written, and of the one read.
    pub bytes: (u64, u64),
}

/// Writes to `out` the members of the archive `input` that `roots` reach, in their order.
pub fn keep_reachable(input: &Path, roots: &[String], out: &Path) -> Result<Kept> {
    let data = std::fs::read(input).context(format!("reading {}", input.display()))?;
    let (kept, of) = reachable_members(&data, input, roots)?;
    let written = write_archive(out, &kept)?;
    Ok(Kept {
        members: (kept.len(), of),
        bytes: (written, data.len() as u64),
    })
}

/// Members of an archive: each one's name and bytes.
pub type Members<'a> = Vec<(String, &'a [u8])>;

/// The members of the archive `data` (read from `path`) that `roots` reach, in their
/// order, and how many members it has.
pub fn reachable_members<'a>(
    data: &'a [u8],
    path: &Path,
    roots: &[String],
) -> Result<(Members<'a>, usize)> {
    let members = read_members(data, path)?;
    let keep = reachable(&members, roots)?;
    let kept = members
        .iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, m)| (m.name.clone(), m.data))
        .collect();
    Ok((kept, members.len()))
}

/// Writes a GNU archive of `members` (name, bytes) with its symbol index: owners 0, times
/// 0, mode 0644, as the archive writer rustc itself uses. Returns its size.
pub fn write_archive<B: AsRef<[u8]>>(out: &Path, members: &[(String, B)]) -> Result<u64> {
    write_archive_of_kind(out, members, ar_archive_writer::ArchiveKind::Gnu)
}

/// [`write_archive`] in the format `kind` (`Darwin` for Apple's linker, whose symbol index
/// is `__.SYMDEF`).
pub fn write_archive_of_kind<B: AsRef<[u8]>>(
    out: &Path,
    members: &[(String, B)],
    kind: ar_archive_writer::ArchiveKind,
) -> Result<u64> {
    let entries: Vec<ar_archive_writer::NewArchiveMember<'_>> = members
        .iter()
        .map(|(name, bytes)| ar_archive_writer::NewArchiveMember {
            buf: Box::new(bytes.as_ref()),
            object_reader: &ar_archive_writer::DEFAULT_OBJECT_READER,
            member_name: name.clone(),
            mtime: 0,
            uid: 0,
            gid: 0,
            perms: 0o644,
        })
        .collect();
    let mut file = std::fs::File::create(out).context(format!("creating {}", out.display()))?;
    ar_archive_writer::write_archive_to_stream(&mut file, &entries, kind, false, None)
        .context(format!("writing {}", out.display()))?;
    Ok(file.metadata().map(|m| m.len()).unwrap_or(0))
}

fn read_members<'a>(data: &'a [u8], path: &Path) -> Result<Vec<Member<'a>>> {
    let failed = |e: object::Error| crate::error::Error::new(format!("{}: {e}", path.display()));
    let archive = object::read::archive::ArchiveFile::parse(data).map_err(failed)?;
    let mut members = Vec::new();
    for member in archive.members() {
        let member = member.map_err(failed)?;
        let name = String::from_utf8_lossy(member.name()).into_owned();
        let bytes = member.data(data).map_err(failed)?;
        let (defines, needs) = match object::File::parse(bytes) {
            Ok(obj) => symbols(&obj),
            Err(e) => bail!(
                "{}: member {name} is not an object file: {e}",
                path.display()
            ),
        };
        members.push(Member {
            name,
            data: bytes,
            defines,
            needs,
        });
    }
    Ok(members)
}

/// The global symbols an object defines, and those it needs from elsewhere.
fn symbols(obj: &object::File<'_>) -> (Vec<String>, Vec<String>) {
    let mut defines = Vec::new();
    let mut needs = Vec::new();
    for sym in obj.symbols() {
        let Ok(name) = sym.name() else { continue };
        if name.is_empty() {
            continue;
        }
        if sym.is_undefined() {
            needs.push(name.to_owned());
        } else if sym.is_global() {
            defines.push(name.to_owned());
        }
    }
    (defines, needs)
}

/// The indexes of the members a link from `roots` pulls in, as a linker picks members: the
/// first member defining a needed symbol.
fn reachable(members: &[Member<'_>], roots: &[String]) -> Result<BTreeSet<usize>> {
    let mut definer: HashMap<&str, usize> = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        for name in &m.defines {
            definer.entry(name.as_str()).or_insert(i);
        }
    }
    let mut keep = BTreeSet::new();
    let mut wanted: Vec<&str> = Vec::new();
    for root in roots {
        if !definer.contains_key(root.as_str()) {
            bail!("no member of the static library defines {root}");
        }
        wanted.push(root);
    }
    while let Some(name) = wanted.pop() {
        if let Some(&i) = definer.get(name)
            && keep.insert(i)
        {
            wanted.extend(members[i].needs.iter().map(String::as_str));
        }
    }
    Ok(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member<'a>(name: &str, defines: &[&str], needs: &[&str]) -> Member<'a> {
        Member {
            name: name.to_owned(),
            data: &[],
            defines: defines.iter().map(|s| s.to_string()).collect(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn members_are_kept_as_a_linker_would_pull_them() {
        let members = vec![
            member("api.o", &["ks_check"], &["helper", "memcpy"]),
            member("unused.o", &["other"], &["helper"]),
            member("helper.o", &["helper"], &["__imp_CreateFileW"]),
            member("stub1.o", &["__imp_CreateFileW"], &[]),
            member("stub2.o", &["__imp_DeleteFileW"], &[]),
            member("dup.o", &["helper"], &[]),
        ];
        let keep = reachable(&members, &["ks_check".to_owned()]).unwrap();
        assert_eq!(keep.into_iter().collect::<Vec<_>>(), [0, 2, 3]);
        let e = reachable(&members, &["ks_missing".to_owned()]).unwrap_err();
        assert!(e.to_string().contains("ks_missing"), "{e}");
    }

    #[test]
    fn a_real_archive_round_trips() {
        // This test binary's own object is not an archive; build a small one with `ar`.
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("a.c");
        std::fs::write(&c, "int ks_answer(void) { return 42; }\n").unwrap();
        let o = dir.path().join("a.o");
        let compiled = std::process::Command::new("cc")
            .args(["-c", "-o"])
            .arg(&o)
            .arg(&c)
            .status();
        if !compiled.is_ok_and(|s| s.success()) {
            return; // no C compiler here
        }
        let lib = dir.path().join("liba.a");
        assert!(
            std::process::Command::new("ar")
                .arg("rcs")
                .arg(&lib)
                .arg(&o)
                .status()
                .unwrap()
                .success()
        );
        let out = dir.path().join("out.a");
        let kept = keep_reachable(&lib, &["ks_answer".to_owned()], &out).unwrap();
        assert_eq!(kept.members, (1, 1));
        let again = std::fs::read(&out).unwrap();
        let archive = object::read::archive::ArchiveFile::parse(&*again).unwrap();
        assert_eq!(archive.members().count(), 1);
        assert!(archive.symbols().unwrap().is_some(), "a symbol index");
    }
}
