//! Piper text to speech: a VITS voice on ONNX Runtime, fed IPA phonemes
//! from espeak-ng.
//!
//! Why Piper: it runs faster than real time on two CPU cores, speaks
//! naturally enough for a receptionist, and its voices are single files
//! (the `.onnx` model and its `.onnx.json` config) with permissive
//! licences. The voice is en_US-joe-medium (22.05 kHz, one speaker),
//! fetched by `scripts/models.sh` into `models/piper-joe/`.
//!
//! The path of a sentence: [`speakable`] writes phone numbers, amounts and
//! times the way they are said; espeak-ng turns the text into IPA clause by
//! clause, keeping each clause's punctuation (the voice was trained with
//! it); each character becomes its id from the voice's `phoneme_id_map`,
//! framed as Piper frames it; the model turns the ids into float audio;
//! the audio is scaled to 16-bit PCM. A caller splits a reply with
//! [`sentences`] and synthesises sentence by sentence, so the first
//! sentence can play while the rest is synthesised.
//!
//! The output rate is the voice's (22.05 kHz); the call pipeline resamples
//! to the telephone's 8 kHz, which is why the audio keeps 1 dB of headroom
//! below full scale (resampling can overshoot a full-scale peak).

mod espeak;
mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::SpeechError;
pub use text::{sentences, speakable};

/// Silence between two sentences that espeak-ng found in one call to
/// [`Piper::synthesize`] (Piper's default `sentence_silence`).
const SENTENCE_SILENCE_SECONDS: f32 = 0.2;

/// Peak level of each synthesised sentence: −1 dBFS. Piper scales every
/// sentence to its own peak (the model's raw level varies); the headroom
/// keeps resampling from clipping.
const PEAK: f32 = 0.891 * i16::MAX as f32;

/// A loaded Piper voice. `Send + Sync`: share one per process (an
/// `Arc<Piper>`); calls to [`Piper::synthesize`] run one at a time.
pub struct Piper {
    /// `ort` 2.0.0-rc.10 runs a session through `&mut`, so one lock per
    /// voice: concurrent calls take turns. On two cores that costs little:
    /// a run is CPU-bound on one thread (see `load`), so two sentences
    /// synthesised side by side would each take about twice as long.
    session: Mutex<Session>,
    config: VoiceConfig,
    /// Every phoneme character the voice knows, with its ids.
    ids: HashMap<char, Vec<i64>>,
    model_path: PathBuf,
}

impl std::fmt::Debug for Piper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Piper")
            .field("model", &self.model_path)
            .field("sample_rate", &self.config.audio.sample_rate)
            .field("espeak_voice", &self.config.espeak.voice)
            .finish_non_exhaustive()
    }
}

/// The parts of a voice's `.onnx.json` that synthesis reads.
#[derive(Debug, Deserialize)]
struct VoiceConfig {
    audio: AudioConfig,
    espeak: EspeakConfig,
    inference: InferenceConfig,
    phoneme_id_map: HashMap<String, Vec<i64>>,
    #[serde(default = "one")]
    num_speakers: u32,
}

#[derive(Debug, Deserialize)]
struct AudioConfig {
    sample_rate: u32,
}

#[derive(Debug, Deserialize)]
struct EspeakConfig {
    voice: String,
}

#[derive(Debug, Deserialize)]
struct InferenceConfig {
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
}

fn one() -> u32 {
    1
}

/// Piper's framing symbols (piper-phonemize's defaults).
const PAD: char = '_';
const BOS: char = '^';
const EOS: char = '$';

