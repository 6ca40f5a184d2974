//! The Python artifacts, built by maturin: an abi3 wheel per platform (one wheel serves
//! CPython 3.10 and every later version) and the sdist.
//!
//! - Linux: `maturin build --release --zig --compatibility manylinux2014`, then
//!   `auditwheel show` must find the tag the file name claims.
//! - Windows: the `x86_64-pc-windows-gnu` build links `python3.dll` through an import
//!   library pyo3 generates (`generate-import-lib`); the wheel may import only system DLLs
//!   and `python3.dll`.

use std::path::{Path, PathBuf};

use crate::cmd::Cmd;
use crate::error::{Context, Result, bail};
use crate::inspect;
use crate::platform::Platform;
use crate::toolchain::Toolchain;
use crate::workspace::Workspace;

/// The wheel's Python and ABI tags.
const PY_TAGS: &str = "cp310-abi3";

/// The Python that has maturin (and, for the Linux wheel, ziglang and auditwheel):
/// `XTASK_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var(crate::zig::PYTHON_VAR).unwrap_or_else(|_| "python3".to_owned())
}

/// maturin run by [`python`], with that Python's folder first on `PATH`: maturin looks for
/// zig as `python3 -m ziglang`, and must find the one with `ziglang`.
fn maturin() -> Cmd {
    let python = python();
    let mut cmd = Cmd::new(&python).args(["-m", "maturin"]);
    if let Some(dir) = Path::new(&python)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        let mut path = vec![dir.to_owned()];
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        if let Ok(joined) = std::env::join_paths(path) {
            cmd = cmd.env("PATH", joined);
        }
    }
    cmd
}

/// The platform tag of the wheel of `platform`.
pub fn platform_tag(platform: Platform) -> &'static str {
    match platform {
        Platform::LinuxX64 => "manylinux_2_17_x86_64.manylinux2014_x86_64",
        Platform::WindowsX64 => "win_amd64",
        Platform::MacosArm64 => "macosx_11_0_arm64",
        Platform::MacosX64 => "macosx_10_12_x86_64",
    }
}

/// The wheel's file name.
pub fn wheel_name(ws: &Workspace, platform: Platform) -> String {
    format!(
        "keyseat-{}-{PY_TAGS}-{}.whl",
        ws.version,
        platform_tag(platform)
    )
}

/// Builds the wheel of `tc`'s platform into `out`, checks it, and returns its path.
pub fn wheel(ws: &Workspace, tc: &Toolchain, work: &Path, out: &Path) -> Result<PathBuf> {
    let platform = tc.platform;
    let stage = work.join(format!("wheel-{}", platform.name()));
    let _ = std::fs::remove_dir_all(&stage);
    let mut cmd = maturin()
        .args(["build", "--release", "--locked"])
        .args(["--target", platform.triple(), "--out"])
        .arg(&stage)
        .arg("--manifest-path")
        .arg(ws.file("crates/keyseat-py/Cargo.toml"))
        .args(tc.config_args())
        .dir(&ws.root);
    if platform == Platform::LinuxX64 {
        // maturin runs zig itself here, with its own wrappers.
        cmd = cmd.args(["--zig", "--compatibility", "manylinux2014"]);
        cmd = tc.apply_common(cmd);
    } else {
        cmd = tc.apply(cmd);
    }
    cmd.run()?;
    let name = wheel_name(ws, platform);
    let found: Vec<String> = std::fs::read_dir(&stage)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    // maturin may list a compressed tag set in another order (`manylinux2014_x86_64.
    // manylinux_2_17_x86_64`): the same wheel, named here as auditwheel and pip do.
    let Some(built) = found.iter().find(|f| same_tags(f, &name)) else {
        bail!("maturin did not write {name} (it wrote {found:?})");
    };
    let built = stage.join(built);
    check_wheel(&built, platform)?;
    let path = out.join(&name);
    std::fs::copy(&built, &path).context(format!("copying {name}"))?;
    Ok(path)
}

/// Whether two wheel file names differ only in the order of compressed tag sets.
fn same_tags(a: &str, b: &str) -> bool {
    let tags = |name: &str| -> Vec<Vec<String>> {
        name.trim_end_matches(".whl")
            .split('-')
            .map(|part| {
                let mut set: Vec<String> = part.split('.').map(str::to_owned).collect();
                set.sort();
                set
            })
            .collect()
    };
    tags(a) == tags(b)
}

/// Builds the sdist into `out`; returns its path.
pub fn sdist(ws: &Workspace, tc: &Toolchain, work: &Path, out: &Path) -> Result<PathBuf> {
    let stage = work.join("sdist");
    let _ = std::fs::remove_dir_all(&stage);
    let cmd = maturin()
        .args(["sdist", "--out"])
        .arg(&stage)
        .arg("--manifest-path")
        .arg(ws.file("crates/keyseat-py/Cargo.toml"))
        .dir(&ws.root);
    tc.apply_common(cmd).run()?;
    let name = format!("keyseat-{}.tar.gz", ws.version);
    let path = out.join(&name);
    std::fs::copy(stage.join(&name), &path).context(format!("copying {name}"))?;
    Ok(path)
}

