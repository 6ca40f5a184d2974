//! `xtask verify`: the artifacts of `target/dist`, installed the way users install them,
//! in fresh folders, on a machine with no Rust toolchain (the check fails if `cargo`,
//! `rustc` or `rustup` is on `PATH`), and run against the emulator the CLI archive ships.
//!
//! - **Linux**: `licensectl demo`; Node (`npm install --offline` of the two tarballs, a
//!   script, then the package's own test suite against the installed copy); Python (a venv,
//!   `pip install --no-index --find-links`, a script, the package's pytest suite); C (CMake
//!   `find_package` with the shared and the static target, and pkg-config, building and
//!   running the C examples); the relay archive, as its systemd unit runs it, in front of
//!   the emulator, through `licensectl --provider relay`.
//! - **Windows, under Wine**: a MinGW-built C program against `keyseat.dll` (and one linked
//!   statically), `licensectl.exe demo`, Node for Windows running the same script with the
//!   win32 package, and the wheel's tag, ABI and imports.

mod c;
mod emulator;
mod node;
mod python;
mod relay;
mod windows;

use std::path::{Path, PathBuf};

use crate::archive;
use crate::checksum;
use crate::cmd::{Cmd, which};
use crate::error::{Context as _, Result, bail};
use crate::platform::Platform;

pub use emulator::Emulator;

/// What to verify.
pub struct Options {
    /// The workspace (for the examples and the packages' test suites).
    pub root: PathBuf,
    /// The artifacts.
    pub dist: PathBuf,
    /// The platforms whose artifacts to install.
    pub platforms: Vec<Platform>,
}

/// The product of the keys the flows activate.
pub const PRODUCT: &str = "pdt_verify";
/// Another product, for the C ABI contract's wrong-product case.
pub const OTHER_PRODUCT: &str = "pdt_someone_else";

/// Everything a flow needs: the artifacts, the workspace, a scratch folder, the emulator.
pub struct Context<'a> {
    /// The options.
    pub opts: &'a Options,
    /// The release version, from the artifact names.
    pub version: String,
    /// Scratch space, removed at the end.
    pub scratch: PathBuf,
    /// The emulator from the Linux CLI archive.
    pub emulator: &'a Emulator,
    /// The Linux CLI archive, extracted.
    pub cli: PathBuf,
    /// The Linux relay archive, extracted, when it was built.
    pub relay: Option<PathBuf>,
}

impl Context<'_> {
    /// The relay binary of the relay archive, when there is one.
    pub fn relay_binary(&self) -> Option<PathBuf> {
        self.relay.as_ref().map(|dir| dir.join("keyseat-relay"))
    }
}

impl Context<'_> {
    /// An artifact of the dist folder, which must exist.
    pub fn artifact(&self, name: &str) -> Result<PathBuf> {
        let path = self.opts.dist.join(name);
        if !path.is_file() {
            bail!("{name} is not in {}", self.opts.dist.display());
        }
        Ok(path)
    }

    /// A new, empty folder in the scratch space.
    pub fn fresh(&self, name: &str) -> Result<PathBuf> {
        let dir = self.scratch.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    /// A file of the workspace.
    pub fn file(&self, path: &str) -> PathBuf {
        self.opts.root.join(path)
    }
}

