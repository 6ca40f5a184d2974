//! The release engineering of the keyseat workspace, as a Rust program (the xtask
//! pattern): `cargo xtask <task>`.
//!
//! - `dist [--platform P]… [--out DIR]`: builds every artifact into `target/dist`.
//! - `verify [--dist DIR] [--platform P]…`: installs the artifacts the way users do, in
//!   fresh folders, with no Rust toolchain, and runs them against the emulator they ship
//!   with. Run the built binary (`target/debug/xtask verify`): that stage has no cargo.
//! - `same-sums FIRST SECOND`: every artifact listed in the `sha256.sum` SECOND has the
//!   same checksum in FIRST (a second build reproduced the first).

mod archive;
mod checksum;
mod cmd;
mod dist;
mod error;
mod inspect;
mod macho;
mod platform;
mod toolchain;
mod verify;
mod versions;
mod workspace;
mod zig;

use std::path::PathBuf;
use std::process::ExitCode;

use error::{Result, bail};
use platform::Platform;

const USAGE: &str = "usage: cargo xtask <task>

  dist [--platform P]... [--out DIR] [--universal2 no] [--common no] [--work DIR]
                                       build every artifact (default: all this host can build;
                                       with linux, the universal static macOS C SDK too; the
                                       platforms after the first build beside it, at once;
                                       --common no: no platform-independent artifact)
  verify [--dist DIR] [--platform P]...  install and run them as users do, with no Rust
  same-sums FIRST SECOND               the artifacts of SECOND have FIRST's checksums

platforms: linux, windows (cross-built on Linux), macos-arm64, macos-x64 (on a Mac)";

fn main() -> ExitCode {
    if let Some(code) = zig::dispatch() {
        return code;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some((task, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(());
    };
    match task.as_str() {
        "dist" => {
            let flags = Flags::parse(
                rest,
                &["--platform", "--out", "--universal2", "--common", "--work"],
            )?;
            let ws = workspace::Workspace::load()?;
            versions::check(&ws)?;
            let out = flags
                .one("--out")?
                .map_or_else(|| ws.dist_dir(), PathBuf::from);
            let mut opts =
                dist::Options::new(&ws, flags.platforms(Platform::buildable_here())?, out);
            opts.universal2 = flags.yes_or_no("--universal2")?;
            opts.common = flags.yes_or_no("--common")?;
            if let Some(work) = flags.one("--work")? {
                opts.work = PathBuf::from(work);
            }
            dist::run(&ws, &opts)
        }
        "verify" => {
            let flags = Flags::parse(rest, &["--platform", "--dist"])?;
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
            let dist = flags
                .one("--dist")?
                .map_or_else(|| root.join("target/dist"), PathBuf::from);
            verify::run(&verify::Options {
                root,
                dist,
                platforms: flags.platforms(Platform::buildable_here())?,
            })
        }
        "same-sums" => {
            let [first, second] = rest else {
                bail!("same-sums takes two sha256.sum files\n{USAGE}");
            };
            let names = checksum::same(first.as_ref(), second.as_ref())?;
            for name in &names {
                println!("reproduced: {name}");
            }
            println!(
                "{} artifacts built twice, byte for byte the same",
                names.len()
            );
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n{USAGE}"),
    }
}

/// `--name value` options, each possibly repeated.
struct Flags(Vec<(String, String)>);

impl Flags {
    fn parse(args: &[String], known: &[&str]) -> Result<Flags> {
        let mut pairs = Vec::new();
        let mut it = args.iter();
        while let Some(name) = it.next() {
            if !known.contains(&name.as_str()) {
                bail!("unknown option {name:?}\n{USAGE}");
            }
            let Some(value) = it.next() else {
                bail!("{name} needs a value");
            };
            pairs.push((name.clone(), value.clone()));
        }
        Ok(Flags(pairs))
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn one(&self, name: &str) -> Result<Option<&str>> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            bail!("{name} given twice");
        }
        Ok(first)
    }

    /// A `yes`/`no` option, `yes` when not given.
    fn yes_or_no(&self, name: &str) -> Result<bool> {
        match self.one(name)? {
            None | Some("yes") => Ok(true),
            Some("no") => Ok(false),
            Some(other) => bail!("{name} takes yes or no, not {other:?}"),
        }
    }

    fn platforms(&self, default: Vec<Platform>) -> Result<Vec<Platform>> {
        let chosen: Vec<Platform> = self
            .all("--platform")
            .map(Platform::parse)
            .collect::<Result<_>>()?;
        Ok(if chosen.is_empty() { default } else { chosen })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_parse_repeated_platforms_and_refuse_the_unknown() {
        let f = Flags::parse(
            &strings(&["--platform", "linux", "--platform", "windows", "--out", "d"]),
            &["--platform", "--out"],
        )
        .unwrap();
        assert_eq!(
            f.platforms(vec![]).unwrap(),
            [Platform::LinuxX64, Platform::WindowsX64]
        );
        assert_eq!(f.one("--out").unwrap(), Some("d"));
        assert!(Flags::parse(&strings(&["--nope", "x"]), &["--out"]).is_err());
        assert!(Flags::parse(&strings(&["--out"]), &["--out"]).is_err());
        let twice = Flags::parse(&strings(&["--out", "a", "--out", "b"]), &["--out"]).unwrap();
        assert!(twice.one("--out").is_err());
        let yes_no = Flags::parse(
            &strings(&["--common", "no", "--universal2", "maybe"]),
            &["--common", "--universal2", "--work"],
        )
        .unwrap();
        assert!(!yes_no.yes_or_no("--common").unwrap());
        assert!(yes_no.yes_or_no("--work").unwrap());
        assert!(yes_no.yes_or_no("--universal2").is_err());
        let none = Flags::parse(&[], &["--platform"]).unwrap();
        assert_eq!(
            none.platforms(vec![Platform::LinuxX64]).unwrap(),
            [Platform::LinuxX64]
        );
    }

    #[test]
    fn unknown_tasks_are_refused() {
        assert!(run(&strings(&["distribute"])).is_err());
        assert!(run(&strings(&["same-sums", "only-one"])).is_err());
    }
}
