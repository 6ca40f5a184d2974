//! The world of a relay test: the emulator as Dodo (with its API key, and its webhooks sent
//! to the relay), a relay in front of it on SQLite or PostgreSQL, Licensors through it, and a
//! proxy that tampers with the relay's answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyseat::api::{Provider, RetryPolicy};
use keyseat::clock::ManualClock;
use keyseat::fingerprint::{Confidence, Fingerprint, RawComponents};
use keyseat::{App, KeyStorage, Licensor};
use keyseat_emulator::{DEFAULT_PRODUCT_ID, Emulator, KeySpec};
use keyseat_relay::config::{Rate, Secret};
use keyseat_relay::{Settings, Spawned};

/// The key the tests license.
pub const KEY: &str = "RELAY-TEST-KEY-7f3a9c21-5b8e";
/// Dodo's API key, as the emulator and the relay know it.
pub const API_KEY: &str = "dodo-relay-test-api-key";
/// The webhook secret: Standard Webhooks' test vector's.
pub const WEBHOOK_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
/// The relay's signing key (a public test value).
pub const SIGNING_SEED: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// Where the relay keeps its state.
#[derive(Debug, Clone)]
pub enum Db {
    /// A SQLite file in this directory.
    Sqlite(std::path::PathBuf),
    /// This PostgreSQL database (CI starts one).
    Postgres(String),
}

impl Db {
    /// The URL.
    pub fn url(&self) -> String {
        match self {
            Db::Sqlite(dir) => format!("sqlite://{}", dir.join("relay.db").display()),
            Db::Postgres(url) => url.clone(),
        }
    }
}

/// The PostgreSQL database CI gives, or none.
pub fn postgres() -> Option<String> {
    std::env::var("KEYSEAT_TEST_POSTGRES_URL").ok()
}

/// A relay's settings in front of `upstream`.
pub fn settings(upstream: &str, db: &Db) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: db.url(),
        signing_keys: vec![Secret::new(SIGNING_SEED)],
        api_key: Secret::new(API_KEY),
        webhook_secrets: vec![Secret::new(WEBHOOK_SECRET)],
        upstream_url: upstream.to_owned(),
        tls: None,
        freshness: Duration::from_secs(900),
        max_staleness: Duration::from_secs(86_400),
        client_limit_per_ip: 0,
        client_limit_per_key: 0,
        upstream_public_rate: Rate {
            per_second: 20,
            per_minute: 100,
        },
        upstream_api_rate: Rate {
            per_second: 40,
            per_minute: 240,
        },
        max_body_bytes: 16 * 1024,
        trust_forwarded_for: false,
        offline_validity: Duration::from_secs(365 * 86_400),
    }
}

/// Dodo (the emulator) and a relay in front of it, the emulator's webhooks going to it.
pub struct World {
    pub emu: Emulator,
    pub relay: Spawned,
    /// Where the relay's SQLite file lives, kept as long as the world.
    _dir: tempfile::TempDir,
}

impl World {
    /// A world on a fresh SQLite file, serving [`KEY`] with `limit` seats.
    pub fn new(limit: u32) -> World {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::Sqlite(dir.path().to_owned());
        World::on(limit, &db, dir, |s| s)
    }

    /// A world on `db`, with `adjust` applied to the relay's settings.
    pub fn on(
        limit: u32,
        db: &Db,
        dir: tempfile::TempDir,
        adjust: impl FnOnce(Settings) -> Settings,
    ) -> World {
        let emu = Emulator::start(vec![KeySpec::new(KEY).with_limit(limit)]).unwrap();
        emu.set_api_key(API_KEY);
        let relay = Spawned::start(adjust(settings(&emu.url(), db))).unwrap();
        emu.set_webhook(&webhook_url(&relay), WEBHOOK_SECRET)
            .unwrap();
        World {
            emu,
            relay,
            _dir: dir,
        }
    }

    /// A Licensor of machine `machine` through the relay (or `url`, a proxy in front of
    /// it), in `dir`, on `clock`.
    pub fn licensor(
        &self,
        url: &str,
        dir: &Path,
        machine: &str,
        clock: &Arc<ManualClock>,
    ) -> Licensor {
        licensor(
            url,
            self.relay.public_keys(),
            dir,
            machine_named(machine),
            clock,
        )
    }
}

/// The relay's webhook endpoint.
pub fn webhook_url(relay: &Spawned) -> String {
    format!("{}/v1/webhooks/dodo", relay.url())
}

