//! The npm packages: `keyseat` (JavaScript and types, with optional dependencies on the
//! platform packages) and one `@keyseat/<platform>` per platform holding its native addon,
//! each as the tarball `npm pack` makes. npm installs only the host's platform package.
//!
//! The addon is built by napi-rs's CLI (the pinned `@napi-rs/cli` of the package's lock
//! file), which also writes the TypeScript declarations: they must match `index.d.ts` as
//! checked in. The loader `index.js` is the package's own (see its header).

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cmd::Cmd;
use crate::dist::template::fill;
use crate::error::{Context, Result, bail};
use crate::platform::Platform;
use crate::toolchain::Toolchain;
use crate::workspace::Workspace;

const PLATFORM_README: &str = include_str!("../../templates/node/platform-README.md");

/// The platforms whose packages `keyseat` names as optional dependencies: all that `cargo
/// xtask dist` builds (macOS on a Mac).
const PLATFORMS: [Platform; 4] = Platform::ALL;

/// The folder of the Node package in the workspace.
fn package_dir(ws: &Workspace) -> PathBuf {
    ws.file("crates/keyseat-node")
}

/// Installs the package's build tools from its lock file (`npm ci`), once.
pub fn install_tools(ws: &Workspace) -> Result<()> {
    let dir = package_dir(ws);
    if dir.join("node_modules/@napi-rs/cli/package.json").exists() {
        return Ok(());
    }
    Cmd::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .dir(&dir)
        .run()
}

/// Builds the addon for `tc`'s platform into `stage`; returns the `.node` file, named for
/// the platform package.
pub fn build_addon(ws: &Workspace, tc: &Toolchain, work: &Path) -> Result<PathBuf> {
    let platform = tc.platform;
    let stage = work.join(format!("node-{}", platform.name()));
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir_all(&stage).context(format!("creating {}", stage.display()))?;
    let mut cmd = Cmd::new("npx")
        .args([
            "--no-install",
            "napi",
            "build",
            "--platform",
            "--release",
            "--no-js",
        ])
        .args([
            "--target",
            platform.triple(),
            "--dts",
            "index.d.ts",
            "--output-dir",
        ])
        .arg(&stage)
        .arg("--")
        .arg("--locked")
        .args(tc.config_args())
        .dir(package_dir(ws));
    if platform.is_windows() {
        cmd = cmd.env("LIBNODE_PATH", no_libnode(work)?);
    }
    tc.apply(cmd).run()?;
    let built = std::fs::read_dir(&stage)
        .context(format!("listing {}", stage.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "node"));
    let Some(built) = built else {
        bail!("napi build wrote no .node file into {}", stage.display());
    };
    let declared = std::fs::read_to_string(stage.join("index.d.ts"))
        .context("reading the generated index.d.ts")?;
    let checked_in = std::fs::read_to_string(package_dir(ws).join("index.d.ts"))
        .context("reading crates/keyseat-node/index.d.ts")?;
    if declared != checked_in {
        bail!(
            "crates/keyseat-node/index.d.ts is not what the addon declares: run `npm run \
             build` in crates/keyseat-node and commit index.d.ts"
        );
    }
    let addon = stage.join(format!("keyseat.{}.node", platform.node_name()));
    if built != addon {
        std::fs::rename(&built, &addon).context("naming the addon")?;
    }
    Ok(addon)
}

/// napi-build (in the `napi` crate's build script) links a Windows GNU addon against
/// `libnode.dll`, which official Node does not ship. With napi's `dyn-symbols` feature the
/// addon never calls through such a library (it looks Node-API up in the process that loads
/// it), so an empty one satisfies the link and no `node.dll` import is written. Returns
/// the folder of the stand-in: an empty `libnode.a`, and the `libnode.dll` napi-build looks
/// for (never read, since the linker finds `libnode.a` first).
fn no_libnode(work: &Path) -> Result<PathBuf> {
    let dir = work.join("no-libnode");
    std::fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("libnode.a"), b"!<arch>\n").context("writing libnode.a")?;
    std::fs::write(dir.join("libnode.dll"), b"").context("writing libnode.dll")?;
    Ok(dir)
}

/// The package.json of `@keyseat/<platform>`.
fn platform_manifest(ws: &Workspace, platform: Platform) -> serde_json::Value {
    let name = platform.node_name();
    let addon = format!("keyseat.{name}.node");
    let (os, cpu, libc) = platform.npm_fields();
    let mut manifest = json!({
        "name": format!("@keyseat/{name}"),
        "version": ws.version,
        "description": format!("The {} native addon of keyseat", platform.triple()),
        "license": "MIT",
        "repository": "https://github.com/keyseat/keyseat",
        "os": [os],
        "cpu": [cpu],
        "main": addon,
        "files": [addon],
        "engines": {"node": ">= 18"},
    });
    if let Some(libc) = libc {
        manifest["libc"] = json!([libc]);
    }
    manifest
}

