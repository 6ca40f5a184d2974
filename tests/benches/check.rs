//! `Licensor::check()` on a fresh cache, against the floor measured in the same run, call for
//! call alternately: read the cache file, parse it, verify its MAC.
//!
//! `cargo bench -p keyseat-tests --bench check`; `KS_BENCH_QUICK=1` for CI's short run.
//! Targets: median under 50 µs and within 1.1× of the floor (the cost of the Licensor's
//! own logic on top of reading the file stays small).

use std::time::Duration;

mod measure;
use measure::measure_alternating;

use keyseat::fingerprint::{Confidence, Fingerprint, RawComponents};
use keyseat::{App, CACHE_FILE, KeyStorage, LicenseKey, LicenseState, Licensor};
use keyseat_emulator::{Emulator, KeySpec};

const KEY: &str = "BENCH-KEY-0123456789abcdef";
const SECRET: &[u8] = b"bench vendor secret";

fn main() {
    let quick = std::env::var_os("KS_BENCH_QUICK").is_some();
    let n = if quick { 2_000 } else { 20_000 };
    let emu = Emulator::start(vec![KeySpec::new(KEY)]).expect("emulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = RawComponents {
        machine_id: "bench-machine".into(),
        hostname: Some("bench".into()),
        os: Some("os".into()),
        cpu: Some("cpu".into()),
        ram_gib: Some(16),
        mac: None,
    };
    let licensor = Licensor::builder(App::new("com", "Example", "Bench"))
        .product_ids(["pdt_emulator"])
        .environment(keyseat::api::Environment::Custom(emu.url()))
        .data_dir(dir.path())
        .key_storage(KeyStorage::File)
        .vendor_secret(SECRET)
        .fingerprint(Fingerprint::from_raw(
            "com.Example.Bench",
            &raw,
            Confidence::High,
        ))
        .build()
        .expect("licensor");
    licensor.activate(KEY).expect("activate");
    let first = licensor.check().expect("check");
    assert_eq!(first.state, LicenseState::Active);

    let key = LicenseKey::new(KEY).expect("key");
    let path = dir.path().join(CACHE_FILE);
    let floor_once = || {
        assert!(keyseat::bench_support::read_and_verify_cache(
            &path, SECRET, &key
        ));
    };
    let check_once = || {
        let st = licensor.check().expect("check");
        assert!(!st.network_used);
    };
    let (floor, check) = measure_alternating(n, (1, 1), floor_once, check_once);
    let ratio = check.median.as_secs_f64() / floor.median.as_secs_f64();
    println!("floor: read + parse + verify MAC ({n} runs): {floor}");
    println!("Licensor::check() on a fresh cache ({n} runs): {check}");
    println!("check / floor: {ratio:.2}x");
    let met = check.median < Duration::from_micros(50) && ratio <= 1.1;
    println!(
        "target (median < 50 us and within 1.1x of the floor): {}",
        if met { "met" } else { "MISSED" }
    );
}
