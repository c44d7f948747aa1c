//! Why a schedule is invalid, and why a requested slot cannot be had.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};

/// An availability schedule or closure that does not make sense.
///
/// Messages name the weekday the way the JSON does (`monday`), so an admin
/// who typed the schedule can find the mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// A time range must start before it ends (ranges cannot cross
    /// midnight: split them at 23:59 / 00:00 instead).
    #[error("time range {}-{} must start before it ends", hhmm(.start), hhmm(.end))]
    EmptyRange { start: NaiveTime, end: NaiveTime },
    /// Availability is in whole minutes.
    #[error("time range {start}-{end} must be in whole minutes")]
    NotWholeMinutes { start: NaiveTime, end: NaiveTime },
    /// A range of one weekday is invalid.
    #[error("{}: time range {}-{} must start before it ends", day_key(*.day), hhmm(.start), hhmm(.end))]
    DayRange {
        day: Weekday,
        start: NaiveTime,
        end: NaiveTime,
    },
    /// Two ranges of one weekday overlap.
    #[error(
        "{}: time ranges {}-{} and {}-{} overlap",
        day_key(*.day), hhmm(&.first.0), hhmm(&.first.1), hhmm(&.second.0), hhmm(&.second.1)
    )]
    Overlap {
        day: Weekday,
        first: (NaiveTime, NaiveTime),
        second: (NaiveTime, NaiveTime),
    },
    /// A closure's last day is before its first.
    #[error("closure ends ({end}) before it starts ({start})")]
    ClosureBackwards { start: NaiveDate, end: NaiveDate },
}

/// Why [`crate::is_bookable`] refused a start time.
///
/// The storage layer maps these to its API errors; the intake agent to what
/// it says ("that's a little too soon", "we're closed that day").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    /// The attorney is not among the query's attorneys.
    #[error("unknown attorney")]
    UnknownAttorney,
    /// The query's length or step is zero or negative.
    #[error("consultation length and step must be positive")]
    InvalidQuery,
    /// Starts before `now + min_notice`.
    #[error("starts before the earliest bookable time {earliest}")]
    TooSoon { earliest: DateTime<Utc> },
    /// Starts after `now + horizon_days`.
    #[error("starts after the latest bookable time {latest}")]
    BeyondHorizon { latest: DateTime<Utc> },
    /// The firm is closed on that local date.
    #[error("the firm is closed on {date}: {reason}")]
    Closed { date: NaiveDate, reason: String },
    /// Not within the attorney's weekly availability (including local
    /// times skipped by a daylight-saving change, the second occurrence of
    /// a repeated local time, and slots that would run past a range's end).
    #[error("outside the attorney's consultation hours")]
    OutsideAvailability,
    /// Within availability, but not on the `step` grid (e.g. 09:10 with a
    /// 30-minute step) or not on a whole second.
    #[error("not on the {step_minutes}-minute booking grid")]
    Unaligned { step_minutes: i64 },
    /// The attorney already has `cap` cap-counting meetings that local day.
    #[error("the attorney's limit of {cap} consultations on {date} is reached")]
    DailyCapReached { date: NaiveDate, cap: u32 },
    /// Overlaps a busy interval of the attorney or the buffer around it.
    /// `start`/`end` are the busy interval's own times (without buffer).
    #[error("conflicts with a meeting from {start} to {end} or the buffer around it")]
    Conflict {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
}

/// The JSON key of a weekday: `monday` … `sunday`.
pub(crate) fn day_key(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

pub(crate) fn hhmm(t: &NaiveTime) -> String {
    t.format("%H:%M").to_string()
}
