//! Mach-O, read and written without Apple's tools: the universal ("fat") container that
//! holds one static library per architecture, what a slice's object defines and needs, its
//! unwind tables, and which symbols a linked program leaves for the dynamic loader to find.

use object::macho;
use object::read::macho::{FatArch, LoadCommandVariant, MachHeader, Nlist};
use object::{Architecture, Object, ObjectSection, ObjectSymbol};

use crate::error::{Result, bail};

/// An architecture a universal file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// `x86_64`.
    X86_64,
    /// `arm64` (Apple silicon).
    Arm64,
}

impl Arch {
    /// Mach-O's CPU type and sub-type (`*_ALL`).
    fn cpu(self) -> (u32, u32) {
        match self {
            Arch::X86_64 => (macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL),
            Arch::Arm64 => (macho::CPU_TYPE_ARM64, macho::CPU_SUBTYPE_ARM64_ALL),
        }
    }

    fn object_arch(self) -> Architecture {
        match self {
            Arch::X86_64 => Architecture::X86_64,
            Arch::Arm64 => Architecture::Aarch64,
        }
    }
}

/// The alignment of each slice, as a power of two: 8 bytes, as Apple's `libtool` writes
/// universal static libraries (an archive is read, never mapped as pages).
const SLICE_ALIGN: u32 = 3;

