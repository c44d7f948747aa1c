//! The one error type of the crate.
//!
//! Small on purpose: a caller can do three different things — fetch the
//! models (a file is missing), fix its own code (a frame of the wrong
//! length), or log and carry on without the engine (the runtime failed).
//! Anything finer would be a variant nobody matches on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// A model or native library is not where `scripts/models.sh` puts it.
    #[error("{} is missing: run scripts/models.sh (or set HERMES_MODELS_DIR to its models folder)", path.display())]
    Missing { path: PathBuf },

    /// The caller passed audio the engine cannot take.
    #[error("bad input: {0}")]
    Input(String),

    /// A model folder is incomplete or unreadable.
    #[error("cannot load the model in {}: {reason} (run scripts/models.sh)", dir.display())]
    Model { dir: PathBuf, reason: String },

    /// A native engine failed while running.
    #[error("inference failed: {0}")]
    Inference(String),

    /// The inference runtime failed (loading a model, running it).
    #[error("{context}: {message}")]
    Runtime {
        context: &'static str,
        message: String,
    },
}

impl SpeechError {
    #[cfg(feature = "onnx")]
    pub(crate) fn runtime(context: &'static str) -> impl FnOnce(ort::Error) -> SpeechError {
        move |e| SpeechError::Runtime {
            context,
            message: e.to_string(),
        }
    }
}
