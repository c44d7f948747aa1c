//! Agent turn time in text mode on the local path (no embedding model, no
//! LLM): a whole family-law conversation, replayed many times, every
//! `on_event` timed. `cargo bench -p hermes-intake --bench turn`
//! (`HERMES_BENCH_CONVERSATIONS` to change the count, default 2000).

use std::time::Instant;

use chrono::{TimeZone, Utc};
use hermes_intake::dialogue::{Action, AfterHours, Engine, Event, Firm, SlotOption};

fn firm() -> Firm {
    Firm {
        name: "Smith and Jones".into(),
        tz: chrono_tz::America::Chicago,
        state: Some("OR".into()),
        areas: vec![
            ("family".into(), "Family law".into()),
            ("personal_injury".into(), "Personal injury".into()),
        ],
        question_sets: hermes_intake::questions::default_sets(),
        open_now: true,
        after_hours: AfterHours::Book,
        message_only: false,
        office: None,
    }
}

const SCRIPT: [&str; 10] = [
    "yes that's fine",
    "my name is Maria Lopez",
    "L-O-P-E-Z",
    "five oh three five five five zero one zero zero",
    "yes",
    "maria dot lopez at gmail dot com",
    "yes",
    "for myself",
    "I want to file for divorce from my husband",
    "yes",
];

fn main() {
    let n: usize = std::env::var("HERMES_BENCH_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 16, 0, 0).unwrap();
    let mut times = Vec::new();
    let mut timed = |engine: &mut Engine, event: Event| {
        let t = Instant::now();
        let out = engine.on_event(at, event);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        out
    };
    for _ in 0..n {
        let mut engine = Engine::new(firm());
        timed(&mut engine, Event::Start);
        for line in SCRIPT {
            timed(&mut engine, Event::caller(line));
        }
        let mut guard = 0;
        while !engine.is_done() && guard < 60 {
            guard += 1;
            let answer = match engine.stage_name() {
                "conflict_check" => "Carlos Lopez",
                "facts" => "we got married on June 3rd 2015 and separated last March",
                "scheduling" => "the first one",
                _ => "no that's all",
            };
            let out = timed(&mut engine, Event::caller(answer));
            // Play the world's part untimed.
            for a in out {
                let reply = match a {
                    Action::CheckConflicts { .. } => Some(Event::ConflictChecked {
                        status: "clear".into(),
                        review_id: None,
                    }),
                    Action::FindOffers { .. } => Some(Event::OffersFound {
                        options: vec![SlotOption {
                            id: "a".into(),
                            spoken: "Tuesday, December 1st at 10 in the morning, Central time"
                                .into(),
                        }],
                        matched_preference: true,
                    }),
                    Action::Hold { .. } => Some(Event::Held { ok: true }),
                    Action::Book { .. } => Some(Event::Booked {
                        id: "b".into(),
                        tentative: false,
                    }),
                    _ => None,
                };
                if let Some(e) = reply {
                    let more = engine.on_event(at, e);
                    for m in more {
                        if let Action::Hold { .. } = m {
                            engine.on_event(at, Event::Held { ok: true });
                            engine.on_event(
                                at,
                                Event::Booked {
                                    id: "b".into(),
                                    tentative: false,
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!("## hermes-intake turn time (local path, text mode)\n");
    println!(
        "{n} conversations, {} timed turns, one thread, release build\n",
        times.len()
    );
    println!("| metric | ms |\n|---|---|");
    println!("| p50 | {:.3} |", pct(0.50));
    println!("| p95 | **{:.3}** |", pct(0.95));
    println!("| p99 | {:.3} |", pct(0.99));
    println!("| max | {:.3} |", times[times.len() - 1]);
    println!(
        "| mean | {:.3} |",
        times.iter().sum::<f64>() / times.len() as f64
    );
}
