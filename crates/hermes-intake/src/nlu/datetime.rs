//! Dates and times relative to now: "next Tuesday at 3", "the 14th",
//! "March 3rd", "3/14", "tomorrow morning", "two days ago", "last Friday".
//!
//! Text is first lexed into words, numbers and ordinals (number words become
//! numbers, "3pm" splits in two), then a handful of patterns are tried, most
//! specific first. Anything without a year or month is resolved against the
//! caller's local date (`now` in `tz`) in a direction: scheduling looks
//! forward, events that happened (accidents, arrests) look back. The default
//! ([`Prefer::Auto`]) looks back when the sentence is in the past tense.
//! Bare hours follow the business convention (1–6 means afternoon, 7–11
//! morning). Vague answers ("next week", "tomorrow morning", "around 3")
//! are marked approximate rather than refused.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::numbers::{numeric_token, parse_cardinal};
use super::text::normalize;

/// A date and/or time the caller mentioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct When {
    pub date: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
    /// The caller was vague ("around 3", "next week", "in the morning").
    pub approximate: bool,
}

/// Which way to resolve a date that could be before or after today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Prefer {
    /// Past when the sentence is in the past tense, otherwise future.
    Auto,
    Future,
    Past,
}

#[derive(Debug, Clone, PartialEq)]
enum T {
    W(String),
    N(i64),
    O(i64),
}

impl T {
    fn w(&self) -> &str {
        match self {
            T::W(s) => s,
            _ => "",
        }
    }
}

/// "next Tuesday at 3" and friends, resolved against local `now` in `tz`.
pub fn date_time(text: &str, now: DateTime<Utc>, tz: Tz) -> Option<When> {
    date_time_in(text, now, tz, Prefer::Auto)
}

const PAST: &[&str] = &[
    "was",
    "were",
    "happened",
    "had",
    "did",
    "got",
    "went",
    "came",
    "occurred",
    "arrested",
    "hit",
    "crashed",
    "fired",
    "served",
    "fell",
    "died",
    "passed",
    "signed",
    "filed",
    "received",
    "started",
    "ended",
    "left",
    "took",
    "broke",
    "injured",
    "hurt",
    "been",
    "ago",
    "last",
    "yesterday",
    "past",
    "lost",
    "sent",
    "married",
    "separated",
    "laid",
    "terminated",
    "stopped",
];

/// [`date_time`] with an explicit direction for ambiguous dates.
pub fn date_time_in(text: &str, now: DateTime<Utc>, tz: Tz, prefer: Prefer) -> Option<When> {
    let t = lex(text);
    let today = now.with_timezone(&tz).date_naive();
    let past = match prefer {
        Prefer::Past => true,
        Prefer::Future => false,
        Prefer::Auto => t.iter().any(|x| PAST.contains(&x.w())),
    };
    let vague = t.iter().any(|x| {
        matches!(
            x.w(),
            "around" | "about" | "approximately" | "roughly" | "sometime" | "ish" | "approx"
        )
    }) || t.windows(2).any(|p| p[0].w() == "or" && p[1].w() == "so");
    let (date, date_approx) = find_date(&t, today, past)?.unzip_opt();
    let (time, time_approx) = find_time(&t).unzip_opt();
    if date.is_none() && time.is_none() {
        return None;
    }
    Some(When {
        date,
        time,
        approximate: vague || date_approx.unwrap_or(false) || time_approx.unwrap_or(false),
    })
}

trait UnzipOpt<A> {
    fn unzip_opt(self) -> (Option<A>, Option<bool>);
}
impl<A> UnzipOpt<A> for Option<(A, bool)> {
    fn unzip_opt(self) -> (Option<A>, Option<bool>) {
        match self {
            Some((a, b)) => (Some(a), Some(b)),
            None => (None, None),
        }
    }
}

