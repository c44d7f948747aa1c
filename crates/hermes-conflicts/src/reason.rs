//! Why a hit matched, one piece of evidence per [`Reason`].
//!
//! An attorney reviewing a potential conflict must see *why* two names were
//! put together ("nickname(bill→william) + surname exact"), not only a
//! number; the short `Display` tokens are that explanation, and the tagged
//! serde form lets the dashboard render them its own way.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One piece of evidence behind a [`crate::Hit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Every normalised name token equal, in the same order.
    ExactName,
    /// Given names equal (the surname evidence is a separate reason).
    GivenNameExact,
    SurnameExact,
    /// Given names related in the nickname dataset (either direction).
    Nickname {
        probe: String,
        party: String,
    },
    /// Different spellings with a common Double Metaphone code.
    Phonetic {
        probe: String,
        party: String,
    },
    /// A small edit (Jaro-Winkler similarity shown), e.g. a transposition.
    Typo {
        probe: String,
        party: String,
        similarity: f32,
    },
    /// A bare initial on one side, the full name on the other.
    Initial {
        initial: String,
        name: String,
    },
    /// One side has a middle name (or an extra surname) the other lacks.
    MiddleNameMissing,
    /// Both sides have middle names and they do not agree.
    MiddleNameDiffers,
    /// Same tokens in another order ("Smith John" vs "John Smith").
    Reordered,
    /// The stored name that matched is an alias (former or maiden name, d/b/a).
    Alias {
        alias: String,
    },
    /// Jr vs Sr, II vs III: maybe a parent and child.
    GenerationalSuffixDiffers {
        probe: String,
        party: String,
    },
    /// "Acme Corp" vs "Acme LLC", or one side has no suffix. Empty = none.
    CorporateSuffixDiffers {
        probe: String,
        party: String,
    },
    /// Organisation names share only some of their tokens.
    TokenOverlap {
        matched: u8,
        total: u8,
    },
    /// A person's name against an organisation's (capped, never strong).
    PersonVsOrganization,
    /// Only one side has a given name; the surname alone is weak evidence.
    SurnameOnly,
    Phone,
    Email,
    DateOfBirth,
    /// Both dates of birth known and different: probably another person.
    DateOfBirthMismatch,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ExactName => f.write_str("exact name"),
            Reason::GivenNameExact => f.write_str("given name exact"),
            Reason::SurnameExact => f.write_str("surname exact"),
            Reason::Nickname { probe, party } => write!(f, "nickname({probe}→{party})"),
            Reason::Phonetic { probe, party } => write!(f, "phonetic({probe}~{party})"),
            Reason::Typo {
                probe,
                party,
                similarity,
            } => write!(f, "typo({probe}~{party} {similarity:.2})"),
            Reason::Initial { initial, name } => write!(f, "initial({initial}→{name})"),
            Reason::MiddleNameMissing => f.write_str("middle name missing"),
            Reason::MiddleNameDiffers => f.write_str("middle name differs"),
            Reason::Reordered => f.write_str("reordered"),
            Reason::Alias { alias } => write!(f, "alias({alias})"),
            Reason::GenerationalSuffixDiffers { probe, party } => {
                write!(
                    f,
                    "generational suffix differs({}≠{})",
                    dash(probe),
                    dash(party)
                )
            }
            Reason::CorporateSuffixDiffers { probe, party } => {
                write!(
                    f,
                    "corporate suffix differs({}≠{})",
                    dash(probe),
                    dash(party)
                )
            }
            Reason::TokenOverlap { matched, total } => write!(f, "name tokens {matched}/{total}"),
            Reason::PersonVsOrganization => f.write_str("person vs organization"),
            Reason::SurnameOnly => f.write_str("surname only"),
            Reason::Phone => f.write_str("phone"),
            Reason::Email => f.write_str("email"),
            Reason::DateOfBirth => f.write_str("date of birth"),
            Reason::DateOfBirthMismatch => f.write_str("date of birth differs"),
        }
    }
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}
