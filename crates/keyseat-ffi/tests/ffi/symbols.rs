//! The ABI guard: the built library exports exactly the symbols listed in `symbols.txt`.

use std::collections::BTreeSet;
use std::path::Path;

use object::{Object, ObjectSymbol};

use crate::{library, shared_library_file};

fn listed() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("symbols.txt");
    std::fs::read_to_string(path)
        .expect("symbols.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The names the shared library exports (its dynamic symbol table, or PE export table).
fn exported() -> BTreeSet<String> {
    let (dir, name) = library();
    let path = dir.join(shared_library_file(name));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = object::File::parse(&*data).expect("an object file");
    let mut names: BTreeSet<String> = file
        .exports()
        .expect("an export table")
        .iter()
        .map(|e| String::from_utf8_lossy(e.name()).into_owned())
        .collect();
    if names.is_empty() {
        // ELF: the defined global dynamic symbols.
        names = file
            .dynamic_symbols()
            .filter(|s| s.is_definition() && s.is_global())
            .filter_map(|s| s.name().ok().map(str::to_owned))
            .collect();
    }
    // Mach-O prefixes C names with an underscore.
    names
        .into_iter()
        .map(|n| n.strip_prefix('_').map(str::to_owned).unwrap_or(n))
        .filter(|n| !n.is_empty())
        .collect()
}

#[test]
fn exported_symbols_are_exactly_the_listed_ones() {
    let listed = listed();
    let exported = exported();
    let missing: Vec<_> = listed.difference(&exported).collect();
    let unlisted: Vec<_> = exported.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "symbols.txt lists symbols the library no longer exports (an ABI break): {missing:?}"
    );
    assert!(
        unlisted.is_empty(),
        "the library exports symbols symbols.txt does not list (add them, deliberately): {unlisted:?}"
    );
    assert!(listed.len() >= 40, "{listed:?}");
}

#[test]
fn every_listed_symbol_is_declared_in_the_header() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/keyseat.h"))
            .unwrap();
    for symbol in listed() {
        assert!(
            header.contains(&format!(" {symbol}(")) || header.contains(&format!("*{symbol}(")),
            "{symbol} is exported but not declared"
        );
    }
}
