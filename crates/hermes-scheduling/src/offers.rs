//! What the receptionist offers: two or three concrete times that honour
//! what the caller asked for ("Tuesday morning", "after 5"), spread out so
//! the choice is a real one.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::slots::Slot;
use crate::spoken::spoken;

/// When a caller would like to come in, as understood from their words.
///
/// Times of day are in the caller's zone (the `tz` given to
/// [`Preference::parse`] and [`offers`]); `Tomorrow` and `NextWeek` are
/// relative to the `now` given to [`offers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preference {
    /// No constraint; earliest first.
    Asap,
    /// Starts from 6 am to before noon (a caller who asks for mornings
    /// does not mean 2 am, even when an attorney's calendar allows it).
    Morning,
    /// Starts from noon to before 5 pm.
    Afternoon,
    /// Starts from 5 pm to before 10 pm.
    Evening,
    /// Starts at or after this local time.
    After(NaiveTime),
    /// Ends by this local time, the same day.
    Before(NaiveTime),
    /// On this weekday.
    Weekday(Weekday),
    /// On this local date.
    Date(NaiveDate),
    /// On the local date after `now`'s.
    Tomorrow,
    /// In the calendar week (Monday to Sunday) after `now`'s.
    NextWeek,
    /// All of these hold ("Tuesday morning": `[Weekday(Tue), Morning]`).
    Combined(Vec<Preference>),
    /// Any of these holds ("Monday or Wednesday", "the weekend").
    AnyOf(Vec<Preference>),
}

/// Two or three options for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offers {
    /// In chronological order.
    pub options: Vec<Offer>,
    /// `false` when nothing matched the preference and `options` are the
    /// closest alternatives instead, so the agent can say so ("I don't have
    /// anything Tuesday morning, but …"). Also `false` when there are no
    /// options at all.
    pub matched_preference: bool,
}

/// One option: the slot to hold if the caller takes it, and how to say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub slot: Slot,
    /// [`spoken`] in the caller's zone.
    pub spoken: String,
}

/// Least distance between two options on the same local day.
const SAME_DAY_SPACING: Duration = Duration::hours(2);
/// At most this many options on one day while other days have room.
const PER_DAY: usize = 2;

/// Picks up to `count` options from `slots` (normally 2 or 3) for a caller
/// in `tz`. Slots starting before `now` are ignored.
///
/// Options honour `preference` when any slot does. Otherwise the
/// preference is relaxed, keeping its days and dropping its time of day
/// ("Tuesday morning" → Tuesday), then keeping its time of day (→ any
/// morning), then dropping it; `matched_preference` is then `false`.
///
/// Among the eligible slots the earliest are taken, spread out: two options
/// on the same local day start at least two hours apart, and no more than
/// two fall on one day while another day has room. Only when that leaves
/// fewer than `count` are the rules loosened (first the per-day limit, then
/// the spacing). With several attorneys free at the same time, one
/// option is made for that time (the first attorney in slot order).
pub fn offers(
    slots: &[Slot],
    preference: &Preference,
    now: DateTime<Utc>,
    tz: Tz,
    count: usize,
) -> Offers {
    let future: Vec<&Slot> = slots.iter().filter(|s| s.start >= now).collect();
    let (pool, matched_preference) = if *preference == Preference::Asap {
        (future, true)
    } else {
        // Each slot's local time, once, for all the tiers.
        let when: Vec<When> = future.iter().map(|s| When::of(s, tz)).collect();
        let today = today(now, tz);
        let mut tiers = vec![preference.clone()];
        tiers.extend(preference.relaxations());
        tiers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let pool: Vec<&Slot> = future
                    .iter()
                    .zip(&when)
                    .filter(|(_, w)| p.test(w, today))
                    .map(|(s, _)| *s)
                    .collect();
                (pool, i == 0)
            })
            .find(|(pool, _)| !pool.is_empty())
            .unwrap_or_else(|| (future.clone(), false))
    };
    let matched_preference = matched_preference && !pool.is_empty();

    let mut picks = pick(pool, count, tz);
    picks.sort_by_key(|s| (s.start, s.attorney));
    Offers {
        options: picks
            .into_iter()
            .map(|slot| Offer {
                slot: *slot,
                spoken: spoken(slot.start, tz),
            })
            .collect(),
        matched_preference,
    }
}

