//! The embedded default engines, on this machine: Silero VAD and Piper on
//! ONNX Runtime, Whisper tiny.en on CTranslate2 (`hermes-speech`), wrapped
//! in the pipeline's interfaces. They are CPU-bound and synchronous, so
//! each call runs on the blocking pool; VAD runs on the batcher's own
//! thread.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use hermes_speech::piper::Piper;
use hermes_speech::vad::{EnergyGate, SileroVad, VadStream};
use hermes_speech::whisper::Whisper;

use super::Engines;
use super::speech::{SpeechError, SpeechToText, TextToSpeech, VadBackend, VadService};

/// Silero behind the batcher: one model, one state per call.
pub struct SileroBackend {
    vad: Arc<SileroVad>,
    streams: HashMap<u64, VadStream>,
}

impl SileroBackend {
    pub fn new(vad: Arc<SileroVad>) -> Self {
        SileroBackend {
            vad,
            streams: HashMap::new(),
        }
    }
}

impl VadBackend for SileroBackend {
    fn name(&self) -> &str {
        "silero"
    }

    fn frame_len(&self) -> usize {
        hermes_speech::vad::FRAME
    }

    fn open(&mut self, stream: u64) {
        self.streams
            .insert(stream, self.vad.stream().with_gate(EnergyGate::default()));
    }

    fn close(&mut self, stream: u64) {
        self.streams.remove(&stream);
    }

    fn infer(&mut self, batch: &[(u64, &[f32])]) -> Vec<f32> {
        // Take the batch's streams out of the map (a stream may appear
        // twice in one batch: its frames are then run in two rounds, in
        // order).
        let mut out = vec![0.0; batch.len()];
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        while !pending.is_empty() {
            let mut round: Vec<(usize, VadStream)> = Vec::new();
            let mut later = Vec::new();
            for i in pending {
                let id = batch[i].0;
                match self.streams.remove(&id) {
                    Some(s) => round.push((i, s)),
                    None if round.iter().any(|(j, _)| batch[*j].0 == id) => later.push(i),
                    // A frame of a stream never opened (or closed): fresh
                    // state, kept from now on.
                    None => round.push((i, self.vad.stream().with_gate(EnergyGate::default()))),
                }
            }
            let gated_before: u64 = round.iter().map(|(_, s)| s.gated_frames()).sum();
            let mut items: Vec<(&mut VadStream, &[f32])> = Vec::with_capacity(round.len());
            let idx: Vec<usize> = round.iter().map(|(i, _)| *i).collect();
            for (i, s) in round.iter_mut() {
                items.push((s, batch[*i].1));
            }
            match self.vad.probabilities(&mut items) {
                Ok(p) => {
                    for (k, i) in idx.iter().enumerate() {
                        out[*i] = p[k];
                    }
                }
                Err(e) => tracing::error!(error = %e, "Silero VAD failed on a batch"),
            }
            drop(items);
            let gated: u64 = round.iter().map(|(_, s)| s.gated_frames()).sum();
            metrics::counter!("hermes_vad_frames_gated_total").increment(gated - gated_before);
            for (i, s) in round {
                self.streams.insert(batch[i].0, s);
            }
            pending = later;
        }
        out
    }
}

/// Whisper tiny.en.
pub struct LocalStt {
    whisper: Arc<Whisper>,
}

#[async_trait]
impl SpeechToText for LocalStt {
    fn name(&self) -> &str {
        "local"
    }

    async fn transcribe(&self, audio_16k: Arc<[i16]>) -> Result<String, SpeechError> {
        let whisper = self.whisper.clone();
        tokio::task::spawn_blocking(move || {
            let samples: Vec<f32> = audio_16k.iter().map(|s| f32::from(*s) / 32768.0).collect();
            whisper.transcribe(&samples)
        })
        .await
        .map_err(|e| SpeechError::failed("local", e))?
        .map_err(|e| SpeechError::failed("local", e))
    }
}

/// Piper with the `en_US-joe-medium` voice.
pub struct LocalTts {
    piper: Arc<Piper>,
}

#[async_trait]
impl TextToSpeech for LocalTts {
    fn name(&self) -> &str {
        "local"
    }

    fn sample_rate(&self) -> u32 {
        self.piper.sample_rate()
    }

    async fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, SpeechError> {
        let piper = self.piper.clone();
        let sentence = sentence.to_owned();
        tokio::task::spawn_blocking(move || piper.synthesize(&sentence))
            .await
            .map_err(|e| SpeechError::failed("local", e))?
            .map_err(|e| SpeechError::failed("local", e))
    }
}

/// Loads the three local engines from `models_dir` (blocking: seconds).
pub fn load(models_dir: &Path, stt_threads: usize) -> anyhow::Result<Engines> {
    let vad = Arc::new(SileroVad::load_with_sessions(models_dir, 1)?);
    let whisper = Arc::new(Whisper::load(
        &models_dir.join("whisper-tiny-en"),
        stt_threads,
    )?);
    let piper = Arc::new(Piper::load(&models_dir.join("piper-joe"))?);
    let mut stt: HashMap<String, Arc<dyn SpeechToText>> = HashMap::new();
    stt.insert("local".into(), Arc::new(LocalStt { whisper }));
    let mut tts: HashMap<String, Arc<dyn TextToSpeech>> = HashMap::new();
    tts.insert("local".into(), Arc::new(LocalTts { piper }));
    Ok(Engines {
        stt,
        tts,
        default_stt: "local".into(),
        default_tts: "local".into(),
        vad: VadService::start(Box::new(SileroBackend::new(vad)), 0.0),
    })
}
