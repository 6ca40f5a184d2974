//! `keyseat-emulator --listen 127.0.0.1:0 --keys keys.json [--tls [--ca-out PATH]]`: serves
//! Dodo's, Lemon Squeezy's and Polar's license paths until killed. The first line on stdout is `listening on http://ADDR` (`https://` with
//! `--tls`); with `--tls` the second is `ca certificate at PATH`, the PEM file a client must
//! trust.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use keyseat_emulator::{Emulator, load_keys};

const USAGE: &str = "usage: keyseat-emulator [--listen ADDR] [--keys FILE] [--tls [--ca-out PATH]]

  --listen ADDR   address to serve on (default 127.0.0.1:0, a free port)
  --keys FILE     JSON array of license keys to serve, of any provider (default: none)
  --tls           serve HTTPS with a throwaway CA made at start
  --ca-out PATH   where to write that CA as PEM (default: a new file in the temp directory)";

fn main() -> ExitCode {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut keys: Option<PathBuf> = None;
    let mut tls = false;
    let mut ca_out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--tls" {
            tls = true;
            continue;
        }
        match (arg.as_str(), args.next()) {
            ("--listen", Some(v)) => match v.parse() {
                Ok(a) => listen = a,
                Err(_) => return usage(&format!("not an address: {v}")),
            },
            ("--keys", Some(v)) => keys = Some(PathBuf::from(v)),
            ("--ca-out", Some(v)) => ca_out = Some(PathBuf::from(v)),
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
    println!("listening on {}", emulator.url());
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
        println!("ca certificate at {}", path.display());
    }
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("keyseat-emulator: {msg}\n{USAGE}");
    ExitCode::from(2)
}
