use super::*;
use sha2::Digest as _;

fn raw() -> RawComponents {
    RawComponents {
        machine_id: "4c4c4544004b3510804ab2c04f4d3732".into(),
        hostname: Some("ada-laptop".into()),
        os: Some("Debian GNU/Linux 12".into()),
        cpu: Some("AMD Ryzen 7 / x86_64".into()),
        ram_gib: Some(32),
        mac: Some("3c:22:fb:12:34:56".into()),
    }
}

fn fp(raw: &RawComponents) -> Fingerprint {
    Fingerprint::from_raw("com.example.App", raw, Confidence::High)
}

#[test]
fn same_app_same_fingerprint_and_apps_differ() {
    let a = Fingerprint::builder("com.example.A").compute().unwrap();
    let a2 = Fingerprint::builder("com.example.A").compute().unwrap();
    let b = Fingerprint::builder("com.example.B").compute().unwrap();
    assert_eq!(a.id(), a2.id());
    assert_eq!(a.components(), a2.components());
    assert_ne!(a.id(), b.id());
    assert_ne!(a.components().hostname, b.components().hostname);
    assert_eq!(a.id().len(), 64);
    assert_eq!(a.short().len(), 12);
}

#[test]
fn raw_machine_id_never_appears() {
    let r = raw();
    let f = fp(&r);
    let plain_sha = hex(&sha2::Sha256::digest(r.machine_id.as_bytes()));
    let outputs = [
        format!("{f}"),
        format!("{f:?}"),
        f.id(),
        f.short(),
        f.instance_name(true),
        serde_json::to_string(f.components()).unwrap(),
        format!("{:?}", f.components()),
        format!("{r:?}"),
    ];
    for out in outputs {
        let lower = out.to_ascii_lowercase();
        assert!(!lower.contains(&r.machine_id), "raw ID in {out}");
        assert!(!lower.contains(&plain_sha), "plain SHA-256 in {out}");
        assert!(
            !lower.contains(&plain_sha[..16]),
            "plain SHA-256 prefix in {out}"
        );
    }
}

#[test]
fn real_machine_id_never_appears() {
    // A vendor-supplied ID always (it takes the same path as the OS one), and the OS ID too
    // when this machine has one: neither may show in any output, raw or plainly hashed.
    let vendor = "4c4c4544-0042-3510-8052-b4c04f4e3232".to_owned();
    let mut cases = vec![(
        vendor.clone(),
        Fingerprint::builder("com.example.App")
            .vendor_machine_id(vendor)
            .compute()
            .unwrap(),
    )];
    if let Some(id) = sources::os_machine_id() {
        cases.push((
            id,
            Fingerprint::builder("com.example.App").compute().unwrap(),
        ));
    }
    for (id, f) in cases {
        let plain_sha = hex(&sha2::Sha256::digest(id.as_bytes()));
        let all = format!(
            "{f} {f:?} {} {}",
            f.instance_name(true),
            serde_json::to_string(f.components()).unwrap()
        )
        .to_ascii_lowercase();
        assert!(!all.contains(&id.to_ascii_lowercase()), "{all}");
        assert!(!all.contains(&plain_sha), "{all}");
    }
}

#[test]
fn fuzzy_accepts_small_changes() {
    let stored = fp(&raw()).components().clone();

    let mut r = raw();
    r.hostname = Some("renamed".into());
    r.ram_gib = Some(64);
    let m = fp(&r).matches(&stored);
    assert_eq!(m.kind, MatchKind::Exact);
    assert_eq!(m.changed, vec![Component::Hostname, Component::Ram]);

    let mut r = raw();
    r.machine_id = "regenerated-after-reinstall".into();
    let m = fp(&r).matches(&stored);
    assert_eq!(m.kind, MatchKind::Fuzzy);
    assert_eq!(m.changed, vec![Component::MachineId]);

    r.hostname = Some("renamed".into());
    let m = fp(&r).matches(&stored);
    assert_eq!(m.kind, MatchKind::Fuzzy);
    assert_eq!(m.changed, vec![Component::MachineId, Component::Hostname]);
    assert!(m.is_same_machine());

    r.ram_gib = Some(64);
    assert_eq!(
        fp(&r).matches(&stored).kind,
        MatchKind::Fuzzy,
        "3 of 5 still match"
    );
}

