//! The caller fleet: N callers playing Twilio against one server, each a
//! task on a 20 ms clock, in a process of their own.
//!
//! A caller rings (a signed incoming-call webhook), opens the media stream
//! the TwiML names, and from then on sends one μ-law frame every 20 ms —
//! a line of its script, or the line's hiss — and "plays" the agent's
//! frames one per 20 ms as Twilio would, echoing marks once played and
//! dropping what a `clear` drops. It takes its turn when the agent has
//! been quiet for a moment, says one line over the agent (the barge-in),
//! and hangs up when its time is up. Calls start evenly over the ramp and
//! all last as long, so every call is live during the measured window.
//!
//! What it measures, within the window only:
//! - *pacing*: each agent frame's arrival against its place on a 20 ms
//!   grid starting at the first frame of its run (a run is the agent's
//!   audio between two marks or clears: the server marks the end of every
//!   reply). Early frames count as 0: the server keeps up to 60 ms ahead.
//! - *barge-in*: the first frame of the line said over the agent sent →
//!   the `clear` received.
//! - *response*: the last frame of a line sent → the first agent frame
//!   received (includes the endpointer's hangover).
//! - its own tick lateness: if that is large, the fleet, not the server,
//!   was short of CPU.
//!
//! On stdout: `window-start` and `window-end` when the window opens and
//! closes (the orchestrator reads `/proc` and `/metrics` then), and finally
//! `result {json}`.
//!
//! With `--soak-secs` (the soak test) the fleet instead keeps `--calls`
//! calls going for that long: each slot starts its next call as soon as
//! the last one ends, calls take turns over the `--url`s (the nodes), the
//! window is the whole run, and a `progress {json}` line comes every
//! minute. Every call that fails is counted by what failed.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::line::{BARGE_STEP, DECLINE, LINES, Phrasebook, SCRIPT};
use super::stats::{percentiles, quantile, summary};

#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// The server; several (comma-separated): calls take turns over them.
    #[arg(long, value_delimiter = ',', required = true)]
    pub url: Vec<String>,
    #[arg(long, default_value = "demo")]
    pub tenant: String,
    #[arg(long)]
    pub auth_token: String,
    #[arg(long)]
    pub account_sid: String,
    /// The firm's number (the webhook's `To`).
    #[arg(long, default_value = "+15035550100")]
    pub to: String,
    #[arg(long)]
    pub calls: usize,
    /// Calls start evenly over this many seconds.
    #[arg(long)]
    pub ramp_secs: f64,
    /// Every call lasts this long, then the caller hangs up.
    #[arg(long)]
    pub call_secs: f64,
    /// The measured window opens this many seconds after the first call.
    #[arg(long)]
    pub window_from: f64,
    #[arg(long)]
    pub window_secs: f64,
    /// Callers decline the recording (the call then keeps none).
    #[arg(long)]
    pub decline: bool,
    /// Soak: keep `calls` calls going for this many seconds (see above).
    #[arg(long)]
    pub soak_secs: Option<f64>,
}

/// The agent quiet this long: the caller's turn.
const TURN_GAP: Duration = Duration::from_millis(700);
/// No answer for this long after a line: say the next one anyway.
const PATIENCE: Duration = Duration::from_secs(10);
/// The barge-in line starts this far into the agent's reply.
const BARGE_AFTER: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(20);

struct Shared {
    args: FleetArgs,
    book: Phrasebook,
    http: reqwest::Client,
    window: (Instant, Instant),
}

impl Shared {
    fn in_window(&self, t: Instant) -> bool {
        self.window.0 <= t && t < self.window.1
    }
}

