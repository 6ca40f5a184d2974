//! A blocking client for Dodo Payments' three public license endpoints.
//!
//! ```no_run
//! use keyseat::api::{Client, Environment};
//! use keyseat::LicenseKey;
//!
//! let client = Client::builder().environment(Environment::Test).build()?;
//! let key = LicenseKey::new("2b1f8e2d-c41e-4e8f-b2d3-d9fd61c38f43")?;
//! let instance = client.activate(&key, "Ada's laptop")?;
//! assert!(client.validate(&key, Some(&instance.id))?);
//! client.deactivate(&key, &instance.id)?;
//! # Ok::<(), keyseat::Error>(())
//! ```
//!
//! No API key is sent: these endpoints are public, and a desktop app must never ship one.

mod client;
mod resolve;
mod retry;
mod tls;
mod types;

pub use client::{Client, ClientBuilder, Environment};
pub use retry::RetryPolicy;
pub use tls::TrustStore;
pub use types::{Customer, Instance, Product};

/// Longest response body read, in bytes.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024;
