//! The fault matrix: activate, validate and deactivate, each through the Licensor, against
//! every fault a network and a server can produce, once (the fault hits the first attempt)
//! and every time (it hits all three). Every cell has an expected outcome, number of requests
//! that reached the server, instances left on it, and local state, so a retry that is lost
//! or doubled fails a test; on top of that, the invariants hold everywhere: a typed error or
//! the right state, credentials never lost, at most one activation per success, and a spent
//! slot without success reported as ambiguous.
//!
//! The retry rules belong to the request kind, not the provider: activation and validation
//! of Lemon Squeezy and Polar keys go through the same matrix and must give the same table.

use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::clock::ManualClock;
use keyseat::{ErrorKind, LicenseState, Licensor};
use keyseat_emulator::{Emulator, Endpoint, Fault};
use keyseat_tests::{KEY, Seller, dead_url};

const DAY: Duration = Duration::from_secs(86_400);

#[derive(Debug, Clone)]
enum Cell {
    /// Nothing listens.
    ConnectRefused,
    /// The listener's queue is full: SYNs go unanswered.
    ConnectTimeout,
    /// The emulator with this fault on the endpoint.
    Server(Fault),
}

fn status(code: u16) -> Fault {
    Fault::Status {
        status: code,
        retry_after: None,
        retry_after_ms: None,
    }
}

fn cells() -> Vec<Cell> {
    vec![
        Cell::ConnectRefused,
        Cell::ConnectTimeout,
        Cell::Server(Fault::Delay { ms: 700 }),
        Cell::Server(Fault::ResetBeforeProcessing),
        Cell::Server(Fault::ProcessThenClose),
        Cell::Server(Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
            retry_after_ms: None,
        }),
        Cell::Server(status(500)),
        Cell::Server(status(502)),
        Cell::Server(status(503)),
        Cell::Server(Fault::TruncatedBody),
        Cell::Server(Fault::MalformedJson),
        Cell::Server(Fault::HtmlError { status: 502 }),
        Cell::Server(Fault::OversizedBody),
        Cell::Server(Fault::WrongContentType),
        Cell::Server(Fault::ExtraFields),
    ]
}

/// A listener whose accept queue is full, so that further connections time out.
struct Blackhole {
    _listener: socket2::Socket,
    _queued: Vec<TcpStream>,
    url: String,
}

fn blackhole() -> Blackhole {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.bind(
        &"127.0.0.1:0"
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into(),
    )
    .unwrap();
    s.listen(0).unwrap();
    let addr = s.local_addr().unwrap().as_socket().unwrap();
    let mut queued = Vec::new();
    for _ in 0..4 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(c) => queued.push(c),
            Err(_) => break,
        }
    }
    Blackhole {
        _listener: s,
        _queued: queued,
        url: format!("http://{addr}"),
    }
}

fn licensor(seller: Seller, url: &str, dir: &Path, clock: Arc<ManualClock>) -> Licensor {
    seller
        .licensor_builder("Matrix", url, dir)
        .clock(clock)
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap()
}

/// After an operation: waits out a slow fault's late processing, then reports the
/// instances on the server and the local state.
fn settle(r: &Run, cell: &Cell, l: &Licensor) -> (usize, LicenseState) {
    if matches!(cell, Cell::Server(Fault::Delay { .. })) {
        std::thread::sleep(Duration::from_millis(800));
    }
    (
        r.emu.instances_of(KEY).len(),
        l.check_offline().unwrap().state,
    )
}

struct Run {
    emu: Emulator,
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    _hole: Option<Blackhole>,
    url: String,
}

/// The emulator (always, to count instances), and the URL the faulty Licensor uses.
fn run(seller: Seller, cell: &Cell, endpoint: Endpoint, count: u32) -> Run {
    let emu = seller.emulator(None);
    let (url, hole) = match cell {
        Cell::ConnectRefused => (dead_url(), None),
        Cell::ConnectTimeout => {
            let h = blackhole();
            (h.url.clone(), Some(h))
        }
        Cell::Server(f) => {
            emu.inject(endpoint, f.clone(), count);
            (emu.url(), None)
        }
    };
    Run {
        emu,
        dir: tempfile::tempdir().unwrap(),
        clock: Arc::new(ManualClock::new(SystemTime::now())),
        _hole: hole,
        url,
    }
}

fn no_key_in(e: &keyseat::Error) {
    assert!(!format!("{e} {e:?}").contains(KEY));
}

/// What one cell did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observed {
    /// `ok`, `grace`, `active`, or the error kind (`Timeout`, `Network`, …).
    outcome: String,
    /// Requests to the faulty endpoint that reached the server.
    requests: u64,
    /// Instances of the key on the server afterwards.
    on_server: usize,
    /// The local state afterwards (`check_offline`).
    local: &'static str,
}

