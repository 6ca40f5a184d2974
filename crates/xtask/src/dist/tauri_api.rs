//! The web side of the Tauri plugin, `tauri-plugin-keyseat-api-<v>.tgz`: its TypeScript
//! (`crates/tauri-plugin-keyseat/guest-js`) compiled by the pinned TypeScript of the
//! package's lock file into `dist-js` (an ES module and its declarations), packed as
//! `npm pack` packs it, at the workspace's version.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::cmd::Cmd;
use crate::dist::node::{copy, fresh_dir, pack, write_json};
use crate::error::{Context, Result, bail};
use crate::workspace::Workspace;

/// What the tarball must hold.
const REQUIRED: [&str; 4] = [
    "package/package.json",
    "package/README.md",
    "package/dist-js/index.js",
    "package/dist-js/index.d.ts",
];

/// Builds and packs the package into `out`; returns the tarball.
pub fn package(ws: &Workspace, work: &Path, out: &Path) -> Result<PathBuf> {
    let dir = ws.file("crates/tauri-plugin-keyseat");
    let path = dir.join("package.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).context(format!("reading {}", path.display()))?,
    )
    .context(format!("reading {}", path.display()))?;
    if manifest["version"] != ws.version.as_str() {
        bail!(
            "{} has version {}, the workspace {}",
            path.display(),
            manifest["version"],
            ws.version
        );
    }
    if !dir.join("node_modules/typescript/package.json").exists() {
        Cmd::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .dir(&dir)
            .run()?;
    }
    let stage = fresh_dir(&work.join("npm-tauri-api"))?;
    Cmd::new("npx")
        .args(["--no-install", "tsc", "-p", "tsconfig.json", "--outDir"])
        .arg(stage.join("dist-js"))
        .dir(&dir)
        .run()?;
    if let Some(fields) = manifest.as_object_mut() {
        for build_only in ["scripts", "devDependencies"] {
            fields.remove(build_only);
        }
    }
    write_json(&stage.join("package.json"), &manifest)?;
    copy(&dir.join("README.md"), &stage.join("README.md"))?;
    copy(&ws.file("LICENSE"), &stage.join("LICENSE"))?;
    let tarball = pack(
        &stage,
        out,
        &format!("tauri-plugin-keyseat-api-{}.tgz", ws.version),
    )?;
    let entries = entries(&tarball)?;
    for required in REQUIRED {
        if !entries.iter().any(|e| e == required) {
            bail!("{} lacks {required}: {entries:?}", tarball.display());
        }
    }
    Ok(tarball)
}

/// The paths in a `.tgz`.
fn entries(tarball: &Path) -> Result<Vec<String>> {
    let mut bytes = Vec::new();
    std::fs::File::open(tarball)
        .and_then(|f| flate2::read::GzDecoder::new(f).read_to_end(&mut bytes))
        .context(format!("reading {}", tarball.display()))?;
    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut names = Vec::new();
    for entry in archive
        .entries()
        .context(format!("listing {}", tarball.display()))?
    {
        let entry = entry.context(format!("listing {}", tarball.display()))?;
        names.push(
            entry
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        );
    }
    Ok(names)
}
