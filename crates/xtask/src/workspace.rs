//! Facts about the workspace being released: where it is, its versions, and the time every
//! archive records.

use std::path::{Path, PathBuf};

use crate::cmd::Cmd;
use crate::error::{Context, Result, bail};

/// The workspace and what a release of it is called.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root (the folder of the top `Cargo.toml`).
    pub root: PathBuf,
    /// The workspace version: `<v>` in every artifact name.
    pub version: String,
    /// The C ABI's version (keyseat-ffi's), which the library files, `keyseat.pc` and the
    /// CMake package report.
    pub abi_version: String,
    /// `SOURCE_DATE_EPOCH`: the time of the last commit, recorded in every archive.
    pub epoch: u64,
}

impl Workspace {
    /// The workspace this xtask was built from, read with `cargo metadata`.
    pub fn load() -> Result<Workspace> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .canonicalize()
            .context("finding the workspace root")?;
        let metadata = Cmd::new(cargo())
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .dir(&root)
            .read()?;
        let metadata: serde_json::Value =
            serde_json::from_str(&metadata).context("reading cargo metadata")?;
        let version_of = |name: &str| -> Result<String> {
            metadata["packages"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == name)
                .and_then(|p| p["version"].as_str())
                .map(str::to_owned)
                .ok_or_else(|| crate::error::Error::new(format!("no package {name}")))
        };
        Ok(Workspace {
            version: version_of("keyseat")?,
            abi_version: version_of("keyseat-ffi")?,
            epoch: source_date_epoch(&root)?,
            root,
        })
    }

    /// Where the artifacts go: `target/dist`.
    pub fn dist_dir(&self) -> PathBuf {
        self.root.join("target").join("dist")
    }

    /// A file of the workspace, by its path from the root.
    pub fn file(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }
}

/// The cargo to run: the one running this xtask (`$CARGO`), else `cargo` from `PATH`.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// `SOURCE_DATE_EPOCH` when set (a build that must match another), else the time of the
/// last commit.
fn source_date_epoch(root: &Path) -> Result<u64> {
    if let Some(value) = std::env::var_os("SOURCE_DATE_EPOCH") {
        let text = value.to_string_lossy();
        return text.trim().parse().context(format!(
            "SOURCE_DATE_EPOCH={text:?} is not a number of seconds"
        ));
    }
    let out = Cmd::new("git")
        .args(["log", "-1", "--format=%ct"])
        .dir(root)
        .read()?;
    match out.trim().parse() {
        Ok(t) => Ok(t),
        Err(_) => bail!("`git log -1 --format=%ct` printed {out:?}, not a time"),
    }
}
