//! The soak test (issue 8): two nodes of one deployment under steady,
//! mixed load for half an hour. Do errors stay at zero and memory flat?
//!
//! The orchestrator (this module) makes a fresh PostgreSQL database (owned
//! by an ordinary role, so row-level security applies, as in production)
//! and a Redis key prefix of its own, and starts two server processes
//! (`serve`: the real application and voice pipeline, with the cheap
//! pilot-tone speech engines so that Whisper does not eat the machine) on
//! one data directory (signing keys, data-at-rest keys). Then, for
//! `--minutes`:
//!
//! - a caller-fleet process (`callers --soak-secs`) keeps `--calls` phone
//!   calls going, taking turns over the nodes: each a signed webhook, a
//!   Media Streams socket, a few turns of a scripted caller (one of them
//!   said over the agent), the hang-up and the call-status webhook; the
//!   next call starts as one ends;
//! - `--api-users` staff members send `--api-rps` requests a second
//!   between them, round robin over the nodes: the dashboard's reads and
//!   web-chat conversations (`soak_api.rs`);
//! - every `--sample-secs`, each node's resident memory and CPU time are
//!   read from `/proc`.
//!
//! Then it checks every call's record (ended, with an intake), reads each
//! node's `/metrics` (dropped frames, pacing) and log (`ERROR` lines) and
//! prints a Markdown report: errors by kind, latencies per kind, memory
//! and CPU per minute, and the slope of memory over the second half. It
//! fails (an error, exit status 1) on any error, or on memory growing
//! faster than `--max-growth-mib-per-hour` on a node.
//!
//! Why the second half: the first minutes fill connection pools, caches
//! and the allocator's arenas; what still grows after that is a leak, or
//! data the nodes hold by design (each finished intake adds its parties to
//! every node's in-memory conflict index). The slope is judged only on
//! runs of [`JUDGED_FROM_MINUTES`] or more: over a few minutes, allocator
//! noise is most of it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::load::{ACCOUNT_SID, AUTH_TOKEN, Proc, Usage, call_records, clock_ticks, usage};
use super::server::VadKind;
use super::soak_api::{Api, Tally, staff};
use super::stats::{Buckets, Scrape, bound_ms, percentiles};

#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// How long the load runs, in minutes (a fraction for a smoke run).
    #[arg(long, default_value_t = 30.0)]
    pub minutes: f64,
    /// Concurrent phone calls, over both nodes.
    #[arg(long, default_value_t = 50)]
    pub calls: usize,
    /// Length of a call in seconds (the caller hangs up then, unless the
    /// agent ended it first).
    #[arg(long, default_value_t = 45.0)]
    pub call_secs: f64,
    /// API requests a second, over both nodes.
    #[arg(long, default_value_t = 40.0)]
    pub api_rps: f64,
    /// Signed-in staff members sending them.
    #[arg(long, default_value_t = 8)]
    pub api_users: usize,
    /// Seconds between two readings of the nodes' memory and CPU.
    #[arg(long, default_value_t = 10)]
    pub sample_secs: u64,
    /// Memory growth over the second half (per node) that fails the run.
    #[arg(long, default_value_t = 32.0)]
    pub max_growth_mib_per_hour: f64,
    /// Length of the agent's speech per word (ms).
    #[arg(long, default_value_t = 300)]
    pub ms_per_word: u32,
    #[arg(long, value_enum, default_value = "silero")]
    pub vad: VadKind,
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
    /// Where the nodes' logs, the fleet's log and the raw results go.
    #[arg(long, default_value = "target/soak")]
    pub out: PathBuf,
}

/// Runs at least this long have their memory slope judged.
pub const JUDGED_FROM_MINUTES: f64 = 10.0;

/// A node: its process, URL and log.
struct Node {
    name: &'static str,
    proc: Proc,
    url: String,
    log: PathBuf,
}

/// One reading of a node.
#[derive(Debug, Clone, Copy)]
struct Sample {
    secs: f64,
    rss_kib: u64,
    cpu_secs: f64,
}

fn sample(t0: Instant, u: Usage) -> Sample {
    Sample {
        secs: u.at.saturating_duration_since(t0).as_secs_f64(),
        rss_kib: u.rss_kib,
        cpu_secs: u.cpu_secs,
    }
}

