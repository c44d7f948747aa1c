//! One call, from its first audio frame to its last: the audio pipeline
//! around the intake agent, whatever the transport.
//!
//! The transport (Twilio, Telnyx, the browser phone) turns its messages
//! into [`Inbound`] and sends [`Outbound`] back its own way; everything in
//! between is here, as a chain of single-job steps passing typed frames:
//!
//! ```text
//! Inbound::Audio ─▶ VAD (batched, gated) ─▶ endpointing ─┬─▶ utterance ─▶ STT ─▶ agent ─▶ TTS ─┐
//!                                          barge-in ─────┘  (speculative STT at pauses)        │
//! Outbound::{Audio, Mark, Clear} ◀── paced playout (20 ms frames, marks) ◀─────────────────────┘
//! ```
//!
//! Two tasks per call. The *listener* (this module's main loop) never
//! waits on anything slow: it takes audio, scores it, decides turns and
//! interruptions, and paces the agent's audio out in real time. The
//! *thinker* does the slow part — recognition, the agent's turn, synthesis
//! — one turn at a time, and streams sentences back as they are made.
//! An interruption bumps the *generation*: audio of an older generation
//! is dropped wherever it is, and the thinker stops synthesising the rest
//! of that reply.
//!
//! Latency per turn is measured from the moment the listener decides the
//! caller's turn is over (see [`TurnTiming`]) and stored on the call.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use hermes_core::TenantId;
use hermes_intake::dialogue::{Engine, Event};
use hermes_voice::dtmf::{Digits, Keyed};
use hermes_voice::playout::{Item, Playout};
use hermes_voice::turns::{BargeIn, BargeInConfig, Endpoint, EndpointConfig, Endpointer};
use serde::Serialize;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::recorder::Recorder;
use super::speech::{SpeechToText, TextToSpeech, VadService, VadVerdict};
use crate::agent::{drive, firm_for, update_of};
use crate::state::AppState;

/// What the transport hands the call.
#[derive(Debug)]
pub enum Inbound {
    /// Caller audio at the call's rate, any length (usually 20 ms).
    Audio(Vec<i16>),
    Dtmf(char),
    /// The provider played everything up to this mark.
    Played(String),
    Hangup,
}

/// What the call hands the transport.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    /// One 20 ms frame of agent audio at the call's rate.
    Audio(Vec<i16>),
    Mark(String),
    /// Drop whatever agent audio is buffered (barge-in).
    Clear,
    /// A line of the conversation, for live views (the browser phone).
    Transcript {
        speaker: &'static str,
        text: String,
    },
    /// The conversation is over: hang up, or hand the caller to a person.
    End {
        transfer: bool,
    },
}

/// Timings of one turn in milliseconds, from the moment the caller's turn
/// was judged over.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TurnTiming {
    pub turn: u32,
    /// How long the caller spoke.
    pub speech_ms: u32,
    /// Text recognised (0 when a speculative transcript was ready).
    pub transcript_ms: Option<u64>,
    /// The agent's reply decided.
    pub reply_ms: Option<u64>,
    /// The first sentence's audio synthesised.
    pub first_audio_ms: Option<u64>,
    /// The first frame of it sent to the caller.
    pub first_frame_ms: Option<u64>,
    /// The text came from a transcript made at a pause, before the turn
    /// was over.
    pub speculative: bool,
    /// A filler ("One moment.") was played while waiting.
    pub filler: bool,
    /// The caller interrupted this reply.
    pub interrupted: bool,
}

/// Tunables, from `[voice]` in the configuration.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub endpoint: EndpointConfig,
    pub barge_in_ms: u32,
    /// VAD probability that counts as speech.
    pub speech_threshold: f32,
    /// Silence after the agent finished that counts as the caller saying
    /// nothing (the agent asks "are you still there?").
    pub silence_timeout: Duration,
    /// Waiting longer than this after the caller's turn (for the
    /// transcript, the agent or the first audio) plays a filler.
    pub filler_after: Duration,
    /// The longest a transcript may take before the caller is asked to
    /// repeat.
    pub stt_timeout: Duration,
    /// A pause this long mid-turn starts a speculative transcript.
    pub speculate_after_ms: u32,
    /// Keypad pause that ends a digit entry.
    pub dtmf_pause_ms: u64,
    /// Caller audio below this fraction of the agent's recent level is
    /// taken for the agent's own echo, never for an interruption.
    pub echo_return: f32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            endpoint: EndpointConfig {
                frame_ms: 32,
                start_ms: 96,
                hangover_ms: 640,
                unfinished_hangover_ms: 1500,
                max_turn_ms: 30_000,
            },
            barge_in_ms: 192,
            speech_threshold: 0.5,
            silence_timeout: Duration::from_secs(8),
            // With the 640 ms hangover: a sound within about two seconds
            // of the caller's last word, however slow a provider is.
            filler_after: Duration::from_millis(1200),
            stt_timeout: Duration::from_secs(6),
            speculate_after_ms: 288,
            dtmf_pause_ms: 2500,
            echo_return: 0.3,
        }
    }
}

/// The engines one call uses.
#[derive(Clone)]
pub struct CallEngines {
    pub stt: Arc<dyn SpeechToText>,
    pub tts: Arc<dyn TextToSpeech>,
    pub vad: VadService,
    pub config: Arc<SessionConfig>,
}

