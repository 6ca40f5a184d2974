//! The macOS C SDK that Linux can build, `keyseat-c-<v>-universal2-apple-darwin.tar.xz`:
//! the static library only, one universal file with an `x86_64` and an `arm64` slice.
//!
//! No Apple linker or SDK runs here, and none is needed for a static library: each slice
//! is rustc's staticlib for its target (the standard library built from source, zig as
//! the C compiler, every symbol hidden but the exported ones), cut to the members the C
//! API reaches and linked ahead by zig (`-r`) into one object in which only the `ks_*`
//! functions are global, as the Linux static library is. Each slice is then checked (the
//! API's symbols exactly, unwind tables) and a C program is linked against it by zig with
//! `-undefined dynamic_lookup`: every symbol left undefined must be libSystem's (zig binds
//! those) or one of the frameworks `keyseat.pc` names, or the archive is incomplete.

use std::path::{Path, PathBuf};

use crate::archive::{Archive, Mode};
use crate::cmd::Cmd;
use crate::dist::c_sdk::api_symbols;
use crate::dist::template::fill;
use crate::dist::{cargo, static_lib};
use crate::error::{Context, Result, bail};
use crate::macho::{self, Arch};
use crate::platform::Platform;
use crate::toolchain::Toolchain;
use crate::workspace::Workspace;
use crate::zig;

const CONFIG: &str = include_str!("../../templates/c/keyseatConfig.static.cmake.in");
const CONFIG_VERSION: &str = include_str!("../../templates/c/keyseatConfigVersion.cmake.in");
const PKG_CONFIG: &str = include_str!("../../templates/c/keyseat.pc.in");
const README: &str = include_str!("../../templates/c/README.universal2.md");

/// The slices, in the order of the universal file.
const SLICES: [(Platform, Arch); 2] = [
    (Platform::MacosX64, Arch::X86_64),
    (Platform::MacosArm64, Arch::Arm64),
];

/// Where an undefined symbol of a linked program may come from, besides libSystem: the
/// frameworks and libraries a static link names (`-framework Security`, `-liconv`), each
/// with the prefixes of its symbols.
const PROVIDERS: [(&str, &[&str]); 5] = [
    ("-framework CoreFoundation", &["_CF", "_kCF", "___CF"]),
    ("-framework Security", &["_Sec", "_kSec", "_SSL"]),
    ("-framework IOKit", &["_IO", "_kIO"]),
    ("-framework SystemConfiguration", &["_SC", "_kSC"]),
    ("-liconv", &["_iconv", "_libiconv"]),
];

/// Builds, checks and packs the universal static SDK into `out`; returns its path.
pub fn package(ws: &Workspace, work: &Path, tools: &Path, out: &Path) -> Result<PathBuf> {
    println!("\n== universal2-apple-darwin (the static C library, both slices)");
    let symbols = api_symbols(ws)?;
    let dir = work.join("universal2");
    std::fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
    // Both slices at once: each build ends in a fat LTO on one core.
    let toolchains = SLICES
        .iter()
        .map(|(platform, _)| Toolchain::apple_static(ws, *platform, tools))
        .collect::<Result<Vec<_>>>()?;
    let built: Vec<Result<(PathBuf, Vec<String>)>> = std::thread::scope(|scope| {
        let builds: Vec<_> = toolchains
            .iter()
            .map(|tc| scope.spawn(move || build_slice(ws, tc)))
            .collect();
        builds
            .into_iter()
            .map(|b| {
                b.join()
                    .unwrap_or_else(|_| Err(crate::error::Error::new("a slice's build panicked")))
            })
            .collect()
    });
    let mut archives = Vec::new();
    let mut libs: Vec<String> = Vec::new();
    for ((platform, arch), built) in SLICES.into_iter().zip(built) {
        let (staticlib, native_libs) = built?;
        for lib in native_libs {
            if !libs.contains(&lib) {
                libs.push(lib);
            }
        }
        let object = prelink(platform, &staticlib, &symbols, &dir)?;
        check_object(&object, arch, &symbols)?;
        let slice = dir.join(format!("libkeyseat-{}.a", platform.name()));
        static_lib::write_archive_of_kind(
            &slice,
            &[("keyseat.o".to_owned(), &object)],
            ar_archive_writer::ArchiveKind::Darwin,
        )?;
        archives.push((arch, read(&slice)?));
    }
    let pieces: Vec<(Arch, &[u8])> = archives.iter().map(|(a, b)| (*a, b.as_slice())).collect();
    let universal = macho::write_fat(&pieces)?;
    let lib_path = dir.join("libkeyseat.a");
    std::fs::write(&lib_path, &universal).context(format!("writing {}", lib_path.display()))?;
    check_universal(&universal, &symbols)?;
    for (platform, _) in SLICES {
        link_check(ws, platform, &lib_path, &libs, &dir)?;
    }
    pack(ws, &universal, &libs, out)
}

