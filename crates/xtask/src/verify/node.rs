//! Node: a new project installs the two tarballs offline, runs the example flow, then the
//! package's own test suite runs against that installed copy.

use std::path::Path;

use crate::cmd::Cmd;
use crate::error::{Context as _, Result, bail};
use crate::platform::Platform;

use super::emulator::NODE_KEY;
use super::{Context, PRODUCT, check_flow, copy};

/// Makes an npm project in `dir` with `keyseat` and the platform package of `platform`
/// installed from the dist folder, with no registry; returns the installed package folder.
pub fn install(cx: &Context<'_>, dir: &Path, platform: Platform, npm_flags: &[&str]) -> Result<()> {
    std::fs::write(
        dir.join("package.json"),
        r#"{"name": "keyseat-verify-app", "version": "1.0.0", "private": true}"#,
    )
    .context("writing package.json")?;
    let v = &cx.version;
    Cmd::new("npm")
        .args(["install", "--offline", "--no-audit", "--no-fund"])
        .args(npm_flags)
        .arg(cx.artifact(&format!("keyseat-{v}.tgz"))?)
        .arg(cx.artifact(&format!("keyseat-{}-{v}.tgz", platform.node_name()))?)
        .dir(dir)
        .run()?;
    let addon = dir.join(format!(
        "node_modules/@keyseat/{0}/keyseat.{0}.node",
        platform.node_name()
    ));
    if !addon.is_file() {
        bail!("npm did not install {}", addon.display());
    }
    copy(
        &cx.file("examples/node/activate.cjs"),
        &dir.join("activate.cjs"),
    )
}

pub fn verify(cx: &Context<'_>) -> Result<()> {
    let app = cx.fresh("node-app")?;
    install(cx, &app, Platform::LinuxX64, &[])?;
    let data = cx.fresh("node-data")?;
    let out = Cmd::new("node")
        .arg("activate.cjs")
        .env("KS_BASE_URL", &cx.emulator.url)
        .env("KS_DATA_DIR", &data)
        .env("KS_KEY", NODE_KEY)
        .env("KS_PRODUCT_ID", PRODUCT)
        .dir(&app)
        .read()?;
    print!("{out}");
    check_flow(&out, NODE_KEY, true)?;

    // The package's own suite, against the installed copy and the shipped emulator.
    let tests_dir = cx.file("crates/keyseat-node/tests");
    let mut tests: Vec<_> = std::fs::read_dir(&tests_dir)
        .context(format!("listing {}", tests_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    tests.sort();
    let package = app.join("node_modules/keyseat");
    let emulator = cx.cli.join("keyseat-emulator");
    Cmd::new("node")
        .args(["--test", "--test-timeout=60000"])
        .args(&tests)
        .env("KEYSEAT_NODE_PACKAGE", &package)
        .env("KEYSEAT_EMULATOR", &emulator)
        .envs(cx.relay_binary().map(|r| ("KEYSEAT_RELAY", r)))
        .dir(&app)
        .run()?;
    // Its startup benchmark, on what users install.
    Cmd::new("node")
        .arg(cx.file("crates/keyseat-node/bench/startup.mjs"))
        .env("KEYSEAT_NODE_PACKAGE", &package)
        .env("KEYSEAT_EMULATOR", &emulator)
        .dir(&app)
        .run()
}