/// Least-squares slope of resident memory over time, in MiB per hour,
/// over the samples from `from_secs` on; `None` with fewer than three.
fn slope_mib_per_hour(samples: &[Sample], from_secs: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.secs >= from_secs)
        .map(|s| (s.secs / 3600.0, s.rss_kib as f64 / 1024.0))
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The last sample at or before `secs` (the first one if none is).
fn at(samples: &[Sample], secs: f64) -> Option<Sample> {
    samples
        .iter()
        .rev()
        .find(|s| s.secs <= secs + 0.5)
        .or(samples.first())
        .copied()
}

/// Memory and CPU of each node, one row per minute and one at the end.
fn memory_table(names: &[&str], samples: &[Vec<Sample>], secs: f64) -> String {
    let mut marks: Vec<f64> = (0..=(secs / 60.0).floor() as u64)
        .map(|m| m as f64 * 60.0)
        .collect();
    // The end, when a sample was taken after the last whole minute.
    let last = marks.last().copied().unwrap_or(0.0);
    if samples.iter().flatten().any(|s| s.secs > last + 0.5) {
        marks.push(secs);
    }
    let mut out = String::from("| minute |");
    for n in names {
        out += &format!(" node {n} RSS (MiB) | node {n} CPU (cores) |");
    }
    out += "\n|---|";
    out += &"---|---|".repeat(names.len());
    out += "\n";
    for (i, m) in marks.iter().enumerate() {
        out += &format!("| {:.1} |", m / 60.0);
        for s in samples {
            let now = at(s, *m);
            let cpu = match (i.checked_sub(1).map(|p| at(s, marks[p])), now) {
                (Some(Some(a)), Some(b)) if b.secs > a.secs => {
                    format!("{:.2}", (b.cpu_secs - a.cpu_secs) / (b.secs - a.secs))
                }
                _ => "—".into(),
            };
            match now {
                Some(b) => out += &format!(" {:.1} | {cpu} |", b.rss_kib as f64 / 1024.0),
                None => out += " — | — |",
            }
        }
        out += "\n";
    }
    out
}

/// Lines of a node's log at `level`, and the first of them. The text
/// format is `time LEVEL target: message`, coloured (the subscriber
/// writes ANSI colours to a file too): colours are taken out first.
fn log_lines(path: &Path, level: &str) -> (u64, Option<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut hits = text
        .lines()
        .map(without_colours)
        .filter(|l| l.split_whitespace().nth(1) == Some(level));
    let first = hits.next().map(|l| l.chars().take(300).collect());
    (u64::from(first.is_some()) + hits.count() as u64, first)
}

/// `line` without its ANSI escape sequences (`ESC [ … letter`).
fn without_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // The parameters, then the final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn serve_args(
    args: &SoakArgs,
    data: &Path,
    db: &str,
    redis: &str,
    prefix: &str,
) -> anyhow::Result<Vec<String>> {
    let vad = match args.vad {
        VadKind::Silero => "silero",
        VadKind::Energy => "energy",
    };
    let models = std::path::absolute(&args.models_dir)?;
    let (data, ms_per_word) = (data.display().to_string(), args.ms_per_word.to_string());
    let all: [&str; 15] = [
        "serve",
        "--models-dir",
        &models.display().to_string(),
        "--vad",
        vad,
        "--ms-per-word",
        &ms_per_word,
        "--data-dir",
        &data,
        "--database-url",
        db,
        "--redis-url",
        redis,
        "--redis-prefix",
        prefix,
    ];
    Ok(all.map(str::to_owned).to_vec())
}

async fn start_node(
    name: &'static str,
    args: &[String],
    out: &Path,
) -> anyhow::Result<(Node, String)> {
    let log = out.join(format!("node-{name}.log"));
    let mut proc = Proc::spawn(args, &log)?;
    let url = proc
        .field("url: ")
        .await
        .with_context(|| format!("starting node {name} (see {})", log.display()))?;
    let password = proc.field("password: ").await?;
    Ok((
        Node {
            name,
            proc,
            url,
            log,
        },
        password,
    ))
}

