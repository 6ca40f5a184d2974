//! The C SDK archive, `keyseat-c-<v>-<target>`: the header, the shared and static
//! libraries, a relocatable `keyseat.pc`, a relocatable CMake package (in the way Slint
//! ships `SlintConfig.cmake`: the prefix found from the config file's own location), the
//! license and a README.
//!
//! The static library, on Linux, is one object linked ahead (`ld -r`) from what rustc's
//! staticlib holds: only the code the C API reaches (`--gc-sections` from the exported
//! `ks_*` functions), sections merged, every symbol but the API made local. That makes it a
//! third of the size, and two Rust static libraries in one program no longer clash over
//! the standard library's symbols. GNU ld cannot link PE objects ahead, so on Windows the
//! archive keeps the members the API reaches ([`static_lib`]), stripped of debug
//! information.

use std::path::{Path, PathBuf};

use crate::archive::{Archive, Mode};
use crate::cmd::Cmd;
use crate::dist::cargo::Built;
use crate::dist::static_lib;
use crate::dist::template::fill;
use crate::error::{Context, Result, bail};
use crate::inspect;
use crate::platform::Platform;
use crate::toolchain::Toolchain;
use crate::workspace::Workspace;

const CONFIG: &str = include_str!("../../templates/c/keyseatConfig.cmake.in");
const CONFIG_VERSION: &str = include_str!("../../templates/c/keyseatConfigVersion.cmake.in");
const PKG_CONFIG: &str = include_str!("../../templates/c/keyseat.pc.in");
const README: &str = include_str!("../../templates/c/README.md");

/// The C library as built for one platform.
pub struct CLibrary {
    /// The shared library (`.so`, `.dll`, `.dylib`).
    pub shared: PathBuf,
    /// rustc's static library.
    pub staticlib: PathBuf,
    /// The system libraries a static link needs (`-lgcc_s …`).
    pub native_libs: Vec<String>,
}

impl CLibrary {
    /// The C library of a `cargo rustc -p keyseat-ffi` build.
    pub fn from_build(built: &Built, platform: Platform) -> Result<CLibrary> {
        let (shared_ext, static_ext) = match platform {
            p if p.is_windows() => (".dll", ".a"),
            p if p.is_macos() => (".dylib", ".a"),
            _ => (".so", ".a"),
        };
        Ok(CLibrary {
            shared: built.file("keyseat_ffi", "cdylib", shared_ext)?,
            staticlib: built.file("keyseat_ffi", "staticlib", static_ext)?,
            native_libs: built.native_static_libs()?,
        })
    }
}