fn kind_name(e: &keyseat::Error) -> String {
    let debug = format!("{:?}", e.kind());
    let name = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    match e.http_status() {
        Some(status) => format!("{name} {status}"),
        None => name.to_owned(),
    }
}

/// One expected row: the cell's label (as [`label`] gives it), then for the fault once and
/// every time: outcome, requests, instances on the server, local state.
type Row = (
    &'static str,
    (&'static str, u64, usize, &'static str),
    (&'static str, u64, usize, &'static str),
);

fn label(cell: &Cell) -> String {
    match cell {
        Cell::ConnectRefused => "connect refused".into(),
        Cell::ConnectTimeout => "connect timeout".into(),
        Cell::Server(f) => {
            let text = format!("{f:?}");
            text.split(" {").next().unwrap_or(&text).to_owned()
                + &match f {
                    Fault::Status { status, .. } | Fault::HtmlError { status } => {
                        format!(" {status}")
                    }
                    _ => String::new(),
                }
        }
    }
}

/// Compares every observation with its row; on any difference, prints the whole observed
/// table (to paste back after review) and fails.
fn check_table(endpoint: &str, expected: &[Row], observed: &[(String, Observed, Observed)]) {
    let mut differences = Vec::new();
    let mut table = String::new();
    for (cell, once, always) in observed {
        table.push_str(&format!(
            "        (\"{cell}\", (\"{}\", {}, {}, \"{}\"), (\"{}\", {}, {}, \"{}\")),\n",
            once.outcome,
            once.requests,
            once.on_server,
            once.local,
            always.outcome,
            always.requests,
            always.on_server,
            always.local
        ));
        let row = expected.iter().find(|r| r.0 == cell);
        let want = |r: (&str, u64, usize, &str)| Observed {
            outcome: r.0.to_owned(),
            requests: r.1,
            on_server: r.2,
            local: match r.3 {
                "active" => "active",
                "grace" => "grace",
                "not_activated" => "not_activated",
                other => Box::leak(other.to_owned().into_boxed_str()),
            },
        };
        match row {
            Some(r) if want(r.1) == *once && want(r.2) == *always => {}
            Some(r) => differences.push(format!(
                "{cell}: want {:?} / {:?}, got {once:?} / {always:?}",
                r.1, r.2
            )),
            None => differences.push(format!("{cell}: no expected row")),
        }
    }
    println!("{endpoint} observed:\n{table}");
    assert!(
        differences.is_empty(),
        "{endpoint}: {} cells differ:\n{}\nobserved table:\n{table}",
        differences.len(),
        differences.join("\n")
    );
}

/// Activation under one cell, faulting `count` attempts.
fn activate_cell(seller: Seller, cell: &Cell, count: u32) -> Observed {
    let r = run(seller, cell, Endpoint::Activate, count);
    let l = licensor(seller, &r.url, r.dir.path(), r.clock.clone());
    let outcome = l.activate(KEY);
    let (on_server, local) = settle(&r, cell, &l);
    match &outcome {
        Ok(st) => {
            assert_eq!(st.state, LicenseState::Active, "{cell:?} x{count}");
            assert_eq!(on_server, 1, "{cell:?} x{count}: one slot per activation");
            assert_eq!(local, LicenseState::Active, "{cell:?} x{count}");
        }
        Err(e) => {
            no_key_in(e);
            assert!(e.is_unreachable() || e.is_rejection(), "{cell:?}: {e:?}");
            assert_eq!(
                local,
                LicenseState::NotActivated,
                "{cell:?}: nothing stored"
            );
            assert!(on_server <= 1, "{cell:?}: {on_server} instances");
            if on_server == 1 {
                assert!(
                    matches!(e.kind(), ErrorKind::AmbiguousActivation(_)),
                    "{cell:?}: a slot was spent and the caller must be told: {e:?}"
                );
            }
        }
    }
    Observed {
        outcome: outcome.map_or_else(|e| kind_name(&e), |_| "ok".into()),
        requests: r.emu.request_count(Endpoint::Activate),
        on_server,
        local: local.name(),
    }
}

