//! iCalendar invitations and cancellations (RFC 5545 objects, RFC 5546
//! methods) for a booked consultation.
//!
//! The event's times are written as local times of its zone with a
//! `VTIMEZONE` generated from the same time-zone database that computed the
//! slot, so clients with older rules still show the right time. The
//! `VTIMEZONE` lists the zone's actual transitions (no `RRULE`s) from the
//! start of the year before the event to the end of the year after it; a
//! zone without transitions in that span gets a single `STANDARD`
//! observance.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz};

/// RFC 5546 method of the calendar object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A new consultation or a change to one (send with a higher `sequence`).
    Request,
    /// The consultation is off. The event gets `STATUS:CANCELLED`; send the
    /// same `uid` with a `sequence` higher than the last request's.
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Confirmed,
    Tentative,
    Cancelled,
}

/// One consultation as a calendar event.
///
/// **`summary`, `description` and `location` leave the firm**: invitations
/// go to the caller's mailbox and attorneys' external calendars, which are
/// not privileged. They must not contain case details (the matter, the
/// opposing party, what the caller said); use generic text such as
/// "Consultation with Smith & Lee LLP".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsEvent {
    /// Stable across updates and the cancellation of one consultation,
    /// e.g. `"{booking id}@{firm domain}"`.
    pub uid: String,
    /// Incremented on every change the attendees should see.
    pub sequence: u32,
    /// When this version of the invitation was made.
    pub dtstamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The zone the event is shown in (normally the firm's).
    pub tz: Tz,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    /// `(name, email)`. RFC 5546 requires an organizer for both methods.
    pub organizer: Option<(String, String)>,
    /// `(name, email)` of each attendee.
    pub attendees: Vec<(String, String)>,
    /// Used with [`Method::Request`]; a cancellation is always `CANCELLED`.
    pub status: EventStatus,
}

const PRODID: &str = "-//HERMES//Scheduling 1.0//EN";

/// The event as a complete `text/calendar` object: CRLF line endings,
/// lines folded at 75 octets (never inside a UTF-8 character), text
/// values escaped.
///
/// Start and end are written as local times with `TZID`, except an instant
/// that falls in the *second* occurrence of a local hour repeated when
/// clocks fall back: RFC 5545 reads an ambiguous local time as the first
/// occurrence, so such an instant is written in UTC (`…Z`) instead.
pub fn to_ics(event: &IcsEvent, method: Method) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        format!("PRODID:{PRODID}"),
        "VERSION:2.0".into(),
        "CALSCALE:GREGORIAN".into(),
        format!(
            "METHOD:{}",
            match method {
                Method::Request => "REQUEST",
                Method::Cancel => "CANCEL",
            }
        ),
    ];
    vtimezone(event, &mut lines);

    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{}", strip_controls(&event.uid)));
    lines.push(format!("SEQUENCE:{}", event.sequence));
    lines.push(format!("DTSTAMP:{}", utc_stamp(event.dtstamp)));
    lines.push(format!("DTSTART{}", zoned(event.start, event.tz)));
    lines.push(format!("DTEND{}", zoned(event.end, event.tz)));
    lines.push(format!("SUMMARY:{}", escape_text(&event.summary)));
    if !event.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", escape_text(&event.description)));
    }
    if let Some(location) = &event.location {
        lines.push(format!("LOCATION:{}", escape_text(location)));
    }
    if let Some((name, email)) = &event.organizer {
        lines.push(format!(
            "ORGANIZER;CN={}:{}",
            param_value(name),
            mailto(email)
        ));
    }
    for (name, email) in &event.attendees {
        let rsvp = match method {
            Method::Request => ";RSVP=TRUE",
            Method::Cancel => "",
        };
        lines.push(format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION{rsvp}:{}",
            param_value(name),
            mailto(email)
        ));
    }
    let status = match (method, event.status) {
        (Method::Cancel, _) | (_, EventStatus::Cancelled) => "CANCELLED",
        (_, EventStatus::Confirmed) => "CONFIRMED",
        (_, EventStatus::Tentative) => "TENTATIVE",
    };
    lines.push(format!("STATUS:{status}"));
    lines.push("TRANSP:OPAQUE".into());
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());

    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 4).sum());
    for line in &lines {
        fold_into(line, &mut out);
    }
    out
}

fn utc_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local_stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// `;TZID=Zone:local` or, for the second occurrence of a repeated local
/// time, `:utcZ`. Sub-second parts are dropped.
fn zoned(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz).naive_local();
    let first = tz
        .from_local_datetime(&local)
        .earliest()
        .map(|d| d.with_timezone(&Utc));
    let whole = |d: DateTime<Utc>| d.timestamp();
    if first.map(whole) == Some(t.timestamp()) {
        format!(";TZID={}:{}", tz.name(), local_stamp(local))
    } else {
        format!(":{}", utc_stamp(t))
    }
}