fn check_args(args: &SoakArgs) -> anyhow::Result<()> {
    if !(args.minutes > 0.0 && args.minutes.is_finite()) {
        bail!("--minutes must be more than 0");
    }
    if !(args.call_secs >= 15.0 && args.call_secs.is_finite()) {
        bail!("--call-secs must be at least 15 (a call must get past the greeting)");
    }
    if !(args.api_rps >= 0.0 && args.api_rps.is_finite()) {
        bail!("--api-rps must be 0 or more");
    }
    if args.api_rps > 0.0 && args.api_users == 0 {
        bail!("--api-users must be at least 1 when --api-rps is set");
    }
    if args.sample_secs == 0 {
        bail!("--sample-secs must be at least 1");
    }
    Ok(())
}

/// The deployment under test: two nodes on one database, one Redis
/// prefix and one data directory, the demo firm set up for calls, and
/// the staff accounts. Dropping it stops the nodes and drops the
/// database.
struct Deployment {
    nodes: Vec<Node>,
    /// The demo admin's.
    password: String,
    staff: Vec<(String, String)>,
    _data: tempfile::TempDir,
    _db: hermes_testkit::TestDb,
}

async fn deploy(args: &SoakArgs, http: &reqwest::Client) -> anyhow::Result<Deployment> {
    let db = hermes_testkit::TestDb::postgres().await.with_context(|| {
        format!(
            "PostgreSQL is not reachable at {} (HERMES_TEST_PG_URL)",
            hermes_testkit::pg_admin_url()
        )
    })?;
    let redis = hermes_testkit::redis_url().await.with_context(|| {
        format!(
            "Redis is not reachable at {} (HERMES_TEST_REDIS_URL)",
            hermes_testkit::redis_url_raw()
        )
    })?;
    let prefix = format!("hermes-soak-{}:", std::process::id());
    let data = tempfile::tempdir()?;
    let node_args = serve_args(args, data.path(), db.url(), &redis, &prefix)?;
    // Node A first: it migrates the database, makes the keys and seeds
    // the demo firm; the firm's telephony and the staff accounts are set
    // up through it before node B joins.
    let (a, password) = start_node("A", &node_args, &args.out).await?;
    let admin = super::load::configure(http, &a.url, &password, true).await?;
    let mut staff = Vec::new();
    for i in 0..args.api_users {
        let email = format!("soak{i}@demo.example");
        let created: Value = http
            .post(format!("{}/api/v1/users", a.url))
            .bearer_auth(&admin)
            .json(&json!({"email": email, "name": format!("Soak Staff {i}"), "role": "STAFF"}))
            .send()
            .await?
            .error_for_status()
            .context("creating a staff account")?
            .json()
            .await?;
        let password = created["initial_password"]
            .as_str()
            .context("no initial password")?;
        staff.push((email, password.to_owned()));
    }
    let (b, _) = start_node("B", &node_args, &args.out).await?;
    Ok(Deployment {
        nodes: vec![a, b],
        password,
        staff,
        _data: data,
        _db: db,
    })
}

/// Every node's memory and CPU, read every `every` until [`Sampler::stop`].
struct Sampler {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Readings>,
}

/// The samples per node, and the nodes that could not be read.
struct Readings {
    samples: Vec<Vec<Sample>>,
    gone: Vec<usize>,
}

impl Sampler {
    async fn stop(self) -> anyhow::Result<Readings> {
        let _ = self.stop.send(());
        Ok(self.task.await?)
    }
}

fn sampler(nodes: Vec<(&'static str, u32)>, t0: Instant, every: Duration) -> Sampler {
    let ticks = clock_ticks();
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut samples = vec![Vec::new(); nodes.len()];
        let mut gone = Vec::new();
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    for (i, (name, pid)) in nodes.iter().enumerate() {
                        match usage(*pid, ticks) {
                            Ok(u) => samples[i].push(sample(t0, u)),
                            Err(e) if !gone.contains(&i) => {
                                gone.push(i);
                                eprintln!("soak: node {name} could not be read: {e:#}");
                            }
                            Err(_) => {}
                        }
                    }
                }
                _ = &mut stopped => return Readings { samples, gone },
            }
        }
    });
    Sampler { stop, task }
}

