//! What the agent must never say, and when the caller is asking for it.
//!
//! Why deterministic: an automated receptionist that gives legal advice,
//! predicts an outcome, quotes a fee, claims to be the caller's lawyer or
//! computes a deadline exposes the firm to malpractice and unauthorised
//! practice claims. An LLM may phrase replies, but every utterance passes
//! [`check_utterance`] before it is spoken, and the rules here are plain
//! patterns a reviewer can read and a test can pin.
//!
//! How: text is normalised into clauses ([`text`]); each [`rules`] pattern
//! names an advice *shape* ("you should … sue", "you will … win"), not a
//! legal word. A match is excused — per rule — when the clause is a
//! question to the caller ("did you file a lawsuit?"), when it is deferred
//! to an attorney ("an attorney can discuss whether you should sue"), or,
//! for relationship and fee rules, when negated ("no attorney-client
//! relationship exists unless…"). Excuses only look back to the last
//! "but"/"so"/"and", so "I can't give legal advice, but you should sue"
//! is blocked. When in doubt the rules block: a blocked line costs one
//! safe refusal, an allowed one may cost a malpractice claim.
//!
//! The input side, [`is_advice_request`], lets the dialogue answer a legal
//! question with [`REFUSAL`] and an offer to book, without the question
//! ever reaching an LLM as something to answer.

mod request;
mod rules;
pub(crate) mod text;

#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

pub use request::{asks_if_lawyer_needed, is_advice_request};

use rules::Excuse;

/// The standard refusal, said whenever the caller asks for legal advice.
pub const REFUSAL: &str =
    "I can't give legal advice, but an attorney can discuss that with you at the consultation.";

/// The offer that follows every refusal.
pub const BOOKING_OFFER: &str =
    "Would you like me to help you schedule a consultation with one of our attorneys?";

/// Said instead of an utterance that claimed a lawyer-client relationship.
pub const NOT_A_LAWYER: &str = "I'm an automated assistant, not a lawyer, and no attorney-client relationship exists unless the firm agrees to it in writing.";

/// The guardrail's decision on one agent utterance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Block {
        reason: BlockReason,
        /// What to say instead: a refusal and an offer to book.
        safe_reply: String,
    },
}

/// Why an utterance was blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    /// A directive or conclusion about the caller's legal position.
    LegalAdvice,
    /// A prediction of how the matter will turn out or what it is worth.
    OutcomePrediction,
    /// A guarantee, or a quote of representation fees or terms.
    FeeOrGuarantee,
    /// A claim that the agent is a lawyer or that the firm represents the
    /// caller, or that the conversation is privileged.
    AttorneyClientClaim,
    /// A statement of a limitation period or response deadline.
    DeadlineAdvice,
}

impl BlockReason {
    /// The reply said in place of a blocked utterance.
    pub fn safe_reply(self) -> String {
        match self {
            BlockReason::AttorneyClientClaim => {
                format!("{NOT_A_LAWYER} {REFUSAL} {BOOKING_OFFER}")
            }
            _ => format!("{REFUSAL} {BOOKING_OFFER}"),
        }
    }
}

struct Rule {
    reason: BlockReason,
    excuse: Excuse,
    re: Regex,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    rules::RULES
        .iter()
        .map(|&(reason, excuse, pattern)| Rule {
            reason,
            excuse,
            re: text::word_regex(&rules::expand(pattern)),
        })
        .collect()
});

/// Words after which a following match is the attorney's topic, not the
/// agent's statement: "an attorney can discuss whether you should sue".
static DEFERRAL: LazyLock<Regex> = LazyLock::new(|| {
    text::word_regex(
        r"whether|(?:discuss|explain|tell you|advise you|determine|evaluate|assess|review|decide|say|predict|know|sure|confirm|answer|ask (?:the |an |your |our )?(?:attorney|lawyer)|talk about|talk with you about|go over|let you know) (?:if|how|what)|(?:discuss|explain|review|go over|talk about|advise you on|help you understand|look into|evaluate|assess|say|predict|tell you) (?:what|how)|questions? (?:like|about|such as)",
    )
});

