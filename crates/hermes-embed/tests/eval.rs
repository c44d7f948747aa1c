//! Does the model help? Accuracy of the keyword classifier alone against
//! the blend, on 130 labelled caller utterances that are not exemplars
//! (`tests/data/labelled.json`: 100 the blend was tuned on, 30 held out).
//! `cargo test -p hermes-embed --test eval -- --nocapture` prints the
//! numbers and every sentence either method gets wrong.

mod common;

use hermes_embed::combine;
use serde::Deserialize;

/// The blend must get at least this share right (top area = label) on
/// the tuning set, and on both sets together.
const MIN_ACCURACY: f64 = 0.90;

/// The floor on the held-out set alone (80% when it was written, 83% once
/// the lexicon stopped reading "the store" and "a restaurant" as business
/// matters). Lower because most of its misses are *confident* keyword
/// mistakes, which the blend trusts by design; those belong to the lexicon
/// in hermes-intake; the model alone gets 26 of these 30 right.
const MIN_HELD_OUT_ACCURACY: f64 = 0.75;

#[derive(Deserialize)]
struct Labelled {
    utterances: Vec<(String, String)>,
    holdout: Vec<(String, String)>,
}

struct Outcome {
    n: usize,
    keyword_right: usize,
    blend_right: usize,
    keyword_silent: usize,
}

fn evaluate(name: &str, set: &[(String, String)]) -> Outcome {
    let (e, index) = (common::embedder(), common::standard_index());
    let mut o = Outcome {
        n: set.len(),
        keyword_right: 0,
        blend_right: 0,
        keyword_silent: 0,
    };
    let mut lines = Vec::new();
    for (text, label) in set {
        let keyword = common::keyword_scores(text);
        let semantic = index.scores(e, text).unwrap();
        let blended = combine(&keyword, &semantic);
        let kw_top = keyword.first().map(|(k, _)| k.as_str());
        let blend_top = blended.first().map(|(k, _)| k.as_str());
        o.keyword_silent += usize::from(kw_top.is_none());
        o.keyword_right += usize::from(kw_top == Some(label));
        o.blend_right += usize::from(blend_top == Some(label));
        if blend_top != Some(label) || kw_top != Some(label) {
            let mark = if blend_top == Some(label) {
                "  "
            } else {
                "✗ "
            };
            let show = |s: Option<&(String, f32)>| match s {
                Some((k, v)) => format!("{k} {v:.2}"),
                None => "-".into(),
            };
            lines.push(format!(
                "  {mark}{label:<17} keywords: {:<24} blend: {:<24} {text:?}",
                show(keyword.first()),
                show(blended.first()),
            ));
        }
    }
    let pct = |k: usize| 100.0 * k as f64 / o.n as f64;
    println!(
        "{name}: {} utterances, {} with no keyword at all\n  \
         keywords alone: {} right ({:.1}%)\n  \
         keywords + all-MiniLM-L6-v2: {} right ({:.1}%)\n\
         where either is wrong (✗: the blend):\n{}\n",
        o.n,
        o.keyword_silent,
        o.keyword_right,
        pct(o.keyword_right),
        o.blend_right,
        pct(o.blend_right),
        lines.join("\n")
    );
    o
}

#[test]
fn the_blend_beats_keywords_alone_and_clears_the_bar() {
    let data: Labelled = serde_json::from_str(include_str!("data/labelled.json")).unwrap();
    assert!(
        data.utterances.len() >= 100 && data.holdout.len() >= 30,
        "the sets shrank"
    );
    let (mut right, mut n) = (0, 0);
    for (name, set, floor) in [
        ("tuning set", &data.utterances, MIN_ACCURACY),
        ("held-out set", &data.holdout, MIN_HELD_OUT_ACCURACY),
    ] {
        let o = evaluate(name, set);
        assert!(
            o.blend_right >= o.keyword_right,
            "{name}: the blend is worse than keywords"
        );
        let acc = o.blend_right as f64 / o.n as f64;
        assert!(
            acc >= floor,
            "{name}: blend accuracy {:.1}% < {:.0}%",
            100.0 * acc,
            100.0 * floor
        );
        right += o.blend_right;
        n += o.n;
    }
    let acc = right as f64 / n as f64;
    println!("both sets: blend {right}/{n} ({:.1}%)", 100.0 * acc);
    assert!(
        acc >= MIN_ACCURACY,
        "overall blend accuracy {:.1}%",
        100.0 * acc
    );
}

#[test]
fn the_blend_uses_the_agents_confidence_threshold() {
    assert_eq!(
        hermes_embed::combine::CONFIDENT,
        hermes_intake::practice::CONFIDENT
    );
}