/// The names of the exported C functions, from `symbols.txt`.
pub fn api_symbols(ws: &Workspace) -> Result<Vec<String>> {
    let path = ws.file("crates/keyseat-ffi/symbols.txt");
    let text = std::fs::read_to_string(&path).context(format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// Writes the C SDK archive of `lib` into `out`; returns its path.
pub fn package(
    ws: &Workspace,
    tc: &Toolchain,
    lib: &CLibrary,
    work: &Path,
    out: &Path,
) -> Result<PathBuf> {
    let p = tc.platform;
    let top = format!("keyseat-c-{}-{}", ws.version, p.triple());
    let abi = &ws.abi_version;
    let abi_major = abi.split('.').next().unwrap_or("1");
    let symbols = api_symbols(ws)?;
    let mut a = Archive::new(&top);
    a.copy(
        "include/keyseat.h",
        &ws.file("crates/keyseat-ffi/include/keyseat.h"),
        Mode::Data,
    )?;
    a.copy("LICENSE", &ws.file("LICENSE"), Mode::Data)?;
    let static_lib = prelinked_static_library(tc, lib, &symbols, work)?;
    a.copy("lib/libkeyseat.a", &static_lib, Mode::Data)?;

    let (shared_location, shared_extra, files) = if p.is_windows() {
        a.copy("bin/keyseat.dll", &lib.shared, Mode::Executable)?;
        let def = module_definition(&inspect::pe_exports(&lib.shared)?, &symbols)?;
        a.add("lib/libkeyseat.dll.a", import_library(&def)?, Mode::Data);
        a.add("lib/keyseat.def", def.into_bytes(), Mode::Data);
        (
            "bin/keyseat.dll".to_owned(),
            "    IMPORTED_IMPLIB \"${_keyseat_prefix}/lib/libkeyseat.dll.a\"\n".to_owned(),
            "| `bin/keyseat.dll` | the shared library |\n\
             | `lib/libkeyseat.dll.a`, `lib/keyseat.def` | its import library (MinGW) and module definition (for MSVC's `lib /def`) |\n\
             | `lib/libkeyseat.a` | the static library |\n",
        )
    } else if p.is_macos() {
        let real = format!("libkeyseat.{abi_major}.dylib");
        a.copy(&format!("lib/{real}"), &lib.shared, Mode::Executable)?;
        a.symlink("lib/libkeyseat.dylib", &real);
        (
            format!("lib/{real}"),
            format!("    IMPORTED_SONAME \"@rpath/{real}\"\n"),
            "| `lib/libkeyseat.dylib` | the shared library (install name `@rpath/libkeyseat.1.dylib`) |\n\
             | `lib/libkeyseat.a` | the static library |\n",
        )
    } else {
        let real = format!("libkeyseat.so.{abi}");
        let soname = format!("libkeyseat.so.{abi_major}");
        a.copy(&format!("lib/{real}"), &lib.shared, Mode::Executable)?;
        a.symlink(&format!("lib/{soname}"), &real);
        a.symlink("lib/libkeyseat.so", &soname);
        (
            format!("lib/{real}"),
            format!("    IMPORTED_SONAME \"{soname}\"\n"),
            "| `lib/libkeyseat.so*` | the shared library (SONAME `libkeyseat.so.1`) |\n\
             | `lib/libkeyseat.a` | the static library |\n",
        )
    };
    let static_libs = lib.native_libs.join(" ");
    let cmake_libs: Vec<String> = lib
        .native_libs
        .iter()
        .map(|l| {
            l.strip_prefix("-l")
                .filter(|n| !n.starts_with(':'))
                .unwrap_or(l)
                .to_owned()
        })
        .collect();
    a.add(
        "lib/cmake/keyseat/keyseatConfig.cmake",
        fill(
            CONFIG,
            &[
                ("SHARED_LIBRARY", &shared_location),
                ("SHARED_EXTRA", &shared_extra),
                ("STATIC_LIBRARY", "libkeyseat.a"),
                ("STATIC_LINK_LIBRARIES", &cmake_libs.join(";")),
            ],
        )?
        .into_bytes(),
        Mode::Data,
    );
    a.add(
        "lib/cmake/keyseat/keyseatConfigVersion.cmake",
        fill(
            CONFIG_VERSION,
            &[("VERSION", abi), ("VERSION_MAJOR", abi_major)],
        )?
        .into_bytes(),
        Mode::Data,
    );
    a.add(
        "lib/pkgconfig/keyseat.pc",
        fill(
            PKG_CONFIG,
            &[
                ("VERSION", abi),
                ("URL", "https://github.com/keyseat/keyseat"),
                ("STATIC_LIBS", &static_libs),
            ],
        )?
        .into_bytes(),
        Mode::Data,
    );
    a.add(
        "README.md",
        fill(
            README,
            &[
                ("VERSION", &ws.version),
                ("ABI", abi),
                ("ABI_MAJOR", abi_major),
                ("TRIPLE", p.triple()),
                ("FILES", files),
                ("STATIC_LIBS", &static_libs),
            ],
        )?
        .into_bytes(),
        Mode::Data,
    );
    let path = out.join(format!("{top}.{}", p.archive_extension()));
    a.write(&path, ws.epoch)?;
    Ok(path)
}

/// The static library that ships: on Linux one pre-linked object holding what the API
/// reaches, only the API global; elsewhere rustc's, stripped of debug information.
fn prelinked_static_library(
    tc: &Toolchain,
    lib: &CLibrary,
    symbols: &[String],
    work: &Path,
) -> Result<PathBuf> {
    let dir = work.join(format!("static-{}", tc.platform.name()));
    std::fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
    let out = dir.join("libkeyseat.a");
    let _ = std::fs::remove_file(&out);
    if tc.platform != Platform::LinuxX64 {
        let kept = static_lib::keep_reachable(&lib.staticlib, symbols, &out)?;
        println!(
            "static library: {} of {} members kept, {} of {} bytes",
            kept.members.0, kept.members.1, kept.bytes.0, kept.bytes.1
        );
        if tc.platform.is_windows() {
            Cmd::new(tc.binutil("strip"))
                .args(["--strip-debug", "--enable-deterministic-archives"])
                .arg(&out)
                .run()?;
        }
        return Ok(out);
    }
    let script = dir.join("merge.ld");
    std::fs::write(&script, MERGE_SECTIONS).context("writing the linker script")?;
    let keep = dir.join("api.txt");
    std::fs::write(&keep, symbols.join("\n") + "\n").context("writing the symbol list")?;
    let object = dir.join("keyseat.o");
    let roots: Vec<String> = symbols.iter().map(|s| format!("--undefined={s}")).collect();
    Cmd::new("ld")
        .args(["-r", "--gc-sections", "-T"])
        .arg(&script)
        .args(&roots)
        .arg("-o")
        .arg(&object)
        .arg(&lib.staticlib)
        .run()?;
    // The bitcode rustc embeds in compiler_builtins is no use to a C linker, and GNU nm's
    // LTO plugin aborts on it ("LLVM ERROR: Invalid encoding").
    Cmd::new("objcopy")
        .arg(format!("--keep-global-symbols={}", keep.display()))
        .args([
            "--strip-unneeded",
            "--remove-section=.llvmbc",
            "--remove-section=.llvmcmd",
        ])
        .arg(&object)
        .run()?;
    let bytes = read(&object)?;
    inspect::check_unwind_tables(&bytes).context(format!("{}", object.display()))?;
    static_lib::write_archive(&out, &[("keyseat.o".to_owned(), bytes)])?;
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).context(format!("reading {}", path.display()))
}

/// The linker script of the pre-link: a relocatable link keeps every function's own
/// section (tens of thousands of headers and relocation tables); merge them by kind.
///
/// `.eh_frame` is named and kept: with `--gc-sections`, a script that leaves it out drops
/// it, and without unwind tables a panic inside keyseat aborts the program instead of
/// becoming `KS_ERR_PANIC`. ld still removes the entries of collected functions.
const MERGE_SECTIONS: &str = "SECTIONS {
  .text : { *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data.rel.ro : { *(.data.rel.ro .data.rel.ro.*) }
  .data : { *(.data .data.*) }
  .bss : { *(.bss .bss.*) }
  .tdata : { *(.tdata .tdata.*) }
  .tbss : { *(.tbss .tbss.*) }
  .eh_frame : { KEEP(*(.eh_frame)) }
  .gcc_except_table : { *(.gcc_except_table .gcc_except_table.*) }
  .init_array : { KEEP(*(.init_array .init_array.*)) }
  .fini_array : { KEEP(*(.fini_array .fini_array.*)) }
}
";

/// The module definition of keyseat.dll, from the DLL's export table, named for the
/// shipped DLL and checked to export exactly the C API.
fn module_definition(exports: &[String], symbols: &[String]) -> Result<String> {
    let mut exports: Vec<&str> = exports.iter().map(String::as_str).collect();
    exports.sort_unstable();
    let mut expected: Vec<&str> = symbols.iter().map(String::as_str).collect();
    expected.sort_unstable();
    if exports != expected {
        bail!(
            "keyseat.dll exports {} functions, symbols.txt lists {}: they must be the same",
            exports.len(),
            expected.len()
        );
    }
    let mut def = String::from("LIBRARY keyseat.dll\nEXPORTS\n");
    for name in exports {
        def.push_str(&format!("    {name}\n"));
    }
    Ok(def)
}

/// A MinGW import library of `def`.
fn import_library(def: &str) -> Result<Vec<u8>> {
    let lib = implib::ImportLibrary::new(def, implib::MachineType::AMD64, implib::Flavor::Gnu)
        .context("reading keyseat.def")?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    lib.write_to(&mut bytes)
        .context("writing the import library")?;
    Ok(bytes.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_definition_names_the_shipped_dll_and_exactly_the_api() {
        let exports = vec!["ks_version".to_owned(), "ks_check".to_owned()];
        let symbols = vec!["ks_check".to_owned(), "ks_version".to_owned()];
        assert_eq!(
            module_definition(&exports, &symbols).unwrap(),
            "LIBRARY keyseat.dll\nEXPORTS\n    ks_check\n    ks_version\n"
        );
        let e = module_definition(&exports, &symbols[..1]).unwrap_err();
        assert!(e.to_string().contains("must be the same"), "{e}");
    }

    #[test]
    fn the_import_library_refers_to_keyseat_dll() {
        let lib = import_library("LIBRARY keyseat.dll\nEXPORTS\n    ks_version\n").unwrap();
        assert!(lib.starts_with(b"!<arch>\n"));
        let text = String::from_utf8_lossy(&lib);
        assert!(text.contains("keyseat.dll") && text.contains("ks_version"));
        assert!(!text.contains("keyseat_ffi"));
    }

    #[test]
    fn the_cmake_version_file_is_complete() {
        let text = fill(
            CONFIG_VERSION,
            &[("VERSION", "1.2.3"), ("VERSION_MAJOR", "1")],
        )
        .unwrap();
        assert!(text.contains(r#"set(PACKAGE_VERSION "1.2.3")"#));
        assert!(text.contains(r#"STREQUAL "1""#));
    }
}
