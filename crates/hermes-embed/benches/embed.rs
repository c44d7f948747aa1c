//! Cost of the semantic practice-area step of an agent turn: the keyword
//! classifier, one `embed`, `AreaIndex::scores` and `combine`, on typical
//! caller sentences, every call timed. Also the embedding alone, and the
//! one-time costs (loading the model, building an index).
//!
//! `cargo bench -p hermes-embed --bench embed` (the model must be fetched:
//! scripts/models.sh). `HERMES_BENCH_ROUNDS` changes the number of passes
//! over the sentences (default 100). candle's matrix products use as many
//! threads as `RAYON_NUM_THREADS` (default: one per core); run once with
//! `RAYON_NUM_THREADS=1` to see one conversation per core.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use hermes_embed::{AreaIndex, Embedder, combine};
use hermes_intake::dialogue::{AfterHours, Engine, Event, Firm, Readings};
use hermes_intake::reasoning::Reading;

const SENTENCES: [&str; 12] = [
    "I want to file for divorce from my husband",
    "my husband and I are splitting up and I'm worried about the kids",
    "they let me go after I told HR about my pregnancy",
    "I was rear ended on the freeway last Tuesday and my neck still hurts",
    "my son got arrested last night and they're holding him at the county jail",
    "my father passed away and we don't know what to do with his house",
    "my visa expires in March and my employer wants to keep me",
    "I can't keep up with my credit card bills anymore and the collectors call every day",
    "yes that's fine",
    "my name is Maria Lopez",
    "we got married on June 3rd 2015 and separated last March, and since then he has not paid anything for the children even though the court ordered him to",
    "hi, um, I'm calling because I got a letter from the court and I don't really understand what it means, it says something about a hearing next month",
];

fn pct(times: &mut [f64], p: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times[((times.len() as f64 - 1.0) * p).round() as usize]
}

fn row(name: &str, times: &mut [f64]) {
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "| {name} | {:.2} | **{:.2}** | {:.2} | {:.2} | {mean:.2} |",
        pct(times, 0.50),
        pct(times, 0.95),
        pct(times, 0.99),
        times[times.len() - 1],
    );
}

fn main() {
    let rounds: usize = std::env::var("HERMES_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into());

    let t = Instant::now();
    let embedder = Embedder::load(&common::model_dir()).expect("run scripts/models.sh");
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let standard = AreaIndex::standard(&embedder).unwrap();
    let standard_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let mut firm_areas = common::STANDARD.to_vec();
    firm_areas.push(("animal_law", "Animal law"));
    let index = standard.with_areas(&embedder, &firm_areas).unwrap();
    let firm_ms = t.elapsed().as_secs_f64() * 1e3;

    // Warm up (first calls allocate and fault pages in).
    for s in SENTENCES {
        embedder.embed(s).unwrap();
    }

    let (mut embed_only, mut step) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for s in SENTENCES {
            let t = Instant::now();
            std::hint::black_box(embedder.embed(s).unwrap());
            embed_only.push(t.elapsed().as_secs_f64() * 1e3);

            let t = Instant::now();
            let keyword = common::keyword_scores(s);
            let semantic = index.scores(&embedder, s).unwrap();
            std::hint::black_box(combine(&keyword, &semantic));
            step.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }

    // The whole agent turn where the model is used (the caller says what
    // the matter is about): the reading above, then the dialogue engine's
    // turn with it (vote, plan, triage, guardrail), from the same state.
    let at_topic = engine_at_topic(&firm_areas);
    let mut turn = Vec::new();
    for _ in 0..rounds {
        for s in SENTENCES {
            let mut engine = at_topic.clone();
            let t = Instant::now();
            let keyword = common::keyword_scores(s);
            let semantic = index.scores(&embedder, s).unwrap();
            let pick = combine(&keyword, &semantic)
                .into_iter()
                .next()
                .filter(|(_, score)| *score >= 0.3)
                .map(|(k, _)| k);
            let readings = Readings {
                practice_area: vec![Reading::new("embedding", pick)],
                ..Default::default()
            };
            let actions = engine.on_event(
                chrono::Utc::now(),
                Event::Caller {
                    text: s.to_owned(),
                    readings,
                },
            );
            std::hint::black_box(actions);
            turn.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }

    println!("## hermes-embed: semantic practice-area step\n");
    println!(
        "{} sentences × {rounds} rounds, release build, CPU, RAYON_NUM_THREADS={threads}; \
         once: load {load_ms:.0} ms, `AreaIndex::standard` {standard_ms:.0} ms; \
         per firm (`with_areas`, 7 display names + 1 custom area) {firm_ms:.0} ms\n",
        SENTENCES.len()
    );
    println!("| ms per call | p50 | p95 | p99 | max | mean |\n|---|---|---|---|---|---|");
    row("embed", &mut embed_only);
    row("classify + embed + scores + combine", &mut step);
    row(
        "whole agent turn at the topic question, with the model",
        &mut turn,
    );
}

/// An engine for a firm taking `areas`, led to the topic question.
fn engine_at_topic(areas: &[(&str, &str)]) -> Engine {
    let firm = Firm {
        name: "Bench and Bar LLP".into(),
        tz: chrono_tz::America::Chicago,
        state: Some("IL".into()),
        areas: areas
            .iter()
            .map(|(k, n)| ((*k).to_owned(), (*n).to_owned()))
            .collect(),
        question_sets: hermes_intake::questions::default_sets(),
        open_now: true,
        after_hours: AfterHours::Book,
        message_only: false,
        office: None,
    };
    let mut engine = Engine::new(firm).with_seed(7);
    let now = chrono::Utc::now();
    engine.on_event(now, Event::Start);
    for line in [
        "yes",
        "Maria Lopez",
        "L O P E Z",
        "503 555 0100",
        "yes",
        "no",
        "yes",
        "myself",
    ] {
        engine.on_event(now, Event::caller(line));
    }
    assert!(engine.wants().practice_area, "at the topic question");
    engine
}
