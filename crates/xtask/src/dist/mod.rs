//! `cargo xtask dist`: every artifact a user installs, built once in release mode, into
//! `target/dist`, with `sha256.sum`.
//!
//! | artifact | for |
//! |---|---|
//! | `keyseat-<v>.tgz`, `keyseat-<platform>-<v>.tgz` | npm: the package and its native addons |
//! | `keyseat-<v>-cp310-abi3-<platform>.whl`, `keyseat-<v>.tar.gz` | PyPI: abi3 wheels, the sdist |
//! | `keyseat-c-<v>-<target>.{tar.xz,zip}` | C and C++: header, libraries, pkg-config, CMake |
//! | `licensectl-<v>-<target>.{tar.xz,zip}` | the helper binary and the emulator |
//! | `keyseat-relay-<v>-x86_64-unknown-linux-gnu.tar.xz` | the seller's relay, its systemd unit and container file |
//! | `keyseat-c-<v>-universal2-apple-darwin.tar.xz` | C and C++ on macOS: the universal static library (built on Linux) |
//! | `tauri-plugin-keyseat-api-<v>.tgz` | npm: the Tauri plugin's web side (ES module and types) |
//!
//! Archive names and the checksum file follow cargo-dist; the builds themselves are the
//! xtask's, since cargo-dist cross-builds Windows only through MSVC, ships no header,
//! `.pc` or CMake files, and its npm installer downloads archives at install time.

mod beside;
mod c_sdk;
mod cargo;
mod cli;
mod node;
mod python;
mod relay;
mod static_lib;
mod tauri_api;
mod template;
mod universal_c_sdk;

use std::path::{Path, PathBuf};

use crate::checksum;
use crate::error::{Context, Result, bail};
use crate::inspect;
use crate::platform::Platform;
use crate::toolchain::Toolchain;
use crate::workspace::Workspace;

pub use python::check_wheel;

/// The largest an artifact, or `keyseat.dll`, may be: 3 MB.
pub const MAX_BYTES: u64 = 3_000_000;

/// The largest the relay's archive may be: 4 MB. It is a server, not linked into an app,
/// and carries a web server, two database drivers and SQLite itself.
pub const MAX_RELAY_BYTES: u64 = 4_000_000;

/// The size limit of the artifact `name`.
fn limit_of(name: &str) -> u64 {
    if name.starts_with("keyseat-relay-") {
        MAX_RELAY_BYTES
    } else {
        MAX_BYTES
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// The platforms.
    pub platforms: Vec<Platform>,
    /// Where the artifacts go.
    pub out: PathBuf,
    /// Whether a Linux build also makes the universal static macOS C SDK.
    pub universal2: bool,
    /// The scratch folder, emptied first (`target/dist-work`).
    pub work: PathBuf,
    /// Whether to make the platform-independent artifacts (the npm main package, the Tauri
    /// plugin's web side, the sdist); a platform built beside another does not.
    pub common: bool,
}

impl Options {
    /// Every platform-independent artifact and `platforms`' own, into `out`, with the
    /// workspace's scratch folder.
    pub fn new(ws: &Workspace, platforms: Vec<Platform>, out: PathBuf) -> Options {
        Options {
            platforms,
            out,
            universal2: true,
            work: ws.root.join("target").join("dist-work"),
            common: true,
        }
    }
}

/// Builds every artifact of the chosen platforms, the platform-independent ones, and
/// `sha256.sum`. The first platform is built here; each other one beside it, at the same
/// time, by a child xtask ([`beside`]).
pub fn run(ws: &Workspace, opts: &Options) -> Result<()> {
    let out = &opts.out;
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).context(format!("creating {}", out.display()))?;
    let work = &opts.work;
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work).context(format!("creating {}", work.display()))?;
    println!(
        "keyseat {} (C ABI {}), SOURCE_DATE_EPOCH={}, into {}",
        ws.version,
        ws.abi_version,
        ws.epoch,
        out.display()
    );
    node::install_tools(ws)?;
    let tools = work.join("tools");
    let Some((&first, others)) = opts.platforms.split_first() else {
        bail!("no platform to build");
    };
    let beside = others
        .iter()
        .map(|&p| beside::Beside::start(ws, p, work))
        .collect::<Result<Vec<_>>>()?;
    let tc = Toolchain::new(ws, first, &tools)?;
    platform_artifacts(ws, &tc, work, out)?;
    // The macOS static C library, which Linux builds (the rest of macOS needs a Mac).
    if opts.universal2 && opts.platforms.contains(&Platform::LinuxX64) {
        universal_c_sdk::package(ws, work, &tools, out)?;
    }
    // Platform-independent: the npm package and the sdist (with the first platform's
    // settings, for the same reproducibility).
    if opts.common {
        node::main_package(ws, work, out)?;
        tauri_api::package(ws, work, out)?;
        python::sdist(ws, &tc, work, out)?;
    }
    for child in beside {
        child.finish(out)?;
    }
    let sums = checksum::write(out)?;
    println!("\nartifacts in {}:", out.display());
    let mut too_big = Vec::new();
    for name in sums.keys() {
        let bytes = std::fs::metadata(out.join(name))
            .map(|m| m.len())
            .unwrap_or(0);
        println!("  {bytes:>9}  {name}");
        if bytes > limit_of(name) {
            too_big.push(format!(
                "{name} ({bytes} bytes, at most {})",
                limit_of(name)
            ));
        }
    }
    println!(
        "  (each at most {MAX_BYTES} bytes, the relay's at most {MAX_RELAY_BYTES}); {} written",
        checksum::FILE
    );
    if !too_big.is_empty() {
        bail!("too large: {}", too_big.join(", "));
    }
    Ok(())
}

