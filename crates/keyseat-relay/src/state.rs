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
}

impl App {
    /// The client's IP: the peer's, or the first `X-Forwarded-For` entry when the relay is
    /// told to trust it (behind a reverse proxy that sets it).
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let forwarded = self.trust_forwarded_for.then(|| {
            headers
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .split(',')
                .next()?
                .trim()
                .parse()
                .ok()
        });
        forwarded.flatten().unwrap_or(peer.ip())
    }
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