fn pick(mut pool: Vec<&Slot>, count: usize, tz: Tz) -> Vec<&Slot> {
    pool.sort_by_key(|s| (s.start, s.attorney));
    let day = |s: &Slot| s.start.with_timezone(&tz).date_naive();
    let mut picks: Vec<(&Slot, NaiveDate)> = Vec::with_capacity(count);
    'passes: for (per_day, spacing) in [
        (PER_DAY, SAME_DAY_SPACING),
        (usize::MAX, SAME_DAY_SPACING),
        (usize::MAX, Duration::zero()),
    ] {
        for &slot in &pool {
            if picks.len() >= count {
                break 'passes;
            }
            let d = day(slot);
            let mut same_day = picks.iter().filter(|(_, pd)| *pd == d).map(|(p, _)| p);
            let fits = same_day.clone().count() < per_day
                && same_day
                    .all(|p| (p.start - slot.start).abs() >= spacing && p.start != slot.start);
            if fits {
                picks.push((slot, d));
            }
        }
    }
    picks.into_iter().map(|(s, _)| s).collect()
}

/// A slot in the caller's local time.
struct When {
    date: NaiveDate,
    time: NaiveTime,
    end: NaiveDateTime,
}

impl When {
    fn of(slot: &Slot, tz: Tz) -> Self {
        let start = slot.start.with_timezone(&tz).naive_local();
        Self {
            date: start.date(),
            time: start.time(),
            end: slot.end.with_timezone(&tz).naive_local(),
        }
    }
}

fn today(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

fn noon() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).expect("valid")
}

fn five_pm() -> NaiveTime {
    NaiveTime::from_hms_opt(17, 0, 0).expect("valid")
}

fn six_am() -> NaiveTime {
    NaiveTime::from_hms_opt(6, 0, 0).expect("valid")
}

fn ten_pm() -> NaiveTime {
    NaiveTime::from_hms_opt(22, 0, 0).expect("valid")
}

impl Preference {
    /// Whether `slot` satisfies this preference for a caller in `tz`.
    pub fn matches(&self, slot: &Slot, now: DateTime<Utc>, tz: Tz) -> bool {
        self.test(&When::of(slot, tz), today(now, tz))
    }

    fn test(&self, w: &When, today: NaiveDate) -> bool {
        match self {
            Preference::Asap => true,
            Preference::Morning => six_am() <= w.time && w.time < noon(),
            Preference::Afternoon => noon() <= w.time && w.time < five_pm(),
            Preference::Evening => five_pm() <= w.time && w.time < ten_pm(),
            Preference::After(t) => w.time >= *t,
            Preference::Before(t) => w.end.date() == w.date && w.end.time() <= *t,
            Preference::Weekday(d) => w.date.weekday() == *d,
            Preference::Date(d) => w.date == *d,
            Preference::Tomorrow => today.succ_opt() == Some(w.date),
            Preference::NextWeek => {
                let next_monday = today.week(Weekday::Mon).first_day() + Duration::days(7);
                next_monday <= w.date && w.date < next_monday + Duration::days(7)
            }
            Preference::Combined(all) => all.iter().all(|p| p.test(w, today)),
            Preference::AnyOf(any) => any.iter().any(|p| p.test(w, today)),
        }
    }

    /// Whether this is about which day, rather than which time of day.
    fn is_about_days(&self) -> bool {
        match self {
            Preference::Weekday(_)
            | Preference::Date(_)
            | Preference::Tomorrow
            | Preference::NextWeek => true,
            Preference::Combined(v) | Preference::AnyOf(v) => {
                !v.is_empty() && v.iter().all(Preference::is_about_days)
            }
            _ => false,
        }
    }

    /// Looser preferences to try, in order, when nothing matches this one:
    /// its day part alone, then its time-of-day part alone.
    fn relaxations(&self) -> Vec<Preference> {
        let Preference::Combined(parts) = self else {
            return Vec::new();
        };
        let (days, times): (Vec<Preference>, Vec<Preference>) =
            parts.iter().cloned().partition(Preference::is_about_days);
        [days, times]
            .into_iter()
            .filter(|v| !v.is_empty() && v.len() < parts.len())
            .map(|v| combine(v, Preference::Combined))
            .collect()
    }

