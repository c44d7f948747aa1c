//! Local speech engines: voice activity detection (Silero, ONNX), speech
//! to text (Whisper tiny.en, CTranslate2) and text to speech (Piper,
//! ONNX, phonemes from espeak-ng).
//!
//! Why a crate of its own: these are the only parts of HERMES that load
//! native libraries and model files. Everything here is synchronous and
//! CPU-bound; callers run it on blocking threads. Models come from
//! `scripts/models.sh` (PyPI wheels, sha256-pinned), never from the network
//! at run time.
//!
//! Layout: `error` (the crate's `SpeechError`); `whisper` (feature
//! `whisper`: speech to text on CTranslate2, built from source by cmake).

mod error;

pub use error::SpeechError;

#[cfg(feature = "whisper")]
pub mod whisper;
