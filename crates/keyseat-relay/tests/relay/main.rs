//! keyseat-relay against the emulator as Dodo (issue 28), as one test binary: the whole
//! license life through the relay, on SQLite (and PostgreSQL when CI gives one); a proxy
//! that tampers with its answers; Dodo down or out of budget; webhooks wrong, late,
//! repeated and out of order; machines bound by the server; two replicas on one database;
//! the service itself (HTTPS, health, metrics, clients' limits, bodies); and no secret
//! anywhere it writes.

mod life;
mod machines;
mod offline;
mod page;
mod replicas;
mod secrets;
mod service;
mod support;
mod tampering;
mod upstream;
mod webhooks;
