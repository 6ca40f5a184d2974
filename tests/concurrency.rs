//! Many processes on one data directory and one emulator: no corrupt file, no deadlock, no
//! lost update, and one revalidation per interval rather than one per process.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use licensekit::clock::{Clock, ManualClock, SystemClock};
use licensekit::{ErrorKind, LicenseState, Licensor};
use licensekit_emulator::Endpoint;
use licensekit_tests::{KEY, emulator, licensor_builder};

const PROCESSES: usize = 8;
const OPS: usize = 200;
const ENV_DIR: &str = "LK_CONC_DIR";
const ENV_URL: &str = "LK_CONC_URL";
const ENV_MODE: &str = "LK_CONC_MODE";
const ENV_SEED: &str = "LK_CONC_SEED";
const ENV_TIME: &str = "LK_CONC_TIME";
const T0: u64 = 1_800_000_000;

fn licensor(url: String, dir: &Path, clock: Arc<dyn Clock>) -> Licensor {
    licensor_builder("Concurrency", url, dir)
        .clock(clock)
        .build()
        .unwrap()
}

/// Run as a child: `OPS` operations, mixed or checks only; exits non-zero on anything wrong.
#[test]
fn child_runs_operations() {
    let (Some(dir), Ok(url), Ok(mode), Ok(seed)) = (
        std::env::var_os(ENV_DIR),
        std::env::var(ENV_URL),
        std::env::var(ENV_MODE),
        std::env::var(ENV_SEED),
    ) else {
        return;
    };
    let clock: Arc<dyn Clock> = match std::env::var(ENV_TIME) {
        Ok(t) => Arc::new(ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(t.parse().unwrap()),
        )),
        Err(_) => Arc::new(SystemClock),
    };
    let l = licensor(url, Path::new(&dir), clock);
    let mut seed: u64 = seed.parse().unwrap();
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
                let st = l.check().unwrap();
                assert!(ok_state(st.state), "op {op}: check gave {:?}", st.state);
            }
            50..65 => {
                let st = l.check_offline().unwrap();
                assert!(
                    ok_state(st.state),
                    "op {op}: offline check gave {:?}",
                    st.state
                );
            }
            65..75 => {
                let st = l.revalidate().unwrap();
                assert!(
                    ok_state(st.state),
                    "op {op}: revalidate gave {:?}",
                    st.state
                );
            }
            75..90 => {
                let st = l.activate(KEY).unwrap();
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

fn spawn(dir: &Path, url: &str, mode: &str, seed: usize, time: Option<u64>) -> Child {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        "child_runs_operations",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(ENV_DIR, dir)
    .env(ENV_URL, url)
    .env(ENV_MODE, mode)
    .env(ENV_SEED, (seed as u64 * 7919 + 17).to_string())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(t) = time {
        c.env(ENV_TIME, t.to_string());
    }
    c.spawn().unwrap()
}

/// Waits for every child, failing on a deadlock (no exit within the limit) or a failure.
fn wait_all(children: Vec<Child>, limit: Duration) {
    let started = Instant::now();
    for mut child in children {
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                panic!("a child did not finish within {limit:?}: deadlock?");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("CHILD DONE"),
            "child failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn mixed_operations_from_many_processes_stay_consistent() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let children = (0..PROCESSES)
        .map(|i| spawn(dir.path(), &emu.url(), "mixed", i, None))
        .collect();
    wait_all(children, Duration::from_secs(240));

    // No lost update: local state and the server agree exactly.
    let l = licensor(emu.url(), dir.path(), Arc::new(SystemClock));
    let st = l.check_offline().unwrap();
    let on_server = emu.instances_of(KEY);
    match st.state {
        LicenseState::Active => {
            assert_eq!(on_server.len(), 1, "{on_server:?}");
            assert_eq!(st.instance_id.unwrap().as_str(), on_server[0].id);
        }
        LicenseState::NotActivated => assert!(on_server.is_empty(), "leaked: {on_server:?}"),
        other => panic!("final state {other:?}"),
    }
    let corrupt = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("corrupt")
        })
        .count();
    assert_eq!(corrupt, 0, "no cache was ever unreadable");
    println!(
        "{PROCESSES} processes x {OPS} ops: activate {} validate {} deactivate {} requests",
        emu.request_count(Endpoint::Activate),
        emu.request_count(Endpoint::Validate),
        emu.request_count(Endpoint::Deactivate)
    );
}

#[test]
fn checks_from_many_processes_share_one_revalidation() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0),
    ));
    licensor(emu.url(), dir.path(), clock)
        .activate(KEY)
        .unwrap();
    // Every process wakes up two days later: the cache is stale for all of them.
    let children = (0..PROCESSES)
        .map(|i| spawn(dir.path(), &emu.url(), "checks", i, Some(T0 + 2 * 86_400)))
        .collect();
    wait_all(children, Duration::from_secs(120));
    assert_eq!(
        emu.request_count(Endpoint::Validate),
        1,
        "{} checks from {PROCESSES} processes must share one revalidation",
        PROCESSES * OPS
    );
}
