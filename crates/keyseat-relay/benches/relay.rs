//! The relay's figures (issue 28), against the emulator as Dodo:
//!
//! 1. signed validations a second answered from the store, on SQLite (goal: at least 5,000 a
//!    second on a 2-core machine, load generator included) and on PostgreSQL when
//!    `KEYSEAT_TEST_POSTGRES_URL` names one;
//! 2. the latency the relay adds to a validation Dodo answers (p50, p99): through the relay
//!    with no freshness window, against Dodo (the emulator) asked directly;
//! 3. for 1,000 instances validated 10 times each, the calls to Dodo: at most one per instance
//!    per freshness window, and never over the budget.
//!
//! `cargo bench -p keyseat-relay --bench relay`; `KS_BENCH_QUICK=1` for CI's short run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keyseat::api::{Client, Environment, Provider, RetryPolicy};
use keyseat::{InstanceId, LicenseKey};
use keyseat_emulator::{Emulator, Endpoint, KeySpec};
use keyseat_relay::config::{Rate, Secret};
use keyseat_relay::{Settings, Spawned};

const API_KEY: &str = "bench-api-key";

fn settings(upstream: &str, database: &str, freshness: Duration, public: Rate) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: database.to_owned(),
        signing_keys: vec![Secret::new(&"33".repeat(32))],
        api_key: Secret::new(API_KEY),
        webhook_secrets: vec![Secret::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")],
        upstream_url: upstream.to_owned(),
        tls: None,
        freshness,
        max_staleness: Duration::from_secs(86_400),
        client_limit_per_ip: 0,
        client_limit_per_key: 0,
        upstream_public_rate: public,
        upstream_api_rate: Rate {
            per_second: 40,
            per_minute: 240,
        },
        max_body_bytes: 16 * 1024,
        trust_forwarded_for: false,
        offline_validity: Duration::from_secs(365 * 86_400),
    }
}

/// A budget no setup runs into.
const UNLIMITED: Rate = Rate {
    per_second: 1_000_000,
    per_minute: 60_000_000,
};

/// Dodo's documented budget for the public calls.
const DODO: Rate = Rate {
    per_second: 20,
    per_minute: 100,
};

/// An activation made through the relay: its key, instance and machine.
struct Seat {
    key: String,
    instance: String,
    machine: String,
}

/// `n` activations through the relay, of `keys` keys.
fn activate(relay: &Spawned, keys: usize, n: usize) -> Vec<Seat> {
    let client = Client::builder()
        .provider(Provider::relay(
            relay.url(),
            relay.public_keys().iter().cloned(),
        ))
        .build()
        .unwrap();
    (0..n)
        .map(|i| {
            let key = format!("BENCH-KEY-{:06}", i % keys);
            let machine = format!("{i:064x}");
            let a = client
                .activate_machine(&LicenseKey::new(&key).unwrap(), "bench", Some(&machine))
                .unwrap();
            Seat {
                key,
                instance: a.id.as_str().to_owned(),
                machine,
            }
        })
        .collect()
}

fn emulator(keys: usize) -> Emulator {
    let specs = (0..keys)
        .map(|i| KeySpec::new(&format!("BENCH-KEY-{i:06}")))
        .collect();
    let emu = Emulator::start(specs).unwrap();
    emu.set_api_key(API_KEY);
    emu
}

/// A validation's body, with a fresh nonce.
fn body(seat: &Seat, n: u64) -> String {
    serde_json::json!({
        "license_key": seat.key, "license_key_instance_id": seat.instance,
        "fingerprint": seat.machine, "nonce": format!("{n:032x}"),
    })
    .to_string()
}

