//! # keyseat-relay
//!
//! The seller's own small license server in front of Dodo Payments. It holds the Dodo API
//! key and the webhook secret, forwards the three public license calls, adds what the API
//! key knows (the key's status, expiry, activation limit and use, the customer's
//! license-key entitlements), binds each activation to a machine, and signs every answer
//! with the seller's Ed25519 key, whose public half is compiled into the app. The contract
//! is `docs/relay-protocol.md`; keyseat's `relay` provider is its client.
//!
//! It is a service: configured by flags and the environment, logging structured lines,
//! serving `/healthz` and `/metrics`, shutting down gracefully, migrating its database
//! (SQLite by default, PostgreSQL for several replicas) itself.

#![warn(missing_docs)]

mod admission;
mod answer;
mod budget;
mod client_limits;
pub mod config;
mod decide;
mod facts;
mod licenses;
pub mod logging;
pub mod metrics;
pub mod offline;
mod page;
mod requests;
mod server;
pub mod signing;
mod state;
mod store;
mod upstream;
mod validation;
mod webhooks;

use std::net::SocketAddr;

pub use server::{Relay, Settings};

/// A relay serving on its own runtime and thread, for tests, benchmarks and embedding.
pub struct Spawned {
    addr: SocketAddr,
    public_keys: Vec<String>,
    metrics: std::sync::Arc<metrics::Metrics>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Spawned {
    /// Starts a relay of `settings` (on the address they name; port 0 for a free one).
    ///
    /// # Errors
    /// As [`Relay::new`], and when the address cannot be bound.
    pub fn start(settings: Settings) -> Result<Spawned, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (relay, listener) = runtime.block_on(async {
            let relay = Relay::new(settings).await?;
            let listener = relay.bind().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((relay, listener))
        })?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let public_keys = relay.public_keys();
        let metrics = relay.metrics();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(relay.serve(listener, async {
                let _ = stopped.await;
            }))
        });
        Ok(Spawned {
            addr,
            public_keys,
            metrics,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The public keys an app pins, as hex.
    pub fn public_keys(&self) -> &[String] {
        &self.public_keys
    }

    /// The relay's metrics.
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.metrics
    }

    /// Stops serving, letting requests in flight finish.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop();
    }
}
