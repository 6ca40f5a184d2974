//! One identity for the app and `licensectl`: with the same app id and vendor secret they
//! share one activation in both directions, with no extra request; with another secret the
//! mismatch is named, the file left alone and the network not touched.

use std::path::Path;

use keyseat::{App, ErrorKind, KeyStorage, Licensor};
use keyseat_emulator::{DEFAULT_PRODUCT_ID, Endpoint};

use crate::support::{APP, KEY, Setup, checked, parse, stderr};

const SECRET: &str = "the app's compiled-in vendor secret";

/// The app itself, through the Rust API, as the docs tell every app to build it.
fn app(s: &Setup, secret: &str) -> Licensor {
    Licensor::builder(App::parse(APP).unwrap())
        .product_ids([DEFAULT_PRODUCT_ID])
        .vendor_secret(secret.as_bytes())
        .environment(keyseat::api::Environment::Custom(s.emu.url()))
        .data_dir(s.dir.path())
        .key_storage(KeyStorage::File)
        .build()
        .unwrap()
}

fn requests(s: &Setup) -> u64 {
    [Endpoint::Activate, Endpoint::Validate, Endpoint::Deactivate]
        .into_iter()
        .map(|e| s.emu.request_count(e))
        .sum()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn app_and_licensectl_share_one_activation_in_both_directions() {
    // The app activates; licensectl reads the same activation.
    let s = Setup::new(Some(1));
    let app_licensor = app(&s, SECRET);
    app_licensor.activate(KEY).unwrap();
    let before = requests(&s);
    for args in [&["status", "--offline"][..], &["status"]] {
        let mut cmd = s.cmd(&["--json"]);
        cmd.args(args).env("KEYSEAT_VENDOR_SECRET", SECRET);
        let (code, v) = parse(&checked(cmd));
        assert_eq!((code, v["state"].as_str()), (0, Some("active")), "{v}");
    }
    assert_eq!(requests(&s), before, "licensectl asked the server");
    assert!(app_licensor.check().unwrap().is_licensed());
    assert_eq!(requests(&s), before, "the app asked the server");
    assert!(!files(s.dir.path()).iter().any(|f| f.contains("corrupt")));

    // licensectl activates; the app reads the same activation.
    let s = Setup::new(Some(1));
    let mut cmd = s.cmd(&["activate", "-"]);
    cmd.env("KEYSEAT_VENDOR_SECRET", SECRET)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write as _;
    writeln!(child.stdin.take().unwrap(), "{KEY}").unwrap();
    let out = child.wait_with_output().unwrap();
    crate::support::assert_no_key(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = requests(&s);
    let status = app(&s, SECRET).check().unwrap();
    assert!(status.is_licensed() && !status.network_used, "{status:?}");
    assert_eq!(requests(&s), before);
    assert_eq!(s.emu.instances_of(KEY).len(), 1);
}

#[test]
fn another_vendor_secret_is_diagnosed_and_changes_nothing() {
    let s = Setup::new(Some(1));
    app(&s, SECRET).activate(KEY).unwrap();
    let cache = s.dir.path().join(keyseat::CACHE_FILE);
    let bytes = std::fs::read(&cache).unwrap();
    let listing = files(s.dir.path());
    let before = requests(&s);

    // licensectl without the secret, and with a wrong one.
    for secret in [None, Some("not the app's secret")] {
        for args in [
            &["status", "--offline"][..],
            &["status"],
            &["status", "--refresh"],
        ] {
            let mut cmd = s.cmd(args);
            if let Some(secret) = secret {
                cmd.env("KEYSEAT_VENDOR_SECRET", secret);
            }
            let out = checked(cmd);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            let err = stderr(&out);
            assert!(
                err.contains("different vendor secret") && err.contains("KEYSEAT_VENDOR_SECRET"),
                "{err}"
            );
        }
    }
    // The app with another secret (an update that changed it): a typed error.
    let e = app(&s, "another secret").check().unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::VendorSecretMismatch { .. }),
        "{e:?}"
    );
    assert_eq!(requests(&s), before, "no network call");
    assert_eq!(
        std::fs::read(&cache).unwrap(),
        bytes,
        "the file is untouched"
    );
    assert_eq!(files(s.dir.path()), listing, "nothing set aside");
    // And the right secret still works.
    assert!(app(&s, SECRET).check_offline().unwrap().is_licensed());
}

#[test]
fn the_secret_comes_from_a_file_or_the_environment_never_both() {
    let s = Setup::new(Some(1));
    app(&s, SECRET).activate(KEY).unwrap();
    let file = s.dir.path().join("vendor-secret");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let mut cmd = s.cmd(&["status", "--offline", "--vendor-secret-file"]);
    cmd.arg(&file);
    let out = checked(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let mut both = s.cmd(&["status", "--offline", "--vendor-secret-file"]);
    both.arg(&file).env("KEYSEAT_VENDOR_SECRET", SECRET);
    let out = checked(both);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not both"), "{}", stderr(&out));

    let mut missing = s.cmd(&["status", "--vendor-secret-file"]);
    missing.arg(s.dir.path().join("no-such-file"));
    assert_eq!(checked(missing).status.code(), Some(2));
    // There is no option that takes the secret itself on the command line.
    let out = checked(s.cmd(&["--vendor-secret", SECRET, "status"]));
    assert_eq!(out.status.code(), Some(2));
}
