//! The speech engines a call uses, behind three small interfaces, so the
//! pipeline does not care whether words are recognised by Whisper on this
//! machine or by a cloud service:
//!
//! - [`SpeechToText`]: a finished (or paused) utterance → text.
//! - [`TextToSpeech`]: one sentence → audio. Replies are synthesised
//!   sentence by sentence, so the first sentence plays while the next is
//!   made; an engine that streams (the cloud ones) passes each piece on as
//!   it arrives ([`TextToSpeech::synthesize_streaming`]), so the caller
//!   hears the start of a sentence before its end is made.
//! - [`VadService`]: voice activity, batched across every call on the node
//!   (one inference for many calls' frames is far cheaper than one per
//!   call), with a cheap energy gate in front.
//!
//! [`Fallback`] puts a second engine behind a first one (a cloud engine
//! with the local one behind it): an error or a timeout of the first is
//! answered by the second, and the call never waits on a dead provider
//! twice (after a failure the first engine rests for a while).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("{provider} timed out")]
    Timeout { provider: String },
    #[error("{provider}: {message}")]
    Failed { provider: String, message: String },
}

impl SpeechError {
    pub fn failed(provider: &str, message: impl std::fmt::Display) -> Self {
        SpeechError::Failed {
            provider: provider.to_owned(),
            message: message.to_string(),
        }
    }

    pub fn timeout(provider: &str) -> Self {
        SpeechError::Timeout {
            provider: provider.to_owned(),
        }
    }
}

/// Recognises speech. Audio is 16 kHz mono 16-bit PCM.
#[async_trait]
pub trait SpeechToText: Send + Sync {
    fn name(&self) -> &str;
    async fn transcribe(&self, audio_16k: Arc<[i16]>) -> Result<String, SpeechError>;
}

/// Speaks one sentence; mono 16-bit PCM at [`TextToSpeech::sample_rate`].
///
/// An engine implements `synthesize`, `synthesize_streaming`, or both:
/// each has a default in terms of the other (a whole-sentence engine
/// streams its sentence as one piece; a streaming one is collected with
/// [`collect`]).
#[async_trait]
pub trait TextToSpeech: Send + Sync {
    fn name(&self) -> &str;
    fn sample_rate(&self) -> u32;

    async fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, SpeechError> {
        collect(self, sentence).await
    }

    /// Sends the sentence's audio to `out` piece by piece, as it is made;
    /// `out` closes when this returns. A receiver that went away is not an
    /// error (the caller interrupted): the engine just stops.
    async fn synthesize_streaming(
        &self,
        sentence: &str,
        out: mpsc::Sender<Vec<i16>>,
    ) -> Result<(), SpeechError> {
        let audio = self.synthesize(sentence).await?;
        let _ = out.send(audio).await;
        Ok(())
    }
}

/// A streaming engine's sentence, whole.
pub async fn collect<T: TextToSpeech + ?Sized>(
    tts: &T,
    sentence: &str,
) -> Result<Vec<i16>, SpeechError> {
    Ok(pieces(tts, sentence).await?.concat())
}

/// A sentence's audio in the pieces the engine streamed it in.
pub async fn pieces<T: TextToSpeech + ?Sized>(
    tts: &T,
    sentence: &str,
) -> Result<Vec<Vec<i16>>, SpeechError> {
    // Sixteen pieces in flight: the engine may run a little ahead of us.
    let (tx, mut rx) = mpsc::channel(16);
    let gather = async {
        let mut all = Vec::new();
        while let Some(piece) = rx.recv().await {
            all.push(piece);
        }
        all
    };
    let (done, all) = tokio::join!(tts.synthesize_streaming(sentence, tx), gather);
    done.map(|()| all)
}

/// A first engine with a second behind it.
///
/// The first gets `timeout` (to its answer when recognising, to its first
/// piece of audio when speaking); on an error or a timeout the second
/// answers, and the first *rests* for `rest`: the rest of the call goes
/// straight to the second, so a dead provider costs the caller one wait
/// rather than one per turn. Built per call, so one call's bad luck does
/// not decide another's.
pub struct Fallback<T: ?Sized> {
    first: Arc<T>,
    second: Arc<T>,
    timeout: Duration,
    rest: Duration,
    /// Until when the first is skipped. A std mutex: held for a compare
    /// and a store, never across an await.
    resting_until: Mutex<Option<Instant>>,
}