/// Installs and runs every artifact of the chosen platforms.
pub fn run(opts: &Options) -> Result<()> {
    no_rust_toolchain()?;
    let sums = checksum::verify(&opts.dist)?;
    println!(
        "{}: {} artifacts, all as listed",
        checksum::FILE,
        sums.len()
    );
    let version = version(sums.keys())?;
    let scratch = tempfile::Builder::new()
        .prefix("keyseat-verify-")
        .tempdir()
        .context("making a scratch folder")?;
    // The emulator of this machine's CLI archive.
    let host = if cfg!(target_os = "macos") {
        if cfg!(target_arch = "aarch64") {
            Platform::MacosArm64
        } else {
            Platform::MacosX64
        }
    } else {
        Platform::LinuxX64
    };
    let cli_archive = opts
        .dist
        .join(format!("licensectl-{version}-{}.tar.xz", host.triple()));
    let cli = archive::extract(&cli_archive, &scratch.path().join("cli"))?;
    let emulator = Emulator::start(
        &cli.join("keyseat-emulator"),
        &emulator::keys(),
        scratch.path(),
    )?;
    println!("emulator from the CLI archive: {}", emulator.url);
    let relay_archive = opts.dist.join(format!(
        "keyseat-relay-{version}-x86_64-unknown-linux-gnu.tar.xz"
    ));
    let relay = if relay_archive.is_file() {
        Some(archive::extract(
            &relay_archive,
            &scratch.path().join("relay"),
        )?)
    } else {
        None
    };
    let cx = Context {
        opts,
        version,
        scratch: scratch.path().to_owned(),
        emulator: &emulator,
        cli,
        relay,
    };
    for platform in &opts.platforms {
        match platform {
            Platform::LinuxX64 => {
                stage("licensectl demo", || {
                    Cmd::new(cx.cli.join("licensectl")).arg("demo").run()
                })?;
                stage("Node", || node::verify(&cx))?;
                stage("Python", || python::verify(&cx))?;
                stage("C: CMake and pkg-config", || c::verify(&cx))?;
                stage("the relay, as its systemd unit runs it", || {
                    relay::verify(&cx)
                })?;
            }
            Platform::WindowsX64 => stage("Windows, under Wine", || windows::verify(&cx))?,
            Platform::MacosArm64 | Platform::MacosX64 if cfg!(target_os = "macos") => {
                stage("licensectl demo", || {
                    Cmd::new(cx.cli.join("licensectl")).arg("demo").run()
                })?;
                stage(
                    "C: the universal static library (both slices), CMake",
                    || c::verify_universal(&cx),
                )?;
                println!(
                    "{}: Node and Python are not yet verified on a Mac",
                    platform.name()
                );
            }
            other => println!("{}: built on a Mac, not verified here", other.name()),
        }
    }
    println!("\nverify: every artifact installed and ran");
    Ok(())
}

/// Runs one part of the check, with its wall time.
fn stage(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    println!("\n-- {name}");
    let start = std::time::Instant::now();
    f().context(name)?;
    println!(
        "-- {name}: passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Fails when a Rust toolchain can be found: the artifacts must install without one.
fn no_rust_toolchain() -> Result<()> {
    let mut found = Vec::new();
    for tool in ["cargo", "rustc", "rustup"] {
        match which(tool) {
            Some(path) => found.push(format!("{tool} at {}", path.display())),
            None => println!("{tool}: not found on PATH"),
        }
    }
    if !found.is_empty() {
        bail!(
            "a Rust toolchain is on PATH ({}): verify runs as a user without one",
            found.join(", ")
        );
    }
    Ok(())
}

/// The release version, from `keyseat-<v>.tgz` among the artifact names.
fn version<'a>(names: impl Iterator<Item = &'a String>) -> Result<String> {
    for name in names {
        if let Some(v) = name
            .strip_prefix("keyseat-")
            .and_then(|rest| rest.strip_suffix(".tgz"))
            .filter(|v| v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok()))
        {
            return Ok(v.to_owned());
        }
    }
    bail!("no keyseat-<version>.tgz among the artifacts")
}

/// Checks a flow's output: it activated, checked, and ended deactivated, and never showed
/// the key.
pub fn check_flow(out: &str, key: &str, offline_too: bool) -> Result<()> {
    let mut expected = vec!["state: active", "after deactivate: not activated"];
    if offline_too {
        expected.push("offline: active");
    }
    for line in expected {
        if !out.lines().any(|l| l.trim() == line) {
            bail!("the output lacks {line:?}:\n{out}");
        }
    }
    if out.contains(key) {
        bail!("the output shows the license key:\n{out}");
    }
    Ok(())
}

/// Copies `from` to `to`, naming both on failure.
pub fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to).map(|_| ()).context(format!(
        "copying {} to {}",
        from.display(),
        to.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_comes_from_the_npm_package_name() {
        let names: Vec<String> = [
            "keyseat-c-0.1.0-x86_64-unknown-linux-gnu.tar.xz",
            "keyseat-linux-x64-gnu-0.1.0.tgz",
            "keyseat-0.1.0.tgz",
        ]
        .map(String::from)
        .into();
        assert_eq!(version(names.iter()).unwrap(), "0.1.0");
        assert!(version(names[..2].iter()).is_err());
    }

    #[test]
    fn a_flow_must_activate_end_deactivated_and_hide_the_key() {
        let good =
            "state: active\noffline: active\nkey: ****-0001\nafter deactivate: not activated\n";
        check_flow(good, "KEY-0000-0001", true).unwrap();
        assert!(check_flow("state: grace\nafter deactivate: not activated", "K", false).is_err());
        assert!(check_flow(&format!("{good}KEY-0000-0001"), "KEY-0000-0001", true).is_err());
        assert!(check_flow("state: active\nafter deactivate: not activated", "K", true).is_err());
    }
}