/// Words that start a new thought inside one clause; an excuse before
/// them does not carry over ("I can't advise you but you should sue").
static SEGMENT_BREAK: LazyLock<Regex> =
    LazyLock::new(|| text::word_regex(r"but|however|although|though|so|anyway|and|honestly|still"));

const AUXILIARIES: &[&str] = &[
    "do", "does", "did", "have", "has", "had", "are", "is", "was", "were", "will", "would", "can",
    "could", "shall", "may", "might",
];
const SUBJECTS: &[&str] = &[
    "you", "your", "they", "he", "she", "it", "there", "anyone", "anybody", "someone", "somebody",
    "the", "any", "we", "i", "this", "that", "a", "an", "either", "both",
];
const WH: &[&str] = &[
    "what", "when", "where", "who", "whom", "which", "how", "why", "whose",
];
/// Openers skipped before deciding whether a segment is a question.
static FILLERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:okay|ok|so|and|also|great|thanks|thank you|alright|all right|now|next|lastly|finally|then|just to confirm|to confirm|got it|well|right|sure|one more thing|perfect|understood|and then) )*")
        .expect("filler pattern")
});

/// Whether an agent line must be said exactly as the policy wrote it: the
/// disclosures, recording consent, the refusal of advice, emergency
/// numbers, and the conflict follow-up (whose wording never hints why).
/// Nothing may rephrase these, not even a language model asked nicely.
pub fn is_protected(agent_text: &str) -> bool {
    let t = agent_text.to_lowercase();
    agent_text.contains(REFUSAL)
        || [
            "not a lawyer",
            "attorney-client",
            "legal advice",
            "record",
            "911",
            "988",
            "799-7233",
            "follow up with you personally",
            "urgent",
        ]
        .iter()
        .any(|k| t.contains(k))
}

/// Checks one agent utterance before it is said.
pub fn check_utterance(agent_text: &str) -> Verdict {
    for clause in text::clauses(agent_text) {
        for rule in RULES.iter() {
            let hit = rule
                .re
                .find_iter(&clause)
                .any(|m| !excused(rule.excuse, &clause, m.start(), m.end()));
            if hit {
                return Verdict::Block {
                    reason: rule.reason,
                    safe_reply: rule.reason.safe_reply(),
                };
            }
        }
    }
    Verdict::Allow
}

/// Whether the match `start..end` of `clause` is excused under `excuse`.
fn excused(excuse: Excuse, clause: &str, start: usize, end: usize) -> bool {
    if excuse == Excuse::Never {
        return false;
    }
    let prefix = &clause[..start];
    let segment_start = SEGMENT_BREAK
        .find_iter(prefix)
        .last()
        .map_or(0, |m| m.end());
    let segment = &prefix[segment_start..];
    if DEFERRAL.is_match(segment) || is_question(&clause[segment_start..]) {
        return true;
    }
    if excuse == Excuse::Negated {
        let conditional = clause[end..]
            .split_whitespace()
            .next()
            .is_some_and(|w| matches!(w, "only" | "unless" | "until" | "if" | "once" | "when"));
        return conditional || text::negated_before(clause, start);
    }
    false
}

/// Whether a clause segment reads as a question to the caller: "did you
/// file a police report", "when is your court date".
fn is_question(segment: &str) -> bool {
    let rest = FILLERS
        .find(segment)
        .map_or(segment, |m| &segment[m.end()..]);
    let mut words = rest.split_whitespace();
    let (Some(first), Some(second)) = (words.next(), words.next()) else {
        return false;
    };
    (AUXILIARIES.contains(&first) && SUBJECTS.contains(&second))
        || (WH.contains(&first)
            && (AUXILIARIES.contains(&second)
                || matches!(second, "many" | "much" | "long" | "old" | "kind" | "type")))
}
