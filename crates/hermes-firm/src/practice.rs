//! The practice areas a firm takes, each with its consultation terms.
//!
//! Keys are stable slugs (`personal_injury`, or a firm's own such as
//! `animal_law`) because bookings, attorneys and question sets refer to
//! them; names are what callers hear and staff read.

use serde::{Deserialize, Serialize};

use crate::{ParseError, text};

/// The standard areas: key and default name.
pub const STANDARD_PRACTICE_AREAS: [(&str, &str); 7] = [
    ("personal_injury", "Personal injury"),
    ("family", "Family law"),
    ("criminal_defense", "Criminal defense"),
    ("estate_planning", "Estate planning"),
    ("immigration", "Immigration"),
    ("employment", "Employment"),
    ("bankruptcy", "Bankruptcy"),
];

/// `[a-z][a-z0-9_]{1,39}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PracticeAreaKey(String);

impl PracticeAreaKey {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        crate::slug_key("practice_area", "a practice area key", raw).map(Self)
    }

    pub fn is_standard(&self) -> bool {
        STANDARD_PRACTICE_AREAS.iter().any(|(k, _)| *k == self.0)
    }
}
crate::key_newtype!(PracticeAreaKey);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PracticeArea {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "personal_injury"))]
    pub key: PracticeAreaKey,
    /// Defaults to the standard name for a standard key; required for a
    /// custom one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Personal injury"))]
    pub name: Option<String>,
    /// Length of a consultation, 15 to 240 minutes in steps of 5.
    #[cfg_attr(feature = "openapi", schema(example = 30))]
    pub consultation_minutes: u32,
    /// Whether the first consultation is free.
    pub free_consultation: bool,
}

impl PracticeArea {
    /// The name callers hear.
    pub fn display_name(&self) -> &str {
        match &self.name {
            Some(n) => n,
            None => STANDARD_PRACTICE_AREAS
                .iter()
                .find(|(k, _)| *k == self.key.as_ref())
                .map_or(self.key.as_ref(), |(_, n)| n),
        }
    }

    pub fn consultation_length(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.consultation_minutes))
    }
}

/// The firm's practice areas: unique keys, at most 50.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PracticeAreas {
    pub areas: Vec<PracticeArea>,
}

impl PracticeAreas {
    pub fn validate(&self) -> Result<(), ParseError> {
        if self.areas.len() > 50 {
            return Err(ParseError::new("areas", "at most 50 practice areas"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.areas {
            if !seen.insert(&a.key) {
                return Err(ParseError::new(
                    "areas",
                    format!("{} is listed twice", a.key),
                ));
            }
            match &a.name {
                Some(n) => {
                    text("name", n, 80)?;
                }
                None if !a.key.is_standard() => {
                    return Err(ParseError::new(
                        "name",
                        format!("the custom practice area {} needs a name", a.key),
                    ));
                }
                None => {}
            }
            if !(15..=240).contains(&a.consultation_minutes) || a.consultation_minutes % 5 != 0 {
                return Err(ParseError::new(
                    "consultation_minutes",
                    format!("{}: must be 15 to 240 in steps of 5", a.key),
                ));
            }
        }
        Ok(())
    }

    /// Trims names, then validates.
    pub fn normalized(mut self) -> Result<Self, ParseError> {
        for a in &mut self.areas {
            if let Some(n) = a.name.take() {
                a.name = Some(text("name", &n, 80)?);
            }
        }
        self.validate()?;
        Ok(self)
    }

    pub fn get(&self, key: &PracticeAreaKey) -> Option<&PracticeArea> {
        self.areas.iter().find(|a| &a.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn areas(json: &str) -> Result<PracticeAreas, String> {
        let a: PracticeAreas = serde_json::from_str(json).map_err(|e| e.to_string())?;
        a.normalized().map_err(|e| e.to_string())
    }

    #[test]
    fn keys() {
        assert!(
            PracticeAreaKey::parse("personal_injury")
                .unwrap()
                .is_standard()
        );
        assert!(!PracticeAreaKey::parse("animal_law").unwrap().is_standard());
        for bad in ["", "x", "Personal", "1abc", "a-b", &"a".repeat(41)] {
            assert!(PracticeAreaKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn standard_names_default_and_custom_need_one() {
        let a = areas(
            r#"{"areas":[{"key":"family","consultation_minutes":30,"free_consultation":true},
                        {"key":"animal_law","name":" Animal law ","consultation_minutes":45,"free_consultation":false}]}"#,
        )
        .unwrap();
        assert_eq!(a.areas[0].display_name(), "Family law");
        assert_eq!(a.areas[1].display_name(), "Animal law");
        assert_eq!(
            a.areas[1].consultation_length(),
            chrono::Duration::minutes(45)
        );
        let e = areas(r#"{"areas":[{"key":"animal_law","consultation_minutes":45,"free_consultation":false}]}"#)
            .unwrap_err();
        assert!(e.contains("needs a name"), "{e}");
    }

    #[test]
    fn rules() {
        let dup = areas(
            r#"{"areas":[{"key":"family","consultation_minutes":30,"free_consultation":true},
                        {"key":"family","consultation_minutes":30,"free_consultation":true}]}"#,
        )
        .unwrap_err();
        assert!(dup.contains("twice"), "{dup}");
        for minutes in [0, 10, 31, 245] {
            let e = areas(&format!(
                r#"{{"areas":[{{"key":"family","consultation_minutes":{minutes},"free_consultation":true}}]}}"#
            ))
            .unwrap_err();
            assert!(e.contains("consultation_minutes"), "{e}");
        }
    }
}