/// Who and what the call is.
#[derive(Debug, Clone)]
pub struct CallSpec {
    pub tenant: TenantId,
    pub call_id: Uuid,
    /// The transport's sample rate: 8000 (telephone) or 16000 (browser).
    pub rate: u32,
    /// The caller's number as the network gave it.
    pub from: Option<String>,
    /// Past the plan's monthly allowance: take a message, not the intake.
    pub message_only: bool,
    /// The office whose number the caller dialled (firms with offices).
    pub office: Option<hermes_firm::OfficeKey>,
}

/// How the call went, for its record.
#[derive(Debug, Default)]
pub struct CallOutcome {
    pub intake_id: Option<Uuid>,
    /// `completed`, `abandoned`, `transferred`, `needs_review`, `declined`,
    /// `failed`.
    pub outcome: String,
    pub recording_consent: Option<bool>,
    /// Both sides mixed, at the call's rate, when the caller consented.
    pub recording: Option<Vec<i16>>,
    pub turns: Vec<TurnTiming>,
    pub transferred: bool,
}

// --- the thinker's side ---------------------------------------------------------

type Transcript = Shared<BoxFuture<'static, Result<String, String>>>;

enum ThinkIn {
    Turn {
        turn: u32,
        speech_ms: u32,
        ended: Instant,
        audio: Arc<[i16]>,
        /// A transcript of this very audio started at a pause.
        early: Option<Transcript>,
    },
    Digits(String),
    Silence,
    HungUp,
}

enum ThinkOut {
    Audio {
        generation: u64,
        turn: u32,
        samples: Vec<i16>,
    },
    /// End of one reply: a mark, so we learn when the caller heard it.
    Said {
        generation: u64,
        turn: u32,
    },
    Timing(TurnTiming),
    Transcript {
        speaker: &'static str,
        text: String,
    },
    Recording(bool),
    Done {
        status: String,
        transfer: bool,
        intake_id: Uuid,
    },
    Busy(bool),
}

/// Recognises a clip of the caller (16 kHz), once, for whoever awaits it.
fn transcribe(stt: Arc<dyn SpeechToText>, audio_16k: Arc<[i16]>) -> Transcript {
    async move { stt.transcribe(audio_16k).await.map_err(|e| e.to_string()) }
        .boxed()
        .shared()
}

struct Thinker {
    state: AppState,
    spec: CallSpec,
    engines: CallEngines,
    out: mpsc::Sender<ThinkOut>,
    generation: Arc<AtomicU64>,
    engine: Engine,
    intake_id: Uuid,
    version: i64,
    /// "One moment." at the call's rate, made once at the start.
    filler: Filler,
}

/// "One moment.", for a turn that keeps the caller waiting: made when the
/// call starts (so a slow synthesiser cannot delay it when it is needed)
/// and played at most once per turn, when the turn's `filler_after` passes
/// with nothing said yet, whatever is slow — recognition, the agent, or
/// the synthesiser's first audio. The caller never sits in more than
/// about two seconds of silence (the turn's hangover plus `filler_after`).
#[derive(Clone)]
struct Filler {
    audio: Arc<std::sync::OnceLock<Arc<[i16]>>>,
    out: mpsc::Sender<ThinkOut>,
    generation: Arc<AtomicU64>,
}

impl Filler {
    fn start(
        tts: Arc<dyn TextToSpeech>,
        rate: u32,
        out: mpsc::Sender<ThinkOut>,
        generation: Arc<AtomicU64>,
    ) -> Self {
        let audio: Arc<std::sync::OnceLock<Arc<[i16]>>> = Arc::default();
        let made = audio.clone();
        tokio::spawn(async move {
            match line_audio(&*tts, FILLER, rate).await {
                Ok(a) => {
                    let _ = made.set(a.into());
                }
                Err(e) => tracing::warn!(error = %e, "could not synthesise the filler"),
            }
        });
        Filler {
            audio,
            out,
            generation,
        }
    }

    async fn play(&self, turn: u32) {
        let Some(audio) = self.audio.get() else {
            tracing::debug!("the filler is not ready yet");
            return;
        };
        let generation = self.generation.load(Ordering::SeqCst);
        let _ = self
            .out
            .send(ThinkOut::Audio {
                generation,
                turn,
                samples: audio.to_vec(),
            })
            .await;
    }

    /// Runs `job`; if `at` passes first and no filler has played this
    /// turn (`played`), plays it while the job goes on.
    async fn cover<F: Future>(
        &self,
        job: F,
        at: Option<Instant>,
        turn: u32,
        played: &mut bool,
    ) -> F::Output {
        let Some(at) = at.filter(|_| !*played) else {
            return job.await;
        };
        let mut job = std::pin::pin!(job);
        tokio::select! {
            r = &mut job => r,
            _ = tokio::time::sleep_until(at.into()) => {
                *played = true;
                self.play(turn).await;
                job.await
            }
        }
    }
}

/// A whole line's audio at the line's rate.
async fn line_audio(tts: &dyn TextToSpeech, line: &str, rate: u32) -> Result<Vec<i16>, String> {
    let audio = tts.synthesize(line).await.map_err(|e| e.to_string())?;
    hermes_voice::resample::convert(tts.sample_rate(), rate, &audio).map_err(|e| e.to_string())
}

const FILLER: &str = "One moment.";
const DID_NOT_CATCH: &str = "I'm sorry, I didn't catch that. Could you say it again?";
const TROUBLE: &str = "I'm sorry, I'm having trouble on my end. Could you say that again?";