    /// Understands what a caller said about when they would like to come
    /// in; anything not understood adds no constraint, so unintelligible
    /// text gives [`Preference::Asap`]. `now` and `tz` (the caller's zone)
    /// resolve "today", dates without a year and day-of-month ordinals.
    ///
    /// The grammar, case-insensitive, words in any order:
    ///
    /// * `asap`, `as soon as possible`, `soonest`, `earliest`, `first
    ///   available`, `any time`, `anytime`, `whenever`: no constraint.
    /// * Days (alternatives, "monday or wednesday"): weekday names and
    ///   their abbreviations and plurals (`tuesdays`, `tue`, `tues`; not
    ///   `sat` and `sun`, which are words too),
    ///   `weekend`, `weekday(s)`, `today`, `tonight` (today, evening),
    ///   `tomorrow`, month dates (`march 3`, `march 3rd`, `3rd of march`,
    ///   `3/10` as month/day, `2026-03-10`), a bare ordinal (`the 14th`:
    ///   the next such day of a month). `next tuesday` is a Tuesday.
    /// * `next week`: the following Monday–Sunday; combines with days
    ///   ("tuesday next week").
    /// * Parts of the day (alternatives): `morning(s)`, `afternoon(s)`,
    ///   `evening(s)`, `night(s)`.
    /// * Bounds (all apply): `after T`, `from T`, `later than T`, `before
    ///   T`, `by T`, `earlier than T`, where T is `5`, `5pm`, `5 pm`,
    ///   `5 p.m.`, `5:30`, `17:00`, `5 o'clock`, `noon`, `midday`,
    ///   `lunch` (after lunch 13:00, before lunch 12:00), `work`
    ///   (after work 17:00). A bare hour 1–6 is taken as afternoon
    ///   (`after 5` = 17:00), 7–11 as morning.
    pub fn parse(text: &str, now: DateTime<Utc>, tz: Tz) -> Preference {
        Parser::new(text, today(now, tz)).parse()
    }
}

/// One constraint, or `Combined`/`AnyOf` of several.
fn combine(mut v: Vec<Preference>, join: fn(Vec<Preference>) -> Preference) -> Preference {
    match v.len() {
        0 => Preference::Asap,
        1 => v.remove(0),
        _ => join(v),
    }
}

struct Parser {
    tokens: Vec<String>,
    today: NaiveDate,
    days: Vec<Preference>,
    week: Option<Preference>,
    parts: Vec<Preference>,
    bounds: Vec<Preference>,
}

