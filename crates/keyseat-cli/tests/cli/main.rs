//! The built `licensectl` binary against the emulator, as one test binary.

mod commands;
mod identity;
mod network;
mod products;
mod support;
