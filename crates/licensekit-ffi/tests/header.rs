//! The checked-in header is exactly what cbindgen (pinned) generates from the source.
//! Regenerate with `LK_BLESS=1 cargo test -p licensekit-ffi --test header`.

use std::path::Path;

#[test]
fn header_matches_the_source() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = dir.join("include/licensekit.h");
    if std::env::var_os("LK_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write header");
    }
    let checked_in = std::fs::read(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/licensekit.h is out of date: run LK_BLESS=1 cargo test -p licensekit-ffi --test header"
    );
}

#[test]
fn every_exported_item_is_documented() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/licensekit.h"))
            .expect("header");
    let lines: Vec<&str> = header.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let is_decl = (line.starts_with("lk_result lk_")
            || line.starts_with("void lk_")
            || line.starts_with("const char *lk_")
            || line.starts_with("typedef"))
            && i > 0;
        if is_decl {
            assert!(
                lines[i - 1].trim_end().ends_with("*/"),
                "undocumented: {line}"
            );
        }
    }
}
