//! Many processes on one data directory and one emulator: no corrupt file, no deadlock, no
//! lost update, and one revalidation per interval rather than one per process.

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use keyseat::clock::{Clock, ManualClock, SystemClock};
use keyseat::{LicenseState, Licensor};
use keyseat_emulator::Endpoint;
use keyseat_tests::{KEY, emulator, licensor_builder};

const PROCESSES: usize = 8;
/// Operations per child (`run-operations` in support/child.rs).
const OPS: usize = 200;
const T0: u64 = 1_800_000_000;

fn licensor(url: String, dir: &Path, clock: Arc<dyn Clock>) -> Licensor {
    licensor_builder("Concurrency", url, dir)
        .clock(clock)
        .build()
        .unwrap()
}

fn spawn(dir: &Path, url: &str, mode: &str, seed: usize, time: Option<u64>) -> Child {
    let mut c = crate::child();
    c.arg("run-operations")
        .arg("--dir")
        .arg(dir)
        .args(["--url", url, "--mode", mode])
        .args(["--seed", &(seed as u64 * 7919 + 17).to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = time {
        c.args(["--time", &t.to_string()]);
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

/// The verified cache a process keeps in memory (a check of a fresh cache is one `stat()`)
/// never hides another process's write: here another process records a revocation, and the
/// file's modification time is then set back to what it was, as a write within the same
/// mtime tick would leave it. The next check, with no network, sees the revocation.
#[test]
fn a_write_by_another_process_is_seen_by_the_next_check_even_in_the_same_mtime_tick() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0),
    ));
    let l = licensor_builder("TwoProcesses", emu.url(), dir.path())
        .clock(clock.clone())
        .build()
        .unwrap();
    l.activate(KEY).unwrap();
    clock.advance(Duration::from_secs(60));
    for _ in 0..3 {
        let st = l.check().unwrap();
        assert_eq!((st.state, st.network_used), (LicenseState::Active, false));
    }
    let cache = dir.path().join(keyseat::CACHE_FILE);
    let mtime = std::fs::metadata(&cache).unwrap().modified().unwrap();

    emu.set_key_status(KEY, keyseat_emulator::KeyStatus::Disabled);
    let out = crate::child()
        .arg("revalidate-license")
        .arg("--dir")
        .arg(dir.path())
        .args(["--url", &emu.url(), "--time", &(T0 + 60).to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("CHILD_STATE=revoked"), "{stdout}");
    std::fs::File::options()
        .write(true)
        .open(&cache)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(
        std::fs::metadata(&cache).unwrap().modified().unwrap(),
        mtime
    );

    let validations = emu.request_count(Endpoint::Validate);
    let st = l.check().unwrap();
    assert_eq!(
        st.state,
        LicenseState::Revoked,
        "the other process's write was missed"
    );
    assert!(!st.network_used);
    assert_eq!(emu.request_count(Endpoint::Validate), validations);
}
