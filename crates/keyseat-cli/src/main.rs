//! `licensectl`: activate, check, deactivate and watch a keyseat license from the command
//! line, with the same app identity (and so the same cache and credentials) as the app's own
//! linked library. A thin shell over [`keyseat::Licensor`]: no policy lives here.

/// `println!` that ends the process quietly when stdout's reader has gone away
/// (`licensectl … | more` quit early): see [`stdout_line`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::stdout_line(format_args!($($arg)*))
    };
}

mod demo;
mod failure;
mod offline;
mod output;
mod watch;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use failure::Failure;
use keyseat::api::{Environment, Provider, TrustStore};
use keyseat::{App, KeyStorage, Licensor};
use serde_json::json;

use output::{exit, state_exit};

const EXIT_CODES: &str = "Exit codes:
  0  licensed (active or in grace), or the command succeeded
  1  other failure (local storage, I/O)
  2  usage error, or a vendor secret that is not the app's
  3  not activated (or an earlier release's activation nothing vouches for: activate again)
  4  revoked by the server
  5  grace period expired (offline too long)
  6  tampered license data, fingerprint mismatch or clock rollback
  7  license server unreachable, its certificate untrusted, its answer not signed as it
     must be (Keygen), or activation outcome unknown
  8  refused: unknown key, limit reached, inactive key, or a key of another product
  9  no activation, and the local trial has ended
(`seats` for a provider that cannot list seats: 2.)

The vendor secret (the app's .vendor_secret(...)) comes from KEYSEAT_VENDOR_SECRET or
--vendor-secret-file, never from an argument, which other users can read in the process list.";

/// The environment variable holding the vendor secret.
const VENDOR_SECRET_ENV: &str = "KEYSEAT_VENDOR_SECRET";

#[derive(Parser)]
#[command(name = "licensectl", version, about, after_help = EXIT_CODES)]
struct Cli {
    /// The application, as qualifier.organisation.application (e.g. com.example.PhotoTool).
    #[arg(long, env = "LICENSECTL_APP", global = true)]
    app: Option<String>,
    /// Who sold the keys.
    #[arg(long, value_enum, default_value_t = ProviderName::Dodo, global = true)]
    provider: ProviderName,
    /// The seller's account: the Lemon Squeezy store id, the Polar organization id, or the
    /// Keygen account id. Required for those providers.
    #[arg(long, value_name = "ID", global = true)]
    account: Option<String>,
    /// Keygen and the relay only, and required for them: an Ed25519 public key (64
    /// hexadecimal characters) the answers must be signed by: the Keygen account's, or the
    /// relay's (repeat for the keys of a rotation). Unsigned answers are refused.
    #[arg(long = "public-key", value_name = "HEX", global = true, action = clap::ArgAction::Append)]
    public_keys: Vec<String>,
    /// Which of the provider's servers.
    #[arg(long = "env", value_enum, default_value_t = Env::Live, global = true)]
    environment: Env,
    /// Another server (https://, or http:// on loopback), e.g. the emulator; for the relay,
    /// the relay's own URL (required).
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// A product id whose keys the app accepts (Dodo pdt_..., a Lemon Squeezy product id, a
    /// Polar benefit id); repeat for several. activate, status and watch need this or
    /// --any-product.
    #[arg(long = "product", value_name = "ID", global = true, action = clap::ArgAction::Append)]
    products: Vec<String>,
    /// Lemon Squeezy only: a variant id whose keys the app accepts; repeat for several.
    /// Without it, every variant of the accepted products is.
    #[arg(long = "variant", value_name = "ID", global = true, action = clap::ArgAction::Append)]
    variants: Vec<String>,
    /// Accept keys of any product (a support tool, not the licensed app itself).
    #[arg(long, global = true, conflicts_with = "products")]
    any_product: bool,
    /// Read the app's vendor secret from this file (its bytes, less one trailing newline).
    /// Or set KEYSEAT_VENDOR_SECRET.
    #[arg(long, value_name = "PATH", global = true)]
    vendor_secret_file: Option<PathBuf>,
    /// Also trust the CA certificates in this PEM file (a TLS-inspecting proxy's CA).
    #[arg(long, value_name = "PATH", global = true)]
    ca_file: Option<PathBuf>,
    /// Where trusted root certificates come from: the Mozilla roots built in (bundled), or
    /// the operating system's store (system).
    #[arg(long, value_enum, default_value_t = Trust::Bundled, global = true)]
    trust_store: Trust,
    /// Override the data directory.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Where the license key is kept.
    #[arg(long, value_enum, default_value_t = Storage::Keyring, global = true)]
    key_storage: Storage,
    /// Print JSON objects instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Log records to stderr (-vv for debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Env {
    Live,
    Test,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProviderName {
    Dodo,
    #[value(name = "lemonsqueezy")]
    LemonSqueezy,
    Polar,
    Keygen,
    /// The seller's own keyseat-relay, in front of Dodo Payments.
    Relay,
}

impl ProviderName {
    /// The name keyseat gives the provider.
    fn name(self) -> &'static str {
        match self {
            ProviderName::Dodo => "dodo",
            ProviderName::LemonSqueezy => "lemonsqueezy",
            ProviderName::Polar => "polar",
            ProviderName::Keygen => "keygen",
            ProviderName::Relay => "relay",
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Trust {
    Bundled,
    System,
}

#[derive(Clone, Copy, ValueEnum)]
enum Storage {
    Keyring,
    File,
}

#[derive(Subcommand)]
enum Command {
    /// Activate a license key on this machine (`-` reads it from stdin).
    Activate {
        /// The key, or `-` to read it from stdin (keeps it out of shell history).
        key: String,
    },
    /// Show the license state (exit code says it too).
    Status {
        /// Never touch the network.
        #[arg(long, conflicts_with = "refresh")]
        offline: bool,
        /// Ask the server now, whatever the age of the cache.
        #[arg(long)]
        refresh: bool,
    },
    /// Release this machine's activation, or with --instance another machine's.
    Deactivate {
        /// Remove local state even if the server cannot be reached.
        #[arg(long, conflicts_with = "instance")]
        force: bool,
        /// Free the seat of this instance (another machine's: `licensectl status` there shows
        /// its id), reading the key from stdin.
        #[arg(long, value_name = "ID")]
        instance: Option<String>,
    },
    /// List the key's seats: which machines hold them, and which is this one (the relay
    /// and Keygen; other providers cannot list them).
    Seats {
        /// The key, or `-` to read it from stdin; by default this machine's activation's.
        key: Option<String>,
    },
    /// Write a request to activate a key on this machine offline, through the seller's
    /// relay (--provider relay): take it to the relay's page, bring back its machine file.
    OfflineRequest {
        /// The key, or `-` to read it from stdin.
        key: String,
        /// Write the request to this file (default: stdout).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Activate this machine from the relay's machine file, with no network; reads the key
    /// from stdin.
    OfflineActivate {
        /// The machine file.
        file: PathBuf,
    },
    /// Remove this machine's offline activation and write the proof that frees its seat at
    /// the relay (its page).
    OfflineDeactivate {
        /// Write the proof to this file (default: stdout).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Show this machine's fingerprint for the app.
    Fingerprint {
        /// Show each component's hash.
        #[arg(long)]
        components: bool,
    },
    /// Revalidate on an interval and print one line per state change, until SIGINT/SIGTERM.
    Watch {
        /// How often to revalidate: 500ms, 30s, 15m, 1h, 1d.
        #[arg(long, default_value = "1h", value_parser = watch::parse_duration)]
        interval: Duration,
    },
    /// Walk through the whole lifecycle against a built-in local server.
    Demo,
}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of stdout goes away
    // (`licensectl demo | head`) instead of panicking in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE disposition before any thread is started; no
    // handler code of ours is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    init_logging(cli.verbose);
    if matches!(cli.command, Command::Demo) {
        return ExitCode::from(demo::run());
    }
    let code = match licensor(&cli).and_then(|l| run(&cli, &l)) {
        Ok(code) => code,
        Err(failure) => {
            failure.report(cli.json);
            failure.exit_code()
        }
    };
    ExitCode::from(code)
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure::Usage(msg.into())
}

fn licensor(cli: &Cli) -> Result<Licensor, Failure> {
    let app = cli.app.as_deref().ok_or_else(|| {
        usage("--app (or LICENSECTL_APP) is required, e.g. --app com.example.PhotoTool")
    })?;
    let environment = match (&cli.base_url, cli.environment) {
        (Some(url), _) => Environment::Custom(url.clone()),
        (None, Env::Live) => Environment::Live,
        (None, Env::Test) => Environment::Test,
    };
    let app = App::parse(app).map_err(|e| usage(e.to_string()))?;
    let public_keys: Vec<&str> = cli.public_keys.iter().map(String::as_str).collect();
    let provider = Provider::from_settings(
        cli.provider.name(),
        cli.account.as_deref(),
        &public_keys,
        cli.base_url.as_deref(),
    )
    .map_err(|e| usage(e.to_string()))?;
    let mut b = Licensor::builder(app)
        .observe_trial()
        .report_other_vendor_secret()
        .provider(provider)
        .variant_ids(&cli.variants)
        .environment(environment)
        .vendor_secret(vendor_secret(cli.vendor_secret_file.as_deref())?)
        .trust_store(match cli.trust_store {
            Trust::Bundled => TrustStore::Bundled,
            Trust::System => TrustStore::System,
        })
        .key_storage(match cli.key_storage {
            Storage::Keyring => KeyStorage::Keyring,
            Storage::File => KeyStorage::File,
        });
    let needs_product = matches!(
        cli.command,
        Command::Activate { .. }
            | Command::Status { .. }
            | Command::Watch { .. }
            | Command::OfflineActivate { .. }
    );
    b = match (cli.products.is_empty(), cli.any_product) {
        (false, _) => b.product_ids(&cli.products),
        (true, true) => b.any_product(),
        (true, false) if needs_product => {
            return Err(usage(
                "which products' keys does the app accept? Pass --product ID (the app's product \
                 id, or Polar benefit id; repeat for several), or --any-product",
            ));
        }
        // deactivate and fingerprint work whatever the product.
        (true, false) => b.any_product(),
    };
    if let Some(dir) = &cli.data_dir {
        b = b.data_dir(dir);
    }
    if let Some(path) = &cli.ca_file {
        b = b.ca_file(path);
    }
    Ok(b.build()?)
}

/// The vendor secret: from the file, else from the environment, else none.
fn vendor_secret(file: Option<&std::path::Path>) -> Result<Vec<u8>, Failure> {
    let from_env = std::env::var_os(VENDOR_SECRET_ENV);
    match (file, from_env) {
        (Some(_), Some(_)) => Err(usage(format!(
            "give the vendor secret once: --vendor-secret-file or {VENDOR_SECRET_ENV}, not both"
        ))),
        (Some(path), None) => {
            let mut bytes = std::fs::read(path)
                .map_err(|e| usage(format!("--vendor-secret-file {}: {e}", path.display())))?;
            for end in [b'\n', b'\r'] {
                if bytes.last() == Some(&end) {
                    bytes.pop();
                }
            }
            Ok(bytes)
        }
        (None, Some(value)) => Ok(value.into_encoded_bytes()),
        (None, None) => Ok(Vec::new()),
    }
}

fn run(cli: &Cli, licensor: &Licensor) -> Result<u8, Failure> {
    match &cli.command {
        Command::Activate { key } => {
            let key = if key == "-" {
                read_stdin_key()?
            } else {
                key.clone()
            };
            let status = licensor.activate(&key)?;
            print_status(cli.json, &status);
            Ok(state_exit(&status.state))
        }
        Command::Status { offline, refresh } => {
            let status = if *offline {
                licensor.check_offline()?
            } else if *refresh {
                licensor.revalidate()?
            } else {
                licensor.check()?
            };
            print_status(cli.json, &status);
            Ok(state_exit(&status.state))
        }
        Command::Deactivate {
            force: _,
            instance: Some(instance),
        } => {
            let key = read_stdin_key()?;
            let outcome = licensor.release_instance(&key, instance)?;
            if cli.json {
                say!(
                    "{}",
                    json!({ "deactivated": true, "outcome": outcome.name(), "instance_id": instance.trim() })
                );
            } else {
                say!("{}", output::release_text(outcome, instance.trim()));
            }
            Ok(exit::OK)
        }
        Command::Deactivate {
            force,
            instance: None,
        } => {
            let outcome = licensor.deactivate(*force)?;
            if cli.json {
                say!(
                    "{}",
                    json!({ "deactivated": true, "outcome": outcome.name() })
                );
            } else {
                say!("{}", output::deactivation_text(outcome));
            }
            Ok(exit::OK)
        }
        Command::Fingerprint { components } => {
            let f = licensor.fingerprint();
            if cli.json {
                let mut v = json!({
                    "fingerprint": f.id(),
                    "short": f.short(),
                    "instance_name": f.instance_name(true),
                    "confidence": f.confidence(),
                    "host_kind": f.host_kind(),
                });
                if *components {
                    v["components"] = serde_json::to_value(f.components()).unwrap_or_default();
                }
                say!("{v}");
            } else {
                say!("fingerprint: {}", f.id());
                say!("  short          {}", f.short());
                say!("  instance name  {}", f.instance_name(true));
                say!("  confidence     {:?}", f.confidence());
                say!("  host           {:?}", f.host_kind());
                if *components {
                    let c = f.components();
                    let hex = |d: Option<keyseat::fingerprint::Digest>| {
                        d.map_or("-".to_owned(), |d| d.to_hex())
                    };
                    say!("  machine_id     {}", c.machine_id.to_hex());
                    say!("  hostname       {}", hex(c.hostname));
                    say!("  os             {}", hex(c.os));
                    say!("  cpu            {}", hex(c.cpu));
                    say!("  ram            {}", hex(c.ram));
                    say!("  mac            {}", hex(c.mac));
                }
            }
            Ok(exit::OK)
        }
        Command::Seats { key } => {
            let key = match key.as_deref() {
                Some("-") => Some(read_stdin_key()?),
                other => other.map(str::to_owned),
            };
            let seats = licensor.seats(key.as_deref())?;
            if cli.json {
                say!("{}", output::seats_json(&seats));
            } else {
                say!("{}", output::seats_text(&seats));
            }
            Ok(exit::OK)
        }
        Command::OfflineRequest { key, out } => {
            let key = if key == "-" {
                read_stdin_key()?
            } else {
                key.clone()
            };
            offline::request(licensor, &key, out.as_deref())
        }
        Command::OfflineActivate { file } => {
            offline::activate(licensor, cli.json, &read_stdin_key()?, file)
        }
        Command::OfflineDeactivate { out } => {
            offline::deactivate(licensor, cli.json, out.as_deref())
        }
        Command::Watch { interval } => watch::run(cli.json, licensor, *interval),
        Command::Demo => Ok(exit::OK),
    }
}

fn print_status(json_out: bool, status: &keyseat::LicenseStatus) {
    if json_out {
        say!("{}", output::status_json(status));
    } else {
        say!("{}", output::status_text(status));
    }
}

fn read_stdin_key() -> Result<String, Failure> {
    let mut s = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut s)
        .map_err(|e| Failure::System {
            what: "reading the key from stdin",
            detail: e.to_string(),
        })?;
    Ok(s)
}

/// Writes one line to stdout. When the reader has gone away (a closed pipe), the process
/// ends quietly with [`exit::OTHER`] instead of panicking as `println!` does: on Unix the
/// default SIGPIPE ends it before this is reached, but Windows has no SIGPIPE. Other write
/// errors are ignored, as there is nowhere left to report them.
pub(crate) fn stdout_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(i32::from(exit::OTHER));
    }
}

/// Log records to stderr, when asked for with -v.
struct StderrLog(log::LevelFilter);

impl log::Log for StderrLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= self.0
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            eprintln!("[{} {}] {}", r.level(), r.target(), r.args());
        }
    }
    fn flush(&self) {}
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    };
    if log::set_boxed_logger(Box::new(StderrLog(level))).is_ok() {
        log::set_max_level(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
