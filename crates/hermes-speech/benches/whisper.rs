//! Time to transcribe one utterance with Whisper tiny.en: 2-second and
//! 5-second utterances (espeak-ng speech, sent through the telephone band
//! like a real call, padded with silence to exactly 2 s / 5 s).
//!
//! `best` is `Settings::new(2)` (int8, greedy, fitted window, 2 threads);
//! the other rows each change one setting from it, so the table shows what
//! each choice is worth:
//!
//! ```text
//! cargo bench -p hermes-speech --features whisper --bench whisper
//! HERMES_BENCH_ONLY_BEST=1 cargo bench ...   # just the best settings
//! ```
//!
//! Needs the model (`scripts/models.sh`) and espeak-ng (`scripts/debian.sh`).

use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hermes_speech::whisper::{Precision, Settings, Whisper, Window, default_model_dir};
use hermes_voice::g711::{pcm_to_ulaw, ulaw_to_pcm};
use hermes_voice::resample::Resampler;

const UTTERANCES: [(&str, f32, &str); 2] = [
    ("2s", 2.0, "I was in a car accident."),
    (
        "5s",
        5.0,
        "My phone number is five five five, one two three, four five six seven.",
    ),
];

fn variants() -> Vec<(&'static str, Settings)> {
    let best = Settings::new(2);
    let mut v = vec![("best", best.clone())];
    if std::env::var_os("HERMES_BENCH_ONLY_BEST").is_none() {
        v.extend([
            (
                "fitted+2s",
                Settings {
                    window: Window::Fitted { padding_ms: 2000 },
                    ..best.clone()
                },
            ),
            (
                "fitted+6s",
                Settings {
                    window: Window::Fitted { padding_ms: 6000 },
                    ..best.clone()
                },
            ),
            (
                "full-30s-window",
                Settings {
                    window: Window::Full,
                    ..best.clone()
                },
            ),
            (
                "float32",
                Settings {
                    precision: Precision::Float32,
                    ..best.clone()
                },
            ),
            (
                "1-thread",
                Settings {
                    threads: 1,
                    ..best.clone()
                },
            ),
            (
                "beam-5",
                Settings {
                    beam_size: 5,
                    ..best.clone()
                },
            ),
        ]);
    }
    v
}

/// `text` spoken by espeak-ng, through 8 kHz μ-law, at 16 kHz, padded or
/// cut to `seconds`.
fn utterance(text: &str, seconds: f32) -> Vec<f32> {
    let path = std::env::temp_dir().join(format!("hermes-stt-bench-{}.wav", std::process::id()));
    let status = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&path)
        .arg(text)
        .status()
        .expect("espeak-ng (bash scripts/debian.sh)");
    assert!(status.success());
    let mut reader = hound::WavReader::open(&path).unwrap();
    let rate = reader.spec().sample_rate;
    let pcm: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    std::fs::remove_file(&path).ok();

    let resample = |pcm: &[i16], from: u32, to: u32| {
        let mut r = Resampler::new(from, to).unwrap();
        let mut out = r.process(pcm);
        out.extend(r.process(&vec![0; from as usize / 10]));
        out
    };
    let line = ulaw_to_pcm(&pcm_to_ulaw(&resample(&pcm, rate, 8_000)));
    let mut audio: Vec<f32> = resample(&line, 8_000, 16_000)
        .iter()
        .map(|s| f32::from(*s) / 32768.0)
        .collect();
    audio.resize((seconds * 16_000.0) as usize, 0.0);
    audio
}

fn bench(c: &mut Criterion) {
    let dir = default_model_dir();
    let utterances: Vec<_> = UTTERANCES
        .iter()
        .map(|(name, seconds, text)| (*name, utterance(text, *seconds)))
        .collect();
    let mut group = c.benchmark_group("whisper-tiny-en");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    for (variant, settings) in variants() {
        let whisper = Whisper::load_with(&dir, settings)
            .unwrap_or_else(|e| panic!("{e} (HERMES_MODELS_DIR or models/)"));
        for (name, audio) in &utterances {
            eprintln!("{variant} {name}: {:?}", whisper.transcribe(audio).unwrap());
            group.bench_with_input(BenchmarkId::new(variant, name), audio, |b, audio| {
                b.iter(|| whisper.transcribe(audio).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
