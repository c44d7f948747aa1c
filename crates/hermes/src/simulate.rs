//! `hermes simulate`: a caller that is not us. It plays Twilio or Telnyx
//! ([`provider`]) to a running HERMES: rings the firm's number (a signed incoming-call
//! webhook), opens the media stream the TwiML names, speaks the script's
//! lines as μ-law at 8 kHz in real time, plays the agent's audio back on a
//! real-time clock (echoing marks when they have "played", dropping what a
//! `clear` drops), waits for the agent to finish before taking its turn,
//! interrupts when the script says so, and reports both sides and the
//! timings.
//!
//! The caller's voice is a different engine from the agent's (flite or
//! espeak-ng here, Piper there), so the agent's recogniser hears a voice
//! it was not tuned on. Tests give it other voices (see [`CallerVoice`]).
//!
//! Script lines: `say: text`, `interrupt: text` (said about a second into
//! the agent's next reply), `press: 0` (keypad), `wait: 2.5` (seconds of
//! silence), `hangup`. `#` starts a comment.
//!
//! A static script is brittle on a real line: when the agent mishears and
//! asks again, every later line answers the wrong question. A caller with
//! a [`Persona`] listens instead: `when: <the agent's question> => <answer>`
//! lines, then `converse`, answer whatever the agent asks with the answer
//! whose question sounds most like what was heard (through the [`Ear`]),
//! until the agent ends the call.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub mod provider;
use provider::Heard;
pub use provider::Provider;

/// One line of a script.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Say(String),
    Interrupt(String),
    Press(char),
    Wait(Duration),
    Hangup,
    /// Answer the agent by the persona until it ends the call.
    Converse(Persona),
}

/// What a caller would answer to each question they expect, in the order
/// they expect them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Persona {
    pub cues: Vec<(String, String)>,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect()
}

/// The question in what the agent said: its last sentence that ends with
/// a question mark (acknowledgements and disclosures come before it), or
/// all of it when none does.
fn question(text: &str) -> &str {
    let t = text.trim_end();
    let Some(end) = t.rfind('?') else {
        return t;
    };
    let start = t[..end].rfind(['.', '?', '!']).map_or(0, |i| i + 1);
    &t[start..=end]
}

/// How alike two word lists are (Dice's coefficient over distinct words).
fn likeness(a: &[String], b: &[String]) -> f32 {
    let a: std::collections::BTreeSet<&String> = a.iter().collect();
    let b: std::collections::BTreeSet<&String> = b.iter().collect();
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(&b).count() as f32 / (a.len() + b.len()) as f32
}

impl Persona {
    /// The answer to what was heard, and its cue's index: the cue whose
    /// question is most like the question heard, preferring cues not yet
    /// used (questions come in order); `None` when nothing sounds like
    /// any question.
    pub fn answer(&self, heard: &str, next: usize) -> Option<(usize, &str)> {
        // A recogniser may drop the question mark: the last sentence heard
        // is a second guess at the question.
        let last = heard
            .trim_end_matches(['.', '?', '!', ' '])
            .rsplit(['.', '?', '!'])
            .next()
            .unwrap_or_default();
        let (heard, last) = (words(question(heard)), words(last));
        let mut best: Option<(f32, usize)> = None;
        for (i, (asked, _)) in self.cues.iter().enumerate() {
            let asked = words(question(asked));
            let mut score = likeness(&asked, &heard).max(likeness(&asked, &last));
            if i < next {
                score -= 0.15;
            }
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, i));
            }
        }
        let (score, i) = best?;
        (score >= 0.3).then(|| (i, self.cues[i].1.as_str()))
    }
}

pub fn parse_script(text: &str) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let mut persona = Persona::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (verb, rest) = line.split_once(':').unwrap_or((line, ""));
        let rest = rest.trim();
        let step = match verb.trim() {
            "say" if !rest.is_empty() => Step::Say(rest.to_owned()),
            "interrupt" if !rest.is_empty() => Step::Interrupt(rest.to_owned()),
            "press" if rest.chars().count() == 1 => Step::Press(rest.chars().next().unwrap_or('0')),
            "wait" => Step::Wait(Duration::from_secs_f64(
                rest.parse()
                    .with_context(|| format!("line {}: wait takes seconds", n + 1))?,
            )),
            "hangup" => Step::Hangup,
            "when" => {
                let (question, answer) = rest
                    .split_once("=>")
                    .with_context(|| format!("line {}: when: <question> => <answer>", n + 1))?;
                persona
                    .cues
                    .push((question.trim().to_owned(), answer.trim().to_owned()));
                continue;
            }
            "converse" => Step::Converse(std::mem::take(&mut persona)),
            _ => bail!(
                "line {}: expected say:, interrupt:, press:, wait:, when:, converse or hangup",
                n + 1
            ),
        };
        steps.push(step);
    }
    Ok(steps)
}

