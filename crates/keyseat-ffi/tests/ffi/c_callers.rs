//! Compiles the C programs in `examples/c` with `cc -Wall -Wextra -Werror`, runs them against
//! the emulator, then once more under AddressSanitizer (with LeakSanitizer) and UBSan, and
//! runs the Python ctypes example.

use std::path::{Path, PathBuf};
use std::process::Command;

use keyseat_emulator::{Emulator, KeySpec};

use crate::library;

const KEY: &str = "FFI-SECRET-KEY-0a1b2c3d4e5f60718293";
const PRODUCT: &str = "pdt_c_example";
const OTHER_KEY: &str = "FFI-OTHER-PRODUCT-KEY-99887766554433";
const OTHER_PRODUCT: &str = "pdt_someone_elses_app";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn compile(source: &str, out: &Path, extra: &[&str]) {
    let (dir, name) = library();
    let status = Command::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-std=c11", "-g"])
        .args(extra)
        .arg("-I")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("include"))
        .arg(root().join(source))
        .arg("-L")
        .arg(&dir)
        .arg(format!("-l{name}"))
        .arg(format!("-Wl,-rpath,{}", dir.display()))
        .arg("-o")
        .arg(out)
        .status()
        .expect("cc runs");
    assert!(status.success(), "compiling {source} failed");
}

fn run<V: AsRef<std::ffi::OsStr>>(
    exe: &Path,
    emu: &Emulator,
    dir: &Path,
    env: &[(&str, V)],
) -> String {
    let out = Command::new(exe)
        .env("KS_BASE_URL", emu.url())
        .env("KS_DATA_DIR", dir)
        .env("KS_KEY", KEY)
        .env("KS_PRODUCT_ID", PRODUCT)
        .env("KS_OTHER_KEY", OTHER_KEY)
        .env("KS_OTHER_PRODUCT_ID", OTHER_PRODUCT)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed:\n{stdout}\n{stderr}",
        exe.display()
    );
    for secret in [KEY, OTHER_KEY] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "key leaked"
        );
    }
    assert!(!stderr.contains("Sanitizer"), "{stderr}");
    stdout
}

fn emulator() -> Emulator {
    let mut key = KeySpec::new(KEY).with_limit(1);
    key.product_id = PRODUCT.into();
    let mut other = KeySpec::new(OTHER_KEY).with_limit(1);
    other.product_id = OTHER_PRODUCT.into();
    Emulator::start(vec![key, other]).unwrap()
}

/// The number `N` of a closing line `<label>: N failures`, which must be the last line.
fn failures(out: &str, label: &str) -> u32 {
    let last = out.lines().last().unwrap_or("");
    let n = last
        .strip_prefix(&format!("{label}: "))
        .and_then(|rest| rest.strip_suffix(" failures"))
        .unwrap_or_else(|| panic!("no closing line in:\n{out}"));
    n.parse().expect("a count")
}

#[test]
fn c_example_activates_checks_and_deactivates() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("activate");
    compile("examples/c/activate.c", &exe, &[]);
    let emu = emulator();
    let out = run(&exe, &emu, &tmp.path().join("data"), &[] as &[(&str, &str)]);
    assert!(out.contains("state: active"), "{out}");
    assert!(out.contains(&format!("product: {PRODUCT}")), "{out}");
    assert!(out.contains("key: ****-8293"), "{out}");
    assert!(out.contains("after deactivate: not activated"), "{out}");
    assert!(emu.instances_of(KEY).is_empty());
}

#[test]
fn c_bad_input_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("bad_input");
    compile("examples/c/bad_input.c", &exe, &[]);
    let out = run(&exe, &emulator(), tmp.path(), &[] as &[(&str, &str)]);
    assert_eq!(failures(&out, "bad input"), 0, "{out}");
}

#[test]
fn c_abi_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("abi_contract");
    compile("examples/c/abi_contract.c", &exe, &[]);
    let emu = emulator();
    let out = run(&exe, &emu, &tmp.path().join("data"), &[] as &[(&str, &str)]);
    assert_eq!(failures(&out, "abi contract"), 0, "{out}");
    assert!(
        emu.instances_of(OTHER_KEY).is_empty(),
        "the other product's slot was released"
    );
}

const LS_KEY: &str = "FFI-LS-KEY-0a1b2c3d4e5f60718293";
const LS_OTHER_STORE_KEY: &str = "FFI-LS-OTHER-STORE-KEY-112233445566";
const POLAR_KEY: &str = "FFI-POLAR-KEY-NO-SEATS-7766554433";
const POLAR_ORG: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
const POLAR_BENEFIT: &str = "5a1e3c0e-0000-4000-8000-000000000003";
const KEYGEN_KEY: &str = "FFI-KEYGEN-KEY-5544332211009988";
const KEYGEN_PRODUCT: &str = "9c1e3c0e-0000-4000-8000-0000000000aa";

