//! `licensekit-emulator --listen 127.0.0.1:0 --keys keys.json`: serves until killed. The first
//! line on stdout is `listening on http://ADDR`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use licensekit_emulator::{Emulator, load_keys};

const USAGE: &str = "usage: licensekit-emulator [--listen ADDR] [--keys FILE]

  --listen ADDR   address to serve on (default 127.0.0.1:0, a free port)
  --keys FILE     JSON array of license keys to serve (default: none)";

fn main() -> ExitCode {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut keys: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--listen", Some(v)) => match v.parse() {
                Ok(a) => listen = a,
                Err(_) => return usage(&format!("not an address: {v}")),
            },
            ("--keys", Some(v)) => keys = Some(PathBuf::from(v)),
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
            eprintln!("licensekit-emulator: {}: {e}", p.display());
            return ExitCode::from(1);
        }
    };
    let emulator = match Emulator::start_on(listen, keys) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("licensekit-emulator: cannot listen on {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    println!("listening on {}", emulator.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("licensekit-emulator: {msg}\n{USAGE}");
    ExitCode::from(2)
}
