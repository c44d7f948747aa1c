//! Which practice area a matter belongs to, from the caller's own words.
//!
//! Why keywords first: they are instant, explainable (each score carries
//! the phrases that produced it, for the reasoning trace) and good enough
//! to *propose* an area that the agent then confirms with the caller. An
//! embedding model will be blended in later; this stays as the fallback.
//!
//! Scoring: each area sums the weights of the distinct cues that matched
//! and were not negated ("I wasn't hurt") — its *evidence* `e`. Strength
//! is `1 - exp(-1.2 e)` (one naming cue ≈ 0.7, two ≈ 0.9), scaled by the
//! area's share of all evidence, `0.5 + 0.5 · e / Σe`, so two areas with
//! equal evidence ("I was fired and now I can't pay my debts") both come
//! back, each near 0.5: below [`CONFIDENT`], the agent asks which matters
//! most. Areas the firm rarely takes ("landlord_tenant", "tax", …) are
//! scored the same way so the agent can decline with a referral.

mod lexicon;
mod referral;

#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::guardrail::text::{self, word_regex};

pub use referral::{referral_suggestion, state_bar};

/// The seven standard areas (the keys `hermes-firm` uses).
pub const STANDARD_AREAS: [&str; 7] = [
    "personal_injury",
    "family",
    "criminal_defense",
    "estate_planning",
    "immigration",
    "employment",
    "bankruptcy",
];

/// A top score at or above this, with no close second, can be proposed
/// as "It sounds like this is about …, is that right?"; below it the agent
/// asks an open question.
pub const CONFIDENT: f32 = 0.6;

/// One candidate area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaScore {
    /// An area key from this module's lexicon; deserialising an unknown
    /// key fails rather than leaking a string.
    pub key: &'static str,
    /// 0..1; see the module docs.
    pub score: f32,
    /// The phrases that matched, as normalised text.
    pub cues: Vec<String>,
}

impl<'de> Deserialize<'de> for AreaScore {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Owned {
            key: String,
            score: f32,
            cues: Vec<String>,
        }
        let o = Owned::deserialize(d)?;
        let key = known_keys().find(|k| *k == o.key).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown practice area key {:?}", o.key))
        })?;
        Ok(AreaScore {
            key,
            score: o.score,
            cues: o.cues,
        })
    }
}

/// Every key [`classify`] can return: the standard areas, then the others.
pub fn known_keys() -> impl Iterator<Item = &'static str> {
    lexicon::AREAS.iter().map(|a| a.key)
}

struct CompiledArea {
    key: &'static str,
    cues: Vec<(f32, Regex)>,
    mask: Option<Regex>,
}

static AREAS: LazyLock<Vec<CompiledArea>> = LazyLock::new(|| {
    lexicon::AREAS
        .iter()
        .map(|a| CompiledArea {
            key: a.key,
            cues: a.cues.iter().map(|(w, p)| (*w, word_regex(p))).collect(),
            mask: a.mask.map(word_regex),
        })
        .collect()
});

/// Candidate areas for what the caller said, best first; empty when
/// nothing matched (the agent asks what the matter is about).
pub fn classify(caller_text: &str) -> Vec<AreaScore> {
    let clauses = text::clauses(caller_text);
    let mut found: Vec<(&'static str, f32, Vec<String>)> = Vec::new();
    for area in AREAS.iter() {
        let mut evidence = 0.0;
        let mut cues = Vec::new();
        for clause in &clauses {
            let masked;
            let clause = match &area.mask {
                Some(mask) => {
                    masked = mask.replace_all(clause, |c: &regex::Captures| {
                        c[0].split(' ').map(|_| "x").collect::<Vec<_>>().join(" ")
                    });
                    masked.as_ref()
                }
                None => clause.as_str(),
            };
            // Cues are listed strongest first; a weaker cue inside a span
            // already counted ("debts" in "can not pay my debts") adds nothing.
            let mut spans: Vec<(usize, usize)> = Vec::new();
            for (weight, re) in &area.cues {
                for m in re.find_iter(clause) {
                    let cue = m.as_str().to_string();
                    let overlaps = spans.iter().any(|&(s, e)| m.start() < e && s < m.end());
                    if overlaps || cues.contains(&cue) || text::negated_before(clause, m.start()) {
                        continue;
                    }
                    spans.push((m.start(), m.end()));
                    evidence += weight;
                    cues.push(cue);
                }
            }
        }
        if evidence > 0.0 {
            found.push((area.key, evidence, cues));
        }
    }
    let total: f32 = found.iter().map(|(_, e, _)| e).sum();
    let mut scores: Vec<AreaScore> = found
        .into_iter()
        .map(|(key, e, cues)| {
            let strength = 1.0 - (-1.2 * e).exp();
            let share = e / total;
            AreaScore {
                key,
                score: (strength * (0.5 + 0.5 * share)).clamp(0.0, 1.0),
                cues,
            }
        })
        .collect();
    scores.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(is_standard(b.key).cmp(&is_standard(a.key)))
            .then(a.key.cmp(b.key))
    });
    scores
}

/// Whether `key` is one of the seven standard areas.
pub fn is_standard(key: &str) -> bool {
    STANDARD_AREAS.contains(&key)
}

/// How the agent names a matter in an area: "a family law matter".
pub fn matter_phrase(key: &str) -> String {
    let article_and_name = match key {
        "personal_injury" => "a personal injury".to_string(),
        "family" => "a family law".to_string(),
        "criminal_defense" => "a criminal defense".to_string(),
        "estate_planning" => "an estate planning".to_string(),
        "immigration" => "an immigration".to_string(),
        "employment" => "an employment".to_string(),
        "bankruptcy" => "a bankruptcy".to_string(),
        "landlord_tenant" => "a landlord and tenant".to_string(),
        "real_estate" => "a real estate".to_string(),
        "tax" => "a tax".to_string(),
        "intellectual_property" => "an intellectual property".to_string(),
        "business" => "a business".to_string(),
        "workers_compensation" => "a workers' compensation".to_string(),
        "social_security_disability" => "a Social Security disability".to_string(),
        "consumer" => "a consumer protection".to_string(),
        other => {
            let name = other.replace('_', " ");
            let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {name}")
        }
    };
    format!("{article_and_name} matter")
}
