//! Which server a client talks to (the provider's live or test server, or any other base
//! URL), and the rules a base URL must follow.

use std::net::IpAddr;

use ureq::http::Uri;

use crate::error::Error;

/// Which of the provider's servers to talk to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// The provider's live server, real customers' keys (`https://live.dodopayments.com`,
    /// `https://api.lemonsqueezy.com`, `https://api.polar.sh`).
    #[default]
    Live,
    /// The provider's test server, the merchant's test-mode keys
    /// (`https://test.dodopayments.com`, `https://sandbox-api.polar.sh`; Lemon Squeezy has
    /// none, and its test keys live on the live server).
    Test,
    /// Any other base URL: `https://…`, or `http://…` on a loopback address only (the
    /// emulator, a local proxy).
    Custom(String),
}

impl Environment {
    /// The environment named `live` or `test`, or `None` for any other name (a custom
    /// server is given by its URL instead).
    pub fn from_name(name: &str) -> Option<Environment> {
        match name {
            "live" => Some(Environment::Live),
            "test" => Some(Environment::Test),
            _ => None,
        }
    }
}

/// The host (with a port that is not the scheme's default) and the path of a base URL, as
/// a signed answer names them.
pub(super) fn signed_parts(base: &str) -> Result<(String, String), Error> {
    let uri: Uri = base
        .parse()
        .map_err(|_| Error::invalid_input(format!("not a URL: {base:?}")))?;
    let host = uri.host().unwrap_or_default();
    let default_port = match uri.scheme_str() {
        Some("http") => 80,
        _ => 443,
    };
    let host = match uri.port_u16() {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    Ok((host, uri.path().trim_end_matches('/').to_owned()))
}

/// Accepts `https://host[:port][/path]`, and `http://` only for loopback hosts.
pub(super) fn check_base_url(base: &str) -> Result<(), Error> {
    let uri: Uri = base
        .parse()
        .map_err(|_| Error::invalid_input(format!("not a URL: {base:?}")))?;
    let host = uri
        .host()
        .ok_or_else(|| Error::invalid_input(format!("URL has no host: {base:?}")))?;
    if uri.query().is_some() {
        return Err(Error::invalid_input("the base URL must not have a query"));
    }
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(Error::invalid_input(format!(
            "plain http:// is refused for {host}: use https://, or a loopback address for a \
             local server"
        ))),
        _ => Err(Error::invalid_input(format!(
            "the base URL must start with https:// : {base:?}"
        ))),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert!(check_base_url("https://live.dodopayments.com").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://127.5.0.1:8080/prefix").is_ok());
        assert!(check_base_url("http://[::1]:8080").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        let refused = check_base_url("http://example.com").unwrap_err();
        assert!(refused.to_string().contains("plain http://"), "{refused}");
        assert!(check_base_url("http://10.0.0.1").is_err());
        assert!(check_base_url("ftp://example.com").is_err());
        assert!(check_base_url("not a url").is_err());
        assert!(check_base_url("https://x.com/?a=b").is_err());
    }

    #[test]
    fn environments_by_name() {
        assert_eq!(Environment::from_name("live"), Some(Environment::Live));
        assert_eq!(Environment::from_name("test"), Some(Environment::Test));
        assert_eq!(Environment::from_name("Live"), None);
        assert_eq!(Environment::from_name("staging"), None);
    }
}
