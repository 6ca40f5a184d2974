//! C: the SDK extracted to an arbitrary folder (not `/usr`); the C examples built by a CMake
//! project that finds it with `find_package(keyseat 1.0 CONFIG REQUIRED)`, once linking
//! `keyseat::keyseat` and once `keyseat::keyseat_static`, and by a plain
//! `cc $(pkg-config --cflags --libs keyseat)`; every program run against the emulator, and
//! `relay` through a relay of the relay archive. And a program linked with
//! `pkg-config --static` that finds keyseat's unwind tables.

use std::path::Path;

use crate::archive;
use crate::cmd::Cmd;
use crate::error::{Context as _, Result, bail};
use crate::inspect;

use super::emulator::{C_KEY, OTHER_KEY, RELAY_KEY};
use super::{Context, OTHER_PRODUCT, PRODUCT, check_flow};

/// The check that the static library carries unwind tables.
const UNWIND_TABLES: &str = include_str!("unwind_tables.c");

/// The C example programs and the line each prints last.
const EXAMPLES: [&str; 3] = ["activate", "bad_input", "abi_contract"];

pub fn verify(cx: &Context<'_>) -> Result<()> {
    let sdk_archive = cx.artifact(&format!(
        "keyseat-c-{}-x86_64-unknown-linux-gnu.tar.xz",
        cx.version
    ))?;
    // Somewhere a user might keep vendored SDKs: not /usr, not the build tree.
    let sdk = archive::extract(&sdk_archive, &cx.fresh("opt/vendor")?)?;
    for (variant, static_link) in [("shared", false), ("static", true)] {
        let build = cx.fresh(&format!("cmake-{variant}"))?;
        Cmd::new("cmake")
            .arg("-S")
            .arg(cx.file("examples/cmake"))
            .arg("-B")
            .arg(&build)
            .arg(format!("-DCMAKE_PREFIX_PATH={}", sdk.display()))
            .arg(format!(
                "-DKEYSEAT_STATIC={}",
                if static_link { "ON" } else { "OFF" }
            ))
            .run()?;
        Cmd::new("cmake").arg("--build").arg(&build).run()?;
        for example in EXAMPLES {
            let exe = build.join(example);
            if needs_shared_keyseat(&exe)? == static_link {
                bail!("the {variant} build of {example} linked the other library");
            }
            run_example(cx, &exe, example, &format!("cmake-{variant}"), None)?;
        }
        relay_example(cx, &build.join("relay"), variant)?;
    }

    // pkg-config, with the SDK's relocatable .pc.
    let pc_dir = sdk.join("lib/pkgconfig");
    let flags = Cmd::new("pkg-config")
        .args(["--cflags", "--libs", "keyseat"])
        .env("PKG_CONFIG_PATH", &pc_dir)
        .read()?;
    println!("pkg-config --cflags --libs keyseat: {}", flags.trim());
    if !flags.contains(&format!("-I{}", sdk.display())) {
        bail!("keyseat.pc does not point into the extracted SDK: {flags}");
    }
    let exe = cx.fresh("pkg-config")?.join("activate");
    Cmd::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-std=c11"])
        .arg(cx.file("examples/c/activate.c"))
        .args(flags.split_whitespace())
        .arg("-o")
        .arg(&exe)
        .run()?;
    run_example(cx, &exe, "activate", "pkg-config", Some(&sdk.join("lib")))?;
    unwind_tables(cx, &pc_dir)
}

/// On a Mac: the universal static SDK (built on Linux) found by CMake, the C examples built
/// for both architectures with `keyseat::keyseat_static`, each a universal program, and run
/// (its native slice) against the emulator.
pub fn verify_universal(cx: &Context<'_>) -> Result<()> {
    let sdk_archive = cx.artifact(&format!(
        "keyseat-c-{}-universal2-apple-darwin.tar.xz",
        cx.version
    ))?;
    let sdk = archive::extract(&sdk_archive, &cx.fresh("opt/vendor-universal")?)?;
    let build = cx.fresh("cmake-universal")?;
    Cmd::new("cmake")
        .arg("-S")
        .arg(cx.file("examples/cmake"))
        .arg("-B")
        .arg(&build)
        .arg(format!("-DCMAKE_PREFIX_PATH={}", sdk.display()))
        .args([
            "-DKEYSEAT_STATIC=ON",
            "-DCMAKE_OSX_ARCHITECTURES=arm64;x86_64",
        ])
        .run()?;
    Cmd::new("cmake").arg("--build").arg(&build).run()?;
    for example in EXAMPLES {
        let exe = build.join(example);
        let archs = Cmd::new("lipo").arg("-archs").arg(&exe).read()?;
        if !(archs.contains("arm64") && archs.contains("x86_64")) {
            bail!("{example} is not universal: {archs}");
        }
        run_example(cx, &exe, example, "universal", None)?;
    }
    Ok(())
}

