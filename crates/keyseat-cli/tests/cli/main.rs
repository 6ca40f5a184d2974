//! The built `licensectl` binary against the emulator, as one test binary.

mod bad_day;
mod commands;
mod identity;
mod network;
mod products;
mod providers;
#[cfg(unix)]
mod relay;
mod support;