impl<T: ?Sized> Fallback<T> {
    pub fn new(first: Arc<T>, second: Arc<T>, timeout: Duration) -> Self {
        Fallback {
            first,
            second,
            timeout,
            rest: Duration::from_secs(60),
            resting_until: Mutex::new(None),
        }
    }

    pub fn with_rest(mut self, rest: Duration) -> Self {
        self.rest = rest;
        self
    }

    fn resting(&self) -> bool {
        let until = self.resting_until.lock().unwrap_or_else(|e| e.into_inner());
        until.is_some_and(|t| Instant::now() < t)
    }

    /// The first engine failed (`error`) or timed out (`None`): logged,
    /// counted, and the first rests.
    fn failed(&self, kind: &'static str, provider: &str, error: Option<&SpeechError>) {
        let reason = match error {
            Some(e) => {
                tracing::warn!(kind, provider, error = %e, "speech engine failed; using the fallback");
                "error"
            }
            None => {
                tracing::warn!(kind, provider, timeout = ?self.timeout, "speech engine timed out; using the fallback");
                "timeout"
            }
        };
        count_fallback(kind, provider, reason);
        *self.resting_until.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Instant::now() + self.rest);
    }
}

fn count_fallback(kind: &'static str, provider: &str, reason: &'static str) {
    metrics::counter!(
        "hermes_speech_fallbacks_total",
        "kind" => kind, "provider" => provider.to_owned(), "reason" => reason
    )
    .increment(1);
}

#[async_trait]
impl SpeechToText for Fallback<dyn SpeechToText> {
    fn name(&self) -> &str {
        self.first.name()
    }

    async fn transcribe(&self, audio: Arc<[i16]>) -> Result<String, SpeechError> {
        if self.resting() {
            count_fallback("stt", self.first.name(), "resting");
        } else {
            match tokio::time::timeout(self.timeout, self.first.transcribe(audio.clone())).await {
                Ok(Ok(text)) => return Ok(text),
                Ok(Err(e)) => self.failed("stt", self.first.name(), Some(&e)),
                Err(_) => self.failed("stt", self.first.name(), None),
            }
        }
        self.second.transcribe(audio).await
    }
}

/// The fallback speaks at its own rate, converted to the first engine's
/// (the rate this reports).
#[async_trait]
impl TextToSpeech for Fallback<dyn TextToSpeech> {
    fn name(&self) -> &str {
        self.first.name()
    }

    fn sample_rate(&self) -> u32 {
        self.first.sample_rate()
    }

    async fn synthesize_streaming(
        &self,
        sentence: &str,
        out: mpsc::Sender<Vec<i16>>,
    ) -> Result<(), SpeechError> {
        if self.resting() {
            count_fallback("tts", self.first.name(), "resting");
            return self.second_speaks(sentence, out).await;
        }
        let (tx, mut rx) = mpsc::channel(16);
        // Boxed so that it can be dropped (its request cancelled) before
        // the second engine speaks.
        let mut job = Box::pin(self.first.synthesize_streaming(sentence, tx));
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut result: Option<Result<(), SpeechError>> = None;
        // Wait for the first piece: it decides which engine speaks.
        let first_piece = loop {
            tokio::select! {
                piece = rx.recv() => break Ok(piece),
                r = &mut job, if result.is_none() => result = Some(r),
                _ = tokio::time::sleep_until(deadline) => break Err(()),
            }
        };
        match first_piece {
            Ok(Some(piece)) => {
                if out.send(piece).await.is_err() {
                    return Ok(());
                }
                // The first engine has the sentence: the rest is its own
                // (a failure now cuts the sentence short; the thinker
                // logs it and goes on with the next).
                loop {
                    tokio::select! {
                        piece = rx.recv() => match piece {
                            Some(p) => if out.send(p).await.is_err() { return Ok(()) },
                            None => break,
                        },
                        r = &mut job, if result.is_none() => result = Some(r),
                    }
                }
                match result {
                    Some(r) => r,
                    None => job.await,
                }
            }
            // Finished without a sound, failed, or too slow.
            Ok(None) => {
                let e = match result {
                    Some(Err(e)) => e,
                    _ => SpeechError::failed(self.first.name(), "no audio for the sentence"),
                };
                self.failed("tts", self.first.name(), Some(&e));
                self.second_speaks(sentence, out).await
            }
            Err(()) => {
                drop(job);
                self.failed("tts", self.first.name(), None);
                self.second_speaks(sentence, out).await
            }
        }
    }
}

