//! How well the node's voice-activity detection tells speech from the
//! rest on a telephone line, frame by frame, beside the loudness-only
//! detector: the accuracy that goes with the load benchmark's throughput.
//!
//! The labelled set is built here, so that nobody marks anything by ear:
//! espeak-ng sentences (four voices and speeds) trimmed to their voiced
//! extent, placed at known times between stretches of line noise, with
//! non-speech events between them (noise bursts 12 dB over the bed, a
//! keypad tone, a ring tone) that a loudness detector cannot tell from
//! a voice. Each condition is one noise bed — the line's hiss, or white or
//! low-passed ("rumble") noise at 20, 10 and 5 dB under the speech — under
//! the whole stretch, speech included. The line is 8 kHz μ-law; the
//! detector hears it as the call pipeline does: decoded, resampled to
//! 16 kHz in 20 ms chunks, fed to the node's batching service (all
//! conditions' streams at once, so they share batches).
//!
//! A 32 ms frame is labelled speech when at least half of it lies inside
//! a sentence's voiced extent, not scored when less than half does, and
//! not scored either just before a sentence (1 frame) or just after it
//! (3 frames, 96 ms): the model lets go of speech over a few frames by
//! design (the endpointer's hangover is far longer). Everything else is
//! non-speech. Threshold 0.5, as the pipeline's `speech_threshold`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use hermes::simulate::Espeak;
use hermes_api::voice::local::SileroBackend;
use hermes_api::voice::speech::{EnergyVad, VadBackend, VadService, VadVerdict};
use hermes_speech::vad::{FRAME, SileroVad};
use hermes_voice::g711;
use hermes_voice::resample::Resampler;
use tokio::sync::mpsc;

use super::line::{SPEECH_DBFS, db_to_amplitude, speech, white_noise};

#[derive(Debug, clap::Args)]
pub struct AccuracyArgs {
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
}

const SENTENCES: [&str; 8] = [
    "Hi, I'm calling because my landlord is trying to evict me",
    "It happened on the fourth of March, around six in the evening",
    "My daughter's father stopped paying child support last year",
    "Could somebody call me back after three o'clock",
    "I got a letter from the court and I don't understand it",
    "No, I've never talked to a lawyer about this before",
    "The accident was on Highway 26 near the Sunset exit",
    "Okay, thank you so much for your help",
];

const VOICES: [(&str, u32); 4] = [
    ("en-us", 165),
    ("en-us+f3", 180),
    ("en+m3", 145),
    ("en-us+f2", 195),
];

#[derive(Debug, Clone, Copy)]
enum Bed {
    /// The line's own hiss, −70 dBFS.
    Hiss,
    /// White noise this many dB under the speech.
    White(f32),
    /// Low-passed noise (road, wind, a crowd far off) this many dB under.
    Rumble(f32),
}

impl Bed {
    fn name(self) -> String {
        match self {
            Bed::Hiss => "line hiss (−70 dBFS)".into(),
            Bed::White(snr) => format!("white noise, SNR {snr} dB"),
            Bed::Rumble(snr) => format!("low-passed noise, SNR {snr} dB"),
        }
    }

    fn noise(self, seed: u64, n: usize) -> Vec<f32> {
        match self {
            Bed::Hiss => white_noise(seed, n, super::line::HISS_DBFS),
            Bed::White(snr) => white_noise(seed, n, SPEECH_DBFS - snr),
            Bed::Rumble(snr) => {
                // One-pole low-pass at ~300 Hz (8 kHz), then back to level.
                let mut y = 0.0f32;
                let lp: Vec<f32> = white_noise(seed, n, 0.0)
                    .into_iter()
                    .map(|x| {
                        y += 0.21 * (x - y);
                        y
                    })
                    .collect();
                let gain = db_to_amplitude(SPEECH_DBFS - snr) / super::line::rms(&lp).max(1e-9);
                lp.into_iter().map(|v| v * gain).collect()
            }
        }
    }
}

const BEDS: [Bed; 7] = [
    Bed::Hiss,
    Bed::White(20.0),
    Bed::White(10.0),
    Bed::White(5.0),
    Bed::Rumble(20.0),
    Bed::Rumble(10.0),
    Bed::Rumble(5.0),
];

/// A tone of `hz` (one or two frequencies) for `ms` at `dbfs` RMS.
fn tone(freqs: &[f32], ms: usize, dbfs: f32) -> Vec<f32> {
    let n = ms * 8;
    let x: Vec<f32> = (0..n)
        .map(|k| {
            freqs
                .iter()
                .map(|f| (2.0 * std::f32::consts::PI * f * k as f32 / 8_000.0).sin())
                .sum()
        })
        .collect();
    let gain = db_to_amplitude(dbfs) / super::line::rms(&x).max(1e-9);
    x.into_iter().map(|v| v * gain).collect()
}

