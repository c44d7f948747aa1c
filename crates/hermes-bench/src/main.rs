//! `hermes-bench`: a load benchmark of the real server.
//!
//! It starts the release `hermes` binary as a separate process (SQLite in a
//! temporary directory, or a fresh PostgreSQL database), signs in as the
//! demo admin, then:
//!
//! 1. measures login cost: sequential logins with the right password, a
//!    wrong password, an unknown email and an unknown firm (the last three
//!    must cost about the same: no account enumeration by timing);
//! 2. drives authenticated `GET /api/v1/me` at a fixed concurrency over
//!    keep-alive HTTP/1.1 connections for a fixed time, after a warm-up,
//!    and reports requests per second and latency percentiles (recorded in
//!    an HDR histogram, microsecond resolution).
//!
//! Rate limits are raised for the run (the benchmark measures the server,
//! not the limiter's refusals); the limiter still counts every request.
//! Run it through `scripts/bench.sh`, which builds both binaries.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
#[command(about = "Load benchmark of HERMES (authenticated GET /api/v1/me, login cost)")]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// Concurrent connections, each with one request in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 15)]
    duration: u64,
    /// Warm-up seconds (not measured).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Sequential logins per login case.
    #[arg(long, default_value_t = 20)]
    logins: usize,
    /// The hermes binary to benchmark.
    #[arg(long, default_value = "target/release/hermes")]
    hermes: String,
    /// Log level for the server (`info` logs one line per request, as in
    /// production).
    #[arg(long, default_value = "info")]
    server_log: String,
    /// CPU list for the server (taskset), e.g. `0`; empty to share all.
    #[arg(long, default_value = "")]
    server_cpus: String,
}

struct Server {
    child: Child,
    url: String,
    password: String,
    _dir: tempfile::TempDir,
    _db: Option<hermes_testkit::TestDb>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

async fn start_server(args: &Args) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let db = match args.backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(
            hermes_testkit::TestDb::postgres()
                .await
                .context("PostgreSQL is not reachable")?,
        ),
    };
    // The server runs in a temporary directory: resolve the path first.
    let hermes = std::fs::canonicalize(&args.hermes).with_context(|| {
        format!(
            "{} not found; build it with cargo build --release",
            args.hermes
        )
    })?;
    let mut cmd = if args.server_cpus.is_empty() {
        Command::new(&hermes)
    } else {
        let mut c = Command::new("taskset");
        c.args(["-c", &args.server_cpus]).arg(&hermes);
        c
    };
    cmd.arg("serve")
        .current_dir(dir.path())
        .env("HERMES_SERVER__BIND", "127.0.0.1:0")
        .env("HERMES_RATE_LIMIT__AUTH_PER_MINUTE", "1000000")
        .env("HERMES_RATE_LIMIT__PRINCIPAL_PER_MINUTE", "100000000")
        .env("HERMES_RATE_LIMIT__TENANT_PER_MINUTE", "100000000")
        .env("HERMES_RATE_LIMIT__LOCKOUT_FAILURES", "1000000")
        .env("HERMES_LOG__LEVEL", &args.server_log)
        .env("HERMES_DEMO__SEED", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(db) = &db {
        cmd.env("HERMES_DATABASE__URL", db.url());
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", hermes.display()))?;
    let stdout = child.stdout.take().expect("piped");
    let mut password = None;
    let mut url = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let line = line.trim();
        if let Some(p) = line.strip_prefix("password:") {
            password = Some(p.trim().to_owned());
        }
        if let Some(u) = line.strip_prefix("HERMES is listening on ") {
            url = Some(u.trim().to_owned());
            break;
        }
    }
    let (Some(url), Some(password)) = (url, password) else {
        bail!("the server did not print its URL and demo password");
    };
    Ok(Server {
        child,
        url,
        password,
        _dir: dir,
        _db: db,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn login_costs(
    client: &reqwest::Client,
    s: &Server,
    n: usize,
) -> anyhow::Result<Vec<(String, f64, u16)>> {
    let cases = [
        (
            "right password",
            "demo",
            "admin@demo.example",
            s.password.as_str(),
        ),
        (
            "wrong password",
            "demo",
            "admin@demo.example",
            "not the password at all",
        ),
        (
            "unknown email",
            "demo",
            "nobody@demo.example",
            "not the password at all",
        ),
        (
            "unknown firm",
            "no-such-firm",
            "admin@demo.example",
            "not the password at all",
        ),
    ];
    let mut out = Vec::new();
    for (name, tenant, email, password) in cases {
        let mut total = Duration::ZERO;
        let mut status = 0;
        for _ in 0..n {
            let started = Instant::now();
            let resp = client
                .post(format!("{}/api/v1/auth/login", s.url))
                .json(&json!({"tenant": tenant, "email": email, "password": password}))
                .send()
                .await?;
            status = resp.status().as_u16();
            resp.bytes().await?;
            total += started.elapsed();
        }
        out.push((name.to_owned(), ms(total) / n as f64, status));
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = start_server(&args).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency * 2)
        .tcp_nodelay(true)
        .build()?;

    let costs = login_costs(&client, &server, args.logins).await?;
    let login: Value = client
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(
            &json!({"tenant": "demo", "email": "admin@demo.example", "password": server.password}),
        )
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("login failed")?
        .to_owned();
    let url = format!("{}/api/v1/me", server.url);

    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        let (measuring, stop, errors) = (measuring.clone(), stop.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let ok = match client.get(&url).bearer_auth(&token).send().await {
                    Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if measuring.load(Ordering::Relaxed) {
                    if ok {
                        let us = started.elapsed().as_micros().max(1) as u64;
                        hist.record(us).expect("in bounds");
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            hist
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for w in workers {
        hist.add(w.await?)?;
    }

    let backend = match args.backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let rps = hist.len() as f64 / elapsed.as_secs_f64();
    let q = |p: f64| hist.value_at_quantile(p) as f64 / 1000.0;
    println!(
        "backend: {backend}; concurrency {}; {}s measured after {}s warm-up; server log level {}",
        args.concurrency, args.duration, args.warmup, args.server_log
    );
    println!();
    println!(
        "| backend | concurrency | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {backend} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
        args.concurrency,
        hist.len(),
        errors.load(Ordering::Relaxed),
        rps,
        q(0.50),
        q(0.95),
        q(0.99),
        hist.max() as f64 / 1000.0,
    );
    println!();
    println!(
        "| login ({} sequential each) | mean ms | status |",
        args.logins
    );
    println!("|---|---|---|");
    for (name, mean, status) in costs {
        println!("| {name} | {mean:.1} | {status} |");
    }
    Ok(())
}