impl Parser {
    fn new(text: &str, today: NaiveDate) -> Self {
        let lower = text
            .to_lowercase()
            .replace("a.m.", "am")
            .replace("p.m.", "pm")
            .replace("o'clock", "oclock")
            .replace("o’clock", "oclock");
        let tokens = lower
            .split(|c: char| !(c.is_alphanumeric() || matches!(c, ':' | '/' | '-')))
            .map(|t| t.trim_matches('-').to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        Self {
            tokens,
            today,
            days: Vec::new(),
            week: None,
            parts: Vec::new(),
            bounds: Vec::new(),
        }
    }

    fn tok(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", String::as_str)
    }

    fn push_day(&mut self, p: Preference) {
        if !self.days.contains(&p) {
            self.days.push(p);
        }
    }

    fn push_part(&mut self, p: Preference) {
        if !self.parts.contains(&p) {
            self.parts.push(p);
        }
    }

    fn parse(mut self) -> Preference {
        let mut i = 0;
        while i < self.tokens.len() {
            i += self.step(i).max(1);
        }
        let mut all = Vec::new();
        all.extend(self.week.take());
        if !self.days.is_empty() {
            all.push(combine(std::mem::take(&mut self.days), Preference::AnyOf));
        }
        if !self.parts.is_empty() {
            all.push(combine(std::mem::take(&mut self.parts), Preference::AnyOf));
        }
        all.append(&mut self.bounds);
        combine(all, Preference::Combined)
    }

    /// Reads what starts at token `i`; returns how many tokens it used.
    fn step(&mut self, i: usize) -> usize {
        let t = self.tok(i).to_owned();
        let next = self.tok(i + 1).to_owned();
        match t.as_str() {
            "next" if next == "week" => {
                self.week = Some(Preference::NextWeek);
                2
            }
            "tomorrow" | "tmrw" => {
                self.push_day(Preference::Tomorrow);
                1
            }
            "today" => {
                self.push_day(Preference::Date(self.today));
                1
            }
            "tonight" => {
                self.push_day(Preference::Date(self.today));
                self.push_part(Preference::Evening);
                1
            }
            "weekend" | "weekends" => {
                self.push_day(Preference::Weekday(Weekday::Sat));
                self.push_day(Preference::Weekday(Weekday::Sun));
                1
            }
            "weekday" | "weekdays" => {
                for w in [
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri,
                ] {
                    self.push_day(Preference::Weekday(w));
                }
                1
            }
            "morning" | "mornings" => {
                self.push_part(Preference::Morning);
                1
            }
            "afternoon" | "afternoons" => {
                self.push_part(Preference::Afternoon);
                1
            }
            "evening" | "evenings" | "night" | "nights" => {
                self.push_part(Preference::Evening);
                1
            }
            "after" | "from" | "since" => self.bound(i + 1, true).map_or(1, |n| n + 1),
            "before" | "by" | "until" | "till" => self.bound(i + 1, false).map_or(1, |n| n + 1),
            "later" | "earlier" if next == "than" => {
                self.bound(i + 2, t == "later").map_or(2, |n| n + 2)
            }
            _ => {
                if let Some(w) = weekday(&t) {
                    self.push_day(Preference::Weekday(w));
                    1
                } else if let Some((date, used)) = self.date_at(i) {
                    self.push_day(Preference::Date(date));
                    used
                } else {
                    1
                }
            }
        }
    }

    /// A time bound starting at token `i`.
    fn bound(&mut self, i: usize, after: bool) -> Option<usize> {
        let (time, used) = match self.tok(i) {
            "noon" | "midday" => (noon(), 1),
            "lunch" | "lunchtime" => (
                if after {
                    NaiveTime::from_hms_opt(13, 0, 0)?
                } else {
                    noon()
                },
                1,
            ),
            "work" if after => (five_pm(), 1),
            _ => parse_clock(self.tok(i), self.tok(i + 1), self.tok(i + 2))?,
        };
        self.bounds.push(if after {
            Preference::After(time)
        } else {
            Preference::Before(time)
        });
        Some(used)
    }

    /// A calendar date starting at token `i`, with the tokens it used.
    fn date_at(&self, i: usize) -> Option<(NaiveDate, usize)> {
        let t = self.tok(i);
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Some((d, 1));
        }
        if let Some((m, d)) = t.split_once('/') {
            let (m, d) = (m.parse().ok()?, d.parse().ok()?);
            return Some((self.next_date(m, d)?, 1));
        }
        if let Some(m) = month(t) {
            // "march 3", "march 3rd", "march the 3rd"
            let j = if self.tok(i + 1) == "the" {
                i + 2
            } else {
                i + 1
            };
            let d = day_number(self.tok(j))?;
            return Some((self.next_date(m, d)?, j - i + 1));
        }
        if let Some(d) = day_number(t) {
            // "3rd of march", "3 march", or "the 14th"
            let j = if self.tok(i + 1) == "of" {
                i + 2
            } else {
                i + 1
            };
            if let Some(m) = month(self.tok(j)) {
                return Some((self.next_date(m, d)?, j - i + 1));
            }
            if t.len() > 2 && i > 0 && self.tok(i - 1) == "the" {
                return Some((self.next_day_of_month(d)?, 1));
            }
        }
        None
    }

    /// The first `month`/`day` on or after today.
    fn next_date(&self, month: u32, day: u32) -> Option<NaiveDate> {
        let y = self.today.year();
        (y..=y + 4)
            .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
            .find(|d| *d >= self.today)
    }