/// Checks a built wheel: what it declares, and what its extension module needs.
pub fn check_wheel(wheel: &Path, platform: Platform) -> Result<()> {
    let tag = format!("{PY_TAGS}-{}", platform_tag(platform));
    let mut declared = wheel_tags(wheel)?;
    declared.sort();
    // The WHEEL file lists each compressed tag on its own line, in any order.
    let mut expected: Vec<String> = platform_tag(platform)
        .split('.')
        .map(|p| format!("{PY_TAGS}-{p}"))
        .collect();
    expected.sort();
    if declared != expected {
        bail!("{} declares tags {declared:?}, not {tag}", wheel.display());
    }
    let module = extract_module(wheel, platform)?;
    match platform {
        Platform::WindowsX64 => {
            let imports = inspect::check_pe_imports(module.path(), &["python3.dll"])?;
            if !imports
                .iter()
                .any(|d| d.eq_ignore_ascii_case("python3.dll"))
            {
                bail!("the extension module does not import python3.dll (abi3): {imports:?}");
            }
            println!("{}: {tag}, imports {}", wheel.display(), imports.join(", "));
        }
        Platform::LinuxX64 => {
            let needs = inspect::check_elf(module.path(), (2, 17))?;
            if needs.libraries.iter().any(|l| l.starts_with("libpython")) {
                bail!(
                    "the extension module links libpython: {:?}",
                    needs.libraries
                );
            }
            let shown = Cmd::new(python())
                .args(["-m", "auditwheel", "show"])
                .arg(wheel)
                .read()?;
            let tag_quoted = "\"manylinux_2_17_x86_64\"";
            if !shown.contains(tag_quoted) {
                bail!("auditwheel does not agree with the tag manylinux_2_17_x86_64:\n{shown}");
            }
            println!("{}: {tag}; auditwheel agrees", wheel.display());
        }
        _ => {}
    }
    Ok(())
}

/// The tags in a wheel's `*.dist-info/WHEEL`.
fn wheel_tags(wheel: &Path) -> Result<Vec<String>> {
    let text = read_member(wheel, |name| name.ends_with(".dist-info/WHEEL"))?;
    let text = String::from_utf8_lossy(&text).into_owned();
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("Tag: "))
        .map(|t| t.trim().to_owned())
        .collect())
}

/// The extension module of a wheel, copied out into a temporary file.
fn extract_module(wheel: &Path, platform: Platform) -> Result<tempfile::NamedTempFile> {
    let ext = if platform.is_windows() { ".pyd" } else { ".so" };
    let bytes = read_member(wheel, |name| {
        name.starts_with("keyseat/_native") && name.ends_with(ext)
    })?;
    let mut file = tempfile::NamedTempFile::new().context("making a temporary file")?;
    std::io::Write::write_all(&mut file, &bytes).context("writing the extension module")?;
    Ok(file)
}

/// The bytes of the first member of the zip `wheel` whose name `pick` accepts.
fn read_member(wheel: &Path, pick: impl Fn(&str) -> bool) -> Result<Vec<u8>> {
    let file = std::fs::File::open(wheel).context(format!("opening {}", wheel.display()))?;
    let mut zip = zip::ZipArchive::new(file).context(format!("reading {}", wheel.display()))?;
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    let Some(name) = names.iter().find(|n| pick(n)) else {
        bail!(
            "{} lacks the expected file (it holds {names:?})",
            wheel.display()
        );
    };
    let mut member = zip.by_name(name).context(format!("reading {name}"))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut member, &mut bytes).context(format!("reading {name}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_names_carry_the_abi3_and_platform_tags() {
        let ws = Workspace {
            root: PathBuf::from("."),
            version: "0.1.0".into(),
            abi_version: "1.0.0".into(),
            epoch: 0,
        };
        assert_eq!(
            wheel_name(&ws, Platform::LinuxX64),
            "keyseat-0.1.0-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        assert_eq!(
            wheel_name(&ws, Platform::WindowsX64),
            "keyseat-0.1.0-cp310-abi3-win_amd64.whl"
        );
    }

    #[test]
    fn tag_sets_compare_in_any_order() {
        assert!(same_tags(
            "k-0.1.0-cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
            "k-0.1.0-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        ));
        assert!(!same_tags(
            "k-0.1.0-cp310-abi3-win_amd64.whl",
            "k-0.1.0-cp311-abi3-win_amd64.whl"
        ));
    }

    #[test]
    fn a_wheel_without_the_expected_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyseat-0.1.0-cp310-abi3-win_amd64.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        zip.start_file(
            "keyseat-0.1.0.dist-info/WHEEL",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(&mut zip, b"Wheel-Version: 1.0\nTag: cp310-abi3-win_amd64\n")
            .unwrap();
        zip.finish().unwrap();
        assert_eq!(wheel_tags(&path).unwrap(), ["cp310-abi3-win_amd64"]);
        let e = check_wheel(&path, Platform::WindowsX64).unwrap_err();
        assert!(e.to_string().contains("lacks the expected file"), "{e}");
        let e = check_wheel(&path, Platform::LinuxX64).unwrap_err();
        assert!(e.to_string().contains("declares tags"), "{e}");
    }
}
