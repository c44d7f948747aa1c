//! Times as a receptionist says them: "Tuesday, March 3rd at 10:30 in the
//! morning, Pacific time".
//!
//! English only for now. The zone is always named, since a caller may be
//! in a different one from the firm.

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::{OffsetName, Tz};

/// The start of a consultation as spoken to a caller in `tz`:
/// `"Tuesday, March 3rd at 10:30 in the morning, Pacific time"`.
pub fn spoken(start: DateTime<Utc>, tz: Tz) -> String {
    let local = start.with_timezone(&tz);
    format!(
        "{}, {} {} at {}, {}",
        weekday_name(local.weekday()),
        month_name(local.month()),
        ordinal(local.day()),
        spoken_time(local.time()),
        spoken_zone(tz, start)
    )
}

/// A wall-clock time in words: `"noon"`, `"midnight"`, `"2 in the
/// afternoon"`, `"5:15 in the evening"`, `"10:30 in the morning"`,
/// `"1:30 at night"`. Seconds are ignored.
pub fn spoken_time(t: NaiveTime) -> String {
    let (h, m) = (t.hour(), t.minute());
    match (h, m) {
        (0, 0) => return "midnight".to_owned(),
        (12, 0) => return "noon".to_owned(),
        _ => {}
    }
    let period = match h {
        0..=4 => "at night",
        5..=11 => "in the morning",
        12..=16 => "in the afternoon",
        _ => "in the evening",
    };
    let h12 = match h % 12 {
        0 => 12,
        x => x,
    };
    if m == 0 {
        format!("{h12} {period}")
    } else {
        format!("{h12}:{m:02} {period}")
    }
}

/// The zone as callers know it: `"Eastern time"` … `"Hawaii time"` for US
/// (and Canadian) zones, else the abbreviation in force at `at`
/// (`"GMT"`, `"BST"`, `"CET"`), else, when the abbreviation is only a
/// number (`"+04"`), the zone's city: `"Dubai time"`, `"Sao Paulo time"`.
pub fn spoken_zone(tz: Tz, at: DateTime<Utc>) -> String {
    if let Some(name) = north_american_zone(tz.name()) {
        return format!("{name} time");
    }
    let offset = at.with_timezone(&tz);
    match offset.offset().abbreviation() {
        Some(abbr) if abbr.starts_with(|c: char| c.is_ascii_alphabetic()) => abbr.to_owned(),
        _ => {
            let city = tz.name().rsplit('/').next().unwrap_or(tz.name());
            format!("{} time", city.replace('_', " "))
        }
    }
}

fn north_american_zone(name: &str) -> Option<&'static str> {
    let spoken = match name {
        "America/New_York"
        | "US/Eastern"
        | "EST5EDT"
        | "EST"
        | "America/Detroit"
        | "US/Michigan"
        | "America/Fort_Wayne"
        | "America/Indianapolis"
        | "US/East-Indiana"
        | "America/Louisville"
        | "America/Toronto"
        | "America/Montreal"
        | "America/Nipigon"
        | "America/Thunder_Bay"
        | "America/Nassau"
        | "Canada/Eastern" => "Eastern",
        n if n.starts_with("America/Kentucky/") => "Eastern",
        "America/Indiana/Knox"
        | "America/Indiana/Tell_City"
        | "America/Knox_IN"
        | "US/Indiana-Starke" => "Central",
        n if n.starts_with("America/Indiana/") => "Eastern",
        "America/Chicago" | "US/Central" | "CST6CDT" | "America/Menominee" | "America/Winnipeg"
        | "Canada/Central" => "Central",
        n if n.starts_with("America/North_Dakota/") => "Central",
        "America/Denver" | "US/Mountain" | "MST7MDT" | "MST" | "America/Boise"
        | "America/Phoenix" | "US/Arizona" | "America/Shiprock" | "Navajo" | "America/Edmonton"
        | "Canada/Mountain" => "Mountain",
        "America/Los_Angeles"
        | "US/Pacific"
        | "PST8PDT"
        | "America/Vancouver"
        | "Canada/Pacific" => "Pacific",
        "America/Anchorage" | "US/Alaska" | "America/Juneau" | "America/Sitka" | "America/Nome"
        | "America/Yakutat" | "America/Metlakatla" => "Alaska",
        "Pacific/Honolulu" | "US/Hawaii" | "HST" | "Pacific/Johnston" => "Hawaii",
        "America/Adak" | "US/Aleutian" | "America/Atka" => "Hawaii-Aleutian",
        _ => return None,
    };
    Some(spoken)
}

/// `1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`, `22nd`, `23rd`, `31st`.
pub(crate) fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

