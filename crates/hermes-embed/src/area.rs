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

/// Embedded exemplars per area; build once per firm (or once for the
/// standard areas) and reuse for every turn.
pub struct AreaIndex {
    areas: Vec<(String, Vec<Vec<f32>>)>,
}

impl AreaIndex {
    /// Embeds the shipped exemplars and, for each of the firm's `areas`
    /// (key, display name) that has none, sentences built from its display
    /// name. A firm's display name for an area that does have exemplars
    /// ("Divorce and custody" for `family`) is added as one more.
    ///
    /// Costs one forward pass per ~32 sentences (about 150 sentences for
    /// the shipped file): tens of milliseconds to a second.
    pub fn new<K: AsRef<str>, N: AsRef<str>>(
        embedder: &Embedder,
        areas: &[(K, N)],
    ) -> Result<AreaIndex, EmbedError> {
        let mut sentences = exemplars();
        for (key, name) in areas {
            let (key, name) = (key.as_ref(), name.as_ref());
            match sentences.get_mut(key) {
                Some(list) => {
                    if !name.trim().is_empty() && !list.iter().any(|s| s == name) {
                        list.push(name.trim().to_string());
                    }
                }
                None => {
                    let name = if name.trim().is_empty() {
                        key.replace('_', " ")
                    } else {
                        name.to_string()
                    };
                    sentences.insert(key.to_string(), custom_sentences(&name));
                }
            }
        }
        let mut index = Vec::with_capacity(sentences.len());
        for (key, list) in sentences {
            let mut vectors = Vec::with_capacity(list.len());
            // Batches of similar length keep padding (wasted work) small.
            for chunk in list.chunks(32) {
                let texts: Vec<&str> = chunk.iter().map(String::as_str).collect();
                vectors.extend(embedder.embed_batch(&texts)?);
            }
            index.push((key, vectors));
        }
        Ok(AreaIndex { areas: index })
    }

    /// The area keys in the index.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.areas.iter().map(|(k, _)| k.as_str())
    }

    /// Best cosine per area for what the caller said, best first.
    pub fn scores(
        &self,
        embedder: &Embedder,
        text: &str,
    ) -> Result<Vec<(String, f32)>, EmbedError> {
        Ok(self.scores_for(&embedder.embed(text)?))
    }

    /// [`scores`](Self::scores) for an embedding already computed (one
    /// embedding can serve several firms' indexes).
    pub fn scores_for(&self, vector: &[f32]) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = self
            .areas
            .iter()
            .map(|(key, vectors)| {
                // Unit vectors: the dot product is the cosine.
                let best = vectors
                    .iter()
                    .map(|v| v.iter().zip(vector).map(|(a, b)| a * b).sum::<f32>())
                    .fold(f32::MIN, f32::max);
                (key.clone(), best)
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
