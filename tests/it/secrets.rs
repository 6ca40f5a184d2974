//! The license key is a secret: it must appear in no log record (at any level, from any
//! crate), no error message, no `Debug` output, no cache file and no status.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use keyseat::clock::ManualClock;
use keyseat::fingerprint::{Confidence, Fingerprint, RawComponents};
use keyseat::{App, CREDENTIALS_FILE, KeyStorage, LicenseKey, Licensor};
use keyseat_emulator::{Endpoint, Fault, KeySpec, KeyStatus};
use keyseat_tests::{KEY, Seller, client, emulator, key};

/// Every log record, formatted, from every crate.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        let line = format!("{} {} {}", r.level(), r.target(), r.args());
        self.0.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

/// Collects what must be checked: log lines come from the logger, the rest is pushed here.
fn seen(out: &mut Vec<String>, item: impl std::fmt::Debug) {
    out.push(format!("{item:?}"));
}

#[test]
fn the_key_never_leaks() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let mut shown: Vec<String> = Vec::new();

    let k = key();
    shown.push(format!("{k} {k:?} {}", k.redacted()));
    let bad = LicenseKey::new(&format!("{KEY}\u{7}")).unwrap_err();
    shown.push(format!("{bad} {bad:?}"));

    // The API client on every path.
    let emu = emulator(Some(1));
    let c = client(&emu.url());
    let inst = c.activate(&k, "secrets").unwrap();
    seen(&mut shown, &inst);
    seen(&mut shown, c.validate(&k, Some(&inst.id)));
    seen(&mut shown, c.activate(&k, "second")); // limit reached
    for fault in [
        Fault::ProcessThenClose,
        Fault::MalformedJson,
        Fault::HtmlError { status: 502 },
        Fault::TruncatedBody,
    ] {
        emu.inject(Endpoint::Validate, fault.clone(), 3);
        let r = c.validate(&k, Some(&inst.id));
        shown.push(format!(
            "{r:?} {}",
            r.as_ref()
                .map_or_else(|e| e.to_string(), |v| format!("{v:?}"))
        ));
        emu.inject(Endpoint::Activate, fault, 1);
        let r = c.activate(&k, "faulty");
        shown.push(format!(
            "{r:?} {}",
            r.as_ref().err().map(|e| e.to_string()).unwrap_or_default()
        ));
    }
    c.deactivate(&k, &inst.id).unwrap();
    for i in emu.instances_of(KEY) {
        c.deactivate(&k, &keyseat::InstanceId::new(i.id).unwrap())
            .unwrap();
    }
    seen(&mut shown, c.deactivate(&k, &inst.id)); // 403

    // The Licensor on every path.
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let raw = RawComponents {
        machine_id: "secrets-machine".into(),
        hostname: Some("secrets".into()),
        os: None,
        cpu: None,
        ram_gib: None,
        mac: None,
    };
    let l = Licensor::builder(App::new("com", "Example", "Secrets"))
        .product_ids([keyseat_emulator::DEFAULT_PRODUCT_ID])
        .environment(keyseat::api::Environment::Custom(emu.url()))
        .data_dir(dir.path())
        .key_storage(KeyStorage::File)
        .clock(clock.clone())
        .fingerprint(Fingerprint::from_raw("s", &raw, Confidence::High))
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    seen(&mut shown, &l);
    emu.inject(Endpoint::Activate, Fault::ProcessThenClose, 1);
    seen(&mut shown, l.activate(KEY)); // ambiguous
    for i in emu.instances_of(KEY) {
        c.deactivate(&k, &keyseat::InstanceId::new(i.id).unwrap())
            .unwrap();
    }
    seen(&mut shown, l.activate(&format!(" {KEY} ")));
    seen(&mut shown, l.activate(KEY));
    emu.add_key(KeySpec::new("OTHER-KEY-0000000000001"));
    seen(&mut shown, l.activate("OTHER-KEY-0000000000001")); // already activated
    seen(&mut shown, l.check());
    clock.advance(Duration::from_secs(2 * 86_400));
    emu.inject(Endpoint::Validate, Fault::HtmlError { status: 503 }, 10);
    seen(&mut shown, l.check()); // grace
    emu.clear_faults();
    std::fs::write(dir.path().join("license.json"), b"garbage").unwrap();
    seen(&mut shown, l.check()); // recovered
    emu.set_key_status(KEY, KeyStatus::Disabled);
    seen(&mut shown, l.revalidate()); // revoked
    let (tx, rx) = std::sync::mpsc::channel();
    let w = l
        .watch(Duration::from_millis(50), move |s| {
            let _ = tx.send(format!("{s:?}"));
        })
        .unwrap();
    shown.push(rx.recv_timeout(Duration::from_secs(5)).unwrap());
    w.stop();
    emu.set_key_status(KEY, KeyStatus::Active);
    emu.stop();
    seen(&mut shown, l.deactivate(false)); // unreachable
    emu.resume().unwrap();
    seen(&mut shown, l.deactivate(false));
    seen(&mut shown, l.check());

    // The other providers: Lemon Squeezy's form bodies, Polar's, and Keygen's key in an
    // `Authorization` header, with a refused signature on the way.
    let mut dirs = vec![dir];
    for seller in [Seller::LemonSqueezy, Seller::Polar, Seller::Keygen] {
        let emu = seller.emulator(Some(1));
        let dir = tempfile::tempdir().unwrap();
        let l = seller
            .licensor_builder("Secrets", emu.url(), dir.path())
            .clock(clock.clone())
            .build()
            .unwrap();
        let active = l.activate(KEY);
        assert!(active.is_ok(), "{seller:?} activates");
        seen(&mut shown, active);
        seen(&mut shown, l.revalidate());
        let fault = match seller {
            Seller::Keygen => Fault::BadSignature,
            _ => Fault::MalformedJson,
        };
        emu.inject(Endpoint::Validate, fault, 3);
        let unanswered = l.revalidate();
        assert!(
            unanswered.as_ref().is_ok_and(|s| s.is_licensed()),
            "{seller:?}: a damaged answer is no answer, not a revocation"
        );
        seen(&mut shown, unanswered);
        emu.clear_faults();
        let freed = l.deactivate(false);
        assert!(freed.is_ok(), "{seller:?} deactivates");
        seen(&mut shown, freed);
        dirs.push(dir);
    }

    // No file but the credential file holds the key.
    for f in dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap())
    {
        let f = f.unwrap();
        if f.file_name() != CREDENTIALS_FILE {
            let bytes = std::fs::read(f.path()).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(KEY),
                "key in {:?}",
                f.path()
            );
        }
    }

    let logs = CAPTURE.0.lock().unwrap().clone();
    assert!(
        logs.len() > 20,
        "the logger saw the run: {} records",
        logs.len()
    );
    assert!(
        logs.iter().any(|l| l.contains(" ureq")),
        "records of the HTTP stack are checked too"
    );
    assert!(
        logs.iter().any(|l| l.contains("signature")),
        "a refused Keygen signature was logged and checked"
    );
    for line in logs.iter().chain(&shown) {
        assert!(!line.contains(KEY), "the key leaked: {line}");
        assert!(!line.contains(&KEY[..24]), "part of the key leaked: {line}");
    }
}