/// One call's measurements.
#[derive(Default)]
struct CallStats {
    connected: bool,
    error: Option<String>,
    agent_hung_up: bool,
    /// Agent frames received in the window, and their lateness (µs).
    pacing_us: Vec<u32>,
    frames_total: u64,
    /// The fleet's own tick lateness in the window (µs).
    tick_us: Vec<u32>,
    /// Onset of the line said over the agent → `clear` (ms), and whether
    /// that happened in the window.
    barge_ms: Option<(u64, bool)>,
    /// The barge-in line was said over the agent but no `clear` came.
    barge_missed: bool,
    /// The agent had finished before the barge-in point: said normally.
    barge_skipped: bool,
    response_ms: Vec<u64>,
    lines: u32,
    clears: u32,
    /// Incoming-call webhook sent → its TwiML read (ms).
    webhook_ms: Option<u64>,
    /// Incoming-call webhook sent → the agent's first frame (ms).
    setup_ms: Option<u64>,
    /// The media stream broke (rather than closed) under the call.
    stream_error: Option<String>,
    /// The call-status webhook at the end was refused or failed.
    status_error: Option<String>,
}

impl CallStats {
    /// What went wrong with this call, if anything: the kind, and the
    /// detail. A call that never heard the agent did not work either.
    fn failure(&self) -> Option<(String, String)> {
        if let Some(e) = &self.error {
            let kind = e.split_once(": ").map_or(e.as_str(), |(k, _)| k);
            return Some((format!("call: {kind}"), e.clone()));
        }
        if let Some(e) = &self.stream_error {
            return Some(("call: the media stream broke".into(), e.clone()));
        }
        if let Some(e) = &self.status_error {
            return Some(("call: the call-status webhook".into(), e.clone()));
        }
        if self.frames_total == 0 {
            return Some((
                "call: never heard the agent".into(),
                "no agent audio on the stream".into(),
            ));
        }
        None
    }
}

/// The caller's side of the conversation.
struct Caller {
    queued: u64,
    played: u64,
    /// Marks to echo once this many frames have played.
    marks: VecDeque<(u64, String)>,
    /// First frame of the current run of agent audio, and frames since.
    run: Option<(Instant, u32)>,
    last_played: Option<Instant>,
    heard_since_line: bool,
    /// When the agent's audio began playing after our last line.
    reply_started: Option<Instant>,
    /// Line (index into LINES) being said and the next frame of it.
    speaking: Option<(usize, usize)>,
    step: usize,
    line_end: Option<Instant>,
    awaiting_response: bool,
    /// The line about to start is said over the agent.
    barging: bool,
    barge_onset: Option<Instant>,
    barge_clear: Option<Instant>,
}

impl Caller {
    fn new() -> Self {
        Caller {
            queued: 0,
            played: 0,
            marks: VecDeque::new(),
            run: None,
            last_played: None,
            heard_since_line: false,
            reply_started: None,
            speaking: None,
            step: 0,
            line_end: None,
            awaiting_response: false,
            barging: false,
            barge_onset: None,
            barge_clear: None,
        }
    }

    fn start_line(&mut self, decline: bool) {
        let line = match SCRIPT[self.step % SCRIPT.len()] {
            0 if decline => DECLINE,
            line => line,
        };
        self.speaking = Some((line, 0));
        self.step += 1;
        self.heard_since_line = false;
        self.reply_started = None;
        self.line_end = None;
        self.awaiting_response = false;
    }

    /// Whether to start the next line now (after this tick's frame); sets
    /// `barging` when it is to be said over the agent.
    fn next_line_due(&mut self, now: Instant, stats: &mut CallStats) -> bool {
        if self.speaking.is_some() {
            return false;
        }
        let agent_talking = self.played < self.queued;
        let quiet = !agent_talking
            && self
                .last_played
                .is_none_or(|t| now.duration_since(t) >= TURN_GAP)
            && self.heard_since_line;
        let unanswered = !agent_talking
            && self
                .line_end
                .is_some_and(|t| now.duration_since(t) >= PATIENCE);
        if self.step == BARGE_STEP {
            if let Some(s) = self.reply_started
                && agent_talking
                && now >= s + BARGE_AFTER
            {
                self.barging = true;
                return true;
            }
            if quiet {
                stats.barge_skipped = true;
            }
        }
        quiet || unanswered
    }
}