/// A Licensor through the relay at `url`, pinning `keys`.
pub fn licensor(
    url: &str,
    keys: &[String],
    dir: &Path,
    fingerprint: Fingerprint,
    clock: &Arc<ManualClock>,
) -> Licensor {
    Licensor::builder(App::new("com", "Example", "RelayTest"))
        .provider(Provider::relay(url, keys.iter().cloned()))
        .product_ids([DEFAULT_PRODUCT_ID])
        .data_dir(dir)
        .key_storage(KeyStorage::File)
        .vendor_secret(*b"the relay test's vendor secret")
        .fingerprint(fingerprint)
        .clock(clock.clone())
        .retry_policy(RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(1),
        })
        .build()
        .unwrap()
}

/// A made-up machine; `twin` of one with another machine id and the same other facts.
pub fn machine_named(name: &str) -> Fingerprint {
    let (id, facts) = name.split_once('/').unwrap_or((name, name));
    let raw = RawComponents {
        machine_id: format!("{id}-machine-id"),
        hostname: Some(facts.to_owned()),
        os: Some("TestOS 1".into()),
        cpu: Some("TestCPU".into()),
        ram_gib: Some(16),
        mac: Some("00:11:22:33:44:55".into()),
    };
    Fingerprint::from_raw("com.Example.RelayTest", &raw, Confidence::High)
}

/// A clock at a fixed, recent time.
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(std::time::SystemTime::now()))
}

/// What a [`Proxy`] does to the relay's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    /// Passes them on.
    Nothing,
    /// Replaces the first `from` in the body with `to` (the length fixed).
    Body(String, String),
    /// Removes `Keyseat-Signature`.
    StripSignature,
    /// Answers every validation with the first validation answer it passed on.
    Replay,
}

/// A reverse proxy in front of the relay, one request a connection, that tampers with the
/// answers as told.
pub struct Proxy {
    url: String,
    tamper: Arc<Mutex<Tamper>>,
}

impl Proxy {
    /// A proxy in front of `upstream` (`http://ADDR`).
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let tamper = Arc::new(Mutex::new(Tamper::Nothing));
        let replayed: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
        let target = upstream.trim_start_matches("http://").to_owned();
        let mode = tamper.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (target, mode, replayed) = (target.clone(), mode.clone(), replayed.clone());
                std::thread::spawn(move || {
                    let _ = relay_one(client, &target, &mode, &replayed);
                });
            }
        });
        Proxy { url, tamper }
    }

    /// `http://ADDR`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What to do from now on.
    pub fn set(&self, tamper: Tamper) {
        *self.tamper.lock().unwrap() = tamper;
    }
}

fn relay_one(
    client: TcpStream,
    target: &str,
    mode: &Mutex<Tamper>,
    replayed: &Mutex<Option<Vec<u8>>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client);
    let mut head = Vec::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if !line.to_ascii_lowercase().starts_with("connection:") {
            head.extend_from_slice(line.as_bytes());
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let validation = String::from_utf8_lossy(&head).contains("/v1/licenses/validate");
    let mut upstream = TcpStream::connect(target)?;
    upstream.write_all(&head)?;
    upstream.write_all(b"Connection: close\r\n\r\n")?;
    upstream.write_all(&body)?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    let tamper = mode.lock().unwrap().clone();
    let answer = match tamper {
        Tamper::Nothing => answer,
        Tamper::Replay if validation => {
            let mut first = replayed.lock().unwrap();
            first.get_or_insert(answer).clone()
        }
        Tamper::Replay => answer,
        Tamper::StripSignature => rewrite(&answer, |h, b| {
            (
                h.lines()
                    .filter(|l| !l.to_ascii_lowercase().starts_with("keyseat-signature"))
                    .collect::<Vec<_>>()
                    .join("\r\n"),
                b,
            )
        }),
        Tamper::Body(from, to) => rewrite(&answer, |h, b| {
            (
                h,
                String::from_utf8_lossy(&b)
                    .replacen(&from, &to, 1)
                    .into_bytes(),
            )
        }),
    };
    let mut client = reader.into_inner();
    client.write_all(&answer)?;
    client.flush()
}

/// An HTTP answer with its head and body rewritten, and its length fixed.
fn rewrite(answer: &[u8], edit: impl FnOnce(String, Vec<u8>) -> (String, Vec<u8>)) -> Vec<u8> {
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let head = String::from_utf8_lossy(&answer[..at]).into_owned();
    let body = answer.get(at + 4..).unwrap_or_default().to_vec();
    let (head, body) = edit(head, body);
    let head: Vec<&str> = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length"))
        .collect();
    let mut out = format!(
        "{}\r\ncontent-length: {}\r\n\r\n",
        head.join("\r\n"),
        body.len()
    )
    .into_bytes();
    out.extend(body);
    out
}