impl Piper {
    /// Loads the voice in `dir` (e.g. `models/piper-joe`): its one `.onnx`
    /// file and the `.onnx.json` beside it. ONNX Runtime comes from the
    /// parent folder (`models/onnxruntime`) unless [`crate::onnx::init`]
    /// already loaded it.
    pub fn load(dir: &Path) -> Result<Self, SpeechError> {
        let model_path = find_model(dir)?;
        let config_path = model_path.with_extension("onnx.json");
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|_| SpeechError::Missing {
                path: config_path.clone(),
            })?;
        let config: VoiceConfig =
            serde_json::from_str(&config_text).map_err(|e| SpeechError::Runtime {
                context: "reading the Piper voice config",
                message: format!("{}: {e}", config_path.display()),
            })?;
        if config.num_speakers > 1 {
            return Err(SpeechError::Runtime {
                context: "reading the Piper voice config",
                message: "multi-speaker voices are not supported".into(),
            });
        }
        let mut ids = HashMap::new();
        for (symbol, symbol_ids) in &config.phoneme_id_map {
            let mut chars = symbol.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                ids.insert(c, symbol_ids.clone());
            }
        }
        for framing in [PAD, BOS, EOS] {
            if !ids.contains_key(&framing) {
                return Err(SpeechError::Runtime {
                    context: "reading the Piper voice config",
                    message: format!("phoneme_id_map has no {framing:?}"),
                });
            }
        }

        crate::onnx::init(dir.parent().unwrap_or(Path::new(".")))?;
        // One intra-op thread: on the 2-core machine, with the rest of
        // HERMES busy, it gave the first audio in 0.47 s against 0.78 s for
        // ONNX Runtime's default (a thread per core, spinning while it
        // waits) and 0.54 s for two threads without spinning
        // (docs/BENCHMARKS.md). Calls overlap, so a run should not expect
        // the whole machine.
        let session = Session::builder()
            .and_then(|b| b.with_optimization_level(GraphOptimizationLevel::Level3))
            .and_then(|b| b.with_intra_threads(1))
            .and_then(|b| b.commit_from_file(&model_path))
            .map_err(SpeechError::runtime("loading the Piper voice"))?;
        Ok(Piper {
            session: Mutex::new(session),
            config,
            ids,
            model_path,
        })
    }

    /// The rate of [`Piper::synthesize`]'s audio, in Hz (22 050 for joe).
    pub fn sample_rate(&self) -> u32 {
        self.config.audio.sample_rate
    }

    /// Speaks `sentence`: 16-bit PCM, mono, at [`Piper::sample_rate`].
    /// Empty when there is nothing to say. Meant for one sentence of
    /// [`sentences`]; longer text works (espeak-ng's sentences are
    /// synthesised one after another) but delays the first audio.
    pub fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, SpeechError> {
        let mut audio = Vec::new();
        for (i, phonemes) in self.phonemes(sentence)?.iter().enumerate() {
            if i > 0 {
                let silence = SENTENCE_SILENCE_SECONDS * self.sample_rate() as f32;
                audio.resize(audio.len() + silence as usize, 0);
            }
            let ids = self.phoneme_ids(phonemes);
            audio.extend(to_pcm(&self.infer(&ids)?));
        }
        Ok(audio)
    }

    /// The IPA Piper speaks for `text`, one string per sentence as
    /// espeak-ng divides it: [`speakable`], then espeak-ng clause by clause
    /// with each clause's punctuation after it, decomposed (NFD). Public
    /// for tests and for finding out why a word sounds wrong.
    pub fn phonemes(&self, text: &str) -> Result<Vec<String>, SpeechError> {
        let text = speakable(text);
        let mut sentences = Vec::new();
        let mut current = String::new();
        for clause in espeak::clauses(&self.config.espeak.voice, &text)? {
            current.push_str(&clause.phonemes);
            current.push_str(clause.terminator.suffix());
            if clause.terminator.ends_sentence() {
                sentences.push(std::mem::take(&mut current));
            }
        }
        sentences.push(current);
        Ok(sentences
            .into_iter()
            .map(|s| s.trim_end().nfd().collect::<String>())
            .filter(|s| !s.is_empty())
            .collect())
    }

    /// The model's input for one sentence of [`Piper::phonemes`], framed
    /// as piper-phonemize's `phonemes_to_ids` frames it: `^`, then every
    /// phoneme's ids each followed by `_`, then `$` — that is
    /// `^ _ p₁ _ p₂ _ … pₙ _ $`. A character the voice does not know is
    /// dropped (as Piper does).
    pub fn phoneme_ids(&self, phonemes: &str) -> Vec<i64> {
        let id = |c: char| self.ids[&c].iter().copied();
        let mut out: Vec<i64> = id(BOS).chain(id(PAD)).collect();
        for c in phonemes.chars() {
            if let Some(ids) = self.ids.get(&c) {
                out.extend(ids);
                out.extend(id(PAD));
            }
        }
        out.extend(id(EOS));
        out
    }

    /// Runs the model: ids in, float audio (about −1 to 1) out.
    fn infer(&self, ids: &[i64]) -> Result<Vec<f32>, SpeechError> {
        let err = || SpeechError::runtime("running the Piper voice");
        let n = ids.len();
        let inference = &self.config.inference;
        let input = Tensor::from_array(([1, n], ids.to_vec())).map_err(err())?;
        let lengths = Tensor::from_array(([1], vec![n as i64])).map_err(err())?;
        let scales = Tensor::from_array((
            [3],
            vec![
                inference.noise_scale,
                inference.length_scale,
                inference.noise_w,
            ],
        ))
        .map_err(err())?;
        // A poisoned lock only means another synthesis panicked; the
        // session holds no state between runs.
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session
            .run(ort::inputs![
                "input" => input,
                "input_lengths" => lengths,
                "scales" => scales,
            ])
            .map_err(err())?;
        let (_, audio) = outputs[0].try_extract_tensor::<f32>().map_err(err())?;
        Ok(audio.to_vec())
    }
}

/// Scales the sentence to [`PEAK`] (as Piper scales to its peak, never by
/// more than 100×, so near-silence stays quiet) and converts to 16-bit.
fn to_pcm(audio: &[f32]) -> Vec<i16> {
    let peak = audio.iter().fold(0.01f32, |m, s| m.max(s.abs()));
    let gain = PEAK / peak;
    audio
        .iter()
        .map(|s| (s * gain).round().clamp(-PEAK, PEAK) as i16)
        .collect()
}

/// The one `.onnx` file in `dir`.
fn find_model(dir: &Path) -> Result<PathBuf, SpeechError> {
    let missing = || SpeechError::Missing {
        path: dir.join("*.onnx"),
    };
    let mut models: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|_| missing())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    models.sort();
    match models.len() {
        0 => Err(missing()),
        1 => Ok(models.remove(0)),
        _ => Err(SpeechError::Runtime {
            context: "loading the Piper voice",
            message: format!("more than one .onnx file in {}", dir.display()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm_is_scaled_to_the_peak_and_never_clips() {
        let pcm = to_pcm(&[0.0, 0.25, -0.5, 0.1]);
        assert_eq!(pcm[2], -(PEAK.round() as i16));
        assert_eq!(pcm[1], (PEAK / 2.0).round() as i16);
        // Near-silence is not blown up to full scale.
        let quiet = to_pcm(&[0.0001, -0.0001]);
        assert!(quiet.iter().all(|s| s.abs() < 400));
    }
}
