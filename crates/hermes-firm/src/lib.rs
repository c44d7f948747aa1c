//! A firm's settings, as the intake agent and the scheduler need them.
//!
//! Each section is a small document a firm's admin edits as a whole
//! (`PUT /api/v1/settings/hours` replaces the hours): [`FirmProfile`],
//! [`Hours`], [`PracticeAreas`], [`EscalationContacts`], [`Offices`], and one
//! [`Attorney`] per row. Leaf values are newtypes that parse ([`E164`],
//! [`UsState`], [`Website`], [`PracticeAreaKey`]); rules that span fields
//! ("practice area keys are unique", "an attorney offers only areas the firm
//! offers") are checked by each document's `validate`, which the API calls
//! before storing and the store calls after reading.
//!
//! Why the documents are also the API's JSON shapes: they are configuration
//! a person types, field for field, and a separate DTO per section would be
//! a copy with nothing to hide. The `openapi` feature derives their schemas;
//! the API owns everything else about HTTP.
//!
//! No I/O: pure types, tested in place.

pub mod attorney;
pub mod escalation;
pub mod hours;
pub mod office;
pub mod practice;
pub mod profile;

pub use attorney::Attorney;
pub use escalation::{Day, EscalationContact, EscalationContacts, OnCallWindow};
pub use hermes_core::{E164, ParseError};
pub use hours::{AfterHoursPolicy, Hours};
pub use office::{Office, OfficeKey, Offices};
pub use practice::{PracticeArea, PracticeAreaKey, PracticeAreas, STANDARD_PRACTICE_AREAS};
pub use profile::{Address, FirmProfile, UsState, Website};

/// Trimmed text of 1..=`max` characters without control characters.
pub(crate) fn text(field: &'static str, raw: &str, max: usize) -> Result<String, ParseError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ParseError::new(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ParseError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ParseError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

/// A stable key people type and records refer to (`family`, `seattle`):
/// `[a-z][a-z0-9_]{1,39}`, for `field`, described as `what` in the error.
pub(crate) fn slug_key(field: &'static str, what: &str, raw: &str) -> Result<String, ParseError> {
    let s = raw.trim();
    let ok = (2..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(ParseError::new(
            field,
            format!(
                "{s:?} is not {what}: 2 to 40 lower-case letters, digits or _, starting with a letter"
            ),
        ));
    }
    Ok(s.to_owned())
}

/// A key newtype over [`slug_key`]: `AsRef<str>`, `Display` and serde
/// (parsing on the way in).
macro_rules! key_newtype {
    ($t:ident) => {
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        $crate::string_newtype_serde!($t);
    };
}
pub(crate) use key_newtype;

/// A string newtype that parses on deserialisation and serialises as itself.
macro_rules! string_newtype_serde {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_ref())
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                <$t>::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_newtype_serde;