pub(crate) fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

pub(crate) fn month_name(m: u32) -> &'static str {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    MONTHS[(m as usize).saturating_sub(1) % 12]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn the_example_from_the_issue() {
        // 10:30 PST on Tuesday 2026-03-03 = 18:30Z.
        assert_eq!(
            spoken(utc(2026, 3, 3, 18, 30), America::Los_Angeles),
            "Tuesday, March 3rd at 10:30 in the morning, Pacific time"
        );
    }

    #[test]
    fn ordinals() {
        let cases = [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (10, "10th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (14, "14th"),
            (20, "20th"),
            (21, "21st"),
            (22, "22nd"),
            (23, "23rd"),
            (24, "24th"),
            (30, "30th"),
            (31, "31st"),
            (101, "101st"),
            (111, "111th"),
            (112, "112th"),
        ];
        for (n, want) in cases {
            assert_eq!(ordinal(n), want);
        }
    }

    #[test]
    fn times_of_day() {
        assert_eq!(spoken_time(t(12, 0)), "noon");
        assert_eq!(spoken_time(t(0, 0)), "midnight");
        assert_eq!(spoken_time(t(14, 0)), "2 in the afternoon");
        assert_eq!(spoken_time(t(17, 15)), "5:15 in the evening");
        assert_eq!(spoken_time(t(9, 0)), "9 in the morning");
        assert_eq!(spoken_time(t(9, 5)), "9:05 in the morning");
        assert_eq!(spoken_time(t(12, 30)), "12:30 in the afternoon");
        assert_eq!(spoken_time(t(16, 59)), "4:59 in the afternoon");
        assert_eq!(spoken_time(t(0, 30)), "12:30 at night");
        assert_eq!(spoken_time(t(1, 0)), "1 at night");
        assert_eq!(spoken_time(t(5, 0)), "5 in the morning");
        assert_eq!(spoken_time(t(23, 45)), "11:45 in the evening");
    }

    #[test]
    fn full_sentences() {
        // Noon Eastern (EDT) on Thursday 2026-10-22 = 16:00Z.
        assert_eq!(
            spoken(utc(2026, 10, 22, 16, 0), America::New_York),
            "Thursday, October 22nd at noon, Eastern time"
        );
        // 17:15 CST on Wednesday 2026-11-11 = 23:15Z.
        assert_eq!(
            spoken(utc(2026, 11, 11, 23, 15), America::Chicago),
            "Wednesday, November 11th at 5:15 in the evening, Central time"
        );
        // The caller's date can differ from the UTC date.
        assert_eq!(
            spoken(utc(2026, 1, 1, 2, 0), America::Denver),
            "Wednesday, December 31st at 7 in the evening, Mountain time"
        );
    }

    #[test]
    fn zone_names() {
        let at = utc(2026, 7, 1, 12, 0);
        let cases = [
            (America::New_York, "Eastern time"),
            (America::Detroit, "Eastern time"),
            (America::Indiana::Indianapolis, "Eastern time"),
            (America::Kentucky::Louisville, "Eastern time"),
            (America::Indiana::Knox, "Central time"),
            (America::Chicago, "Central time"),
            (America::North_Dakota::Center, "Central time"),
            (America::Denver, "Mountain time"),
            (America::Boise, "Mountain time"),
            (America::Phoenix, "Mountain time"),
            (America::Los_Angeles, "Pacific time"),
            (America::Anchorage, "Alaska time"),
            (America::Juneau, "Alaska time"),
            (chrono_tz::Pacific::Honolulu, "Hawaii time"),
            (chrono_tz::US::Eastern, "Eastern time"),
            (chrono_tz::US::Pacific, "Pacific time"),
            (America::Toronto, "Eastern time"),
        ];
        for (tz, want) in cases {
            assert_eq!(spoken_zone(tz, at), want, "{tz}");
        }
        // Elsewhere, the abbreviation in force at the time.
        assert_eq!(spoken_zone(chrono_tz::Europe::London, at), "BST");
        assert_eq!(
            spoken_zone(chrono_tz::Europe::London, utc(2026, 1, 5, 12, 0)),
            "GMT"
        );
        assert_eq!(spoken_zone(chrono_tz::Europe::Berlin, at), "CEST");
        assert_eq!(spoken_zone(chrono_tz::UTC, at), "UTC");
        // A numeric abbreviation is no name: the zone's city instead.
        assert_eq!(spoken_zone(chrono_tz::Asia::Dubai, at), "Dubai time");
        assert_eq!(spoken_zone(America::Sao_Paulo, at), "Sao Paulo time");
    }
}