fn lex(text: &str) -> Vec<T> {
    let s = normalize(text)
        .replace("p.m.", "pm")
        .replace("a.m.", "am")
        .replace("p. m.", "pm")
        .replace("a. m.", "am")
        .replace("o'clock", "oclock")
        .replace("o clock", "oclock");
    let mut words: Vec<String> = Vec::new();
    for w in s.split_whitespace() {
        let w = w.trim_matches(|c: char| ",.!?;\"()".contains(c));
        // "3pm" → "3" "pm"; "3:30pm" → "3:30" "pm"; "3ish" → "3" "ish".
        let split = w
            .find(|c: char| c.is_ascii_alphabetic())
            .filter(|&k| k > 0 && w[..k].chars().all(|c| c.is_ascii_digit() || c == ':'));
        match split {
            Some(k) if matches!(&w[k..], "am" | "pm" | "ish" | "a" | "p") => {
                words.push(w[..k].to_string());
                words.push(match &w[k..] {
                    "a" => "am".into(),
                    "p" => "pm".into(),
                    x => x.to_string(),
                });
            }
            _ if !w.is_empty() => words.push(w.to_string()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            match numeric_token(w) {
                Some((v, _, true)) => out.push(T::O(v / 100)),
                Some((v, _, false)) if v % 100 == 0 && !w.contains(',') => out.push(T::N(v / 100)),
                _ => out.push(T::W(w.clone())),
            }
            i += 1;
            continue;
        }
        if !matches!(w.as_str(), "a" | "an") {
            let refs: Vec<&str> = words[i..].iter().map(String::as_str).collect();
            if let Some(p) = parse_cardinal(&refs) {
                out.push(if p.ordinal {
                    T::O(p.hundredths / 100)
                } else {
                    T::N(p.hundredths / 100)
                });
                i += p.len;
                continue;
            }
        }
        out.push(T::W(w.clone()));
        i += 1;
    }
    out
}

fn weekday(w: &str) -> Option<Weekday> {
    let w = w
        .strip_suffix('s')
        .filter(|r| r.ends_with("day"))
        .unwrap_or(w);
    Some(match w {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tues" | "tue" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thurs" | "thu" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

fn month(w: &str) -> Option<u32> {
    const M: [&str; 12] = [
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
    const ABBR: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let w = if w == "sept" { "sep" } else { w };
    M.iter()
        .zip(ABBR)
        .position(|(m, a)| *m == w || a == w)
        .map(|i| i as u32 + 1)
}

fn shift_days(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
}

fn shift_months(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n >= 0 {
        d.checked_add_months(Months::new(n as u32))
    } else {
        d.checked_sub_months(Months::new(n.unsigned_abs() as u32))
    }
}

/// A count: "2", "two", "a", "a couple of", "a few" → (n, approximate, tokens).
fn count(t: &[T]) -> Option<(i64, bool, usize)> {
    match t {
        [T::N(n), ..] => Some((*n, false, 1)),
        [T::W(a), T::W(c), T::W(of), ..] if a == "a" && c == "couple" && of == "of" => {
            Some((2, true, 3))
        }
        [T::W(a), T::W(c), ..] if a == "a" && matches!(c.as_str(), "couple" | "few") => {
            Some((if c == "few" { 3 } else { 2 }, true, 2))
        }
        [T::W(c), ..] if matches!(c.as_str(), "couple" | "few" | "several") => {
            Some((if c == "couple" { 2 } else { 3 }, true, 1))
        }
        [T::W(a), ..] if matches!(a.as_str(), "a" | "an") => Some((1, false, 1)),
        _ => None,
    }
}

/// Days per unit word, or months (negative marker) for month/year units.
fn unit(w: &str) -> Option<(i64, bool)> {
    Some(match w.trim_end_matches('s') {
        "day" => (1, false),
        "week" => (7, false),
        "fortnight" => (14, false),
        "month" => (1, true),
        "year" => (12, true),
        _ => return None,
    })
}

fn find_date(t: &[T], today: NaiveDate, past: bool) -> Option<Option<(NaiveDate, bool)>> {
    let w = |i: usize| t.get(i).map_or("", T::w);
    let ymd = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d);
    // Specific patterns first, vague ones ("next week") only if none match.
    for i in 0..t.len() {
        // Relative days.
        let rel = match (w(i), w(i + 1), w(i + 2)) {
            ("day", "after", "tomorrow") => Some(2),
            ("day", "before", "yesterday") => Some(-2),
            ("today" | "tonight", _, _) => Some(0),
            ("this", "morning" | "afternoon" | "evening", _) => Some(0),
            ("tomorrow" | "tmrw" | "tomorrow's", _, _) => Some(1),
            ("yesterday", _, _) => Some(-1),
            ("last", "night", _) => Some(-1),
            _ => None,
        };
        if let Some(n) = rel {
            return Some(shift_days(today, n).map(|d| (d, false)));
        }
        // "in two weeks", "two days ago", "three days from now".
        let (lead, from) = if w(i) == "in" {
            (true, i + 1)
        } else {
            (false, i)
        };
        if let Some((n, approx, len)) = count(&t[from.min(t.len())..])
            && let Some((per, months)) = unit(w(from + len))
        {
            let after = w(from + len + 1);
            let sign = if after == "ago" || after == "before" || after == "earlier" {
                -1
            } else if lead || after == "from" || after == "later" {
                1
            } else {
                0
            };
            if sign != 0 {
                let d = if months {
                    shift_months(today, sign * n * per)
                } else {
                    shift_days(today, sign * n * per)
                };
                return Some(d.map(|d| (d, approx)));
            }
        }
        // Weekdays.
        if let Some(wd) = weekday(w(i)) {
            let back = |from_exclusive: bool| {
                (if from_exclusive { 1 } else { 0 }..=7)
                    .map(|k| today - Days::new(k))
                    .find(|d| d.weekday() == wd)
            };
            let ahead = |from_exclusive: bool| {
                (if from_exclusive { 1 } else { 0 }..=7)
                    .map(|k| today + Days::new(k))
                    .find(|d| d.weekday() == wd)
            };
            let monday = today - Days::new(today.weekday().num_days_from_monday() as u64);
            let in_week =
                |weeks: i64| shift_days(monday, weeks * 7 + wd.num_days_from_monday() as i64);
            let prev = if i > 0 { w(i - 1) } else { "" };
            let prev2 = if i > 1 { w(i - 2) } else { "" };
            let next = (w(i + 1), w(i + 2));
            let d = match (prev2, prev, next) {
                (_, _, ("after", "next")) => ahead(true).map(|d| d + Days::new(7)),
                (_, _, ("next", "week")) => in_week(1),
                (_, _, ("last", "week")) => in_week(-1),
                ("this", "past", _) | (_, "last" | "past", _) => back(true),
                ("this", "coming", _) | (_, "coming", _) => ahead(true),
                (_, "next", _) => in_week(1),
                (_, "this", _) => {
                    if past {
                        back(false)
                    } else {
                        ahead(false)
                    }
                }
                _ => {
                    if past {
                        back(true)
                    } else {
                        ahead(true)
                    }
                }
            };
            return Some(d.map(|d| (d, false)));
        }
        // Month names: "March 3rd", "March the 3rd, 2024", "3rd of March".
        let year_at = |j: usize| match t.get(j) {
            Some(T::N(y)) if (1900..=2100).contains(y) => Some(*y as i32),
            _ => None,
        };
        let month_day = match (t.get(i), t.get(i + 1), t.get(i + 2), t.get(i + 3)) {
            (Some(T::W(m)), Some(T::O(d) | T::N(d)), ..) if month(m).is_some() => {
                Some((month(m)?, *d, i + 2))
            }
            (Some(T::W(m)), Some(T::W(the)), Some(T::O(d) | T::N(d)), _)
                if month(m).is_some() && the == "the" =>
            {
                Some((month(m)?, *d, i + 3))
            }
            (Some(T::O(d)), Some(T::W(of)), Some(T::W(m)), _)
                if of == "of" && month(m).is_some() =>
            {
                Some((month(m)?, *d, i + 3))
            }
            (Some(T::O(d)), Some(T::W(m)), ..) if month(m).is_some() => {
                Some((month(m)?, *d, i + 2))
            }
            _ => None,
        };
        if let Some((m, d, end)) = month_day
            && (1..=31).contains(&d)
        {
            let d = d as u32;
            if let Some(y) = year_at(end) {
                return Some(ymd(y, m, d).map(|x| (x, false)));
            }
            let this = ymd(today.year(), m, d)?;
            let pick = match (past, this > today, this < today) {
                (true, true, _) => ymd(today.year() - 1, m, d),
                (false, _, true) => ymd(today.year() + 1, m, d),
                _ => Some(this),
            };
            return Some(pick.map(|x| (x, false)));
        }
        // Numeric dates: 3/14, 3/14/2025, 3-14-25, 2025-03-14.
        if let T::W(s) = &t[i]
            && let Some(d) = numeric_date(s, today, past)
        {
            return Some(Some((d, false)));
        }
        // "the 14th", "on the 2nd of next month".
        if let T::O(d) = t[i]
            && (1..=31).contains(&d)
            && (w(i.wrapping_sub(1)) == "the"
                || matches!(
                    w(i.wrapping_sub(1)),
                    "on" | "by" | "until" | "before" | "after"
                )
                || i == 0)
        {
            let d = d as u32;
            let rel = match (w(i + 1), w(i + 2), w(i + 3)) {
                ("of", "next", "month") => Some(1),
                ("of", "last" | "previous", "month") => Some(-1),
                ("of", "this", "month") => Some(0),
                _ => match (w(i.wrapping_sub(3)), w(i.wrapping_sub(2))) {
                    ("next", "month") => Some(1),
                    ("last", "month") => Some(-1),
                    _ => None,
                },
            };
            let first = today.with_day(1)?;
            let month_start = match rel {
                Some(r) => shift_months(first, r)?,
                None => {
                    let this_ok = if past {
                        d <= today.day()
                    } else {
                        d >= today.day()
                    };
                    if this_ok {
                        first
                    } else {
                        shift_months(first, if past { -1 } else { 1 })?
                    }
                }
            };
            return Some(month_start.with_day(d).map(|x| (x, false)));
        }
    }
    // Vague: "next week", "last month", "early March", "in March".
    for i in 0..t.len() {
        let (a, b) = (w(i), w(i + 1));
        let vague = match (a, b) {
            ("next", "week") => shift_days(today, 7),
            ("last" | "past", "week") => shift_days(today, -7),
            ("this", "week") | ("later", "today") => Some(today),
            ("next", "month") => shift_months(today, 1),
            ("last", "month") => shift_months(today, -1),
            ("next", "year") => shift_months(today, 12),
            ("last", "year") => shift_months(today, -12),
            ("early" | "mid" | "late" | "in" | "end" | "beginning", m)
                if month(m).is_some() && m != "may" || a != "in" && m == "may" =>
            {
                let m = month(m)?;
                let day = match a {
                    "early" | "beginning" => 5,
                    "mid" => 15,
                    "late" | "end" => 25,
                    _ => 1,
                };
                let this = NaiveDate::from_ymd_opt(today.year(), m, day)?;
                let y = match (past, this > today, this < today) {
                    (true, true, _) => today.year() - 1,
                    (false, _, true) => today.year() + 1,
                    _ => today.year(),
                };
                NaiveDate::from_ymd_opt(y, m, day)
            }
            _ => None,
        };
        if let Some(d) = vague {
            return Some(Some((d, true)));
        }
    }
    Some(None)
}

fn numeric_date(s: &str, today: NaiveDate, past: bool) -> Option<NaiveDate> {
    let sep = if s.contains('/') { '/' } else { '-' };
    let parts: Vec<u32> = s
        .split(sep)
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] if *y >= 1900 => (*y as i32, *m, *d),
        [m, d, y] if *y >= 1900 => (*y as i32, *m, *d),
        [m, d, y] if *y < 100 => (2000 + *y as i32, *m, *d),
        [m, d] if sep == '/' => {
            let this = NaiveDate::from_ymd_opt(today.year(), *m, *d)?;
            let y = match (past, this > today, this < today) {
                (true, true, _) => today.year() - 1,
                (false, _, true) => today.year() + 1,
                _ => today.year(),
            };
            (y, *m, *d)
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(y, m, d)
}

fn hm(h: i64, m: i64) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(u32::try_from(h).ok()?, u32::try_from(m).ok()?, 0)
}

/// Business convention for an hour said without am/pm.
fn business(h: i64) -> i64 {
    if (1..=6).contains(&h) { h + 12 } else { h }
}

fn find_time(t: &[T]) -> Option<(NaiveTime, bool)> {
    let w = |i: usize| t.get(i).map_or("", T::w);
    let has = |a: &str, b: &str| t.windows(2).any(|p| p[0].w() == a && p[1].w() == b);
    let morning = t.iter().any(|x| x.w() == "morning");
    let evening = has("at", "night")
        || t.iter()
            .any(|x| matches!(x.w(), "tonight" | "evening" | "afternoon" | "night"));
    let fix = |h: i64, m: i64, ampm: &str| -> Option<NaiveTime> {
        let h = match ampm {
            "am" => h % 12,
            "pm" => h % 12 + 12,
            _ if morning && h <= 12 => h % 12,
            _ if evening && h < 12 => h + 12,
            _ => business(h),
        };
        hm(h, m)
    };
    for i in 0..t.len() {
        let next = w(i + 1);
        let prev = if i > 0 { w(i - 1) } else { "" };
        // "noon", "midnight", "half past three", "quarter to four".
        match (w(i), w(i + 1), t.get(i + 2)) {
            ("noon" | "midday", _, _) => return Some((hm(12, 0)?, false)),
            ("midnight", _, _) => return Some((hm(0, 0)?, false)),
            ("half" | "quarter", "past" | "after", Some(T::N(h))) => {
                let m = if w(i) == "half" { 30 } else { 15 };
                return Some((fix(*h, m, w(i + 3))?, false));
            }
            ("quarter", "to" | "til" | "till" | "of", Some(T::N(h))) => {
                return Some((fix(*h - 1, 45, w(i + 3))?, false));
            }
            _ => {}
        }
        // "3:30", "15:00" with optional am/pm.
        if let T::W(s) = &t[i]
            && let Some((h, m)) = s.split_once(':')
            && let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>())
        {
            let ampm = if matches!(next, "am" | "pm") {
                next
            } else {
                ""
            };
            let time = if h > 12 || h == 0 {
                hm(h, m)
            } else {
                fix(h, m, ampm)
            };
            return Some((time?, false));
        }
        let T::N(n) = t[i] else { continue };
        let ampm = matches!(next, "am" | "pm");
        let cued = matches!(
            prev,
            "at" | "around"
                | "about"
                | "by"
                | "after"
                | "before"
                | "til"
                | "until"
                | "till"
                | "like"
        ) || next == "oclock"
            || ampm
            || matches!((next, w(i + 2)), ("at", "night") | ("in", "the"));
        if !cued {
            continue;
        }
        // Minutes: "three thirty", "3 30", "ten fifteen" (read as 1015).
        let (h, m, used) = match t.get(i + 1) {
            Some(T::N(m)) if (0..60).contains(m) && n <= 12 => (n, *m, 2),
            _ if (100..=2359).contains(&n) && n % 100 < 60 => (n / 100, n % 100, 1),
            _ => (n, 0, 1),
        };
        let after = w(i + used);
        let ampm = if matches!(after, "am" | "pm") {
            after
        } else {
            ""
        };
        if h > 24 {
            continue;
        }
        let time = if h > 12 {
            hm(h % 24, m)
        } else {
            fix(h, m, ampm)
        };
        return Some((time?, false));
    }
    // Parts of the day.
    let part = [
        ("morning", 9),
        ("lunchtime", 12),
        ("lunch", 12),
        ("afternoon", 14),
        ("evening", 18),
        ("tonight", 20),
        ("night", 21),
    ];
    part.iter()
        .find(|(p, _)| t.iter().any(|x| x.w() == *p))
        .and_then(|(_, h)| hm(*h, 0))
        .map(|x| (x, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }
    fn tm(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    #[test]
    fn dates_and_times() {
        // Wednesday 2025-03-12, 10:00 in Los Angeles (17:00 UTC).
        let now = Utc.with_ymd_and_hms(2025, 3, 12, 17, 0, 0).unwrap();
        let tz = chrono_tz::America::Los_Angeles;
        let w = |date, time, approximate| {
            Some(When {
                date,
                time,
                approximate,
            })
        };
        let cases = vec![
            ("next Tuesday at 3", w(d(2025, 3, 18), tm(15, 0), false)),
            ("next tuesday at three", w(d(2025, 3, 18), tm(15, 0), false)),
            ("Tuesday at 10", w(d(2025, 3, 18), tm(10, 0), false)),
            ("friday at 9am", w(d(2025, 3, 14), tm(9, 0), false)),
            ("this friday", w(d(2025, 3, 14), None, false)),
            ("next friday", w(d(2025, 3, 21), None, false)),
            ("next Monday", w(d(2025, 3, 17), None, false)),
            ("last Friday", w(d(2025, 3, 7), None, false)),
            ("it happened on friday", w(d(2025, 3, 7), None, false)),
            ("this past monday", w(d(2025, 3, 10), None, false)),
            ("thursday after next", w(d(2025, 3, 20), None, false)),
            ("the 14th", w(d(2025, 3, 14), None, false)),
            ("on the fourteenth", w(d(2025, 3, 14), None, false)),
            ("the 2nd", w(d(2025, 4, 2), None, false)),
            ("I was arrested on the 2nd", w(d(2025, 3, 2), None, false)),
            ("on the 2nd of next month", w(d(2025, 4, 2), None, false)),
            (
                "the twenty first at two thirty",
                w(d(2025, 3, 21), tm(14, 30), false),
            ),
            ("March 3rd", w(d(2026, 3, 3), None, false)),
            ("the accident was March 3rd", w(d(2025, 3, 3), None, false)),
            (
                "march third twenty twenty four",
                w(d(2024, 3, 3), None, false),
            ),
            ("April 1, 2025", w(d(2025, 4, 1), None, false)),
            ("3rd of April", w(d(2025, 4, 3), None, false)),
            ("may the fourth", w(d(2025, 5, 4), None, false)),
            ("3/14", w(d(2025, 3, 14), None, false)),
            ("3/14/2024", w(d(2024, 3, 14), None, false)),
            ("3/14/24", w(d(2024, 3, 14), None, false)),
            ("2024-12-25", w(d(2024, 12, 25), None, false)),
            ("tomorrow morning", w(d(2025, 3, 13), tm(9, 0), true)),
            ("tomorrow at 10:30 am", w(d(2025, 3, 13), tm(10, 30), false)),
            ("tomorrow 2pm", w(d(2025, 3, 13), tm(14, 0), false)),
            ("today at 4:15", w(d(2025, 3, 12), tm(16, 15), false)),
            ("yesterday", w(d(2025, 3, 11), None, false)),
            ("last night around 11", w(d(2025, 3, 11), tm(23, 0), true)),
            ("the day after tomorrow", w(d(2025, 3, 14), None, false)),
            ("in two weeks", w(d(2025, 3, 26), None, false)),
            ("in a week", w(d(2025, 3, 19), None, false)),
            ("in 3 days", w(d(2025, 3, 15), None, false)),
            ("two days ago", w(d(2025, 3, 10), None, false)),
            ("a couple of weeks ago", w(d(2025, 2, 26), None, true)),
            ("three months ago", w(d(2024, 12, 12), None, false)),
            ("a year ago", w(d(2024, 3, 12), None, false)),
            ("next week", w(d(2025, 3, 19), None, true)),
            ("early april", w(d(2025, 4, 5), None, true)),
            ("at 3", w(None, tm(15, 0), false)),
            ("around 3ish", w(None, tm(15, 0), true)),
            ("at 7", w(None, tm(7, 0), false)),
            ("at 12", w(None, tm(12, 0), false)),
            ("at 3 in the morning", w(None, tm(3, 0), false)),
            ("8 at night", w(None, tm(20, 0), false)),
            ("at ten fifteen", w(None, tm(10, 15), false)),
            ("at three thirty", w(None, tm(15, 30), false)),
            ("3 p.m.", w(None, tm(15, 0), false)),
            ("11 a.m.", w(None, tm(11, 0), false)),
            ("12 am", w(None, tm(0, 0), false)),
            ("five o'clock", w(None, tm(17, 0), false)),
            ("half past three", w(None, tm(15, 30), false)),
            ("quarter to four", w(None, tm(15, 45), false)),
            ("noon tomorrow", w(d(2025, 3, 13), tm(12, 0), false)),
            ("15:30", w(None, tm(15, 30), false)),
            ("in the afternoon", w(None, tm(14, 0), true)),
            ("I don't know", None),
            ("my number is 503", None),
            ("I was born in 1985", None),
            ("I'm 42", None),
            ("", None),
            ("maybe", None),
            ("I may need help", None),
        ];
        for (input, want) in cases {
            assert_eq!(date_time(input, now, tz), want, "{input:?}");
        }
    }

    #[test]
    fn local_date_not_utc_date() {
        // 2025-03-13 03:00 UTC is still the 12th in Los Angeles.
        let now = Utc.with_ymd_and_hms(2025, 3, 13, 3, 0, 0).unwrap();
        let got = date_time("tomorrow", now, chrono_tz::America::Los_Angeles).unwrap();
        assert_eq!(got.date, d(2025, 3, 13));
        let got = date_time("tomorrow", now, chrono_tz::UTC).unwrap();
        assert_eq!(got.date, d(2025, 3, 14));
    }

    #[test]
    fn preference() {
        let now = Utc.with_ymd_and_hms(2025, 3, 12, 17, 0, 0).unwrap();
        let tz = chrono_tz::America::New_York;
        let p = date_time_in("friday", now, tz, Prefer::Past).unwrap();
        assert_eq!(p.date, d(2025, 3, 7));
        let f = date_time_in("friday", now, tz, Prefer::Future).unwrap();
        assert_eq!(f.date, d(2025, 3, 14));
    }
}
