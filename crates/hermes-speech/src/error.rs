//! The one error type of this crate's engines.
//!
//! Why so few variants: a caller can do three different things. A model
//! that will not load is a deployment fault (run `scripts/models.sh`); bad
//! input is the caller's bug; an inference failure is logged and the turn
//! goes on without a transcript.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// The model folder is missing, incomplete or unreadable.
    #[error("cannot load the model in {}: {reason} (run scripts/models.sh)", dir.display())]
    Model { dir: PathBuf, reason: String },
    /// The audio handed in cannot be used (e.g. NaN samples).
    #[error("invalid audio: {0}")]
    Input(String),
    /// The native engine failed while running.
    #[error("inference failed: {0}")]
    Inference(String),
}