/// How the simulated caller sounds: 8 kHz mono PCM for a line.
pub trait CallerVoice: Send + Sync {
    fn speak(&self, line_no: usize, text: &str) -> anyhow::Result<Vec<i16>>;
}

/// flite (Debian's `flite`) with its `rms` voice: a statistical-parametric
/// synthesiser, nothing like the agent's neural voice, and the clearest
/// of the Debian voices on a telephone line to a small recogniser (Whisper
/// tiny.en heard whole sentences from it where it garbled espeak-ng's
/// digits and short answers), so a test fails on HERMES, not on diction.
pub struct Flite {
    pub voice: String,
}

impl Default for Flite {
    fn default() -> Self {
        Flite {
            voice: "rms".into(),
        }
    }
}

impl CallerVoice for Flite {
    fn speak(&self, _: usize, text: &str) -> anyhow::Result<Vec<i16>> {
        let file = tempfile::Builder::new().suffix(".wav").tempfile()?;
        let out = std::process::Command::new("flite")
            .args(["-voice", &self.voice, "-o"])
            .arg(file.path())
            .arg("-t")
            .arg(text)
            .output()
            .context("running flite (apt-get install flite)")?;
        if !out.status.success() {
            bail!("flite failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        line_audio(&std::fs::read(file.path())?, "flite")
    }
}

/// espeak-ng (Debian's `espeak-ng`), a formant synthesiser: a harder test
/// of the recogniser than [`Flite`].
pub struct Espeak {
    pub voice: String,
    pub words_per_minute: u32,
}

impl Default for Espeak {
    fn default() -> Self {
        Espeak {
            voice: "en-us+m3".into(),
            words_per_minute: 165,
        }
    }
}

impl CallerVoice for Espeak {
    fn speak(&self, _: usize, text: &str) -> anyhow::Result<Vec<i16>> {
        let out = std::process::Command::new("espeak-ng")
            .args([
                "-v",
                &self.voice,
                "-s",
                &self.words_per_minute.to_string(),
                "--stdout",
                text,
            ])
            .output()
            .context("running espeak-ng (apt-get install espeak-ng)")?;
        if !out.status.success() {
            bail!("espeak-ng failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        line_audio(&out.stdout, "espeak-ng")
    }
}

/// A synthesiser's 16-bit mono WAV → 8 kHz. Reads the header itself:
/// espeak-ng streams its WAV with the lengths left unset, which WAV
/// readers refuse; the samples are whatever follows the `data` tag.
fn line_audio(wav: &[u8], engine: &str) -> anyhow::Result<Vec<i16>> {
    let data = wav.windows(4).position(|w| w == b"data");
    let (Some(data), true) = (data, wav.len() >= 44 && &wav[..4] == b"RIFF") else {
        bail!("{engine} did not write a WAV");
    };
    let rate = u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]);
    let samples: Vec<i16> = wav[data + 8..]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(hermes_voice::resample::convert(rate, 8_000, &samples)?)
}

/// What the caller heard of the agent: PCM at 8 kHz → text.
pub trait Ear: Send + Sync {
    fn hear(&self, audio_8k: &[i16]) -> String;
}

/// What happened, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub call_sid: String,
    pub lines: Vec<Said>,
    /// Agent utterances as heard (transcribed when an [`Ear`] was given).
    pub agent: Vec<Said>,
    /// Per caller line: end of the caller's audio → first agent audio
    /// heard after it, in ms.
    pub response_ms: Vec<u64>,
    /// `clear` messages received (barge-ins).
    pub clears: u32,
    /// When the agent ended the call (the stream closed) rather than us.
    pub agent_hung_up: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Said {
    pub at_ms: u64,
    pub text: String,
    pub duration_ms: u64,
}

pub struct Simulation {
    pub base_url: String,
    pub tenant: String,
    /// Twilio or Telnyx, with what signs its webhooks.
    pub provider: Provider,
    pub account_sid: String,
    pub from: String,
    pub to: String,
    pub voice: Arc<dyn CallerVoice>,
    pub ear: Option<Arc<dyn Ear>>,
    /// Agent silence that means "your turn".
    pub turn_gap: Duration,
    /// Longest wait for the agent before giving up on the call.
    pub patience: Duration,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = tag[at..].find('"')? + at;
    Some(unescape(&tag[at..end]))
}

/// The stream URL and parameters of `<Connect><Stream>` TwiML.
pub fn parse_twiml(xml: &str) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let stream_at = xml.find("<Stream ").context("the TwiML has no <Stream>")?;
    let tag_end = xml[stream_at..].find('>').context("bad TwiML")? + stream_at;
    let url = attr(&xml[stream_at..tag_end], "url").context("the <Stream> has no url")?;
    let mut params = Vec::new();
    let mut rest = &xml[tag_end..];
    while let Some(p) = rest.find("<Parameter ") {
        let end = rest[p..].find("/>").context("bad <Parameter>")? + p;
        let tag = &rest[p..end];
        params.push((
            attr(tag, "name").unwrap_or_default(),
            attr(tag, "value").unwrap_or_default(),
        ));
        rest = &rest[end..];
    }
    Ok((url, params))
}

/// What Twilio sends first on a media stream: `connected`, then `start`
/// with the TwiML's parameters (μ-law at 8 kHz, the inbound track).
pub fn stream_opening(
    stream_sid: &str,
    account_sid: &str,
    call_sid: &str,
    params: Vec<(String, String)>,
) -> [String; 2] {
    let twilio = Provider::Twilio {
        auth_token: String::new(),
    };
    [
        twilio.connected(),
        twilio.start(stream_sid, account_sid, call_sid, ("", ""), params),
    ]
}

impl Simulation {
    /// What the caller makes of an agent utterance, on a blocking thread
    /// (recognition takes a second or more): the result arrives on `tx`
    /// while the media clock goes on. A caller on the phone keeps
    /// hearing and talking in real time while they think; a simulator that
    /// stalled its 20 ms clock here would then send its next line in a burst.
    fn hear(&self, audio_8k: Vec<i16>, mut said: Said, tx: &mpsc::UnboundedSender<Said>) {
        let Some(ear) = self.ear.clone() else {
            let _ = tx.send(said);
            return;
        };
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || {
            said.text = ear.hear(&audio_8k);
            let _ = tx.send(said);
        });
    }

