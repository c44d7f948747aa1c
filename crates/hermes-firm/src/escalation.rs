//! Who a person-in-the-loop is when a call is urgent: escalation contacts
//! and when each is on call.
//!
//! An on-call window may run past midnight (`"start": "18:00", "end":
//! "08:00"` on Friday covers Friday evening to Saturday morning), because
//! that is how on-call rotas are written. A contact with no windows is on
//! call at all times, a catch-all backup.

use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use hermes_core::Email;

use crate::{E164, ParseError, text};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EscalationContacts {
    /// In order of preference: the first contact on call is tried first.
    pub contacts: Vec<EscalationContact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EscalationContact {
    #[cfg_attr(feature = "openapi", schema(example = "Dana Whitfield"))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "+15035550111"))]
    pub phone: E164,
    #[serde(default)]
    pub email: Option<String>,
    /// When this contact is on call, in the firm's time zone; empty means
    /// always.
    #[serde(default)]
    pub on_call: Vec<OnCallWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnCallWindow {
    /// Days the window starts on: `monday` … `sunday`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["friday"])))]
    pub days: Vec<Day>,
    /// `HH:MM`.
    #[serde(with = "hhmm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "18:00"))]
    pub start: NaiveTime,
    /// `HH:MM`; at or before `start` means the window ends the next day.
    #[serde(with = "hhmm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "08:00"))]
    pub end: NaiveTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<Day> for Weekday {
    fn from(d: Day) -> Weekday {
        match d {
            Day::Monday => Weekday::Mon,
            Day::Tuesday => Weekday::Tue,
            Day::Wednesday => Weekday::Wed,
            Day::Thursday => Weekday::Thu,
            Day::Friday => Weekday::Fri,
            Day::Saturday => Weekday::Sat,
            Day::Sunday => Weekday::Sun,
        }
    }
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let raw = String::deserialize(d)?;
        NaiveTime::parse_from_str(&raw, "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("{raw:?} is not a time of day as HH:MM")))
    }
}

impl OnCallWindow {
    /// Whether the local wall-clock time `at` (on weekday `day`) falls in
    /// this window.
    fn covers(&self, day: Weekday, at: NaiveTime) -> bool {
        let starts_on = |d: Weekday| self.days.iter().any(|x| Weekday::from(*x) == d);
        if self.start < self.end {
            starts_on(day) && self.start <= at && at < self.end
        } else {
            (starts_on(day) && at >= self.start) || (starts_on(day.pred()) && at < self.end)
        }
    }
}

impl EscalationContacts {
    pub fn validate(&self) -> Result<(), ParseError> {
        if self.contacts.len() > 20 {
            return Err(ParseError::new(
                "contacts",
                "at most 20 escalation contacts",
            ));
        }
        for c in &self.contacts {
            text("name", &c.name, 120)?;
            if let Some(e) = &c.email {
                Email::parse(e)?;
            }
            if c.on_call.len() > 21 {
                return Err(ParseError::new("on_call", "at most 21 windows per contact"));
            }
            for w in &c.on_call {
                if w.days.is_empty() {
                    return Err(ParseError::new(
                        "on_call",
                        "a window needs at least one day",
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn normalized(mut self) -> Result<Self, ParseError> {
        for c in &mut self.contacts {
            c.name = text("name", &c.name, 120)?;
            c.email = c
                .email
                .take()
                .map(|e| Email::parse(&e).map(|e| e.as_ref().to_owned()))
                .transpose()?;
        }
        self.validate()?;
        Ok(self)
    }

    /// The contacts on call at `at`, in order of preference.
    pub fn on_call_at(&self, tz: chrono_tz::Tz, at: DateTime<Utc>) -> Vec<&EscalationContact> {
        let local = at.with_timezone(&tz);
        let (day, time) = (local.weekday(), local.time());
        self.contacts
            .iter()
            .filter(|c| c.on_call.is_empty() || c.on_call.iter().any(|w| w.covers(day, time)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn contacts() -> EscalationContacts {
        serde_json::from_str::<EscalationContacts>(
            r#"{"contacts":[
                {"name":"Night","phone":"503-555-0101","on_call":[{"days":["friday"],"start":"18:00","end":"08:00"}]},
                {"name":"Day","phone":"503-555-0102","email":"Day@Firm.Example","on_call":[{"days":["monday","friday"],"start":"08:00","end":"18:00"}]},
                {"name":"Backup","phone":"503-555-0103"}
            ]}"#,
        )
        .unwrap()
        .normalized()
        .unwrap()
    }

    fn names(c: &EscalationContacts, y: i32, m: u32, d: u32, h: u32) -> Vec<&str> {
        let tz = chrono_tz::America::Los_Angeles;
        let at = tz
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        c.on_call_at(tz, at)
            .into_iter()
            .map(|c| c.name.as_str())
            .collect()
    }

    #[test]
    fn windows_including_overnight() {
        let c = contacts();
        assert_eq!(c.contacts[1].email.as_deref(), Some("day@firm.example"));
        // 2026-11-27 is a Friday.
        assert_eq!(names(&c, 2026, 11, 27, 9), ["Day", "Backup"]);
        assert_eq!(names(&c, 2026, 11, 27, 20), ["Night", "Backup"]);
        assert_eq!(names(&c, 2026, 11, 28, 7), ["Night", "Backup"]);
        assert_eq!(names(&c, 2026, 11, 28, 8), ["Backup"]);
        assert_eq!(names(&c, 2026, 11, 26, 7), ["Backup"]);
    }

    #[test]
    fn validation() {
        let bad = |json: &str| {
            serde_json::from_str::<EscalationContacts>(json)
                .map_err(|e| e.to_string())
                .and_then(|c| c.normalized().map_err(|e| e.to_string()))
                .unwrap_err()
        };
        assert!(bad(r#"{"contacts":[{"name":"A","phone":"12"}]}"#).contains("phone"));
        assert!(bad(r#"{"contacts":[{"name":"","phone":"5035550101"}]}"#).contains("name"));
        assert!(bad(r#"{"contacts":[{"name":"A","phone":"5035550101","on_call":[{"days":[],"start":"09:00","end":"10:00"}]}]}"#).contains("day"));
        assert!(bad(r#"{"contacts":[{"name":"A","phone":"5035550101","on_call":[{"days":["funday"],"start":"09:00","end":"10:00"}]}]}"#).contains("funday"));
        assert!(bad(r#"{"contacts":[{"name":"A","phone":"5035550101","on_call":[{"days":["monday"],"start":"9am","end":"10:00"}]}]}"#).contains("HH:MM"));
    }
}