/// A stale check (so validation) under one cell, faulting `count` attempts.
fn validate_cell(seller: Seller, cell: &Cell, count: u32) -> Observed {
    let r = run(seller, cell, Endpoint::Validate, 0);
    licensor(seller, &r.emu.url(), r.dir.path(), r.clock.clone())
        .activate(KEY)
        .unwrap();
    if let Cell::Server(f) = cell {
        r.emu.inject(Endpoint::Validate, f.clone(), count);
    }
    r.clock.advance(2 * DAY);
    let l = licensor(seller, &r.url, r.dir.path(), r.clock.clone());
    let st = l.check().unwrap();
    assert!(
        matches!(st.state, LicenseState::Active | LicenseState::Grace { .. }),
        "{cell:?} x{count}: an unusable answer must never take the license: {:?}",
        st.state
    );
    assert!(st.network_used, "{cell:?}");
    let (on_server, local) = settle(&r, cell, &l);
    assert!(local.is_licensed(), "{cell:?}: credentials kept");
    assert_eq!(on_server, 1);
    Observed {
        outcome: st.state.name().into(),
        requests: r.emu.request_count(Endpoint::Validate),
        on_server,
        local: local.name(),
    }
}

/// Deactivation under one cell, faulting `count` attempts.
fn deactivate_cell(seller: Seller, cell: &Cell, count: u32) -> Observed {
    let r = run(seller, cell, Endpoint::Deactivate, 0);
    licensor(seller, &r.emu.url(), r.dir.path(), r.clock.clone())
        .activate(KEY)
        .unwrap();
    if let Cell::Server(f) = cell {
        r.emu.inject(Endpoint::Deactivate, f.clone(), count);
    }
    let l = licensor(seller, &r.url, r.dir.path(), r.clock.clone());
    let outcome = l.deactivate(false);
    let (on_server, local) = settle(&r, cell, &l);
    match &outcome {
        Ok(_) => {
            assert_eq!(on_server, 0, "{cell:?} x{count}: freed on the server");
            assert_eq!(local, LicenseState::NotActivated, "{cell:?} x{count}");
        }
        Err(e) => {
            no_key_in(e);
            assert!(e.is_unreachable(), "{cell:?}: {e:?}");
            assert_eq!(
                local,
                LicenseState::Active,
                "{cell:?}: credentials must be kept"
            );
        }
    }
    Observed {
        outcome: outcome.map_or_else(|e| kind_name(&e), |_| "ok".into()),
        requests: r.emu.request_count(Endpoint::Deactivate),
        on_server,
        local: local.name(),
    }
}

fn observe(
    seller: Seller,
    f: fn(Seller, &Cell, u32) -> Observed,
) -> Vec<(String, Observed, Observed)> {
    cells()
        .iter()
        .map(|cell| (label(cell), f(seller, cell, 1), f(seller, cell, 10)))
        .collect()
}

#[test]
fn activate_under_every_fault() {
    check_table("activate", ACTIVATE, &observe(Seller::Dodo, activate_cell));
}

#[test]
fn validate_under_every_fault() {
    check_table("validate", VALIDATE, &observe(Seller::Dodo, validate_cell));
}

#[test]
fn deactivate_under_every_fault() {
    check_table(
        "deactivate",
        DEACTIVATE,
        &observe(Seller::Dodo, deactivate_cell),
    );
}

#[test]
fn lemon_squeezy_activate_under_every_fault() {
    let observed = observe(Seller::LemonSqueezy, activate_cell);
    check_table("lemon squeezy activate", ACTIVATE, &observed);
}

#[test]
fn lemon_squeezy_validate_under_every_fault() {
    let observed = observe(Seller::LemonSqueezy, validate_cell);
    check_table("lemon squeezy validate", VALIDATE, &observed);
}

#[test]
fn polar_activate_under_every_fault() {
    check_table(
        "polar activate",
        ACTIVATE,
        &observe(Seller::Polar, activate_cell),
    );
}

#[test]
fn polar_validate_under_every_fault() {
    check_table(
        "polar validate",
        VALIDATE,
        &observe(Seller::Polar, validate_cell),
    );
}

