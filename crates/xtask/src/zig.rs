//! zig as the C compiler and linker of the Linux artifacts, for glibc 2.17, and as the C
//! compiler and pre-linker of the macOS static library.
//!
//! Build scripts (cc-rs) and rustc each take one program as compiler or linker, with no
//! arguments of its own, so the xtask's own binary serves as that program: linked into the
//! tools folder as `zig-cc` and `zig-ar`, it runs `python3 -m ziglang cc -target <target>`
//! (or `ar`) with the arguments it was given, less the `--target=<rust triple>` that cc-rs
//! adds for clang-like compilers (zig takes its own `-target`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cmd::Cmd;
use crate::error::{Context, Result, bail};

/// The environment variable holding zig's `-target` (`x86_64-linux-gnu.2.17`).
pub const TARGET_VAR: &str = "XTASK_ZIG_TARGET";
/// The environment variable holding the Python that has `ziglang`.
pub const PYTHON_VAR: &str = "XTASK_PYTHON";

/// When this process was started as `zig-cc` or `zig-ar`, runs zig and returns its exit
/// code; otherwise `None`.
pub fn dispatch() -> Option<ExitCode> {
    let argv0 = std::env::args_os().next()?;
    let tool = match Path::new(&argv0).file_name()?.to_str()? {
        "zig-cc" => "cc",
        "zig-ar" => "ar",
        _ => return None,
    };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    Some(match run(tool, args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zig-{tool}: {e}");
            ExitCode::from(1)
        }
    })
}

fn run(tool: &str, args: Vec<OsString>) -> Result<ExitCode> {
    let python = std::env::var_os(PYTHON_VAR).unwrap_or_else(|| "python3".into());
    let mut command = std::process::Command::new(python);
    command.args(["-m", "ziglang", tool]);
    if tool == "cc" {
        let target = std::env::var(TARGET_VAR).context(format!("{TARGET_VAR} is not set"))?;
        command.args(["-target", &target]);
        command.args(compiler_args(args));
    } else {
        command.args(args);
    }
    let status = command.status().context("running zig")?;
    Ok(ExitCode::from(
        status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(1),
    ))
}

/// The compiler arguments zig takes: those cc-rs adds to name the target, which zig takes
/// as its own `-target` instead, removed (`--target=<triple>`, and for Apple targets
/// `-arch <arch>` and `-mmacosx-version-min=<v>`).
fn compiler_args(args: Vec<OsString>) -> Vec<OsString> {
    let mut kept = Vec::with_capacity(args.len());
    let mut skip_next = false;
    for arg in args {
        let text = arg.to_string_lossy();
        if skip_next {
            skip_next = false;
        } else if text == "-arch" {
            skip_next = true;
        } else if !text.starts_with("--target=") && !text.starts_with("-mmacosx-version-min=") {
            kept.push(arg);
        }
    }
    kept
}

/// Links this executable into `tools` as `zig-cc` and `zig-ar`; returns their paths.
pub fn install_wrappers(tools: &Path) -> Result<(PathBuf, PathBuf)> {
    Ok((link_self(tools, "zig-cc")?, link_self(tools, "zig-ar")?))
}

/// Links this executable into `tools` as `name` (a wrapper it plays when started so).
pub fn link_self(tools: &Path, name: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(tools).context(format!("creating {}", tools.display()))?;
    let me = std::env::current_exe().context("finding the xtask executable")?;
    let link = tools.join(name);
    let _ = std::fs::remove_file(&link);
    link_or_copy(&me, &link).context(format!("creating {}", link.display()))?;
    Ok(link)
}

#[cfg(unix)]
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

#[cfg(not(unix))]
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::copy(from, to).map(|_| ())
}

/// The Python that runs zig: `XTASK_PYTHON`, else `python3`, which must have `ziglang`.
pub fn python() -> Result<String> {
    let python = std::env::var(PYTHON_VAR).unwrap_or_else(|_| "python3".to_owned());
    let out = Cmd::new(&python)
        .args(["-m", "ziglang", "version"])
        .output()?;
    if !out.status.success() {
        bail!(
            "{python} has no zig: `{python} -m pip install ziglang` (the Linux artifacts are \
             linked by zig, for glibc {})",
            crate::toolchain::LINUX_GLIBC
        );
    }
    Ok(python)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rust_target_is_dropped_and_the_rest_kept_in_order() {
        let args: Vec<OsString> = ["-O2", "--target=x86_64-unknown-linux-gnu", "-c", "a.c"]
            .into_iter()
            .map(OsString::from)
            .collect();
        let kept: Vec<String> = compiler_args(args)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(kept, ["-O2", "-c", "a.c"]);
        let apple: Vec<OsString> = [
            "-arch",
            "arm64",
            "-mmacosx-version-min=11.0",
            "--target=arm64-apple-macosx",
            "-fvisibility=hidden",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        assert_eq!(
            compiler_args(apple),
            [OsString::from("-fvisibility=hidden")]
        );
    }
}