/// One condition's line audio (8 kHz) and its voiced spans (samples).
struct Condition {
    bed: Bed,
    line: Vec<f32>,
    spans: Vec<(usize, usize)>,
}

fn condition(k: u64, bed: Bed, sentences: &[Vec<f32>]) -> Condition {
    let mut line: Vec<f32> = Vec::new();
    let mut spans = Vec::new();
    let bed_dbfs = match bed {
        Bed::Hiss => -50.0,
        Bed::White(snr) | Bed::Rumble(snr) => SPEECH_DBFS - snr,
    };
    for (i, s) in sentences.iter().enumerate() {
        // A pause of 0.6 to 1.5 s, with a non-speech event in it.
        line.extend(vec![0.0; 2_400 + (i * 1_700) % 4_000]);
        let event = match i % 3 {
            0 => white_noise(k * 100 + i as u64, 4_000, bed_dbfs + 12.0),
            1 => tone(&[770.0, 1_336.0], 250, -20.0),
            _ => tone(&[440.0, 480.0], 600, -24.0),
        };
        line.extend(event);
        line.extend(vec![0.0; 2_400]);
        spans.push((line.len(), line.len() + s.len()));
        line.extend_from_slice(s);
    }
    line.extend(vec![0.0; 8_000]);
    let noise = bed.noise(k, line.len());
    for (x, n) in line.iter_mut().zip(noise) {
        *x += n;
    }
    Condition { bed, line, spans }
}

/// The line as the pipeline hears it: μ-law, decoded, 16 kHz.
fn through_the_line(x: &[f32]) -> Vec<i16> {
    let pcm: Vec<i16> = super::line::ulaw(x)
        .into_iter()
        .map(g711::ulaw_decode)
        .collect();
    let mut up = Resampler::new(8_000, 16_000).expect("8 → 16 kHz");
    let mut out: Vec<i16> = pcm.chunks(160).flat_map(|c| up.process(c)).collect();
    out.truncate(pcm.len() * 2);
    out
}

/// The resampler's delay in 16 kHz samples: where a click comes out.
fn resampler_delay() -> usize {
    let mut click = vec![0i16; 1_600];
    click[0] = 16_000;
    let mut up = Resampler::new(8_000, 16_000).expect("8 → 16 kHz");
    let out: Vec<i16> = click.chunks(160).flat_map(|c| up.process(c)).collect();
    out.iter()
        .enumerate()
        .max_by_key(|(_, s)| s.unsigned_abs())
        .map_or(0, |(i, _)| i)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Label {
    Speech,
    Other,
    Skip,
}

fn labels(spans: &[(usize, usize)], delay: usize, frames: usize) -> Vec<Label> {
    let spans16: Vec<(usize, usize)> = spans
        .iter()
        .map(|(a, b)| (a * 2 + delay, b * 2 + delay))
        .collect();
    let mut out: Vec<Label> = (0..frames)
        .map(|f| {
            let (lo, hi) = (f * FRAME, (f + 1) * FRAME);
            let inside: usize = spans16
                .iter()
                .map(|&(a, b)| hi.min(b).saturating_sub(lo.max(a)))
                .sum();
            if inside * 2 >= FRAME {
                Label::Speech
            } else if inside > 0 {
                Label::Skip
            } else {
                Label::Other
            }
        })
        .collect();
    // The guards: one frame before each sentence, three after it.
    for (a, b) in spans16 {
        let (first, last) = (a / FRAME, (b - 1) / FRAME);
        let guarded = first.saturating_sub(1)..(last + 4).min(frames);
        for (f, label) in out
            .iter_mut()
            .enumerate()
            .take(guarded.end)
            .skip(guarded.start)
        {
            if f < first || f > last {
                *label = Label::Skip;
            }
        }
    }
    out
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tp: u64,
    fp: u64,
    fn_: u64,
    tn: u64,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
    }

    fn cell(&self) -> String {
        let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
        let r = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        format!("{:.3} / {:.3} / **{:.3}**", p, r, f1)
    }
}

fn score(labels: &[Label], probs: &[f32]) -> Counts {
    let mut c = Counts::default();
    for (l, p) in labels.iter().zip(probs) {
        let said = *p >= 0.5;
        match (l, said) {
            (Label::Speech, true) => c.tp += 1,
            (Label::Speech, false) => c.fn_ += 1,
            (Label::Other, true) => c.fp += 1,
            (Label::Other, false) => c.tn += 1,
            (Label::Skip, _) => {}
        }
    }
    c
}

