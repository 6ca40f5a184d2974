//! What every handler shares: the store, Dodo upstream, the signing keys, the limits, the
//! metrics, the webhook secrets and the settings.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::http::HeaderMap;

use crate::client_limits::ClientLimits;
use crate::decide::Windows;
use crate::metrics::Metrics;
use crate::signing::SigningKeys;
use crate::store::Store;
use crate::upstream::Upstream;

/// The relay's shared state.
pub struct App {
    pub store: Store,
    pub upstream: Arc<Upstream>,
    pub keys: SigningKeys,
    pub metrics: Arc<Metrics>,
    pub limits: ClientLimits,
    pub windows: Windows,
    pub trust_forwarded_for: bool,
    /// The webhook secrets (several during a rotation): an event signed by any is genuine.
    pub webhooks: Vec<standardwebhooks::Webhook>,
    /// How long a machine file licenses its machine, in seconds.
    pub offline_validity: i64,
}

impl App {
    /// The client's IP: see [`client_ip`].
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        client_ip(peer, headers, self.trust_forwarded_for)
    }
}

/// The client's IP: the peer's; or, when the relay is told to trust its reverse proxy, the
/// last `X-Forwarded-For` entry, the one that proxy appended. The entries before it are
/// whatever the client sent, and a client that could pick its IP would have a budget per
/// request.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trust_forwarded_for: bool) -> IpAddr {
    let forwarded = trust_forwarded_for.then(|| {
        let all = headers.get_all("x-forwarded-for");
        let last = all.iter().next_back()?.to_str().ok()?;
        last.rsplit(',').next()?.trim().parse().ok()
    });
    forwarded.flatten().unwrap_or(peer.ip())
}

/// Unix seconds now.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Unix seconds as RFC 3339, or null.
pub fn rfc3339(t: i64) -> serde_json::Value {
    match jiff::Timestamp::from_second(t) {
        Ok(t) if t.as_second() > 0 => serde_json::json!(t.to_string()),
        _ => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_entry_the_proxy_appended_is_the_clients_ip() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut h = HeaderMap::new();
        // The client wrote the first entry; the proxy appended the second.
        h.insert(
            "x-forwarded-for",
            "198.51.100.1, 203.0.113.9".parse().unwrap(),
        );
        assert_eq!(
            client_ip(peer, &h, true),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip(peer, &h, false),
            peer.ip(),
            "not trusted: the peer"
        );
        h.append("x-forwarded-for", "203.0.113.10".parse().unwrap());
        assert_eq!(
            client_ip(peer, &h, true),
            "203.0.113.10".parse::<IpAddr>().unwrap()
        );
        h.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_ip(peer, &h, true), peer.ip());
    }
}
