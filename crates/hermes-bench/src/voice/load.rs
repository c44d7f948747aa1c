//! The media-path load benchmark's orchestrator. For each N: a fresh
//! server process, the firm's Twilio settings through the API, the idle
//! server's CPU time and memory from `/proc`, then a fleet process of N
//! callers; while every call is live (the window), the server's and the
//! fleet's CPU time, the server's resident memory (sampled every second)
//! and `/metrics` (read at both ends: its histograms subtract); after the
//! calls, their records (`GET /api/v1/calls`) for the per-turn timings.
//!
//! A step passes when, over the window, the server's pacing lateness
//! (each 20 ms send against its schedule, `hermes_voice_pacing_lateness_seconds`)
//! and the callers' (each frame's arrival against a 20 ms grid) both have
//! p99 ≤ 20 ms, no inbound frame or VAD verdict was dropped, and every
//! call connected.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::server::VadKind;
use super::stats::{Buckets, Scrape, bound_ms, quantile, summary};

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "f00dfeedfacecafe9876543210fedcba";

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Concurrent calls, one step each.
    #[arg(long, value_delimiter = ',', default_value = "100,250,500,1000,1500")]
    pub calls: Vec<usize>,
    /// Seconds measured while every call is live.
    #[arg(long, default_value_t = 30.0)]
    pub window_secs: f64,
    /// New calls per second while ramping up.
    #[arg(long, default_value_t = 50.0)]
    pub ramp_rate: f64,
    /// Length of the agent's speech per word (ms).
    #[arg(long, default_value_t = 300)]
    pub ms_per_word: u32,
    #[arg(long, value_enum, default_value = "silero")]
    pub vad: VadKind,
    /// The callers consent to the recording (the firm keeps recordings);
    /// `false`: they decline, and calls keep none.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub recording: bool,
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
    /// Where each step's server log and raw results are kept.
    #[arg(long, default_value = "target/voice-bench")]
    pub out: PathBuf,
    /// Go on after a step fails the pacing criterion.
    #[arg(long)]
    pub keep_going: bool,
    /// A tiny run (3 calls, a 10 s window, a fast-talking agent) that
    /// checks the harness.
    #[arg(long)]
    pub smoke: bool,
}

/// Seconds between the last call's start and the window: its opening.
const SETTLE_SECS: f64 = 5.0;
/// Seconds every call outlives the window.
const TAIL_SECS: f64 = 5.0;

/// A process's CPU time and resident memory, from `/proc`.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub at: Instant,
    pub cpu_secs: f64,
    pub rss_kib: u64,
}

pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

pub fn usage(pid: u32, ticks: f64) -> anyhow::Result<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses: utime and
    // stime are fields 14 and 15 of the line.
    let rest = stat.rsplit_once(')').context("bad /proc stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let cpu = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("no VmRSS")?;
    Ok(Usage {
        at: Instant::now(),
        cpu_secs: cpu / ticks,
        rss_kib: rss,
    })
}

/// CPU seconds of each of a process's threads, summed by thread name
/// (the runtime's workers share one).
fn thread_cpu(pid: u32, ticks: f64) -> BTreeMap<String, f64> {
    let mut by_name = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some((_, name_and_rest)), Some((_, rest))) =
            (stat.split_once('('), stat.rsplit_once(')'))
        else {
            continue;
        };
        let name = name_and_rest.rsplit_once(')').map_or("", |(n, _)| n);
        let f: Vec<&str> = rest.split_whitespace().collect();
        let cpu = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
            + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        *by_name.entry(name.to_owned()).or_insert(0.0) += cpu / ticks;
    }
    by_name
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// A child process whose stdout lines arrive on a channel; SIGTERM on drop.
pub struct Proc {
    child: Child,
    pub lines: mpsc::UnboundedReceiver<String>,
}

impl Proc {
    pub fn spawn(args: &[String], log: &Path) -> anyhow::Result<Proc> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()?;
        let out = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Proc { child, lines })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn line(&mut self, what: &str) -> anyhow::Result<String> {
        match tokio::time::timeout(Duration::from_secs(600), self.lines.recv()).await {
            Ok(Some(l)) => Ok(l),
            _ => bail!("the {what} process ended or went silent"),
        }
    }
}