/// Every condition's probabilities from one service, all streams fed
/// together 20 ms at a time as calls feed it.
async fn detect(service: &VadService, audio: &[Vec<i16>]) -> anyhow::Result<Vec<Vec<f32>>> {
    let mut streams = Vec::new();
    let mut receivers = Vec::new();
    for a in audio {
        let (tx, rx) = mpsc::channel::<VadVerdict>(a.len() / FRAME + 16);
        streams.push(service.open(tx));
        receivers.push(rx);
    }
    let longest = audio.iter().map(Vec::len).max().unwrap_or(0);
    for at in (0..longest).step_by(320) {
        for (s, a) in streams.iter_mut().zip(audio) {
            if at < a.len() {
                s.push(&a[at..(at + 320).min(a.len())]);
            }
        }
        // About real time's order of arrival, faster: let the batcher run.
        if (at / 320) % 8 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let mut out = Vec::new();
    for (a, mut rx) in audio.iter().zip(receivers) {
        let frames = a.len() / FRAME;
        let mut probs = vec![0.0f32; frames];
        for _ in 0..frames {
            let v = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
                .await
                .context("the VAD service stopped answering")?
                .context("the VAD service closed")?;
            probs[(v.seq - 1) as usize] = v.probability;
        }
        out.push(probs);
    }
    drop(streams);
    Ok(out)
}

/// Silero alone, one stream at a time, without the gate.
fn ungated(silero: &SileroVad, audio: &[i16]) -> anyhow::Result<Vec<f32>> {
    let mut stream = silero.stream();
    let x: Vec<f32> = audio.iter().map(|s| f32::from(*s) / 32768.0).collect();
    x.chunks_exact(FRAME)
        .map(|f| Ok(silero.probability(&mut stream, f)?))
        .collect()
}

pub async fn run(args: AccuracyArgs) -> anyhow::Result<()> {
    let dir = std::path::absolute(&args.models_dir)?;
    let mut sentences = Vec::new();
    for (i, text) in SENTENCES.iter().enumerate() {
        let (voice, wpm) = VOICES[i % VOICES.len()];
        let espeak = Espeak {
            voice: voice.into(),
            words_per_minute: wpm,
        };
        // Levels vary by caller: −22 dBFS ± 6.
        let level = SPEECH_DBFS + [0.0, 6.0, -6.0, 3.0][i % 4];
        sentences.push(speech(&espeak, text, level)?);
    }
    let delay = resampler_delay();
    let conditions: Vec<Condition> = BEDS
        .iter()
        .enumerate()
        .map(|(k, b)| condition(k as u64 + 10, *b, &sentences))
        .collect();
    let audio: Vec<Vec<i16>> = conditions
        .iter()
        .map(|c| through_the_line(&c.line))
        .collect();
    let labelled: Vec<Vec<Label>> = conditions
        .iter()
        .zip(&audio)
        .map(|(c, a)| labels(&c.spans, delay, a.len() / FRAME))
        .collect();

    let silero = Arc::new(SileroVad::load_with_sessions(&dir, 1)?);
    let node = VadService::start(Box::new(SileroBackend::new(silero.clone())), 0.0);
    let detectors: Vec<(&str, Box<dyn VadBackend>)> = vec![
        (
            "energy, −34 dBFS",
            Box::new(EnergyVad {
                threshold_rms: 0.02,
            }),
        ),
        (
            "energy, −40 dBFS",
            Box::new(EnergyVad {
                threshold_rms: 0.01,
            }),
        ),
    ];
    let mut results: Vec<(&str, Vec<Vec<f32>>)> =
        vec![("node: Silero + gate, batched", detect(&node, &audio).await?)];
    results.push((
        "Silero alone, no gate",
        audio
            .iter()
            .map(|a| ungated(&silero, a))
            .collect::<anyhow::Result<_>>()?,
    ));
    for (name, backend) in detectors {
        let service = VadService::start(backend, 0.0);
        results.push((name, detect(&service, &audio).await?));
    }

    let speech_frames: usize = labelled
        .iter()
        .flatten()
        .filter(|l| **l == Label::Speech)
        .count();
    let other_frames: usize = labelled
        .iter()
        .flatten()
        .filter(|l| **l == Label::Other)
        .count();
    let skipped: usize = labelled
        .iter()
        .flatten()
        .filter(|l| **l == Label::Skip)
        .count();
    println!(
        "{} sentences × {} conditions; {speech_frames} speech and {other_frames} non-speech frames scored, {skipped} not scored; resampler delay {delay} samples at 16 kHz",
        SENTENCES.len(),
        BEDS.len()
    );
    println!();
    print!("| condition |");
    for (name, _) in &results {
        print!(" {name}: P / R / F1 |");
    }
    println!();
    println!("|---|{}", "---|".repeat(results.len()));
    let mut totals = vec![Counts::default(); results.len()];
    for (k, c) in conditions.iter().enumerate() {
        print!("| {} |", c.bed.name());
        for (d, (_, probs)) in results.iter().enumerate() {
            let s = score(&labelled[k], &probs[k]);
            totals[d].add(s);
            print!(" {} |", s.cell());
        }
        println!();
    }
    print!("| **all** |");
    for t in &totals {
        print!(" {} |", t.cell());
    }
    println!();
    Ok(())
}
