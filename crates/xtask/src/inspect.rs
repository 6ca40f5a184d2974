//! What a shipped binary needs from the machine it runs on: the DLLs a Windows binary
//! imports, the libraries and glibc versions a Linux one needs. A user's machine has the
//! operating system and nothing else of ours, so these are checked for every artifact.
//! And what a shipped object must carry: its unwind tables.

use std::path::Path;

use object::read::elf::{Dyn, ElfFile64};
use object::{Endianness, LittleEndian as LE, Object, ObjectSection};

use crate::error::{Context, Result, bail};

/// DLLs every Windows installation has (matched without case): the system's own, and the
/// API sets.
const WINDOWS_SYSTEM_DLLS: &[&str] = &[
    "advapi32.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "combase.dll",
    "crypt32.dll",
    "iphlpapi.dll",
    "kernel32.dll",
    "msvcrt.dll",
    "ncrypt.dll",
    "netapi32.dll",
    "ntdll.dll",
    "ole32.dll",
    "oleaut32.dll",
    "pdh.dll",
    "powrprof.dll",
    "psapi.dll",
    "secur32.dll",
    "shell32.dll",
    "user32.dll",
    "userenv.dll",
    "version.dll",
    "ws2_32.dll",
];

/// Libraries every glibc Linux has.
const LINUX_SYSTEM_LIBS: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libutil.so.1",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
];