    fn next_day_of_month(&self, day: u32) -> Option<NaiveDate> {
        let mut first = self.today.with_day(1)?;
        for _ in 0..13 {
            if let Some(d) = first.with_day(day).filter(|d| *d >= self.today) {
                return Some(d);
            }
            first = first.checked_add_months(chrono::Months::new(1))?;
        }
        None
    }
}

/// A clock time from up to three tokens ("5", "5pm", "5 pm", "5:30pm",
/// "17:00", "5 oclock"), with the number of tokens used.
fn parse_clock(a: &str, b: &str, c: &str) -> Option<(NaiveTime, usize)> {
    let (body, mut meridiem) = if let Some(x) = a.strip_suffix("am") {
        (x, Some(false))
    } else if let Some(x) = a.strip_suffix("pm") {
        (x, Some(true))
    } else {
        (a, None)
    };
    let mut used = 1;
    if meridiem.is_none() {
        match b {
            "am" => (meridiem, used) = (Some(false), 2),
            "pm" => (meridiem, used) = (Some(true), 2),
            "oclock" => used = 2,
            "o" if c == "clock" => used = 3,
            _ => {}
        }
    }
    let (h, m) = match body.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None => (body.parse::<u32>().ok()?, 0),
    };
    if body.is_empty() || h > 23 || m > 59 {
        return None;
    }
    let h = match meridiem {
        Some(_) if h == 0 || h > 12 => return None,
        Some(false) => h % 12,
        Some(true) => h % 12 + 12,
        // Office hours: "after 5" is 5 pm, "before 9" is 9 am.
        None if (1..=6).contains(&h) => h + 12,
        None => h,
    };
    Some((NaiveTime::from_hms_opt(h, m, 0)?, used))
}

fn weekday(t: &str) -> Option<Weekday> {
    let w = match t.strip_suffix('s').unwrap_or(t) {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" | "weds" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        // No "sat" or "sun": they are words as well.
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    };
    Some(w)
}

fn month(t: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if t.len() < 3 {
        return None;
    }
    let t = if t == "sept" { "sep" } else { t };
    // Full names, or three-letter abbreviations ("mar", "sep"). "may" is
    // also a verb; it only becomes a date when a day number follows.
    MONTHS
        .iter()
        .position(|m| *m == t || (t.len() == 3 && m.starts_with(t)))
        .map(|i| i as u32 + 1)
}