impl Proc {
    /// The next line, which must start with `prefix`: the rest of it.
    pub async fn field(&mut self, prefix: &str) -> anyhow::Result<String> {
        let line = self.line("server").await?;
        match line.strip_prefix(prefix) {
            Some(v) => Ok(v.to_owned()),
            None => bail!("expected {prefix:?} from the server, got {line:?}"),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// What the orchestrator read at one end of the window.
struct Mark {
    server: Usage,
    threads: BTreeMap<String, f64>,
    fleet: Usage,
    metrics: Scrape,
    load: String,
}

pub async fn scrape(http: &reqwest::Client, url: &str) -> anyhow::Result<Scrape> {
    let text = http
        .get(format!("{url}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(Scrape::parse(&text))
}

async fn mark(
    http: &reqwest::Client,
    url: &str,
    server: u32,
    fleet: u32,
    ticks: f64,
) -> anyhow::Result<Mark> {
    Ok(Mark {
        server: usage(server, ticks)?,
        threads: thread_cpu(server, ticks),
        fleet: usage(fleet, ticks)?,
        metrics: scrape(http, url).await?,
        load: loadavg(),
    })
}

/// Signs in as the demo admin and gives the demo firm a Twilio number.
pub async fn configure(
    http: &reqwest::Client,
    url: &str,
    password: &str,
    recording: bool,
) -> anyhow::Result<String> {
    let login: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"tenant": "demo", "email": "admin@demo.example", "password": password}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned();
    http.put(format!("{url}/api/v1/settings/telephony"))
        .bearer_auth(&token)
        .json(&json!({
            "provider": "twilio",
            "numbers": ["+15035550100"],
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "recording": recording,
        }))
        .send()
        .await?
        .error_for_status()
        .context("setting the firm's telephony")?;
    Ok(token)
}

/// Every call's record, once `expected` have ended (or a minute passed).
pub async fn call_records(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    expected: usize,
) -> anyhow::Result<Vec<Value>> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let mut calls = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let mut req = http
                .get(format!("{url}/api/v1/calls"))
                .bearer_auth(token)
                .query(&[("limit", "200")]);
            if let Some(b) = &before {
                req = req.query(&[("before", b.as_str())]);
            }
            let page: Value = req.send().await?.error_for_status()?.json().await?;
            calls.extend(page["calls"].as_array().cloned().unwrap_or_default());
            match page["next_before"].as_str() {
                Some(b) => before = Some(b.to_owned()),
                None => break,
            }
        }
        let ended = calls
            .iter()
            .filter(|c| c["status"] == "ended" && c["intake_id"].is_string())
            .count();
        if ended >= expected || Instant::now() >= deadline {
            return Ok(calls);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn step(args: &LoadArgs, n: usize, ticks: f64) -> anyhow::Result<Value> {
    let (window, ramp_rate, ms_per_word) = if args.smoke {
        (10.0, 10.0, 60)
    } else {
        (args.window_secs, args.ramp_rate, args.ms_per_word)
    };
    let ramp = (n as f64 / ramp_rate).max(1.0);
    let window_from = ramp + SETTLE_SECS;
    let call_secs = window_from + window + TAIL_SECS;
    let vad = match args.vad {
        VadKind::Silero => "silero",
        VadKind::Energy => "energy",
    };
    let mut server = Proc::spawn(
        &[
            "serve".into(),
            "--models-dir".into(),
            args.models_dir.display().to_string(),
            "--vad".into(),
            vad.into(),
            "--ms-per-word".into(),
            ms_per_word.to_string(),
        ],
        &args.out.join(format!("server-{n}.log")),
    )?;
    let url = server.field("url: ").await?;
    let password = server.field("password: ").await?;
    let http = reqwest::Client::new();
    let token = configure(&http, &url, &password, true).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = usage(server.pid(), ticks)?;

    let mut fleet = Proc::spawn(
        &[
            "callers".into(),
            "--url".into(),
            url.clone(),
            "--auth-token".into(),
            AUTH_TOKEN.into(),
            "--account-sid".into(),
            ACCOUNT_SID.into(),
            "--calls".into(),
            n.to_string(),
            "--ramp-secs".into(),
            ramp.to_string(),
            "--call-secs".into(),
            call_secs.to_string(),
            "--window-from".into(),
            window_from.to_string(),
            "--window-secs".into(),
            window.to_string(),
        ]
        .into_iter()
        .chain((!args.recording).then(|| "--decline".to_owned()))
        .collect::<Vec<_>>(),
        &args.out.join(format!("fleet-{n}.log")),
    )?;
    // Resident memory, every second, until the fleet reports.
    let pid = server.pid();
    let (stop_sampling, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => match usage(pid, ticks) {
                    Ok(u) => samples.push(u),
                    Err(_) => return samples,
                },
                _ = &mut stopped => return samples,
            }
        }
    });
    let (mut start, mut end, mut result) = (None, None, None);
    while result.is_none() {
        let line = fleet.line("fleet").await?;
        match line.as_str() {
            "window-start" => {
                start = Some(mark(&http, &url, server.pid(), fleet.pid(), ticks).await?)
            }
            "window-end" => end = Some(mark(&http, &url, server.pid(), fleet.pid(), ticks).await?),
            l => {
                if let Some(j) = l.strip_prefix("result ") {
                    result = Some(serde_json::from_str::<Value>(j)?);
                }
            }
        }
    }
    let (Some(start), Some(end), Some(fleet_result)) = (start, end, result) else {
        bail!("the fleet did not report its window");
    };
    let connected = fleet_result["connected"].as_u64().unwrap_or(0) as usize;
    // The server's own account of the run, for a closer look.
    let metrics = http
        .get(format!("{url}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    std::fs::write(args.out.join(format!("metrics-{n}.txt")), metrics)?;
    let _ = stop_sampling.send(());
    let samples = sampler.await?;
    let records = call_records(&http, &url, &token, connected).await?;
    // One call's conversation as the server took it, to read beside the
    // numbers.
    if let Some(intake) = records.iter().find_map(|c| c["intake_id"].as_str()) {
        let i: Value = http
            .get(format!("{url}/api/v1/intakes/{intake}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        std::fs::write(
            args.out.join(format!("transcript-{n}.json")),
            serde_json::to_string_pretty(
                &json!({"call": records[0], "transcript": i["record"]["transcript"]}),
            )?,
        )?;
    }
    drop(fleet);
    drop(server);
    Ok(summarise(
        n,
        window,
        &idle,
        &start,
        &end,
        &samples,
        &fleet_result,
        &records,
    ))
}

#[allow(clippy::too_many_arguments)]
fn summarise(
    n: usize,
    window: f64,
    idle: &Usage,
    start: &Mark,
    end: &Mark,
    samples: &[Usage],
    fleet: &Value,
    records: &[Value],
) -> Value {
    let secs = end.server.at.duration_since(start.server.at).as_secs_f64();
    let server_cores = (end.server.cpu_secs - start.server.cpu_secs) / secs;
    let fleet_cores = (end.fleet.cpu_secs - start.fleet.cpu_secs) / secs;
    // Threads that lived through the window (a call's blocking tasks come
    // and go; they are in the process's total).
    let threads: serde_json::Map<String, Value> = end
        .threads
        .iter()
        .filter_map(|(name, cpu)| {
            let before = start.threads.get(name)?;
            Some((name.clone(), Value::from((cpu - before) / secs)))
        })
        .collect();
    let in_window: Vec<u64> = samples
        .iter()
        .filter(|u| u.at >= start.server.at && u.at <= end.server.at)
        .map(|u| u.rss_kib)
        .collect();
    let rss_window = in_window.iter().sum::<u64>() as f64 / in_window.len().max(1) as f64;
    let rss_max = in_window.iter().copied().max().unwrap_or(0);
    let per_call_kib = (rss_window - idle.rss_kib as f64) / n as f64;

    let (a, b) = (&start.metrics, &end.metrics);
    let pacing = Buckets::between(a, b, "hermes_voice_pacing_lateness_seconds");
    let turn = Buckets::between(a, b, "hermes_voice_turn_latency_seconds");
    let barge = Buckets::between(a, b, "hermes_voice_barge_in_seconds");
    let counted = |name: &str| b.total(name) - a.total(name);
    let backlog = counted("hermes_voice_stream_problems_total");
    let vad_dropped = counted("hermes_vad_verdicts_dropped_total");
    let vad_gated = counted("hermes_vad_frames_gated_total");
    let vad_frames = counted("hermes_vad_frames_total");

    let turns: Vec<&Value> = records
        .iter()
        .flat_map(|c| c["turns"].as_array().into_iter().flatten())
        .collect();
    let timing = |key: &str| -> Vec<u64> { turns.iter().filter_map(|t| t[key].as_u64()).collect() };
    let mut first_frame = timing("first_frame_ms");
    // Where the server-added time goes, per turn (p50 / p95 / p99 ms).
    let split: serde_json::Map<String, Value> = [
        "transcript_ms",
        "reply_ms",
        "first_audio_ms",
        "first_frame_ms",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), Value::from(summary(&mut timing(k)))))
    .collect();
    let ended = records.iter().filter(|c| c["status"] == "ended").count();
    let caller_p99_us = fleet["pacing_p99_us"].as_u64();
    let server_p99 = pacing.quantile_bound(0.99);
    let pass = server_p99.is_some_and(|p| p <= 0.02)
        && caller_p99_us.is_some_and(|p| p <= 20_000)
        && backlog == 0.0
        && vad_dropped == 0.0
        && fleet["connected"].as_u64() == Some(n as u64)
        && fleet["errors"].as_u64() == Some(0);
    json!({
        "calls": n,
        "window_secs": window,
        "pass": pass,
        "load_average": [start.load, end.load],
        "server_cores": server_cores,
        "fleet_cores": fleet_cores,
        "server_cores_by_thread": threads,
        "cpu_per_call_pct_of_core": 100.0 * server_cores / n as f64,
        "rss_idle_mib": idle.rss_kib as f64 / 1024.0,
        "rss_window_mean_mib": rss_window / 1024.0,
        "rss_window_max_mib": rss_max as f64 / 1024.0,
        "per_call_kib": per_call_kib,
        "server_pacing_ticks": pacing.count(),
        "server_pacing_p99": bound_ms(server_p99),
        "server_pacing_p999": bound_ms(pacing.quantile_bound(0.999)),
        "server_pacing_over_20ms": pacing.share_above(0.02),
        "caller_pacing_p99_ms": caller_p99_us.map(|u| u as f64 / 1000.0),
        "inbound_dropped": backlog,
        "vad_verdicts_dropped": vad_dropped,
        "vad_frames": vad_frames,
        "vad_gated_share": if vad_frames > 0.0 { vad_gated / vad_frames } else { 0.0 },
        "vad_batch_size_p50": b.get("hermes_vad_batch_size{quantile=\"0.5\"}"),
        "vad_batch_size_p99": b.get("hermes_vad_batch_size{quantile=\"0.99\"}"),
        "vad_batch_ms_p50": b.get("hermes_vad_batch_seconds{quantile=\"0.5\"}").map(|s| s * 1000.0),
        "vad_batch_ms_p99": b.get("hermes_vad_batch_seconds{quantile=\"0.99\"}").map(|s| s * 1000.0),
        "turn_latency_window_p50": bound_ms(turn.quantile_bound(0.5)),
        "turn_latency_window_p95": bound_ms(turn.quantile_bound(0.95)),
        "turn_latency_window_n": turn.count(),
        "turn_first_frame_ms_all": summary(&mut first_frame.clone()),
        "turn_first_frame_p95_ms": quantile(&mut first_frame, 0.95),
        "turns_recorded": turns.len(),
        "turn_split_ms": split,
        "calls_ended": ended,
        "barge_server_p95": bound_ms(barge.quantile_bound(0.95)),
        "barge_server_n": barge.count(),
        "fleet": fleet,
    })
}

fn row(s: &Value) -> String {
    let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    format!(
        "| {} | {:.2} | {:.3}% | {:.0} → {:.0} | {:.0} KiB | {} | {} ms | {} / {} | {} ms | {} (server {}) | {:.2} | {} | {} |",
        s["calls"],
        f("server_cores"),
        f("cpu_per_call_pct_of_core"),
        f("rss_idle_mib"),
        f("rss_window_mean_mib"),
        f("per_call_kib"),
        s["server_pacing_p99"].as_str().unwrap_or("—"),
        s["caller_pacing_p99_ms"],
        s["inbound_dropped"],
        s["vad_verdicts_dropped"],
        s["turn_first_frame_ms_all"].as_str().unwrap_or("—"),
        s["fleet"]["barge_ms_all"].as_str().unwrap_or("—"),
        s["barge_server_p95"].as_str().unwrap_or("—"),
        f("fleet_cores"),
        s["load_average"][0].as_str().unwrap_or(""),
        if s["pass"] == true { "yes" } else { "**no**" },
    )
}

const HEADER: &str = "| calls | server CPU (cores) | CPU per call (of a core) | RSS idle → loaded (MiB) | memory per call | pacing p99, server | pacing p99, callers | dropped in / VAD | turn latency p50 / p95 / p99, server-added | barge-in p50 / p95 / p99 ms, callers | fleet CPU (cores) | load avg at start | meets |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|";

pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let ticks = clock_ticks();
    let steps = if args.smoke {
        vec![3]
    } else {
        args.calls.clone()
    };
    println!("{HEADER}");
    for n in steps {
        let s = step(&args, n, ticks)
            .await
            .with_context(|| format!("the step with {n} calls"))?;
        std::fs::File::create(args.out.join(format!("result-{n}.json")))?
            .write_all(serde_json::to_string_pretty(&s)?.as_bytes())?;
        println!("{}", row(&s));
        if s["pass"] != true && !args.keep_going {
            break;
        }
    }
    println!("\nRaw results and logs: {}", args.out.display());
    Ok(())
}