impl Thinker {
    async fn start(
        state: AppState,
        spec: CallSpec,
        engines: CallEngines,
        out: mpsc::Sender<ThinkOut>,
        generation: Arc<AtomicU64>,
    ) -> crate::ApiResult<Self> {
        let mut firm = firm_for(
            &state,
            spec.tenant,
            chrono::Utc::now(),
            spec.office.as_ref(),
        )
        .await?;
        firm.message_only = spec.message_only;
        let intake_id = Uuid::now_v7();
        let engine = Engine::new(firm).with_seed(crate::agent::seed_of(intake_id));
        state
            .store
            .scoped(spec.tenant)
            .create_intake(
                intake_id,
                "voice",
                None,
                &update_of(&engine)?,
                hermes_store::AuditEvent::new(hermes_store::Actor::System, "intake.start")
                    .details(serde_json::json!({"channel": "voice", "call": spec.call_id})),
            )
            .await?;
        // Linked now, not only at the end: whoever opens the call while it
        // is in progress reads what was said so far.
        let link = hermes_store::CallProgress {
            status: "in_progress".into(),
            intake_id: Some(intake_id),
            turns: serde_json::Value::Null,
            ..Default::default()
        };
        if let Err(e) = state
            .store
            .scoped(spec.tenant)
            .update_call(spec.call_id, &link)
            .await
        {
            tracing::warn!(error = %e, call = %spec.call_id, "could not link a call to its intake");
        }
        crate::live::publish(
            &state,
            spec.tenant,
            crate::live::LiveEvent::Intake { id: intake_id },
        );
        let filler = Filler::start(
            engines.tts.clone(),
            spec.rate,
            out.clone(),
            generation.clone(),
        );
        Ok(Thinker {
            state,
            spec,
            engines,
            out,
            generation,
            engine,
            intake_id,
            version: 0,
            filler,
        })
    }

