//! The checked-in header is exactly what cbindgen (pinned) generates from the source, with
//! the version macros taken from this crate's version. Regenerate with
//! `KS_BLESS=1 cargo test -p keyseat-ffi --test header`.

use std::path::Path;

/// The version macros, from Cargo.toml's version (through Cargo's environment).
#[cfg(unix)]
fn version_macros() -> String {
    format!(
        "\n/** The version of this header: compare with ks_version() at run time. */\n\
         #define KS_VERSION_MAJOR {}\n#define KS_VERSION_MINOR {}\n#define KS_VERSION_PATCH {}\n",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    )
}

#[cfg(unix)]
fn generated() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(version_macros());
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    out
}

fn header() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/keyseat.h"))
        .expect("header")
}

// Unix only: cbindgen runs `cargo metadata`, and there is no cargo inside Wine. The header
// is the same for every platform, so checking it on Linux covers Windows too.
#[cfg(unix)]
#[test]
fn header_matches_the_source() {
    let generated = generated();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/keyseat.h");
    if std::env::var_os("KS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write header");
    }
    assert!(
        header().as_bytes() == generated,
        "include/keyseat.h is out of date: run KS_BLESS=1 cargo test -p keyseat-ffi --test header"
    );
}

#[test]
fn version_macros_match_cargo_toml() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("the crate's version");
    let parts: Vec<&str> = version.split('.').collect();
    let header = header();
    for (name, value) in ["MAJOR", "MINOR", "PATCH"].iter().zip(&parts) {
        let line = format!("#define KS_VERSION_{name} {value}");
        assert!(header.contains(&line), "missing {line:?}");
    }
}

#[test]
fn every_exported_item_is_documented() {
    let header = header();
    let lines: Vec<&str> = header.lines().collect();
    let mut declarations = 0;
    for (i, line) in lines.iter().enumerate() {
        let is_decl = line.starts_with("ks_result ks_")
            || line.starts_with("void ks_")
            || line.starts_with("bool ks_")
            || line.starts_with("uint32_t ks_")
            || line.starts_with("const char *ks_")
            || line.starts_with("enum ks_")
            || line.starts_with("typedef")
            || line.starts_with("#define KS_");
        // The fixed-width typedef of an enum sits inside #if/#else; its enum is documented.
        let in_conditional = i > 0 && lines[i - 1].starts_with('#');
        if is_decl && i > 0 && !in_conditional {
            declarations += 1;
            let above = lines[i - 1].trim_end();
            assert!(
                above.ends_with("*/") || above.starts_with("#define KS_"),
                "undocumented: {line}"
            );
        }
    }
    assert!(declarations > 40, "only {declarations} declarations seen");
}
