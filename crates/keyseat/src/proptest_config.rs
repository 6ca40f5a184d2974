//! Shared settings of the property tests over hostile input.

/// Cases per property: `KS_PROPTEST_CASES`, or 100 000 (what CI runs).
pub(crate) fn config() -> proptest::test_runner::Config {
    let cases = std::env::var("KS_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// Bytes derived from `base` by flipping, inserting, deleting or truncating.
pub(crate) fn mutated(base: Vec<u8>) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let len = base.len();
    (0..len.max(1), any::<u8>(), 0u8..4).prop_map(move |(at, byte, op)| {
        let mut b = base.clone();
        let at = at.min(b.len().saturating_sub(1));
        match op {
            0 if !b.is_empty() => b[at] ^= byte | 1,
            1 => b.insert(at, byte),
            2 if !b.is_empty() => {
                b.remove(at);
            }
            _ => b.truncate(at),
        }
        b
    })
}