    async fn run(mut self, mut rx: mpsc::Receiver<ThinkIn>) {
        self.turn(0, None, Event::Start, None).await;
        while !self.engine.is_done() {
            let Some(msg) = rx.recv().await else {
                // The listener is gone: the caller hung up.
                self.turn(0, None, Event::HungUp, None).await;
                break;
            };
            let _ = self.out.send(ThinkOut::Busy(true)).await;
            match msg {
                ThinkIn::Turn {
                    turn,
                    speech_ms,
                    ended,
                    audio,
                    early,
                } => {
                    let mut timing = TurnTiming {
                        turn,
                        speech_ms,
                        ..Default::default()
                    };
                    let text = self.recognise(ended, audio, early, &mut timing).await;
                    match text {
                        Some(text) if !text.trim().is_empty() => {
                            let _ = self
                                .out
                                .send(ThinkOut::Transcript {
                                    speaker: "caller",
                                    text: text.clone(),
                                })
                                .await;
                            self.turn(turn, Some(ended), Event::caller(text), Some(timing))
                                .await;
                        }
                        // Noise, a cough, a line click: nothing to answer.
                        Some(_) => {
                            tracing::debug!(call = %self.spec.call_id, turn, "the turn was recognised as nothing");
                        }
                        None => self.say_line(turn, DID_NOT_CATCH).await,
                    }
                }
                ThinkIn::Digits(digits) => {
                    let _ = self
                        .out
                        .send(ThinkOut::Transcript {
                            speaker: "caller",
                            text: format!("[keypad] {digits}"),
                        })
                        .await;
                    self.turn(0, None, Event::Digits { digits }, None).await;
                }
                ThinkIn::Silence => self.turn(0, None, Event::Silence, None).await,
                ThinkIn::HungUp => {
                    self.turn(0, None, Event::HungUp, None).await;
                    break;
                }
            }
            let _ = self.out.send(ThinkOut::Busy(false)).await;
        }
        let status = serde_json::to_value(self.engine.intake.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let transfer = self
            .engine
            .intake
            .review_notes
            .iter()
            .any(|n| n == "the caller asked for a person")
            && self.engine.firm().open_now;
        let _ = self
            .out
            .send(ThinkOut::Done {
                status,
                transfer,
                intake_id: self.intake_id,
            })
            .await;
    }

    /// The caller's words: the early transcript when one was made of this
    /// audio, else a fresh one; the filler plays if this takes long.
    async fn recognise(
        &mut self,
        ended: Instant,
        audio: Arc<[i16]>,
        early: Option<Transcript>,
        timing: &mut TurnTiming,
    ) -> Option<String> {
        timing.speculative = early.is_some();
        let job = match early {
            Some(t) => t,
            None => transcribe(self.engines.stt.clone(), audio),
        };
        let deadline = ended + self.engines.config.stt_timeout;
        let filler_at = ended + self.engines.config.filler_after;
        let job = tokio::time::timeout_at(deadline.into(), job);
        let result = self
            .filler
            .cover(job, Some(filler_at), timing.turn, &mut timing.filler)
            .await;
        timing.transcript_ms = Some(ended.elapsed().as_millis() as u64);
        match result {
            Ok(Ok(text)) => Some(text),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "speech recognition failed");
                None
            }
            Err(_) => {
                tracing::warn!("speech recognition timed out");
                None
            }
        }
    }

    /// Speaks one sentence as its audio comes, resampled to the line's
    /// rate and sent on piece by piece; stops (dropping the synthesis) when
    /// the caller interrupts. `first` runs when the first audio goes out;
    /// the filler covers a slow start. Returns whether anything was sent.
    async fn speak(
        &self,
        sentence: &str,
        generation: u64,
        turn: u32,
        filler_at: Option<Instant>,
        played: &mut bool,
        mut first: impl FnMut(),
    ) -> Result<bool, String> {
        let tts = self.engines.tts.clone();
        let mut resample =
            hermes_voice::resample::Resampler::new(tts.sample_rate(), self.spec.rate)
                .map_err(|e| e.to_string())?;
        // A few pieces in flight: the engine runs a little ahead of the
        // line, never far (an interruption drops what is queued).
        let (tx, mut rx) = mpsc::channel::<Vec<i16>>(8);
        let mut job = std::pin::pin!(tts.synthesize_streaming(sentence, tx));
        let mut result = None;
        let mut sent = false;
        loop {
            let filler_due = filler_at.filter(|_| !sent && !*played);
            let piece = tokio::select! {
                piece = rx.recv() => piece,
                r = &mut job, if result.is_none() => {
                    result = Some(r);
                    continue;
                }
                _ = tokio::time::sleep_until(filler_due.unwrap_or_else(Instant::now).into()), if filler_due.is_some() => {
                    *played = true;
                    self.filler.play(turn).await;
                    continue;
                }
            };
            // The channel closes when the engine is done: the resampler's
            // tail is the sentence's last audio.
            let (samples, last) = match piece {
                Some(piece) => (resample.process(&piece), false),
                None => (resample.flush(), true),
            };
            if self.generation.load(Ordering::SeqCst) != generation {
                return Ok(sent);
            }
            if !samples.is_empty() {
                if !sent {
                    first();
                }
                sent = true;
                let _ = self
                    .out
                    .send(ThinkOut::Audio {
                        generation,
                        turn,
                        samples,
                    })
                    .await;
            }
            if last {
                break;
            }
        }
        match result {
            Some(r) => r.map_err(|e| e.to_string())?,
            None => job.await.map_err(|e| e.to_string())?,
        }
        Ok(sent)
    }

    /// Says a line that is not the agent's (the pipeline's own apology).
    async fn say_line(&mut self, turn: u32, line: &str) {
        let generation = self.generation.load(Ordering::SeqCst);
        let _ = self
            .out
            .send(ThinkOut::Transcript {
                speaker: "agent",
                text: line.to_owned(),
            })
            .await;
        let mut played = true;
        match self
            .speak(line, generation, turn, None, &mut played, || {})
            .await
        {
            Ok(true) => {
                let _ = self.out.send(ThinkOut::Said { generation, turn }).await;
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "speech synthesis failed"),
        }
    }

    /// One turn of the agent, spoken sentence by sentence.
    async fn turn(
        &mut self,
        turn: u32,
        ended: Option<Instant>,
        event: Event,
        timing: Option<TurnTiming>,
    ) {
        let generation = self.generation.load(Ordering::SeqCst);
        let consent_before = self.engine.intake.recording_consent;
        let mut timing = timing;
        let filler_at = ended.map(|e| e + self.engines.config.filler_after);
        let mut played = timing.as_ref().is_some_and(|t| t.filler);
        let filler = self.filler.clone();
        let result = filler
            .cover(
                drive(
                    &self.state,
                    self.spec.tenant,
                    self.intake_id,
                    &mut self.engine,
                    event,
                    self.version,
                ),
                filler_at,
                turn,
                &mut played,
            )
            .await;
        if let (Some(t), Some(ended)) = (timing.as_mut(), ended) {
            t.reply_ms = Some(ended.elapsed().as_millis() as u64);
        }
        let replies = match result {
            Ok(r) => {
                self.version = r.version;
                r.replies
            }
            Err(e) => {
                // The words are in memory (and in the checkpoint when it
                // was reached); the next successful save keeps them.
                tracing::error!(error = %e, intake = %self.intake_id, "an agent turn failed");
                if self.engine.is_done() {
                    vec![]
                } else {
                    vec![TROUBLE.to_owned()]
                }
            }
        };
        if self.engine.intake.recording_consent != consent_before
            && let Some(on) = self.engine.intake.recording_consent
        {
            let _ = self.out.send(ThinkOut::Recording(on)).await;
        }
        let mut first_audio: Option<u64> = None;
        'replies: for reply in replies {
            let _ = self
                .out
                .send(ThinkOut::Transcript {
                    speaker: "agent",
                    text: reply.clone(),
                })
                .await;
            // Sentence by sentence, so the first plays while the next is made
            // (Piper's splitter: abbreviations, decimals and amounts hold).
            for sentence in hermes_speech::piper::sentences(&reply) {
                if self.generation.load(Ordering::SeqCst) != generation {
                    // The caller interrupted: the rest is not said.
                    break 'replies;
                }
                // The filler covers only the wait for the turn's first
                // audio: once the reply has begun, a slow next sentence is
                // not a silence to fill ("…Central time, one moment, which
                // works best?").
                let filler_due = filler_at.filter(|_| first_audio.is_none());
                let spoken = self
                    .speak(sentence, generation, turn, filler_due, &mut played, || {
                        if first_audio.is_none() {
                            first_audio = ended.map(|e| e.elapsed().as_millis() as u64);
                        }
                    })
                    .await;
                if let Err(e) = spoken {
                    tracing::error!(error = %e, "speech synthesis failed");
                }
            }
        }
        if let Some(mut t) = timing {
            t.first_audio_ms = first_audio;
            t.filler = played;
            let _ = self.out.send(ThinkOut::Timing(t)).await;
        }
        let _ = self.out.send(ThinkOut::Said { generation, turn }).await;
    }
}

// --- the transport's handle ------------------------------------------------------

/// A call's pipeline as its transport holds it: the caller's side goes in,
/// the agent's comes out.
pub struct Running {
    pub inbound: mpsc::Sender<Inbound>,
    pub outbound: mpsc::Receiver<Outbound>,
    task: tokio::task::JoinHandle<CallOutcome>,
}

