//! A blocking client for the public license endpoints of Dodo Payments, Lemon Squeezy and
//! Polar: activate, validate, deactivate.
//!
//! ```no_run
//! use keyseat::api::{Client, Environment, Provider};
//! use keyseat::LicenseKey;
//!
//! let client = Client::builder()
//!     .provider(Provider::lemon_squeezy(12345))
//!     .environment(Environment::Test)
//!     .build()?;
//! let key = LicenseKey::new("2b1f8e2d-c41e-4e8f-b2d3-d9fd61c38f43")?;
//! let activation = client.activate(&key, "Ada's laptop")?;
//! assert!(client.validate(&key, Some(&activation.id))?.valid);
//! client.deactivate(&key, &activation.id)?;
//! # Ok::<(), keyseat::Error>(())
//! ```
//!
//! No API key is sent: these endpoints are public, and a desktop app must never ship one.
//! The retry rules belong to the request kind, whoever the provider is: validation and
//! deactivation are retried; activation only when it certainly never reached the server.

mod client;
mod environment;
mod provider;
mod resolve;
mod retry;
mod tls;
mod transport;
mod types;

pub use crate::pinned::key_id as relay_key_id;
pub use client::{Client, ClientBuilder};
pub use environment::Environment;
pub use provider::{Provider, relay_key_hash};
pub use retry::RetryPolicy;
pub use tls::TrustStore;
pub use types::{Activation, Entitlement, License, Seat, Validation};

/// Longest response body read, in bytes.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024;
