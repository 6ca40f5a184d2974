//! Crash safety: a child process that keeps rewriting the cache is killed with SIGKILL at
//! random moments; the cache must always load as a whole state and the credentials stay.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use keyseat::{LicenseState, Licensor};
use keyseat_tests::{KEY, emulator, licensor_builder};

const TRIALS: u32 = 200;

fn licensor(url: String, dir: &Path) -> Licensor {
    licensor_builder("Crash", url, dir).build().unwrap()
}

/// A small deterministic generator for kill delays.
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn sigkill_during_rewrites_never_tears_the_cache() {
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    licensor(emu.url(), dir.path()).activate(KEY).unwrap();
    let mut seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut states = std::collections::BTreeMap::new();
    for trial in 0..TRIALS {
        let mut child = crate::child()
            .arg("rewrite-forever")
            .arg("--dir")
            .arg(dir.path())
            .args(["--url", &emu.url()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        while !line.contains("REWRITING") {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "child died: trial {trial}"
            );
        }
        std::thread::sleep(Duration::from_micros(next(&mut seed) % 15_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // check_offline never rebuilds a cache: a torn or missing one would be Tampered, so
        // Active proves the file the killed writer left verified whole.
        let st = licensor(emu.url(), dir.path()).check_offline().unwrap();
        *states.entry(st.state.name()).or_insert(0u32) += 1;
        assert_eq!(
            st.state,
            LicenseState::Active,
            "trial {trial}: the cache or the credentials did not survive a SIGKILL"
        );
    }
    println!(
        "{TRIALS} SIGKILL trials: {states:?}, {} validations",
        emu.request_count(keyseat_emulator::Endpoint::Validate)
    );

    // Temp files of killed writers are swept by the next writer once they are old enough.
    std::thread::sleep(Duration::from_millis(2100));
    licensor(emu.url(), dir.path()).revalidate().unwrap();
    let temps = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(temps, 0, "orphaned temp files left behind");
}
