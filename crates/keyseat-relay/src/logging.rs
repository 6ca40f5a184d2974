//! The relay's log: structured lines on stderr (text or JSON), filtered by
//! `KEYSEAT_RELAY_LOG` (`info` by default), and never, at any filter, the debug and trace
//! records of the HTTP and TLS crates: they dump the bytes on the wire, where Dodo's API
//! key (`Authorization`) and license keys travel.

use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, FilterExt as _, filter_fn};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, fmt};

use crate::config::LogFormat;

/// The crates whose records below `INFO` show what is sent and received.
const WIRE_CRATES: [&str; 5] = ["ureq", "hyper", "h2", "rustls", "tokio_rustls"];

/// Whether a record of `target` at `level` may be written, whatever the filter says.
pub fn allowed(target: &str, level: Level) -> bool {
    level <= Level::INFO
        || !WIRE_CRATES.iter().any(|c| {
            target == *c
                || target
                    .strip_prefix(c)
                    .is_some_and(|rest| rest.starts_with("::") || rest.starts_with('_'))
        })
}

/// Installs the log (once, at start).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("KEYSEAT_RELAY_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .and(filter_fn(|m| allowed(m.target(), *m.level())));
    let layer = match format {
        LogFormat::Json => fmt::layer().json().with_writer(std::io::stderr).boxed(),
        LogFormat::Text => fmt::layer().with_writer(std::io::stderr).boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_crates_never_log_below_info() {
        for target in [
            "ureq_proto::util",
            "ureq",
            "hyper::proto",
            "hyper_util::client",
            "h2",
            "rustls::conn",
        ] {
            assert!(!allowed(target, Level::TRACE), "{target}");
            assert!(!allowed(target, Level::DEBUG), "{target}");
            assert!(allowed(target, Level::INFO), "{target}");
            assert!(allowed(target, Level::WARN), "{target}");
        }
        for target in ["keyseat_relay::licenses", "sqlx::query", "hyperloop", "h2o"] {
            assert!(allowed(target, Level::TRACE), "{target}");
        }
    }
}
