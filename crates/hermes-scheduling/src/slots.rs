//! Open consultation slots, and the check that one start time is bookable.
//!
//! Both are built on one function, [`candidate`], which turns a local date
//! and wall-clock time into a UTC slot under the crate's DST policy, so a
//! slot [`open_slots`] lists is exactly one [`is_bookable`] accepts.

use std::collections::HashMap;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, Offset, TimeZone, Timelike,
    Utc,
};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::error::Unavailable;
use crate::schedule::{AttorneyRules, Busy, Closure, TimeRange};

/// Everything needed to list or check slots. Assembled by the caller from
/// the firm's settings and what is booked; borrowed, so it is cheap to
/// build per request.
#[derive(Debug, Clone, Copy)]
pub struct SlotQuery<'a> {
    /// The firm's time zone; availability, closures and caps are local to it.
    pub tz: Tz,
    pub attorneys: &'a [AttorneyRules],
    /// Bookings, live holds and external calendar time of these attorneys
    /// (others are ignored). For [`is_bookable`] it must include at least
    /// everything on the slot's local date and within `buffer` of it.
    pub busy: &'a [Busy],
    pub closures: &'a [Closure],
    /// Consultation length for the practice area.
    pub length: Duration,
    /// Start granularity, counted from local midnight: 30 minutes gives
    /// :00 and :30.
    pub step: Duration,
    pub now: DateTime<Utc>,
    /// [`open_slots`] lists slots starting in `[from, to)`, further limited
    /// by each attorney's notice and horizon. [`is_bookable`] ignores both.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// One bookable consultation: an attorney and a UTC interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    pub attorney: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The UTC interval of a consultation starting at local `date` `time`
/// within `range`, or `None` when that local time does not exist (skipped
/// by a DST change) or the consultation would end, in local wall-clock
/// time, after the range does. A repeated local time resolves to its first
/// occurrence.
pub(crate) fn candidate(
    tz: Tz,
    date: NaiveDate,
    time: NaiveTime,
    range: &TimeRange,
    length: Duration,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = tz
        .from_local_datetime(&date.and_time(time))
        .earliest()?
        .with_timezone(&Utc);
    let end = start + length;
    let local_end = end.with_timezone(&tz).naive_local();
    (local_end <= date.and_time(range.end())).then_some((start, end))
}

/// Instants inside [`open_slots`] are i64 nanoseconds since the epoch:
/// comparing and adding them is what the hot loop does, and chrono's
/// checked date arithmetic dominated its profile. The range (1677–2262)
/// is clamped at the ends, far from any consultation.
fn ns(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

fn duration_ns(d: Duration) -> i64 {
    d.num_nanoseconds().unwrap_or(if d < Duration::zero() {
        i64::MIN
    } else {
        i64::MAX
    })
}

const NS_PER_SEC: i64 = 1_000_000_000;
const NS_PER_DAY: i64 = 86_400 * NS_PER_SEC;

/// How local times of one date map to UTC.
#[derive(Clone, Copy)]
enum Conversion {
    /// One offset all day, the usual case: plain arithmetic from the UTC
    /// instant of local midnight.
    Fixed { midnight: i64 },
    /// The offset changes during the day: ask the zone per candidate.
    Transition,
}

fn conversion(tz: Tz, date: NaiveDate) -> Conversion {
    let midnight = date.and_time(NaiveTime::MIN);
    let LocalResult::Single(offset) = tz.offset_from_local_datetime(&midnight) else {
        return Conversion::Transition;
    };
    let offset = offset.fix();
    let day_start = (midnight - Duration::seconds(offset.local_minus_utc().into())).and_utc();
    let last_second = day_start + Duration::days(1) - Duration::seconds(1);
    if tz.offset_from_utc_datetime(&last_second.naive_utc()).fix() == offset {
        Conversion::Fixed {
            midnight: ns(day_start),
        }
    } else {
        Conversion::Transition
    }
}

/// One local date of the search window.
struct Day<'c> {
    date: NaiveDate,
    closed: Option<&'c Closure>,
    conversion: Conversion,
}

/// An attorney's busy time prepared for lookups.
#[derive(Default)]
struct Blocked {
    /// Busy intervals widened by the buffer on both sides, sorted and
    /// merged, in nanoseconds.
    intervals: Vec<(i64, i64)>,
    /// Local dates of cap-counting busy intervals, sorted (one per entry).
    cap_dates: Vec<NaiveDate>,
}

impl Blocked {
    fn overlaps(&self, start: i64, end: i64) -> bool {
        // First interval ending after `start`; it overlaps iff it begins before `end`.
        let i = self.intervals.partition_point(|&(_, e)| e <= start);
        self.intervals.get(i).is_some_and(|&(s, _)| s < end)
    }

    fn cap_count(&self, date: NaiveDate) -> usize {
        let lo = self.cap_dates.partition_point(|&d| d < date);
        let hi = self.cap_dates.partition_point(|&d| d <= date);
        hi - lo
    }
}

fn nonnegative(d: Duration) -> Duration {
    d.max(Duration::zero())
}

fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

fn horizon(rules: &AttorneyRules) -> Duration {
    Duration::days(rules.horizon_days.into())
}

fn cap_reached(rules: &AttorneyRules, blocked: &Blocked, date: NaiveDate) -> bool {
    rules
        .max_per_day
        .is_some_and(|cap| blocked.cap_count(date) >= cap as usize)
}

/// Step in whole seconds, if length and step are usable.
fn step_seconds(q: &SlotQuery) -> Option<i64> {
    let step = q.step.num_seconds();
    (step > 0 && q.length > Duration::zero()).then_some(step)
}

/// Every open slot of every attorney starting in `[from, to)`, sorted by
/// `(start, attorney)`. Empty if `length` or `step` is not positive.
///
/// See the crate docs for the rules; in order: local dates in the window,
/// closures, each weekday range's grid starts that fit (DST-resolved), then
/// notice, horizon, daily cap and busy time plus buffer.
pub fn open_slots(q: &SlotQuery) -> Vec<Slot> {
    let Some(step) = step_seconds(q) else {
        return Vec::new();
    };
    let Some(latest) = q
        .attorneys
        .iter()
        .map(|a| q.now + horizon(a))
        .max()
        .map(|h| h.min(q.to))
    else {
        return Vec::new();
    };
    if latest < q.from {
        return Vec::new();
    }

    let days: Vec<Day> = local_date(q.tz, q.from)
        .iter_days()
        .take_while(|&d| d <= local_date(q.tz, latest))
        .map(|date| Day {
            date,
            closed: q.closures.iter().find(|c| c.contains(date)),
            conversion: conversion(q.tz, date),
        })
        .collect();

    let mut blocked = blocked_by_attorney(q);
    let none = Blocked::default();
    let length = duration_ns(q.length);
    let to = ns(q.to);
    // (start, end, index into q.attorneys), sorted at the end.
    let mut found: Vec<(i64, i64, usize)> = Vec::new();
    for (index, rules) in q.attorneys.iter().enumerate() {
        let blocked = blocked.remove(&rules.attorney).unwrap_or_default();
        let blocked = if blocked.intervals.is_empty() && blocked.cap_dates.is_empty() {
            &none
        } else {
            &blocked
        };
        let earliest = ns(q.from.max(q.now + nonnegative(rules.min_notice)));
        let latest = ns(q.now + horizon(rules)).min(to.saturating_sub(1));
        let first = found.len();
        for day in &days {
            if day.closed.is_some() || cap_reached(rules, blocked, day.date) {
                continue;
            }
            for range in rules.weekly.day(day.date.weekday()) {
                day_slots(q, day, range, step, length, &mut |start, end| {
                    if earliest <= start && start <= latest && !blocked.overlaps(start, end) {
                        found.push((start, end, index));
                    }
                });
            }
        }
        // Starts of one attorney come out in order; a repeated local time
        // resolves to its first occurrence, so no instant repeats, but make
        // sure of it.
        let mut tail = found.split_off(first);
        tail.dedup_by_key(|s| s.0);
        found.append(&mut tail);
    }
    found.sort_unstable_by_key(|&(start, _, i)| (start, q.attorneys[i].attorney));
    let mut out: Vec<Slot> = found
        .into_iter()
        .map(|(start, end, i)| Slot {
            attorney: q.attorneys[i].attorney,
            start: DateTime::from_timestamp_nanos(start),
            end: DateTime::from_timestamp_nanos(end),
        })
        .collect();
    // The same attorney listed twice in the query.
    out.dedup();
    out
}

/// Calls `emit(start, end)` (nanoseconds) for each grid start of `range`
/// on `day` that resolves to a slot.
fn day_slots(
    q: &SlotQuery,
    day: &Day,
    range: &TimeRange,
    step: i64,
    length: i64,
    emit: &mut impl FnMut(i64, i64),
) {
    let range_start = i64::from(range.start().num_seconds_from_midnight());
    let range_end = i64::from(range.end().num_seconds_from_midnight());
    let mut t = (range_start + step - 1).div_euclid(step) * step;
    while t < range_end {
        let local_end = (t * NS_PER_SEC).saturating_add(length);
        match day.conversion {
            // Ends the same day, so the day's one offset applies throughout.
            Conversion::Fixed { midnight } if local_end <= NS_PER_DAY => {
                if local_end > range_end * NS_PER_SEC {
                    // Later grid times end later still.
                    break;
                }
                let start = midnight.saturating_add(t * NS_PER_SEC);
                emit(start, start.saturating_add(length));
            }
            _ => {
                let time = NaiveTime::from_num_seconds_from_midnight_opt(t as u32, 0)
                    .expect("grid time within a day");
                if let Some((start, end)) = candidate(q.tz, day.date, time, range, q.length) {
                    emit(ns(start), ns(end));
                }
            }
        }
        t += step;
    }
}

