//! Time to first audio with Piper (en_US-joe-medium) on this machine.
//!
//! The agent's reply is split with `sentences` and spoken sentence by
//! sentence, so what the caller waits for is the split plus the first
//! sentence's synthesis (espeak-ng, the model, the conversion to PCM). The
//! whole reply is measured too: it must finish well within the time it
//! takes to play, or the caller hears gaps.
//!
//! `cargo bench -p hermes-speech --features piper --bench piper`; models
//! from `scripts/models.sh` (or `HERMES_MODELS_DIR`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use hermes_speech::piper::{Piper, sentences};

/// A typical agent turn: three sentences, the first of twelve words.
const REPLY: &str = "Thank you, I have noted that your consultation is on Tuesday morning. \
                     Attorney Rivera will call you at 555-123-4567 before 2:30 PM. \
                     Is there anything else I can help you with today?";

fn voice_dir() -> PathBuf {
    let models = match std::env::var_os("HERMES_MODELS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"),
    };
    models.join("piper-joe")
}

fn bench(c: &mut Criterion) {
    let piper = Piper::load(&voice_dir())
        .unwrap_or_else(|e| panic!("{e} (run scripts/models.sh, or set HERMES_MODELS_DIR)"));
    let first = sentences(REPLY)[0];
    assert_eq!(first.split_whitespace().count(), 12, "{first}");
    let seconds = |text: &str| {
        let audio = piper.synthesize(text).unwrap();
        audio.len() as f64 / f64::from(piper.sample_rate())
    };
    println!(
        "audio: the first sentence {:.2} s, the whole reply {:.2} s",
        seconds(first),
        sentences(REPLY).into_iter().map(seconds).sum::<f64>()
    );

    let mut group = c.benchmark_group("piper");
    // Each run takes a large fraction of a second: a few flat samples.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("first audio of a reply (12-word sentence)", |b| {
        b.iter(|| piper.synthesize(sentences(REPLY)[0]).unwrap())
    });
    group.bench_function("whole 3-sentence reply, sentence by sentence", |b| {
        b.iter(|| {
            sentences(REPLY)
                .into_iter()
                .map(|s| piper.synthesize(s).unwrap().len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