/// What distinguishes one observance from the next.
#[derive(Clone, PartialEq, Eq)]
struct Observance {
    offset: i32,
    dst: bool,
    /// The abbreviation (`EST`), or the numeric form (`+03`) where the
    /// database has none.
    name: String,
}

fn observance(tz: Tz, t: DateTime<Utc>) -> Observance {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc());
    Observance {
        offset: offset.fix().local_minus_utc(),
        dst: offset.dst_offset() != Duration::zero(),
        name: offset.to_string(),
    }
}

/// The zone's changes in `[from, to)`: (instant, before, after). Sampled
/// every 12 hours (zones change at most twice a year), then narrowed to the
/// second.
fn transitions(
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, Observance, Observance)> {
    let mut out = Vec::new();
    let mut t = from;
    let mut before = observance(tz, t);
    while t < to {
        let next = t + Duration::hours(12);
        if observance(tz, next) != before {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if observance(tz, mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let after = observance(tz, hi);
            out.push((hi, before, after.clone()));
            before = after;
        }
        t = next;
    }
    out
}

fn vtimezone(event: &IcsEvent, lines: &mut Vec<String>) {
    use chrono::Datelike;
    let tz = event.tz;
    let first_year = event.start.min(event.end).with_timezone(&tz).year() - 1;
    let last_year = event.start.max(event.end).with_timezone(&tz).year() + 1;
    let from = Utc.with_ymd_and_hms(first_year, 1, 1, 0, 0, 0).single();
    let to = Utc.with_ymd_and_hms(last_year + 1, 1, 1, 0, 0, 0).single();
    let changes = match (from, to) {
        (Some(from), Some(to)) => transitions(tz, from, to),
        _ => Vec::new(),
    };

    lines.push("BEGIN:VTIMEZONE".into());
    lines.push(format!("TZID:{}", tz.name()));
    if changes.is_empty() {
        let now = observance(tz, event.start);
        lines.push("BEGIN:STANDARD".into());
        lines.push("DTSTART:19700101T000000".into());
        lines.push(format!("TZOFFSETFROM:{}", utc_offset(now.offset)));
        lines.push(format!("TZOFFSETTO:{}", utc_offset(now.offset)));
        lines.push(format!("TZNAME:{}", escape_text(&now.name)));
        lines.push("END:STANDARD".into());
    }
    for (at, before, after) in changes {
        let kind = if after.dst { "DAYLIGHT" } else { "STANDARD" };
        // DTSTART is the local time of the change on the clock before it.
        let local = at.naive_utc() + Duration::seconds(before.offset.into());
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", local_stamp(local)));
        lines.push(format!("TZOFFSETFROM:{}", utc_offset(before.offset)));
        lines.push(format!("TZOFFSETTO:{}", utc_offset(after.offset)));
        lines.push(format!("TZNAME:{}", escape_text(&after.name)));
        lines.push(format!("END:{kind}"));
    }
    lines.push("END:VTIMEZONE".into());
}

/// `+HHMM`, or `+HHMMSS` for offsets with seconds; never `-0000`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped; other
/// control characters (forbidden in content lines) dropped.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn strip_controls(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// A parameter value, always quoted; DQUOTE cannot be escaped inside one,
/// so it becomes an apostrophe, and control characters become spaces.
fn param_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        out.push(match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        });
    }
    out.push('"');
    out
}

fn mailto(email: &str) -> String {
    let clean: String = email
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    format!("mailto:{clean}")
}

