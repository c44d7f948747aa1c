//! Our iCalendar output, read back by an independent implementation:
//! Python's `icalendar` package (pinned in scripts/requirements-test.txt,
//! installed into target/pyenv by scripts/test.sh, which exports
//! `HERMES_TEST_PYTHON`).
//!
//! The script checks that the files parse, that UID, SEQUENCE and METHOD
//! survive, that escaped and folded text comes back as written, and that
//! DTSTART/DTEND resolve to the expected UTC instants twice: as the library
//! resolves them, and through a time zone built from *our* `VTIMEZONE`
//! alone (`to_tz(lookup_tzid=False)`), which is what a client with no or
//! older rules for the zone would use.
//!
//! Without the package the test fails under CI or
//! `HERMES_REQUIRE_SERVICES`, and otherwise prints a notice and passes.

use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use hermes_scheduling::{EventStatus, IcsEvent, Method, to_ics};

const SCRIPT: &str = r#"
import json, sys
from datetime import timezone
import icalendar

def utc(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

cases = json.load(open(sys.argv[1], encoding="utf-8"))
for case in cases:
    name = case["file"]
    with open(name, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    assert str(cal["METHOD"]) == case["method"], (name, cal["METHOD"])
    assert str(cal["VERSION"]) == "2.0", name
    events = cal.walk("VEVENT")
    assert len(events) == 1, name
    ev = events[0]
    assert str(ev["UID"]) == case["uid"], (name, ev["UID"])
    assert int(ev["SEQUENCE"]) == case["sequence"], (name, ev["SEQUENCE"])
    assert str(ev["STATUS"]) == case["status"], (name, ev["STATUS"])
    assert str(ev["SUMMARY"]) == case["summary"], (name, str(ev["SUMMARY"]))
    assert str(ev["DESCRIPTION"]) == case["description"], (name, str(ev["DESCRIPTION"]))
    zones = cal.walk("VTIMEZONE")
    assert len(zones) == 1, name
    ours = zones[0].to_tz(lookup_tzid=False)
    for key, want in (("DTSTART", case["start"]), ("DTEND", case["end"])):
        prop = ev[key]
        got = utc(prop.dt)
        assert got == want, (name, key, "library", got, want)
        if "TZID" in prop.params:
            assert prop.params["TZID"] == case["tzid"], (name, key, prop.params["TZID"])
            naive = prop.dt.replace(tzinfo=None)
            got = utc(naive.replace(tzinfo=ours))
            assert got == want, (name, key, "our VTIMEZONE", got, want)
print("checked", len(cases), "calendars")
"#;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn event(n: u32, tz: Tz, start: DateTime<Utc>, minutes: i64) -> IcsEvent {
    IcsEvent {
        uid: format!("booking-{n}@hermes.example"),
        sequence: n,
        dtstamp: utc(2026, 2, 1, 12, 0),
        start,
        end: start + Duration::minutes(minutes),
        tz,
        summary: "Consultation with Smith & Lee, LLP".into(),
        description: "Your consultation is confirmed.\nPlease bring ID; arrive 10 minutes early."
            .into(),
        location: None,
        organizer: Some(("Smith & Lee LLP".into(), "intake@smithlee.example".into())),
        attendees: vec![("Jane Public".into(), "jane@example.com".into())],
        status: EventStatus::Confirmed,
    }
}

fn python() -> Option<String> {
    let python = std::env::var("HERMES_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import icalendar"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(python)
}

#[test]
fn python_icalendar_reads_our_invitations() {
    let Some(python) = python() else {
        if std::env::var_os("CI").is_some() || std::env::var_os("HERMES_REQUIRE_SERVICES").is_some()
        {
            panic!(
                "Python `icalendar` not found (set HERMES_TEST_PYTHON; scripts/test.sh installs \
                 scripts/requirements-test.txt into target/pyenv)"
            );
        }
        eprintln!("skipping: Python `icalendar` not installed (scripts/test.sh sets it up)");
        return;
    };

    let ny = chrono_tz::America::New_York;
    let mut events = vec![
        // The week clocks spring forward (Sunday 2026-03-08): 10:30 EDT.
        (event(1, ny, utc(2026, 3, 10, 14, 30), 60), Method::Request),
        // The Friday before, still EST: 10:00 EST.
        (event(2, ny, utc(2026, 3, 6, 15, 0), 45), Method::Request),
        // Fall back: 01:30 EDT to 01:30 EST (the end is written in UTC).
        (event(3, ny, utc(2026, 11, 1, 5, 30), 60), Method::Request),
        (
            event(4, chrono_tz::America::Phoenix, utc(2026, 7, 1, 17, 0), 60),
            Method::Request,
        ),
        // London, the day after its spring change, cancelled.
        (
            event(5, chrono_tz::Europe::London, utc(2026, 3, 30, 9, 0), 30),
            Method::Cancel,
        ),
        // Lord Howe changes by 30 minutes (02:00 → 02:30 on 2026-10-04).
        (
            event(
                6,
                chrono_tz::Australia::Lord_Howe,
                utc(2026, 10, 4, 0, 0),
                60,
            ),
            Method::Request,
        ),
        // Around the new year: the VTIMEZONE spans 2026-2028.
        (
            event(7, chrono_tz::America::Chicago, utc(2027, 1, 1, 3, 30), 60),
            Method::Request,
        ),
    ];
    // Long, multi-byte, escaped text must fold and unfold intact.
    events[0].0.summary = "Beratung über Ihre Anfrage — 日本語, テキスト; 👩‍⚖️ \\ ".repeat(4);
    events[0].0.description = "Línea uno\nLínea dos, con; signos \\ y emoji 🗓️".repeat(3);

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hermes-scheduling-ics");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases = Vec::new();
    for (e, method) in &events {
        let path = dir.join(format!("event-{}.ics", e.sequence));
        std::fs::write(&path, to_ics(e, *method)).unwrap();
        cases.push(serde_json::json!({
            "file": path,
            "method": match method { Method::Request => "REQUEST", Method::Cancel => "CANCEL" },
            "uid": e.uid,
            "sequence": e.sequence,
            "status": match method { Method::Request => "CONFIRMED", Method::Cancel => "CANCELLED" },
            "summary": e.summary,
            "description": e.description,
            "tzid": e.tz.name(),
            "start": e.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "end": e.end.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }));
    }
    let cases_path = dir.join("cases.json");
    std::fs::write(&cases_path, serde_json::to_vec_pretty(&cases).unwrap()).unwrap();

    let out = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(&cases_path)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("checked {} calendars", events.len())),
        "{stdout}"
    );
}