#[test]
fn fuzzy_rejects_a_different_machine() {
    let stored = fp(&raw()).components().clone();
    let other = RawComponents {
        machine_id: "ffeeddccbbaa99887766554433221100".into(),
        hostname: Some("bob-desktop".into()),
        os: Some("Windows 11".into()),
        cpu: Some("Intel Core i5 / x86_64".into()),
        ram_gib: Some(16),
        mac: Some("00:1b:21:aa:bb:cc".into()),
    };
    let m = fp(&other).matches(&stored);
    assert_eq!(m.kind, MatchKind::Mismatch);
    assert_eq!(m.changed.len(), 6);

    // Same OS image and CPU model, but another machine: only 2 of 5 match.
    let mut clone_ish = raw();
    clone_ish.machine_id = "ffeeddccbbaa99887766554433221100".into();
    clone_ish.hostname = Some("other".into());
    clone_ish.ram_gib = Some(8);
    clone_ish.mac = Some("00:1b:21:aa:bb:cc".into());
    assert_eq!(fp(&clone_ish).matches(&stored).kind, MatchKind::Mismatch);

    // Missing components do not count as matches.
    let sparse = RawComponents {
        machine_id: "x".into(),
        hostname: None,
        os: None,
        cpu: None,
        ram_gib: None,
        mac: None,
    };
    assert_eq!(
        fp(&sparse)
            .matches(&fp(&sparse.clone()).components().clone())
            .kind,
        MatchKind::Exact
    );
    let mut sparse2 = sparse.clone();
    sparse2.machine_id = "y".into();
    assert_eq!(
        fp(&sparse2).matches(fp(&sparse).components()).kind,
        MatchKind::Mismatch
    );
}

#[test]
fn fallback_id_persists_and_is_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let first = fallback_id(dir.path()).unwrap();
    let again = fallback_id(dir.path()).unwrap();
    assert_eq!(first, again);
    assert_eq!(first.len(), 32);
    let other = tempfile::tempdir().unwrap();
    assert_ne!(first, fallback_id(other.path()).unwrap());
    // A garbled fallback file is kept and reported, never replaced.
    std::fs::write(dir.path().join(FALLBACK_ID_FILE), "\n").unwrap();
    assert!(fallback_id(dir.path()).is_err());
    assert_eq!(
        std::fs::read_to_string(dir.path().join(FALLBACK_ID_FILE)).unwrap(),
        "\n"
    );
}

#[test]
fn vendor_id_is_used_and_marked() {
    let a = Fingerprint::builder("app")
        .vendor_machine_id("installer-123")
        .compute()
        .unwrap();
    let b = Fingerprint::builder("app")
        .vendor_machine_id("installer-456")
        .compute()
        .unwrap();
    assert_eq!(a.confidence(), Confidence::Vendor);
    assert_ne!(a.id(), b.id());
}

#[test]
fn instance_names_say_host_os_and_tag() {
    let mut r = raw();
    let f = fp(&r);
    let tag = &f.id()[..6];
    assert_eq!(
        f.instance_name(true),
        format!("ada-laptop (Debian GNU/Linux 12) · {tag}")
    );
    assert_eq!(
        f.instance_name(false),
        format!("(Debian GNU/Linux 12) · {tag}")
    );
    r.hostname = Some("Ada's ThinkPad".into());
    r.os = Some("Windows 11".into());
    let f = fp(&r);
    assert_eq!(
        f.instance_name(true),
        format!("Ada's ThinkPad (Windows 11) · {}", &f.id()[..6])
    );
    r.os = Some("Darwin 15".into());
    let f = fp(&r);
    assert_eq!(
        f.instance_name(false),
        format!("(macOS 15) · {}", &f.id()[..6])
    );
    r.os = None;
    r.hostname = None;
    let f = fp(&r);
    assert_eq!(f.instance_name(true), f.id()[..6].to_owned());
}

#[test]
fn instance_names_are_bounded_and_clean() {
    let mut r = raw();
    r.hostname = Some(format!("evil\u{1b}[31m\nhost{}", "x".repeat(200)));
    r.os = Some(format!("Some\tOS {}", "9".repeat(100)));
    let f = fp(&r);
    for include_host in [true, false] {
        let name = f.instance_name(include_host);
        assert!(name.chars().count() <= MAX_INSTANCE_NAME, "{name}");
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert!(name.ends_with(&f.id()[..6]), "{name}");
    }
    assert!(f.instance_name(true).starts_with("evil[31mhostxxx"));
}

#[test]
fn digests_round_trip_and_reject_garbage() {
    let c = fp(&raw()).components().clone();
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<Components>(&json).unwrap(), c);
    assert!(serde_json::from_str::<Digest>("\"zz\"").is_err());
    assert!(serde_json::from_str::<Digest>(&format!("\"{}\"", "é".repeat(32))).is_err());
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}