fn media(stream_sid: &str, seq: u64, ms: u128, payload: &str) -> String {
    format!(
        r#"{{"event":"media","sequenceNumber":"{seq}","streamSid":"{stream_sid}","media":{{"track":"inbound","chunk":"{}","timestamp":"{ms}","payload":"{payload}"}}}}"#,
        seq - 1
    )
}

fn mark(stream_sid: &str, name: &str) -> String {
    json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}).to_string()
}

async fn post_signed(
    shared: &Shared,
    base: &str,
    path: &str,
    form: &[(String, String)],
) -> anyhow::Result<reqwest::Response> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let signature = hermes_voice::signature::sign(&shared.args.auth_token, &url, form);
    Ok(shared
        .http
        .post(&url)
        .header("X-Twilio-Signature", signature)
        .form(form)
        .send()
        .await?
        .error_for_status()?)
}

async fn call(shared: Arc<Shared>, index: usize, start: Instant, end: Instant) -> CallStats {
    let mut stats = CallStats::default();
    tokio::time::sleep_until(start.into()).await;
    if let Err(e) = converse(&shared, index, end, &mut stats).await {
        stats.error = Some(format!("{e:#}"));
    }
    stats
}

async fn converse(
    shared: &Shared,
    index: usize,
    end: Instant,
    stats: &mut CallStats,
) -> anyhow::Result<()> {
    let a = &shared.args;
    let base = &a.url[index % a.url.len()];
    let call_sid = format!(
        "CA{:032x}",
        (u128::from(std::process::id()) << 64) | index as u128
    );
    let mut form: Vec<(String, String)> = [
        ("CallSid", call_sid.as_str()),
        ("AccountSid", a.account_sid.as_str()),
        ("From", &format!("+1503555{:04}", index % 10_000)),
        ("To", a.to.as_str()),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let rang = Instant::now();
    let twiml = post_signed(
        shared,
        base,
        &format!("/voice/twilio/{}/incoming", a.tenant),
        &form,
    )
    .await
    .context("the incoming-call webhook")?
    .text()
    .await
    .context("the incoming-call webhook")?;
    stats.webhook_ms = Some(rang.elapsed().as_millis() as u64);
    let (ws_url, params) = hermes::simulate::parse_twiml(&twiml)?;
    // See `READ_BUFFER_BYTES`: the default buffer is zero-filled per read.
    let config =
        WebSocketConfig::default().read_buffer_size(hermes_voice::twilio::READ_BUFFER_BYTES);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(ws_url.as_str(), Some(config), true)
        .await
        .context("opening the media stream")?;
    let (mut tx, mut rx) = ws.split();
    let stream_sid = format!("MZ{:032x}", index);
    let opening = hermes::simulate::stream_opening(&stream_sid, &a.account_sid, &call_sid, params);
    for message in opening {
        tx.send(Message::Text(message.into())).await?;
    }
    stats.connected = true;

    let started = Instant::now();
    let mut c = Caller::new();
    let mut seq: u64 = 1;
    let mut hiss = 0usize;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let book = &shared.book;
    loop {
        tokio::select! {
            msg = rx.next() => {
                let now = Instant::now();
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None => {
                        stats.agent_hung_up = true;
                        break;
                    }
                    Some(Err(e)) => {
                        stats.agent_hung_up = true;
                        stats.stream_error = Some(e.to_string());
                        break;
                    }
                    Some(Ok(_)) => continue,
                };
                // The event name is all that is needed of a media frame:
                // its payload is the agent's tone.
                if text.starts_with(r#"{"event":"media""#) {
                    stats
                        .setup_ms
                        .get_or_insert_with(|| now.duration_since(rang).as_millis() as u64);
                    c.queued += 1;
                    // Only what the agent says after our line answers it
                    // (over the line, it is what we interrupt).
                    if c.speaking.is_none() {
                        c.heard_since_line = true;
                    }
                    stats.frames_total += 1;
                    let late = match c.run.as_mut() {
                        None => {
                            c.run = Some((now, 0));
                            Duration::ZERO
                        }
                        Some((origin, k)) => {
                            *k += 1;
                            now.saturating_duration_since(*origin + TICK * *k)
                        }
                    };
                    if shared.in_window(now) {
                        stats.pacing_us.push(late.as_micros().min(u128::from(u32::MAX)) as u32);
                        if c.awaiting_response && let Some(e) = c.line_end {
                            stats.response_ms.push(now.duration_since(e).as_millis() as u64);
                        }
                    }
                    c.awaiting_response = false;
                    continue;
                }
                let v: Value = serde_json::from_str(&text).unwrap_or_default();
                match v["event"].as_str().unwrap_or_default() {
                    "mark" => {
                        let name = v["mark"]["name"].as_str().unwrap_or_default().to_owned();
                        c.marks.push_back((c.queued, name));
                        c.run = None;
                    }
                    "clear" => {
                        stats.clears += 1;
                        if c.barge_onset.is_some() && c.barge_clear.is_none() {
                            c.barge_clear = Some(now);
                        }
                        c.queued = c.played;
                        c.run = None;
                        c.heard_since_line = false;
                        // Twilio echoes the cleared marks at once.
                        while let Some((_, name)) = c.marks.pop_front() {
                            tx.send(Message::Text(mark(&stream_sid, &name).into())).await?;
                        }
                    }
                    _ => {}
                }
            }
            due = tick.tick() => {
                let now = Instant::now();
                if shared.in_window(now) {
                    stats.tick_us.push(now.saturating_duration_since(due.into_std()).as_micros() as u32);
                }
                if now >= end {
                    break;
                }
                // Play one frame of the agent; echo the marks it reached.
                if c.played < c.queued {
                    c.played += 1;
                    c.last_played = Some(now);
                    c.reply_started.get_or_insert(now);
                }
                while c.marks.front().is_some_and(|(at, _)| *at <= c.played) {
                    let (_, name) = c.marks.pop_front().expect("checked");
                    tx.send(Message::Text(mark(&stream_sid, &name).into())).await?;
                }
                // Our frame: the line being said, or the hiss.
                let payload = match c.speaking.as_mut() {
                    Some((line, k)) => {
                        let frames = &book.lines[*line].frames;
                        if *k == 0 && c.barging {
                            c.barging = false;
                            c.barge_onset = Some(now);
                        }
                        let p = &frames[*k];
                        *k += 1;
                        if *k == frames.len() {
                            c.speaking = None;
                            c.line_end = Some(now);
                            c.awaiting_response = true;
                            stats.lines += 1;
                        }
                        p
                    }
                    None => {
                        hiss += 1;
                        &book.hiss[hiss % book.hiss.len()]
                    }
                };
                seq += 1;
                let msg = media(&stream_sid, seq, now.duration_since(started).as_millis(), payload);
                tx.send(Message::Text(msg.into())).await?;
                if c.next_line_due(now, stats) {
                    c.start_line(a.decline);
                }
            }
        }
    }
    if let (Some(onset), Some(clear)) = (c.barge_onset, c.barge_clear) {
        stats.barge_ms = Some((
            clear.duration_since(onset).as_millis() as u64,
            shared.in_window(onset),
        ));
    } else if c.barge_onset.is_some() {
        stats.barge_missed = true;
    }
    if !stats.agent_hung_up {
        let _ = tx
            .send(Message::Text(
                json!({"event": "stop", "streamSid": stream_sid, "stop": {"accountSid": a.account_sid, "callSid": call_sid}})
                    .to_string()
                    .into(),
            ))
            .await;
        let _ = tx.close().await;
    }
    // The call is over, as Twilio reports it.
    for (k, v) in form.iter_mut() {
        if k == "CallStatus" {
            *v = "completed".into();
        }
    }
    let status = post_signed(
        shared,
        base,
        &format!("/voice/twilio/{}/status", a.tenant),
        &form,
    )
    .await;
    if let Err(e) = status {
        stats.status_error = Some(format!("{e:#}"));
    }
    Ok(())
}