/// The DLLs a PE file (`.dll`, `.exe`, `.node`, `.pyd`) imports, as written in it.
pub fn pe_imports(path: &Path) -> Result<Vec<String>> {
    let data = std::fs::read(path).context(format!("reading {}", path.display()))?;
    let failed = |e: object::Error| crate::error::Error::new(format!("{}: {e}", path.display()));
    let file = object::read::pe::PeFile64::parse(&*data).map_err(failed)?;
    let mut names = Vec::new();
    if let Some(table) = file.import_table().map_err(failed)? {
        let mut descriptors = table.descriptors().map_err(failed)?;
        while let Some(d) = descriptors.next().map_err(failed)? {
            let name = table.name(d.name.get(LE)).map_err(failed)?;
            names.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    Ok(names)
}

/// The names a PE file (a DLL) exports.
pub fn pe_exports(path: &Path) -> Result<Vec<String>> {
    use object::Object as _;
    let data = std::fs::read(path).context(format!("reading {}", path.display()))?;
    let failed = |e: object::Error| crate::error::Error::new(format!("{}: {e}", path.display()));
    let file = object::read::pe::PeFile64::parse(&*data).map_err(failed)?;
    Ok(file
        .exports()
        .map_err(failed)?
        .iter()
        .map(|e| String::from_utf8_lossy(e.name()).into_owned())
        .collect())
}

/// Checks that a PE file imports only system DLLs and `also` (for example `python3.dll`);
/// returns its imports.
pub fn check_pe_imports(path: &Path, also: &[&str]) -> Result<Vec<String>> {
    let imports = pe_imports(path)?;
    let foreign: Vec<&String> = imports
        .iter()
        .filter(|dll| {
            let dll = dll.to_ascii_lowercase();
            !(WINDOWS_SYSTEM_DLLS.contains(&dll.as_str())
                || dll.starts_with("api-ms-win-")
                || also.iter().any(|a| a.eq_ignore_ascii_case(&dll)))
        })
        .collect();
    if !foreign.is_empty() {
        bail!(
            "{} imports DLLs a user's Windows may not have: {foreign:?} (all imports: {imports:?})",
            path.display()
        );
    }
    Ok(imports)
}

/// What an ELF file needs at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfNeeds {
    /// The `DT_NEEDED` libraries.
    pub libraries: Vec<String>,
    /// The newest `GLIBC_x.y` version among the symbol versions it needs, as (x, y).
    pub glibc: Option<(u32, u32)>,
}

/// The libraries and glibc an ELF file needs.
pub fn elf_needs(path: &Path) -> Result<ElfNeeds> {
    let data = std::fs::read(path).context(format!("reading {}", path.display()))?;
    let failed = |e: object::Error| crate::error::Error::new(format!("{}: {e}", path.display()));
    let file = ElfFile64::<Endianness>::parse(&*data).map_err(failed)?;
    let endian = file.endian();
    let sections = file.elf_section_table();
    let mut libraries = Vec::new();
    if let Some((entries, link)) = sections.dynamic(endian, &*data).map_err(failed)? {
        let strings = sections.strings(endian, &*data, link).map_err(failed)?;
        for entry in entries {
            if entry.d_tag(endian) == u64::from(object::elf::DT_NEEDED) {
                let offset = u32::try_from(entry.d_val(endian)).unwrap_or(u32::MAX);
                let name = strings.get(offset).map_err(|()| {
                    crate::error::Error::new(format!("{}: bad DT_NEEDED", path.display()))
                })?;
                libraries.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    let mut glibc = None;
    if let Some((mut needs, link)) = sections.gnu_verneed(endian, &*data).map_err(failed)? {
        let strings = sections.strings(endian, &*data, link).map_err(failed)?;
        while let Some((_, mut versions)) = needs.next().map_err(failed)? {
            while let Some(version) = versions.next().map_err(failed)? {
                let name = version.name(endian, strings).map_err(failed)?;
                if let Some(v) = glibc_version(&String::from_utf8_lossy(name)) {
                    glibc = glibc.max(Some(v));
                }
            }
        }
    }
    Ok(ElfNeeds { libraries, glibc })
}

/// Checks that an ELF file needs only system libraries and glibc `max` or older.
pub fn check_elf(path: &Path, max: (u32, u32)) -> Result<ElfNeeds> {
    let needs = elf_needs(path)?;
    let foreign: Vec<&String> = needs
        .libraries
        .iter()
        .filter(|l| !LINUX_SYSTEM_LIBS.contains(&l.as_str()))
        .collect();
    if !foreign.is_empty() {
        bail!(
            "{} needs libraries a user's Linux may not have: {foreign:?}",
            path.display()
        );
    }
    if let Some(v) = needs.glibc.filter(|v| *v > max) {
        bail!(
            "{} needs glibc {}.{}, newer than the {}.{} it is meant to run on",
            path.display(),
            v.0,
            v.1,
            max.0,
            max.1
        );
    }
    Ok(needs)
}

/// Checks that an ELF object with code has unwind tables (`.eh_frame`): without them the
/// unwinder cannot pass keyseat's frames, and a panic that keyseat would have caught and
/// returned as `KS_ERR_PANIC` aborts the program.
pub fn check_unwind_tables(data: &[u8]) -> Result<()> {
    let file = object::File::parse(data).map_err(|e| crate::error::Error::new(e.to_string()))?;
    let size = |name: &str| file.section_by_name(name).map_or(0, |s| s.size());
    let (text, eh_frame) = (size(".text"), size(".eh_frame"));
    if text > 0 && eh_frame == 0 {
        bail!("{text} bytes of code and no unwind tables (.eh_frame): a panic would abort");
    }
    Ok(())
}

/// `GLIBC_2.17` as (2, 17).
fn glibc_version(name: &str) -> Option<(u32, u32)> {
    let (major, minor) = name.strip_prefix("GLIBC_")?.split_once('.')?;
    let minor = minor.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_parse_and_order() {
        assert_eq!(glibc_version("GLIBC_2.17"), Some((2, 17)));
        assert_eq!(glibc_version("GLIBC_2.2.5"), Some((2, 2)));
        assert_eq!(glibc_version("GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version("GCC_3.0"), None);
        assert!(Some((2, 34)) > Some((2, 17)) && Some((2, 3)) < Some((2, 17)));
    }

    #[test]
    fn this_test_binary_reads_as_elf() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let me = std::env::current_exe().unwrap();
        let needs = elf_needs(&me).unwrap();
        assert!(
            needs.libraries.iter().any(|l| l == "libc.so.6"),
            "{needs:?}"
        );
        assert!(needs.glibc.is_some());
        // Built here against this machine's glibc: a maximum of 2.0 must fail.
        assert!(
            check_elf(&me, (2, 0))
                .unwrap_err()
                .to_string()
                .contains("needs glibc")
        );
    }

    #[test]
    fn an_object_without_unwind_tables_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("f.c");
        std::fs::write(&c, "int f(int x) { return x * 3; }\n").unwrap();
        let compile = |flags: &[&str], out: &str| {
            let o = dir.path().join(out);
            let built = std::process::Command::new("cc")
                .args(["-O1", "-c", "-o"])
                .arg(&o)
                .args(flags)
                .arg(&c)
                .status();
            built
                .is_ok_and(|s| s.success())
                .then(|| std::fs::read(&o).unwrap())
        };
        let Some(with) = compile(&["-fasynchronous-unwind-tables"], "with.o") else {
            return; // no C compiler here
        };
        check_unwind_tables(&with).unwrap();
        let without = compile(
            &["-fno-asynchronous-unwind-tables", "-fno-unwind-tables"],
            "without.o",
        )
        .unwrap();
        let e = check_unwind_tables(&without).unwrap_err();
        assert!(e.to_string().contains("no unwind tables"), "{e}");
        assert!(check_unwind_tables(b"not an object").is_err());
    }

    #[test]
    fn a_non_pe_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.dll");
        std::fs::write(&path, b"MZ not really").unwrap();
        assert!(pe_imports(&path).is_err());
        assert!(elf_needs(&path).is_err());
    }
}
