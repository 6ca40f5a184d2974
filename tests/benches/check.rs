//! `Licensor::check()` and `check_offline()` on a fresh cache, each against one `stat()` of
//! the cache file measured in the same run, call for call alternately; and, for reference,
//! what a check cost before the verified cache was kept in memory: read the file, parse it,
//! verify its MAC.
//!
//! `cargo bench -p keyseat-tests --bench check`; `KS_BENCH_QUICK=1` for CI's short run.
//! Target (issue 21): a fresh check within 3x of one `stat()`: a check that must still see
//! another process's write can do no less than look at the file.

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
    let stat_once = || {
        std::hint::black_box(std::fs::metadata(&path).expect("stat"));
    };
    let check_once = || {
        let st = licensor.check().expect("check");
        assert!(!st.network_used && st.state == LicenseState::Active);
    };
    let offline_once = || {
        let st = licensor.check_offline().expect("check_offline");
        assert!(st.state == LicenseState::Active);
    };
    let read_verify_once = || {
        assert!(keyseat::bench_support::read_and_verify_cache(
            &path, SECRET, &key
        ));
    };
    let (stat, check) = measure_alternating(n, (1, 1), stat_once, check_once);
    let (stat2, offline) = measure_alternating(n, (1, 1), stat_once, offline_once);
    let (stat3, read_verify) = measure_alternating(n, (1, 1), stat_once, read_verify_once);
    let ratio = |a: &measure::Figures, b: &measure::Figures| {
        a.median.as_secs_f64() / b.median.as_secs_f64()
    };
    let (check_ratio, offline_ratio) = (ratio(&check, &stat), ratio(&offline, &stat2));
    println!("stat() of the cache file ({n} runs, beside check()): {stat}");
    println!("Licensor::check() on a fresh cache ({n} runs): {check}");
    println!("check / stat: {check_ratio:.2}x");
    println!("stat() of the cache file ({n} runs, beside check_offline()): {stat2}");
    println!("Licensor::check_offline() on a fresh cache ({n} runs): {offline}");
    println!("check_offline / stat: {offline_ratio:.2}x");
    println!(
        "for reference, read + parse + verify the MAC ({n} runs): {read_verify} = {:.2}x a stat() ({stat3})",
        ratio(&read_verify, &stat3)
    );
    let met = check_ratio <= 3.0 && offline_ratio <= 3.0;
    println!(
        "target (check() and check_offline() within 3x of one stat()): {}",
        if met { "met" } else { "MISSED" }
    );
}