impl Fallback<dyn TextToSpeech> {
    async fn second_speaks(
        &self,
        sentence: &str,
        out: mpsc::Sender<Vec<i16>>,
    ) -> Result<(), SpeechError> {
        let audio = self.second.synthesize(sentence).await?;
        let audio = hermes_voice::resample::convert(
            self.second.sample_rate(),
            self.first.sample_rate(),
            &audio,
        )
        .map_err(|e| SpeechError::failed(self.second.name(), e))?;
        let _ = out.send(audio).await;
        Ok(())
    }
}

// --- voice activity ----------------------------------------------------------

/// A voice-activity model that scores frames for many streams at once.
/// Owned by one thread (the batcher); streams are named by the caller.
pub trait VadBackend: Send + 'static {
    fn name(&self) -> &str;
    /// Samples per frame, at 16 kHz.
    fn frame_len(&self) -> usize;
    fn open(&mut self, stream: u64);
    fn close(&mut self, stream: u64);
    /// Speech probability for each (stream, frame), in order; all frames
    /// of one call share the stream's rate.
    fn infer(&mut self, batch: &[(u64, &[f32])]) -> Vec<f32>;
}

/// A frame's verdict, sent back to the call that asked.
#[derive(Debug, Clone, Copy)]
pub struct VadVerdict {
    pub seq: u64,
    pub probability: f32,
    /// Whether the energy gate answered without running the model.
    pub gated: bool,
}

enum VadRequest {
    Open {
        stream: u64,
    },
    Close {
        stream: u64,
    },
    Frame {
        stream: u64,
        seq: u64,
        samples: Vec<f32>,
        reply: mpsc::Sender<VadVerdict>,
    },
}

/// The node's voice-activity detector: one batcher thread serving every
/// call. Whatever frames arrived while the model ran the previous batch
/// form the next one, so batches grow with load and a quiet node answers
/// at once (no timer).
#[derive(Clone)]
pub struct VadService {
    tx: std::sync::mpsc::Sender<VadRequest>,
    name: Arc<str>,
    frame_len: usize,
    /// RMS (full scale = 1.0) below which a frame is silence without even
    /// reaching the batcher (0 turns this off; Silero's own gate, which
    /// waits for the model to settle, is the better one).
    gate_rms: f32,
    next_stream: Arc<std::sync::atomic::AtomicU64>,
}

/// Largest batch the model is given at once.
const MAX_BATCH: usize = 256;

