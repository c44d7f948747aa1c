//! The inputs: weekly consultation hours, closures, per-attorney rules and
//! the times an attorney is already busy.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ScheduleError, hhmm};

/// A span of local wall-clock time within one day, `start < end`, in whole
/// minutes. Ranges cannot cross midnight; the latest possible end is 23:59.
///
/// Serialised as `{"start":"09:00","end":"12:30"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeRange {
    start: NaiveTime,
    end: NaiveTime,
}

impl TimeRange {
    /// A range from `start` to `end`; fails unless `start < end` and both
    /// are whole minutes.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, ScheduleError> {
        if start.second() != 0
            || start.nanosecond() != 0
            || end.second() != 0
            || end.nanosecond() != 0
        {
            return Err(ScheduleError::NotWholeMinutes { start, end });
        }
        if start >= end {
            return Err(ScheduleError::EmptyRange { start, end });
        }
        Ok(Self { start, end })
    }

    pub fn start(&self) -> NaiveTime {
        self.start
    }

    pub fn end(&self) -> NaiveTime {
        self.end
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", hhmm(&self.start), hhmm(&self.end))
    }
}

/// `HH:MM` on the wire.
#[derive(Clone, Copy)]
struct HhMm(NaiveTime);

impl Serialize for HhMm {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hhmm(&self.0))
    }
}

impl<'de> Deserialize<'de> for HhMm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_hhmm(&text).map(HhMm).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid time {text:?}, expected HH:MM (00:00 to 23:59)"
            ))
        })
    }
}

fn parse_hhmm(text: &str) -> Option<NaiveTime> {
    let (h, m) = text.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || !digits(m) || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    start: HhMm,
    end: HhMm,
}

impl Serialize for TimeRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawRange {
            start: HhMm(self.start),
            end: HhMm(self.end),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for TimeRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawRange::deserialize(d)?;
        TimeRange::new(raw.start.0, raw.end.0).map_err(serde::de::Error::custom)
    }
}

/// Consultation hours per weekday, Monday first. Each day's ranges are
/// sorted and do not overlap; ranges that touch (`09:00-12:00`,
/// `12:00-17:00`) are joined into one, since a consultation may run across
/// the seam.
///
/// Serialised as an object keyed `monday` … `sunday`, each an array of
/// ranges; a missing key is a closed day. Deserialising validates and
/// names the offending day in the error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklySchedule {
    days: [Vec<TimeRange>; 7],
}

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

impl WeeklySchedule {
    /// `days[0]` is Monday. Ranges may come in any order; overlapping ones
    /// are refused, touching ones joined.
    pub fn new(days: [Vec<TimeRange>; 7]) -> Result<Self, ScheduleError> {
        let mut out: [Vec<TimeRange>; 7] = Default::default();
        for (i, mut ranges) in days.into_iter().enumerate() {
            ranges.sort();
            let mut merged: Vec<TimeRange> = Vec::with_capacity(ranges.len());
            for r in ranges {
                match merged.last_mut() {
                    Some(prev) if r.start < prev.end => {
                        return Err(ScheduleError::Overlap {
                            day: WEEK[i],
                            first: (prev.start, prev.end),
                            second: (r.start, r.end),
                        });
                    }
                    Some(prev) if r.start == prev.end => prev.end = r.end,
                    _ => merged.push(r),
                }
            }
            out[i] = merged;
        }
        Ok(Self { days: out })
    }

    /// The same ranges every weekday Monday to Friday, weekends closed.
    pub fn weekdays(ranges: &[TimeRange]) -> Result<Self, ScheduleError> {
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        for day in days.iter_mut().take(5) {
            *day = ranges.to_vec();
        }
        Self::new(days)
    }

    /// The ranges of one weekday, sorted.
    pub fn day(&self, day: Weekday) -> &[TimeRange] {
        &self.days[day.num_days_from_monday() as usize]
    }

    /// No consultation hours at all.
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWeek {
    #[serde(default)]
    monday: Vec<RawRange>,
    #[serde(default)]
    tuesday: Vec<RawRange>,
    #[serde(default)]
    wednesday: Vec<RawRange>,
    #[serde(default)]
    thursday: Vec<RawRange>,
    #[serde(default)]
    friday: Vec<RawRange>,
    #[serde(default)]
    saturday: Vec<RawRange>,
    #[serde(default)]
    sunday: Vec<RawRange>,
}

impl Serialize for WeeklySchedule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = |day: &[TimeRange]| {
            day.iter()
                .map(|r| RawRange {
                    start: HhMm(r.start),
                    end: HhMm(r.end),
                })
                .collect()
        };
        let [mo, tu, we, th, fr, sa, su] = &self.days;
        RawWeek {
            monday: raw(mo),
            tuesday: raw(tu),
            wednesday: raw(we),
            thursday: raw(th),
            friday: raw(fr),
            saturday: raw(sa),
            sunday: raw(su),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for WeeklySchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawWeek::deserialize(d)?;
        let raw_days = [
            raw.monday,
            raw.tuesday,
            raw.wednesday,
            raw.thursday,
            raw.friday,
            raw.saturday,
            raw.sunday,
        ];
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        for (i, ranges) in raw_days.into_iter().enumerate() {
            for r in ranges {
                let range = TimeRange::new(r.start.0, r.end.0).map_err(|_| {
                    serde::de::Error::custom(ScheduleError::DayRange {
                        day: WEEK[i],
                        start: r.start.0,
                        end: r.end.0,
                    })
                })?;
                days[i].push(range);
            }
        }
        WeeklySchedule::new(days).map_err(serde::de::Error::custom)
    }
}

