//! An attorney as the scheduler sees them: which practice areas they take
//! consultations in, when, and the rules that keep their calendar humane
//! (a buffer between meetings, notice before one, how far ahead, how many a
//! day).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use hermes_core::Email;
use hermes_scheduling::WeeklySchedule;

use crate::{OfficeKey, ParseError, PracticeAreaKey, PracticeAreas, text};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Attorney {
    #[cfg_attr(feature = "openapi", schema(example = "Maria Lopez"))]
    pub name: String,
    /// The HERMES user this attorney signs in as, if any.
    #[serde(default)]
    pub user_id: Option<Uuid>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "maria@smithjones.example"))]
    pub email: Option<String>,
    /// Keys of the firm's practice areas this attorney takes.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["family"])))]
    pub practice_areas: Vec<PracticeAreaKey>,
    /// The office this attorney works from (firms with offices, the
    /// Enterprise plan): their availability is in that office's time zone
    /// and its closures apply. None: the firm's zone and closures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "seattle"))]
    pub office: Option<OfficeKey>,
    /// When this attorney takes consultations, in their office's time zone
    /// (the firm's, without offices).
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({"tuesday": [{"start": "09:00", "end": "12:00"}]})))]
    pub availability: WeeklySchedule,
    /// Minimum gap between two meetings, 0 to 240 minutes.
    #[serde(default = "default_buffer")]
    pub buffer_minutes: u32,
    /// No consultation starts sooner than this after booking, 0 to 20160
    /// minutes (two weeks).
    #[serde(default = "default_notice")]
    pub min_notice_minutes: u32,
    /// How many days ahead consultations can be booked, 1 to 365.
    #[serde(default = "default_horizon")]
    pub horizon_days: u32,
    /// At most this many consultations a day (1 to 50), if set.
    #[serde(default)]
    pub max_per_day: Option<u32>,
    /// An inactive attorney is offered no slots.
    #[serde(default = "default_active")]
    pub active: bool,
}

fn default_buffer() -> u32 {
    15
}
fn default_notice() -> u32 {
    120
}
fn default_horizon() -> u32 {
    30
}
fn default_active() -> bool {
    true
}

impl Attorney {
    /// Checks the attorney on its own and against the firm's practice areas.
    pub fn validate(&self, firm_areas: &PracticeAreas) -> Result<(), ParseError> {
        text("name", &self.name, 120)?;
        if let Some(e) = &self.email {
            Email::parse(e)?;
        }
        if self.practice_areas.is_empty() {
            return Err(ParseError::new(
                "practice_areas",
                "name at least one practice area",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for k in &self.practice_areas {
            if !seen.insert(k) {
                return Err(ParseError::new(
                    "practice_areas",
                    format!("{k} is listed twice"),
                ));
            }
            if firm_areas.get(k).is_none() {
                return Err(ParseError::new(
                    "practice_areas",
                    format!("{k} is not one of the firm's practice areas"),
                ));
            }
        }
        let range = |field: &'static str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(ParseError::new(field, format!("must be {lo} to {hi}")))
            }
        };
        range("buffer_minutes", self.buffer_minutes, 0, 240)?;
        range("min_notice_minutes", self.min_notice_minutes, 0, 20_160)?;
        range("horizon_days", self.horizon_days, 1, 365)?;
        if let Some(m) = self.max_per_day {
            range("max_per_day", m, 1, 50)?;
        }
        Ok(())
    }

    /// Trims and lower-cases what people type, then validates.
    pub fn normalized(mut self, firm_areas: &PracticeAreas) -> Result<Self, ParseError> {
        self.name = text("name", &self.name, 120)?;
        self.email = self
            .email
            .map(|e| Email::parse(&e).map(|e| e.as_ref().to_owned()))
            .transpose()?;
        self.validate(firm_areas)?;
        Ok(self)
    }

    /// This attorney's rules in the scheduler's terms.
    pub fn rules(&self, id: Uuid) -> hermes_scheduling::AttorneyRules {
        hermes_scheduling::AttorneyRules {
            attorney: id,
            weekly: self.availability.clone(),
            buffer: chrono::Duration::minutes(i64::from(self.buffer_minutes)),
            min_notice: chrono::Duration::minutes(i64::from(self.min_notice_minutes)),
            horizon_days: self.horizon_days,
            max_per_day: self.max_per_day,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firm() -> PracticeAreas {
        serde_json::from_str(
            r#"{"areas":[{"key":"family","consultation_minutes":30,"free_consultation":true}]}"#,
        )
        .unwrap()
    }

    fn attorney(extra: &str) -> Result<Attorney, String> {
        let json = format!(
            r#"{{"name":" Maria Lopez ","practice_areas":["family"],
                "availability":{{"tuesday":[{{"start":"09:00","end":"12:00"}}]}}{extra}}}"#
        );
        let a: Attorney = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        a.normalized(&firm()).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_normalisation() {
        let a = attorney(r#","email":" Maria@Firm.Example ""#).unwrap();
        assert_eq!(a.name, "Maria Lopez");
        assert_eq!(a.email.as_deref(), Some("maria@firm.example"));
        assert_eq!(
            (a.buffer_minutes, a.min_notice_minutes, a.horizon_days),
            (15, 120, 30)
        );
        assert!(a.active);
        let r = a.rules(Uuid::nil());
        assert_eq!(r.buffer, chrono::Duration::minutes(15));
        assert_eq!(r.horizon_days, 30);
    }

    #[test]
    fn rules_are_enforced() {
        for (extra, field) in [
            (r#","buffer_minutes":241"#, "buffer_minutes"),
            (r#","min_notice_minutes":20161"#, "min_notice_minutes"),
            (r#","horizon_days":0"#, "horizon_days"),
            (r#","max_per_day":0"#, "max_per_day"),
            (r#","email":"nope""#, "email"),
        ] {
            let e = attorney(extra).unwrap_err();
            assert!(e.starts_with(field), "{extra}: {e}");
        }
        let a: Attorney = serde_json::from_str(
            r#"{"name":"X","practice_areas":["immigration"],"availability":{}}"#,
        )
        .unwrap();
        let e = a.validate(&firm()).unwrap_err();
        assert!(e.reason.contains("not one of the firm's"), "{e}");
        assert!(
            serde_json::from_str::<Attorney>(
                r#"{"name":"X","practice_areas":["Bad Key"],"availability":{}}"#
            )
            .is_err()
        );
    }
}
