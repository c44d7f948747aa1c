//! `hermes-voice-bench`: benchmarks of the telephone path (issue 5).
//!
//! - `load`: N simulated Twilio callers against one server, ramped over
//!   several N. The binary runs itself three ways: the orchestrator (this
//!   command), the server (`serve`: the real application with the real
//!   batched Silero VAD, endpointing, playout and SQLite, and fast
//!   pilot-tone speech engines) and the caller fleet (`callers`), each its
//!   own process, so the server's CPU time and memory are read from
//!   `/proc` without the callers in them.
//! - `accuracy`: frame-level precision and recall of the node's VAD
//!   (Silero behind its energy gate, as the pipeline runs it) and of the
//!   loudness-only VAD on a labelled telephone-line set.
//! - `local`: simulated calls on the local engines (Silero, Whisper,
//!   Piper) with an espeak-ng caller: end of the caller's speech → first
//!   agent audio.
//! - `soak`: two server processes (the same server) sharing PostgreSQL
//!   and Redis, under steady calls and API load for half an hour: errors,
//!   latencies, memory over time (`scripts/soak.sh`).
//!
//! Why a binary and not criterion: the quantities are a fleet's, over
//! tens of seconds of real time, from several processes; criterion times
//! one function. Why not a test: timing on a shared machine is a
//! measurement, never a pass/fail (`docs/BENCHMARKS.md` has the runs).
//!
//! Layout: `line.rs` (what the callers say, as μ-law frames), `fleet.rs`
//! (the callers), `server.rs` (the server under test), `load.rs` (the
//! orchestrator: `/proc`, `/metrics`, the call records, the table),
//! `soak.rs` (the soak's orchestrator and API load), `accuracy.rs`,
//! `local.rs`, `stats.rs` (percentiles, Prometheus text).

mod accuracy;
mod fleet;
mod line;
mod load;
mod local;
mod server;
mod soak;
mod soak_api;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    about = "Benchmarks of HERMES's telephone path (media-path load, VAD accuracy, local-stack latency)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Concurrent simulated Twilio calls against one server, for each N.
    Load(load::LoadArgs),
    /// Frame-level accuracy of the node's VAD on a labelled telephone set.
    Accuracy(accuracy::AccuracyArgs),
    /// Turn latency of simulated calls on the local engines.
    Local(local::LocalArgs),
    /// Two nodes on PostgreSQL and Redis under calls and API load for a
    /// long time: errors, latencies, memory over time (a report).
    Soak(soak::SoakArgs),
    /// (internal) The server under test; prints its URL and demo password.
    #[command(hide = true)]
    Serve(server::ServeArgs),
    /// (internal) The caller fleet; prints its measurements as JSON.
    #[command(hide = true)]
    Callers(fleet::FleetArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Load(args) => rt.block_on(load::run(args)),
        Command::Accuracy(args) => rt.block_on(accuracy::run(args)),
        Command::Local(args) => rt.block_on(local::run(args)),
        Command::Soak(args) => rt.block_on(soak::run(args)),
        Command::Serve(args) => rt.block_on(server::run(args)),
        Command::Callers(args) => rt.block_on(fleet::run(args)),
    }
}
