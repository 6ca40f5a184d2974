//! The fault matrix: activate, validate and deactivate, each through the Licensor, against
//! every fault a network and a server can produce. Every cell must end in a typed error or
//! the right state, never lose the credentials, and never leave more than one activation on
//! the server per successful activation.

use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use licensekit::clock::ManualClock;
use licensekit::{ErrorKind, LicenseState, Licensor};
use licensekit_emulator::{Emulator, Endpoint, Fault};
use licensekit_tests::{KEY, dead_url, emulator, licensor_builder};

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

fn licensor(url: &str, dir: &Path, clock: Arc<ManualClock>) -> Licensor {
    licensor_builder("Matrix", url, dir)
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
fn run(cell: &Cell, endpoint: Endpoint, count: u32) -> Run {
    let emu = emulator(None);
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

fn no_key_in(e: &licensekit::Error) {
    assert!(!format!("{e} {e:?}").contains(KEY));
}

#[test]
fn activate_under_every_fault() {
    for count in [1, 10] {
        for cell in cells() {
            let r = run(&cell, Endpoint::Activate, count);
            let l = licensor(&r.url, r.dir.path(), r.clock.clone());
            let outcome = l.activate(KEY);
            let (on_server, local) = settle(&r, &cell, &l);
            match &outcome {
                Ok(st) => {
                    assert_eq!(st.state, LicenseState::Active, "{cell:?} x{count}");
                    assert_eq!(on_server, 1, "{cell:?} x{count}: one slot per activation");
                    assert_eq!(local, LicenseState::Active, "{cell:?} x{count}");
                }
                Err(e) => {
                    no_key_in(e);
                    assert!(e.is_unreachable() || e.is_rejection(), "{cell:?}: {e:?}");
                    match cell {
                        Cell::ConnectTimeout => {
                            assert!(matches!(e.kind(), ErrorKind::Timeout), "{e:?}")
                        }
                        Cell::ConnectRefused => {
                            assert!(matches!(e.kind(), ErrorKind::Network(_)), "{e:?}")
                        }
                        _ => {}
                    }
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
        }
    }
}

#[test]
fn validate_under_every_fault() {
    for count in [1, 10] {
        for cell in cells() {
            let r = run(&cell, Endpoint::Validate, 0);
            licensor(&r.emu.url(), r.dir.path(), r.clock.clone())
                .activate(KEY)
                .unwrap();
            if let Cell::Server(f) = &cell {
                r.emu.inject(Endpoint::Validate, f.clone(), count);
            }
            r.clock.advance(2 * DAY);
            let l = licensor(&r.url, r.dir.path(), r.clock.clone());
            let st = l.check().unwrap();
            assert!(
                matches!(st.state, LicenseState::Active | LicenseState::Grace { .. }),
                "{cell:?} x{count}: an unusable answer must never take the license: {:?}",
                st.state
            );
            assert!(st.network_used, "{cell:?}");
            assert!(
                l.check_offline().unwrap().is_licensed(),
                "{cell:?}: credentials kept"
            );
            assert_eq!(r.emu.instances_of(KEY).len(), 1);
        }
    }
}

#[test]
fn deactivate_under_every_fault() {
    for count in [1, 10] {
        for cell in cells() {
            let r = run(&cell, Endpoint::Deactivate, 0);
            licensor(&r.emu.url(), r.dir.path(), r.clock.clone())
                .activate(KEY)
                .unwrap();
            if let Cell::Server(f) = &cell {
                r.emu.inject(Endpoint::Deactivate, f.clone(), count);
            }
            let l = licensor(&r.url, r.dir.path(), r.clock.clone());
            let outcome = l.deactivate(false);
            let (on_server, local) = settle(&r, &cell, &l);
            match outcome {
                Ok(_) => {
                    assert_eq!(on_server, 0, "{cell:?} x{count}: freed on the server");
                    assert_eq!(local, LicenseState::NotActivated, "{cell:?} x{count}");
                }
                Err(e) => {
                    no_key_in(&e);
                    assert!(e.is_unreachable(), "{cell:?}: {e:?}");
                    assert_eq!(
                        local,
                        LicenseState::Active,
                        "{cell:?}: credentials must be kept"
                    );
                }
            }
        }
    }
}
