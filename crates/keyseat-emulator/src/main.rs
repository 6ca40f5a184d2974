//! `keyseat-emulator --listen 127.0.0.1:0 --keys keys.json [--keygen-signing-key FILE]
//! [--tls [--ca-out PATH]] [--api-key KEY] [--rate-limits] [--webhook-url URL
//! --webhook-secret whsec_…]`: serves Dodo's, Lemon Squeezy's, Polar's and Keygen's license
//! paths (and Dodo's API-key endpoints, with `--api-key`) until killed. The first line on stdout is `listening on http://ADDR` (`https://`
//! with `--tls`); the second is `keygen public key: <64 hex>`, the key Keygen's answers are
//! signed with; with `--tls` the third is `ca certificate at PATH`, the PEM file a client
//! must trust.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use keyseat_emulator::{Emulator, load_keys};

const USAGE: &str =
    "usage: keyseat-emulator [--listen ADDR] [--keys FILE] [--keygen-signing-key FILE]
                        [--tls [--ca-out PATH]]

  --listen ADDR   address to serve on (default 127.0.0.1:0, a free port)
  --keys FILE     JSON array of license keys to serve, of any provider (default: none)
  --keygen-signing-key FILE
                  the Ed25519 seed (32 bytes as 64 hex characters) Keygen's answers are
                  signed with (default: a new key, printed as `keygen public key: HEX`)
  --tls           serve HTTPS with a throwaway CA made at start
  --ca-out PATH   where to write that CA as PEM (default: a new file in the temp directory)
  --api-key KEY   serve Dodo's API-key endpoints (license keys, instances, entitlement
                  grants) to `Authorization: Bearer KEY` (default: refuse every call, 401)
  --rate-limits   keep Dodo's documented rate limits (public calls 20/s and 100/min per IP,
                  API-key calls 40/s and 240/min), answering 429 with X-RateLimit-* headers
  --webhook-url URL, --webhook-secret whsec_...
                  send Dodo's webhooks (Standard Webhooks) there when a Dodo key is added,
                  disabled, enabled or expired";

fn main() -> ExitCode {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut keys: Option<PathBuf> = None;
    let mut tls = false;
    let mut ca_out: Option<PathBuf> = None;
    let mut signing_key: Option<PathBuf> = None;
    let mut api_key: Option<String> = None;
    let mut rate_limits = false;
    let mut webhook_url: Option<String> = None;
    let mut webhook_secret: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--tls" {
            tls = true;
            continue;
        }
        if arg == "--rate-limits" {
            rate_limits = true;
            continue;
        }
        match (arg.as_str(), args.next()) {
            ("--listen", Some(v)) => match v.parse() {
                Ok(a) => listen = a,
                Err(_) => return usage(&format!("not an address: {v}")),
            },
            ("--keys", Some(v)) => keys = Some(PathBuf::from(v)),
            ("--ca-out", Some(v)) => ca_out = Some(PathBuf::from(v)),
            ("--keygen-signing-key", Some(v)) => signing_key = Some(PathBuf::from(v)),
            ("--api-key", Some(v)) => api_key = Some(v),
            ("--webhook-url", Some(v)) => webhook_url = Some(v),
            ("--webhook-secret", Some(v)) => webhook_secret = Some(v),
            ("-h" | "--help", _) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            (other, _) => return usage(&format!("unexpected argument: {other}")),
        }
    }
    let keys = match keys.map(|p| load_keys(&p).map_err(|e| (p, e))).transpose() {
        Ok(k) => k.unwrap_or_default(),
        Err((p, e)) => {
            eprintln!("keyseat-emulator: {}: {e}", p.display());
            return ExitCode::from(1);
        }
    };
    if ca_out.is_some() && !tls {
        return usage("--ca-out goes with --tls");
    }
    let started = if tls {
        Emulator::start_tls_on(listen, keys)
    } else {
        Emulator::start_on(listen, keys)
    };
    let emulator = match started {
        Ok(e) => e,
        Err(e) => {
            eprintln!("keyseat-emulator: cannot listen on {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(key) = &api_key {
        emulator.set_api_key(key);
    }
    if rate_limits {
        emulator.set_rate_limits(Some(keyseat_emulator::RateLimits::dodo()));
    }
    match (&webhook_url, &webhook_secret) {
        (Some(url), Some(secret)) => {
            if let Err(e) = emulator.set_webhook(url, secret) {
                return usage(&format!("--webhook-secret: {e}"));
            }
        }
        (None, None) => {}
        _ => return usage("--webhook-url and --webhook-secret go together"),
    }
    if let Some(path) = &signing_key {
        let seed = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| hex::decode(text.trim()).map_err(|e| e.to_string()))
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).map_err(|_| "not 32 bytes".to_owned()));
        let used = seed.and_then(|seed| emulator.use_keygen_seed(&seed).map_err(|e| e.to_string()));
        if let Err(e) = used {
            return usage(&format!("--keygen-signing-key {}: {e}", path.display()));
        }
    }
    // A reader that stops after the line it needs must not end the server: write errors
    // (a closed pipe) are ignored.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", emulator.url());
    let _ = writeln!(out, "keygen public key: {}", emulator.keygen_public_key());
    if let Some(pem) = emulator.ca_pem() {
        let path = ca_out.unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "keyseat-emulator-ca-{}.pem",
                emulator.addr().port()
            ))
        });
        if let Err(e) = std::fs::write(&path, pem) {
            eprintln!("keyseat-emulator: {}: {e}", path.display());
            return ExitCode::from(1);
        }
        let _ = writeln!(out, "ca certificate at {}", path.display());
    }
    let _ = out.flush();
    loop {
        std::thread::park();
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("keyseat-emulator: {msg}\n{USAGE}");
    ExitCode::from(2)
}
