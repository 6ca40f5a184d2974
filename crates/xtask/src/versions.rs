//! One version for every release: set once, as `[workspace.package] version` in the top
//! `Cargo.toml`, and [`check`]ed everywhere else it must appear: each published crate
//! (inheriting it), the crates' dependencies on each other, the npm packages'
//! `package.json`, and the Python package (whose version maturin takes from Cargo).
//!
//! One exception, by design: the C library's ABI version (`keyseat-ffi`'s own, which
//! `ks_version()`, the header's `KS_VERSION_*`, the SONAME and `keyseat.pc` report) moves
//! only with the C API, as a shared library's must; that crate is not published.

use crate::cmd::Cmd;
use crate::error::{Context, Result, bail};
use crate::workspace::{Workspace, cargo};

/// The npm packages whose `package.json` carries the release version.
const NPM_PACKAGES: [&str; 2] = [
    "crates/keyseat-node/package.json",
    "crates/tauri-plugin-keyseat/package.json",
];

/// Checks that everything released carries `ws.version`; the error lists every mismatch.
pub fn check(ws: &Workspace) -> Result<()> {
    let metadata = Cmd::new(cargo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .dir(&ws.root)
        .read()?;
    let metadata: serde_json::Value =
        serde_json::from_str(&metadata).context("reading cargo metadata")?;
    let mut wrong = mismatches(&metadata, &ws.version);
    for path in NPM_PACKAGES {
        let text = std::fs::read_to_string(ws.file(path)).context(format!("reading {path}"))?;
        let manifest: serde_json::Value =
            serde_json::from_str(&text).context(format!("reading {path}"))?;
        if manifest["version"] != ws.version.as_str() {
            wrong.push(format!("{path}: {}", manifest["version"]));
        }
    }
    let pyproject = "crates/keyseat-py/pyproject.toml";
    let text =
        std::fs::read_to_string(ws.file(pyproject)).context(format!("reading {pyproject}"))?;
    if !dynamic_version(&text) {
        wrong.push(format!(
            "{pyproject}: the version must be dynamic (maturin takes Cargo's)"
        ));
    }
    if !wrong.is_empty() {
        bail!(
            "the release version is {} (the top Cargo.toml's [workspace.package]); these differ: {}",
            ws.version,
            wrong.join("; ")
        );
    }
    Ok(())
}

/// The workspace's packages that ship (not `publish = false`, but the Node and Python
/// crates, whose packages ship) and their dependencies on each other, at another version.
fn mismatches(metadata: &serde_json::Value, version: &str) -> Vec<String> {
    let packages: Vec<&serde_json::Value> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let ours: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut wrong = Vec::new();
    for p in &packages {
        let name = p["name"].as_str().unwrap_or("?");
        let unpublished = p["publish"].as_array().is_some_and(|r| r.is_empty());
        let ships = !unpublished || matches!(name, "keyseat-node" | "keyseat-py");
        if name == "keyseat-ffi" || !ships {
            continue;
        }
        if p["version"] != version {
            wrong.push(format!("crate {name}: {}", p["version"]));
        }
        for dep in p["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or("");
            let wanted = dep["req"].as_str().unwrap_or("");
            let exact = format!("^{version}");
            if ours.contains(&dep_name)
                && dep_name != "keyseat-ffi"
                && wanted != exact
                && wanted != "*"
            {
                wrong.push(format!("{name}'s dependency on {dep_name}: {wanted}"));
            }
        }
    }
    wrong
}

/// Whether the `[project]` table of a pyproject.toml leaves the version to the build
/// backend: no `version` key, and `version` in `dynamic`.
fn dynamic_version(pyproject: &str) -> bool {
    let mut in_project = false;
    let (mut fixed, mut dynamic) = (false, false);
    for line in pyproject.lines().map(str::trim) {
        if line.starts_with('[') {
            in_project = line == "[project]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key.trim() {
            "version" if in_project => fixed = true,
            "dynamic" if in_project => dynamic = value.contains("\"version\""),
            _ => {}
        }
    }
    dynamic && !fixed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_released_thing_has_the_workspace_version() {
        let ws = Workspace::load().unwrap();
        check(&ws).unwrap();
    }

    #[test]
    fn a_crate_or_a_dependency_at_another_version_is_named() {
        let metadata = json!({"packages": [
            {"name": "keyseat", "version": "0.2.0", "publish": null, "dependencies": []},
            {"name": "keyseat-cli", "version": "0.1.0", "publish": null, "dependencies": [
                {"name": "keyseat", "req": "^0.1.0"}, {"name": "serde", "req": "^1"}]},
            {"name": "keyseat-ffi", "version": "1.4.0", "publish": [], "dependencies": []},
            {"name": "xtask", "version": "0.0.0", "publish": [], "dependencies": []},
            {"name": "keyseat-py", "version": "0.0.9", "publish": [], "dependencies": []},
        ]});
        assert_eq!(
            mismatches(&metadata, "0.1.0"),
            ["crate keyseat: \"0.2.0\"", "crate keyseat-py: \"0.0.9\""]
        );
        assert_eq!(
            mismatches(&metadata, "0.2.0"),
            [
                "crate keyseat-cli: \"0.1.0\"",
                "keyseat-cli's dependency on keyseat: ^0.1.0",
                "crate keyseat-py: \"0.0.9\""
            ]
        );
    }

    #[test]
    fn the_python_version_must_come_from_cargo() {
        assert!(dynamic_version(
            "[project]\nname = \"k\"\ndynamic = [\"version\"]\n"
        ));
        assert!(!dynamic_version(
            "[project]\nname = \"k\"\nversion = \"0.1.0\"\n"
        ));
        assert!(!dynamic_version("[tool.x]\ndynamic = [\"version\"]\n"));
    }
}
