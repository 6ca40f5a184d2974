//! The customer page (issue 29): served with a policy that allows only the relay itself;
//! and, in a real headless browser (Chromium, chromedriver and Selenium, which CI installs:
//! `KEYSEAT_BROWSER_PYTHON` names a Python with Selenium), a seat freed and an offline
//! activation completed through it.

use std::process::Command;

use keyseat::LicenseState;

use crate::support::{KEY, World, clock, licensor, machine_named};

#[test]
fn the_page_and_its_files_are_served_with_a_strict_policy() {
    let world = World::new(1);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for (path, kind) in [
        ("/", "text/html"),
        ("/page.js", "text/javascript"),
        ("/page.css", "text/css"),
    ] {
        let mut r = agent
            .get(&format!("{}{path}", world.relay.url()))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert!(header("content-type").starts_with(kind), "{path}");
        let policy = header("content-security-policy");
        assert!(
            policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
            "{policy}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(!r.body_mut().read_to_string().unwrap().is_empty());
    }
}

#[test]
#[ignore = "needs a browser: KEYSEAT_BROWSER_PYTHON (a Python with Selenium), Chromium and chromedriver (see .ci/run)"]
fn a_customer_frees_a_seat_and_activates_offline_through_the_page() {
    let python = std::env::var("KEYSEAT_BROWSER_PYTHON").expect("KEYSEAT_BROWSER_PYTHON");
    let world = World::new(3);
    let keys = world.relay.public_keys().to_vec();
    let url = world.relay.url();
    let c = clock();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let kept = licensor(&url, &keys, dirs[0].path(), machine_named("desk"), &c);
    let replaced = licensor(&url, &keys, dirs[1].path(), machine_named("oldlaptop"), &c);
    let offline = licensor(&url, &keys, dirs[2].path(), machine_named("lab"), &c);
    kept.activate(KEY).unwrap();
    let old = replaced.activate(KEY).unwrap();
    let files = tempfile::tempdir().unwrap();
    let request = files.path().join("request.txt");
    std::fs::write(&request, offline.offline_request(KEY).unwrap()).unwrap();
    let downloads = files.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/browser/customer_page.py"
    );
    let out = Command::new(python)
        .arg(script)
        .arg(&url)
        .arg(KEY)
        .arg(old.instance_name.as_deref().unwrap())
        .arg(&request)
        .arg(&downloads)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("customer page: 0 failures"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The old laptop's seat is free; the desk's and the lab's are held.
    let held: Vec<_> = world.emu.instances().into_iter().map(|i| i.id).collect();
    assert_eq!(held.len(), 2, "{held:?}");
    assert!(!held.contains(&old.instance_id.unwrap().as_str().to_owned()));
    assert_eq!(
        replaced.revalidate().unwrap().state,
        LicenseState::NotActivated
    );
    // The downloaded machine file activates the lab machine.
    let file = std::fs::read_to_string(downloads.join("keyseat-machine-file.txt")).unwrap();
    let status = offline.offline_activate(KEY, &file).unwrap();
    assert!(status.state == LicenseState::Active && status.activated_offline);
}
