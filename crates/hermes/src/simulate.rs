//! `hermes simulate`: a caller that is not us. It plays Twilio to a
//! running HERMES: rings the firm's number (a signed incoming-call
//! webhook), opens the media stream the TwiML names, speaks the script's
//! lines as μ-law at 8 kHz in real time, plays the agent's audio back on a
//! real-time clock (echoing marks when they have "played", dropping what a
//! `clear` drops), waits for the agent to finish before taking its turn,
//! interrupts when the script says so, and reports both sides and the
//! timings.
//!
//! The caller's voice is a different engine from the agent's (espeak-ng
//! here, Piper there), so the agent's recogniser hears a voice it was not
//! tuned on. Tests give it other voices (see [`CallerVoice`]).
//!
//! Script lines: `say: text`, `interrupt: text` (said about a second into
//! the agent's next reply), `press: 0` (keypad), `wait: 2.5` (seconds of
//! silence), `hangup`. `#` starts a comment.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio_tungstenite::tungstenite::Message;

/// One line of a script.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Say(String),
    Interrupt(String),
    Press(char),
    Wait(Duration),
    Hangup,
}

pub fn parse_script(text: &str) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
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
            _ => bail!(
                "line {}: expected say:, interrupt:, press:, wait: or hangup",
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

/// espeak-ng (Debian's `espeak-ng`), a formant synthesiser: nothing like
/// the agent's neural voice.
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
        // espeak-ng streams its WAV to stdout with the canonical 44-byte
        // header and the lengths left unset, which WAV readers refuse:
        // take the rate from the header and the samples after it.
        let wav = out.stdout;
        if wav.len() < 44 || &wav[..4] != b"RIFF" || &wav[36..40] != b"data" {
            bail!("espeak-ng did not write a WAV");
        }
        let rate = u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]);
        let samples: Vec<i16> = wav[44..]
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        Ok(hermes_voice::resample::convert(rate, 8_000, &samples)?)
    }
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
    pub auth_token: String,
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

fn sign_form(token: &str, url: &str, form: &[(String, String)]) -> String {
    hermes_voice::signature::sign(token, url, form)
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
    let custom: serde_json::Map<String, serde_json::Value> =
        params.into_iter().map(|(k, v)| (k, v.into())).collect();
    [
        serde_json::json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            .to_string(),
        serde_json::json!({
            "event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
            "start": {
                "streamSid": stream_sid, "accountSid": account_sid, "callSid": call_sid,
                "tracks": ["inbound"], "customParameters": custom,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
            }
        })
        .to_string(),
    ]
}