/// A universal file of `slices`, in the order given (each slice's bytes unchanged).
pub fn write_fat(slices: &[(Arch, &[u8])]) -> Result<Vec<u8>> {
    let align = 1usize << SLICE_ALIGN;
    let header_len = 8 + 20 * slices.len();
    let mut out = Vec::new();
    out.extend(macho::FAT_MAGIC.to_be_bytes());
    out.extend(
        u32::try_from(slices.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    let mut offset = header_len.next_multiple_of(align);
    let mut placed = Vec::new();
    for (arch, bytes) in slices {
        let (cpu, sub) = arch.cpu();
        let (Ok(at), Ok(len)) = (u32::try_from(offset), u32::try_from(bytes.len())) else {
            bail!("a universal file over 4 GB");
        };
        for field in [cpu, sub, at, len, SLICE_ALIGN] {
            out.extend(field.to_be_bytes());
        }
        placed.push((offset, *bytes));
        offset = (offset + bytes.len()).next_multiple_of(align);
    }
    for (at, bytes) in placed {
        out.resize(at, 0);
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// The slices of a universal file, checked to be exactly `expected`, in that order.
pub fn fat_slices<'a>(data: &'a [u8], expected: &[Arch]) -> Result<Vec<&'a [u8]>> {
    let fat = object::read::macho::MachOFatFile32::parse(data)
        .map_err(|e| crate::error::Error::new(format!("not a universal file: {e}")))?;
    let mut slices = Vec::new();
    let arches: Vec<Architecture> = fat.arches().iter().map(|a| a.architecture()).collect();
    let wanted: Vec<Architecture> = expected.iter().map(|a| a.object_arch()).collect();
    if arches != wanted {
        bail!("the universal file holds {arches:?}, not {wanted:?}");
    }
    for arch in fat.arches() {
        slices.push(
            arch.data(data)
                .map_err(|e| crate::error::Error::new(format!("a slice: {e}")))?,
        );
    }
    Ok(slices)
}

/// What an object file defines for others and needs from them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Symbols {
    /// Global symbols it defines (Mach-O names, with their `_`).
    pub defined: Vec<String>,
    /// Symbols it leaves undefined.
    pub undefined: Vec<String>,
}

/// The symbols of the Mach-O object `data`, which must be for `arch`.
pub fn object_symbols(data: &[u8], arch: Arch) -> Result<Symbols> {
    let file = object::File::parse(data).map_err(|e| crate::error::Error::new(e.to_string()))?;
    if file.format() != object::BinaryFormat::MachO || file.architecture() != arch.object_arch() {
        bail!(
            "a {:?} {:?} object, not a Mach-O {:?} one",
            file.format(),
            file.architecture(),
            arch
        );
    }
    let mut symbols = Symbols::default();
    for sym in file.symbols() {
        let Ok(name) = sym.name() else { continue };
        if sym.is_undefined() {
            symbols.undefined.push(name.to_owned());
        } else if sym.is_global() {
            symbols.defined.push(name.to_owned());
        }
    }
    symbols.defined.sort();
    symbols.undefined.sort();
    Ok(symbols)
}

/// Fails unless the Mach-O object `data` carries unwind tables for its code: DWARF CFI
/// (`__eh_frame`) and the compact unwind entries the linker turns into `__unwind_info`.
/// Without them a panic inside keyseat aborts the program instead of becoming
/// `KS_ERR_PANIC`.
pub fn check_unwind_tables(data: &[u8]) -> Result<()> {
    let file = object::File::parse(data).map_err(|e| crate::error::Error::new(e.to_string()))?;
    let size = |name: &str| file.section_by_name(name).map_or(0, |s| s.size());
    let text = size("__text");
    for table in ["__eh_frame", "__compact_unwind"] {
        if text > 0 && size(table) == 0 {
            bail!("{text} bytes of code and no {table}: a panic would abort");
        }
    }
    Ok(())
}

/// The imports of a linked Mach-O program: each undefined symbol with the library it is
/// bound to (an install name, from `LC_LOAD_DYLIB`), or `None` when it is left to a flat
/// lookup at load time (`-undefined dynamic_lookup`).
pub fn program_imports(data: &[u8]) -> Result<Vec<(String, Option<String>)>> {
    let failed = |e: object::Error| crate::error::Error::new(format!("a Mach-O program: {e}"));
    let header = macho::MachHeader64::<object::Endianness>::parse(data, 0).map_err(failed)?;
    let endian = header.endian().map_err(failed)?;
    let mut libraries: Vec<String> = Vec::new();
    let mut table = None;
    let mut commands = header.load_commands(endian, data, 0).map_err(failed)?;
    while let Some(command) = commands.next().map_err(failed)? {
        match command.variant().map_err(failed)? {
            LoadCommandVariant::Dylib(dylib) => {
                let kind = command.cmd();
                if kind != macho::LC_ID_DYLIB {
                    let name = command.string(endian, dylib.dylib.name).map_err(failed)?;
                    libraries.push(String::from_utf8_lossy(name).into_owned());
                }
            }
            LoadCommandVariant::Symtab(symtab) => {
                table = Some(
                    symtab
                        .symbols::<macho::MachHeader64<_>, _>(endian, data)
                        .map_err(failed)?,
                );
            }
            _ => {}
        }
    }
    let Some(table) = table else {
        bail!("a Mach-O program with no symbol table");
    };
    let mut imports = Vec::new();
    for nlist in table.iter() {
        let undefined = nlist.n_type() & macho::N_TYPE == macho::N_UNDF;
        if nlist.is_stab() || !undefined || nlist.n_type() & macho::N_EXT == 0 {
            continue;
        }
        let name = String::from_utf8_lossy(nlist.name(endian, table.strings()).map_err(failed)?)
            .into_owned();
        let ordinal = (nlist.n_desc(endian) >> 8) as u8;
        // ld64 marks a flat lookup with DYNAMIC_LOOKUP_ORDINAL, zig's linker with 0 (no
        // library: an undefined symbol cannot be the program's own).
        let library = match ordinal {
            macho::DYNAMIC_LOOKUP_ORDINAL | macho::SELF_LIBRARY_ORDINAL => None,
            n => Some(
                libraries
                    .get(usize::from(n) - 1)
                    .cloned()
                    .unwrap_or_else(|| format!("(library {n} of {})", libraries.len())),
            ),
        };
        imports.push((name, library));
    }
    Ok(imports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_universal_file_round_trips_with_aligned_slices() {
        let x86 = vec![1u8; 13];
        let arm = vec![2u8; 5];
        let fat = write_fat(&[(Arch::X86_64, &x86), (Arch::Arm64, &arm)]).unwrap();
        assert_eq!(&fat[..4], &[0xca, 0xfe, 0xba, 0xbe]);
        let slices = fat_slices(&fat, &[Arch::X86_64, Arch::Arm64]).unwrap();
        assert_eq!(slices, [&x86[..], &arm[..]]);
        // Each slice starts on its alignment.
        let first = u32::from_be_bytes(fat[16..20].try_into().unwrap());
        let second = u32::from_be_bytes(fat[36..40].try_into().unwrap());
        assert_eq!((first % 8, second % 8), (0, 0));
        assert_eq!((first, second), (48, 64), "13 bytes after 48, padded to 8");
        let e = fat_slices(&fat, &[Arch::Arm64, Arch::X86_64]).unwrap_err();
        assert!(e.to_string().contains("holds"), "{e}");
        assert!(fat_slices(b"!<arch>\n", &[Arch::Arm64]).is_err());
    }

    #[test]
    fn a_non_mach_o_object_is_an_error_not_a_panic() {
        assert!(object_symbols(b"not an object", Arch::Arm64).is_err());
        assert!(check_unwind_tables(b"\x7fELF").is_err());
        assert!(program_imports(&[0u8; 3]).is_err());
    }
}
