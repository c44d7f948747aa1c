//! Finding and loading the model for tests and the benchmark.
//!
//! The model is not in git: `scripts/models.sh` fetches it (the test
//! command runs it first). A missing model fails the test with that
//! instruction rather than skipping: a skipped correctness test proves
//! nothing.

#![allow(dead_code)] // each test binary uses part of this

use std::path::PathBuf;
use std::sync::OnceLock;

use hermes_embed::{AreaIndex, Embedder};

/// `HERMES_MODELS_DIR` if set, else `<workspace root>/models`, joined
/// with the model's folder name.
pub fn model_dir() -> PathBuf {
    let root = match std::env::var_os("HERMES_MODELS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"),
    };
    root.join("all-minilm-l6-v2")
}

/// The model, loaded once per test binary.
pub fn embedder() -> &'static Embedder {
    static E: OnceLock<Embedder> = OnceLock::new();
    E.get_or_init(|| {
        let dir = model_dir();
        Embedder::load(&dir).unwrap_or_else(|e| {
            panic!(
                "the embedding model is not usable at {}: {e}\n\
                 Run scripts/models.sh first (scripts/test.sh does), or set \
                 HERMES_MODELS_DIR to the folder holding all-minilm-l6-v2/.",
                dir.display()
            )
        })
    })
}

/// The seven standard areas with the display names `hermes-firm` uses.
pub const STANDARD: [(&str, &str); 7] = [
    ("personal_injury", "Personal injury"),
    ("family", "Family law"),
    ("criminal_defense", "Criminal defense"),
    ("estate_planning", "Estate planning"),
    ("immigration", "Immigration"),
    ("employment", "Employment"),
    ("bankruptcy", "Bankruptcy"),
];

/// An index of the standard areas (plus the shipped referral areas),
/// built once per test binary.
pub fn standard_index() -> &'static AreaIndex {
    static I: OnceLock<AreaIndex> = OnceLock::new();
    I.get_or_init(|| AreaIndex::new(embedder(), &STANDARD).expect("index builds"))
}

/// The keyword classifier's scores in the shape `combine` takes.
pub fn keyword_scores(text: &str) -> Vec<(String, f32)> {
    hermes_intake::practice::classify(text)
        .into_iter()
        .map(|a| (a.key.to_string(), a.score))
        .collect()
}