/// Appends `line` folded at 75 octets (a continuation line's leading space
/// counts) with CRLF endings, breaking only between characters.
fn fold_into(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let w = c.len_utf8();
        if width + w > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += w;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn event(tz: Tz, start: DateTime<Utc>) -> IcsEvent {
        IcsEvent {
            uid: "7d0c0b9e-1b7e-4a57-9d43-8d1f5cfb7f10@hermes.example".into(),
            sequence: 0,
            dtstamp: utc(2026, 3, 1, 12, 0),
            start,
            end: start + Duration::hours(1),
            tz,
            summary: "Consultation with Smith & Lee LLP".into(),
            description: "Your consultation is confirmed.".into(),
            location: Some("100 Main St, Suite 5; Springfield".into()),
            organizer: Some(("Smith & Lee LLP".into(), "intake@smithlee.example".into())),
            attendees: vec![("Jane Q. Public".into(), "jane@example.com".into())],
            status: EventStatus::Confirmed,
        }
    }

    /// Content lines with folding undone.
    fn unfold(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn block(lines: &[String], begin: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut current: Option<Vec<String>> = None;
        for l in lines {
            if l == &format!("BEGIN:{begin}") {
                current = Some(Vec::new());
            } else if l == &format!("END:{begin}") {
                out.extend(current.take());
            } else if let Some(c) = current.as_mut() {
                c.push(l.clone());
            }
        }
        out
    }

    #[test]
    fn request_has_the_required_properties_in_crlf_lines() {
        let ics = to_ics(
            &event(America::New_York, utc(2026, 3, 10, 14, 30)),
            Method::Request,
        );
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        assert!(!ics.replace("\r\n", "").contains('\r'));
        let lines = unfold(&ics);
        assert_eq!(lines[0], "BEGIN:VCALENDAR");
        for want in [
            "PRODID:-//HERMES//Scheduling 1.0//EN",
            "VERSION:2.0",
            "METHOD:REQUEST",
            "UID:7d0c0b9e-1b7e-4a57-9d43-8d1f5cfb7f10@hermes.example",
            "SEQUENCE:0",
            "DTSTAMP:20260301T120000Z",
            // 14:30Z on 2026-03-10 is 10:30 EDT.
            "DTSTART;TZID=America/New_York:20260310T103000",
            "DTEND;TZID=America/New_York:20260310T113000",
            "SUMMARY:Consultation with Smith & Lee LLP",
            "LOCATION:100 Main St\\, Suite 5\\; Springfield",
            "ORGANIZER;CN=\"Smith & Lee LLP\":mailto:intake@smithlee.example",
            "ATTENDEE;CN=\"Jane Q. Public\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:jane@example.com",
            "STATUS:CONFIRMED",
        ] {
            assert!(lines.iter().any(|l| l == want), "missing {want}\n{ics}");
        }
        assert_eq!(block(&lines, "VEVENT").len(), 1);
        assert_eq!(block(&lines, "VTIMEZONE").len(), 1);
    }

    #[test]
    fn cancel_uses_method_cancel_and_status_cancelled() {
        let mut e = event(America::New_York, utc(2026, 3, 10, 14, 30));
        e.sequence = 2;
        let lines = unfold(&to_ics(&e, Method::Cancel));
        assert!(lines.contains(&"METHOD:CANCEL".to_owned()));
        assert!(lines.contains(&"STATUS:CANCELLED".to_owned()));
        assert!(lines.contains(&"SEQUENCE:2".to_owned()));
        assert!(!lines.iter().any(|l| l.contains("RSVP")));
        e.status = EventStatus::Tentative;
        let lines = unfold(&to_ics(&e, Method::Request));
        assert!(lines.contains(&"STATUS:TENTATIVE".to_owned()));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
        assert_eq!(escape_text("one\r\ntwo\rthree"), "one\\ntwo\\nthree");
        assert_eq!(escape_text("bell\u{7}\ttab"), "bell\ttab");
        let mut e = event(Tz::UTC, utc(2026, 3, 10, 14, 30));
        e.description = "Line 1\nLine 2; with, punctuation \\ done".into();
        e.organizer = Some((
            "The \"Best\" Firm\nLLP".into(),
            " intake@firm.example\r\n".into(),
        ));
        let lines = unfold(&to_ics(&e, Method::Request));
        assert!(
            lines.contains(
                &"DESCRIPTION:Line 1\\nLine 2\\; with\\, punctuation \\\\ done".to_owned()
            )
        );
        assert!(lines.contains(
            &"ORGANIZER;CN=\"The 'Best' Firm LLP\":mailto:intake@firm.example".to_owned()
        ));
        // A UID cannot inject a property.
        e.uid = "x\r\nATTENDEE:mailto:evil@example.com".into();
        let lines = unfold(&to_ics(&e, Method::Request));
        assert!(lines.contains(&"UID:xATTENDEE:mailto:evil@example.com".to_owned()));
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut e = event(America::New_York, utc(2026, 3, 10, 14, 30));
        e.description = "Beratung über Ihre Anfrage — 日本語のテキスト 👩‍⚖️ ".repeat(8);
        e.summary = "é".repeat(100);
        let ics = to_ics(&e, Method::Request);
        let mut folded = 0;
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
            if line.starts_with(' ') {
                folded += 1;
            }
        }
        assert!(folded > 5);
        let lines = unfold(&ics);
        assert!(lines.contains(&format!("SUMMARY:{}", "é".repeat(100))));
        assert!(lines.contains(&format!("DESCRIPTION:{}", escape_text(&e.description))));
        // A full first line is exactly 75 octets.
        let mut out = String::new();
        fold_into(&"x".repeat(200), &mut out);
        let parts: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(parts[0].len(), 75);
        assert_eq!(parts[1].len(), 75);
        assert!(parts[1].starts_with(' '));
        assert_eq!(parts[2].len(), 1 + 200 - 75 - 74);
        // Two-byte characters never straddle the fold: after "X:", 36 fill
        // 74 octets and a 37th would make 76.
        let mut out = String::new();
        fold_into(&format!("X:{}", "é".repeat(40)), &mut out);
        let first = out.split("\r\n").next().unwrap();
        assert_eq!(first.len(), 2 + 2 * 36);
    }

    #[test]
    fn new_york_vtimezone_lists_real_transitions() {
        let lines = unfold(&to_ics(
            &event(America::New_York, utc(2026, 3, 10, 14, 30)),
            Method::Request,
        ));
        let tz = &block(&lines, "VTIMEZONE")[0];
        assert_eq!(tz[0], "TZID:America/New_York");
        let daylight = block(&lines, "DAYLIGHT");
        let standard = block(&lines, "STANDARD");
        // 2025, 2026 and 2027: three of each.
        assert_eq!(daylight.len(), 3);
        assert_eq!(standard.len(), 3);
        assert!(daylight.contains(&vec![
            "DTSTART:20260308T020000".to_owned(),
            "TZOFFSETFROM:-0500".to_owned(),
            "TZOFFSETTO:-0400".to_owned(),
            "TZNAME:EDT".to_owned(),
        ]));
        assert!(standard.contains(&vec![
            "DTSTART:20261101T020000".to_owned(),
            "TZOFFSETFROM:-0400".to_owned(),
            "TZOFFSETTO:-0500".to_owned(),
            "TZNAME:EST".to_owned(),
        ]));
        assert!(daylight.iter().any(|d| d[0] == "DTSTART:20250309T020000"));
        assert!(standard.iter().any(|d| d[0] == "DTSTART:20271107T020000"));
    }

    #[test]
    fn london_vtimezone() {
        let lines = unfold(&to_ics(
            &event(chrono_tz::Europe::London, utc(2026, 7, 1, 9, 0)),
            Method::Request,
        ));
        assert!(block(&lines, "DAYLIGHT").contains(&vec![
            "DTSTART:20260329T010000".to_owned(),
            "TZOFFSETFROM:+0000".to_owned(),
            "TZOFFSETTO:+0100".to_owned(),
            "TZNAME:BST".to_owned(),
        ]));
        assert!(block(&lines, "STANDARD").contains(&vec![
            "DTSTART:20261025T020000".to_owned(),
            "TZOFFSETFROM:+0100".to_owned(),
            "TZOFFSETTO:+0000".to_owned(),
            "TZNAME:GMT".to_owned(),
        ]));
        assert!(lines.contains(&"DTSTART;TZID=Europe/London:20260701T100000".to_owned()));
    }

    #[test]
    fn zone_without_dst_gets_one_standard_observance() {
        let lines = unfold(&to_ics(
            &event(America::Phoenix, utc(2026, 7, 1, 17, 0)),
            Method::Request,
        ));
        assert!(block(&lines, "DAYLIGHT").is_empty());
        assert_eq!(
            block(&lines, "STANDARD"),
            vec![vec![
                "DTSTART:19700101T000000".to_owned(),
                "TZOFFSETFROM:-0700".to_owned(),
                "TZOFFSETTO:-0700".to_owned(),
                "TZNAME:MST".to_owned(),
            ]]
        );
        assert!(lines.contains(&"DTSTART;TZID=America/Phoenix:20260701T100000".to_owned()));
        let lines = unfold(&to_ics(
            &event(chrono_tz::Asia::Kolkata, utc(2026, 7, 1, 4, 0)),
            Method::Request,
        ));
        assert!(lines.contains(&"TZOFFSETTO:+0530".to_owned()));
        assert!(lines.contains(&"DTSTART;TZID=Asia/Kolkata:20260701T093000".to_owned()));
    }

    #[test]
    fn second_occurrence_of_a_repeated_time_is_written_in_utc() {
        // 01:30 EDT on 2026-11-01 (05:30Z) for an hour ends 01:30 EST (06:30Z).
        let lines = unfold(&to_ics(
            &event(America::New_York, utc(2026, 11, 1, 5, 30)),
            Method::Request,
        ));
        assert!(lines.contains(&"DTSTART;TZID=America/New_York:20261101T013000".to_owned()));
        assert!(lines.contains(&"DTEND:20261101T063000Z".to_owned()));
    }

    #[test]
    fn offsets_format() {
        assert_eq!(utc_offset(0), "+0000");
        assert_eq!(utc_offset(-5 * 3600), "-0500");
        assert_eq!(utc_offset(5 * 3600 + 1800), "+0530");
        assert_eq!(utc_offset(-(3600 + 1800 + 36)), "-013036");
    }
}
