//! # keyseat
//!
//! License-key activation for desktop software sold through
//! [Dodo Payments](https://dodopayments.com), [Lemon Squeezy](https://lemonsqueezy.com) or
//! [Polar](https://polar.sh): activate a key on this machine, keep working through network
//! outages, notice when a key is revoked.
//!
//! The crate is blocking and has no async runtime. Its parts:
//! - [`api`]: a client for each provider's three public license endpoints (activate,
//!   validate, deactivate), with timeouts, safe retries and typed errors, behind one
//!   [`api::Provider`] seam.
//! - [`LicenseKey`] and [`InstanceId`]: the identifiers, with the key kept secret.
//! - [`fingerprint`]: which machine an activation is bound to, without exposing the
//!   machine ID.
//! - [`Licensor`]: the license state machine with its offline-grace cache and key storage.
//! - [`clock`]: the time source, replaceable in tests.
//! - [`Error`] and [`ErrorKind`]: the one error type; [`ErrorCode`]: its stable code for
//!   other languages.
//!
//! Library code never prints; it emits [`log`] records, none of which contain the key.

#![warn(missing_docs)]

pub mod api;

/// The README's Rust examples, compiled by `cargo test --doc`: the documentation's words work.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;

mod cache;
pub mod clock;
mod code;
mod credentials;
mod error;
mod facts;
pub mod fingerprint;
mod fsutil;
mod key;
pub mod licensor;
mod mac;
pub mod offline;
mod pending;
mod persisted;
mod pinned;
#[cfg(test)]
mod proptest_config;
mod storage;
mod sync;
mod trial;

pub use code::ErrorCode;
#[allow(deprecated)]
pub use error::DodoCode;
pub use error::{ApiCode, Error, ErrorKind};
pub use key::{InstanceId, LicenseKey, MAX_KEY_LEN};
pub use licensor::{App, Deactivation, LicenseState, LicenseStatus, Licensor, WatchHandle};
pub use pending::PendingActivation;
pub use persisted::{CACHE_FILE, CREDENTIALS_FILE};
pub use storage::{KeyStorage, StorageKind};

/// Pieces exposed only so that benchmarks can measure the floor under [`Licensor::check`]:
/// behind the non-default `bench-support` feature, and not part of the API.
#[cfg(feature = "bench-support")]
#[doc(hidden)]
pub mod bench_support {
    use std::path::Path;

    /// Reads the cache file, parses it and verifies its MAC: the least a cached check must do.
    pub fn read_and_verify_cache(
        path: &Path,
        vendor_secret: &[u8],
        key: &crate::LicenseKey,
    ) -> bool {
        std::fs::read(path)
            .ok()
            .is_some_and(|bytes| crate::cache::parse(&bytes, vendor_secret, key).is_ok())
    }
}