/// `3`, `3rd`, `14th` → day of month.
fn day_number(t: &str) -> Option<u32> {
    let digits = t
        .strip_suffix("st")
        .or_else(|| t.strip_suffix("nd"))
        .or_else(|| t.strip_suffix("rd"))
        .or_else(|| t.strip_suffix("th"))
        .unwrap_or(t);
    let d: u32 = digits.parse().ok()?;
    (1..=31).contains(&d).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::New_York;
    use uuid::Uuid;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap()
    }

    /// Monday 2026-03-02, 10:00 in New York (EST).
    fn now() -> DateTime<Utc> {
        utc(2026, 3, 2, 15, 0)
    }

    fn parse(text: &str) -> Preference {
        Preference::parse(text, now(), New_York)
    }

    /// A New York local slot of one hour.
    fn slot(attorney: u128, d: u32, h: u32, m: u32) -> Slot {
        let start = New_York
            .with_ymd_and_hms(2026, 3, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc);
        Slot {
            attorney: Uuid::from_u128(attorney),
            start,
            end: start + Duration::hours(1),
        }
    }

    /// Half-hourly 09:00-16:00 starts on the given March days.
    fn calendar(days: &[u32]) -> Vec<Slot> {
        let mut v = Vec::new();
        for &d in days {
            for half in 0..15 {
                v.push(slot(1, d, 9 + half / 2, (half % 2) * 30));
            }
        }
        v
    }

    fn local(o: &Offers) -> Vec<(u32, u32, u32)> {
        o.options
            .iter()
            .map(|o| {
                let l = o.slot.start.with_timezone(&New_York);
                (
                    l.day(),
                    chrono::Timelike::hour(&l),
                    chrono::Timelike::minute(&l),
                )
            })
            .collect()
    }

    #[test]
    fn parses_the_phrases_of_the_issue() {
        use Preference::*;
        assert_eq!(parse("mornings"), Morning);
        assert_eq!(parse("after 5"), After(t(17, 0)));
        assert_eq!(parse("after 5pm"), After(t(17, 0)));
        assert_eq!(parse("before noon"), Before(t(12, 0)));
        assert_eq!(parse("Tuesday"), Weekday(chrono::Weekday::Tue));
        assert_eq!(
            parse("tuesday morning"),
            Combined(vec![Weekday(chrono::Weekday::Tue), Morning])
        );
        assert_eq!(parse("as soon as possible"), Asap);
        assert_eq!(parse("tomorrow"), Tomorrow);
        assert_eq!(parse("next week"), NextWeek);
        assert_eq!(parse("any time"), Asap);
        assert_eq!(parse("no idea, you pick"), Asap);
        assert_eq!(parse(""), Asap);
    }

    #[test]
    fn parses_times() {
        use Preference::*;
        assert_eq!(parse("After 5 PM"), After(t(17, 0)));
        assert_eq!(parse("after 5 p.m."), After(t(17, 0)));
        assert_eq!(parse("after 5:30pm"), After(t(17, 30)));
        assert_eq!(parse("after 5 o'clock"), After(t(17, 0)));
        assert_eq!(parse("after 10am"), After(t(10, 0)));
        assert_eq!(parse("after 10"), After(t(10, 0)));
        assert_eq!(parse("after 12"), After(t(12, 0)));
        assert_eq!(parse("after 12am"), After(t(0, 0)));
        assert_eq!(parse("after 17:00"), After(t(17, 0)));
        assert_eq!(parse("before 9"), Before(t(9, 0)));
        assert_eq!(parse("by 3"), Before(t(15, 0)));
        assert_eq!(parse("earlier than 11:30"), Before(t(11, 30)));
        assert_eq!(parse("later than 2"), After(t(14, 0)));
        assert_eq!(parse("after lunch"), After(t(13, 0)));
        assert_eq!(parse("before lunch"), Before(t(12, 0)));
        assert_eq!(parse("after work"), After(t(17, 0)));
        assert_eq!(
            parse("I'm free after 2 but before 5"),
            Combined(vec![After(t(14, 0)), Before(t(17, 0))])
        );
        // Not a time: ignored.
        assert_eq!(parse("after 25"), Asap);
        assert_eq!(parse("after 13pm"), Asap);
    }

    #[test]
    fn parses_days() {
        use Preference::*;
        use chrono::Weekday::*;
        assert_eq!(parse("Tues"), Weekday(Tue));
        assert_eq!(parse("thursdays"), Weekday(Thu));
        assert_eq!(parse("next tuesday"), Weekday(Tue));
        assert_eq!(parse("Tuesday, as soon as possible"), Weekday(Tue));
        assert_eq!(parse("May I come in on Friday?"), Weekday(Fri));
        // Apostrophes separate words: "we'd" is not Wednesday.
        assert_eq!(parse("we'd prefer mornings"), Morning);
        assert_eq!(parse("I sat by the phone; any sunny day"), Asap);
        assert_eq!(
            parse("monday or wednesday afternoon"),
            Combined(vec![AnyOf(vec![Weekday(Mon), Weekday(Wed)]), Afternoon])
        );
        assert_eq!(parse("morning or evening"), AnyOf(vec![Morning, Evening]));
        assert_eq!(
            parse("the weekend"),
            AnyOf(vec![Weekday(Sat), Weekday(Sun)])
        );
        assert_eq!(
            parse("tuesday next week"),
            Combined(vec![NextWeek, Weekday(Tue)])
        );
        assert_eq!(parse("today"), Date(date(2026, 3, 2)));
        assert_eq!(
            parse("tonight"),
            Combined(vec![Date(date(2026, 3, 2)), Evening])
        );
        assert_eq!(
            parse("tomorrow after 3"),
            Combined(vec![Tomorrow, After(t(15, 0))])
        );
        assert_eq!(parse("March 10th"), Date(date(2026, 3, 10)));
        assert_eq!(parse("march 10"), Date(date(2026, 3, 10)));
        assert_eq!(parse("march the 10th"), Date(date(2026, 3, 10)));
        assert_eq!(parse("the 10th of March"), Date(date(2026, 3, 10)));
        assert_eq!(parse("10 mar"), Date(date(2026, 3, 10)));
        assert_eq!(parse("3/10"), Date(date(2026, 3, 10)));
        assert_eq!(parse("2026-04-01"), Date(date(2026, 4, 1)));
        assert_eq!(parse("on the 14th"), Date(date(2026, 3, 14)));
        assert_eq!(parse("on the 1st"), Date(date(2026, 4, 1)));
        // A date already past this year is next year's.
        assert_eq!(parse("january 5"), Date(date(2027, 1, 5)));
        assert_eq!(parse("february 30"), Asap);
    }

    #[test]
    fn matching() {
        let s = |d, h, m| slot(1, d, h, m);
        let m = |p: &Preference, s: Slot| p.matches(&s, now(), New_York);
        use Preference::*;
        assert!(m(&Morning, s(3, 11, 30)) && !m(&Morning, s(3, 12, 0)));
        assert!(m(&Morning, s(3, 6, 0)) && !m(&Morning, s(3, 5, 30)));
        assert!(m(&Evening, s(3, 21, 30)) && !m(&Evening, s(3, 22, 0)));
        assert!(
            m(&Afternoon, s(3, 12, 0))
                && m(&Afternoon, s(3, 16, 30))
                && !m(&Afternoon, s(3, 17, 0))
        );
        assert!(m(&Evening, s(3, 17, 0)) && !m(&Evening, s(3, 16, 59)));
        assert!(m(&After(t(17, 0)), s(3, 17, 0)) && !m(&After(t(17, 0)), s(3, 16, 30)));
        // Before: the consultation is over by then.
        assert!(m(&Before(t(12, 0)), s(3, 11, 0)) && !m(&Before(t(12, 0)), s(3, 11, 30)));
        assert!(m(&Weekday(chrono::Weekday::Tue), s(3, 9, 0)));
        assert!(!m(&Weekday(chrono::Weekday::Tue), s(4, 9, 0)));
        assert!(
            m(&Tomorrow, s(3, 9, 0)) && !m(&Tomorrow, s(4, 9, 0)) && !m(&Tomorrow, s(2, 15, 0))
        );
        // Next week is Monday 9th to Sunday 15th.
        assert!(!m(&NextWeek, s(8, 9, 0)) && m(&NextWeek, s(9, 9, 0)) && m(&NextWeek, s(15, 9, 0)));
        assert!(!m(&NextWeek, s(16, 9, 0)));
        assert!(m(&Date(date(2026, 3, 4)), s(4, 9, 0)));
        assert!(m(&Asap, s(20, 3, 0)));
    }

    #[test]
    fn asap_offers_the_earliest_spread_out() {
        let slots = calendar(&[3, 4, 5, 6]);
        let o = offers(&slots, &Preference::Asap, now(), New_York, 3);
        assert!(o.matched_preference);
        assert_eq!(local(&o), vec![(3, 9, 0), (3, 11, 0), (4, 9, 0)]);
        assert_eq!(
            o.options[0].spoken,
            "Tuesday, March 3rd at 9 in the morning, Eastern time"
        );
        assert_eq!(
            o.options[1].spoken,
            "Tuesday, March 3rd at 11 in the morning, Eastern time"
        );
        let two = offers(&slots, &Preference::Asap, now(), New_York, 2);
        assert_eq!(local(&two), vec![(3, 9, 0), (3, 11, 0)]);
    }

    #[test]
    fn honours_the_preference() {
        let slots = calendar(&[3, 4, 5, 6]);
        let o = offers(&slots, &parse("afternoons"), now(), New_York, 3);
        assert!(o.matched_preference);
        assert_eq!(local(&o), vec![(3, 12, 0), (3, 14, 0), (4, 12, 0)]);

        let o = offers(
            &slots,
            &parse("thursday or friday morning"),
            now(),
            New_York,
            3,
        );
        assert!(o.matched_preference);
        assert_eq!(local(&o), vec![(5, 9, 0), (5, 11, 0), (6, 9, 0)]);

        // One day only: three options that day, two hours apart.
        let o = offers(&slots, &parse("wednesday"), now(), New_York, 3);
        assert_eq!(local(&o), vec![(4, 9, 0), (4, 11, 0), (4, 13, 0)]);

        let o = offers(&slots, &parse("before 11"), now(), New_York, 3);
        assert!(o.matched_preference);
        assert_eq!(local(&o), vec![(3, 9, 0), (4, 9, 0), (5, 9, 0)]);
    }

    #[test]
    fn falls_back_when_nothing_matches() {
        let slots = calendar(&[3, 4]);
        // Nobody after 5.
        let o = offers(&slots, &parse("after 5"), now(), New_York, 3);
        assert!(!o.matched_preference);
        assert_eq!(local(&o), vec![(3, 9, 0), (3, 11, 0), (4, 9, 0)]);

        // Tuesday mornings are full: Tuesday afternoon, not Wednesday.
        let afternoons: Vec<Slot> = slots
            .iter()
            .copied()
            .filter(|s| {
                !(Preference::Morning.matches(s, now(), New_York)
                    && s.start.with_timezone(&New_York).day() == 3)
            })
            .collect();
        let o = offers(&afternoons, &parse("tuesday morning"), now(), New_York, 3);
        assert!(!o.matched_preference);
        assert_eq!(local(&o), vec![(3, 12, 0), (3, 14, 0), (3, 16, 0)]);

        // No Friday at all: mornings on other days.
        let o = offers(&slots, &parse("friday morning"), now(), New_York, 2);
        assert!(!o.matched_preference);
        assert_eq!(local(&o), vec![(3, 9, 0), (3, 11, 0)]);

        let none = offers(&[], &Preference::Asap, now(), New_York, 3);
        assert!(none.options.is_empty());
        assert!(!none.matched_preference);
    }

    #[test]
    fn spreads_only_as_far_as_the_slots_allow() {
        // Three adjacent half-hours and nothing else: offer them all.
        let slots = vec![slot(1, 3, 9, 0), slot(1, 3, 9, 30), slot(1, 3, 10, 0)];
        let o = offers(&slots, &Preference::Asap, now(), New_York, 3);
        assert_eq!(local(&o), vec![(3, 9, 0), (3, 9, 30), (3, 10, 0)]);
        // Two days: the per-day limit gives way before the spacing does.
        let slots = vec![
            slot(1, 3, 9, 0),
            slot(1, 3, 9, 30),
            slot(1, 3, 11, 0),
            slot(1, 3, 13, 0),
        ];
        let o = offers(&slots, &Preference::Asap, now(), New_York, 3);
        assert_eq!(local(&o), vec![(3, 9, 0), (3, 11, 0), (3, 13, 0)]);
        // Fewer slots than asked for.
        let o = offers(&slots[..1], &Preference::Asap, now(), New_York, 3);
        assert_eq!(o.options.len(), 1);
        assert!(
            offers(&slots, &Preference::Asap, now(), New_York, 0)
                .options
                .is_empty()
        );
    }

    #[test]
    fn one_option_per_time_and_none_in_the_past() {
        let slots = vec![
            slot(1, 2, 9, 0), // before now
            slot(1, 3, 9, 0),
            slot(2, 3, 9, 0),
            slot(2, 3, 9, 30),
            slot(2, 4, 9, 0),
            slot(1, 4, 9, 0),
        ];
        let o = offers(&slots, &Preference::Asap, now(), New_York, 3);
        assert_eq!(local(&o), vec![(3, 9, 0), (3, 9, 30), (4, 9, 0)]);
        assert_eq!(o.options[0].slot.attorney, Uuid::from_u128(1));
    }

    #[test]
    fn spoken_in_the_callers_zone() {
        let slots = calendar(&[3]);
        let o = offers(
            &slots,
            &Preference::Asap,
            now(),
            chrono_tz::America::Los_Angeles,
            1,
        );
        assert_eq!(
            o.options[0].spoken,
            "Tuesday, March 3rd at 6 in the morning, Pacific time"
        );
    }
}
