//! Conflict-of-interest matching for law firms (ABA Model Rules 1.7, 1.9,
//! 1.10 and 1.18): does a party of a new matter resemble someone the firm
//! represents, represented, consulted, or was adverse to?
//!
//! # Why it is shaped this way
//!
//! A missed conflict can cost a firm a case or a licence; a flood of false
//! alarms teaches staff to click through them. So the crate aims for
//! recall first, then explains every hit well enough that a human can
//! dismiss a wrong one in a second:
//!
//! 1. [`normalize`](crate::normalize_phone) folds formatting away (case,
//!    diacritics, punctuation, honorifics, Jr/Esq, corporate suffixes,
//!    "Last, First", particles) before anything fuzzy happens.
//! 2. `score` compares names token by token with exact, nickname (the
//!    Apache-2.0 `nicknames` dataset, as relations), initial, typo
//!    (Jaro-Winkler within a small edit distance) and phonetic (Double
//!    Metaphone) evidence, multiplies rather than averages, and records
//!    *why* as [`Reason`]s ("nickname(bill→william) + surname exact").
//! 3. `index` keeps one firm's parties in memory under blocking keys that
//!    stay selective for "John Smith" in a million parties, so a check
//!    scores a few hundred candidates, not the whole firm.
//! 4. `severity` turns (new-matter role × stored role × matter status)
//!    into [`Severity`] with the rule that applies, in one reviewable table.
//!
//! # Scores
//!
//! 0..=1, a product of token similarities. Exact 1.0; nickname 0.95; a
//! typo scores its Jaro-Winkler (≈0.88–0.97; an adjacent swap at least
//! 0.9, one edit in a word of 5+ letters at least 0.86); phonetic
//! ≈0.86–0.89; initial 0.85; reordered ×0.97; missing middle ×0.98;
//! different middles ×0.75; surname found in an inner position ×0.95; Jr
//! vs Sr ×0.9; different corporate suffix ×0.99; a surname alone ×0.6; a
//! person against an organisation ×0.9, at most 0.85; organisations as an
//! IDF-weighted Dice over their core tokens. Then the identifiers: a phone or e-mail
//! match lifts the score to at least 0.85 (a hit at the default
//! threshold, [`DEFAULT_THRESHOLD`] = 0.78); an equal date of birth halves
//! the distance to 1; a different one (both persons, both known) ×0.6.
//!
//! A Conflict-severity rule on a match below [`STRONG_THRESHOLD`] (0.92)
//! with no phone, e-mail or date-of-birth agreement becomes Potential: the
//! attorney still sees it, nothing above the threshold is dropped.
//!
//! Decisions worth knowing: a four-letter word with one substituted letter
//! is a different word ("Acne Corp" does not hit "Acme Corp"); sound-alike
//! given names do hit (John/Joan: on a phone line they are misheard), as
//! Potential; an unknown-kind one-word probe is an organisation.
//!
//! # Purity
//!
//! No I/O, no async, no clock: the nickname dataset is compiled in and
//! parsed once. The caller owns one [`Index`] per tenant and feeds it
//! [`Index::upsert`] / [`Index::remove`] as parties change.

mod index;
mod model;
mod nicknames;
mod normalize;
mod phonetic;
mod reason;
mod score;
mod severity;

pub use index::{Index, IndexStats};
pub use model::{
    CheckOptions, CheckOutcome, DEFAULT_THRESHOLD, Hit, MatterStatus, NewMatterRole,
    ParseEnumError, Party, PartyKind, PartyRole, Probe, STRONG_THRESHOLD, Severity, Status,
};
pub use nicknames::dataset_names;
pub use normalize::{normalize_email, normalize_phone};
pub use reason::Reason;
pub use severity::classify;

/// Normalised comparable tokens of a name, as the matcher sees them
/// (e.g. for a dashboard preview or a naive baseline). `kind` `None`
/// infers it.
pub fn normalized_tokens(name: &str, kind: Option<PartyKind>) -> Vec<String> {
    normalize::normalize_name(name, kind).tokens
}

/// The kind a name would be inferred to have.
pub fn infer_kind(name: &str) -> PartyKind {
    normalize::infer_kind(name)
}
