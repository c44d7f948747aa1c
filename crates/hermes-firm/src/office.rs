//! Offices: one firm (one tenant) answering in several places, each with
//! its own phone numbers, hours and time zone, and its own attorneys
//! (the Enterprise plan).
//!
//! An office is found by the number a caller dialled ([`Offices::by_number`]),
//! so a number belongs to at most one office. An attorney names their
//! office ([`crate::Attorney::office`]); their availability is then in that
//! office's zone and the office's closures apply to them. A firm without
//! offices is one office: the tenant's zone and the firm's [`Hours`].

use serde::{Deserialize, Serialize};

use hermes_core::TimeZone;

use crate::{Address, E164, Hours, ParseError, text};

/// At most this many offices per firm.
pub const MAX_OFFICES: usize = 50;
/// At most this many numbers per office.
pub const MAX_NUMBERS: usize = 20;

/// `[a-z][a-z0-9_]{1,39}`: `seattle`, `nyc_midtown`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfficeKey(String);

impl OfficeKey {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        crate::slug_key("office", "an office key", raw).map(Self)
    }
}
crate::key_newtype!(OfficeKey);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Office {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "seattle"))]
    pub key: OfficeKey,
    /// What staff read, e.g. `Seattle`.
    #[cfg_attr(feature = "openapi", schema(example = "Seattle"))]
    pub name: String,
    /// How the agent names the firm on this office's lines ("Smith and
    /// Jones in Seattle"); the firm's spoken name when absent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Smith and Jones in Seattle"))]
    pub spoken_name: Option<String>,
    /// IANA time zone of the office: its hours and its attorneys'
    /// availability are in it, and callers hear times in it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "America/Los_Angeles"))]
    pub time_zone: TimeZone,
    /// The numbers callers dial to reach this office (E.164); each
    /// belongs to one office only.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["+12065550100"])))]
    pub phone_numbers: Vec<E164>,
    #[serde(default)]
    pub address: Option<Address>,
    /// Opening hours, closures and the after-hours policy, in the
    /// office's zone.
    pub hours: Hours,
}

impl Office {
    /// The name the agent says on this office's lines.
    pub fn spoken_or<'a>(&'a self, firm: &'a str) -> &'a str {
        self.spoken_name.as_deref().unwrap_or(firm)
    }

    /// The office's own hours, closed also on the firm's closures (the
    /// firm's closures close every office).
    pub fn hours_within(&self, firm: &Hours) -> Hours {
        let mut h = self.hours.clone();
        h.closures.extend(firm.closures.iter().cloned());
        h
    }
}

/// The firm's offices (empty: the firm is one office).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Offices {
    pub offices: Vec<Office>,
}