/// An emulator serving Lemon Squeezy keys of store 7 and 8, a Polar key with no
/// activations and a Keygen key, with the environment `providers.c` reads.
fn provider_emulator() -> (Emulator, Vec<(&'static str, String)>) {
    let emu = Emulator::start(vec![
        KeySpec::new(LS_KEY)
            .with_limit(1)
            .sold_by("lemonsqueezy", "7")
            .of_product("4"),
        KeySpec::new(LS_OTHER_STORE_KEY)
            .with_limit(1)
            .sold_by("lemonsqueezy", "8")
            .of_product("4"),
        KeySpec::new(POLAR_KEY)
            .sold_by("polar", POLAR_ORG)
            .of_product(POLAR_BENEFIT),
        KeySpec::new(KEYGEN_KEY)
            .with_limit(1)
            .sold_by("keygen", "acme")
            .of_product(KEYGEN_PRODUCT),
    ])
    .unwrap();
    let env = [
        ("KS_LS_KEY", LS_KEY),
        ("KS_LS_OTHER_STORE_KEY", LS_OTHER_STORE_KEY),
        ("KS_LS_STORE", "7"),
        ("KS_LS_PRODUCT", "4"),
        ("KS_POLAR_KEY", POLAR_KEY),
        ("KS_POLAR_ORG", POLAR_ORG),
        ("KS_POLAR_BENEFIT", POLAR_BENEFIT),
        ("KS_KEYGEN_KEY", KEYGEN_KEY),
        ("KS_KEYGEN_ACCOUNT", "acme"),
        ("KS_KEYGEN_PRODUCT", KEYGEN_PRODUCT),
    ];
    let mut env: Vec<(&'static str, String)> =
        env.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
    env.push(("KS_KEYGEN_PUBLIC_KEY", emu.keygen_public_key()));
    (emu, env)
}

#[test]
fn c_lemon_squeezy_polar_and_keygen() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("providers");
    compile("examples/c/providers.c", &exe, &[]);
    let (emu, env) = provider_emulator();
    let out = run(&exe, &emu, tmp.path(), &env);
    assert_eq!(failures(&out, "providers"), 0, "{out}");
    assert!(out.contains("polar: active with no seat"), "{out}");
    for key in [LS_KEY, LS_OTHER_STORE_KEY, POLAR_KEY] {
        assert!(!out.contains(key), "key leaked");
        assert!(emu.instances_of(key).is_empty(), "{key} still holds a seat");
    }
    assert_eq!(
        emu.request_count_of("polar", keyseat_emulator::Endpoint::Deactivate),
        0,
        "a seatless license has nothing to deactivate"
    );
}

#[test]
fn c_callers_under_sanitizers() {
    let tmp = tempfile::tempdir().unwrap();
    for (source, name, label) in [
        ("examples/c/activate.c", "activate_san", None),
        ("examples/c/bad_input.c", "bad_input_san", Some("bad input")),
        (
            "examples/c/abi_contract.c",
            "abi_contract_san",
            Some("abi contract"),
        ),
        ("examples/c/providers.c", "providers_san", Some("providers")),
    ] {
        let exe = tmp.path().join(name);
        compile(
            source,
            &exe,
            &[
                "-fsanitize=address,undefined",
                "-fno-sanitize-recover=undefined",
                "-fno-omit-frame-pointer",
            ],
        );
        let (emu, mut env) = if name == "providers_san" {
            provider_emulator()
        } else {
            (emulator(), Vec::new())
        };
        env.push(("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1".to_owned()));
        env.push((
            "UBSAN_OPTIONS",
            "halt_on_error=1:print_stacktrace=1".to_owned(),
        ));
        let data = tmp.path().join(format!("data-{name}"));
        std::fs::create_dir_all(&data).unwrap();
        let out = run(&exe, &emu, &data, &env);
        if let Some(label) = label {
            assert_eq!(failures(&out, label), 0, "{out}");
        }
    }
}

#[test]
fn python_ctypes_example() {
    let tmp = tempfile::tempdir().unwrap();
    let emu = emulator();
    let (dir, name) = library();
    let file = crate::shared_library_file(name);
    let out = Command::new("python3")
        .arg(root().join("examples/python/activate.py"))
        .env("KS_LIB", dir.join(file))
        .env("KS_BASE_URL", emu.url())
        .env("KS_DATA_DIR", tmp.path())
        .env("KS_KEY", KEY)
        .env("KS_PRODUCT_ID", PRODUCT)
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
