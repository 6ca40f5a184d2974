//! `keyseat-test-child`: the other processes of the multi-process tests, as one
//! test-only binary (never a `#[test]`, so nothing here counts as a passing test). The
//! integration tests start it through `CARGO_BIN_EXE_keyseat-test-child`.
//!
//! ```text
//! keyseat-test-child rewrite-forever  --dir D --url U
//! keyseat-test-child run-operations   --dir D --url U --mode mixed|checks --seed N [--time T]
//! keyseat-test-child print-fingerprint --dir D
//! keyseat-test-child check-license    --dir D --url U --time T
//! keyseat-test-child revalidate-license --dir D --url U --time T
//! keyseat-test-child report-storage   --dir D --url U --app A
//! keyseat-test-child activate         --dir D --url U --app A
//! keyseat-test-child start-trial      --dir D --url U --app A --storage keyring|file
//! ```
//!
//! Each prints one line the parent reads, and exits non-zero on anything unexpected.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::clock::{Clock, ManualClock, SystemClock};
use keyseat::fingerprint::Fingerprint;
use keyseat::{ErrorKind, LicenseState};
use keyseat_tests::{KEY, keyring_licensor, licensor_builder};

/// Operations `run-operations` performs.
const OPS: usize = 200;

fn main() {
    let mut args = std::env::args().skip(1);
    let command = args.next().expect("a subcommand");
    let mut options = HashMap::new();
    while let (Some(name), Some(value)) = (args.next(), args.next()) {
        let name = name.strip_prefix("--").expect("--name value").to_owned();
        options.insert(name, value);
    }
    let get = |name: &str| -> String {
        options
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("--{name} is required"))
    };
    let clock = |name: &str| -> Arc<dyn Clock> {
        match options.get(name) {
            Some(t) => Arc::new(ManualClock::new(
                SystemTime::UNIX_EPOCH + Duration::from_secs(t.parse().expect("unix seconds")),
            )),
            None => Arc::new(SystemClock),
        }
    };
    match command.as_str() {
        "rewrite-forever" => rewrite_forever(&get("url"), Path::new(&get("dir"))),
        "run-operations" => run_operations(
            &get("url"),
            Path::new(&get("dir")),
            &get("mode"),
            get("seed").parse().expect("a seed"),
            clock("time"),
        ),
        "print-fingerprint" => {
            let f = Fingerprint::builder("com.example.Cross")
                .fallback_dir(get("dir"))
                .compute()
                .expect("a fingerprint");
            println!("FINGERPRINT={}", f.id());
        }
        "check-license" => {
            let l = licensor_builder("TwoProcesses", get("url"), Path::new(&get("dir")))
                .clock(clock("time"))
                .build()
                .expect("a licensor");
            let st = l.check().expect("a check");
            println!(
                "CHILD_STATE={} NETWORK={}",
                st.state.name(),
                st.network_used
            );
        }
        "revalidate-license" => {
            let l = licensor_builder("TwoProcesses", get("url"), Path::new(&get("dir")))
                .clock(clock("time"))
                .build()
                .expect("a licensor");
            let st = l.revalidate().expect("a revalidation");
            println!("CHILD_STATE={}", st.state.name());
        }
        "report-storage" => {
            let st = keyring_licensor(&get("app"), get("url"), Path::new(&get("dir")))
                .check()
                .expect("a check");
            println!(
                "CHILD state={} storage={}",
                st.state.name(),
                st.key_storage.map_or("none", |k| k.as_str())
            );
        }
        "activate" => {
            let st = keyring_licensor(&get("app"), get("url"), Path::new(&get("dir")))
                .activate(KEY)
                .expect("an activation");
            println!(
                "ACTIVATED storage={}",
                st.key_storage.map_or("none", |k| k.as_str())
            );
        }
        "start-trial" => {
            let storage = keyseat::KeyStorage::from_name(&get("storage")).expect("a storage");
            let l =
                keyseat::Licensor::builder(keyseat::App::new("com", "KeyseatTest", &get("app")))
                    .product_ids([keyseat_emulator::DEFAULT_PRODUCT_ID])
                    .environment(keyseat::api::Environment::Custom(get("url")))
                    .data_dir(get("dir"))
                    .key_storage(storage)
                    .vendor_secret(*b"the child's trial vendor secret")
                    .trial_days(14)
                    .build()
                    .expect("a licensor");
            match l.start_trial() {
                Ok(st) => println!("TRIAL state={}", st.state.name()),
                Err(e) => println!("TRIAL error={}", e.code().name()),
            }
        }
        other => panic!("unknown subcommand {other}"),
    }
}

/// Rewrites the cache (one online revalidation per loop) until killed.
fn rewrite_forever(url: &str, dir: &Path) {
    let l = licensor_builder("Crash", url, dir)
        .build()
        .expect("a licensor");
    let mut announced = false;
    loop {
        let st = l.revalidate().expect("a revalidation");
        assert_eq!(st.state, LicenseState::Active);
        if !announced {
            println!("REWRITING");
            announced = true;
        }
    }
}

/// `OPS` operations, mixed or checks only, from a seed.
fn run_operations(url: &str, dir: &Path, mode: &str, mut seed: u64, clock: Arc<dyn Clock>) {
    let l = licensor_builder("Concurrency", url, dir)
        .clock(clock)
        .build()
        .expect("a licensor");
    for op in 0..OPS {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let pick = if mode == "checks" {
            0
        } else {
            (seed >> 33) % 100
        };
        let ok_state =
            |s: LicenseState| matches!(s, LicenseState::Active | LicenseState::NotActivated);
        match pick {
            0..50 => {
                let st = l.check().expect("a check");
                assert!(ok_state(st.state), "op {op}: check gave {:?}", st.state);
            }
            50..65 => {
                let st = l.check_offline().expect("an offline check");
                assert!(
                    ok_state(st.state),
                    "op {op}: offline check gave {:?}",
                    st.state
                );
            }
            65..75 => {
                let st = l.revalidate().expect("a revalidation");
                assert!(
                    ok_state(st.state),
                    "op {op}: revalidate gave {:?}",
                    st.state
                );
            }
            75..90 => {
                let st = l.activate(KEY).expect("an activation");
                assert_eq!(st.state, LicenseState::Active, "op {op}");
            }
            _ => match l.deactivate(false) {
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::NotActivated) => {}
                Err(e) => panic!("op {op}: deactivate failed: {e}"),
            },
        }
    }
    println!("CHILD DONE");
}
