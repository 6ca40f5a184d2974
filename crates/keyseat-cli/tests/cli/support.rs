//! The harness every test here shares: an emulator, a data directory, and `licensectl`
//! pointed at both with the environment cleared of anything that would change its path
//! (proxies, a vendor secret).

use std::process::{Command, Output};

use keyseat_emulator::{DEFAULT_PRODUCT_ID, Emulator, KeySpec};
use serde_json::Value;

/// A key recognisable in any output, to prove it never leaks.
pub const KEY: &str = "CLI-SECRET-KEY-5f0e1d2c3b4a69788796a5b4";
/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_licensectl");
/// The app identity of the tests.
pub const APP: &str = "com.example.CliTest";

/// Environment variables that would reroute or reconfigure licensectl.
const AMBIENT: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "KEYSEAT_VENDOR_SECRET",
    "LICENSECTL_APP",
];

/// An emulator serving [`KEY`] and a fresh data directory.
pub struct Setup {
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
}

impl Setup {
    /// Plain HTTP; `limit` activations for [`KEY`].
    pub fn new(limit: Option<u32>) -> Setup {
        Setup::with(Emulator::start(vec![spec(limit)]).unwrap())
    }

    /// Around a given emulator (HTTPS, other keys).
    pub fn with(emu: Emulator) -> Setup {
        Setup {
            emu,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `licensectl` for this app, server and directory, with file key storage, accepting
    /// the emulator's default product.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.cmd_without_product(&[]);
        c.args(["--product", DEFAULT_PRODUCT_ID]).args(args);
        c
    }

    /// As [`Setup::cmd`], with no product binding.
    pub fn cmd_without_product(&self, args: &[&str]) -> Command {
        self.cmd_on(&self.emu.url(), args)
    }

    /// As [`Setup::cmd_without_product`], for the server at `base_url` (a relay).
    pub fn cmd_on(&self, base_url: &str, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        for var in AMBIENT {
            c.env_remove(var);
        }
        c.args(["--app", APP, "--base-url", base_url])
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(["--key-storage", "file"])
            .args(args)
            .env("NO_COLOR", "1");
        c
    }

    /// Runs [`Setup::cmd`], checking that the key appears nowhere in the output.
    pub fn run(&self, args: &[&str]) -> Output {
        checked(self.cmd(args))
    }

    /// Runs with `--json` and parses stdout.
    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        parse(&self.run(&all))
    }
}

/// The spec of [`KEY`].
pub fn spec(limit: Option<u32>) -> KeySpec {
    let mut spec = KeySpec::new(KEY);
    spec.activations_limit = limit;
    spec
}

/// Runs `cmd`, checking that the key appears nowhere in the output.
pub fn checked(mut cmd: Command) -> Output {
    let out = cmd.output().unwrap();
    assert_no_key(&out);
    out
}

/// The exit code and the JSON object on stdout.
pub fn parse(out: &Output) -> (i32, Value) {
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

/// Fails when [`KEY`] appears on stdout or stderr.
pub fn assert_no_key(out: &Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    assert!(!all.contains(KEY), "key leaked: {all}");
}

/// Stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
