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
//! # Layout
//!
//! - `error`: [`SpeechError`], the crate's one error type.
//! - `onnx` (feature `onnx`): loads ONNX Runtime from `models/onnxruntime`
//!   once per process; engines on ONNX call it before building a session.
//! - `vad` (feature `vad`): Silero voice activity detection, one call at a
//!   time or many calls' frames in one batched inference, behind a cheap
//!   energy gate.
//! - `piper` (feature `piper`): text to 16-bit speech, sentence by sentence,
//!   with espeak-ng (the system library) for phonemes.
//! - `whisper` (feature `whisper`): speech to text with Whisper tiny.en on
//!   CTranslate2 (built from source by cmake; the `ruy` backend, int8).

mod error;
pub use error::SpeechError;

#[cfg(feature = "onnx")]
pub mod onnx;
#[cfg(feature = "piper")]
pub mod piper;
#[cfg(feature = "vad")]
pub mod vad;
#[cfg(feature = "whisper")]
pub mod whisper;