impl Offices {
    pub fn validate(&self) -> Result<(), ParseError> {
        if self.offices.len() > MAX_OFFICES {
            return Err(ParseError::new(
                "offices",
                format!("at most {MAX_OFFICES} offices"),
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        let mut numbers = std::collections::BTreeMap::new();
        for o in &self.offices {
            if !keys.insert(&o.key) {
                return Err(ParseError::new(
                    "offices",
                    format!("office {} is listed twice", o.key),
                ));
            }
            text("name", &o.name, 120)?;
            if let Some(n) = &o.spoken_name {
                text("spoken_name", n, 120)?;
            }
            if o.phone_numbers.len() > MAX_NUMBERS {
                return Err(ParseError::new(
                    "phone_numbers",
                    format!("at most {MAX_NUMBERS} numbers per office"),
                ));
            }
            for n in &o.phone_numbers {
                if let Some(other) = numbers.insert(n.as_ref(), &o.key) {
                    return Err(ParseError::new(
                        "phone_numbers",
                        format!("{n} is given to both {other} and {}", o.key),
                    ));
                }
            }
            if let Some(a) = &o.address {
                a.validate()?;
            }
            o.hours.validate()?;
        }
        Ok(())
    }

    /// Trims what people type, then validates.
    pub fn normalized(mut self) -> Result<Self, ParseError> {
        for o in &mut self.offices {
            o.name = text("name", &o.name, 120)?;
            o.spoken_name = o
                .spoken_name
                .take()
                .map(|n| text("spoken_name", &n, 120))
                .transpose()?;
        }
        self.validate()?;
        Ok(self)
    }

    pub fn get(&self, key: &OfficeKey) -> Option<&Office> {
        self.offices.iter().find(|o| &o.key == key)
    }

    /// The office with this key, or an error naming the `office` field.
    pub fn require(&self, key: &OfficeKey) -> Result<&Office, ParseError> {
        self.get(key).ok_or_else(|| {
            ParseError::new("office", format!("{key} is not one of the firm's offices"))
        })
    }

    /// The office a caller reached by dialling `number` (as the telephone
    /// network gives it: E.164, or anything [`E164::parse`] reads).
    pub fn by_number(&self, number: &str) -> Option<&Office> {
        let n = E164::parse(number).ok()?;
        self.offices.iter().find(|o| o.phone_numbers.contains(&n))
    }

    pub fn is_empty(&self) -> bool {
        self.offices.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offices(json: serde_json::Value) -> Result<Offices, String> {
        let o: Offices = serde_json::from_value(json).map_err(|e| e.to_string())?;
        o.normalized().map_err(|e| e.to_string())
    }

    fn office(key: &str, tz: &str, numbers: &[&str]) -> serde_json::Value {
        serde_json::json!({
            "key": key, "name": format!(" {key} "), "time_zone": tz,
            "phone_numbers": numbers,
            "hours": {"weekly": {"monday": [{"start": "09:00", "end": "17:00"}]}, "after_hours": "take_message"},
        })
    }

    #[test]
    fn parses_normalises_and_finds_by_number() {
        let o = offices(serde_json::json!({"offices": [
            office("seattle", "America/Los_Angeles", &["+12065550100", "(206) 555-0101"]),
            office("nyc", "America/New_York", &["+12125550100"]),
        ]}))
        .unwrap();
        assert_eq!(o.offices[0].name, "seattle", "trimmed");
        assert_eq!(o.offices[1].time_zone.name(), "America/New_York");
        let key = |n: &str| o.by_number(n).map(|o| o.key.to_string());
        assert_eq!(key("+12065550101").as_deref(), Some("seattle"));
        assert_eq!(key("+1 212 555 0100").as_deref(), Some("nyc"));
        assert_eq!(key("+15035550100"), None);
        assert_eq!(key("anonymous"), None);
        assert!(o.get(&OfficeKey::parse("nyc").unwrap()).is_some());
        assert!(o.get(&OfficeKey::parse("boston").unwrap()).is_none());
        assert!(Offices::default().is_empty());
        let back: Offices = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn refuses_what_would_make_routing_ambiguous_or_wrong() {
        let twice = offices(serde_json::json!({"offices": [
            office("seattle", "America/Los_Angeles", &["+12065550100"]),
            office("seattle", "America/New_York", &["+12125550100"]),
        ]}));
        assert!(twice.unwrap_err().contains("listed twice"));
        let shared = offices(serde_json::json!({"offices": [
            office("seattle", "America/Los_Angeles", &["+12065550100"]),
            office("nyc", "America/New_York", &["206-555-0100"]),
        ]}));
        assert!(shared.unwrap_err().contains("both seattle and nyc"));
        let zone = offices(serde_json::json!({"offices": [office("nyc", "EST", &[])]}));
        assert!(zone.unwrap_err().contains("IANA"));
        let key =
            offices(serde_json::json!({"offices": [office("New York", "America/New_York", &[])]}));
        assert!(key.unwrap_err().contains("office key"));
        let number =
            offices(serde_json::json!({"offices": [office("nyc", "America/New_York", &["12"])]}));
        assert!(number.is_err());
        let mut blank = office("nyc", "America/New_York", &[]);
        blank["name"] = "  ".into();
        assert!(
            offices(serde_json::json!({"offices": [blank]}))
                .unwrap_err()
                .contains("name")
        );
        let many: Vec<_> = (0..=MAX_OFFICES)
            .map(|i| office(&format!("o{i}"), "UTC", &[]))
            .collect();
        assert!(
            offices(serde_json::json!({"offices": many}))
                .unwrap_err()
                .contains("at most")
        );
        let numbers: Vec<String> = (0..=MAX_NUMBERS)
            .map(|i| format!("+1206555{i:04}"))
            .collect();
        let refs: Vec<&str> = numbers.iter().map(String::as_str).collect();
        assert!(
            offices(serde_json::json!({"offices": [office("nyc", "UTC", &refs)]}))
                .unwrap_err()
                .contains("numbers per office")
        );
        let mut unknown = office("nyc", "UTC", &[]);
        unknown["zone"] = "UTC".into();
        assert!(offices(serde_json::json!({"offices": [unknown]})).is_err());
    }

    #[test]
    fn an_office_is_required_by_key_and_closes_on_the_firms_closures() {
        let o = offices(serde_json::json!({"offices": [office("nyc", "America/New_York", &[])]}))
            .unwrap();
        assert!(o.require(&OfficeKey::parse("nyc").unwrap()).is_ok());
        let e = o.require(&OfficeKey::parse("boston").unwrap()).unwrap_err();
        assert_eq!(e.field, "office");
        assert!(e.reason.contains("boston"), "{e}");
        let firm: Hours = serde_json::from_value(serde_json::json!({
            "weekly": {}, "after_hours": "book",
            "closures": [{"start": "2026-12-25", "end": "2026-12-25", "reason": "Holiday"}],
        }))
        .unwrap();
        let h = o.offices[0].hours_within(&firm);
        assert_eq!(h.weekly, o.offices[0].hours.weekly, "its own hours");
        assert_eq!(h.closures, firm.closures);
        assert_eq!(h.after_hours, o.offices[0].hours.after_hours);
    }

    #[test]
    fn the_spoken_name_falls_back_to_the_firms() {
        let mut o: Office = serde_json::from_value(office("nyc", "America/New_York", &[])).unwrap();
        assert_eq!(o.spoken_or("Smith and Jones"), "Smith and Jones");
        o.spoken_name = Some("Smith and Jones in New York".into());
        assert_eq!(
            o.spoken_or("Smith and Jones"),
            "Smith and Jones in New York"
        );
    }
}
