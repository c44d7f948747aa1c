//! Decisions that matter, taken by vote, with a trace of why.
//!
//! The original design's "Tree of Thought and Monte Carlo", made useful:
//! for a decision that matters (which practice area, who the other side
//! is, how urgent), the agent gathers several independent readings — the
//! local extractors, the sentence-embedding model, LLM samples taken at a
//! temperature above zero — and [`vote`]s. The share of the cast votes
//! that agree is the confidence; below [`THRESHOLD`] the dialogue asks a
//! clarifying question or flags the field for a person. For the next step
//! in an ambiguous state, [`plan`] scores each candidate step (policy
//! first: a step the policy forbids is never a candidate) and picks the
//! best.
//!
//! Every decision becomes a [`Trace`] stored on the intake: its inputs
//! (the readings), the candidates with their votes and scores, and the
//! choice. Ties are broken by a seeded hash, never by iteration order or
//! chance, so [`replay`] of a stored trace gives the same choice: staff can
//! see why the agent believed what it did, and a test can reproduce it.
//!
//! Readings are data: whoever runs the engine gathers them (with deadlines,
//! falling back to none) and passes them in with the caller's words, so
//! this module, like the rest of the crate, does no I/O.

use serde::{Deserialize, Serialize};

/// Below this share of agreeing votes, a reading is not good enough to act
/// on alone.
pub const THRESHOLD: f32 = 0.6;

/// One independent opinion on a decision. `value: None` is an abstention
/// ("I can't tell"); abstentions do not dilute the votes that were cast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Who read it: `keywords`, `embedding`, `llm#0`, …
    pub source: String,
    pub value: Option<String>,
    #[serde(default = "one")]
    pub weight: f32,
}

fn one() -> f32 {
    1.0
}

impl Reading {
    pub fn new(source: impl Into<String>, value: Option<String>) -> Self {
        Reading {
            source: source.into(),
            value,
            weight: 1.0,
        }
    }
}

/// What the decision was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    PracticeArea,
    AdverseParty,
    Urgency,
    /// Which step to take next when the state is ambiguous.
    NextStep,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub value: String,
    /// Weight of the readings that chose it (votes) or the evaluator's
    /// score (plans).
    pub score: f32,
    /// Why it scored what it did, for plans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A decision as it was taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub decision: Decision,
    /// Index in the transcript of the caller turn it was about.
    pub turn: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<Reading>,
    /// Best first.
    pub candidates: Vec<Candidate>,
    pub choice: Option<String>,
    /// Share of cast votes for the choice (votes); the choice's score
    /// (plans).
    pub confidence: f32,
    pub threshold: f32,
    pub seed: u64,
}

impl Trace {
    /// The choice, if confident enough to act on alone.
    pub fn confident(&self) -> Option<&str> {
        self.choice
            .as_deref()
            .filter(|_| self.confidence >= self.threshold)
    }

    /// The candidate's score, 0 when it is not one.
    pub fn score_of(&self, value: &str) -> f32 {
        self.candidates
            .iter()
            .find(|c| c.value == value)
            .map_or(0.0, |c| c.score)
    }
}

/// Tallies `readings`: values are grouped case- and space-insensitively
/// (the first spelling seen is kept), ties broken by `seed`.
pub fn vote(
    decision: Decision,
    turn: usize,
    readings: Vec<Reading>,
    threshold: f32,
    seed: u64,
) -> Trace {
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut cast = 0.0;
    for r in &readings {
        let Some(v) = r.value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        let w = r.weight.max(0.0);
        cast += w;
        match candidates.iter_mut().find(|c| same(&c.value, v)) {
            Some(c) => c.score += w,
            None => candidates.push(Candidate {
                value: v.to_owned(),
                score: w,
                why: None,
            }),
        }
    }
    rank(&mut candidates, seed);
    let choice = candidates.first().map(|c| c.value.clone());
    let confidence = match candidates.first() {
        Some(c) if cast > 0.0 => c.score / cast,
        _ => 0.0,
    };
    Trace {
        decision,
        turn,
        readings,
        candidates,
        choice,
        confidence,
        threshold,
        seed,
    }
}

/// Picks the best of `candidates` (value, score, why) for the next step.
/// The caller lists only steps the policy allows.
pub fn plan(turn: usize, candidates: Vec<(String, f32, String)>, seed: u64) -> Trace {
    let mut candidates: Vec<Candidate> = candidates
        .into_iter()
        .map(|(value, score, why)| Candidate {
            value,
            score,
            why: Some(why),
        })
        .collect();
    rank(&mut candidates, seed);
    let choice = candidates.first().map(|c| c.value.clone());
    let confidence = candidates.first().map_or(0.0, |c| c.score);
    Trace {
        decision: Decision::NextStep,
        turn,
        readings: Vec::new(),
        candidates,
        choice,
        confidence,
        threshold: 0.0,
        seed,
    }
}