fn fleet_args(args: &SoakArgs, urls: &[String]) -> Vec<String> {
    let secs = (args.minutes * 60.0).to_string();
    let call = args.call_secs.to_string();
    [
        "callers",
        "--url",
        &urls.join(","),
        "--auth-token",
        AUTH_TOKEN,
        "--account-sid",
        ACCOUNT_SID,
        "--calls",
        &args.calls.to_string(),
        // The slots' first calls start over one call's length, so that
        // calls end (and new ones start) evenly from then on.
        "--ramp-secs",
        &call,
        "--call-secs",
        &call,
        "--window-from",
        "0",
        "--window-secs",
        &secs,
        "--soak-secs",
        &secs,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The fleet's result, once it has made its last call; a progress line
/// on stderr every minute meanwhile.
async fn await_fleet(
    fleet: &mut Proc,
    log: &Path,
    api: &Api,
    nodes: &[Node],
    t0: Instant,
) -> anyhow::Result<Value> {
    let ticks = clock_ticks();
    // A few seconds after the fleet's own minute, to show its latest.
    let mut progress = tokio::time::interval_at(
        (t0 + Duration::from_secs(65)).into(),
        Duration::from_secs(60),
    );
    let mut calls = String::from("{}");
    loop {
        tokio::select! {
            line = fleet.lines.recv() => match line {
                Some(l) => {
                    if let Some(j) = l.strip_prefix("result ") {
                        return Ok(serde_json::from_str(j)?);
                    }
                    if let Some(j) = l.strip_prefix("progress ") {
                        calls = j.to_owned();
                    }
                }
                None => bail!("the caller fleet ended without its result (see {})", log.display()),
            },
            _ = progress.tick() => {
                let rss: Vec<String> = nodes
                    .iter()
                    .map(|n| match usage(n.proc.pid(), ticks) {
                        Ok(u) => format!("{} {:.0} MiB", n.name, u.rss_kib as f64 / 1024.0),
                        Err(_) => format!("{} gone", n.name),
                    })
                    .collect();
                eprintln!(
                    "soak: {:.0} min; API {} requests, {} errors; calls {calls}; RSS {}",
                    t0.elapsed().as_secs_f64() / 60.0,
                    api.requests.load(Relaxed),
                    api.errors.load(Relaxed),
                    rss.join(", "),
                );
            }
        }
    }
}

/// Every call as the nodes recorded it must have ended with an intake;
/// the fleet's failed calls are errors too. Answers the number of
/// records and the server-added turn latencies (ms).
async fn check_calls(
    http: &reqwest::Client,
    d: &Deployment,
    fleet: &Value,
    tally: &mut Tally,
) -> (usize, Vec<u64>) {
    let connected = fleet["connected"].as_u64().unwrap_or(0) as usize;
    // From the first node that answers.
    let mut failed = String::new();
    let mut records = None;
    for node in &d.nodes {
        let read = async {
            let admin = sign_in(http, &node.url, &d.password).await?;
            call_records(http, &node.url, &admin, connected).await
        };
        match read.await {
            Ok(r) => {
                records = Some(r);
                break;
            }
            Err(e) => failed = format!("node {}: {e:#}", node.name),
        }
    }
    let Some(records) = records else {
        tally.error("call: records unreadable".into(), failed);
        return (0, Vec::new());
    };
    let not_ended = records.iter().filter(|c| c["status"] != "ended").count();
    let no_intake = records
        .iter()
        .filter(|c| c["status"] == "ended" && !c["intake_id"].is_string())
        .count();
    let n = records.len();
    tally.errors_of(
        "call: record not ended".into(),
        not_ended as u64,
        format!("{not_ended} of {n} records"),
    );
    tally.errors_of(
        "call: ended without an intake".into(),
        no_intake as u64,
        format!("{no_intake} of {n} records"),
    );
    tally.errors_of(
        "call: no record".into(),
        connected.saturating_sub(n) as u64,
        format!("{connected} calls connected, {n} records"),
    );
    for (kind, f) in fleet["failures"].as_object().into_iter().flatten() {
        tally.errors_of(
            kind.clone(),
            f["count"].as_u64().unwrap_or(1),
            f["first"].as_str().unwrap_or_default().into(),
        );
    }
    let turns = records
        .iter()
        .flat_map(|c| c["turns"].as_array().into_iter().flatten())
        .filter_map(|t| t["first_frame_ms"].as_u64())
        .collect();
    (n, turns)
}

/// Each node's media path over the run (frames or VAD verdicts dropped
/// are errors; pacing is reported) and its log (`ERROR` lines are
/// errors; `WARN` lines are reported).
async fn check_nodes(
    http: &reqwest::Client,
    nodes: &[Node],
    before: &[Scrape],
    tally: &mut Tally,
) -> (Vec<Value>, Vec<(u64, Option<String>)>) {
    let (mut media, mut warnings) = (Vec::new(), Vec::new());
    for (n, start) in nodes.iter().zip(before) {
        let (errors, first) = log_lines(&n.log, "ERROR");
        tally.errors_of(
            format!("node {}: ERROR lines in its log", n.name),
            errors,
            first.unwrap_or_default(),
        );
        warnings.push(log_lines(&n.log, "WARN"));
        let end = match super::load::scrape(http, &n.url).await {
            Ok(end) => end,
            Err(e) => {
                let kind = format!("node {}: /metrics unreadable", n.name);
                tally.error(kind, format!("{e:#}"));
                media.push(format!("node {} —", n.name));
                continue;
            }
        };
        for (metric, what) in [
            (
                "hermes_voice_stream_problems_total",
                "inbound frames dropped",
            ),
            ("hermes_vad_verdicts_dropped_total", "VAD verdicts dropped"),
        ] {
            let dropped = end.total(metric) - start.total(metric);
            tally.errors_of(
                format!("node {}: {what}", n.name),
                dropped as u64,
                metric.into(),
            );
        }
        let pacing = Buckets::between(start, &end, "hermes_voice_pacing_lateness_seconds");
        media.push(format!(
            "node {} pacing p99 {} ({:.0} sends, {:.2}% over 20 ms)",
            n.name,
            bound_ms(pacing.quantile_bound(0.99)),
            pacing.count(),
            100.0 * pacing.share_above(0.02)
        ));
    }
    (media.into_iter().map(Value::from).collect(), warnings)
}

/// Everything the report is made of.
struct Outcome {
    minutes: f64,
    elapsed: f64,
    calls: usize,
    call_secs: f64,
    api_rps: f64,
    users: usize,
    api_requests: u64,
    fleet: Value,
    records: usize,
    tally: Tally,
    latency: Vec<(String, Value)>,
    media: Vec<Value>,
    names: Vec<&'static str>,
    warnings: Vec<(u64, Option<String>)>,
    samples: Vec<Vec<Sample>>,
    sample_secs: u64,
    threshold: f64,
    load: (String, String),
}

impl Outcome {
    fn judged(&self) -> bool {
        self.minutes >= JUDGED_FROM_MINUTES
    }

    fn slopes(&self) -> Vec<Option<f64>> {
        let half = self.minutes * 30.0;
        self.samples
            .iter()
            .map(|s| slope_mib_per_hour(s, half))
            .collect()
    }

    /// The nodes whose memory grew faster than the threshold.
    fn grew(&self) -> Vec<&'static str> {
        self.names
            .iter()
            .zip(self.slopes())
            .filter(|(_, s)| s.is_some_and(|s| s > self.threshold))
            .map(|(n, _)| *n)
            .collect()
    }

    fn pass(&self) -> bool {
        self.tally.error_count() == 0 && (!self.judged() || self.grew().is_empty())
    }

    /// Everything, for `soak.json`.
    fn raw(&self) -> Value {
        json!({
            "minutes": self.minutes,
            "elapsed_secs": self.elapsed,
            "calls_concurrent": self.calls,
            "call_secs": self.call_secs,
            "api_rps": self.api_rps,
            "api_users": self.users,
            "api_requests": self.api_requests,
            "chats": self.tally.chats,
            "fleet": self.fleet,
            "call_records": self.records,
            "errors": self.tally.errors.iter()
                .map(|(k, (n, f))| (k.clone(), json!({"count": n, "first": f})))
                .collect::<serde_json::Map<_, _>>(),
            "latency_ms": self.latency.iter().cloned().collect::<serde_json::Map<_, _>>(),
            "media": self.media,
            "samples_secs_rss_kib_cpu_secs": self.names.iter().zip(&self.samples)
                .map(|(n, s)| (n.to_string(), s.iter().map(|s| json!([s.secs, s.rss_kib, s.cpu_secs])).collect::<Value>()))
                .collect::<serde_json::Map<_, _>>(),
            "slopes_mib_per_hour": self.slopes(),
            "pass": self.pass(),
        })
    }

    fn report(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let f = &self.fleet;
        let (errors, grew) = (self.tally.error_count(), self.grew());
        let _ = writeln!(
            out,
            "### Soak: two nodes, {:.1} min — {}\n",
            self.elapsed / 60.0,
            if self.pass() { "PASS" } else { "**FAIL**" }
        );
        let _ = writeln!(
            out,
            "- **Load**: {} concurrent phone calls ({} s each, taking turns over the nodes; pilot-tone STT, tone TTS, Silero VAD); {} API requests/s from {} signed-in staff (round robin over the nodes; 3 in 10 are text-chat steps). PostgreSQL (a fresh database, RLS on) and Redis shared.",
            self.calls, self.call_secs, self.api_rps, self.users
        );
        let chats: Vec<String> = self
            .tally
            .chats
            .iter()
            .map(|(what, n)| format!("{n} {what}"))
            .collect();
        let _ = writeln!(
            out,
            "- **Totals**: {} API requests ({:.1}/s); text chats: {}; {} calls ({} connected, {} call records), {} caller turns answered, {} barge-ins; load average {} at the start, {} at the end.",
            self.api_requests,
            self.api_requests as f64 / self.minutes / 60.0,
            if chats.is_empty() {
                "none".into()
            } else {
                chats.join(", ")
            },
            f["calls"],
            f["connected"],
            self.records,
            f["turns_answered"],
            f["barge_n_all"],
            self.load.0,
            self.load.1,
        );
        let memory = if !self.judged() {
            format!(
                "slope not judged (a run under {JUDGED_FROM_MINUTES} min; threshold {} MiB/h)",
                self.threshold
            )
        } else if grew.is_empty() {
            format!(
                "flat (every node under {} MiB/h over the second half)",
                self.threshold
            )
        } else {
            format!(
                "**grows** on node {} (over {} MiB/h)",
                grew.join(", "),
                self.threshold
            )
        };
        let _ = writeln!(
            out,
            "- **Errors**: {errors} (target 0). **Memory**: {memory}.\n"
        );
        out += "| errors by kind | count | first |\n|---|---|---|\n";
        if self.tally.errors.is_empty() {
            out += "| (none) | 0 | |\n";
        }
        for (kind, (n, first)) in &self.tally.errors {
            let first: String = first
                .replace('|', "\\|")
                .replace('\n', " ")
                .chars()
                .take(160)
                .collect();
            let _ = writeln!(out, "| {kind} | {n} | {first} |");
        }
        out += "\n| latency (ms) | n | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|\n";
        for (kind, p) in &self.latency {
            let v = |k: &str| match &p[k] {
                Value::Null => "—".to_owned(),
                x => format!("{:.1}", x.as_f64().unwrap_or(f64::NAN)),
            };
            let _ = writeln!(
                out,
                "| {kind} | {} | {} | {} | {} | {} |",
                p["n"],
                v("p50"),
                v("p95"),
                v("p99"),
                v("max")
            );
        }
        out += "\n";
        out += &memory_table(&self.names, &self.samples, self.elapsed);
        let slopes: Vec<String> = self
            .names
            .iter()
            .zip(self.slopes())
            .map(|(n, s)| match s {
                Some(s) => format!("node {n} {s:+.1} MiB/h"),
                None => format!("node {n} —"),
            })
            .collect();
        let _ = writeln!(
            out,
            "\nRSS slope over the second half (least squares over the samples every {} s): {}; threshold {} MiB/h{}.",
            self.sample_secs,
            slopes.join(", "),
            self.threshold,
            if self.judged() {
                ""
            } else {
                " (not judged on a run this short)"
            }
        );
        let media: Vec<&str> = self.media.iter().filter_map(Value::as_str).collect();
        let _ = writeln!(
            out,
            "Media path: {}; callers' frame pacing p99 {} µs; the fleet's own tick lateness p99 {} µs (if large, the fleet, not the nodes, was short of CPU).",
            media.join("; "),
            f["pacing_p99_us"],
            f["fleet_tick_p99_us"]
        );
        let warnings: Vec<String> = self
            .names
            .iter()
            .zip(&self.warnings)
            .map(|(n, (count, first))| match first {
                Some(l) => format!("node {n}: {count} (first: `{}`)", l.replace('`', "'")),
                None => format!("node {n}: 0"),
            })
            .collect();
        let _ = writeln!(out, "WARN lines in the logs: {}.", warnings.join("; "));
        out
    }
}

pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    check_args(&args)?;
    // Ctrl-C ends the run early but still stops the nodes and drops the
    // database (the locals of `soak` are dropped with it).
    tokio::select! {
        r = soak(&args) => r,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
    }
}