/// Activation is retried only when the request certainly never arrived (refused, connect
/// timeout, 429): anything that may have been processed is ambiguous, and then exactly the
/// cells whose fault processes the request leave an instance behind.
#[rustfmt::skip]
const ACTIVATE: &[Row] = &[
        ("connect refused", ("Network", 0, 0, "not_activated"), ("Network", 0, 0, "not_activated")),
        ("connect timeout", ("Timeout", 0, 0, "not_activated"), ("Timeout", 0, 0, "not_activated")),
        ("Delay", ("AmbiguousActivation", 1, 1, "not_activated"), ("AmbiguousActivation", 1, 1, "not_activated")),
        ("ResetBeforeProcessing", ("AmbiguousActivation", 1, 0, "not_activated"), ("AmbiguousActivation", 1, 0, "not_activated")),
        ("ProcessThenClose", ("AmbiguousActivation", 1, 1, "not_activated"), ("AmbiguousActivation", 1, 1, "not_activated")),
        ("Status 429", ("ok", 2, 1, "active"), ("Api 429", 3, 0, "not_activated")),
        ("Status 500", ("AmbiguousActivation", 1, 0, "not_activated"), ("AmbiguousActivation", 1, 0, "not_activated")),
        ("Status 502", ("AmbiguousActivation", 1, 0, "not_activated"), ("AmbiguousActivation", 1, 0, "not_activated")),
        ("Status 503", ("AmbiguousActivation", 1, 0, "not_activated"), ("AmbiguousActivation", 1, 0, "not_activated")),
        ("TruncatedBody", ("AmbiguousActivation", 1, 1, "not_activated"), ("AmbiguousActivation", 1, 1, "not_activated")),
        ("MalformedJson", ("AmbiguousActivation", 1, 1, "not_activated"), ("AmbiguousActivation", 1, 1, "not_activated")),
        ("HtmlError 502", ("AmbiguousActivation", 1, 0, "not_activated"), ("AmbiguousActivation", 1, 0, "not_activated")),
        ("OversizedBody", ("AmbiguousActivation", 1, 1, "not_activated"), ("AmbiguousActivation", 1, 1, "not_activated")),
        ("WrongContentType", ("ok", 1, 1, "active"), ("ok", 1, 1, "active")),
        ("ExtraFields", ("ok", 1, 1, "active"), ("ok", 1, 1, "active")),
];
/// Validation is safe to repeat: connection failures, timeouts, 429, 5xx and bodies cut
/// short are retried (twice); a fault once costs one more request and the license stays
/// active, every time costs three and gives grace. Unusable bodies that another try would
/// not mend (malformed, oversized) give grace at once.
#[rustfmt::skip]
const VALIDATE: &[Row] = &[
        ("connect refused", ("grace", 0, 1, "grace"), ("grace", 0, 1, "grace")),
        ("connect timeout", ("grace", 0, 1, "grace"), ("grace", 0, 1, "grace")),
        ("Delay", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("ResetBeforeProcessing", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("ProcessThenClose", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("Status 429", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("Status 500", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("Status 502", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("Status 503", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("TruncatedBody", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("MalformedJson", ("grace", 1, 1, "grace"), ("grace", 1, 1, "grace")),
        ("HtmlError 502", ("active", 2, 1, "active"), ("grace", 3, 1, "grace")),
        ("OversizedBody", ("grace", 1, 1, "grace"), ("grace", 1, 1, "grace")),
        ("WrongContentType", ("active", 1, 1, "active"), ("active", 1, 1, "active")),
        ("ExtraFields", ("active", 1, 1, "active"), ("active", 1, 1, "active")),
];
/// Deactivation is retried like validation; a 2xx frees the slot whatever its body, and
/// "instance not found" after an attempt with an unknown outcome counts as success. When
/// every attempt fails the credentials are kept, even where the server freed the slot
/// unseen: the next online check then finds the instance gone.
#[rustfmt::skip]
const DEACTIVATE: &[Row] = &[
        ("connect refused", ("Network", 0, 1, "active"), ("Network", 0, 1, "active")),
        ("connect timeout", ("Timeout", 0, 1, "active"), ("Timeout", 0, 1, "active")),
        ("Delay", ("ok", 2, 0, "not_activated"), ("Timeout", 3, 0, "active")),
        ("ResetBeforeProcessing", ("ok", 2, 0, "not_activated"), ("Network", 3, 1, "active")),
        ("ProcessThenClose", ("ok", 2, 0, "not_activated"), ("Network", 3, 0, "active")),
        ("Status 429", ("ok", 2, 0, "not_activated"), ("Api 429", 3, 1, "active")),
        ("Status 500", ("ok", 2, 0, "not_activated"), ("Api 500", 3, 1, "active")),
        ("Status 502", ("ok", 2, 0, "not_activated"), ("Api 502", 3, 1, "active")),
        ("Status 503", ("ok", 2, 0, "not_activated"), ("Api 503", 3, 1, "active")),
        ("TruncatedBody", ("ok", 1, 0, "not_activated"), ("ok", 1, 0, "not_activated")),
        ("MalformedJson", ("ok", 1, 0, "not_activated"), ("ok", 1, 0, "not_activated")),
        ("HtmlError 502", ("ok", 2, 0, "not_activated"), ("InvalidResponse 502", 3, 1, "active")),
        ("OversizedBody", ("ok", 1, 0, "not_activated"), ("ok", 1, 0, "not_activated")),
        ("WrongContentType", ("ok", 1, 0, "not_activated"), ("ok", 1, 0, "not_activated")),
        ("ExtraFields", ("ok", 1, 0, "not_activated"), ("ok", 1, 0, "not_activated")),
];