/// Builds one platform's artifacts into `out`.
fn platform_artifacts(
    ws: &Workspace,
    tc: &Toolchain,
    work: &Path,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let p = tc.platform;
    println!("\n== {} ({})", p.name(), p.triple());
    let bins = cargo::build(
        ws,
        tc,
        &["build", "-p", "keyseat-cli", "-p", "keyseat-emulator"],
        &[],
    )?;
    let exe_ext = if p.is_windows() { ".exe" } else { "" };
    let licensectl = bins.file("licensectl", "bin", exe_ext)?;
    let emulator = bins.file("keyseat-emulator", "bin", exe_ext)?;
    // A build of its own: built with the client's binaries, the server's dependencies'
    // features would be unified into theirs.
    let relay_bin = if relay::ships_on(p) {
        let built = cargo::build(ws, tc, &["build", "-p", "keyseat-relay"], &[])?;
        Some(built.file("keyseat-relay", "bin", exe_ext)?)
    } else {
        None
    };
    let abi_major = ws.abi_version.split('.').next().unwrap_or("1");
    let ffi = cargo::build(
        ws,
        tc,
        &["rustc", "-p", "keyseat-ffi"],
        &cargo::c_library_args(tc, abi_major),
    )?;
    let c_library = c_sdk::CLibrary::from_build(&ffi, p)?;
    let addon = node::build_addon(ws, tc, work)?;
    let mut binaries = vec![&licensectl, &emulator, &c_library.shared, &addon];
    binaries.extend(relay_bin.as_ref());
    check_binaries(p, &binaries)?;
    let mut artifacts = vec![
        cli::package(ws, p, &licensectl, &emulator, out)?,
        c_sdk::package(ws, tc, &c_library, work, out)?,
        node::platform_package(ws, p, &addon, work, out)?,
        python::wheel(ws, tc, work, out)?,
    ];
    if let Some(relay_bin) = &relay_bin {
        artifacts.push(relay::package(ws, p, relay_bin, out)?);
    }
    Ok(artifacts)
}

/// Checks what each shipped binary needs from a user's machine, and the DLL's size.
fn check_binaries(platform: Platform, binaries: &[&PathBuf]) -> Result<()> {
    for binary in binaries {
        let name = binary.file_name().unwrap_or_default().to_string_lossy();
        match platform {
            Platform::WindowsX64 => {
                let imports = inspect::check_pe_imports(binary, &[])?;
                if imports
                    .iter()
                    .any(|d| d.to_ascii_lowercase().contains("node"))
                {
                    bail!("{name} imports a Node library: {imports:?}");
                }
                println!("{name} imports: {}", imports.join(" "));
                if name.ends_with(".dll") && name.contains("ffi") {
                    let bytes = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
                    println!("keyseat.dll: {bytes} bytes (at most {MAX_BYTES})");
                    if bytes > MAX_BYTES {
                        bail!("keyseat.dll is {bytes} bytes, more than {MAX_BYTES}");
                    }
                }
            }
            Platform::LinuxX64 => {
                let needs = inspect::check_elf(binary, (2, 17))?;
                let glibc = needs
                    .glibc
                    .map_or("none".to_owned(), |(a, b)| format!("{a}.{b}"));
                println!(
                    "{name} needs {} and glibc {glibc}",
                    needs.libraries.join(" ")
                );
            }
            _ => {}
        }
    }
    Ok(())
}