/// Links a program with the static library, as `pkg-config --static` says, and has it
/// ask the unwinder for the frames of keyseat's functions: a panic keyseat catches must
/// be able to unwind through them.
fn unwind_tables(cx: &Context<'_>, pc_dir: &Path) -> Result<()> {
    let flags = Cmd::new("pkg-config")
        .args(["--static", "--cflags", "--libs", "keyseat"])
        .env("PKG_CONFIG_PATH", pc_dir)
        .read()?;
    let source = cx.fresh("unwind-tables")?.join("unwind_tables.c");
    std::fs::write(&source, UNWIND_TABLES).context("writing unwind_tables.c")?;
    let exe = source.with_extension("");
    Cmd::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-std=c11"])
        .arg(&source)
        // The static library, though the shared one is beside it.
        .args(flags.split_whitespace().map(|f| match f {
            "-lkeyseat" => "-l:libkeyseat.a",
            other => other,
        }))
        .arg("-o")
        .arg(&exe)
        .run()?;
    if needs_shared_keyseat(&exe)? {
        bail!("unwind_tables was linked with the shared library");
    }
    let out = Cmd::new(&exe).read()?;
    print!("{out}");
    if !out.trim_end().ends_with(": 0 failures") {
        bail!("unwind_tables did not pass:\n{out}");
    }
    Ok(())
}

/// Whether a program needs the shared `libkeyseat` at run time (else it linked the static
/// library).
fn needs_shared_keyseat(exe: &Path) -> Result<bool> {
    let needs = inspect::elf_needs(exe)?;
    Ok(needs.libraries.iter().any(|l| l.starts_with("libkeyseat")))
}

/// `examples/c/relay.c`'s license life through a relay of the archive: activation, the
/// limit, the seats in use and the entitlements, the seats, deactivation.
fn relay_example(cx: &Context<'_>, exe: &Path, variant: &str) -> Result<()> {
    let relay = super::relay::for_examples(cx, &format!("c-{variant}"))?;
    let data = cx.fresh(&format!("c-data-{variant}-relay"))?;
    let out = Cmd::new(exe)
        .arg("life")
        .env("KS_RELAY_URL", relay.url())
        .env("KS_RELAY_PUBLIC_KEY", &relay.public_key)
        .env("KS_DATA_DIR", &data)
        .env("KS_KEY", RELAY_KEY)
        .env("KS_PRODUCT_ID", PRODUCT)
        .read()?;
    print!("{out}");
    for line in [
        "state: active",
        "activation limit: 2",
        "activations used: 1",
        "entitlements: 1",
        "seats: 1",
        "after deactivate: not activated",
    ] {
        if !out.lines().any(|l| l == line) {
            bail!("relay ({variant}) did not print {line:?}:\n{out}");
        }
    }
    if out.contains(RELAY_KEY) {
        bail!("relay ({variant}) showed the key");
    }
    Ok(())
}

/// Runs one example with a fresh data folder; `activate` must show the whole flow, and
/// every example must exit with 0 without showing a key.
fn run_example(
    cx: &Context<'_>,
    exe: &Path,
    example: &str,
    variant: &str,
    library_path: Option<&Path>,
) -> Result<()> {
    let data = cx.fresh(&format!("c-data-{variant}-{example}"))?;
    let mut cmd = Cmd::new(exe)
        .env("KS_BASE_URL", &cx.emulator.url)
        .env("KS_DATA_DIR", &data)
        .env("KS_KEY", C_KEY)
        .env("KS_PRODUCT_ID", PRODUCT)
        .env("KS_OTHER_KEY", OTHER_KEY)
        .env("KS_OTHER_PRODUCT_ID", OTHER_PRODUCT);
    if let Some(dir) = library_path {
        cmd = cmd.env("LD_LIBRARY_PATH", dir);
    }
    let out = cmd.read()?;
    print!("{out}");
    if example == "activate" {
        check_flow(&out, C_KEY, false)?;
    } else if !out.trim_end().ends_with(": 0 failures") || out.contains(C_KEY) {
        bail!("{example} ({variant}) did not pass:\n{out}");
    }
    Ok(())
}
