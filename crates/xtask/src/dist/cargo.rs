//! cargo builds in release mode for one platform, read through cargo's JSON messages: which
//! file each target produced, and what rustc noted (the static library's native
//! dependencies).

use std::path::PathBuf;

use crate::cmd::Cmd;
use crate::error::{Result, bail};
use crate::toolchain::Toolchain;
use crate::workspace::{Workspace, cargo};

/// The files a build produced.
#[derive(Debug, Default)]
pub struct Built {
    /// (target name, crate kind, file), in the order cargo reported them.
    files: Vec<(String, String, PathBuf)>,
    /// rustc's notes, as text.
    pub notes: Vec<String>,
}

impl Built {
    /// The file of target `name` of kind `kind` (`bin`, `cdylib`, `staticlib`) with the
    /// extension `ext` (a target may produce several files, e.g. a DLL and its import
    /// library).
    pub fn file(&self, name: &str, kind: &str, ext: &str) -> Result<PathBuf> {
        self.files
            .iter()
            .rev()
            .find(|(n, k, f)| n == name && k == kind && f.to_string_lossy().ends_with(ext))
            .map(|(_, _, f)| f.clone())
            .ok_or_else(|| {
                crate::error::Error::new(format!("the build produced no {kind} {name} (*{ext})"))
            })
    }

    /// The libraries rustc says a program linking the static library must link too
    /// (`-lgcc_s -lutil …`), as written after `native-static-libs:`, each once.
    pub fn native_static_libs(&self) -> Result<Vec<String>> {
        for note in &self.notes {
            if let Some(libs) = note.split("native-static-libs:").nth(1) {
                return Ok(system_libraries(libs));
            }
        }
        bail!(
            "rustc did not report the static library's native libraries: \
             `cargo clean -p keyseat-ffi --release` and build again"
        )
    }
}

/// Runs `cargo <args…>` in release mode with the toolchain's settings and `rustc_args`
/// after `--` (for `cargo rustc`), and collects what it built.
pub fn build(
    ws: &Workspace,
    tc: &Toolchain,
    args: &[&str],
    rustc_args: &[String],
) -> Result<Built> {
    let mut cmd = Cmd::new(cargo())
        .args(args)
        .args([
            "--release",
            "--message-format=json-diagnostic-rendered-ansi",
        ])
        .args(tc.cargo_args())
        .dir(&ws.root);
    if !rustc_args.is_empty() {
        cmd = cmd.arg("--").args(rustc_args);
    }
    let out = tc.apply(cmd).read()?;
    let mut built = Built::default();
    for line in out.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match message["reason"].as_str() {
            Some("compiler-artifact") => {
                let name = message["target"]["name"].as_str().unwrap_or("").to_owned();
                let kinds: Vec<String> = message["target"]["kind"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect();
                for file in message["filenames"].as_array().into_iter().flatten() {
                    let Some(file) = file.as_str() else { continue };
                    for kind in &kinds {
                        built
                            .files
                            .push((name.clone(), kind.clone(), PathBuf::from(file)));
                    }
                }
            }
            Some("compiler-message") => {
                let text = message["message"]["rendered"].as_str().unwrap_or("");
                eprint!("{text}");
                if message["message"]["level"] == "note" {
                    built.notes.push(
                        message["message"]["message"]
                            .as_str()
                            .unwrap_or("")
                            .to_owned(),
                    );
                }
            }
            _ => {}
        }
    }
    Ok(built)
}

/// The rustc arguments of the C library for `tc`'s platform: the shared library's name
/// inside it (SONAME, install name), and the static library's native libraries printed.
pub fn c_library_args(tc: &Toolchain, abi_major: &str) -> Vec<String> {
    let arg = |a: String| format!("-Clink-arg={a}");
    let mut args = vec!["--print".to_owned(), "native-static-libs".to_owned()];
    let p = tc.platform;
    if p.is_windows() {
        // keyseat.dll's name is the file's; its import library is written from its exports.
    } else if p.is_macos() {
        args.push(arg(format!(
            "-Wl,-install_name,@rpath/libkeyseat.{abi_major}.dylib"
        )));
    } else {
        args.push(arg(format!("-Wl,-soname,libkeyseat.so.{abi_major}")));
    }
    args
}

/// The system libraries of rustc's `native-static-libs` list, as a C user links them: the
/// winapi crate's own import libraries (`-lwinapi_kernel32`), which exist only inside
/// cargo's build, as the MinGW ones of the same DLLs (`-lkernel32`); an Apple framework as
/// one item (`-framework Security`); each library once, in the order first named.
fn system_libraries(list: &str) -> Vec<String> {
    let mut libs: Vec<String> = Vec::new();
    let mut words = list.split_whitespace();
    while let Some(lib) = words.next() {
        let lib = match lib.strip_prefix("-lwinapi_") {
            Some(dll) => format!("-l{dll}"),
            None if lib == "-framework" => format!("-framework {}", words.next().unwrap_or("")),
            None => lib.to_owned(),
        };
        if !libs.contains(&lib) {
            libs.push(lib);
        }
    }
    libs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_libraries_are_the_ones_a_c_user_has() {
        assert_eq!(
            system_libraries(" -lwinapi_ntdll -lbcrypt -lntdll -lkernel32 -lwinapi_kernel32"),
            ["-lntdll", "-lbcrypt", "-lkernel32"]
        );
        assert_eq!(
            system_libraries("-lgcc_s -lutil -lc"),
            ["-lgcc_s", "-lutil", "-lc"]
        );
        assert_eq!(
            system_libraries(
                "-framework IOKit -framework CoreFoundation -framework Security \
                 -framework CoreFoundation -liconv -lSystem"
            ),
            [
                "-framework IOKit",
                "-framework CoreFoundation",
                "-framework Security",
                "-liconv",
                "-lSystem"
            ]
        );
        let built = Built {
            files: Vec::new(),
            notes: vec!["native-static-libs: -lc -lm".into()],
        };
        assert_eq!(built.native_static_libs().unwrap(), ["-lc", "-lm"]);
        assert!(Built::default().native_static_libs().is_err());
    }
}
