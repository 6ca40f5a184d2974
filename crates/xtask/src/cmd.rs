//! Running the tools the xtask drives (cargo, npm, maturin, cmake, …): each command is
//! printed before it runs, one that takes a while is followed by its wall time (where a
//! release build spends its time, in CI's log), and a failure names the command.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Result, bail};

/// A command to run, with its arguments, environment and working directory.
pub struct Cmd {
    inner: Command,
    shown: String,
}

impl Cmd {
    /// `program` with no arguments yet.
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let program = program.as_ref();
        Cmd {
            inner: Command::new(program),
            shown: program.to_string_lossy().into_owned(),
        }
    }

    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        let arg = arg.as_ref();
        self.shown.push(' ');
        self.shown.push_str(&shell_word(&arg.to_string_lossy()));
        self.inner.arg(arg);
        self
    }

    /// More arguments.
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    /// An environment variable for the command.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.inner.env(key, value);
        self
    }

    /// Environment variables for the command.
    pub fn envs<I, K, V>(mut self, vars: I) -> Cmd
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.inner.envs(vars);
        self
    }

    /// The working directory.
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.inner.current_dir(dir);
        self
    }

    /// Runs the command with its standard output going to the file `path` (a program that
    /// cannot write to a pipe: Node for Windows under Wine); fails unless it exits with 0.
    pub fn run_to_file(mut self, path: &Path) -> Result<()> {
        println!("$ {} > {}", self.shown, path.display());
        let file = match std::fs::File::create(path) {
            Ok(f) => f,
            Err(e) => bail!("creating {}: {e}", path.display()),
        };
        let start = Instant::now();
        let status = match self.inner.stdin(Stdio::null()).stdout(file).status() {
            Ok(s) => s,
            Err(e) => bail!("could not start `{}`: {e}", self.shown),
        };
        show_time(start.elapsed());
        if !status.success() {
            let out = std::fs::read_to_string(path).unwrap_or_default();
            bail!("`{}` failed ({status}); its output:\n{out}", self.shown);
        }
        Ok(())
    }

    /// Runs the command with inherited output; fails unless it exits with 0.
    pub fn run(mut self) -> Result<()> {
        println!("$ {}", self.shown);
        let start = Instant::now();
        let status = match self.inner.status() {
            Ok(s) => s,
            Err(e) => bail!("could not start `{}`: {e}", self.shown),
        };
        show_time(start.elapsed());
        if !status.success() {
            bail!("`{}` failed ({status})", self.shown);
        }
        Ok(())
    }

    /// Runs the command, capturing stdout (stderr passes through); fails unless it exits
    /// with 0.
    pub fn read(mut self) -> Result<String> {
        println!("$ {}", self.shown);
        let start = Instant::now();
        let out = self.output_with(Stdio::inherit())?;
        show_time(start.elapsed());
        if !out.status.success() {
            bail!("`{}` failed ({})", self.shown, out.status);
        }
        String::from_utf8(out.stdout).map_err(|_| {
            crate::error::Error::new(format!("`{}` printed non-UTF-8 text", self.shown))
        })
    }

    /// Runs the command quietly, capturing both streams, whatever its exit status.
    pub fn output(mut self) -> Result<Output> {
        self.output_with(Stdio::piped())
    }

    fn output_with(&mut self, stderr: Stdio) -> Result<Output> {
        self.inner
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        match self.inner.output() {
            Ok(o) => Ok(o),
            Err(e) => bail!("could not start `{}`: {e}", self.shown),
        }
    }
}

/// Prints how long a command took, when it took a while: a build, not a `strip`.
fn show_time(took: Duration) {
    if let Some(line) = time_line(took) {
        println!("{line}");
    }
}

/// The line that shows `took`, if it is worth a line (5 s or more).
fn time_line(took: Duration) -> Option<String> {
    (took >= Duration::from_secs(5)).then(|| format!("  (took {}s)", took.as_secs()))
}

/// `word` as a shell would need it to be typed, for showing commands.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The first executable called `name` on `PATH`, if any.
pub fn which(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    let names: Vec<String> = if cfg!(windows) {
        vec![format!("{name}.exe"), name.to_owned()]
    } else {
        vec![name.to_owned()]
    };
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_as_they_would_be_typed() {
        let c = Cmd::new("cargo")
            .arg("build")
            .arg("--config")
            .arg(r#"build.rustflags=["--remap-path-prefix=/a b=/x"]"#)
            .arg("it's");
        assert_eq!(
            c.shown,
            r#"cargo build --config 'build.rustflags=["--remap-path-prefix=/a b=/x"]' 'it'\''s'"#
        );
    }

    #[test]
    fn a_failing_command_is_named_in_the_error() {
        let e = Cmd::new("sh").args(["-c", "exit 3"]).run().unwrap_err();
        assert!(e.to_string().contains("`sh -c 'exit 3'` failed"), "{e}");
        let e = Cmd::new("no-such-program-xtask").run().unwrap_err();
        assert!(e.to_string().contains("could not start"), "{e}");
    }

    #[test]
    fn a_long_command_shows_its_time_and_a_short_one_does_not() {
        assert_eq!(time_line(Duration::from_millis(4_999)), None);
        assert_eq!(
            time_line(Duration::from_millis(75_600)).as_deref(),
            Some("  (took 75s)")
        );
    }

    #[test]
    fn read_captures_stdout() {
        let out = Cmd::new("sh").args(["-c", "echo hello"]).read().unwrap();
        assert_eq!(out, "hello\n");
    }

    #[test]
    fn which_finds_programs_on_path_only() {
        assert!(which("sh").is_some());
        assert!(which("no-such-program-xtask").is_none());
    }
}