fn blocked_by_attorney(q: &SlotQuery) -> HashMap<Uuid, Blocked> {
    let buffers: HashMap<Uuid, i64> = q
        .attorneys
        .iter()
        .map(|a| (a.attorney, duration_ns(nonnegative(a.buffer))))
        .collect();
    let mut map: HashMap<Uuid, Blocked> = HashMap::with_capacity(buffers.len());
    for b in q.busy {
        let Some(&buffer) = buffers.get(&b.attorney) else {
            continue;
        };
        let entry = map.entry(b.attorney).or_default();
        if b.end > b.start {
            entry.intervals.push((
                ns(b.start).saturating_sub(buffer),
                ns(b.end).saturating_add(buffer),
            ));
        }
        if b.counts_toward_cap {
            entry.cap_dates.push(local_date(q.tz, b.start));
        }
    }
    for blocked in map.values_mut() {
        blocked.intervals.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(blocked.intervals.len());
        for &(s, e) in &blocked.intervals {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        blocked.intervals = merged;
        blocked.cap_dates.sort_unstable();
    }
    map
}

/// Whether `attorney` can take a consultation starting at `start`: the
/// check to run (in the booking transaction) before placing a hold or a
/// booking. Returns the slot, or the first reason it is unavailable, checked
/// in about the order of [`Unavailable`]'s variants (attorney, query,
/// notice, horizon, closure, availability and grid, cap, conflict).
///
/// Accepts exactly the starts [`open_slots`] would list for an unbounded
/// window; `q.from` and `q.to` are ignored.
pub fn is_bookable(
    q: &SlotQuery,
    attorney: Uuid,
    start: DateTime<Utc>,
) -> Result<Slot, Unavailable> {
    let rules = q
        .attorneys
        .iter()
        .find(|a| a.attorney == attorney)
        .ok_or(Unavailable::UnknownAttorney)?;
    let step = step_seconds(q).ok_or(Unavailable::InvalidQuery)?;

    let earliest = q.now + nonnegative(rules.min_notice);
    if start < earliest {
        return Err(Unavailable::TooSoon { earliest });
    }
    let latest = q.now + horizon(rules);
    if start > latest {
        return Err(Unavailable::BeyondHorizon { latest });
    }

    let local = start.with_timezone(&q.tz).naive_local();
    let (date, time) = (local.date(), local.time());
    if let Some(c) = q.closures.iter().find(|c| c.contains(date)) {
        return Err(Unavailable::Closed {
            date,
            reason: c.reason.clone(),
        });
    }
    let range = rules
        .weekly
        .day(date.weekday())
        .iter()
        .find(|r| r.start() <= time && time < r.end())
        .ok_or(Unavailable::OutsideAvailability)?;
    if time.nanosecond() != 0 || i64::from(time.num_seconds_from_midnight()) % step != 0 {
        return Err(Unavailable::Unaligned {
            step_minutes: q.step.num_minutes(),
        });
    }
    let (slot_start, end) =
        candidate(q.tz, date, time, range, q.length).ok_or(Unavailable::OutsideAvailability)?;
    if slot_start != start {
        // The second occurrence of a repeated local time.
        return Err(Unavailable::OutsideAvailability);
    }

    let mine = || q.busy.iter().filter(|b| b.attorney == attorney);
    if let Some(cap) = rules.max_per_day {
        let used = mine()
            .filter(|b| b.counts_toward_cap && local_date(q.tz, b.start) == date)
            .count();
        if used >= cap as usize {
            return Err(Unavailable::DailyCapReached { date, cap });
        }
    }
    let buffer = nonnegative(rules.buffer);
    if let Some(b) = mine()
        .filter(|b| b.end > b.start && !(end + buffer <= b.start || b.end + buffer <= start))
        .min_by_key(|b| (b.start, b.end))
    {
        return Err(Unavailable::Conflict {
            start: b.start,
            end: b.end,
        });
    }
    Ok(Slot {
        attorney,
        start,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::WeeklySchedule;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::London;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap()
    }

    fn r(a: (u32, u32), b: (u32, u32)) -> TimeRange {
        let t = |(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        TimeRange::new(t(a), t(b)).unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// The same ranges on all seven days.
    fn every_day(ranges: &[TimeRange]) -> WeeklySchedule {
        WeeklySchedule::new(std::array::from_fn(|_| ranges.to_vec())).unwrap()
    }

    fn rules(n: u128, weekly: WeeklySchedule) -> AttorneyRules {
        AttorneyRules {
            attorney: id(n),
            weekly,
            buffer: Duration::zero(),
            min_notice: Duration::zero(),
            horizon_days: 365,
            max_per_day: None,
        }
    }

    fn busy(n: u128, start: DateTime<Utc>, minutes: i64, cap: bool) -> Busy {
        Busy {
            attorney: id(n),
            start,
            end: start + Duration::minutes(minutes),
            counts_toward_cap: cap,
        }
    }

    fn query<'a>(
        tz: Tz,
        attorneys: &'a [AttorneyRules],
        busy: &'a [Busy],
        closures: &'a [Closure],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> SlotQuery<'a> {
        SlotQuery {
            tz,
            attorneys,
            busy,
            closures,
            length: Duration::minutes(60),
            step: Duration::minutes(30),
            now: from - Duration::days(1),
            from,
            to,
        }
    }

    fn starts(slots: &[Slot]) -> Vec<DateTime<Utc>> {
        slots.iter().map(|s| s.start).collect()
    }

    /// Every listed slot is bookable, and every grid start in the window
    /// that is not listed is refused: the two functions agree.
    fn assert_consistent(q: &SlotQuery) {
        let slots = open_slots(q);
        for a in q.attorneys {
            let mut t = q.from;
            while t < q.to {
                let listed = slots
                    .iter()
                    .find(|s| s.attorney == a.attorney && s.start == t);
                match (is_bookable(q, a.attorney, t), listed) {
                    (Ok(slot), Some(listed)) => assert_eq!(&slot, listed),
                    (Err(_), None) => {}
                    (got, listed) => panic!("{t}: is_bookable {got:?}, listed {listed:?}"),
                }
                t += Duration::minutes(15);
            }
        }
    }

    #[test]
    fn generates_grid_starts_that_fit_in_each_range() {
        // Monday 2026-03-02 in New York (EST, UTC-5), 09:00-12:00 and 13:00-14:30.
        let a = [rules(
            1,
            every_day(&[r((9, 0), (12, 0)), r((13, 0), (14, 30))]),
        )];
        let q = query(
            New_York,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 5, 0),
            utc(2026, 3, 3, 5, 0),
        );
        let slots = open_slots(&q);
        let expect: Vec<_> = [
            (14, 0),
            (14, 30),
            (15, 0),
            (15, 30),
            (16, 0),
            (18, 0),
            (18, 30),
        ]
        .iter()
        .map(|&(h, m)| utc(2026, 3, 2, h, m))
        .collect();
        assert_eq!(starts(&slots), expect);
        assert!(
            slots
                .iter()
                .all(|s| s.end - s.start == Duration::minutes(60))
        );
        assert!(slots.iter().all(|s| s.attorney == id(1)));
        assert_consistent(&q);
    }

    #[test]
    fn starts_are_aligned_to_the_local_clock_not_the_range() {
        // 09:10-11:00 with a 30-minute step: 09:30 and 10:00 (ends 11:00).
        let a = [rules(1, every_day(&[r((9, 10), (11, 0))]))];
        let mut q = query(
            New_York,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 5, 0),
            utc(2026, 3, 3, 5, 0),
        );
        assert_eq!(
            starts(&open_slots(&q)),
            vec![utc(2026, 3, 2, 14, 30), utc(2026, 3, 2, 15, 0)]
        );
        q.step = Duration::minutes(15);
        q.length = Duration::minutes(45);
        assert_eq!(
            starts(&open_slots(&q)),
            [(14, 15), (14, 30), (14, 45), (15, 0), (15, 15)]
                .iter()
                .map(|&(h, m)| utc(2026, 3, 2, h, m))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 2, 14, 20)),
            Err(Unavailable::Unaligned { step_minutes: 15 })
        );
        assert_consistent(&q);
        // A zone with a 30-minute offset: still :00/:30 local.
        let india = chrono_tz::Asia::Kolkata;
        let q = query(
            india,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 0, 0),
            utc(2026, 3, 2, 18, 0),
        );
        // 09:30 IST = 04:00Z.
        assert_eq!(open_slots(&q)[0].start, utc(2026, 3, 2, 4, 0));
    }

    #[test]
    fn nonpositive_length_or_step_gives_nothing() {
        let a = [rules(1, every_day(&[r((9, 0), (17, 0))]))];
        let mut q = query(
            New_York,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 5, 0),
            utc(2026, 3, 3, 5, 0),
        );
        q.step = Duration::zero();
        assert!(open_slots(&q).is_empty());
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 2, 14, 0)),
            Err(Unavailable::InvalidQuery)
        );
        q.step = Duration::minutes(30);
        q.length = Duration::minutes(-60);
        assert!(open_slots(&q).is_empty());
    }

    #[test]
    fn new_york_spring_forward_skips_the_missing_hour() {
        // Sunday 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
        let a = [rules(1, every_day(&[r((1, 0), (4, 0))]))];
        let mut q = query(
            New_York,
            &a,
            &[],
            &[],
            utc(2026, 3, 8, 5, 0),
            utc(2026, 3, 9, 4, 0),
        );
        q.length = Duration::minutes(30);
        assert_eq!(
            starts(&open_slots(&q)),
            vec![
                utc(2026, 3, 8, 6, 0),  // 01:00 EST
                utc(2026, 3, 8, 6, 30), // 01:30 EST, ends 03:00 EDT
                utc(2026, 3, 8, 7, 0),  // 03:00 EDT
                utc(2026, 3, 8, 7, 30), // 03:30 EDT
            ]
        );
        assert_consistent(&q);

        // 60 minutes: 01:30 EST ends 03:30 EDT, inside 04:00; 03:30 does not fit.
        q.length = Duration::minutes(60);
        assert_eq!(
            starts(&open_slots(&q)),
            vec![
                utc(2026, 3, 8, 6, 0),
                utc(2026, 3, 8, 6, 30),
                utc(2026, 3, 8, 7, 0)
            ]
        );
        assert_consistent(&q);

        // A range ending at 03:00 holds only one real hour that night.
        let a = [rules(1, every_day(&[r((1, 0), (3, 0))]))];
        let q = query(
            New_York,
            &a,
            &[],
            &[],
            utc(2026, 3, 8, 5, 0),
            utc(2026, 3, 9, 4, 0),
        );
        assert_eq!(starts(&open_slots(&q)), vec![utc(2026, 3, 8, 6, 0)]);
        assert_consistent(&q);
    }

    #[test]
    fn new_york_fall_back_takes_the_first_occurrence_once() {
        // Sunday 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z).
        let a = [rules(1, every_day(&[r((0, 0), (3, 0))]))];
        let q = query(
            New_York,
            &a,
            &[],
            &[],
            utc(2026, 11, 1, 4, 0),
            utc(2026, 11, 2, 5, 0),
        );
        let slots = open_slots(&q);
        assert_eq!(
            starts(&slots),
            vec![
                utc(2026, 11, 1, 4, 0),  // 00:00 EDT
                utc(2026, 11, 1, 4, 30), // 00:30 EDT
                utc(2026, 11, 1, 5, 0),  // 01:00 EDT (first), ends 01:00 EST
                utc(2026, 11, 1, 5, 30), // 01:30 EDT (first), ends 01:30 EST
                utc(2026, 11, 1, 7, 0),  // 02:00 EST, ends 03:00
            ]
        );
        let mut unique = starts(&slots);
        unique.dedup();
        assert_eq!(unique.len(), slots.len());
        // The second 01:00 (EST) is not a start.
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 11, 1, 6, 0)),
            Err(Unavailable::OutsideAvailability)
        );
        assert_consistent(&q);
    }

    #[test]
    fn london_transitions() {
        let a = [rules(1, every_day(&[r((0, 0), (3, 0))]))];
        // Spring: Sunday 2026-03-29, 01:00 GMT jumps to 02:00 BST.
        let mut q = query(
            London,
            &a,
            &[],
            &[],
            utc(2026, 3, 29, 0, 0),
            utc(2026, 3, 29, 23, 0),
        );
        q.length = Duration::minutes(30);
        assert_eq!(
            starts(&open_slots(&q)),
            vec![
                utc(2026, 3, 29, 0, 0),
                utc(2026, 3, 29, 0, 30),
                utc(2026, 3, 29, 1, 0), // 02:00 BST
                utc(2026, 3, 29, 1, 30),
            ]
        );
        assert_consistent(&q);
        // Autumn: Sunday 2026-10-25, 02:00 BST falls back to 01:00 GMT.
        let mut q = query(
            London,
            &a,
            &[],
            &[],
            utc(2026, 10, 24, 23, 0),
            utc(2026, 10, 26, 0, 0),
        );
        q.length = Duration::minutes(30);
        assert_eq!(
            starts(&open_slots(&q)),
            vec![
                utc(2026, 10, 24, 23, 0), // 00:00 BST
                utc(2026, 10, 24, 23, 30),
                utc(2026, 10, 25, 0, 0), // 01:00 BST, first occurrence
                utc(2026, 10, 25, 0, 30),
                utc(2026, 10, 25, 2, 0), // 02:00 GMT
                utc(2026, 10, 25, 2, 30),
            ]
        );
        assert_consistent(&q);
    }

    #[test]
    fn closures_remove_whole_local_days() {
        let a = [rules(1, every_day(&[r((9, 0), (10, 0))]))];
        let from = utc(2026, 12, 21, 5, 0);
        let to = utc(2026, 12, 31, 5, 0);
        let one = [Closure::day(date(2026, 12, 22), "Office move")];
        let q = query(New_York, &a, &[], &one, from, to);
        let days: Vec<_> = open_slots(&q)
            .iter()
            .map(|s| s.start.with_timezone(&New_York).date_naive())
            .collect();
        assert_eq!(days.len(), 9);
        assert!(!days.contains(&date(2026, 12, 22)));
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 12, 22, 14, 0)),
            Err(Unavailable::Closed {
                date: date(2026, 12, 22),
                reason: "Office move".into()
            })
        );
        let range = [Closure::new(date(2026, 12, 24), date(2026, 12, 26), "Holidays").unwrap()];
        let q = query(New_York, &a, &[], &range, from, to);
        let days: Vec<_> = open_slots(&q)
            .iter()
            .map(|s| s.start.with_timezone(&New_York).date_naive())
            .collect();
        assert_eq!(
            days,
            [21, 22, 23, 27, 28, 29, 30]
                .iter()
                .map(|&d| date(2026, 12, d))
                .collect::<Vec<_>>()
        );
        assert_consistent(&q);
    }

    #[test]
    fn closures_are_local_dates_not_utc_dates() {
        // 20:00-21:00 New York on Dec 23 is 01:00-02:00Z on Dec 24; a
        // closure of Dec 24 does not touch it.
        let a = [rules(1, every_day(&[r((20, 0), (21, 0))]))];
        let c = [Closure::day(date(2026, 12, 24), "Holiday")];
        let q = query(
            New_York,
            &a,
            &[],
            &c,
            utc(2026, 12, 23, 5, 0),
            utc(2026, 12, 25, 5, 0),
        );
        assert_eq!(starts(&open_slots(&q)), vec![utc(2026, 12, 24, 1, 0)]);
    }

    #[test]
    fn buffer_applies_before_and_after_a_meeting() {
        // 09:00-17:00 New York, busy 12:00-13:00 (17:00-18:00Z), buffer 30.
        let mut a = [rules(1, every_day(&[r((9, 0), (17, 0))]))];
        a[0].buffer = Duration::minutes(30);
        let b = [busy(1, utc(2026, 3, 2, 17, 0), 60, true)];
        let q = query(
            New_York,
            &a,
            &b,
            &[],
            utc(2026, 3, 2, 5, 0),
            utc(2026, 3, 3, 5, 0),
        );
        let got = starts(&open_slots(&q));
        // 10:30 ends 11:30, exactly the buffer before 12:00: allowed.
        assert!(got.contains(&utc(2026, 3, 2, 15, 30)));
        // 11:00 ends 12:00: inside the buffer.
        assert!(!got.contains(&utc(2026, 3, 2, 16, 0)));
        assert!(!got.contains(&utc(2026, 3, 2, 16, 30)));
        assert!(!got.contains(&utc(2026, 3, 2, 17, 0)));
        // 13:00 starts at the end: inside the buffer; 13:30 exactly after it.
        assert!(!got.contains(&utc(2026, 3, 2, 18, 0)));
        assert!(got.contains(&utc(2026, 3, 2, 18, 30)));
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 2, 18, 0)),
            Err(Unavailable::Conflict {
                start: utc(2026, 3, 2, 17, 0),
                end: utc(2026, 3, 2, 18, 0)
            })
        );
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 15, 30)).is_ok());
        assert_consistent(&q);
    }

    #[test]
    fn buffer_boundary_matches_the_database_rule() {
        // e + b == bs and be + b == s are both free, one second less is not.
        let mut a = [rules(1, every_day(&[r((0, 0), (23, 59))]))];
        a[0].buffer = Duration::minutes(15);
        let mut q = query(
            Tz::UTC,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 0, 0),
            utc(2026, 3, 3, 0, 0),
        );
        q.step = Duration::minutes(15);
        let meeting = busy(1, utc(2026, 3, 2, 12, 0), 60, false);
        let b = [meeting];
        q.busy = &b;
        // Slot 10:45-11:45, +15 = 12:00 = bs.
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 10, 45)).is_ok());
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 11, 0)).is_err());
        // be + b = 13:15 = s.
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 13, 15)).is_ok());
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 13, 0)).is_err());
        // Off the grid by a second the rule still holds in open_slots' terms.
        let near = [Busy {
            end: utc(2026, 3, 2, 13, 0) + Duration::seconds(1),
            ..meeting
        }];
        q.busy = &near;
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 13, 15)).is_err());
        assert_consistent(&q);
        // Negative buffers count as none.
        let mut a2 = a.clone();
        a2[0].buffer = Duration::minutes(-30);
        q.attorneys = &a2;
        q.busy = &b;
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 11, 0)).is_ok());
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 11, 30)).is_err());
        assert_consistent(&q);
    }

    #[test]
    fn external_calendar_time_blocks_but_does_not_count_toward_the_cap() {
        let mut a = [rules(1, every_day(&[r((9, 0), (17, 0))]))];
        a[0].max_per_day = Some(1);
        // Two external meetings on Monday 2026-03-02 (14:00-15:00, 16:00-16:30Z).
        let b = [
            busy(1, utc(2026, 3, 2, 14, 0), 60, false),
            busy(1, utc(2026, 3, 2, 16, 0), 30, false),
        ];
        let q = query(
            New_York,
            &a,
            &b,
            &[],
            utc(2026, 3, 2, 5, 0),
            utc(2026, 3, 3, 5, 0),
        );
        let got = starts(&open_slots(&q));
        assert!(!got.contains(&utc(2026, 3, 2, 14, 0)));
        assert!(!got.contains(&utc(2026, 3, 2, 15, 30)));
        assert!(got.contains(&utc(2026, 3, 2, 15, 0)));
        assert!(got.contains(&utc(2026, 3, 2, 16, 30)));
        assert_consistent(&q);
    }

    #[test]
    fn daily_cap_counts_bookings_and_holds_per_local_date() {
        let mut a = [rules(1, every_day(&[r((9, 0), (17, 0))]))];
        a[0].max_per_day = Some(2);
        let b = [
            // Monday 2026-03-02: two cap-counting → full.
            busy(1, utc(2026, 3, 2, 14, 0), 60, true),
            busy(1, utc(2026, 3, 2, 16, 0), 60, true),
            // Tuesday: one booking and one external → one left.
            busy(1, utc(2026, 3, 3, 14, 0), 60, true),
            busy(1, utc(2026, 3, 3, 16, 0), 60, false),
            // 23:30 Tuesday New York = 04:30Z Wednesday: counts for Tuesday.
            busy(1, utc(2026, 3, 4, 4, 30), 30, false),
            // Someone else's bookings do not count.
            busy(2, utc(2026, 3, 4, 14, 0), 60, true),
            busy(2, utc(2026, 3, 4, 16, 0), 60, true),
        ];
        let q = query(
            New_York,
            &a,
            &b,
            &[],
            utc(2026, 3, 2, 5, 0),
            utc(2026, 3, 5, 5, 0),
        );
        let days: Vec<_> = open_slots(&q)
            .iter()
            .map(|s| s.start.with_timezone(&New_York).date_naive())
            .collect();
        assert!(!days.contains(&date(2026, 3, 2)));
        assert!(days.contains(&date(2026, 3, 3)));
        assert!(days.contains(&date(2026, 3, 4)));
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 2, 19, 0)),
            Err(Unavailable::DailyCapReached {
                date: date(2026, 3, 2),
                cap: 2
            })
        );
        assert_consistent(&q);

        // A cap-counting booking late in the local evening counts for that
        // local date even though its UTC date is the next.
        a[0].max_per_day = Some(1);
        let late = [busy(1, utc(2026, 3, 3, 3, 0), 30, true)]; // 22:00 Monday EST
        let q = query(
            New_York,
            &a,
            &late,
            &[],
            utc(2026, 3, 2, 5, 0),
            utc(2026, 3, 4, 5, 0),
        );
        let days: Vec<_> = open_slots(&q)
            .iter()
            .map(|s| s.start.with_timezone(&New_York).date_naive())
            .collect();
        assert!(!days.contains(&date(2026, 3, 2)));
        assert!(days.contains(&date(2026, 3, 3)));

        a[0].max_per_day = Some(0);
        let q = query(
            New_York,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 5, 0),
            utc(2026, 3, 4, 5, 0),
        );
        assert!(open_slots(&q).is_empty());
    }

    #[test]
    fn minimum_notice_and_horizon() {
        let mut a = [rules(1, every_day(&[r((9, 0), (17, 0))]))];
        a[0].min_notice = Duration::hours(24);
        a[0].horizon_days = 2;
        let mut q = query(
            Tz::UTC,
            &a,
            &[],
            &[],
            utc(2026, 3, 1, 0, 0),
            utc(2026, 3, 10, 0, 0),
        );
        q.now = utc(2026, 3, 2, 10, 15);
        let got = open_slots(&q);
        assert_eq!(got.first().unwrap().start, utc(2026, 3, 3, 10, 30));
        // now + 2 days = 2026-03-04 10:15; 10:00 is the last start.
        assert_eq!(got.last().unwrap().start, utc(2026, 3, 4, 10, 0));
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 3, 10, 0)),
            Err(Unavailable::TooSoon {
                earliest: utc(2026, 3, 3, 10, 15)
            })
        );
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 4, 10, 30)),
            Err(Unavailable::BeyondHorizon {
                latest: utc(2026, 3, 4, 10, 15)
            })
        );
        assert!(is_bookable(&q, id(1), utc(2026, 3, 3, 10, 30)).is_ok());
        assert_consistent(&q);

        // A start exactly at now + notice is allowed.
        let mut a2 = a.clone();
        a2[0].min_notice = Duration::minutes(45);
        q.attorneys = &a2;
        assert_eq!(
            open_slots(&q).first().unwrap().start,
            utc(2026, 3, 2, 11, 0)
        );
        q.now = utc(2026, 3, 2, 10, 30);
        assert_eq!(
            open_slots(&q).first().unwrap().start,
            utc(2026, 3, 2, 11, 30)
        );
        assert!(is_bookable(&q, id(1), utc(2026, 3, 2, 11, 15)).is_err());
    }

    #[test]
    fn window_is_start_in_from_to() {
        let a = [rules(1, every_day(&[r((9, 0), (17, 0))]))];
        let q = query(
            Tz::UTC,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 10, 0),
            utc(2026, 3, 2, 11, 0),
        );
        assert_eq!(
            starts(&open_slots(&q)),
            vec![utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 10, 30)]
        );
        let q = query(
            Tz::UTC,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 11, 0),
            utc(2026, 3, 2, 10, 0),
        );
        assert!(open_slots(&q).is_empty());
    }

    #[test]
    fn several_attorneys_sorted_by_start_then_attorney() {
        let mut b_rules = rules(2, every_day(&[r((9, 30), (11, 0))]));
        b_rules.buffer = Duration::minutes(30);
        let a = [b_rules, rules(1, every_day(&[r((9, 0), (11, 0))]))];
        let bz = [
            busy(1, utc(2026, 3, 2, 9, 0), 30, true),
            busy(3, utc(2026, 3, 2, 10, 0), 60, true),
        ];
        let q = query(
            Tz::UTC,
            &a,
            &bz,
            &[],
            utc(2026, 3, 2, 0, 0),
            utc(2026, 3, 3, 0, 0),
        );
        let got: Vec<_> = open_slots(&q)
            .iter()
            .map(|s| (s.start, s.attorney))
            .collect();
        assert_eq!(
            got,
            vec![
                (utc(2026, 3, 2, 9, 30), id(1)),
                (utc(2026, 3, 2, 9, 30), id(2)),
                (utc(2026, 3, 2, 10, 0), id(1)),
                (utc(2026, 3, 2, 10, 0), id(2)),
            ]
        );
        assert_eq!(
            is_bookable(&q, id(3), utc(2026, 3, 2, 9, 30)),
            Err(Unavailable::UnknownAttorney)
        );
        assert_consistent(&q);
    }

    #[test]
    fn is_bookable_outside_availability() {
        let a = [rules(
            1,
            WeeklySchedule::weekdays(&[r((9, 0), (12, 0))]).unwrap(),
        )];
        let q = query(
            Tz::UTC,
            &a,
            &[],
            &[],
            utc(2026, 3, 2, 0, 0),
            utc(2026, 3, 9, 0, 0),
        );
        // Saturday.
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 7, 9, 0)),
            Err(Unavailable::OutsideAvailability)
        );
        // Monday 08:30 and 12:00.
        for t in [utc(2026, 3, 2, 8, 30), utc(2026, 3, 2, 12, 0)] {
            assert_eq!(
                is_bookable(&q, id(1), t),
                Err(Unavailable::OutsideAvailability)
            );
        }
        // 11:30 would run past 12:00.
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 2, 11, 30)),
            Err(Unavailable::OutsideAvailability)
        );
        // Not a whole second.
        assert_eq!(
            is_bookable(&q, id(1), utc(2026, 3, 2, 9, 0) + Duration::milliseconds(1)),
            Err(Unavailable::Unaligned { step_minutes: 30 })
        );
        let ok = is_bookable(&q, id(1), utc(2026, 3, 2, 11, 0)).unwrap();
        assert_eq!(ok.end, utc(2026, 3, 2, 12, 0));
        assert_consistent(&q);
    }

    #[test]
    fn unavailable_messages_read_well() {
        assert_eq!(
            Unavailable::DailyCapReached {
                date: date(2026, 3, 2),
                cap: 3
            }
            .to_string(),
            "the attorney's limit of 3 consultations on 2026-03-02 is reached"
        );
        assert_eq!(
            Unavailable::Unaligned { step_minutes: 30 }.to_string(),
            "not on the 30-minute booking grid"
        );
    }

    #[test]
    fn month_of_slots_across_dst_is_consistent() {
        let mut a = [
            rules(
                1,
                every_day(&[r((0, 0), (3, 0)), r((9, 0), (12, 0)), r((13, 0), (17, 0))]),
            ),
            rules(2, every_day(&[r((1, 0), (2, 30)), r((22, 0), (23, 59))])),
        ];
        a[0].buffer = Duration::minutes(15);
        a[0].max_per_day = Some(3);
        a[1].buffer = Duration::minutes(10);
        let b = [
            busy(1, utc(2026, 11, 1, 5, 0), 45, true),
            busy(2, utc(2026, 11, 1, 6, 15), 20, false),
            busy(1, utc(2026, 10, 30, 14, 0), 60, true),
        ];
        for tz in [New_York, London, chrono_tz::Australia::Lord_Howe] {
            let mut q = query(
                tz,
                &a,
                &b,
                &[],
                utc(2026, 10, 24, 0, 0),
                utc(2026, 11, 3, 0, 0),
            );
            q.step = Duration::minutes(15);
            q.length = Duration::minutes(45);
            assert_consistent(&q);
            let slots = open_slots(&q);
            assert!(
                slots
                    .windows(2)
                    .all(|w| (w[0].start, w[0].attorney) < (w[1].start, w[1].attorney))
            );
        }
    }

    #[test]
    fn a_year_of_transitions_in_odd_zones_is_consistent() {
        // Lord Howe moves by 30 minutes; Santiago and Havana change at
        // midnight, so local midnight itself is skipped or repeated.
        let a = [rules(
            1,
            every_day(&[r((0, 0), (3, 0)), r((22, 0), (23, 59))]),
        )];
        for tz in [
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::America::Santiago,
            chrono_tz::America::Havana,
            New_York,
        ] {
            let mut q = query(
                tz,
                &a,
                &[],
                &[],
                utc(2026, 1, 1, 0, 0),
                utc(2027, 1, 1, 0, 0),
            );
            q.length = Duration::minutes(45);
            assert_consistent(&q);
            let slots = open_slots(&q);
            assert!(slots.windows(2).all(|w| w[0].start < w[1].start), "{tz}");
            for s in &slots {
                let local = s.start.with_timezone(&tz);
                assert_eq!(local.time().minute() % 30, 0, "{tz} {local}");
            }
        }
    }
}