/// rustc's staticlib of the C library for `tc`'s platform, and the native libraries a
/// program linking it needs.
fn build_slice(ws: &Workspace, tc: &Toolchain) -> Result<(PathBuf, Vec<String>)> {
    let built = cargo::build(
        ws,
        tc,
        &[
            "rustc",
            "-p",
            "keyseat-ffi",
            "--lib",
            "--crate-type",
            "staticlib",
        ],
        &["--print".to_owned(), "native-static-libs".to_owned()],
    )?;
    Ok((
        built.file("keyseat_ffi", "staticlib", ".a")?,
        built.native_static_libs()?,
    ))
}

/// One object from rustc's staticlib of `platform`: the members the API reaches, linked
/// ahead by zig, which makes every hidden symbol local.
fn prelink(
    platform: Platform,
    staticlib: &Path,
    symbols: &[String],
    dir: &Path,
) -> Result<Vec<u8>> {
    let data = read(staticlib)?;
    let roots: Vec<String> = symbols.iter().map(|s| format!("_{s}")).collect();
    let (members, of) = static_lib::reachable_members(&data, staticlib, &roots)?;
    let inputs = dir.join(format!("members-{}", platform.name()));
    let _ = std::fs::remove_dir_all(&inputs);
    std::fs::create_dir_all(&inputs).context(format!("creating {}", inputs.display()))?;
    let mut files = Vec::new();
    for (i, (name, bytes)) in members.iter().enumerate() {
        // Numbered: member names repeat, and the order is the archive's.
        let file = format!("{i:03}-{}", name.replace('/', "_"));
        let path = inputs.join(&file);
        std::fs::write(&path, bytes).context(format!("writing {}", path.display()))?;
        files.push(file);
    }
    let object = dir.join(format!("keyseat-{}.o", platform.name()));
    // The inputs by relative names, from their folder, and -S (no debug map): zig's linker
    // records each input's path as given, and two builds in two folders must agree.
    let target = zig_target(platform);
    Cmd::new(zig::python()?)
        .args([
            "-m", "ziglang", "cc", "-target", &target, "-r", "-Wl,-S", "-o",
        ])
        .arg(&object)
        .args(&files)
        .dir(&inputs)
        .run()?;
    let bytes = read(&object)?;
    println!(
        "{}: {} of {of} members of the staticlib, linked ahead into {} bytes",
        platform.name(),
        members.len(),
        bytes.len()
    );
    Ok(bytes)
}

/// zig's `-target` for `platform`: its architecture and oldest macOS.
fn zig_target(platform: Platform) -> String {
    let arch = platform.triple().split('-').next().unwrap_or("");
    format!(
        "{arch}-macos.{}",
        platform.macos_minimum().unwrap_or("11.0")
    )
}