pub async fn run(args: FleetArgs) -> anyhow::Result<()> {
    if let Some(secs) = args.soak_secs {
        return soak(args, secs).await;
    }
    let book = super::line::phrasebook()?;
    let t0 = Instant::now() + Duration::from_secs(1);
    let window_start = t0 + Duration::from_secs_f64(args.window_from);
    let window_end = window_start + Duration::from_secs_f64(args.window_secs);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(60))
        .build()?;
    let n = args.calls;
    let shared = Arc::new(Shared {
        book,
        http,
        window: (window_start, window_end),
        args,
    });
    let announce = tokio::spawn(async move {
        tokio::time::sleep_until(window_start.into()).await;
        println!("window-start");
        tokio::time::sleep_until(window_end.into()).await;
        println!("window-end");
    });
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let start = t0 + Duration::from_secs_f64(shared.args.ramp_secs * i as f64 / n as f64);
        let end = start + Duration::from_secs_f64(shared.args.call_secs);
        tasks.push(tokio::spawn(call(shared.clone(), i, start, end)));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.push(t.await?);
    }
    announce.await?;
    println!("result {}", result(&all));
    Ok(())
}

/// A call shorter than this is not started at the end of a soak: it
/// would barely hear the greeting.
const SHORTEST_CALL: Duration = Duration::from_secs(15);