    /// Places the call and runs the script to its end.
    pub async fn run(&self, steps: &[Step]) -> anyhow::Result<Report> {
        let http = reqwest::Client::new();
        let wire = &self.provider;
        let call_sid = wire.call_sid();
        let form: Vec<(String, String)> = [
            ("CallSid", call_sid.as_str()),
            ("AccountSid", self.account_sid.as_str()),
            ("From", self.from.as_str()),
            ("To", self.to.as_str()),
            ("CallStatus", "ringing"),
            ("Direction", "inbound"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let resp = wire
            .post(&http, &self.base_url, &self.tenant, "incoming", &form)
            .await?;
        if !resp.status().is_success() {
            bail!("the incoming-call webhook answered {}", resp.status());
        }
        let twiml = resp.text().await?;
        let (url, params) = parse_twiml(&twiml)?;
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .with_context(|| format!("connecting the media stream {url}"))?;
        let (mut sink, mut stream) = ws.split();
        let stream_sid = wire.stream_id();
        sink.send(Message::Text(wire.connected().into())).await?;
        sink.send(Message::Text(
            wire.start(
                &stream_sid,
                &self.account_sid,
                &call_sid,
                (&self.from, &self.to),
                params,
            )
            .into(),
        ))
        .await?;

        let started = Instant::now();
        let ms = |at: Instant| at.duration_since(started).as_millis() as u64;
        // Agent audio queued for "playback", and marks waiting on it.
        let mut playback: VecDeque<Vec<i16>> = VecDeque::new();
        let mut pending_marks: VecDeque<(usize, String)> = VecDeque::new();
        let mut played_frames: usize = 0;
        let mut queued_frames: usize = 0;
        let mut agent_current: Vec<i16> = Vec::new();
        let mut agent_started: Option<Instant> = None;
        let mut last_agent_audio: Option<Instant> = None;
        let mut report = Report {
            call_sid: call_sid.clone(),
            lines: vec![],
            agent: vec![],
            response_ms: vec![],
            clears: 0,
            agent_hung_up: false,
        };
        let mut speaking: VecDeque<i16> = VecDeque::new();
        let mut line_ended_at: Option<Instant> = None;
        let mut awaiting_response = false;
        let mut step = 0usize;
        let mut heard_since_line = false;
        let mut wait_until: Option<Instant> = None;
        let mut interrupt_after: Option<Instant> = None;
        let mut seq: u64 = 1;
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut last_progress = Instant::now();
        let mut hung_up_by_us = false;
        // Where a persona is in its cues, and what it last said.
        let mut next_cue = 0usize;
        let mut last_answer: Option<String> = None;
        let mut line_at_ms = 0u64;
        // Agent utterances being recognised, and where they arrive.
        let (heard_tx, mut heard_rx) = mpsc::unbounded_channel::<Said>();
        let mut hearing = 0usize;
        'call: loop {
            tokio::select! {
                Some(said) = heard_rx.recv() => {
                    hearing -= 1;
                    let at = report.agent.partition_point(|a| a.at_ms <= said.at_ms);
                    report.agent.insert(at, said);
                }
                msg = stream.next() => {
                    let Some(Ok(msg)) = msg else {
                        report.agent_hung_up = true;
                        hung_up_by_us = false;
                        break;
                    };
                    let Message::Text(t) = msg else { continue };
                    match provider::read(&t) {
                        Heard::Media(pcm) => {
                            queued_frames += 1;
                            playback.push_back(pcm);
                        }
                        Heard::Mark(name) => {
                            pending_marks.push_back((queued_frames, name));
                        }
                        Heard::Clear => {
                            report.clears += 1;
                            queued_frames -= playback.len();
                            playback.clear();
                            // What played was the reply we cut into, not
                            // an answer to us: our turn comes after the
                            // agent's next words.
                            heard_since_line = false;
                            // The provider echoes the cleared marks at once.
                            while let Some((_, name)) = pending_marks.pop_front() {
                                if sink.send(Message::Text(wire.mark(&stream_sid, &name).into())).await.is_err() { report.agent_hung_up = true; break 'call; }
                            }
                        }
                        Heard::Other => {}
                    }
                }
                _ = tick.tick() => {
                    let now = Instant::now();
                    // Play one frame of the agent.
                    if let Some(frame) = playback.pop_front() {
                        played_frames += 1;
                        let loud = frame.iter().any(|s| s.unsigned_abs() > 300);
                        if loud {
                            if agent_started.is_none() {
                                agent_started = Some(now);
                                if awaiting_response && let Some(end) = line_ended_at {
                                    report.response_ms.push(now.duration_since(end).as_millis() as u64);
                                    awaiting_response = false;
                                }
                            }
                            last_agent_audio = Some(now);
                            heard_since_line = true;
                            last_progress = now;
                        }
                        if agent_started.is_some() {
                            agent_current.extend_from_slice(&frame);
                        }
                    }
                    while pending_marks.front().is_some_and(|(at, _)| *at <= played_frames) {
                        let (_, name) = pending_marks.pop_front().expect("checked");
                        if sink.send(Message::Text(wire.mark(&stream_sid, &name).into())).await.is_err() { report.agent_hung_up = true; break 'call; }
                    }
                    // An agent utterance ends after 600 ms without its audio.
                    if let (Some(s), Some(last)) = (agent_started, last_agent_audio)
                        && now.duration_since(last) >= Duration::from_millis(600)
                    {
                        let said = Said { at_ms: ms(s), text: String::new(), duration_ms: last.duration_since(s).as_millis() as u64 };
                        hearing += 1;
                        self.hear(std::mem::take(&mut agent_current), said, &heard_tx);
                        agent_started = None;
                    }
                    // Our side: a frame of speech, or the line's silence.
                    let mut frame = [0i16; 160];
                    for f in frame.iter_mut() {
                        match speaking.pop_front() {
                            Some(s) => *f = s,
                            None => break,
                        }
                    }
                    let ulaw: Vec<u8> = frame.iter().map(|s| hermes_voice::g711::ulaw_encode(*s)).collect();
                    seq += 1;
                    if sink.send(Message::Text(wire.media(&stream_sid, seq, seq - 1, ms(now), &ulaw).into())).await.is_err() { report.agent_hung_up = true; break 'call; }
                    if speaking.is_empty() && awaiting_response && line_ended_at.is_none() {
                        line_ended_at = Some(now);
                    }

                    // Whose turn is it?
                    let agent_quiet = playback.is_empty()
                        && last_agent_audio.is_none_or(|l| now.duration_since(l) >= self.turn_gap)
                        && heard_since_line;
                    let busy = !speaking.is_empty() || wait_until.is_some_and(|w| now < w);
                    if let Some(at) = interrupt_after
                        && now >= at
                        && let Some(Step::Interrupt(text)) = steps.get(step)
                    {
                        let audio = self.voice.speak(step, text)?;
                        report.lines.push(Said { at_ms: ms(now), text: text.clone(), duration_ms: audio.len() as u64 / 8 });
                        speaking.extend(audio);
                        line_ended_at = None;
                        awaiting_response = true;
                        heard_since_line = false;
                        interrupt_after = None;
                        step += 1;
                        continue;
                    }
                    if busy || interrupt_after.is_some() {
                        continue;
                    }
                    match steps.get(step) {
                        // The script is done: the agent ends the call
                        // (or, if it never does, we do).
                        None => {
                            if now.duration_since(last_progress) > self.patience {
                                hung_up_by_us = true;
                                break;
                            }
                        }
                        Some(Step::Interrupt(_)) => {
                            // About a second into the agent's next reply.
                            if let Some(s) = agent_started {
                                interrupt_after = Some(s + Duration::from_millis(1000));
                            }
                        }
                        Some(_) if !agent_quiet => {
                            if now.duration_since(last_progress) > self.patience {
                                bail!("the agent went silent for {:?} at step {step}", self.patience);
                            }
                        }
                        Some(Step::Say(text)) => {
                            let audio = self.voice.speak(step, text)?;
                            report.lines.push(Said { at_ms: ms(now), text: text.clone(), duration_ms: audio.len() as u64 / 8 });
                            speaking.extend(audio);
                            line_ended_at = None;
                            awaiting_response = true;
                            heard_since_line = false;
                            last_progress = now;
                            step += 1;
                        }
                        Some(Step::Press(key)) => {
                            if sink.send(Message::Text(wire.dtmf(&stream_sid, *key).into())).await.is_err() { report.agent_hung_up = true; break 'call; }
                            report.lines.push(Said { at_ms: ms(now), text: format!("[pressed {key}]"), duration_ms: 0 });
                            line_ended_at = Some(now);
                            awaiting_response = true;
                            heard_since_line = false;
                            last_progress = now;
                            step += 1;
                        }
                        Some(Step::Wait(d)) => {
                            wait_until = Some(now + *d);
                            last_progress = now + *d;
                            step += 1;
                        }
                        Some(Step::Hangup) => {
                            hung_up_by_us = true;
                            break;
                        }
                        Some(Step::Converse(persona)) => {
                            if self.ear.is_none() {
                                bail!("a caller who converses needs an ear to hear the agent");
                            }
                            if hearing > 0 {
                                // Still being written down.
                                continue;
                            }
                            // Everything the agent said since our last line.
                            let heard: Vec<&str> = report
                                .agent
                                .iter()
                                .filter(|a| a.at_ms >= line_at_ms && !a.text.trim().is_empty())
                                .map(|a| a.text.as_str())
                                .collect();
                            if heard.is_empty() {
                                if now.duration_since(last_progress) > self.patience {
                                    bail!("nothing the agent said could be made out for {:?}", self.patience);
                                }
                                // Still being written down.
                                continue;
                            }
                            let heard = heard.join(" ");
                            // Nothing like any question: say it again, as a
                            // person would when asked to repeat.
                            let text = match persona.answer(&heard, next_cue) {
                                Some((i, answer)) => {
                                    next_cue = i + 1;
                                    answer.to_owned()
                                }
                                None => last_answer.clone().with_context(|| {
                                    format!("the agent's first words did not sound like any expected question: {heard:?}")
                                })?,
                            };
                            let audio = self.voice.speak(step, &text)?;
                            line_at_ms = ms(now);
                            report.lines.push(Said { at_ms: line_at_ms, text: text.clone(), duration_ms: audio.len() as u64 / 8 });
                            last_answer = Some(text);
                            speaking.extend(audio);
                            line_ended_at = None;
                            awaiting_response = true;
                            heard_since_line = false;
                            last_progress = now;
                        }
                    }
                }
            }
        }
        if hung_up_by_us {
            let _ = sink
                .send(Message::Text(
                    wire.stop(&stream_sid, &self.account_sid, &call_sid).into(),
                ))
                .await;
            let _ = sink.close().await;
        }
        if let (Some(s), Some(last)) = (agent_started, last_agent_audio) {
            let said = Said {
                at_ms: ms(s),
                text: String::new(),
                duration_ms: last.duration_since(s).as_millis() as u64,
            };
            hearing += 1;
            self.hear(std::mem::take(&mut agent_current), said, &heard_tx);
        }
        while hearing > 0 {
            let Some(said) = heard_rx.recv().await else {
                break;
            };
            hearing -= 1;
            let at = report.agent.partition_point(|a| a.at_ms <= said.at_ms);
            report.agent.insert(at, said);
        }
        // The call is over, as the provider would report it.
        let mut done = form.clone();
        for (k, v) in done.iter_mut() {
            if k == "CallStatus" {
                *v = "completed".into();
            }
        }
        done.push((
            "CallDuration".into(),
            started.elapsed().as_secs().to_string(),
        ));
        let _ = wire
            .post(&http, &self.base_url, &self.tenant, "status", &done)
            .await;
        Ok(report)
    }
}

/// `hermes simulate`: for Twilio, the firm's auth token comes from its
/// settings in the database (the same one the server checks with); for
/// Telnyx, the webhooks are signed with the Ed25519 key in `telnyx_key`
/// (base64 of a 32-byte seed), whose public key must be the firm's
/// `telnyx_public_key` (Telnyx's own private key is never anyone's).
pub async fn cli(
    settings: crate::config::Settings,
    tenant: &str,
    script: &std::path::Path,
    url: Option<String>,
    from: String,
    telnyx_key: Option<&std::path::Path>,
) -> anyhow::Result<i32> {
    let steps = parse_script(
        &std::fs::read_to_string(script)
            .with_context(|| format!("reading {}", script.display()))?,
    )?;
    let store = hermes_store::connect(&hermes_store::ConnectOptions::new(settings.database_url()))
        .await
        .context("opening the database")?;
    let slug = hermes_core::TenantSlug::parse(tenant).map_err(|e| anyhow::anyhow!("{e}"))?;
    let firm = store
        .tenant_by_slug(&slug)
        .await?
        .with_context(|| format!("no firm {tenant}"))?;
    let row = store
        .scoped(firm.id)
        .voice_settings()
        .await?
        .context("the firm has no telephony settings (PUT /api/v1/settings/telephony)")?;
    let doc: hermes_api::voice::settings::Telephony = serde_json::from_value(row.document)?;
    let (provider, account_sid) = match telnyx_key {
        Some(path) => {
            let seed = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let signer = hermes_voice::telnyx::Signer::from_seed(&seed)
                .with_context(|| format!("{} is not a base64 Ed25519 seed", path.display()))?;
            if doc.telnyx_public_key.as_deref() != Some(signer.public_key().as_str()) {
                bail!(
                    "the firm's telnyx_public_key is not this key's: set it to {}",
                    signer.public_key()
                );
            }
            let signer = Arc::new(signer);
            (
                Provider::Telnyx { signer },
                uuid::Uuid::new_v4().to_string(),
            )
        }
        None => {
            let secrets = hermes_auth::SecretBox::open_or_create(&settings.secrets_file())?;
            let sealed = row.secrets.context("the firm has no Twilio auth token")?;
            let opened = hermes_api::voice::settings::open_secrets(&secrets, firm.id, &sealed)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let auth_token = opened
                .twilio_auth_token
                .context("the firm has no Twilio auth token")?;
            let account = doc
                .twilio_account_sid
                .clone()
                .unwrap_or_else(|| "AC00000000000000000000000000000000".into());
            (Provider::Twilio { auth_token }, account)
        }
    };
    let base_url = url.unwrap_or_else(|| {
        let bind = settings.server.bind;
        let host = if bind.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            bind.ip()
        };
        format!("http://{}", std::net::SocketAddr::new(host, bind.port()))
    });
    let sim = Simulation {
        base_url,
        tenant: tenant.to_owned(),
        provider,
        account_sid,
        from,
        to: doc
            .numbers
            .first()
            .cloned()
            .unwrap_or_else(|| "+15005550006".into()),
        voice: Arc::new(Flite::default()),
        ear: local_ear(&settings),
        turn_gap: Duration::from_millis(1200),
        patience: Duration::from_secs(30),
    };
    let report = sim.run(&steps).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(0)
}

/// Whisper, when the models are there, to write down what the agent said.
fn local_ear(settings: &crate::config::Settings) -> Option<Arc<dyn Ear>> {
    let dir = settings.agent.models_dir.join("whisper-tiny-en");
    match hermes_speech::whisper::Whisper::load(&dir, 1) {
        Ok(w) => Some(Arc::new(WhisperEar(w))),
        Err(e) => {
            eprintln!("simulate: the agent's words are not transcribed ({e})");
            None
        }
    }
}

/// Whisper as the caller's ear (8 kHz line audio, resampled for it).
pub struct WhisperEar(pub hermes_speech::whisper::Whisper);

impl Ear for WhisperEar {
    fn hear(&self, audio_8k: &[i16]) -> String {
        let up = hermes_voice::resample::convert(8_000, 16_000, audio_8k).unwrap_or_default();
        let f: Vec<f32> = up.iter().map(|s| f32::from(*s) / 32768.0).collect();
        self.0.transcribe(&f).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_and_bad_lines_are_named() {
        let s =
            parse_script("# a call\nsay: Yes.\n\ninterrupt: Wait\npress: 0\nwait: 1.5\nhangup\n")
                .unwrap();
        assert_eq!(
            s,
            vec![
                Step::Say("Yes.".into()),
                Step::Interrupt("Wait".into()),
                Step::Press('0'),
                Step::Wait(Duration::from_millis(1500)),
                Step::Hangup
            ]
        );
        assert!(
            parse_script("shout: hi")
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
        assert!(parse_script("press: 12").is_err());
        assert!(parse_script("when: no arrow").is_err());
    }

    #[test]
    fn a_persona_answers_what_it_hears_in_order_and_despite_mishearing() {
        let steps = parse_script(
            "when: May I record this call? => Yes.\n\
             when: What is your full name? => Maria Lopez.\n\
             when: Is that right? => Yes, that's right.\n\
             when: What is the best phone number to reach you? => 503 555 0142.\n\
             when: Is that right? => Yes.\n\
             converse\nhangup\n",
        )
        .unwrap();
        let Step::Converse(p) = &steps[0] else {
            panic!("{steps:?}")
        };
        assert_eq!(steps[1], Step::Hangup);
        // Heard through a phone line and a recogniser: not word for word.
        let (i, a) = p
            .answer("Thanks for calling. Can I record this call?", 0)
            .unwrap();
        assert_eq!((i, a), (0, "Yes."));
        assert_eq!(p.answer("And what's your full name?", 1).unwrap().0, 1);
        assert_eq!(p.answer("Lopez, is that right?", 2).unwrap().0, 2);
        // The second "is that right" is the later cue once the first is used.
        assert_eq!(p.answer("The best number to reach you?", 3).unwrap().0, 3);
        assert_eq!(p.answer("is that right?", 4).unwrap().0, 4);
        // Nothing like a question it expects.
        assert!(p.answer("Sorry, one moment.", 5).is_none());
        // Asked again after a mishearing: the same question, not another
        // that shares the small words.
        let steps = parse_script(
            "when: Thank you for calling. I'm an assistant, not a lawyer. May I record this call? You can say yes or no. => Yes.\n\
             when: Do you have an email address? You can say no. => No.\n\
             converse\n",
        )
        .unwrap();
        let Step::Converse(p) = &steps[0] else {
            panic!()
        };
        let again =
            "Sorry, I didn't quite catch that. May I record this call? You can say yes or no.";
        assert_eq!(p.answer(again, 1).unwrap().0, 0);
    }

    #[test]
    fn twiml_streams_and_parameters_are_read_back() {
        let x = hermes_voice::twiml::connect_stream(
            "wss://h/voice?a=1&b=2",
            &[("token", "x&y"), ("call", "1")],
        );
        let (url, params) = parse_twiml(&x).unwrap();
        assert_eq!(url, "wss://h/voice?a=1&b=2");
        assert_eq!(
            params,
            vec![("token".into(), "x&y".into()), ("call".into(), "1".into())]
        );
    }
}