/// Whole local days (in the firm's zone) without consultations: holidays,
/// office moves. `end` is inclusive.
///
/// Serialised as `{"start":"2026-12-24","end":"2026-12-26","reason":"Holidays"}`;
/// deserialising checks `start <= end`. The fields are public for reading;
/// build one with [`Closure::new`]. A closure whose `end` is before its
/// `start` covers no day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub reason: String,
}

impl Closure {
    pub fn new(
        start: NaiveDate,
        end: NaiveDate,
        reason: impl Into<String>,
    ) -> Result<Self, ScheduleError> {
        if start > end {
            return Err(ScheduleError::ClosureBackwards { start, end });
        }
        Ok(Self {
            start,
            end,
            reason: reason.into(),
        })
    }

    /// A one-day closure.
    pub fn day(date: NaiveDate, reason: impl Into<String>) -> Self {
        Self {
            start: date,
            end: date,
            reason: reason.into(),
        }
    }

    /// Whether the firm is closed on this local date.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }
}

impl<'de> Deserialize<'de> for Closure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            start: NaiveDate,
            end: NaiveDate,
            #[serde(default)]
            reason: String,
        }
        let raw = Raw::deserialize(d)?;
        Closure::new(raw.start, raw.end, raw.reason).map_err(serde::de::Error::custom)
    }
}

/// How one attorney takes consultations.
///
/// Negative durations are treated as zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttorneyRules {
    pub attorney: uuid::Uuid,
    /// Consultation hours, in the **firm's** time zone.
    pub weekly: WeeklySchedule,
    /// Least gap between two meetings (see the crate docs for the rule).
    pub buffer: Duration,
    /// No slot starts before `now + min_notice`.
    pub min_notice: Duration,
    /// No slot starts after `now + horizon_days` days.
    pub horizon_days: u32,
    /// At most this many consultations per local day; bookings and holds
    /// ([`Busy::counts_toward_cap`]) count. `Some(0)` closes every day.
    pub max_per_day: Option<u32>,
}

