//! The relay's settings: flags, each also from an environment variable, and the three secrets
//! (signing keys, Dodo's API key, the webhook secret) from files or the environment, never
//! from an argument (which every user of the machine can read in the process list).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use zeroize::Zeroizing;

/// A secret: its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret `text`, trimmed.
    pub fn new(text: &str) -> Secret {
        Secret(Zeroizing::new(text.trim().to_owned()))
    }

    /// The secret itself: never log or show it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// `keyseat-relay serve`'s flags.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to serve on.
    #[arg(long, env = "KEYSEAT_RELAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The database: `sqlite://PATH` (created if missing; by default a file in the working
    /// directory) or `postgres://…` (several replicas share one).
    #[arg(
        long,
        env = "KEYSEAT_RELAY_DATABASE_URL",
        default_value = "sqlite://keyseat-relay.db"
    )]
    pub database: String,
    /// A file holding a signing key (64 hex characters, from `keyseat-relay keygen`); repeat
    /// for a rotation: the first that a client accepts signs its answers. Or
    /// KEYSEAT_RELAY_SIGNING_KEY (keys separated by commas).
    #[arg(long = "signing-key-file", value_name = "FILE")]
    pub signing_key_files: Vec<PathBuf>,
    /// A file holding Dodo's API key. Or KEYSEAT_RELAY_API_KEY.
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// A file holding the webhook secret (`whsec_…`). Or KEYSEAT_RELAY_WEBHOOK_SECRET.
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Dodo's server.
    #[arg(
        long,
        env = "KEYSEAT_RELAY_UPSTREAM_URL",
        default_value = "https://live.dodopayments.com"
    )]
    pub upstream_url: String,
    /// Serve HTTPS with this certificate chain (PEM); with --tls-key.
    #[arg(long, env = "KEYSEAT_RELAY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "KEYSEAT_RELAY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// How long Dodo's confirmation of a validation is used before asking again.
    #[arg(long, env = "KEYSEAT_RELAY_FRESHNESS", default_value = "15m", value_parser = duration)]
    pub freshness: Duration,
    /// How old a confirmation may be and still answer, marked stale, when Dodo cannot be
    /// asked (its budget spent, or unreachable).
    #[arg(long, env = "KEYSEAT_RELAY_MAX_STALENESS", default_value = "24h", value_parser = duration)]
    pub max_staleness: Duration,
    /// Requests a minute from one client IP (0: no limit).
    #[arg(long, env = "KEYSEAT_RELAY_CLIENT_LIMIT_PER_IP", default_value_t = 120)]
    pub client_limit_per_ip: u32,
    /// Requests a minute about one license key (0: no limit).
    #[arg(long, env = "KEYSEAT_RELAY_CLIENT_LIMIT_PER_KEY", default_value_t = 30)]
    pub client_limit_per_key: u32,
    /// Dodo's budget for its public license calls, as calls a second and calls a minute.
    #[arg(long, env = "KEYSEAT_RELAY_UPSTREAM_PUBLIC_RATE", default_value = "20/s,100/min", value_parser = rate)]
    pub upstream_public_rate: Rate,
    /// Dodo's budget for its API-key calls, as calls a second and calls a minute.
    #[arg(long, env = "KEYSEAT_RELAY_UPSTREAM_API_RATE", default_value = "40/s,240/min", value_parser = rate)]
    pub upstream_api_rate: Rate,
    /// Largest request body, in bytes.
    #[arg(long, env = "KEYSEAT_RELAY_MAX_BODY_BYTES", default_value_t = 16 * 1024)]
    pub max_body_bytes: usize,
    /// Take the client's IP from the last `X-Forwarded-For` entry, the one the reverse proxy
    /// in front of the relay appends (with exactly one proxy in front that appends it; never
    /// otherwise, since a client can write the header).
    #[arg(long, env = "KEYSEAT_RELAY_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// How long a machine file (offline activation) licenses its machine; renewal is
    /// another file.
    #[arg(long, env = "KEYSEAT_RELAY_OFFLINE_VALIDITY", default_value = "365d", value_parser = duration)]
    pub offline_validity: Duration,
    /// Log lines as text or as JSON objects (one per line).
    #[arg(long, env = "KEYSEAT_RELAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// A budget: calls a second and calls a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Calls a second (a burst).
    pub per_second: u32,
    /// Calls a minute (sustained).
    pub per_minute: u32,
}

