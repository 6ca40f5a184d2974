//! How each platform is built: compilers, linkers, and the settings that make two builds of
//! the same commit byte-identical wherever they run.
//!
//! - **Linux**: Rust's own toolchain, with zig (from PyPI's `ziglang`) as the C compiler and
//!   linker, targeting glibc 2.17, so that every Linux artifact runs on the distributions
//!   manylinux2014 covers (CentOS 7 and later), not only on the build machine's glibc.
//! - **Windows** (`x86_64-pc-windows-gnu`): MinGW-w64's GCC as the C compiler and linker.
//!   When the Rust toolchain has no Windows standard library (no `rustup target add` is
//!   possible here), Debian's `rustc-web` builds one with `-Zbuild-std` in bootstrap mode:
//!   a route for this build machine only, never for users.
//! - **macOS**: the Mac's own toolchain (the xtask must run on a Mac for these), but for
//!   the universal static library, which Linux builds ([`Toolchain::apple_static`]): no
//!   linker runs for it, so zig as the C compiler and a bootstrap rustc's `-Zbuild-std`
//!   suffice.
//!
//! Reproducibility: paths are remapped through `cargo --config` (the workspace as
//! `/keyseat`, `CARGO_HOME` as `/cargo`, the standard library's sources as `/rust-src`),
//! since `RUSTFLAGS` would replace the workspace's own flags instead of adding to them; C
//! sources get the same maps through `CFLAGS_<target>`; `SOURCE_DATE_EPOCH` is passed on.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::cmd::{Cmd, which};
use crate::error::{Result, bail};
use crate::platform::Platform;
use crate::workspace::Workspace;
use crate::zig;

/// The glibc every Linux artifact is linked against: manylinux2014's.
pub const LINUX_GLIBC: &str = "2.17";

/// The build settings of one platform.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The platform built.
    pub platform: Platform,
    /// Environment variables for every build command (cargo, napi, maturin):
    /// `SOURCE_DATE_EPOCH` and the C flags.
    common_env: Vec<(OsString, OsString)>,
    /// Environment variables choosing compilers, linker and rustc.
    env: Vec<(OsString, OsString)>,
    /// `--config` values for cargo.
    config: Vec<String>,
    /// The Windows MinGW tool prefix (`x86_64-w64-mingw32-`), for strip and friends.
    pub binutils_prefix: &'static str,
}

impl Toolchain {
    /// The toolchain for `platform`; `tools` is a folder for the zig wrappers.
    pub fn new(ws: &Workspace, platform: Platform, tools: &Path) -> Result<Toolchain> {
        let triple = platform.triple();
        let var_triple = triple.replace('-', "_");
        let cargo_home = cargo_home()?;
        let mut remaps = vec![
            (ws.root.clone(), PathBuf::from("/keyseat")),
            (cargo_home, PathBuf::from("/cargo")),
        ];
        let mut env: Vec<(OsString, OsString)> = Vec::new();
        let mut link_args: Vec<String> = Vec::new();
        let mut binutils_prefix = "";
        match platform {
            Platform::LinuxX64 => {
                let (cc, ar) = zig::install_wrappers(tools)?;
                env.extend([
                    (format!("CC_{var_triple}").into(), cc.clone().into()),
                    (format!("AR_{var_triple}").into(), ar.into()),
                    (
                        format!("CARGO_TARGET_{}_LINKER", var_triple.to_uppercase()).into(),
                        cc.into(),
                    ),
                    (
                        zig::TARGET_VAR.into(),
                        format!("x86_64-linux-gnu.{LINUX_GLIBC}").into(),
                    ),
                    (zig::PYTHON_VAR.into(), zig::python()?.into()),
                ]);
            }
            Platform::WindowsX64 => {
                binutils_prefix = "x86_64-w64-mingw32-";
                let gcc = "x86_64-w64-mingw32-gcc";
                if which(gcc).is_none() {
                    bail!(
                        "{gcc} is not on PATH: install MinGW-w64 (Debian: apt-get install mingw-w64)"
                    );
                }
                env.extend([
                    (format!("CC_{var_triple}").into(), gcc.into()),
                    (
                        format!("AR_{var_triple}").into(),
                        "x86_64-w64-mingw32-ar".into(),
                    ),
                    (
                        format!("CARGO_TARGET_{}_LINKER", var_triple.to_uppercase()).into(),
                        gcc.into(),
                    ),
                ]);
                if let Some(bootstrap) = bootstrap_rustc(platform)? {
                    remaps.push((bootstrap.rust_src, PathBuf::from("/rust-src")));
                    env.extend([
                        ("RUSTC".into(), bootstrap.rustc.into()),
                        ("RUSTC_BOOTSTRAP".into(), "1".into()),
                        ("CARGO_UNSTABLE_BUILD_STD".into(), "std,panic_unwind".into()),
                    ]);
                }
                // The PE header's time stamp, else the time of the link.
                link_args.push("-Wl,--no-insert-timestamp".into());
            }
            Platform::MacosArm64 | Platform::MacosX64 => {
                if !cfg!(target_os = "macos") {
                    bail!(
                        "macOS artifacts are linked with Apple's SDK: run `cargo xtask dist \
                         --platform {}` on a Mac",
                        platform.name()
                    );
                }
            }
        }
        Ok(Toolchain::with(
            ws,
            platform,
            &remaps,
            env,
            &link_args,
            &[],
            binutils_prefix,
        ))
    }