/// Takes the decision again from the trace's own inputs.
pub fn replay(t: &Trace) -> Trace {
    match t.decision {
        Decision::NextStep => plan(
            t.turn,
            t.candidates
                .iter()
                .map(|c| (c.value.clone(), c.score, c.why.clone().unwrap_or_default()))
                .collect(),
            t.seed,
        ),
        d => vote(d, t.turn, t.readings.clone(), t.threshold, t.seed),
    }
}

fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    norm(a) == norm(b)
}

/// Best score first; equal scores ordered by a hash of the seed and the
/// value, so the order never depends on the order readings arrived in.
fn rank(candidates: &mut [Candidate], seed: u64) {
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| tiebreak(seed, &a.value).cmp(&tiebreak(seed, &b.value)))
            .then_with(|| a.value.cmp(&b.value))
    });
}

/// SplitMix64 over the seed and an FNV-1a hash of the value: stable across
/// builds and platforms (unlike `std`'s hasher), which is what makes a
/// stored trace reproducible. Not cryptographic, and need not be.
fn tiebreak(seed: u64, value: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in value.to_lowercase().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = seed ^ h;
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(source: &str, v: Option<&str>) -> Reading {
        Reading::new(source, v.map(str::to_owned))
    }

    #[test]
    fn the_agreement_ratio_of_cast_votes_is_the_confidence() {
        let t = vote(
            Decision::PracticeArea,
            3,
            vec![
                r("keywords", Some("family")),
                r("llm#0", Some("family")),
                r("llm#1", Some("Family ")),
                r("llm#2", Some("bankruptcy")),
                r("embedding", None),
            ],
            THRESHOLD,
            7,
        );
        assert_eq!(t.choice.as_deref(), Some("family"));
        assert!((t.confidence - 0.75).abs() < 1e-6, "{t:?}");
        assert_eq!(t.confident(), Some("family"));
        assert_eq!(t.candidates.len(), 2);
        assert_eq!(t.score_of("bankruptcy"), 1.0);
    }

    #[test]
    fn a_split_vote_is_not_confident() {
        let t = vote(
            Decision::AdverseParty,
            1,
            vec![
                r("local", Some("John Miller")),
                r("llm#0", Some("Jon Millar")),
            ],
            THRESHOLD,
            1,
        );
        assert!((t.confidence - 0.5).abs() < 1e-6);
        assert_eq!(t.confident(), None);
        assert!(t.choice.is_some());
    }

    #[test]
    fn no_votes_no_choice() {
        let t = vote(Decision::Urgency, 0, vec![r("a", None)], THRESHOLD, 0);
        assert_eq!(t.choice, None);
        assert_eq!(t.confidence, 0.0);
        let t = vote(Decision::Urgency, 0, vec![], THRESHOLD, 0);
        assert_eq!(t.choice, None);
    }

    #[test]
    fn weights_count() {
        let mut strong = r("keywords", Some("criminal_defense"));
        strong.weight = 2.0;
        let t = vote(
            Decision::PracticeArea,
            0,
            vec![strong, r("llm#0", Some("family"))],
            THRESHOLD,
            0,
        );
        assert_eq!(t.choice.as_deref(), Some("criminal_defense"));
        assert!((t.confidence - 2.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn ties_depend_on_the_seed_not_on_the_order_readings_arrived_in() {
        let a = vec![r("x", Some("family")), r("y", Some("employment"))];
        let b = vec![r("y", Some("employment")), r("x", Some("family"))];
        let mut winners = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let ta = vote(Decision::PracticeArea, 0, a.clone(), THRESHOLD, seed);
            let tb = vote(Decision::PracticeArea, 0, b.clone(), THRESHOLD, seed);
            assert_eq!(ta.choice, tb.choice, "seed {seed}");
            winners.insert(ta.choice.unwrap());
        }
        // Across seeds both sides of a tie win sometimes: no hidden bias.
        assert_eq!(winners.len(), 2);
    }

    #[test]
    fn a_stored_trace_replays_to_the_same_choice() {
        let t = vote(
            Decision::PracticeArea,
            5,
            vec![
                r("keywords", Some("immigration")),
                r("llm#0", Some("employment")),
                r("llm#1", Some("immigration")),
                r("llm#2", Some("employment")),
            ],
            THRESHOLD,
            42,
        );
        let json = serde_json::to_string(&t).unwrap();
        let back: Trace = serde_json::from_str(&json).unwrap();
        assert_eq!(replay(&back), t);

        let p = plan(
            5,
            vec![
                ("confirm:family".into(), 0.7, "top reading".into()),
                ("ask_again".into(), 0.6, "baseline".into()),
                ("choose:family|employment".into(), 0.7, "close race".into()),
            ],
            9,
        );
        let back: Trace = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(replay(&back), p);
        assert!((p.confidence - 0.7).abs() < 1e-6);
    }

    #[test]
    fn plans_pick_the_best_scored_step() {
        let p = plan(
            0,
            vec![
                ("ask_again".into(), THRESHOLD, "baseline".into()),
                ("confirm:family".into(), 1.0, "all readings agree".into()),
            ],
            3,
        );
        assert_eq!(p.choice.as_deref(), Some("confirm:family"));
        assert_eq!(p.candidates[1].value, "ask_again");
    }
}