/// Parses `20/s,100/min`.
pub fn rate(text: &str) -> Result<Rate, String> {
    let mut rate = Rate {
        per_second: 0,
        per_minute: 0,
    };
    for part in text.split(',') {
        let (n, unit) = part
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("{part:?} is not N/s or N/min"))?;
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("{n:?} is not a number"))?;
        match unit.trim() {
            "s" => rate.per_second = n,
            "min" => rate.per_minute = n,
            other => return Err(format!("unknown unit {other:?} (s or min)")),
        }
    }
    if rate.per_second == 0 || rate.per_minute == 0 {
        return Err("give both a rate a second and a minute, above 0".into());
    }
    Ok(rate)
}

/// Parses a duration such as `15m`, `24h`, `90s` or `1h 30m`.
pub fn duration(text: &str) -> Result<Duration, String> {
    let span: jiff::Span = text
        .trim()
        .parse()
        .map_err(|e| format!("{text:?} is not a duration (15m, 24h, 90s, 365d): {e}"))?;
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| format!("{text:?} is not a fixed length of time: use s, m, h or d"))?;
    Duration::try_from(d).map_err(|_| format!("{text:?} is negative"))
}

/// A secret from `file`, else from the environment variable `var`.
///
/// # Errors
/// When neither gives one, or the file cannot be read.
pub fn secret(file: Option<&Path>, var: &str, what: &str) -> Result<Secret, String> {
    let text = match file {
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        None => Zeroizing::new(std::env::var(var).map_err(|_| {
            format!(
                "{what} is required: give --{}-file or set {var}",
                flag_of(var)
            )
        })?),
    };
    let secret = Secret::new(&text);
    if secret.expose().is_empty() {
        return Err(format!("{what} is empty"));
    }
    Ok(secret)
}

/// The flag stem of a variable: `KEYSEAT_RELAY_API_KEY` is `--api-key-file`.
fn flag_of(var: &str) -> String {
    var.trim_start_matches("KEYSEAT_RELAY_")
        .to_ascii_lowercase()
        .replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_durations() {
        assert_eq!(
            rate("20/s,100/min").unwrap(),
            Rate {
                per_second: 20,
                per_minute: 100
            }
        );
        for bad in ["20", "20/h,1/min", "x/s,1/min", "20/s", "0/s,1/min"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
        assert_eq!(duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(duration("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(duration("365d").unwrap(), Duration::from_secs(365 * 86_400));
        assert!(duration("-5m").is_err());
        assert!(duration("soon").is_err());
    }

    #[test]
    fn a_secret_never_shows_and_comes_from_a_file_or_the_environment() {
        let s = Secret::new("  the-api-key\n");
        assert_eq!(s.expose(), "the-api-key");
        assert_eq!(format!("{s:?}"), "Secret(****)");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k");
        std::fs::write(&file, "from-file\n").unwrap();
        assert_eq!(
            secret(Some(&file), "KEYSEAT_RELAY_TEST_NONE", "x")
                .unwrap()
                .expose(),
            "from-file"
        );
        let e = secret(None, "KEYSEAT_RELAY_TEST_NONE", "the API key").unwrap_err();
        assert!(
            e.contains("--test-none-file") && e.contains("KEYSEAT_RELAY_TEST_NONE"),
            "{e}"
        );
        std::fs::write(&file, "\n").unwrap();
        assert!(secret(Some(&file), "X", "x").is_err());
    }
}