/// The soak: `calls` slots, each starting its next call (of `call_secs`,
/// or until the soak ends) as soon as the last one is over, until
/// `secs` have passed; the slots' first calls start evenly over
/// `ramp_secs`.
async fn soak(args: FleetArgs, secs: f64) -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let book = super::line::phrasebook()?;
    let t0 = Instant::now() + Duration::from_secs(1);
    let until = t0 + Duration::from_secs_f64(secs);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(60))
        .build()?;
    let n = args.calls;
    let shared = Arc::new(Shared {
        book,
        http,
        window: (t0, until),
        args,
    });
    let started = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let progress = {
        let (started, failed) = (started.clone(), failed.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(
                (t0 + Duration::from_secs(60)).into(),
                Duration::from_secs(60),
            );
            loop {
                tick.tick().await;
                let (s, f) = (started.load(Relaxed), failed.load(Relaxed));
                println!(
                    "progress {}",
                    json!({"calls_started": s, "calls_failed": f})
                );
            }
        })
    };
    let mut slots = Vec::with_capacity(n);
    for slot in 0..n {
        let (shared, started, failed) = (shared.clone(), started.clone(), failed.clone());
        slots.push(tokio::spawn(async move {
            let mut done = Vec::new();
            let mut start =
                t0 + Duration::from_secs_f64(shared.args.ramp_secs * slot as f64 / n as f64);
            for round in 0.. {
                if start + SHORTEST_CALL > until {
                    break;
                }
                let end = (start + Duration::from_secs_f64(shared.args.call_secs)).min(until);
                started.fetch_add(1, Relaxed);
                let stats = call(shared.clone(), slot + round * n, start, end).await;
                // After a failure, a pause: a node that refuses at once
                // must not turn the slot into a busy loop.
                start = Instant::now();
                if stats.failure().is_some() {
                    failed.fetch_add(1, Relaxed);
                    start += Duration::from_secs(1);
                }
                done.push(stats);
            }
            done
        }));
    }
    let mut all = Vec::new();
    for s in slots {
        all.extend(s.await?);
    }
    progress.abort();
    println!("result {}", result(&all));
    Ok(())
}

