//! [`AreaIndex`]: which practice area a caller's words are *about*, by
//! meaning rather than by keyword.
//!
//! Each area is represented by a handful of things callers actually say
//! (`data/exemplars.json`), embedded once when the index is built. A
//! caller's sentence scores, per area, its best cosine against that
//! area's exemplars: nearest-exemplar rather than a mean vector, because
//! an area is a cluster of quite different situations (a crash, a fall
//! and a dog bite are all personal injury) and one close exemplar is the
//! evidence.
//!
//! Every area with exemplars is always in the index, whatever the firm
//! takes, so a matter the firm does not handle is recognised as such (and
//! referred) instead of being pulled toward the nearest area it does. A
//! firm's custom areas, which no exemplar file can know, are represented
//! by their display name and a few sentences built from it.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{EmbedError, Embedder};

/// The exemplar file, compiled in: it is data the code depends on, not
/// configuration.
const EXEMPLARS: &str = include_str!("../data/exemplars.json");

#[derive(Deserialize)]
struct ExemplarFile {
    areas: BTreeMap<String, Vec<String>>,
}

/// The exemplar sentences per area key, as shipped.
pub fn exemplars() -> BTreeMap<String, Vec<String>> {
    serde_json::from_str::<ExemplarFile>(EXEMPLARS)
        .expect("data/exemplars.json is checked by a test")
        .areas
}

/// Sentences standing in for a custom area, built from its display name.
fn custom_sentences(display_name: &str) -> Vec<String> {
    let name = display_name.trim();
    vec![
        name.to_string(),
        format!("I need help with {name}"),
        format!("I'm calling about a {name} matter"),
        format!("I have a question about {name}"),
    ]
}

/// Embeds `texts` in batches of similar length (padding is wasted work),
/// returning the vectors in the order of `texts`.
fn embed_all(embedder: &Embedder, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    let mut out = vec![Vec::new(); texts.len()];
    for chunk in order.chunks(32) {
        let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
        for (&i, v) in chunk.iter().zip(embedder.embed_batch(&batch)?) {
            out[i] = v;
        }
    }
    Ok(out)
}

#[derive(Clone)]
struct Area {
    key: String,
    sentences: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

/// Embedded exemplars per area. Build the shipped part once
/// ([`standard`](Self::standard), about a second of CPU) and derive each
/// firm's index from it ([`with_areas`](Self::with_areas), which embeds
/// only the firm's own names: tens of milliseconds).
#[derive(Clone)]
pub struct AreaIndex {
    areas: Vec<Area>,
}

impl AreaIndex {
    /// Every area of the shipped exemplar file (the seven standard areas
    /// and the ones HERMES refers elsewhere).
    pub fn standard(embedder: &Embedder) -> Result<AreaIndex, EmbedError> {
        let areas: Vec<(String, Vec<String>)> = exemplars().into_iter().collect();
        let texts: Vec<&str> = areas
            .iter()
            .flat_map(|(_, list)| list.iter().map(String::as_str))
            .collect();
        let mut vectors = embed_all(embedder, &texts)?.into_iter();
        let areas = areas
            .into_iter()
            .map(|(key, sentences)| Area {
                vectors: vectors.by_ref().take(sentences.len()).collect(),
                key,
                sentences,
            })
            .collect();
        Ok(AreaIndex { areas })
    }

    /// [`standard`](Self::standard) plus a firm's `areas` (key, display
    /// name): see [`with_areas`](Self::with_areas).
    pub fn new<K: AsRef<str>, N: AsRef<str>>(
        embedder: &Embedder,
        areas: &[(K, N)],
    ) -> Result<AreaIndex, EmbedError> {
        Self::standard(embedder)?.with_areas(embedder, areas)
    }

    /// This index plus a firm's `areas` (key, display name). An area
    /// without exemplars (a custom one) is represented by sentences built
    /// from its display name; for one that has exemplars, the firm's
    /// display name ("Divorce and custody" for `family`) is added as one
    /// more.
    pub fn with_areas<K: AsRef<str>, N: AsRef<str>>(
        &self,
        embedder: &Embedder,
        areas: &[(K, N)],
    ) -> Result<AreaIndex, EmbedError> {
        let mut index = self.clone();
        let mut pending: Vec<(usize, String)> = Vec::new();
        for (key, name) in areas {
            let (key, name) = (key.as_ref(), name.as_ref().trim());
            let at = match index.areas.iter().position(|a| a.key == key) {
                Some(at) => at,
                None => {
                    index.areas.push(Area {
                        key: key.to_string(),
                        sentences: Vec::new(),
                        vectors: Vec::new(),
                    });
                    index.areas.len() - 1
                }
            };
            let new_sentences =
                if index.areas[at].sentences.is_empty() && !pending.iter().any(|(i, _)| *i == at) {
                    let name = if name.is_empty() {
                        key.replace('_', " ")
                    } else {
                        name.to_string()
                    };
                    custom_sentences(&name)
                } else if name.is_empty() {
                    Vec::new()
                } else {
                    vec![name.to_string()]
                };
            for sentence in new_sentences {
                let known = index.areas[at].sentences.contains(&sentence)
                    || pending.iter().any(|(i, s)| *i == at && *s == sentence);
                if !known {
                    pending.push((at, sentence));
                }
            }
        }
        let texts: Vec<&str> = pending.iter().map(|(_, s)| s.as_str()).collect();
        for ((at, sentence), vector) in pending.iter().zip(embed_all(embedder, &texts)?) {
            index.areas[*at].sentences.push(sentence.clone());
            index.areas[*at].vectors.push(vector);
        }
        index.areas.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(index)
    }

    /// The area keys in the index.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.areas.iter().map(|a| a.key.as_str())
    }

    /// Best cosine per area for what the caller said, best first.
    pub fn scores(
        &self,
        embedder: &Embedder,
        text: &str,
    ) -> Result<Vec<(String, f32)>, EmbedError> {
        Ok(self.scores_for(&embedder.embed(text)?))
    }

    /// [`scores`](Self::scores) for an embedding already computed (embed
    /// a turn once, score it against any firm's index).
    pub fn scores_for(&self, vector: &[f32]) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = self
            .areas
            .iter()
            .map(|area| {
                // Unit vectors: the dot product is the cosine.
                let best = area
                    .vectors
                    .iter()
                    .map(|v| v.iter().zip(vector).map(|(a, b)| a * b).sum::<f32>())
                    .fold(f32::MIN, f32::max);
                (area.key.clone(), best)
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exemplar_file_parses_and_covers_the_standard_areas() {
        let ex = exemplars();
        for key in [
            "personal_injury",
            "family",
            "criminal_defense",
            "estate_planning",
            "immigration",
            "employment",
            "bankruptcy",
        ] {
            let n = ex.get(key).map_or(0, Vec::len);
            assert!((15..=25).contains(&n), "{key}: {n} exemplars");
        }
        for (key, list) in &ex {
            assert!(!list.is_empty(), "{key} has no exemplars");
            let mut seen = std::collections::HashSet::new();
            for s in list {
                assert!(seen.insert(s.to_lowercase()), "{key}: duplicate {s:?}");
            }
        }
    }

    #[test]
    fn custom_sentences_use_the_display_name() {
        let s = custom_sentences(" Veterans benefits ");
        assert_eq!(s[0], "Veterans benefits");
        assert!(s.iter().all(|x| x.contains("Veterans benefits")));
    }
}
