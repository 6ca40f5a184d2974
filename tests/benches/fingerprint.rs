//! Cold fingerprint computation against `sysinfo::System::new_all()`, in one run, interleaved.
//!
//! `cargo bench -p keyseat-tests --bench fingerprint`; set `KS_BENCH_QUICK=1` for the short run
//! CI does. Targets: fingerprint median under 2 ms and at least 10× faster than `new_all()`.

use std::time::Duration;

mod measure;
use measure::measure_alternating;

use keyseat::fingerprint::Fingerprint;

fn main() {
    let quick = std::env::var_os("KS_BENCH_QUICK").is_some();
    let (n_fp, n_all) = if quick { (50, 5) } else { (500, 30) };
    let dir = tempfile::tempdir().expect("temp dir");

    // Warm the page cache and the code once, as an app start would find them.
    let _ = Fingerprint::builder("bench.app")
        .fallback_dir(dir.path())
        .compute();

    let fingerprint = || {
        let f = Fingerprint::builder("bench.app")
            .fallback_dir(dir.path())
            .compute()
            .expect("fingerprint");
        std::hint::black_box(f);
    };
    let new_all = || {
        let all = sysinfo::System::new_all().expect("sysinfo");
        std::hint::black_box(all);
    };
    // Each round: one new_all(), then its share of fingerprints.
    let (all, fp) = measure_alternating(n_all, (1, n_fp / n_all), new_all, fingerprint);

    let ratio = all.median.as_secs_f64() / fp.median.as_secs_f64();
    println!("fingerprint (cold, {n_fp} runs): {fp}");
    println!("sysinfo::System::new_all() ({n_all} runs): {all}");
    println!("speed-up: {ratio:.1}x");
    let met = fp.median < Duration::from_millis(2) && ratio >= 10.0;
    println!(
        "target (median < 2 ms and >= 10x faster): {}",
        if met { "met" } else { "MISSED" }
    );
}
