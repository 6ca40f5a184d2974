//! # licensekit
//!
//! License-key activation for desktop software sold through
//! [Dodo Payments](https://dodopayments.com): activate a key on this machine, keep working
//! through network outages, notice when a key is revoked.
//!
//! The crate is blocking and has no async runtime. Its parts:
//! - [`api`]: a client for Dodo's three public license endpoints (activate, validate,
//!   deactivate), with timeouts, safe retries and typed errors.
//! - [`LicenseKey`] and [`InstanceId`]: the identifiers, with the key kept secret.
//! - [`fingerprint`]: which machine an activation is bound to, without exposing the
//!   machine ID.
//! - [`Error`] and [`ErrorKind`]: the one error type.
//!
//! Library code never prints; it emits [`log`] records, none of which contain the key.

#![warn(missing_docs)]

pub mod api;
mod error;
pub mod fingerprint;
mod fsutil;
mod key;

pub use error::{DodoCode, Error, ErrorKind};
pub use key::{InstanceId, LicenseKey, MAX_KEY_LEN};