/// Validations a second from `threads` clients for `for_how_long`, and every answer's status
/// that was not 200.
fn throughput(url: &str, seats: &[Seat], threads: usize, for_how_long: Duration) -> f64 {
    let seats = Arc::new(
        seats
            .iter()
            .map(|s| (s.key.clone(), s.instance.clone(), s.machine.clone()))
            .collect::<Vec<_>>(),
    );
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (seats, done, failed, url) =
                (seats.clone(), done.clone(), failed.clone(), url.to_owned());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let target = format!("{url}/v1/licenses/validate");
                let mut n = t as u64 * 1_000_000_000;
                while started.elapsed() < for_how_long {
                    let (key, instance, machine) = &seats[n as usize % seats.len()];
                    let seat = Seat {
                        key: key.clone(),
                        instance: instance.clone(),
                        machine: machine.clone(),
                    };
                    n += 1;
                    let status = agent
                        .post(&target)
                        .content_type("application/json")
                        .send(body(&seat, n).as_bytes())
                        .map(status_read)
                        .unwrap_or(0);
                    if status == 200 {
                        done.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let failures = failed.load(Ordering::Relaxed);
    assert_eq!(failures, 0, "every validation answered 200");
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn store_throughput(label: &str, database: &str, quick: bool) {
    let emu = emulator(20);
    let relay = Spawned::start(settings(
        &emu.url(),
        database,
        Duration::from_secs(900),
        UNLIMITED,
    ))
    .unwrap();
    let seats = activate(&relay, 20, 100);
    let before = emu.request_count(Endpoint::Validate);
    let secs = if quick { 3 } else { 10 };
    let rate = throughput(&relay.url(), &seats, 4, Duration::from_secs(secs));
    assert_eq!(
        emu.request_count(Endpoint::Validate),
        before,
        "every answer from the store"
    );
    println!(
        "validations answered from the store ({label}): {rate:.0}/s (signed; goal for SQLite: at least 5,000/s)"
    );
}

/// The answer's status, its body read (so that the connection is kept for the next call, as
/// keyseat's client keeps it).
fn status_read(mut r: ureq::http::Response<ureq::Body>) -> u16 {
    let _ = r.body_mut().read_to_vec();
    r.status().as_u16()
}

/// Percentile `p` of sorted durations.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn added_latency(database: &str, quick: bool) {
    let emu = emulator(1);
    let relay = Spawned::start(settings(&emu.url(), database, Duration::ZERO, UNLIMITED)).unwrap();
    let seat = &activate(&relay, 1, 1)[0];
    let key = LicenseKey::new(&seat.key).unwrap();
    let instance = InstanceId::new(seat.instance.clone()).unwrap();
    let via_relay = Client::builder()
        .provider(Provider::relay(
            relay.url(),
            relay.public_keys().iter().cloned(),
        ))
        .build()
        .unwrap();
    let direct = Client::builder()
        .environment(Environment::Custom(emu.url()))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let n = if quick { 200 } else { 1000 };
    let (mut relayed, mut straight, mut stored) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        assert!(
            via_relay
                .validate_machine(&key, Some(&instance), Some(&seat.machine))
                .unwrap()
                .valid
        );
        relayed.push(t.elapsed());
        let t = Instant::now();
        assert!(direct.validate(&key, Some(&instance)).unwrap().valid);
        straight.push(t.elapsed());
    }
    // The same machine through a relay with the default window: answered from its store.
    let fresh = Spawned::start(settings(
        &emu.url(),
        database,
        Duration::from_secs(900),
        UNLIMITED,
    ))
    .unwrap();
    let via_fresh = Client::builder()
        .provider(Provider::relay(
            fresh.url(),
            fresh.public_keys().iter().cloned(),
        ))
        .build()
        .unwrap();
    for _ in 0..n {
        let t = Instant::now();
        assert!(
            via_fresh
                .validate_machine(&key, Some(&instance), Some(&seat.machine))
                .unwrap()
                .valid
        );
        stored.push(t.elapsed());
    }
    relayed.sort();
    straight.sort();
    stored.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
        let (r, s) = (pct(&relayed, p), pct(&straight, p));
        println!(
            "a validation the relay asks Dodo about (no freshness window: the validation and the key's facts), {name}: {:.2} ms through the relay, {:.2} ms direct: the relay adds {:.2} ms",
            ms(r),
            ms(s),
            ms(r.saturating_sub(s))
        );
    }
    println!(
        "a validation answered from the relay's store (the usual case): p50 {:.2} ms, p99 {:.2} ms",
        ms(pct(&stored, 0.5)),
        ms(pct(&stored, 0.99))
    );
}

fn upstream_calls() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("calls.db").display());
    // The figure even in quick mode: it takes a few seconds.
    let (instances, keys) = (1000, 100);
    let emu = emulator(keys);
    let seats = {
        let setup = Spawned::start(settings(
            &emu.url(),
            &database,
            Duration::from_secs(900),
            UNLIMITED,
        ))
        .unwrap();
        activate(&setup, keys, instances)
    };
    age_confirmations(&database, 3600);
    let relay = Spawned::start(settings(
        &emu.url(),
        &database,
        Duration::from_secs(900),
        DODO,
    ))
    .unwrap();
    let (validations, api) = (
        emu.request_count(Endpoint::Validate),
        emu.api_request_count(),
    );
    let started = Instant::now();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut statuses = std::collections::BTreeMap::new();
    for round in 0..10u64 {
        for (i, seat) in seats.iter().enumerate() {
            let status = agent
                .post(&format!("{}/v1/licenses/validate", relay.url()))
                .content_type("application/json")
                .send(body(seat, round * 1_000_000 + i as u64).as_bytes())
                .map(status_read)
                .unwrap_or(0);
            *statuses.entry(status).or_insert(0u32) += 1;
        }
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let public = emu.request_count(Endpoint::Validate) - validations;
    let api = emu.api_request_count() - api;
    let budget = (DODO.per_minute as f64 * minutes.max(1.0)).ceil() as u64;
    println!(
        "{instances} instances ({keys} keys) validated 10 times each in {:.1} s: {public} validate calls to Dodo \
         (at most one per instance per 15-minute window: {}; budget {} a minute: {}), {api} API-key calls; answers {statuses:?}",
        minutes * 60.0,
        public as usize <= instances,
        DODO.per_minute,
        public <= budget,
    );
    assert!(public as usize <= instances && public <= budget);
}

/// Makes every confirmation of the relay at `database` `secs` older.
fn age_confirmations(database: &str, secs: i64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(database).await.unwrap();
        sqlx::query("UPDATE instances SET confirmed_at = confirmed_at - $1")
            .bind(secs)
            .execute(&pool)
            .await
            .unwrap();
    });
}

fn main() {
    let quick = std::env::var_os("KS_BENCH_QUICK").is_some();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    store_throughput("SQLite", &sqlite, quick);
    match std::env::var("KEYSEAT_TEST_POSTGRES_URL") {
        Ok(url) => store_throughput("PostgreSQL", &url, quick),
        Err(_) => println!(
            "validations answered from the store (PostgreSQL): not measured (KEYSEAT_TEST_POSTGRES_URL unset)"
        ),
    }
    let latency_db = format!("sqlite://{}", dir.path().join("latency.db").display());
    added_latency(&latency_db, quick);
    upstream_calls();
}