impl Simulation {
    async fn post_signed(
        &self,
        http: &reqwest::Client,
        path: &str,
        form: &[(String, String)],
    ) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}{path}", self.base_url.trim_end_matches('/'));
        let sig = sign_form(&self.auth_token, &url, form);
        Ok(http
            .post(&url)
            .header("X-Twilio-Signature", sig)
            .form(form)
            .send()
            .await?)
    }

    /// Places the call and runs the script to its end.
    pub async fn run(&self, steps: &[Step]) -> anyhow::Result<Report> {
        let http = reqwest::Client::new();
        let call_sid = format!("CA{}", uuid::Uuid::new_v4().simple());
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
        let resp = self
            .post_signed(
                &http,
                &format!("/voice/twilio/{}/incoming", self.tenant),
                &form,
            )
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
        let stream_sid = format!("MZ{}", uuid::Uuid::new_v4().simple());
        for opening in stream_opening(&stream_sid, &self.account_sid, &call_sid, params) {
            sink.send(Message::Text(opening.into())).await?;
        }

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
        'call: loop {
            tokio::select! {
                msg = stream.next() => {
                    let Some(Ok(msg)) = msg else {
                        report.agent_hung_up = true;
                        hung_up_by_us = false;
                        break;
                    };
                    let Message::Text(t) = msg else { continue };
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
                    match v["event"].as_str().unwrap_or_default() {
                        "media" => {
                            use base64::Engine as _;
                            let payload = v["media"]["payload"].as_str().unwrap_or_default();
                            let ulaw = base64::engine::general_purpose::STANDARD.decode(payload).unwrap_or_default();
                            let pcm: Vec<i16> = ulaw.iter().map(|b| hermes_voice::g711::ulaw_decode(*b)).collect();
                            queued_frames += 1;
                            playback.push_back(pcm);
                        }
                        "mark" => {
                            let name = v["mark"]["name"].as_str().unwrap_or_default().to_owned();
                            pending_marks.push_back((queued_frames, name));
                        }
                        "clear" => {
                            report.clears += 1;
                            queued_frames -= playback.len();
                            playback.clear();
                            // Twilio echoes the cleared marks at once.
                            while let Some((_, name)) = pending_marks.pop_front() {
                                if sink.send(Message::Text(serde_json::json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}).to_string().into())).await.is_err() { report.agent_hung_up = true; break 'call; }
                            }
                        }
                        _ => {}
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
                        if sink.send(Message::Text(serde_json::json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}).to_string().into())).await.is_err() { report.agent_hung_up = true; break 'call; }
                    }
                    // An agent utterance ends after 600 ms without its audio.
                    if let (Some(s), Some(last)) = (agent_started, last_agent_audio)
                        && now.duration_since(last) >= Duration::from_millis(600)
                    {
                        let text = self.ear.as_ref().map(|e| e.hear(&agent_current)).unwrap_or_default();
                        report.agent.push(Said { at_ms: ms(s), text, duration_ms: last.duration_since(s).as_millis() as u64 });
                        agent_current.clear();
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
                    use base64::Engine as _;
                    let payload = base64::engine::general_purpose::STANDARD.encode(&ulaw);
                    if sink.send(Message::Text(serde_json::json!({
                        "event": "media", "sequenceNumber": seq.to_string(), "streamSid": stream_sid,
                        "media": {"track": "inbound", "chunk": (seq - 1).to_string(), "timestamp": ms(now).to_string(), "payload": payload}
                    }).to_string().into())).await.is_err() { report.agent_hung_up = true; break 'call; }
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
                            if sink.send(Message::Text(serde_json::json!({"event": "dtmf", "streamSid": stream_sid, "dtmf": {"track": "inbound_track", "digit": key.to_string()}}).to_string().into())).await.is_err() { report.agent_hung_up = true; break 'call; }
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
                    }
                }
            }
        }
        if hung_up_by_us {
            let _ = sink
                .send(Message::Text(
                    serde_json::json!({"event": "stop", "streamSid": stream_sid, "stop": {"accountSid": self.account_sid, "callSid": call_sid}})
                        .to_string()
                        .into(),
                ))
                .await;
            let _ = sink.close().await;
        }
        if let (Some(s), Some(last)) = (agent_started, last_agent_audio) {
            let text = self
                .ear
                .as_ref()
                .map(|e| e.hear(&agent_current))
                .unwrap_or_default();
            report.agent.push(Said {
                at_ms: ms(s),
                text,
                duration_ms: last.duration_since(s).as_millis() as u64,
            });
        }
        // The call is over, as Twilio would report it.
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
        let _ = self
            .post_signed(
                &http,
                &format!("/voice/twilio/{}/status", self.tenant),
                &done,
            )
            .await;
        Ok(report)
    }
}

/// `hermes simulate`: the firm's Twilio credentials come from its
/// settings in the database (the same ones the server checks with).
pub async fn cli(
    settings: crate::config::Settings,
    tenant: &str,
    script: &std::path::Path,
    url: Option<String>,
    from: String,
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
    let secrets = hermes_auth::SecretBox::open_or_create(&settings.secrets_file())?;
    let sealed = row.secrets.context("the firm has no Twilio auth token")?;
    let opened = hermes_api::voice::settings::open_secrets(&secrets, firm.id, &sealed)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let token = opened
        .twilio_auth_token
        .context("the firm has no Twilio auth token")?;
    let doc: hermes_api::voice::settings::Telephony = serde_json::from_value(row.document)?;
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
        auth_token: token,
        account_sid: doc
            .twilio_account_sid
            .unwrap_or_else(|| "AC00000000000000000000000000000000".into()),
        from,
        to: doc
            .numbers
            .first()
            .cloned()
            .unwrap_or_else(|| "+15005550006".into()),
        voice: Arc::new(Espeak::default()),
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
