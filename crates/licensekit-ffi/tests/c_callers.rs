//! Compiles the C examples with `cc -Wall -Wextra -Werror`, runs them against the emulator
//! (once more under AddressSanitizer and UBSan), and runs the Python ctypes example.

use std::path::{Path, PathBuf};
use std::process::Command;

use licensekit_emulator::{Emulator, KeySpec};

const KEY: &str = "FFI-SECRET-KEY-0a1b2c3d4e5f60718293";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directory holding liblicensekit.so: target/<profile>, two levels above this test.
/// `cargo test` does not build a cdylib-only crate's library for its integration tests, so
/// the first call builds it (a no-op when it is up to date).
fn lib_dir() -> PathBuf {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "licensekit-ffi"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building liblicensekit failed");
    });
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_owned()
}

fn compile(source: &str, out: &Path, extra: &[&str]) {
    let status = Command::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-std=c11", "-g"])
        .args(extra)
        .arg("-I")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("include"))
        .arg(root().join(source))
        .arg("-L")
        .arg(lib_dir())
        .arg("-llicensekit")
        .arg(format!("-Wl,-rpath,{}", lib_dir().display()))
        .arg("-o")
        .arg(out)
        .status()
        .expect("cc runs");
    assert!(status.success(), "compiling {source} failed");
}

fn run(exe: &Path, emu: &Emulator, dir: &Path, env: &[(&str, &str)]) -> String {
    let out = Command::new(exe)
        .env("LK_BASE_URL", emu.url())
        .env("LK_DATA_DIR", dir)
        .env("LK_KEY", KEY)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed:\n{stdout}\n{stderr}",
        exe.display()
    );
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY), "key leaked");
    stdout
}

fn emulator() -> Emulator {
    Emulator::start(vec![KeySpec::new(KEY).with_limit(1)]).unwrap()
}

#[test]
fn c_example_activates_checks_and_deactivates() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("activate");
    compile("examples/c/activate.c", &exe, &[]);
    let emu = emulator();
    let out = run(&exe, &emu, &tmp.path().join("data"), &[]);
    assert!(out.contains("state: active"), "{out}");
    assert!(out.contains("after deactivate: not activated"), "{out}");
    assert!(emu.instances_of(KEY).is_empty());
}

#[test]
fn c_bad_input_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("bad_input");
    compile("examples/c/bad_input.c", &exe, &[]);
    let emu = emulator();
    let out = run(&exe, &emu, tmp.path(), &[]);
    assert!(out.contains("0 failures"), "{out}");
}

#[test]
fn c_callers_under_sanitizers() {
    let tmp = tempfile::tempdir().unwrap();
    let emu = emulator();
    for (source, name) in [
        ("examples/c/activate.c", "activate_asan"),
        ("examples/c/bad_input.c", "bad_asan"),
    ] {
        let exe = tmp.path().join(name);
        compile(
            source,
            &exe,
            &["-fsanitize=address,undefined", "-fno-omit-frame-pointer"],
        );
        let data = tmp.path().join(format!("data-{name}"));
        let out = run(
            &exe,
            &emu,
            &data,
            &[
                ("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1"),
                ("UBSAN_OPTIONS", "halt_on_error=1"),
            ],
        );
        assert!(!out.contains("ERROR: AddressSanitizer"), "{out}");
    }
}

#[test]
fn python_ctypes_example() {
    let tmp = tempfile::tempdir().unwrap();
    let emu = emulator();
    let lib = lib_dir().join(if cfg!(target_os = "macos") {
        "liblicensekit.dylib"
    } else {
        "liblicensekit.so"
    });
    let out = Command::new("python3")
        .arg(root().join("examples/python/activate.py"))
        .env("LK_LIB", &lib)
        .env("LK_BASE_URL", emu.url())
        .env("LK_DATA_DIR", tmp.path())
        .env("LK_KEY", KEY)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("state: active") && stdout.contains("after deactivate: not activated"),
        "{stdout}"
    );
    assert!(!stdout.contains(KEY));
}
