//! The emulator from the CLI archive, as a vendor would run it in their CI: a process
//! serving a keys file, its URL read from its first line of output.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::error::{Context, Result, bail};

/// A running emulator, stopped when dropped.
pub struct Emulator {
    child: Child,
    /// Its base URL.
    pub url: String,
}

/// The keys every flow uses: each its own, unlimited, of [`super::PRODUCT`]; one of
/// another product.
pub fn keys() -> serde_json::Value {
    let key = |key: &str, product: &str| json!({"key": key, "product_id": product, "activations_limit": null});
    json!([
        key(NODE_KEY, super::PRODUCT),
        key(PYTHON_KEY, super::PRODUCT),
        key(C_KEY, super::PRODUCT),
        key(WINDOWS_KEY, super::PRODUCT),
        key(OTHER_KEY, super::OTHER_PRODUCT),
    ])
}

/// The Node flow's key.
pub const NODE_KEY: &str = "VERIFY-NODE-7f3a9c21-0001";
/// The Python flow's key.
pub const PYTHON_KEY: &str = "VERIFY-PYTHON-7f3a9c21-0002";
/// The C flows' key.
pub const C_KEY: &str = "VERIFY-C-7f3a9c21-0003";
/// The Windows flows' key.
pub const WINDOWS_KEY: &str = "VERIFY-WINDOWS-7f3a9c21-0004";
/// The relay flow's key (served by an emulator of its own).
pub const RELAY_KEY: &str = "VERIFY-RELAY-7f3a9c21-0006";
/// A key of another product.
pub const OTHER_KEY: &str = "VERIFY-OTHER-PRODUCT-7f3a9c21-0005";

impl Emulator {
    /// Starts `binary` serving `keys`, with its keys file in `dir`.
    pub fn start(binary: &Path, keys: &serde_json::Value, dir: &Path) -> Result<Emulator> {
        Emulator::start_with(binary, keys, dir, &[])
    }

    /// [`Emulator::start`], with more of the emulator's flags.
    pub fn start_with(
        binary: &Path,
        keys: &serde_json::Value,
        dir: &Path,
        flags: &[&str],
    ) -> Result<Emulator> {
        let file = dir.join("emulator-keys.json");
        std::fs::write(&file, keys.to_string()).context("writing the emulator's keys")?;
        let mut child = Command::new(binary)
            .arg("--keys")
            .arg(&file)
            .args(flags)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context(format!("starting {}", binary.display()))?;
        let Some(stdout) = child.stdout.take() else {
            bail!("the emulator has no output");
        };
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the emulator's first line")?;
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            bail!("the emulator printed {line:?}, not `listening on <url>`");
        };
        Ok(Emulator {
            url: url.to_owned(),
            child,
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
