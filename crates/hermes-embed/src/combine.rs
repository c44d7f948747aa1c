//! [`combine`]: one ranked list of practice areas from the keyword scores
//! (`hermes_intake::practice::classify`) and the semantic ones
//! ([`AreaIndex::scores`](crate::AreaIndex::scores)).
//!
//! The rule: **keywords keep what they are sure of; the model gets the
//! rest.** With `k` the top keyword score and `t` how far keywords are
//! trusted — fully from [`CONFIDENT`] (the agent's own threshold for
//! proposing an area), `(k / CONFIDENT)²` below it — each area gets
//!
//! ```text
//! combined(a) = t · keyword(a) + (1 - t · k) · semantic(a)
//! ```
//!
//! where `semantic(a)` is a probability over the areas (a softmax of the
//! cosines, [`TEMPERATURE`]) scaled by how relevant the best cosine is at
//! all ([`relevance`]: small talk like "yes that's fine" is near no
//! exemplar, so it gets no area). Hence:
//!
//! - a naming keyword ("divorce", `k` ≈ 0.7–0.9) decides; the model can
//!   add at most the remaining 0.1–0.3 to another area: keywords are
//!   explainable and the model is not infallible;
//! - keywords silent (`k` = 0): the model alone decides, and its
//!   confidence is its own probability;
//! - keywords split ("fired and can't pay my debts": two areas near 0.45)
//!   or a lone weak cue ("house" alone hints real estate, 0.43): the
//!   model gets most of the weight and breaks the tie or overrules the
//!   hint. (Without the `t` damping, a stray 0.43 cue beat a model 70%
//!   sure of the right area; on the labelled set that was 92% against
//!   96% with it.)
//!
//! Every score stays in 0..1 (`keyword(a) ≤ k`, `semantic(a) ≤ 1`, so
//! `combined(a) ≤ t·k + 1 - t·k`), so the agent's threshold for proposing
//! an area means the same with or without the model.

/// The keyword score from which keywords are trusted in full; the same
/// value as `hermes_intake::practice::CONFIDENT` (this crate does not
/// depend on the intake crate).
pub const CONFIDENT: f32 = 0.6;

/// Softmax temperature over cosines. Cosines of on-topic sentences differ
/// by a few hundredths between the right area and the next; 0.05 turns a
/// lead of 0.1 into odds of e² ≈ 7:1.
pub const TEMPERATURE: f32 = 0.05;

/// Below this best cosine the words are about no area we know.
pub const RELEVANT_FROM: f32 = 0.30;

/// From this best cosine on the model's distribution counts in full.
pub const RELEVANT_AT: f32 = 0.50;

/// How much the semantic distribution counts, from the best cosine:
/// 0 below [`RELEVANT_FROM`], 1 from [`RELEVANT_AT`], linear between.
pub fn relevance(best_cosine: f32) -> f32 {
    ((best_cosine - RELEVANT_FROM) / (RELEVANT_AT - RELEVANT_FROM)).clamp(0.0, 1.0)
}

/// The semantic cosines as relevance-weighted probabilities.
fn semantic_probabilities(semantic: &[(String, f32)]) -> Vec<(&str, f32)> {
    let Some(best) = semantic.iter().map(|(_, c)| *c).reduce(f32::max) else {
        return Vec::new();
    };
    let weight = relevance(best);
    let exps: Vec<f32> = semantic
        .iter()
        .map(|(_, c)| ((c - best) / TEMPERATURE).exp())
        .collect();
    let total: f32 = exps.iter().sum();
    semantic
        .iter()
        .zip(exps)
        .map(|((k, _), e)| (k.as_str(), weight * e / total))
        .collect()
}

