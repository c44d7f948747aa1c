//! The questions each practice area asks, as data tenants can edit.
//!
//! Why conflict questions come first: under ABA Model Rule 1.18 what a
//! prospective client tells the firm is protected and can disqualify it, so
//! the agent learns who is on the other side and runs the conflict check
//! before taking facts. Conflict questions that name a party have
//! `conflict_party: true`; the dialogue feeds those answers to the check.
//!
//! Wording rules for the defaults: neutral, one thing at a time, no legal
//! conclusions ("the person named in the charges", not "the victim"), and
//! every prompt passes the guardrail ([`validate`] enforces it for tenant
//! edits too).

mod defaults;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::guardrail::{self, Verdict};

pub use defaults::default_sets;

/// Most questions one set may hold: a phone intake has to end.
pub const MAX_QUESTIONS: usize = 40;
/// Longest prompt, in characters: longer is unreadable aloud.
pub const MAX_PROMPT_CHARS: usize = 300;

/// One question the agent asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// A slug, unique in its set: `[a-z][a-z0-9_]{1,39}`.
    pub id: String,
    pub prompt: String,
    pub kind: AnswerKind,
    pub required: bool,
    /// The answer names a party for the conflict check.
    pub conflict_party: bool,
}

/// The shape of an answer, which picks the NLU extractor: `"text"`,
/// `"yes_no"`, `"date"`, …, or `{"choice": ["a", "b"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Text,
    YesNo,
    Date,
    Number,
    Money,
    PersonName,
    OrganizationName,
    Phone,
    Email,
    Choice(Vec<String>),
}

/// The questions for one practice area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QuestionSet {
    pub practice_area: String,
    /// Asked first, before any facts.
    pub conflict_questions: Vec<Question>,
    pub fact_questions: Vec<Question>,
}

impl QuestionSet {
    /// Conflict questions, then fact questions.
    pub fn all(&self) -> impl Iterator<Item = &Question> {
        self.conflict_questions.iter().chain(&self.fact_questions)
    }
}

/// The default set for a standard area key.
pub fn default_set(practice_area: &str) -> Option<QuestionSet> {
    default_sets()
        .into_iter()
        .find(|s| s.practice_area == practice_area)
}

/// Checks a (possibly tenant-edited) set. The error lists every problem,
/// separated by "; ", so an API can show them all at once.
pub fn validate(set: &QuestionSet) -> Result<(), String> {
    let mut problems = Vec::new();
    if !is_slug(&set.practice_area) {
        problems.push(format!(
            "practice_area {:?} is not a key: 2 to 40 lower-case letters, digits or _, starting with a letter",
            set.practice_area
        ));
    }
    if set.conflict_questions.is_empty() {
        problems.push("at least one conflict question is required".to_string());
    } else if !set.conflict_questions.iter().any(|q| q.conflict_party) {
        problems.push("at least one conflict question must ask for a party's name".to_string());
    }
    let total = set.conflict_questions.len() + set.fact_questions.len();
    if total > MAX_QUESTIONS {
        problems.push(format!("{total} questions; at most {MAX_QUESTIONS}"));
    }
    let mut seen: Vec<&str> = Vec::new();
    for q in set.all() {
        let id = q.id.as_str();
        if !is_slug(id) {
            problems.push(format!(
                "id {id:?} is not a slug: 2 to 40 lower-case letters, digits or _, starting with a letter"
            ));
        }
        if seen.contains(&id) {
            problems.push(format!("id {id:?} is used twice"));
        }
        seen.push(id);
        let prompt = q.prompt.trim();
        let chars = prompt.chars().count();
        if prompt.is_empty() {
            problems.push(format!("{id}: the prompt is empty"));
        } else if chars > MAX_PROMPT_CHARS {
            problems.push(format!(
                "{id}: the prompt has {chars} characters; at most {MAX_PROMPT_CHARS}"
            ));
        } else if let Verdict::Block { reason, .. } = guardrail::check_utterance(prompt) {
            problems.push(format!(
                "{id}: the prompt reads as {} and cannot be asked",
                serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                    .unwrap_or_default()
            ));
        }
        if let AnswerKind::Choice(options) = &q.kind {
            if !(2..=10).contains(&options.len()) {
                problems.push(format!(
                    "{id}: a choice needs 2 to 10 options, not {}",
                    options.len()
                ));
            }
            if options.iter().any(|o| o.trim().is_empty()) {
                problems.push(format!("{id}: a choice option is empty"));
            }
            let mut lower: Vec<String> = options.iter().map(|o| o.trim().to_lowercase()).collect();
            lower.sort();
            lower.dedup();
            if lower.len() != options.len() {
                problems.push(format!("{id}: choice options repeat"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// `[a-z][a-z0-9_]{1,39}`, the same rule as practice-area keys.
fn is_slug(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
