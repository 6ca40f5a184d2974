//! Tests of the C ABI, as one binary: the header, the exported symbols, and C and Python
//! callers against the emulator.

// Unix only: these compile C with `cc` and run Python's ctypes, neither of which exists
// inside Wine. On Windows, .ci/windows compiles examples/c/activate.c with MinGW against
// keyseat.dll and runs it under Wine instead.
#[cfg(unix)]
mod c_callers;
#[cfg(unix)]
mod c_relay;
mod header;
mod symbols;

use std::path::PathBuf;
use std::process::Command;

/// The C library to test: its directory and its name for `-l`.
///
/// By default the one plain `cargo build` makes (`libkeyseat_ffi`, in target/<profile>,
/// two levels above this test binary; `cargo test` does not build a cdylib-only crate's
/// library for its integration tests, so the first call builds it). With `KS_CAPI_LIBDIR`,
/// the library as shipped (`libkeyseat`, from `cargo cbuild`).
pub fn library() -> (PathBuf, &'static str) {
    if let Some(dir) = std::env::var_os("KS_CAPI_LIBDIR") {
        return (PathBuf::from(dir), "keyseat");
    }
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "keyseat-ffi"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the C library failed");
    });
    let exe = std::env::current_exe().unwrap();
    (
        exe.parent().unwrap().parent().unwrap().to_owned(),
        "keyseat_ffi",
    )
}

/// The shared library's file name on this platform, for `-l{name}`.
pub fn shared_library_file(name: &str) -> String {
    if cfg!(target_os = "macos") {
        format!("lib{name}.dylib")
    } else if cfg!(windows) {
        format!("{name}.dll")
    } else {
        format!("lib{name}.so")
    }
}
