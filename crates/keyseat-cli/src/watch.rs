//! `licensectl watch`: revalidation on an interval, one line per change of state, until
//! SIGINT or SIGTERM; and the durations its `--interval` takes.

use std::time::Duration;

use keyseat::Licensor;
use serde_json::json;

use crate::failure::Failure;
use crate::output::{self, exit};

/// Revalidates every `interval`, one line per change of state, until SIGINT or SIGTERM.
pub fn run(json_out: bool, licensor: &Licensor, interval: Duration) -> Result<u8, Failure> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let stop_tx = tx.clone();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(|e| Failure::System {
        what: "installing the signal handlers",
        detail: e.to_string(),
    })?;
    let handle = licensor.watch(interval, move |status| {
        if json_out {
            let mut v = output::status_json(status);
            v["event"] = json!("state");
            say!("{v}");
        } else {
            let when = output::time(Some(std::time::SystemTime::now()));
            say!("{} {}", when.as_str().unwrap_or("-"), status_line(status));
        }
    })?;
    let _ = rx.recv();
    handle.stop();
    drop(tx);
    if json_out {
        say!("{}", json!({ "event": "stopped" }));
    } else {
        eprintln!("licensectl: watch stopped");
    }
    Ok(exit::OK)
}

fn status_line(s: &keyseat::LicenseStatus) -> String {
    match s.state {
        keyseat::LicenseState::Grace { until } => format!(
            "grace until {}",
            output::time(Some(until)).as_str().unwrap_or("-")
        ),
        other => other.name().replace('_', " "),
    }
}

/// `500ms`, `30s`, `15m`, `1h`, `1d`, `1h30m`, `2 days` (jiff's friendly format, days of 24
/// hours), or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let text = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("{s}s")
    } else {
        s.to_owned()
    };
    let span: jiff::Span = text
        .parse()
        .map_err(|e| format!("not a duration ({s:?}): {e}"))?;
    let signed = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| format!("not a fixed length of time: {s:?}: use ms, s, m, h or d"))?;
    match Duration::try_from(signed) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err("the interval must be positive".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(
            parse_duration("2 days").unwrap(),
            Duration::from_secs(172_800)
        );
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
