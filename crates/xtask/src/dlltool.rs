//! A deterministic `dlltool` for the Windows GNU builds.
//!
//! rustc writes the import libraries of `raw-dylib` functions (the `windows` crates' way of
//! calling Windows) with MinGW's `dlltool`, giving it an output path in a temporary folder of
//! random name. dlltool names the library's internal symbols after that path
//! (`_head_<path>_kernel32_dll_imports_lib`), and the linker orders the import table by
//! them: two builds of one commit differ. The xtask's own binary, linked into the tools
//! folder as `keyseat-dlltool` and given to rustc with `-C dlltool`, runs dlltool in a fixed
//! folder with a fixed relative output name, then copies the library where rustc asked.
//! Calls take turns (a lock), since rustc may run several at once.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::error::{Context, Result, bail};

/// The wrapper's name in the tools folder.
pub const NAME: &str = "keyseat-dlltool";
/// The environment variable naming the real dlltool.
pub const REAL_VAR: &str = "XTASK_DLLTOOL";

/// When this process was started as [`NAME`], runs dlltool and returns its exit code.
pub fn dispatch() -> Option<ExitCode> {
    let argv0 = std::env::args_os().next()?;
    if Path::new(&argv0).file_name()? != NAME {
        return None;
    }
    let me = PathBuf::from(argv0);
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    Some(match run(&me, args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{NAME}: {e}");
            ExitCode::from(1)
        }
    })
}

fn run(me: &Path, args: Vec<OsString>) -> Result<ExitCode> {
    let tools = me.parent().context("the wrapper's folder")?;
    let work = tools.join("dlltool-work");
    std::fs::create_dir_all(&work).context(format!("creating {}", work.display()))?;
    let lock = std::fs::File::create(tools.join("dlltool.lock")).context("the dlltool lock")?;
    lock.lock().context("taking the dlltool lock")?;
    let (args, output) = fixed_paths(args)?;
    let real = std::env::var_os(REAL_VAR).unwrap_or_else(|| "x86_64-w64-mingw32-dlltool".into());
    let status = std::process::Command::new(real)
        .args(&args)
        .current_dir(&work)
        .status()
        .context("running dlltool")?;
    if status.success() {
        let made = work.join(output.file_name().context("the output's name")?);
        std::fs::copy(&made, &output).context(format!("copying to {}", output.display()))?;
    }
    Ok(ExitCode::from(
        status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(1),
    ))
}

/// The arguments with the output (`-l`) and the temp prefix (`--temp-prefix`) made fixed
/// names relative to the work folder; returns them and the output rustc asked for.
fn fixed_paths(args: Vec<OsString>) -> Result<(Vec<OsString>, PathBuf)> {
    let mut out = Vec::with_capacity(args.len());
    let mut output = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("-l" | "--output-lib") => {
                let path = PathBuf::from(it.next().context("-l without a path")?);
                let name = path
                    .file_name()
                    .context("-l without a file name")?
                    .to_owned();
                out.push(arg);
                out.push(name);
                output = Some(path);
            }
            Some("--temp-prefix") => {
                let prefix = PathBuf::from(it.next().context("--temp-prefix without a value")?);
                out.push(arg);
                out.push(
                    prefix
                        .file_name()
                        .context("an empty temp prefix")?
                        .to_owned(),
                );
            }
            _ => out.push(arg),
        }
    }
    match output {
        Some(output) => Ok((out, output)),
        None => bail!("dlltool was called without -l"),
    }
}

/// Links the xtask binary into `tools` as the wrapper; returns its path.
pub fn install(tools: &Path) -> Result<PathBuf> {
    crate::zig::link_self(tools, NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_output_and_temp_prefix_lose_their_random_folders() {
        let (args, output) = fixed_paths(os(&[
            "-d",
            "/tmp/rustcAbC123/kernel32.def",
            "-D",
            "kernel32.dll",
            "-l",
            "/work/target/release/deps/rustcXyZ789/kernel32.dll_imports.lib",
            "-m",
            "i386:x86-64",
            "--temp-prefix",
            "/tmp/rustcAbC123/kernel32",
        ]))
        .unwrap();
        assert_eq!(
            output,
            Path::new("/work/target/release/deps/rustcXyZ789/kernel32.dll_imports.lib")
        );
        assert_eq!(
            args,
            os(&[
                "-d",
                "/tmp/rustcAbC123/kernel32.def",
                "-D",
                "kernel32.dll",
                "-l",
                "kernel32.dll_imports.lib",
                "-m",
                "i386:x86-64",
                "--temp-prefix",
                "kernel32",
            ])
        );
        assert!(fixed_paths(os(&["-d", "x.def"])).is_err());
    }
}
