//! keyseat's integration tests against the emulator, as one test binary (ripgrep and
//! regex do the same: one link instead of nine, and one place for shared helpers). Each
//! module's own documentation says what it proves. Other processes are played by the
//! test-only `keyseat-test-child` binary, started through [`child`].

mod api_client;
mod concurrency;
mod crash;
mod fault_matrix;
mod fingerprint;
mod hand_written;
mod keygen;
mod keyring;
mod known_facts;
mod licensor;
mod providers;
mod seats;
mod secrets;
mod trial;
mod upgrade;

/// A command running `keyseat-test-child` (`support/child.rs`).
pub fn child() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_keyseat-test-child"))
}