/// Starts a call's pipeline. Each way holds 256 messages, ~5 s of 20 ms
/// frames: far more than a transport that keeps up ever queues.
pub fn start(state: AppState, spec: CallSpec, engines: CallEngines) -> Running {
    let (in_tx, in_rx) = mpsc::channel::<Inbound>(256);
    let (out_tx, out_rx) = mpsc::channel::<Outbound>(256);
    Running {
        inbound: in_tx,
        outbound: out_rx,
        task: tokio::spawn(run(state, spec, engines, in_rx, out_tx)),
    }
}

impl Running {
    /// The call is over on the transport's side: tells the pipeline, lets
    /// it finish the intake (draining what it still says), and returns
    /// how the call went.
    pub async fn finish(self) -> CallOutcome {
        let Running {
            inbound,
            mut outbound,
            mut task,
        } = self;
        let _ = inbound.send(Inbound::Hangup).await;
        drop(inbound);
        loop {
            tokio::select! {
                r = &mut task => break r.unwrap_or_default(),
                m = outbound.recv() => if m.is_none() {
                    break (&mut task).await.unwrap_or_default();
                },
            }
        }
    }
}

// --- the listener: the call's main loop --------------------------------------------

/// The runtime the agents' turns run on, apart from the media path's.
///
/// Why: a turn awaits several database round trips (SQLite's writer is one
/// connection, held for the whole transaction), each a wake-up of the
/// turn's task. On the media path's runtime, busy with every call's 50
/// frames a second, each wake-up waited behind hundreds of frame tasks:
/// at 750 calls the writer's transactions, and so the turns queued behind
/// them, stretched to 150 ms at p95 while the database itself was idle.
/// Here a turn's wake-ups are prompt; the media path keeps its own
/// workers for pacing. Channels join the two.
fn agent_runtime() -> &'static tokio::runtime::Handle {
    static AGENT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    AGENT
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("hermes-agent")
                .enable_all()
                .build()
                .expect("starting the agents' runtime")
        })
        .handle()
}