/// The object defines exactly the C API and carries unwind tables.
fn check_object(object: &[u8], arch: Arch, symbols: &[String]) -> Result<()> {
    let found = macho::object_symbols(object, arch)?;
    let mut expected: Vec<String> = symbols.iter().map(|s| format!("_{s}")).collect();
    expected.sort();
    if found.defined != expected {
        let extra: Vec<&String> = found
            .defined
            .iter()
            .filter(|s| !expected.contains(s))
            .collect();
        let missing: Vec<&String> = expected
            .iter()
            .filter(|s| !found.defined.contains(s))
            .collect();
        bail!(
            "the {arch:?} slice's global symbols are not the C API: {} more ({extra:?}), {} missing ({missing:?})",
            extra.len(),
            missing.len()
        );
    }
    macho::check_unwind_tables(object).context(format!("the {arch:?} slice"))
}

/// The universal file holds both slices, each a Darwin archive of the checked object.
fn check_universal(universal: &[u8], symbols: &[String]) -> Result<()> {
    let arches: Vec<Arch> = SLICES.iter().map(|(_, a)| *a).collect();
    let slices = macho::fat_slices(universal, &arches)?;
    for (slice, arch) in slices.iter().zip(arches) {
        let failed =
            |e: object::Error| crate::error::Error::new(format!("the {arch:?} slice: {e}"));
        let archive = object::read::archive::ArchiveFile::parse(*slice).map_err(failed)?;
        if archive.kind() != object::read::archive::ArchiveKind::Bsd {
            bail!(
                "the {arch:?} slice is a {:?} archive, not a Darwin one",
                archive.kind()
            );
        }
        let mut objects = Vec::new();
        for member in archive.members() {
            objects.push(member.map_err(failed)?.data(*slice).map_err(failed)?);
        }
        let [object] = objects.as_slice() else {
            bail!(
                "the {arch:?} slice holds {} members, not one",
                objects.len()
            );
        };
        check_object(object, arch, symbols)?;
    }
    Ok(())
}