/// A time an attorney is not free: a booking or a live hold
/// (`counts_toward_cap: true`) or time from their external calendar
/// (`counts_toward_cap: false`). The meeting's own times, **without** the
/// buffer, which is added here according to the attorney's rules.
///
/// A busy interval counts toward the cap of the local date it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Busy {
    pub attorney: uuid::Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub counts_toward_cap: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn r(a: (u32, u32), b: (u32, u32)) -> TimeRange {
        TimeRange::new(t(a.0, a.1), t(b.0, b.1)).unwrap()
    }

    #[test]
    fn time_range_must_start_before_it_ends() {
        assert!(TimeRange::new(t(9, 0), t(9, 1)).is_ok());
        assert_eq!(
            TimeRange::new(t(9, 0), t(9, 0)),
            Err(ScheduleError::EmptyRange {
                start: t(9, 0),
                end: t(9, 0)
            })
        );
        assert!(TimeRange::new(t(12, 0), t(9, 0)).is_err());
        let with_seconds = NaiveTime::from_hms_opt(9, 0, 30).unwrap();
        assert!(matches!(
            TimeRange::new(with_seconds, t(10, 0)),
            Err(ScheduleError::NotWholeMinutes { .. })
        ));
    }

    #[test]
    fn time_range_serde_is_hh_mm() {
        let range = r((9, 0), (12, 30));
        let json = serde_json::to_string(&range).unwrap();
        assert_eq!(json, r#"{"start":"09:00","end":"12:30"}"#);
        assert_eq!(serde_json::from_str::<TimeRange>(&json).unwrap(), range);
        // A single-digit hour is accepted.
        assert_eq!(
            serde_json::from_str::<TimeRange>(r#"{"start":"9:00","end":"12:30"}"#).unwrap(),
            range
        );
        for bad in [
            r#"{"start":"09:00","end":"24:00"}"#,
            r#"{"start":"09:60","end":"10:00"}"#,
            r#"{"start":"0900","end":"10:00"}"#,
            r#"{"start":"09:00:00","end":"10:00"}"#,
            r#"{"start":"09:0","end":"10:00"}"#,
            r#"{"start":"09:00"}"#,
            r#"{"start":"09:00","end":"10:00","note":"x"}"#,
        ] {
            assert!(serde_json::from_str::<TimeRange>(bad).is_err(), "{bad}");
        }
        let err = serde_json::from_str::<TimeRange>(r#"{"start":"12:00","end":"09:00"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("12:00-09:00 must start before it ends"),
            "{err}"
        );
        let err = serde_json::from_str::<TimeRange>(r#"{"start":"25:00","end":"26:00"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(r#"invalid time "25:00", expected HH:MM"#),
            "{err}"
        );
    }

    #[test]
    fn weekly_schedule_sorts_and_joins_touching_ranges() {
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        days[0] = vec![
            r((13, 0), (17, 0)),
            r((9, 0), (12, 0)),
            r((12, 0), (12, 30)),
        ];
        days[4] = vec![r((10, 0), (11, 0))];
        let week = WeeklySchedule::new(days).unwrap();
        assert_eq!(
            week.day(Weekday::Mon),
            &[r((9, 0), (12, 30)), r((13, 0), (17, 0))]
        );
        assert_eq!(week.day(Weekday::Fri), &[r((10, 0), (11, 0))]);
        assert!(week.day(Weekday::Sun).is_empty());
        assert!(!week.is_empty());
        assert!(WeeklySchedule::new(Default::default()).unwrap().is_empty());
        assert!(WeeklySchedule::default().is_empty());
    }

    #[test]
    fn weekly_schedule_refuses_overlaps_naming_the_day() {
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        days[2] = vec![r((9, 0), (12, 0)), r((11, 0), (13, 0))];
        let err = WeeklySchedule::new(days).unwrap_err();
        assert_eq!(
            err,
            ScheduleError::Overlap {
                day: Weekday::Wed,
                first: (t(9, 0), t(12, 0)),
                second: (t(11, 0), t(13, 0)),
            }
        );
        assert_eq!(
            err.to_string(),
            "wednesday: time ranges 09:00-12:00 and 11:00-13:00 overlap"
        );
        // A range inside another overlaps too.
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        days[6] = vec![r((9, 0), (17, 0)), r((10, 0), (11, 0))];
        assert!(matches!(
            WeeklySchedule::new(days),
            Err(ScheduleError::Overlap {
                day: Weekday::Sun,
                ..
            })
        ));
    }

    #[test]
    fn weekly_schedule_serde_round_trips_and_missing_days_are_closed() {
        let json = r#"{"monday":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"17:00"}],
                       "thursday":[{"start":"10:00","end":"11:30"}]}"#;
        let week: WeeklySchedule = serde_json::from_str(json).unwrap();
        assert_eq!(
            week.day(Weekday::Mon),
            &[r((9, 0), (12, 0)), r((13, 0), (17, 0))]
        );
        assert_eq!(week.day(Weekday::Thu), &[r((10, 0), (11, 30))]);
        for d in [
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ] {
            assert!(week.day(d).is_empty());
        }
        let out = serde_json::to_value(&week).unwrap();
        assert_eq!(out["monday"][1]["end"], "17:00");
        assert_eq!(out["sunday"], serde_json::json!([]));
        assert_eq!(serde_json::from_value::<WeeklySchedule>(out).unwrap(), week);
        assert!(
            serde_json::from_str::<WeeklySchedule>("{}")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn weekly_schedule_deserialisation_errors_name_the_day() {
        let err = serde_json::from_str::<WeeklySchedule>(
            r#"{"tuesday":[{"start":"17:00","end":"09:00"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("tuesday: time range 17:00-09:00 must start before it ends"),
            "{err}"
        );

        let err = serde_json::from_str::<WeeklySchedule>(
            r#"{"friday":[{"start":"09:00","end":"12:00"},{"start":"11:59","end":"13:00"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("friday: time ranges 09:00-12:00 and 11:59-13:00 overlap"),
            "{err}"
        );

        let err = serde_json::from_str::<WeeklySchedule>(r#"{"mondays":[]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `mondays`"), "{err}");
    }

    #[test]
    fn weekdays_helper_leaves_the_weekend_closed() {
        let week = WeeklySchedule::weekdays(&[r((9, 0), (17, 0))]).unwrap();
        assert_eq!(week.day(Weekday::Fri), &[r((9, 0), (17, 0))]);
        assert!(week.day(Weekday::Sat).is_empty());
        assert!(week.day(Weekday::Sun).is_empty());
    }

    #[test]
    fn closures_are_inclusive_and_validated() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
        let c = Closure::new(d(24), d(26), "Holidays").unwrap();
        assert!(!c.contains(d(23)));
        assert!(c.contains(d(24)) && c.contains(d(25)) && c.contains(d(26)));
        assert!(!c.contains(d(27)));
        assert!(Closure::day(d(31), "NYE").contains(d(31)));
        assert_eq!(
            Closure::new(d(26), d(24), "x"),
            Err(ScheduleError::ClosureBackwards {
                start: d(26),
                end: d(24)
            })
        );

        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"start":"2026-12-24","end":"2026-12-26","reason":"Holidays"}"#
        );
        assert_eq!(serde_json::from_str::<Closure>(&json).unwrap(), c);
        let err = serde_json::from_str::<Closure>(r#"{"start":"2026-12-26","end":"2026-12-24"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("closure ends (2026-12-24) before it starts (2026-12-26)"),
            "{err}"
        );
    }
}
