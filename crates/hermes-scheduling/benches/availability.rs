//! Availability for a busy firm: 20 attorneys over 30 days, each with
//! 8 hours a weekday split by lunch, about three bookings a day, a
//! closure, a 30-minute grid and 60-minute consultations. The issue's
//! target is at most 1 ms for `open_slots`; `offers` runs on its result.
//!
//! `cargo bench -p hermes-scheduling --bench availability`

use std::hint::black_box;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use criterion::{Criterion, criterion_group, criterion_main};
use hermes_scheduling::{
    AttorneyRules, Busy, Closure, Preference, SlotQuery, TimeRange, WeeklySchedule, is_bookable,
    offers, open_slots,
};
use uuid::Uuid;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

struct Firm {
    attorneys: Vec<AttorneyRules>,
    busy: Vec<Busy>,
    closures: Vec<Closure>,
    now: DateTime<Utc>,
}

fn firm() -> Firm {
    let day = [
        TimeRange::new(t(8, 30), t(12, 30)).unwrap(),
        TimeRange::new(t(13, 30), t(17, 30)).unwrap(),
    ];
    let weekly = WeeklySchedule::weekdays(&day).unwrap();
    // Monday 2026-03-02, 08:00 in New York; the window spans the DST change.
    let now = New_York
        .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let first = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let mut attorneys = Vec::new();
    let mut busy = Vec::new();
    for a in 0..20u32 {
        let attorney = Uuid::from_u128(0x1000 + u128::from(a));
        attorneys.push(AttorneyRules {
            attorney,
            weekly: weekly.clone(),
            buffer: Duration::minutes(15),
            min_notice: Duration::hours(2),
            horizon_days: 60,
            max_per_day: Some(6),
        });
        for d in 0..30 {
            let date = first + Duration::days(d);
            if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                continue;
            }
            // Three meetings at times that differ per attorney and day.
            let seed = (a * 7 + d as u32 * 3) % 5;
            for (i, (h, m)) in [(9, 0), (11, 30), (15, 0)].into_iter().enumerate() {
                let start = New_York
                    .from_local_datetime(&date.and_time(t(h + seed % 2, m)))
                    .earliest()
                    .unwrap()
                    .with_timezone(&Utc);
                busy.push(Busy {
                    attorney,
                    start,
                    end: start + Duration::minutes(if i == 1 { 30 } else { 60 }),
                    counts_toward_cap: i != 2,
                });
            }
        }
    }
    let closures = vec![Closure::day(
        NaiveDate::from_ymd_opt(2026, 3, 17).unwrap(),
        "Firm retreat",
    )];
    Firm {
        attorneys,
        busy,
        closures,
        now,
    }
}

fn query(f: &Firm) -> SlotQuery<'_> {
    SlotQuery {
        tz: New_York,
        attorneys: &f.attorneys,
        busy: &f.busy,
        closures: &f.closures,
        length: Duration::minutes(60),
        step: Duration::minutes(30),
        now: f.now,
        from: f.now,
        to: f.now + Duration::days(30),
    }
}

fn bench(c: &mut Criterion) {
    let f = firm();
    let q = query(&f);
    let slots = open_slots(&q);
    assert!(slots.len() > 1000, "{} slots", slots.len());
    println!(
        "{} attorneys, {} busy intervals, {} open slots",
        f.attorneys.len(),
        f.busy.len(),
        slots.len()
    );

    c.bench_function("open_slots 20 attorneys x 30 days", |b| {
        b.iter(|| open_slots(black_box(&q)))
    });
    let asap = Preference::Asap;
    c.bench_function("offers asap (3)", |b| {
        b.iter(|| offers(black_box(&slots), &asap, f.now, New_York, 3))
    });
    let tuesday = Preference::parse("tuesday morning after 10", f.now, New_York);
    c.bench_function("offers tuesday morning after 10 (3)", |b| {
        b.iter(|| offers(black_box(&slots), &tuesday, f.now, New_York, 3))
    });
    c.bench_function("Preference::parse", |b| {
        b.iter(|| {
            Preference::parse(
                black_box("next week, tuesday or thursday after 5pm"),
                f.now,
                New_York,
            )
        })
    });
    let pick = slots[slots.len() / 2];
    c.bench_function("is_bookable", |b| {
        b.iter(|| is_bookable(black_box(&q), pick.attorney, pick.start))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