fn result(calls: &[CallStats]) -> Value {
    let mut pacing: Vec<u64> = calls
        .iter()
        .flat_map(|c| c.pacing_us.iter().map(|v| u64::from(*v)))
        .collect();
    let mut ticks: Vec<u64> = calls
        .iter()
        .flat_map(|c| c.tick_us.iter().map(|v| u64::from(*v)))
        .collect();
    let mut barge_window: Vec<u64> = calls
        .iter()
        .filter_map(|c| c.barge_ms)
        .filter(|(_, w)| *w)
        .map(|(ms, _)| ms)
        .collect();
    let mut barge_all: Vec<u64> = calls
        .iter()
        .filter_map(|c| c.barge_ms)
        .map(|(ms, _)| ms)
        .collect();
    let mut response: Vec<u64> = calls.iter().flat_map(|c| c.response_ms.clone()).collect();
    let mut setup: Vec<u64> = calls.iter().filter_map(|c| c.setup_ms).collect();
    let mut webhook: Vec<u64> = calls.iter().filter_map(|c| c.webhook_ms).collect();
    let mut failures: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for (kind, detail) in calls.iter().filter_map(CallStats::failure) {
        failures.entry(kind).or_insert((0, detail)).0 += 1;
    }
    let over = |v: &[u64], us: u64| v.iter().filter(|x| **x > us).count();
    let errors: Vec<&str> = calls
        .iter()
        .filter_map(|c| c.error.as_deref())
        .take(5)
        .collect();
    json!({
        "calls": calls.len(),
        "connected": calls.iter().filter(|c| c.connected).count(),
        "errors": calls.iter().filter(|c| c.error.is_some()).count(),
        "first_errors": errors,
        "agent_hung_up": calls.iter().filter(|c| c.agent_hung_up).count(),
        "lines_said": calls.iter().map(|c| u64::from(c.lines)).sum::<u64>(),
        "lines_known": LINES.len(),
        "clears": calls.iter().map(|c| u64::from(c.clears)).sum::<u64>(),
        "frames_total": calls.iter().map(|c| c.frames_total).sum::<u64>(),
        "pacing_frames": pacing.len(),
        "pacing_over_20ms": over(&pacing, 20_000),
        "pacing_over_60ms": over(&pacing, 60_000),
        "pacing_p50_us": quantile(&mut pacing, 0.5),
        "pacing_p99_us": quantile(&mut pacing, 0.99),
        "pacing_p999_us": quantile(&mut pacing, 0.999),
        "pacing_max_us": pacing.last(),
        "fleet_tick_p99_us": quantile(&mut ticks, 0.99),
        "fleet_tick_max_us": ticks.iter().max(),
        "barge_ms_window": summary(&mut barge_window),
        "barge_ms_window_n": barge_window.len(),
        "barge_ms_all": summary(&mut barge_all),
        "barge_p95_ms_all": quantile(&mut barge_all, 0.95),
        "barge_n_all": barge_all.len(),
        "barge_missed": calls.iter().filter(|c| c.barge_missed).count(),
        "barge_skipped": calls.iter().filter(|c| c.barge_skipped && c.barge_ms.is_none()).count(),
        "response_ms": summary(&mut response),
        "failed": failures.values().map(|(n, _)| n).sum::<u64>(),
        "failures": failures
            .iter()
            .map(|(kind, (n, first))| (kind.clone(), json!({"count": n, "first": first})))
            .collect::<serde_json::Map<_, _>>(),
        "turns_answered": response.len(),
        "latency_ms": {
            "call setup: webhook → first agent audio": percentiles(&mut setup),
            "incoming-call webhook": percentiles(&mut webhook),
            "turn: end of the caller's line → first agent audio": percentiles(&mut response),
            "barge-in: caller speaks → clear": percentiles(&mut barge_all),
        },
    })
}