/// Blends keyword scores (0..1 each) and semantic cosines into one list,
/// best first, each a 0..1 confidence; areas that end at 0 are left out.
/// Ties are broken by key, so the result is deterministic.
pub fn combine(keyword: &[(String, f32)], semantic: &[(String, f32)]) -> Vec<(String, f32)> {
    let top_keyword = keyword
        .iter()
        .map(|(_, s)| s.clamp(0.0, 1.0))
        .fold(0.0, f32::max);
    let trust = (top_keyword / CONFIDENT).min(1.0).powi(2);
    let rest = 1.0 - trust * top_keyword;

    let mut scores: Vec<(String, f32)> = Vec::new();
    let mut add = |key: &str, value: f32| match scores.iter_mut().find(|(k, _)| k == key) {
        Some((_, s)) => *s += value,
        None => scores.push((key.to_string(), value)),
    };
    for (key, s) in keyword {
        add(key, trust * s.clamp(0.0, 1.0));
    }
    for (key, p) in semantic_probabilities(semantic) {
        add(key, rest * p);
    }
    scores.retain(|(_, s)| *s > 1e-3);
    for (_, s) in &mut scores {
        *s = s.clamp(0.0, 1.0);
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, f32)]) -> Vec<(String, f32)> {
        items.iter().map(|(k, s)| (k.to_string(), *s)).collect()
    }

    const SEMANTIC_FAMILY: &[(&str, f32)] = &[
        ("family", 0.72),
        ("estate_planning", 0.41),
        ("bankruptcy", 0.30),
        ("employment", 0.28),
    ];

    #[test]
    fn keywords_silent_the_model_decides_with_its_own_confidence() {
        let out = combine(&[], &list(SEMANTIC_FAMILY));
        assert_eq!(out[0].0, "family");
        assert!(out[0].1 > 0.9, "{out:?}");
        assert!(out[1].1 < 0.05, "{out:?}");
    }

    #[test]
    fn a_naming_keyword_wins_over_a_disagreeing_model() {
        // "divorce" named; the model (wrongly) leans to bankruptcy.
        let semantic = list(&[("bankruptcy", 0.70), ("family", 0.55)]);
        let out = combine(&list(&[("family", 0.7)]), &semantic);
        assert_eq!(out[0].0, "family", "{out:?}");
        assert!(out[0].1 >= 0.7);
        assert!(out[1].1 <= 0.3);
    }

    #[test]
    fn split_keywords_are_decided_by_the_model() {
        let keyword = list(&[("bankruptcy", 0.45), ("employment", 0.45)]);
        let semantic = list(&[("employment", 0.66), ("bankruptcy", 0.52)]);
        let out = combine(&keyword, &semantic);
        assert_eq!(out[0].0, "employment", "{out:?}");
        assert!(out[0].1 >= 0.6, "confident enough to propose: {out:?}");
        assert!(out[1].1 < 0.5);
    }

    #[test]
    fn a_weak_keyword_hint_gives_way_to_a_clear_model() {
        // "hospital" hints personal injury; the sentence is about a will.
        let keyword = list(&[("personal_injury", 0.3)]);
        let semantic = list(&[("estate_planning", 0.68), ("personal_injury", 0.40)]);
        let out = combine(&keyword, &semantic);
        assert_eq!(out[0].0, "estate_planning", "{out:?}");
    }

    #[test]
    fn a_stray_cue_does_not_beat_a_fairly_sure_model() {
        // "about to lose my house": "house" alone hints real estate (0.43);
        // the model is ~70% sure it is bankruptcy.
        let keyword = list(&[("real_estate", 0.43)]);
        let semantic = list(&[("bankruptcy", 0.62), ("real_estate", 0.58)]);
        let out = combine(&keyword, &semantic);
        assert_eq!(out[0].0, "bankruptcy", "{out:?}");
    }

    #[test]
    fn keywords_at_the_confident_threshold_are_trusted_in_full() {
        let out = combine(&list(&[("family", CONFIDENT)]), &[]);
        assert_eq!(out, list(&[("family", CONFIDENT)]));
        // Below it they are damped, not dropped.
        let out = combine(&list(&[("family", 0.3)]), &[]);
        assert!(out[0].1 > 0.0 && out[0].1 < 0.3, "{out:?}");
    }

    #[test]
    fn small_talk_gets_no_area() {
        let semantic = list(&[("family", 0.18), ("employment", 0.15)]);
        assert!(combine(&[], &semantic).is_empty());
        assert!(combine(&[], &[]).is_empty());
    }

    #[test]
    fn areas_only_keywords_know_are_kept() {
        let out = combine(&list(&[("tax", 0.8)]), &list(SEMANTIC_FAMILY));
        assert_eq!(out[0], ("tax".to_string(), 0.8));
        assert!(out[1].1 <= 0.2 + 1e-6, "{out:?}");
        assert_eq!(out[1].0, "family");
    }

    #[test]
    fn relevance_ramps_between_its_bounds() {
        assert_eq!(relevance(0.1), 0.0);
        assert_eq!(relevance(RELEVANT_FROM), 0.0);
        assert!((relevance((RELEVANT_FROM + RELEVANT_AT) / 2.0) - 0.5).abs() < 1e-6);
        assert_eq!(relevance(RELEVANT_AT), 1.0);
        assert_eq!(relevance(0.9), 1.0);
    }

    #[test]
    fn scores_stay_in_unit_range_sorted_and_deterministic() {
        // A small deterministic sweep over awkward inputs, out-of-range
        // ones included.
        let keys = ["family", "employment", "bankruptcy", "tax"];
        let mut seed = 0x2545_f491_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed % 1000) as f32 / 1000.0
        };
        for _ in 0..500 {
            let mut keyword = Vec::new();
            for k in keys {
                if next() < 0.5 {
                    keyword.push((k.to_string(), next() * 1.2 - 0.1));
                }
            }
            let semantic: Vec<(String, f32)> = keys[..3]
                .iter()
                .map(|k| (k.to_string(), next() * 1.4 - 0.4))
                .collect();
            let out = combine(&keyword, &semantic);
            assert!(out.iter().all(|(_, s)| (0.0..=1.0).contains(s)), "{out:?}");
            assert!(out.windows(2).all(|w| w[0].1 >= w[1].1), "{out:?}");
            assert_eq!(out, combine(&keyword, &semantic));
        }
    }
}