/// Runs one call until it ends. `inbound` closing counts as a hang-up.
pub async fn run(
    state: AppState,
    spec: CallSpec,
    engines: CallEngines,
    mut inbound: mpsc::Receiver<Inbound>,
    out: mpsc::Sender<Outbound>,
) -> CallOutcome {
    let cfg = engines.config.clone();
    let rate = spec.rate;
    let frame_len = rate as usize / 50;
    // Dashboards watching the call hear its lines in order.
    let live = crate::live::Feed::new(&state, spec.tenant);
    // The listener hears at 16 kHz (what the detector and the recogniser
    // take), whatever the line's rate.
    const HEAR: u32 = 16_000;
    let mut upsample = match hermes_voice::resample::Resampler::new(rate, HEAR) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "unsupported call audio rate");
            let _ = out.send(Outbound::End { transfer: false }).await;
            return CallOutcome {
                outcome: "failed".into(),
                ..Default::default()
            };
        }
    };
    let (vad_tx, mut vad_rx) = mpsc::channel::<VadVerdict>(256);
    let mut vad = engines.vad.open(vad_tx);
    let vad_len = vad.frame_len();
    let vad_ms = (vad_len as u32 * 1000) / HEAR;
    let mut endpointer = Endpointer::new(EndpointConfig {
        frame_ms: vad_ms,
        ..cfg.endpoint
    });
    let mut barge = BargeIn::new(BargeInConfig {
        frame_ms: vad_ms,
        confirm_ms: cfg.barge_in_ms,
    });
    let mut playout = Playout::new(frame_len);
    let mut digits = Digits::new(cfg.dtmf_pause_ms);
    let generation = Arc::new(AtomicU64::new(0));

    let (think_tx, think_rx) = mpsc::channel::<ThinkIn>(16);
    let (said_tx, mut said_rx) = mpsc::channel::<ThinkOut>(256);
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let thinker = agent_runtime().spawn({
        let (state, spec, engines, generation) = (
            state.clone(),
            spec.clone(),
            engines.clone(),
            generation.clone(),
        );
        async move {
            match Thinker::start(state, spec, engines, said_tx, generation).await {
                Ok(t) => {
                    let _ = started_tx.send(Ok(()));
                    t.run(think_rx).await;
                }
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                }
            }
        }
    });
    match started_rx.await.unwrap_or_else(|_| {
        Err(crate::ApiError::internal(anyhow::anyhow!(
            "the agent's task ended before it started"
        )))
    }) {
        Ok(()) => {}
        Err(e) => {
            tracing::error!(error = %e, call = %spec.call_id, "could not start the intake for a call");
            let _ = out.send(Outbound::End { transfer: false }).await;
            return CallOutcome {
                outcome: "failed".into(),
                ..Default::default()
            };
        }
    };

    let started = Instant::now();
    let mut outcome = CallOutcome::default();
    // Caller audio not yet judged: kept from `audio_pos`, about a second
    // before the current turn (pre-roll) and all of the turn.
    let mut audio: Vec<i16> = Vec::new();
    let mut audio_pos: u64 = 0;
    let mut received: u64 = 0;
    // When each recent inbound chunk arrived (end position, instant): to
    // measure barge-in from the audio, not from its verdict.
    let mut arrivals: VecDeque<(u64, Instant)> = VecDeque::new();
    let mut turn_no: u32 = 0;
    let mut utterance_start: u64 = 0;
    let mut last_speech_end: u64 = 0;
    let mut speech_run_start: Option<u64> = None;
    let mut silence_run_ms: u32 = 0;
    let mut early: Option<(u64, Transcript)> = None;
    let mut early_text: Option<(u64, String)> = None;
    let (early_tx, mut early_rx) = mpsc::channel::<(u32, u64, String)>(8);
    let mut thinker_busy = false;
    let mut thinker_alive = true;
    let mut last_activity = Instant::now();
    let mut timings: Vec<TurnTiming> = Vec::new();
    let mut turn_first_frame: std::collections::HashMap<u32, Instant> = Default::default();
    let mut turn_ended_at: std::collections::HashMap<u32, Instant> = Default::default();
    let mut mark_no: u32 = 0;
    let mut next_send: Option<tokio::time::Instant> = None;
    // Loudness of what the agent sent lately (for the echo check).
    let mut agent_levels: VecDeque<(Instant, f32)> = VecDeque::new();
    // Both sides at the line's rate, from the caller's consent on.
    let mut recording: Option<Recorder> = None;
    let mut recorded_pos: usize = 0;
    let mut rec_started_at: usize = 0;
    let mut done: Option<(String, bool)> = None;
    let mut end_deadline: Option<Instant> = None;
    let mut housekeeping = tokio::time::interval(Duration::from_millis(100));
    housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let hung_up = loop {
        // Nothing queued, nothing scheduled: a clear (barge-in, keypad)
        // empties the playout between ticks, and the next reply must start
        // a schedule of its own, not catch up with the cleared one's (that
        // sent its first seconds in one burst, past the reach of a clear).
        if playout.is_idle() {
            next_send = None;
        }
        let tick = next_send;
        tokio::select! {
            biased;
            msg = inbound.recv() => match msg {
                None | Some(Inbound::Hangup) => break true,
                Some(Inbound::Audio(line)) => {
                    if let Some(rec) = recording.as_mut() {
                        rec.caller(&line);
                        rec.settle().await;
                    }
                    recorded_pos += line.len();
                    let samples = upsample.process(&line);
                    received += samples.len() as u64;
                    arrivals.push_back((received, Instant::now()));
                    if arrivals.len() > 64 {
                        arrivals.pop_front();
                    }
                    audio.extend_from_slice(&samples);
                    vad.push(&samples);
                    if !endpointer.in_turn() && audio.len() > HEAR as usize * 2 {
                        // Keep one second of pre-roll.
                        let drop = audio.len() - HEAR as usize;
                        audio.drain(..drop);
                        audio_pos += drop as u64;
                    }
                }
                Some(Inbound::Dtmf(key)) => {
                    last_activity = Instant::now();
                    if playout.agent_audible() {
                        interrupt(&mut playout, &generation, &out, &mut timings, turn_no).await;
                    }
                    if let Some(keyed) = digits.push(key, started.elapsed().as_millis() as u64) {
                        send_keyed(&think_tx, keyed).await;
                    }
                }
                Some(Inbound::Played(name)) => {
                    playout.acknowledge(&name);
                    if !playout.agent_audible() {
                        last_activity = Instant::now();
                    }
                }
            },
            Some(v) = vad_rx.recv() => {
                let speech_end = v.seq * vad_len as u64;
                let level = frame_level(&audio, audio_pos, speech_end, vad_len);
                let speech = v.probability >= cfg.speech_threshold;
                // Over the agent, quiet speech is the agent's own echo.
                let echo_floor = agent_levels.iter().map(|(_, l)| *l).fold(0.0, f32::max) * cfg.echo_return;
                let audible = playout.agent_audible();
                let barge_speech = speech && (!audible || level > echo_floor);
                if speech {
                    last_speech_end = speech_end;
                    silence_run_ms = 0;
                    if speech_run_start.is_none() {
                        speech_run_start = Some(speech_end - vad_len as u64);
                    }
                } else {
                    silence_run_ms += vad_ms;
                    speech_run_start = None;
                }
                if barge.push(audible, barge_speech, None) {
                    let onset = speech_run_start.unwrap_or(speech_end);
                    if let Some((_, at)) = arrivals.iter().find(|(end, _)| *end > onset) {
                        metrics::histogram!("hermes_voice_barge_in_seconds").record(at.elapsed().as_secs_f64());
                    }
                    interrupt(&mut playout, &generation, &out, &mut timings, turn_no).await;
                }
                // While the agent talks, only speech that is not echo can
                // start a turn.
                let turn_speech = if audible { barge_speech } else { speech };
                match endpointer.push(turn_speech) {
                    Some(Endpoint::SpeechStarted) => {
                        tracing::debug!(call = %spec.call_id, audible, "caller speech started");
                        last_activity = Instant::now();
                        let onset = speech_run_start.unwrap_or(speech_end);
                        // 300 ms before the onset: soft word starts.
                        utterance_start = onset.saturating_sub(u64::from(HEAR) * 3 / 10).max(audio_pos);
                        early = None;
                        early_text = None;
                    }
                    Some(Endpoint::TurnEnded { speech_ms }) => {
                        tracing::debug!(call = %spec.call_id, turn = turn_no + 1, speech_ms, "caller turn ended");
                        last_activity = Instant::now();
                        turn_no += 1;
                        let ended = Instant::now();
                        turn_ended_at.insert(turn_no, ended);
                        let cut_end = (last_speech_end + u64::from(HEAR) / 5).min(audio_pos + audio.len() as u64);
                        let clip: Arc<[i16]> = slice(&audio, audio_pos, utterance_start, cut_end).into();
                        let early_job = match (&early_text, &early) {
                            (Some((end, text)), _) if *end == last_speech_end => {
                                let text = text.clone();
                                Some(async move { Ok::<_, String>(text) }.boxed().shared())
                            }
                            (_, Some((end, job))) if *end == last_speech_end => Some(job.clone()),
                            _ => None,
                        };
                        early = None;
                        early_text = None;
                        let _ = think_tx.send(ThinkIn::Turn { turn: turn_no, speech_ms, ended, audio: clip, early: early_job }).await;
                        // Keep a second of what came after, as pre-roll.
                        let keep_from = (audio_pos + audio.len() as u64).saturating_sub(u64::from(HEAR));
                        if keep_from > audio_pos {
                            audio.drain(..(keep_from - audio_pos) as usize);
                            audio_pos = keep_from;
                        }
                    }
                    None => {}
                }
                // A pause mid-turn: transcribe what we have, so the text is
                // ready if the turn is over (and the endpointer can tell an
                // unfinished phone number from a finished answer).
                if endpointer.in_turn()
                    && silence_run_ms >= cfg.speculate_after_ms
                    && early.as_ref().is_none_or(|(end, _)| *end != last_speech_end)
                {
                    let cut_end = (last_speech_end + u64::from(HEAR) / 5).min(audio_pos + audio.len() as u64);
                    let clip: Arc<[i16]> = slice(&audio, audio_pos, utterance_start, cut_end).into();
                    let job = transcribe(engines.stt.clone(), clip);
                    let tx = early_tx.clone();
                    let key = last_speech_end;
                    let turn = turn_no;
                    let j = job.clone();
                    tokio::spawn(async move {
                        if let Ok(text) = j.await {
                            let _ = tx.send((turn, key, text)).await;
                        }
                    });
                    early = Some((last_speech_end, job));
                }
            },
            Some((turn, key, text)) = early_rx.recv() => {
                if turn == turn_no && endpointer.in_turn() && key == last_speech_end {
                    endpointer.partial(&text);
                    early_text = Some((key, text));
                }
            },
            msg = said_rx.recv(), if thinker_alive => match msg {
                None => {
                    // The thinker has finished (a closed channel is always
                    // ready: stop polling it).
                    thinker_alive = false;
                    // It ended without saying so: it panicked.
                    if done.is_none() {
                        done = Some(("failed".into(), false));
                        end_deadline = Some(Instant::now());
                    }
                }
                Some(ThinkOut::Audio { generation: g, turn, samples }) => {
                    if g == generation.load(Ordering::SeqCst) {
                        playout.push_tagged(samples, turn);
                        if next_send.is_none() {
                            next_send = Some(tokio::time::Instant::now());
                        }
                    }
                }
                Some(ThinkOut::Said { generation: g, turn }) => {
                    if g == generation.load(Ordering::SeqCst) {
                        mark_no += 1;
                        playout.push_mark(format!("t{turn}-{mark_no}"));
                        if next_send.is_none() {
                            next_send = Some(tokio::time::Instant::now());
                        }
                    }
                }
                Some(ThinkOut::Timing(t)) => {
                    match timings.iter_mut().find(|x| x.turn == t.turn && t.turn > 0) {
                        Some(x) => {
                            let (interrupted, frame) = (x.interrupted, x.first_frame_ms);
                            *x = t;
                            x.interrupted |= interrupted;
                            x.first_frame_ms = x.first_frame_ms.or(frame);
                        }
                        None => timings.push(t),
                    }
                }
                Some(ThinkOut::Transcript { speaker, text }) => {
                    live.send(crate::live::LiveEvent::CallLine {
                        call: spec.call_id,
                        speaker: speaker.to_string(),
                        text: text.clone(),
                    });
                    let _ = out.send(Outbound::Transcript { speaker, text }).await;
                }
                Some(ThinkOut::Recording(on)) => {
                    outcome.recording_consent = Some(on);
                    rec_started_at = recorded_pos;
                    recording = on.then(|| Recorder::new(
                        state.secrets.clone(),
                        super::record::recording_context(spec.tenant, spec.call_id),
                        state.voice.config.spool_dir(),
                        rate,
                    ));
                }
                Some(ThinkOut::Busy(b)) => {
                    thinker_busy = b;
                    last_activity = Instant::now();
                }
                Some(ThinkOut::Done { status, transfer, intake_id }) => {
                    outcome.intake_id = Some(intake_id);
                    done = Some((status, transfer));
                    // Let the goodbye play out, then end.
                    end_deadline = Some(Instant::now() + Duration::from_secs(30));
                }
            },
            _ = tokio::time::sleep_until(tick.unwrap_or_else(tokio::time::Instant::now)), if tick.is_some() => {
                let due = tick.expect("guarded");
                let lateness = tokio::time::Instant::now().saturating_duration_since(due);
                metrics::histogram!("hermes_voice_pacing_lateness_seconds").record(lateness.as_secs_f64());
                // Keep up to 60 ms ahead of real time (the far end's jitter
                // buffer), never more: a clear must silence the agent fast.
                while let Some(item) = playout.next_item() {
                    match item {
                        Item::Audio(frame, turn) => {
                            let level = rms(&frame);
                            agent_levels.push_back((Instant::now(), level));
                            if let Some(rec) = recording.as_mut() {
                                rec.agent(&frame, recorded_pos.saturating_sub(rec_started_at));
                            }
                            if turn > 0 && !turn_first_frame.contains_key(&turn) {
                                let now = Instant::now();
                                turn_first_frame.insert(turn, now);
                                if let Some(ended) = turn_ended_at.get(&turn) {
                                    let ms = now.duration_since(*ended).as_millis() as u64;
                                    metrics::histogram!("hermes_voice_turn_latency_seconds").record(ms as f64 / 1000.0);
                                    match timings.iter_mut().find(|t| t.turn == turn) {
                                        Some(t) => t.first_frame_ms = Some(ms),
                                        None => timings.push(TurnTiming { turn, first_frame_ms: Some(ms), ..Default::default() }),
                                    }
                                }
                            }
                            if out.send(Outbound::Audio(frame)).await.is_err() {
                                break;
                            }
                            let next = next_send.expect("ticking") + Duration::from_millis(20);
                            next_send = Some(next);
                            if next > tokio::time::Instant::now() + Duration::from_millis(60) {
                                break;
                            }
                        }
                        Item::Mark(name) => {
                            let _ = out.send(Outbound::Mark(name)).await;
                        }
                    }
                }
                if playout.is_idle() {
                    next_send = None;
                }
                while agent_levels.front().is_some_and(|(t, _)| t.elapsed() > Duration::from_millis(500)) {
                    agent_levels.pop_front();
                }
            },
            _ = housekeeping.tick() => {
                if let Some(keyed) = digits.tick(started.elapsed().as_millis() as u64) {
                    send_keyed(&think_tx, keyed).await;
                }
                while agent_levels.front().is_some_and(|(t, _)| t.elapsed() > Duration::from_millis(500)) {
                    agent_levels.pop_front();
                }
                if let Some(deadline) = end_deadline {
                    let finished = !playout.agent_audible();
                    if finished || Instant::now() >= deadline {
                        break false;
                    }
                    continue;
                }
                let quiet = !thinker_busy && !playout.agent_audible() && !endpointer.in_turn() && !digits.pending();
                // The caller's silence counts from when the agent last
                // spoke or thought, not from the caller's last turn: a
                // reply longer than the timeout is not the caller's
                // silence (the last frames after the last mark, or a
                // cleared reply, end the agent's speech without a `Played`).
                if !quiet {
                    last_activity = Instant::now();
                }
                if quiet && last_activity.elapsed() >= cfg.silence_timeout {
                    last_activity = Instant::now();
                    let _ = think_tx.send(ThinkIn::Silence).await;
                }
            },
        }
    };

    if hung_up {
        let _ = think_tx.send(ThinkIn::HungUp).await;
    }
    drop(think_tx);
    // The thinker finishes the intake (abandoned on a hang-up) and reports.
    let wait = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(msg) = said_rx.recv().await {
            match msg {
                ThinkOut::Done {
                    status, intake_id, ..
                } => {
                    outcome.intake_id = Some(intake_id);
                    done = Some((status, false));
                }
                ThinkOut::Timing(t) => timings.push(t),
                ThinkOut::Recording(on) => outcome.recording_consent = Some(on),
                _ => {}
            }
        }
    })
    .await;
    if wait.is_err() {
        tracing::error!(call = %spec.call_id, "the agent did not finish within 30 s of the call ending");
        thinker.abort();
    }
    let (status, transfer) = done.unwrap_or_else(|| ("abandoned".into(), false));
    if !hung_up {
        let _ = out.send(Outbound::End { transfer }).await;
    }
    timings.sort_by_key(|t| t.turn);
    timings.retain(|t| t.turn > 0);
    outcome.outcome = if transfer {
        "transferred".into()
    } else {
        status
    };
    outcome.transferred = transfer;
    outcome.turns = timings;
    if let Some(rec) = recording.filter(|_| outcome.recording_consent == Some(true)) {
        match rec.finish().await {
            Ok(samples) => outcome.recording = Some(samples),
            Err(e) => {
                tracing::error!(call = %spec.call_id, error = %e, "could not read a call's recording back from its spool")
            }
        }
    }
    drop(vad);
    outcome
}

