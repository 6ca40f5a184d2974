//! `licensectl status --offline` as a whole process, on an activated cache: wall time per
//! run and the peak resident memory of those runs.
//!
//! `cargo bench -p keyseat-cli --bench status_offline`; `KS_BENCH_QUICK=1` for CI's short run.
//! Targets: median under 5 ms, peak RSS under 10 MB.

use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "../../../tests/benches/measure.rs"]
mod measure;
use measure::measure;

use keyseat::{App, KeyStorage, Licensor};
use keyseat_emulator::{Emulator, KeySpec};

const KEY: &str = "BENCH-KEY-0123456789abcdef";
const SECRET: &str = "bench vendor secret";

fn main() {
    let quick = std::env::var_os("KS_BENCH_QUICK").is_some();
    let n = if quick { 100 } else { 500 };
    let emu = Emulator::start(vec![KeySpec::new(KEY)]).expect("emulator");
    let dir = tempfile::tempdir().expect("temp dir");
    // Activated in-process, so that every child measured below is a status run.
    Licensor::builder(App::new("com", "Example", "Bench"))
        .product_ids(["pdt_emulator"])
        .environment(keyseat::api::Environment::Custom(emu.url()))
        .data_dir(dir.path())
        .key_storage(KeyStorage::File)
        .vendor_secret(SECRET)
        .build()
        .and_then(|l| l.activate(KEY))
        .expect("activate");
    emu.stop();

    let status = || {
        let ok = Command::new(env!("CARGO_BIN_EXE_licensectl"))
            .args(["--app", "com.Example.Bench", "--product", "pdt_emulator"])
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--key-storage", "file", "status", "--offline"])
            .env("KEYSEAT_VENDOR_SECRET", SECRET)
            .stdout(Stdio::null())
            .status()
            .expect("licensectl runs")
            .success();
        assert!(ok, "status --offline says the license is active");
    };
    let figures = measure(n, status);
    println!("licensectl status --offline, whole process ({n} runs): {figures}");
    let peak = peak_child_rss_bytes();
    match peak {
        Some(bytes) => println!(
            "peak resident memory of those processes: {:.1} MB",
            bytes as f64 / 1e6
        ),
        None => println!("peak resident memory: not measured on this platform"),
    }
    let met = figures.median < Duration::from_millis(5) && peak.is_none_or(|b| b < 10_000_000);
    println!(
        "target (median < 5 ms, peak RSS < 10 MB): {}",
        if met { "met" } else { "MISSED" }
    );
}

/// The largest peak RSS among the children waited for so far.
#[cfg(unix)]
fn peak_child_rss_bytes() -> Option<u64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage into the valid, properly aligned buffer it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: getrusage succeeded, so the struct is initialised.
    let max = u64::try_from(unsafe { usage.assume_init() }.ru_maxrss).ok()?;
    // Linux reports KiB, macOS bytes.
    Some(if cfg!(target_os = "macos") {
        max
    } else {
        max * 1024
    })
}

#[cfg(not(unix))]
fn peak_child_rss_bytes() -> Option<u64> {
    None
}
