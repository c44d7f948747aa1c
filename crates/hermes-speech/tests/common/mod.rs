//! Finding and loading the VAD model for tests and the benchmark.
//!
//! Neither the model nor ONNX Runtime is in git: `scripts/models.sh`
//! fetches both. A missing file fails the test with that instruction
//! rather than skipping it: a skipped correctness test proves nothing.

#![allow(dead_code)] // each target uses part of this

use std::path::PathBuf;
use std::sync::OnceLock;

use hermes_speech::vad::SileroVad;

/// `HERMES_MODELS_DIR` if set, else `<workspace root>/models`.
pub fn models_dir() -> PathBuf {
    match std::env::var_os("HERMES_MODELS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"),
    }
}

/// The model, loaded once per test binary.
pub fn vad() -> &'static SileroVad {
    static VAD: OnceLock<SileroVad> = OnceLock::new();
    VAD.get_or_init(|| {
        let dir = models_dir();
        SileroVad::load(&dir).unwrap_or_else(|e| {
            panic!(
                "Silero VAD is not usable from {}: {e}\n\
                 Run scripts/models.sh first, or set HERMES_MODELS_DIR to the \
                 folder holding onnxruntime/ and silero-vad/.",
                dir.display()
            )
        })
    })
}