async fn soak(args: &SoakArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(30))
        .build()?;
    let d = deploy(args, &http).await?;
    let urls: Vec<String> = d.nodes.iter().map(|n| n.url.clone()).collect();
    let mut before = Vec::new();
    for n in &d.nodes {
        before.push(super::load::scrape(&http, &n.url).await?);
    }
    let t0 = Instant::now();
    let load_before = loadavg();
    eprintln!(
        "soak: {} min, {} calls, {} API req/s; nodes {}; logs in {}",
        args.minutes,
        args.calls,
        args.api_rps,
        urls.join(" and "),
        args.out.display()
    );
    let pids = d.nodes.iter().map(|n| (n.name, n.proc.pid())).collect();
    let sampling = sampler(pids, t0, Duration::from_secs(args.sample_secs));
    let fleet_log = args.out.join("fleet.log");
    let mut fleet = Proc::spawn(&fleet_args(args, &urls), &fleet_log)?;
    let users = if args.api_rps > 0.0 { d.staff.len() } else { 0 };
    let api = Arc::new(Api {
        http: http.clone(),
        nodes: urls,
        until: t0 + Duration::from_secs_f64(args.minutes * 60.0),
        every: Duration::from_secs_f64(users as f64 / args.api_rps.max(f64::MIN_POSITIVE)),
        requests: AtomicU64::new(0),
        errors: AtomicU64::new(0),
    });
    let workers: Vec<_> = d.staff[..users]
        .iter()
        .enumerate()
        .map(|(i, (email, password))| {
            let job = staff(api.clone(), i, users, email.clone(), password.clone());
            tokio::spawn(job)
        })
        .collect();

    let fleet_result = await_fleet(&mut fleet, &fleet_log, &api, &d.nodes, t0).await?;
    let mut tally = Tally::default();
    for w in workers {
        tally.merge(w.await?);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let Readings { samples, gone } = sampling.stop().await?;
    let load_after = loadavg();
    for i in gone {
        tally.error(
            format!("node {}: process gone", d.nodes[i].name),
            "its /proc entry could not be read".into(),
        );
    }
    let (records, mut server_turns) = check_calls(&http, &d, &fleet_result, &mut tally).await;
    let (media, warnings) = check_nodes(&http, &d.nodes, &before, &mut tally).await;

    let mut latency: Vec<(String, Value)> = tally
        .latency
        .iter()
        .map(|(kind, h)| {
            let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            let p = json!({"n": h.len(), "p50": ms(0.5), "p95": ms(0.95), "p99": ms(0.99), "max": h.max() as f64 / 1000.0});
            (format!("API {kind}"), p)
        })
        .collect();
    for (kind, p) in fleet_result["latency_ms"].as_object().into_iter().flatten() {
        latency.push((kind.clone(), p.clone()));
    }
    latency.push((
        "turn: server-added (end of turn → first reply frame sent)".into(),
        percentiles(&mut server_turns),
    ));
    let outcome = Outcome {
        minutes: args.minutes,
        elapsed,
        calls: args.calls,
        call_secs: args.call_secs,
        api_rps: args.api_rps,
        users,
        api_requests: api.requests.load(Relaxed),
        fleet: fleet_result,
        records,
        tally,
        latency,
        media,
        names: d.nodes.iter().map(|n| n.name).collect(),
        warnings,
        samples,
        sample_secs: args.sample_secs,
        threshold: args.max_growth_mib_per_hour,
        load: (load_before, load_after),
    };
    let raw = args.out.join("soak.json");
    std::fs::write(&raw, serde_json::to_string_pretty(&outcome.raw())?)?;
    println!("{}", outcome.report());
    println!(
        "Raw results (every sample, every error kind): {}",
        raw.display()
    );
    drop(fleet);
    drop(d);
    if !outcome.pass() {
        bail!(
            "the soak failed: {} errors{}",
            outcome.tally.error_count(),
            if outcome.judged() && !outcome.grew().is_empty() {
                format!(", memory grows on node {}", outcome.grew().join(", "))
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// The demo admin's access token.
async fn sign_in(http: &reqwest::Client, url: &str, password: &str) -> anyhow::Result<String> {
    let pair: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"tenant": "demo", "email": "admin@demo.example", "password": password}))
        .send()
        .await?
        .error_for_status()
        .context("signing in as the demo admin")?
        .json()
        .await?;
    Ok(pair["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(rss_mib: impl Fn(f64) -> f64) -> Vec<Sample> {
        (0..=180)
            .map(|i| {
                let secs = i as f64 * 10.0;
                Sample {
                    secs,
                    rss_kib: (rss_mib(secs) * 1024.0) as u64,
                    cpu_secs: secs * 0.5,
                }
            })
            .collect()
    }

    #[test]
    fn the_slope_is_in_mib_per_hour_over_the_second_half() {
        // Warms up by 100 MiB in the first ten minutes, then flat.
        let flat = samples(|s| 100.0 + 100.0 * (s / 600.0).min(1.0));
        let s = slope_mib_per_hour(&flat, 900.0).unwrap();
        assert!(s.abs() < 0.01, "{s}");
        // 10 MiB over the whole half hour: 20 MiB/h.
        let leak = samples(|s| 100.0 + 10.0 * s / 1800.0);
        let s = slope_mib_per_hour(&leak, 900.0).unwrap();
        assert!((s - 20.0).abs() < 0.1, "{s}");
        assert_eq!(slope_mib_per_hour(&leak[..2], 0.0), None);
    }

    #[test]
    fn the_memory_table_has_a_row_per_minute_and_the_end() {
        let s = samples(|_| 64.0);
        let t = memory_table(&["A"], &[s[..=15].to_vec()], 150.0);
        let rows: Vec<&str> = t.lines().skip(2).collect();
        assert_eq!(
            rows,
            [
                "| 0.0 | 64.0 | — |",
                "| 1.0 | 64.0 | 0.50 |",
                "| 2.0 | 64.0 | 0.50 |",
                "| 2.5 | 64.0 | 0.50 |"
            ]
        );
    }

    #[test]
    fn log_lines_are_counted_by_level_with_or_without_colours() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("node.log");
        std::fs::write(
            &log,
            "\x1b[2m2026-11-27T08:33:51Z\x1b[0m \x1b[33m WARN\x1b[0m \x1b[2msqlx::query\x1b[0m: slow statement\n\
             2026-11-27T08:34:00Z ERROR hermes_api: could not send\n\
             2026-11-27T08:34:01Z  INFO hermes: the ERROR word in a message\n\
             2026-11-27T08:34:02Z  WARN hermes: again\n",
        )
        .unwrap();
        let (n, first) = log_lines(&log, "WARN");
        assert_eq!(n, 2);
        assert_eq!(
            first.as_deref(),
            Some("2026-11-27T08:33:51Z  WARN sqlx::query: slow statement")
        );
        assert_eq!(log_lines(&log, "ERROR").0, 1);
        assert_eq!(log_lines(&dir.path().join("none.log"), "ERROR"), (0, None));
    }

    #[test]
    fn bad_arguments_are_refused_with_the_reason() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            soak: SoakArgs,
        }
        let parse =
            |a: &[&str]| Cli::parse_from(std::iter::once("soak").chain(a.iter().copied())).soak;
        assert!(check_args(&parse(&[])).is_ok());
        let e = check_args(&parse(&["--minutes", "0"])).unwrap_err();
        assert!(e.to_string().contains("--minutes"), "{e}");
        let e = check_args(&parse(&["--call-secs", "5"])).unwrap_err();
        assert!(e.to_string().contains("--call-secs"), "{e}");
        let e = check_args(&parse(&["--api-users", "0"])).unwrap_err();
        assert!(e.to_string().contains("--api-users"), "{e}");
    }
}