    /// The toolchain of the macOS static library, on a machine that is not a Mac: zig as
    /// the C compiler (no linker runs), the standard library built from source by a
    /// bootstrap rustc (`-Zbuild-std`), and every symbol hidden but the ones the code
    /// exports by name (`-Zdefault-visibility=hidden`, `-fvisibility=hidden`), so that the
    /// pre-link can make all but the C API local. Good for `cargo rustc --crate-type
    /// staticlib` only.
    pub fn apple_static(ws: &Workspace, platform: Platform, tools: &Path) -> Result<Toolchain> {
        let Some(minimum) = platform.macos_minimum() else {
            bail!("{} is not a macOS platform", platform.name());
        };
        let triple = platform.triple();
        let var_triple = triple.replace('-', "_");
        let (cc, ar) = zig::install_wrappers(tools)?;
        let arch = triple.split('-').next().unwrap_or("");
        let mut env: Vec<(OsString, OsString)> = vec![
            (format!("CC_{var_triple}").into(), cc.into()),
            (format!("AR_{var_triple}").into(), ar.into()),
            (
                zig::TARGET_VAR.into(),
                format!("{arch}-macos.{minimum}").into(),
            ),
            (zig::PYTHON_VAR.into(), zig::python()?.into()),
            ("MACOSX_DEPLOYMENT_TARGET".into(), minimum.into()),
            // A target folder per slice, so that the two slices build at once (each
            // build's fat LTO runs on one core).
            (
                "CARGO_TARGET_DIR".into(),
                ws.root
                    .join("target")
                    .join(format!("apple-static-{}", platform.name()))
                    .into(),
            ),
        ];
        let mut remaps = vec![
            (ws.root.clone(), PathBuf::from("/keyseat")),
            (cargo_home()?, PathBuf::from("/cargo")),
        ];
        // Always from source, even where rustup has the target's standard library: its
        // symbols must be hidden too, and two machines must build the same bytes.
        let bootstrap = bootstrap(platform)?;
        remaps.push((bootstrap.rust_src, PathBuf::from("/rust-src")));
        env.extend([
            ("RUSTC".into(), bootstrap.rustc.into()),
            ("RUSTC_BOOTSTRAP".into(), "1".into()),
            ("CARGO_UNSTABLE_BUILD_STD".into(), "std,panic_unwind".into()),
        ]);
        let mut tc = Toolchain::with(
            ws,
            platform,
            &remaps,
            env,
            &[],
            &["-Zdefault-visibility=hidden".to_owned()],
            "",
        );
        tc.add_cflags(platform, "-fvisibility=hidden");
        Ok(tc)
    }

    /// The settings of `platform` from its path maps, environment and flags.
    fn with(
        ws: &Workspace,
        platform: Platform,
        remaps: &[(PathBuf, PathBuf)],
        env: Vec<(OsString, OsString)>,
        link_args: &[String],
        extra_rustflags: &[String],
        binutils_prefix: &'static str,
    ) -> Toolchain {
        let triple = platform.triple();
        let var_triple = triple.replace('-', "_");
        let mut rustflags: Vec<String> = remaps
            .iter()
            .map(|(from, to)| format!("--remap-path-prefix={}={}", from.display(), to.display()))
            .collect();
        rustflags.extend(link_args.iter().map(|a| format!("-Clink-arg={a}")));
        rustflags.extend(extra_rustflags.iter().cloned());
        let cflags: Vec<String> = remaps
            .iter()
            .map(|(from, to)| format!("-ffile-prefix-map={}={}", from.display(), to.display()))
            .collect();
        let common_env = vec![
            ("SOURCE_DATE_EPOCH".into(), ws.epoch.to_string().into()),
            (
                format!("CFLAGS_{var_triple}").into(),
                cflags.join(" ").into(),
            ),
        ];
        let config = vec![format!(
            "target.{triple}.rustflags={}",
            toml_string_array(&rustflags)
        )];
        Toolchain {
            platform,
            common_env,
            env,
            config,
            binutils_prefix,
        }
    }

    /// Adds `flag` to the C flags of `platform`'s target.
    fn add_cflags(&mut self, platform: Platform, flag: &str) {
        let name = OsString::from(format!("CFLAGS_{}", platform.triple().replace('-', "_")));
        for (key, value) in &mut self.common_env {
            if *key == name {
                value.push(" ");
                value.push(flag);
            }
        }
    }

