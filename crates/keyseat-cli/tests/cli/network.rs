//! The network path a customer's machine may have: HTTPS with a CA file, an HTTP CONNECT
//! proxy from `HTTPS_PROXY` (bypassed by `NO_PROXY`, with credentials from the proxy URL),
//! a dead proxy, and a certificate nobody trusts. Each case prints its wall time.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Instant;

use keyseat_emulator::{ConnectProxy, Emulator, Endpoint};

use crate::support::{KEY, Setup, checked, parse, spec, stderr};

/// An HTTPS emulator and the path of its CA certificate.
fn tls_setup() -> (Setup, PathBuf) {
    let s = Setup::with(Emulator::start_tls(vec![spec(None)]).unwrap());
    let ca = s.dir.path().join("test-ca.pem");
    std::fs::write(&ca, s.emu.ca_pem().unwrap()).unwrap();
    (s, ca)
}

/// `licensectl --ca-file CA …`.
fn with_ca(s: &Setup, ca: &PathBuf, args: &[&str]) -> Command {
    let mut c = s.cmd(&["--ca-file"]);
    c.arg(ca).args(args);
    c
}

/// Runs `cmd`, printing how long it took under `label`.
fn timed(label: &str, cmd: Command) -> Output {
    let started = Instant::now();
    let out = checked(cmd);
    eprintln!(
        "network path: {label}: {:.1} ms, exit {:?}",
        started.elapsed().as_secs_f64() * 1000.0,
        out.status.code()
    );
    out
}

fn dead_proxy_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn https_needs_the_ca_file_and_an_untrusted_certificate_is_named() {
    let (s, ca) = tls_setup();
    let out = timed("https, unknown CA", s.cmd(&["activate", KEY]));
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("certificate"), "{err}");
    assert!(
        err.contains("--ca-file") && err.contains("inspects TLS"),
        "{err}"
    );
    assert_eq!(
        s.emu.request_count(Endpoint::Activate),
        0,
        "nothing reached the server"
    );
    let out = timed("https, CA file", with_ca(&s, &ca, &["activate", KEY]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(s.emu.instances_of(KEY).len(), 1);
}

#[test]
fn https_through_a_connect_proxy_and_no_proxy_bypasses_it() {
    let (s, ca) = tls_setup();
    let proxy = ConnectProxy::start(None).unwrap();
    let mut cmd = with_ca(&s, &ca, &["activate", KEY]);
    cmd.env("HTTPS_PROXY", proxy.url());
    let out = timed("https via proxy: activate", cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(proxy.tunnels(), 1);
    assert_eq!(proxy.targets(), vec![s.emu.addr().to_string()]);
    let mut cmd = with_ca(&s, &ca, &["--json", "status", "--refresh"]);
    cmd.env("HTTPS_PROXY", proxy.url());
    let (code, v) = parse(&timed("https via proxy: validate", cmd));
    assert_eq!((code, v["network_used"].as_bool()), (0, Some(true)), "{v}");
    assert_eq!(proxy.tunnels(), 2);

    let mut cmd = with_ca(&s, &ca, &["--json", "status", "--refresh"]);
    cmd.env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "localhost,127.0.0.1");
    let (code, v) = parse(&timed("https, NO_PROXY bypass", cmd));
    assert_eq!((code, v["network_used"].as_bool()), (0, Some(true)), "{v}");
    assert_eq!(proxy.tunnels(), 2, "NO_PROXY went through the proxy");
}

#[test]
fn a_proxy_that_requires_credentials_gets_them_from_the_url() {
    let (s, ca) = tls_setup();
    let proxy = ConnectProxy::start(Some(("ada", "s3cret"))).unwrap();
    let with_creds = proxy.url().replace("http://", "http://ada:s3cret@");
    let wrong_creds = proxy.url().replace("http://", "http://ada:wrong@");

    let mut cmd = with_ca(&s, &ca, &["activate", KEY]);
    cmd.env("HTTPS_PROXY", &wrong_creds);
    let out = timed("proxy, wrong credentials", cmd);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    // A 407 is final: asked once, never again, and said in words.
    assert_eq!(proxy.refused_auth(), 1, "a refused CONNECT was retried");
    assert!(
        stderr(&out).contains("the proxy refused the credentials"),
        "{}",
        stderr(&out)
    );
    assert_eq!(proxy.tunnels(), 0);
    assert!(!stderr(&out).contains("s3cret") && !stderr(&out).contains("ada:wrong"));

    let mut cmd = with_ca(&s, &ca, &["activate", KEY]);
    cmd.env("HTTPS_PROXY", &with_creds);
    let out = timed("proxy, credentials", cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(proxy.tunnels(), 1);
    assert_eq!(s.emu.instances_of(KEY).len(), 1);
}

#[test]
fn a_dead_proxy_is_unreachable_and_a_license_stays_in_grace() {
    let (s, ca) = tls_setup();
    let dead = dead_proxy_url();
    let mut cmd = with_ca(&s, &ca, &["activate", KEY]);
    cmd.env("HTTPS_PROXY", &dead);
    let out = timed("dead proxy: activate", cmd);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(stderr(&out).contains("could not reach"), "{}", stderr(&out));
    assert!(s.emu.instances_of(KEY).is_empty());

    let out = timed("direct: activate", with_ca(&s, &ca, &["activate", KEY]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut cmd = with_ca(&s, &ca, &["--json", "status", "--refresh"]);
    cmd.env("HTTPS_PROXY", &dead);
    let (code, v) = parse(&timed("dead proxy: revalidate", cmd));
    assert_eq!((code, v["state"].as_str()), (0, Some("grace")), "{v}");
}