impl VadService {
    pub fn start(mut backend: Box<dyn VadBackend>, gate_rms: f32) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<VadRequest>();
        let name: Arc<str> = backend.name().into();
        let frame_len = backend.frame_len();
        std::thread::Builder::new()
            .name("hermes-vad".into())
            .spawn(move || {
                let mut pending: Vec<(u64, u64, Vec<f32>, mpsc::Sender<VadVerdict>)> = Vec::new();
                while let Ok(first) = rx.recv() {
                    let mut next = Some(first);
                    while let Some(req) = next.take() {
                        match req {
                            VadRequest::Open { stream } => backend.open(stream),
                            VadRequest::Close { stream } => backend.close(stream),
                            VadRequest::Frame {
                                stream,
                                seq,
                                samples,
                                reply,
                            } => pending.push((stream, seq, samples, reply)),
                        }
                        if pending.len() < MAX_BATCH {
                            next = rx.try_recv().ok();
                        }
                    }
                    if pending.is_empty() {
                        continue;
                    }
                    let started = std::time::Instant::now();
                    let batch: Vec<(u64, &[f32])> = pending
                        .iter()
                        .map(|(s, _, f, _)| (*s, f.as_slice()))
                        .collect();
                    let probs = backend.infer(&batch);
                    metrics::histogram!("hermes_vad_batch_size").record(batch.len() as f64);
                    metrics::histogram!("hermes_vad_batch_seconds")
                        .record(started.elapsed().as_secs_f64());
                    metrics::counter!("hermes_vad_frames_total").increment(batch.len() as u64);
                    drop(batch);
                    for ((_, seq, _, reply), p) in pending.drain(..).zip(probs) {
                        // A call that ended or is backed up loses a verdict,
                        // never the batcher.
                        deliver(
                            &reply,
                            VadVerdict {
                                seq,
                                probability: p,
                                gated: false,
                            },
                        );
                    }
                }
            })
            .expect("spawning the VAD thread");
        VadService {
            tx,
            name,
            frame_len,
            gate_rms,
            next_stream: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A stream for one call (16 kHz audio); verdicts come back on
    /// `reply`.
    pub fn open(&self, reply: mpsc::Sender<VadVerdict>) -> VadStream {
        let id = self
            .next_stream
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _ = self.tx.send(VadRequest::Open { stream: id });
        VadStream {
            service: self.clone(),
            id,
            frame_len: self.frame_len,
            buffer: Vec::new(),
            seq: 0,
            reply,
        }
    }
}

/// Sends a verdict without waiting; one that does not fit (the call is
/// backed up, or gone) is counted, so a load test sees it.
fn deliver(reply: &mpsc::Sender<VadVerdict>, verdict: VadVerdict) {
    if let Err(mpsc::error::TrySendError::Full(_)) = reply.try_send(verdict) {
        metrics::counter!("hermes_vad_verdicts_dropped_total").increment(1);
    }
}

/// One call's view of the [`VadService`]: collects audio into the model's
/// frame size and submits frames; closes the model's state when dropped.
pub struct VadStream {
    service: VadService,
    id: u64,
    frame_len: usize,
    buffer: Vec<f32>,
    seq: u64,
    reply: mpsc::Sender<VadVerdict>,
}

impl VadStream {
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Adds audio; each whole frame is scored (the gate answers quiet ones
    /// at once, on the same channel). Returns the number of frames sent.
    pub fn push(&mut self, samples: &[i16]) -> usize {
        self.buffer
            .extend(samples.iter().map(|s| f32::from(*s) / 32768.0));
        let mut n = 0;
        while self.buffer.len() >= self.frame_len {
            let frame: Vec<f32> = self.buffer.drain(..self.frame_len).collect();
            self.seq += 1;
            n += 1;
            let rms = (frame.iter().map(|v| v * v).sum::<f32>() / frame.len() as f32).sqrt();
            if rms < self.service.gate_rms {
                deliver(
                    &self.reply,
                    VadVerdict {
                        seq: self.seq,
                        probability: 0.0,
                        gated: true,
                    },
                );
                continue;
            }
            let _ = self.service.tx.send(VadRequest::Frame {
                stream: self.id,
                seq: self.seq,
                samples: frame,
                reply: self.reply.clone(),
            });
        }
        n
    }
}

impl Drop for VadStream {
    fn drop(&mut self) {
        let _ = self.service.tx.send(VadRequest::Close { stream: self.id });
    }
}

/// A detector by loudness alone: what runs when the Silero model is not
/// installed (logged at start), and a baseline for the benchmarks. It
/// cannot tell speech from a door slam; Silero can.
pub struct EnergyVad {
    pub threshold_rms: f32,
}

impl VadBackend for EnergyVad {
    fn name(&self) -> &str {
        "energy"
    }

    fn frame_len(&self) -> usize {
        512
    }

    fn open(&mut self, _: u64) {}

    fn close(&mut self, _: u64) {}

    fn infer(&mut self, batch: &[(u64, &[f32])]) -> Vec<f32> {
        batch
            .iter()
            .map(|(_, f)| {
                let rms = (f.iter().map(|v| v * v).sum::<f32>() / f.len().max(1) as f32).sqrt();
                (rms / self.threshold_rms / 2.0).min(1.0)
            })
            .collect()
    }
}