/// Links a C program against the universal library for `platform` with zig, leaving what
/// no library here defines to the dynamic loader, and checks that all of it is named by
/// `libs` (the frameworks and libraries of `keyseat.pc`).
fn link_check(
    ws: &Workspace,
    platform: Platform,
    lib: &Path,
    libs: &[String],
    dir: &Path,
) -> Result<()> {
    let exe = dir.join(format!("activate-{}", platform.name()));
    Cmd::new(zig::python()?)
        .args([
            "-m",
            "ziglang",
            "cc",
            "-target",
            &zig_target(platform),
            "-std=c11",
        ])
        .arg("-I")
        .arg(ws.file("crates/keyseat-ffi/include"))
        .arg(ws.file("examples/c/activate.c"))
        .arg(lib)
        .args(["-Wl,-undefined,dynamic_lookup", "-o"])
        .arg(&exe)
        .run()?;
    let imports = macho::program_imports(&read(&exe)?)?;
    let (flat, bound): (Vec<_>, Vec<_>) = imports.into_iter().partition(|(_, lib)| lib.is_none());
    let flat: Vec<String> = flat.into_iter().map(|(name, _)| name).collect();
    let from_libsystem = bound.len();
    let mut bound_to: Vec<String> = bound.into_iter().filter_map(|(_, lib)| lib).collect();
    bound_to.sort();
    bound_to.dedup();
    if bound_to.iter().any(|l| l != "/usr/lib/libSystem.B.dylib") {
        bail!(
            "a program linked with the {} slice binds to {bound_to:?}, not only libSystem",
            platform.name()
        );
    }
    let unexplained = unexplained(&flat, libs);
    if !unexplained.is_empty() {
        bail!(
            "a program linked with the {} slice needs {} symbols that neither libSystem nor \
             keyseat.pc's {} provide (the archive is incomplete): {unexplained:?}",
            platform.name(),
            unexplained.len(),
            libs.join(" ")
        );
    }
    println!(
        "{}: a C program links; {from_libsystem} symbols from libSystem, {} from {}",
        platform.name(),
        flat.len(),
        libs.iter()
            .filter(|l| l.starts_with("-framework"))
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// The symbols of `flat` that no framework or library of `libs` provides.
fn unexplained(flat: &[String], libs: &[String]) -> Vec<String> {
    flat.iter()
        .filter(|name| {
            !PROVIDERS.iter().any(|(lib, prefixes)| {
                libs.iter().any(|l| l == lib) && prefixes.iter().any(|p| name.starts_with(p))
            })
        })
        .cloned()
        .collect()
}

/// The SDK archive: header, universal library, pkg-config, CMake package, README, license.
fn pack(ws: &Workspace, universal: &[u8], libs: &[String], out: &Path) -> Result<PathBuf> {
    let abi = &ws.abi_version;
    let abi_major = abi.split('.').next().unwrap_or("1");
    let top = format!("keyseat-c-{}-universal2-apple-darwin", ws.version);
    let mut a = Archive::new(&top);
    a.copy(
        "include/keyseat.h",
        &ws.file("crates/keyseat-ffi/include/keyseat.h"),
        Mode::Data,
    )?;
    a.copy("LICENSE", &ws.file("LICENSE"), Mode::Data)?;
    a.add("lib/libkeyseat.a", universal.to_vec(), Mode::Data);
    let static_libs = libs.join(" ");
    let cmake_libs: Vec<String> = libs
        .iter()
        .map(|l| l.strip_prefix("-l").unwrap_or(l).to_owned())
        .collect();
    let config = fill(
        CONFIG,
        &[
            ("STATIC_LIBRARY", "libkeyseat.a"),
            ("STATIC_LINK_LIBRARIES", &cmake_libs.join(";")),
        ],
    )?;
    a.add(
        "lib/cmake/keyseat/keyseatConfig.cmake",
        config.into_bytes(),
        Mode::Data,
    );
    let version = fill(
        CONFIG_VERSION,
        &[("VERSION", abi), ("VERSION_MAJOR", abi_major)],
    )?;
    a.add(
        "lib/cmake/keyseat/keyseatConfigVersion.cmake",
        version.into_bytes(),
        Mode::Data,
    );
    let pc = fill(
        PKG_CONFIG,
        &[
            ("VERSION", abi),
            ("URL", "https://github.com/keyseat/keyseat"),
            ("STATIC_LIBS", &static_libs),
        ],
    )?;
    a.add("lib/pkgconfig/keyseat.pc", pc.into_bytes(), Mode::Data);
    let readme = fill(
        README,
        &[
            ("VERSION", &ws.version),
            ("ABI", abi),
            (
                "ARM64_MIN",
                Platform::MacosArm64.macos_minimum().unwrap_or(""),
            ),
            (
                "X86_64_MIN",
                Platform::MacosX64.macos_minimum().unwrap_or(""),
            ),
            ("STATIC_LIBS", &static_libs),
        ],
    )?;
    a.add("README.md", readme.into_bytes(), Mode::Data);
    let path = out.join(format!("{top}.tar.xz"));
    a.write(&path, ws.epoch)?;
    Ok(path)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).context(format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symbol_no_named_framework_provides_is_unexplained() {
        let libs: Vec<String> = [
            "-framework CoreFoundation",
            "-framework Security",
            "-lSystem",
        ]
        .map(String::from)
        .to_vec();
        let flat: Vec<String> = [
            "_CFRelease",
            "_kSecClass",
            "_IOObjectRelease",
            "_ring_core_x",
        ]
        .map(String::from)
        .to_vec();
        // IOKit is not in these libs; ring's symbol belongs to no framework at all.
        assert_eq!(
            unexplained(&flat, &libs),
            ["_IOObjectRelease", "_ring_core_x"]
        );
        assert!(unexplained(&flat[..2], &libs).is_empty());
    }

    #[test]
    fn zig_targets_name_the_oldest_macos() {
        assert_eq!(zig_target(Platform::MacosArm64), "aarch64-macos.11.0");
        assert_eq!(zig_target(Platform::MacosX64), "x86_64-macos.10.12");
    }
}
