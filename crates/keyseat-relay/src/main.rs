//! `keyseat-relay serve …` runs the relay; `keyseat-relay keygen FILE` makes a signing key;
//! `keyseat-relay offline sign|release FILE …` serves offline activation for a seller with
//! no web page. See `keyseat-relay --help` and the README's "Run your relay".

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use keyseat_relay::config::{Secret, ServeArgs, secret};
use keyseat_relay::{Relay, Settings};

#[derive(Parser)]
#[command(name = "keyseat-relay", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the relay until SIGINT or SIGTERM. The first line on stdout is
    /// `listening on http://ADDR` (`https://` with --tls-cert).
    Serve(Box<ServeArgs>),
    /// Writes a new signing key to FILE (which must not exist; readable only by its owner)
    /// and prints its public key, the 64 hex characters an app pins.
    Keygen {
        /// Where to write the key.
        file: std::path::PathBuf,
    },
    /// Offline activation for machines that never go online, with the same settings as
    /// serve (the database, the keys, Dodo).
    #[command(subcommand)]
    Offline(Offline),
}

#[derive(Subcommand)]
enum Offline {
    /// Turns a customer's offline request (from `licensectl offline-request`, or the app)
    /// into a machine file, spending a seat with Dodo's activation, and prints it (or
    /// writes it to --out). The same request again gives the same file.
    Sign {
        /// The request file (`-` for stdin).
        request: std::path::PathBuf,
        /// Where to write the machine file (default: stdout).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        settings: Box<ServeArgs>,
    },
    /// Frees the seat of an offline activation removed from its machine, from the proof
    /// `licensectl offline-deactivate` wrote; once.
    Release {
        /// The proof file (`-` for stdin).
        proof: std::path::PathBuf,
        #[command(flatten)]
        settings: Box<ServeArgs>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Keygen { file } => match keyseat_relay::signing::keygen(&file) {
            Ok(key) => {
                println!("{}", key.public_hex());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("keyseat-relay: {e}");
                ExitCode::from(1)
            }
        },
        Command::Offline(command) => match offline(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("keyseat-relay: {e}");
                ExitCode::from(1)
            }
        },
        Command::Serve(args) => match serve(*args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("keyseat-relay: {e}");
                ExitCode::from(1)
            }
        },
    }
}

/// The settings of `serve`: the flags, and the secrets from their files or variables.
fn settings(args: &ServeArgs) -> Result<Settings, String> {
    let signing_keys = if args.signing_key_files.is_empty() {
        let all = secret(None, "KEYSEAT_RELAY_SIGNING_KEY", "a signing key")?;
        all.expose().split(',').map(Secret::new).collect()
    } else {
        args.signing_key_files
            .iter()
            .map(|f| secret(Some(f), "KEYSEAT_RELAY_SIGNING_KEY", "a signing key"))
            .collect::<Result<Vec<_>, _>>()?
    };
    let api_key = secret(
        args.api_key_file.as_deref(),
        "KEYSEAT_RELAY_API_KEY",
        "Dodo's API key",
    )?;
    let webhook = secret(
        args.webhook_secret_file.as_deref(),
        "KEYSEAT_RELAY_WEBHOOK_SECRET",
        "the webhook secret",
    )?;
    Ok(Settings {
        listen: args.listen,
        database: args.database.clone(),
        signing_keys,
        api_key,
        webhook_secrets: webhook
            .expose()
            .split_whitespace()
            .map(Secret::new)
            .collect(),
        upstream_url: args.upstream_url.clone(),
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        freshness: args.freshness,
        max_staleness: args.max_staleness,
        client_limit_per_ip: args.client_limit_per_ip,
        client_limit_per_key: args.client_limit_per_key,
        upstream_public_rate: args.upstream_public_rate,
        upstream_api_rate: args.upstream_api_rate,
        max_body_bytes: args.max_body_bytes,
        trust_forwarded_for: args.trust_forwarded_for,
        offline_validity: args.offline_validity,
    })
}

fn serve(args: ServeArgs) -> Result<(), String> {
    keyseat_relay::logging::init(args.log_format);
    let settings = settings(&args)?;
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let relay = Relay::new(settings).await?;
        let listener = relay
            .bind()
            .await
            .map_err(|e| format!("{}: {e}", args.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        {
            use std::io::Write as _;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "listening on {scheme}://{addr}");
            let _ = out.flush();
        }
        tracing::info!(%addr, keys = ?relay.public_keys(), "serving");
        relay.serve(listener, shutdown()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// `offline sign` and `offline release`.
fn offline(command: Offline) -> Result<(), String> {
    let read = |path: &std::path::Path| -> Result<String, String> {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| format!("stdin: {e}"))?;
            Ok(text)
        } else {
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
        }
    };
    let args = match &command {
        Offline::Sign { settings, .. } | Offline::Release { settings, .. } => settings,
    };
    keyseat_relay::logging::init(args.log_format);
    let settings = settings(args)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let relay = Relay::new(settings).await?;
        match &command {
            Offline::Sign { request, out, .. } => {
                let file = relay.offline_sign(&read(request)?).await?;
                match out {
                    Some(path) => std::fs::write(path, &file)
                        .map_err(|e| format!("{}: {e}", path.display()))?,
                    None => print!("{file}"),
                }
            }
            Offline::Release { proof, .. } => {
                let (instance, already) = relay.offline_release(&read(proof)?).await?;
                if already {
                    println!("{instance} was released before: its seat is free");
                } else {
                    println!("released {instance}: its seat is free again");
                }
            }
        }
        Ok(())
    })
}

/// Completes at SIGINT or SIGTERM.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
