//! hermes-embed computes what sentence-transformers computes.
//!
//! `tests/data/reference.json` holds, for four sentences, the first eight
//! dimensions, the sum of all 384 and the pairwise cosines of the
//! embeddings sentence-transformers produced for the same model files
//! (`tests/data/reference.py` says how). The fourth sentence is ~340
//! tokens with a different topic in each third, so truncating anywhere
//! but at 256 tokens (the shipped tokenizer.json says 128) changes it.

mod common;

use hermes_embed::cosine;
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    sentences: Vec<Sentence>,
    cosines: Vec<(usize, usize, f32)>,
}

#[derive(Deserialize)]
struct Sentence {
    text: String,
    first8: Vec<f32>,
    sum: f32,
}

const TOLERANCE: f32 = 1e-3;

fn reference() -> Reference {
    serde_json::from_str(include_str!("data/reference.json")).unwrap()
}

#[test]
fn embeddings_match_sentence_transformers() {
    let r = reference();
    let e = common::embedder();
    let vectors: Vec<Vec<f32>> = r
        .sentences
        .iter()
        .map(|s| e.embed(&s.text).unwrap())
        .collect();
    for (s, v) in r.sentences.iter().zip(&vectors) {
        assert_eq!(v.len(), hermes_embed::DIM);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "not unit length: {norm}");
        for (i, (got, want)) in v.iter().zip(&s.first8).enumerate() {
            assert!(
                (got - want).abs() < TOLERANCE,
                "{:?} dim {i}: got {got}, sentence-transformers {want}",
                s.text
            );
        }
        let sum: f32 = v.iter().sum();
        assert!(
            (sum - s.sum).abs() < TOLERANCE,
            "{:?}: sum of dims {sum}, sentence-transformers {}",
            s.text,
            s.sum
        );
    }
    for (i, j, want) in r.cosines {
        let got = cosine(&vectors[i], &vectors[j]);
        assert!(
            (got - want).abs() < TOLERANCE,
            "cosine({i}, {j}) = {got}, sentence-transformers {want}"
        );
    }
}

#[test]
fn a_batch_embeds_each_sentence_as_it_would_alone() {
    // Different lengths, so the short ones are padded in the batch.
    let r = reference();
    let e = common::embedder();
    let texts: Vec<&str> = r.sentences.iter().map(|s| s.text.as_str()).collect();
    let batch = e.embed_batch(&texts).unwrap();
    assert_eq!(batch.len(), texts.len());
    for (text, b) in texts.iter().zip(&batch) {
        let alone = e.embed(text).unwrap();
        let diff = alone
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(diff < 1e-4, "{text:?}: batch differs by {diff}");
    }
    assert!(e.embed_batch(&[]).unwrap().is_empty());
}

#[test]
fn empty_and_odd_input_still_embed() {
    let e = common::embedder();
    for text in ["", "   ", "¿Habla español? 😊", "uh\n\nhello?"] {
        let v = e.embed(text).unwrap();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{text:?}: norm {norm}");
    }
}
