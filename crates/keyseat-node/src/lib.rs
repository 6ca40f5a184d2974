//! Node.js and Electron bindings for keyseat, built with napi-rs and published to npm as
//! `keyseat`.
//!
//! The addon wraps the core crate directly: [`licensor::Licensor`] is the JavaScript class,
//! [`options`] turns its constructor's options object into a core builder, [`status`] turns
//! a core status into a plain object, [`error`] gives every failure a stable `code`, and
//! [`watch`] runs the core's watch with a JavaScript callback. Methods that may use the
//! network run on libuv's thread pool and return Promises, so an Electron main process
//! never blocks on them.

#![deny(missing_docs)]

mod error;
mod licensor;
mod options;
mod status;
mod watch;
