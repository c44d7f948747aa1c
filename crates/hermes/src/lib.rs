//! The `hermes` binary's library half: configuration, wiring and the
//! command line, kept out of `main.rs` so integration tests can start the
//! very same application on a random port.
//!
//! - [`config`]: settings from a file and `HERMES_*` variables, validated.
//! - [`startup`]: settings → database, keys, shared state → a server.
//! - [`backup`]: `hermes backup` / `restore` and the scheduled backups.
//! - [`cli`]: `hermes serve | migrate | tenant | user | audit | keys |
//!   backup | restore`.
//! - [`telemetry`]: log output.

pub mod backup;
pub mod chat;
pub mod cli;
pub mod config;
pub mod simulate;
pub mod startup;
pub mod telemetry;
