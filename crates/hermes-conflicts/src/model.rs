//! The vocabulary callers speak: what is indexed ([`Party`]), what is checked
//! ([`Probe`]) and what comes back ([`CheckOutcome`], [`Hit`]).
//!
//! These are plain data with serde so the storage layer can persist them and
//! the HTTP layer can map them to its DTOs; nothing here knows about tenants
//! or databases (one [`crate::Index`] per tenant is the caller's business).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Reason;

/// Whether a name belongs to a human or to an entity. Matching differs:
/// persons are compared given-name/surname, organisations as token sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Person,
    Organization,
}

/// The role an indexed party plays in one of the firm's matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    Client,
    FormerClient,
    AdverseParty,
    RelatedParty,
    OpposingCounsel,
    ProspectiveClient,
}

/// State of the matter an indexed party belongs to. A `Client` whose matter
/// is `Closed` is treated as a former client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatterStatus {
    Open,
    Pending,
    Closed,
}

/// The role a probe party will play in the NEW matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NewMatterRole {
    /// The prospective client (the caller, or whom they call for).
    Client,
    /// The party the new client is against.
    Adverse,
    /// Anyone else involved: co-parties, spouses, insurers, witnesses.
    Related,
}

/// A string did not name a variant of one of this crate's enums.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {value:?}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
}

macro_rules! str_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            /// The snake_case name, as serialised.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $s),+ }
            }
            /// Every variant, in declaration order (handy for exhaustive tests).
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($s => Ok($ty::$variant),)+
                    other => Err(ParseEnumError { what: $what, value: other.to_owned() }),
                }
            }
        }
    };
}

str_enum!(PartyKind, "party kind", { Person => "person", Organization => "organization" });
str_enum!(PartyRole, "party role", {
    Client => "client",
    FormerClient => "former_client",
    AdverseParty => "adverse_party",
    RelatedParty => "related_party",
    OpposingCounsel => "opposing_counsel",
    ProspectiveClient => "prospective_client",
});
str_enum!(MatterStatus, "matter status", { Open => "open", Pending => "pending", Closed => "closed" });
str_enum!(NewMatterRole, "new matter role", { Client => "client", Adverse => "adverse", Related => "related" });

/// One entry of a tenant's parties index: a person or organisation in one
/// role of one matter. The same human in two matters is two parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub id: Uuid,
    pub kind: PartyKind,
    pub name: String,
    /// Former or maiden names, d/b/a names: each is matched like `name`.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub role: PartyRole,
    #[serde(default)]
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// Raw, as entered; normalised with [`crate::normalize_phone`].
    #[serde(default)]
    pub phones: Vec<String>,
    /// Raw, as entered; normalised with [`crate::normalize_email`].
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub matter_ref: Option<String>,
    #[serde(default)]
    pub matter_status: Option<MatterStatus>,
}

/// A party of the new matter, as heard on the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub name: String,
    /// `None`: unknown; inferred (a corporate suffix or an organisation word
    /// such as "Bank" or "Holdings" means organisation).
    #[serde(default)]
    pub kind: Option<PartyKind>,
    pub role: NewMatterRole,
    #[serde(default)]
    pub date_of_birth: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl Probe {
    /// A probe with only a name and a role, the common case on a call.
    pub fn new(name: impl Into<String>, role: NewMatterRole) -> Self {
        Probe {
            name: name.into(),
            kind: None,
            role,
            date_of_birth: None,
            phone: None,
            email: None,
        }
    }
}

/// Tuning knobs of one check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CheckOptions {
    /// Hits scoring below this are not reported. See [`DEFAULT_THRESHOLD`].
    pub threshold: f32,
    /// At most this many hits per probe (the best by severity, then score).
    pub max_hits_per_probe: usize,
}

/// The tuned default threshold: every single-defect variant the benchmark
/// generates (nickname, typo, initial, phonetic spelling, reordering,
/// dropped middle name, corporate suffix) scores at or above it, while a
/// different given name on the same surname (≈0.5) or a surname alone
/// (≤0.6) stays below. See the crate docs for the score ladder.
pub const DEFAULT_THRESHOLD: f32 = 0.78;

/// At or above this a name match is "strong": Conflict-severity rules keep
/// their severity. Below it (and without a phone, email or date-of-birth
/// match) they are downgraded to Potential.
pub const STRONG_THRESHOLD: f32 = 0.92;

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            threshold: DEFAULT_THRESHOLD,
            max_hits_per_probe: 10,
        }
    }
}

/// Overall verdict of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Clear,
    Potential,
    Conflict,
}

/// How serious one hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth showing (e.g. a returning client) but not a conflict.
    Info,
    /// An attorney must review before the matter is accepted.
    Potential,
    /// The firm may not take the matter as it stands.
    Conflict,
}

impl Severity {
    /// The status a check has if this is its worst hit.
    pub fn status(self) -> Status {
        match self {
            Severity::Info => Status::Clear,
            Severity::Potential => Status::Potential,
            Severity::Conflict => Status::Conflict,
        }
    }
}

/// The result of [`crate::Index::check`]. Serialize only: `Hit::rule` is a
/// `&'static str` from the severity table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckOutcome {
    /// `Clear` when no hit is above `Info`.
    pub status: Status,
    /// Sorted by severity (worst first), then score (best first).
    pub hits: Vec<Hit>,
}

/// One indexed party that resembles one probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Index into the probes given to `check`.
    pub probe: usize,
    pub party_id: Uuid,
    /// The name or alias that matched, as stored.
    pub matched_name: String,
    /// 0..=1; see the crate docs for how it is made.
    pub score: f32,
    pub reasons: Vec<Reason>,
    pub severity: Severity,
    /// Why this severity, in words an intake coordinator can act on.
    pub rule: &'static str,
}

impl Hit {
    /// The reasons as short tokens joined by `" + "`, e.g.
    /// `nickname(bill→william) + surname exact`.
    pub fn explanation(&self) -> String {
        self.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" + ")
    }
}