async fn send_keyed(think: &mpsc::Sender<ThinkIn>, keyed: Keyed) {
    let digits = match keyed {
        Keyed::Operator => "0".to_owned(),
        Keyed::Entry(d) => d,
    };
    let _ = think.send(ThinkIn::Digits(digits)).await;
}

/// Barge-in: silence the agent at once, everywhere.
async fn interrupt(
    playout: &mut Playout,
    generation: &AtomicU64,
    out: &mpsc::Sender<Outbound>,
    timings: &mut [TurnTiming],
    turn: u32,
) {
    tracing::debug!(turn, "the caller interrupted the agent");
    generation.fetch_add(1, Ordering::SeqCst);
    playout.clear();
    let _ = out.send(Outbound::Clear).await;
    if let Some(t) = timings.iter_mut().find(|t| t.turn == turn) {
        t.interrupted = true;
    }
    metrics::counter!("hermes_voice_barge_ins_total").increment(1);
}

/// Samples `[from, to)` of the stream, given a buffer starting at `pos`.
fn slice(audio: &[i16], pos: u64, from: u64, to: u64) -> Vec<i16> {
    let a = from.saturating_sub(pos) as usize;
    let b = (to.saturating_sub(pos) as usize).min(audio.len());
    audio
        .get(a.min(b)..b)
        .map(<[i16]>::to_vec)
        .unwrap_or_default()
}

/// RMS (full scale 1.0) of the VAD frame ending at `end`.
fn frame_level(audio: &[i16], pos: u64, end: u64, len: usize) -> f32 {
    rms(&slice(audio, pos, end.saturating_sub(len as u64), end))
}

fn rms(frame: &[i16]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    let sum: f64 = frame.iter().map(|s| f64::from(*s).powi(2)).sum();
    ((sum / frame.len() as f64).sqrt() / 32768.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_and_levels() {
        assert_eq!(slice(&[1, 2, 3, 4], 10, 11, 13), vec![2, 3]);
        assert_eq!(slice(&[1, 2, 3, 4], 10, 0, 100), vec![1, 2, 3, 4]);
        assert!(rms(&[]) == 0.0);
    }
}