    /// `cmd` with this toolchain's whole environment.
    pub fn apply(&self, cmd: Cmd) -> Cmd {
        self.apply_common(cmd)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
    }

    /// `cmd` with the reproducibility settings only, for a tool that chooses its own
    /// compilers (maturin with `--zig`).
    pub fn apply_common(&self, cmd: Cmd) -> Cmd {
        cmd.envs(self.common_env.iter().map(|(k, v)| (k, v)))
    }

    /// The arguments that give cargo this toolchain's settings: `--locked`, `--target` and
    /// the `--config` values.
    pub fn cargo_args(&self) -> Vec<String> {
        let mut args = vec![
            "--locked".to_owned(),
            "--target".to_owned(),
            self.platform.triple().to_owned(),
        ];
        args.extend(self.config_args());
        args
    }

    /// The `--config` arguments alone, for a tool that passes them on to cargo.
    pub fn config_args(&self) -> Vec<String> {
        self.config
            .iter()
            .flat_map(|c| ["--config".to_owned(), c.clone()])
            .collect()
    }

    /// A binutils tool for the platform's objects (`strip`, `objcopy`, `ar`).
    pub fn binutil(&self, name: &str) -> String {
        format!("{}{name}", self.binutils_prefix)
    }
}

/// Debian's rustc and its standard library sources, when the default toolchain cannot
/// build for Windows.
struct Bootstrap {
    rustc: PathBuf,
    rust_src: PathBuf,
}

/// `None` when the default Rust toolchain has `platform`'s standard library; else the
/// rustc that can build it ([`bootstrap`]).
fn bootstrap_rustc(platform: Platform) -> Result<Option<Bootstrap>> {
    let default_rustc =
        std::env::var_os("RUSTC").map_or_else(|| PathBuf::from("rustc"), PathBuf::from);
    let has_std = sysroot(&default_rustc)?
        .join(format!("lib/rustlib/{}/lib", platform.triple()))
        .is_dir();
    if has_std {
        return Ok(None);
    }
    bootstrap(platform).map(Some)
}

/// The rustc that builds `platform`'s standard library from source with -Zbuild-std:
/// `XTASK_BOOTSTRAP_RUSTC`, default Debian's `/usr/bin/rustc` (`rustc-web`), with its
/// standard library's sources (`rust-web-src`).
fn bootstrap(platform: Platform) -> Result<Bootstrap> {
    let triple = platform.triple();
    let rustc = std::env::var_os("XTASK_BOOTSTRAP_RUSTC")
        .or_else(|| std::env::var_os("XTASK_WINDOWS_RUSTC"))
        .map_or_else(|| PathBuf::from("/usr/bin/rustc"), PathBuf::from);
    if !rustc.exists() {
        bail!(
            "{triple} needs its standard library built from source, and {} (a rustc that can \
             with -Zbuild-std) does not exist: on Debian `apt-get install rustc-web \
             rust-web-src`, or name one in XTASK_BOOTSTRAP_RUSTC",
            rustc.display()
        );
    }
    let rust_src = sysroot(&rustc)?.join("lib/rustlib/src/rust");
    if !rust_src.join("library").is_dir() {
        bail!(
            "{} has no standard library sources at {} (Debian: apt-get install rust-web-src)",
            rustc.display(),
            rust_src.display()
        );
    }
    Ok(Bootstrap { rustc, rust_src })
}

/// `rustc --print sysroot`.
fn sysroot(rustc: &Path) -> Result<PathBuf> {
    let out = Cmd::new(rustc).args(["--print", "sysroot"]).output()?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// `CARGO_HOME`, or its default `~/.cargo`.
fn cargo_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(home));
    }
    let Some(home) = std::env::var_os("HOME") else {
        bail!("neither CARGO_HOME nor HOME is set");
    };
    Ok(PathBuf::from(home).join(".cargo"))
}

/// `values` as a TOML array of basic strings.
fn toml_string_array(values: &[String]) -> String {
    // A JSON string is a valid TOML basic string (same escapes for quotes, backslashes and
    // control characters).
    let items: Vec<String> = values
        .iter()
        .map(|v| serde_json::Value::String(v.clone()).to_string())
        .collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustflags_are_a_toml_array_with_escaped_paths() {
        let flags = vec![
            r"--remap-path-prefix=C:\work\keyseat=/keyseat".to_owned(),
            "-Clink-arg=-Wl,--no-insert-timestamp".to_owned(),
        ];
        assert_eq!(
            toml_string_array(&flags),
            r#"["--remap-path-prefix=C:\\work\\keyseat=/keyseat", "-Clink-arg=-Wl,--no-insert-timestamp"]"#
        );
        assert_eq!(toml_string_array(&[]), "[]");
    }
}
