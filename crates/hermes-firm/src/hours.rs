//! When the firm is open, when it is closed, and what the agent does with a
//! caller who rings outside those hours.
//!
//! Business hours are about answering calls; when attorneys take
//! consultations is each [`crate::Attorney`]'s own availability. Closures
//! (holidays, an office move) apply to both: no consultation is offered on a
//! closed day.

use serde::{Deserialize, Serialize};

use hermes_scheduling::{Closure, WeeklySchedule};

use crate::ParseError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Hours {
    /// Opening hours per weekday in the firm's time zone, e.g.
    /// `{"monday": [{"start": "09:00", "end": "17:00"}]}`; a missing day is
    /// closed.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({"monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]})))]
    pub weekly: WeeklySchedule,
    /// Whole days the office is closed (inclusive ranges of local dates).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>, example = json!([{"start": "2026-12-24", "end": "2026-12-26", "reason": "Holidays"}])))]
    pub closures: Vec<Closure>,
    pub after_hours: AfterHoursPolicy,
}

/// What the agent does with a call outside business hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AfterHoursPolicy {
    /// Full intake and booking, as during the day.
    Book,
    /// Take the caller's details and a message; no booking.
    TakeMessage,
    /// Take a message, but escalate urgent matters to the on-call contact.
    EscalateUrgentOnly,
}

pub const MAX_CLOSURES: usize = 400;

impl Hours {
    pub fn validate(&self) -> Result<(), ParseError> {
        if self.closures.len() > MAX_CLOSURES {
            return Err(ParseError::new(
                "closures",
                format!("at most {MAX_CLOSURES} closures"),
            ));
        }
        for c in &self.closures {
            if c.start > c.end {
                return Err(ParseError::new(
                    "closures",
                    format!("{} ends before it starts", c.start),
                ));
            }
            if c.reason.chars().count() > 200 || c.reason.chars().any(char::is_control) {
                return Err(ParseError::new(
                    "closures",
                    "a reason is at most 200 characters, without control characters",
                ));
            }
        }
        Ok(())
    }

    /// Whether the office is open at `at`: inside the day's hours in the
    /// firm's zone, and not on a closure day.
    pub fn is_open(&self, tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> bool {
        use chrono::Datelike;
        let local = at.with_timezone(&tz);
        let (date, time) = (local.date_naive(), local.time());
        if self.closures.iter().any(|c| c.contains(date)) {
            return false;
        }
        self.weekly
            .day(date.weekday())
            .iter()
            .any(|r| r.start() <= time && time < r.end())
    }

    /// Weekdays 9 to 5, no closures, messages after hours: what a new firm
    /// starts with until its admin says otherwise.
    pub fn default_for_new_firm() -> Self {
        serde_json::from_value(serde_json::json!({
            "weekly": {
                "monday": [{"start": "09:00", "end": "17:00"}],
                "tuesday": [{"start": "09:00", "end": "17:00"}],
                "wednesday": [{"start": "09:00", "end": "17:00"}],
                "thursday": [{"start": "09:00", "end": "17:00"}],
                "friday": [{"start": "09:00", "end": "17:00"}],
            },
            "after_hours": "take_message",
        }))
        .expect("default hours are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let h: Hours = serde_json::from_str(
            r#"{"weekly":{"monday":[{"start":"09:00","end":"17:00"}]},
                "closures":[{"start":"2026-12-24","end":"2026-12-26","reason":"Holidays"}],
                "after_hours":"escalate_urgent_only"}"#,
        )
        .unwrap();
        h.validate().unwrap();
        assert_eq!(h.after_hours, AfterHoursPolicy::EscalateUrgentOnly);
        assert!(
            serde_json::from_str::<Hours>(r#"{"weekly":{},"after_hours":"sometimes"}"#).is_err()
        );
        assert!(
            serde_json::from_str::<Hours>(
                r#"{"weekly":{"monday":[{"start":"17:00","end":"09:00"}]},"after_hours":"book"}"#
            )
            .is_err()
        );
        Hours::default_for_new_firm().validate().unwrap();
    }

    #[test]
    fn open_follows_hours_closures_and_the_zone() {
        use chrono::TimeZone;
        let h: Hours = serde_json::from_str(
            r#"{"weekly":{"friday":[{"start":"09:00","end":"17:00"}]},
                "closures":[{"start":"2026-12-25","end":"2026-12-25","reason":"Holiday"}],
                "after_hours":"book"}"#,
        )
        .unwrap();
        let tz = chrono_tz::America::Los_Angeles;
        let at = |y, m, d, hh, mm| {
            tz.with_ymd_and_hms(y, m, d, hh, mm, 0)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert!(h.is_open(tz, at(2026, 11, 27, 9, 0)));
        assert!(h.is_open(tz, at(2026, 11, 27, 16, 59)));
        assert!(!h.is_open(tz, at(2026, 11, 27, 17, 0)));
        assert!(!h.is_open(tz, at(2026, 11, 27, 8, 59)));
        assert!(!h.is_open(tz, at(2026, 11, 26, 12, 0)), "Thursday");
        assert!(!h.is_open(tz, at(2026, 12, 25, 12, 0)), "a closed Friday");
        // 9 am in Los Angeles is noon in New York: the firm's zone counts.
        assert!(!h.is_open(chrono_tz::America::New_York, at(2026, 11, 27, 15, 0)));
    }
}