/// Packs `@keyseat/<platform>` with `addon` into `out`; returns the tarball.
pub fn platform_package(
    ws: &Workspace,
    platform: Platform,
    addon: &Path,
    work: &Path,
    out: &Path,
) -> Result<PathBuf> {
    let name = platform.node_name();
    let stage = fresh_dir(&work.join(format!("npm-{name}")))?;
    write_json(
        &stage.join("package.json"),
        &platform_manifest(ws, platform),
    )?;
    copy(addon, &stage.join(format!("keyseat.{name}.node")))?;
    copy(&ws.file("LICENSE"), &stage.join("LICENSE"))?;
    let readme = fill(
        PLATFORM_README,
        &[
            ("PLATFORM", name),
            ("TRIPLE", platform.triple()),
            ("VERSION", &ws.version),
        ],
    )?;
    std::fs::write(stage.join("README.md"), readme).context("writing README.md")?;
    pack(&stage, out, &format!("keyseat-{name}-{}.tgz", ws.version))
}

/// The package.json of `keyseat`: the workspace's, less its build settings, with the
/// platform packages as optional dependencies.
fn main_manifest(ws: &Workspace) -> Result<serde_json::Value> {
    let path = package_dir(ws).join("package.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).context(format!("reading {}", path.display()))?,
    )
    .context(format!("reading {}", path.display()))?;
    if manifest["version"] != ws.version.as_str() {
        bail!(
            "crates/keyseat-node/package.json has version {}, the workspace {}",
            manifest["version"],
            ws.version
        );
    }
    let Some(fields) = manifest.as_object_mut() else {
        bail!("{} is not a JSON object", path.display());
    };
    for build_only in ["napi", "scripts", "devDependencies"] {
        fields.remove(build_only);
    }
    let optional: serde_json::Map<String, serde_json::Value> = PLATFORMS
        .iter()
        .map(|p| (format!("@keyseat/{}", p.node_name()), json!(ws.version)))
        .collect();
    fields.insert("optionalDependencies".into(), optional.into());
    Ok(manifest)
}

/// Packs `keyseat` into `out`; returns the tarball.
pub fn main_package(ws: &Workspace, work: &Path, out: &Path) -> Result<PathBuf> {
    let stage = fresh_dir(&work.join("npm-keyseat"))?;
    write_json(&stage.join("package.json"), &main_manifest(ws)?)?;
    for file in ["index.js", "index.d.ts", "README.md"] {
        copy(&package_dir(ws).join(file), &stage.join(file))?;
    }
    copy(&ws.file("LICENSE"), &stage.join("LICENSE"))?;
    pack(&stage, out, &format!("keyseat-{}.tgz", ws.version))
}

/// `npm pack` of `stage` into `out`, which must give `expected`.
pub(super) fn pack(stage: &Path, out: &Path, expected: &str) -> Result<PathBuf> {
    Cmd::new("npm")
        .args(["pack", "--silent", "--pack-destination"])
        .arg(out)
        .dir(stage)
        .read()?;
    let path = out.join(expected);
    if !path.is_file() {
        bail!("npm pack did not write {}", path.display());
    }
    Ok(path)
}

/// `dir`, emptied (made when missing).
pub(super) fn fresh_dir(dir: &Path) -> Result<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).context(format!("creating {}", dir.display()))?;
    Ok(dir.to_owned())
}

/// Copies a file, naming both on failure.
pub(super) fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to).map(|_| ()).context(format!(
        "copying {} to {}",
        from.display(),
        to.display()
    ))
}

/// Writes pretty JSON and a final newline.
pub(super) fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).context("encoding JSON")? + "\n";
    std::fs::write(path, text).context(format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> Workspace {
        Workspace {
            root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
            version: "0.1.0".into(),
            abi_version: "1.0.0".into(),
            epoch: 0,
        }
    }

    #[test]
    fn the_windows_package_names_no_libc_and_linux_names_glibc() {
        let win = platform_manifest(&ws(), Platform::WindowsX64);
        assert_eq!(win["name"], "@keyseat/win32-x64-msvc");
        assert_eq!(win["os"], json!(["win32"]));
        assert!(win.get("libc").is_none());
        assert_eq!(win["main"], "keyseat.win32-x64-msvc.node");
        let linux = platform_manifest(&ws(), Platform::LinuxX64);
        assert_eq!(linux["libc"], json!(["glibc"]));
        assert_eq!(linux["files"], json!(["keyseat.linux-x64-gnu.node"]));
    }

    #[test]
    fn the_loader_knows_the_platforms_published() {
        let index = std::fs::read_to_string(package_dir(&ws()).join("index.js")).unwrap();
        let line = index
            .lines()
            .find(|l| l.starts_with("const PUBLISHED = ["))
            .expect("index.js lists the published platforms");
        let listed: Vec<&str> = line.split('\'').skip(1).step_by(2).collect();
        let published: Vec<&str> = Platform::ALL.iter().map(|p| p.node_name()).collect();
        assert_eq!(
            listed, published,
            "index.js's PUBLISHED and the platform packages"
        );
    }

    #[test]
    fn the_main_package_depends_on_every_platform_package_at_its_version() {
        let m = main_manifest(&ws()).unwrap();
        assert_eq!(m["name"], "keyseat");
        for p in Platform::ALL {
            assert_eq!(
                m["optionalDependencies"][format!("@keyseat/{}", p.node_name())],
                "0.1.0"
            );
        }
        assert!(m.get("devDependencies").is_none() && m.get("scripts").is_none());
        assert_eq!(m["files"], json!(["index.js", "index.d.ts"]));
    }
}
