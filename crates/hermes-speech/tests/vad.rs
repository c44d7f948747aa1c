//! Silero VAD on real speech with known answers.
//!
//! The labelled set is built when the test runs: espeak-ng (Debian's,
//! `scripts/debian.sh`) speaks caller-like sentences in several voices,
//! speeds and levels; `hermes-voice`'s resampler takes them from 22.05 to
//! 16 kHz; they are spliced between stretches of digital silence, white
//! noise and pink noise, and some are mixed with that noise. Where each
//! sentence starts and stops is known to the sample, so every 32 ms frame
//! has a label. Synthetic speech is not a caller on a phone line, but it
//! is speech the model has never seen, at positions nobody had to mark by
//! ear, and it fails loudly when the model, the state handling or the
//! batching is wrong.
//!
//! `cargo test -p hermes-speech --features vad --test vad -- --nocapture`
//! prints the accuracy per condition.

mod common;

use std::process::Command;

use hermes_speech::SpeechError;
use hermes_speech::vad::{EnergyGate, FRAME, SileroVad, VadStream};
use hermes_voice::resample::Resampler;

/// Share of scored frames the detector must get right (probability ≥ 0.5
/// on speech, < 0.5 elsewhere).
const MIN_ACCURACY: f64 = 0.90;

/// Each class on its own, so that neither can carry the other.
const MIN_CLASS_ACCURACY: f64 = 0.85;

/// Frames this close to the start (before) or the end (after) of a
/// sentence are not scored: a frame there is partly speech, and the model
/// by design lets its probability fall over a few frames after speech
/// stops (its own wrapper adds a further 100 ms before it calls speech
/// over). One frame before the start, three after the end (96 ms).
const GUARD_BEFORE: usize = 1;
const GUARD_AFTER: usize = 3;

const THRESHOLD: f32 = 0.5;

// ---------------------------------------------------------------------------
// Audio

/// A deterministic generator (xorshift64*): the same noise on every run.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }

    /// `n` samples of white noise at RMS `dbfs`.
    fn white(&mut self, n: usize, dbfs: f32) -> Vec<f32> {
        let raw: Vec<f32> = (0..n).map(|_| self.uniform()).collect();
        scale_to(raw, dbfs)
    }

    /// `n` samples of pink (1/f) noise at RMS `dbfs`: Paul Kellet's
    /// refined filter over white noise.
    fn pink(&mut self, n: usize, dbfs: f32) -> Vec<f32> {
        let mut b = [0f32; 7];
        let raw: Vec<f32> = (0..n)
            .map(|_| {
                let w = self.uniform();
                b[0] = 0.99886 * b[0] + w * 0.0555179;
                b[1] = 0.99332 * b[1] + w * 0.0750759;
                b[2] = 0.96900 * b[2] + w * 0.153852;
                b[3] = 0.86650 * b[3] + w * 0.3104856;
                b[4] = 0.55000 * b[4] + w * 0.5329522;
                b[5] = -0.7616 * b[5] - w * 0.0168980;
                let out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
                b[6] = w * 0.115926;
                out
            })
            .collect();
        scale_to(raw, dbfs)
    }
}

fn rms_dbfs(x: &[f32]) -> f32 {
    let ms = x.iter().map(|s| s * s).sum::<f32>() / x.len().max(1) as f32;
    10.0 * ms.max(1e-20).log10()
}

fn scale_to(mut x: Vec<f32>, dbfs: f32) -> Vec<f32> {
    let gain = 10f32.powf((dbfs - rms_dbfs(&x)) / 20.0);
    x.iter_mut().for_each(|s| *s *= gain);
    x
}

/// espeak-ng's voice for `text`, at 16 kHz in [-1, 1].
fn speak(text: &str, voice: &str, speed: u32, pitch: u32) -> Vec<f32> {
    let out = Command::new("espeak-ng")
        .args([
            "-v",
            voice,
            "-s",
            &speed.to_string(),
            "-p",
            &pitch.to_string(),
        ])
        .arg("--stdout")
        .arg(text)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run espeak-ng ({e}): run scripts/debian.sh, which installs it")
        });
    assert!(
        out.status.success(),
        "espeak-ng failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (rate, pcm) = parse_wav(&out.stdout);
    assert_eq!(rate, 22_050, "espeak-ng's rate changed");
    // The resampler works in whole 20 ms chunks: pad so the end comes out.
    let mut pcm = pcm;
    pcm.extend(std::iter::repeat_n(0, 2 * 441));
    let mut resampler = Resampler::new(22_050, 16_000).unwrap();
    resampler
        .process(&pcm)
        .into_iter()
        .map(|s| f32::from(s) / 32768.0)
        .collect()
}

/// The rate and 16-bit mono samples of a WAV as espeak-ng writes it to
/// stdout (its size fields are placeholders there: the data runs to the
/// end).
fn parse_wav(bytes: &[u8]) -> (u32, Vec<i16>) {
    assert!(bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE");
    let mut at = 12;
    let mut rate = 0;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = at + 8;
        if id == b"fmt " {
            let channels = u16::from_le_bytes([bytes[body + 2], bytes[body + 3]]);
            let bits = u16::from_le_bytes([bytes[body + 14], bytes[body + 15]]);
            assert_eq!((channels, bits), (1, 16), "espeak-ng's format changed");
            rate = u32::from_le_bytes(bytes[body + 4..body + 8].try_into().unwrap());
        } else if id == b"data" {
            let pcm = bytes[body..]
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
            return (rate, pcm);
        }
        at = body + size;
    }
    panic!("no data chunk in espeak-ng's output");
}

/// The first and last sample of `x` inside speech: where a 10 ms window's
/// level comes within 40 dB of the loudest window's.
fn active_range(x: &[f32]) -> (usize, usize) {
    let win = 160;
    let levels: Vec<f32> = x.chunks(win).map(rms_dbfs).collect();
    let peak = levels.iter().copied().fold(f32::MIN, f32::max);
    let first = levels.iter().position(|l| *l > peak - 40.0).unwrap();
    let last = levels.iter().rposition(|l| *l > peak - 40.0).unwrap();
    (first * win, ((last + 1) * win).min(x.len()))
}

// ---------------------------------------------------------------------------
// The labelled set

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Speech,
    Silence,
    /// Too close to a boundary to score.
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Background {
    /// Digital zeros, and white noise at −70 dBFS (an idle line).
    Quiet,
    /// White noise at −45 dBFS.
    White,
    /// Pink noise at −40 dBFS.
    Pink,
    /// White noise at −35 dBFS: a bad line, speech 6–12 dB above it.
    Loud,
}

struct LabelledSet {
    audio: Vec<f32>,
    labels: Vec<Label>,
    backgrounds: Vec<Background>,
}

const SENTENCES: [&str; 8] = [
    "Hello I was in a car accident last week and I think I need a lawyer",
    "My name is Maria Gonzalez and my number is five five five one two three four",
    "I would like to schedule a consultation for Tuesday morning",
    "The other driver's insurance company keeps calling me",
    "Can I speak with an attorney about my divorce",
    "My employer fired me after I reported a safety problem",
    "We need help with my father's estate",
    "Yes that works for me thank you",
];

const VOICES: [(&str, u32, u32); 4] = [
    ("en-us", 160, 50),
    ("en-us+f3", 175, 60),
    ("en+m3", 145, 35),
    ("en-us+f2", 190, 70),
];

fn labelled_set() -> LabelledSet {
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let mut audio = Vec::new();
    let mut spans = Vec::new();
    let mut backgrounds_at = Vec::new(); // (first sample, background)
    let levels = [-26.0, -20.0, -32.0];
    let backgrounds = [
        Background::Quiet,
        Background::White,
        Background::Pink,
        Background::Loud,
    ];
    let mut k = 0usize;
    for background in backgrounds {
        for (i, text) in SENTENCES.iter().enumerate() {
            let (voice, speed, pitch) = VOICES[(i + k) % VOICES.len()];
            let level = levels[(i + k) % levels.len()];
            k += 1;
            let speech = speak(text, voice, speed, pitch);
            let (a, b) = active_range(&speech);
            let speech = {
                let gain = 10f32.powf((level - rms_dbfs(&speech[a..b])) / 20.0);
                speech.iter().map(|s| s * gain).collect::<Vec<_>>()
            };
            // A pause before the sentence: 0.5 to 1.2 s.
            let gap = 8_000 + (i * 1_600) % 11_200;
            let bed = |noise: &mut Noise, n: usize| match background {
                Background::Quiet if i.is_multiple_of(2) => vec![0.0; n],
                Background::Quiet => noise.white(n, -70.0),
                Background::White => noise.white(n, -45.0),
                Background::Pink => noise.pink(n, -40.0),
                Background::Loud => noise.white(n, -35.0),
            };
            backgrounds_at.push((audio.len(), background));
            audio.extend(bed(&mut noise, gap));
            let start = audio.len();
            let under = bed(&mut noise, speech.len());
            audio.extend(speech.iter().zip(&under).map(|(s, n)| s + n));
            spans.push((start + a, start + b));
        }
    }
    // A last pause so the final sentence's end is scored too.
    audio.extend(noise.white(16_000, -70.0));
    audio.truncate(audio.len() / FRAME * FRAME);

    let frames = audio.len() / FRAME;
    let mut labels = vec![Label::Silence; frames];
    let mut frame_backgrounds = vec![Background::Quiet; frames];
    for (f, label) in labels.iter_mut().enumerate() {
        let (lo, hi) = (f * FRAME, (f + 1) * FRAME);
        let overlap: usize = spans
            .iter()
            .map(|&(a, b)| hi.min(b).saturating_sub(lo.max(a)))
            .sum();
        *label = if overlap * 2 >= FRAME {
            Label::Speech
        } else if overlap > 0 {
            Label::Skip
        } else {
            Label::Silence
        };
        frame_backgrounds[f] = backgrounds_at
            .iter()
            .rev()
            .find(|(at, _)| *at <= lo)
            .map_or(Background::Quiet, |(_, b)| *b);
    }
    for &(a, b) in &spans {
        let first = a / FRAME;
        let last = (b - 1) / FRAME;
        labels[first.saturating_sub(GUARD_BEFORE)..first].fill(Label::Skip);
        labels[(last + 1).min(frames)..(last + 1 + GUARD_AFTER).min(frames)].fill(Label::Skip);
    }
    LabelledSet {
        audio,
        labels,
        backgrounds: frame_backgrounds,
    }
}

// ---------------------------------------------------------------------------
// Scoring

struct Score {
    right: usize,
    scored: usize,
    speech_right: usize,
    speech: usize,
    silence_right: usize,
    silence: usize,
}

fn score(set: &LabelledSet, probs: &[f32], only: Option<Background>) -> Score {
    let mut s = Score {
        right: 0,
        scored: 0,
        speech_right: 0,
        speech: 0,
        silence_right: 0,
        silence: 0,
    };
    for ((label, background), p) in set.labels.iter().zip(&set.backgrounds).zip(probs) {
        if only.is_some_and(|b| b != *background) {
            continue;
        }
        let said_speech = *p >= THRESHOLD;
        match label {
            Label::Speech => {
                s.speech += 1;
                s.speech_right += usize::from(said_speech);
            }
            Label::Silence => {
                s.silence += 1;
                s.silence_right += usize::from(!said_speech);
            }
            Label::Skip => continue,
        }
        s.scored += 1;
        s.right += usize::from(said_speech == (*label == Label::Speech));
    }
    s
}

fn ratio(a: usize, b: usize) -> f64 {
    a as f64 / b.max(1) as f64
}

fn report(name: &str, set: &LabelledSet, probs: &[f32]) -> Score {
    println!("{name}:");
    for b in [
        Background::Quiet,
        Background::White,
        Background::Pink,
        Background::Loud,
    ] {
        let s = score(set, probs, Some(b));
        println!(
            "  {b:?}: {:.1}% of {} frames (speech {:.1}% of {}, silence {:.1}% of {})",
            100.0 * ratio(s.right, s.scored),
            s.scored,
            100.0 * ratio(s.speech_right, s.speech),
            s.speech,
            100.0 * ratio(s.silence_right, s.silence),
            s.silence,
        );
    }
    let s = score(set, probs, None);
    println!(
        "  all: {:.1}% of {} frames (speech {:.1}% of {}, silence {:.1}% of {}); {} not scored",
        100.0 * ratio(s.right, s.scored),
        s.scored,
        100.0 * ratio(s.speech_right, s.speech),
        s.speech,
        100.0 * ratio(s.silence_right, s.silence),
        s.silence,
        set.labels.iter().filter(|l| **l == Label::Skip).count(),
    );
    s
}

fn assert_accurate(name: &str, s: &Score) {
    let all = ratio(s.right, s.scored);
    let speech = ratio(s.speech_right, s.speech);
    let silence = ratio(s.silence_right, s.silence);
    assert!(
        all >= MIN_ACCURACY && speech >= MIN_CLASS_ACCURACY && silence >= MIN_CLASS_ACCURACY,
        "{name}: accuracy {:.1}% (speech {:.1}%, silence {:.1}%), below {:.0}% / {:.0}%",
        100.0 * all,
        100.0 * speech,
        100.0 * silence,
        100.0 * MIN_ACCURACY,
        100.0 * MIN_CLASS_ACCURACY,
    );
}

/// The whole set through one stream, one frame at a time.
fn run(vad: &SileroVad, mut stream: VadStream, audio: &[f32]) -> (Vec<f32>, VadStream) {
    let probs = audio
        .chunks_exact(FRAME)
        .map(|frame| vad.probability(&mut stream, frame).unwrap())
        .collect();
    (probs, stream)
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn labelled_speech_is_detected_frame_by_frame() {
    let set = labelled_set();
    let vad = common::vad();
    let (probs, _) = run(vad, vad.stream(), &set.audio);
    let s = report("without the gate", &set, &probs);
    assert_accurate("without the gate", &s);
}

#[test]
fn the_energy_gate_skips_quiet_frames_and_keeps_the_accuracy() {
    let set = labelled_set();
    let vad = common::vad();
    let gate = EnergyGate::default();
    let (probs, stream) = run(vad, vad.stream().with_gate(gate), &set.audio);
    let s = report("with the default gate", &set, &probs);
    assert_accurate("with the default gate", &s);

    // The gate answered most of the idle-line frames (it waits for the
    // model to let go after speech, so not all of them), and only quiet
    // frames.
    let frames: Vec<&[f32]> = set.audio.chunks_exact(FRAME).collect();
    let quiet = frames.iter().filter(|f| gate.is_quiet(f)).count();
    let gated = stream.gated_frames() as usize;
    println!(
        "  the gate answered {gated} of {} frames; {quiet} were below its floor",
        frames.len(),
    );
    assert!(gated <= quiet);
    assert!(
        gated * 2 >= quiet,
        "the gate answered only {gated} of {quiet} quiet frames"
    );
    let zero_on_loud = frames
        .iter()
        .zip(&probs)
        .filter(|(f, p)| **p == 0.0 && !gate.is_quiet(f))
        .count();
    assert_eq!(zero_on_loud, 0);
}

#[test]
fn a_batch_gives_each_stream_what_it_would_get_alone() {
    let set = labelled_set();
    let vad = common::vad();
    // Sixteen "calls", each starting somewhere else in the set, so that
    // their states differ at every step; half of them gated.
    let calls = 16;
    let len = set.audio.len() / FRAME / 2;
    let offset = |c: usize| (c * 157) % (set.audio.len() / FRAME - len) * FRAME;
    let audio = |c: usize| &set.audio[offset(c)..offset(c) + len * FRAME];
    let fresh = |c: usize| {
        if c.is_multiple_of(2) {
            vad.stream()
        } else {
            vad.stream().with_gate(EnergyGate::default())
        }
    };

    let alone: Vec<Vec<f32>> = (0..calls).map(|c| run(vad, fresh(c), audio(c)).0).collect();

    let mut streams: Vec<VadStream> = (0..calls).map(fresh).collect();
    let mut together = vec![Vec::new(); calls];
    for f in 0..len {
        let mut items: Vec<(&mut VadStream, &[f32])> = streams
            .iter_mut()
            .enumerate()
            .map(|(c, s)| (s, &audio(c)[f * FRAME..(f + 1) * FRAME]))
            .collect();
        let probs = vad.probabilities(&mut items).unwrap();
        for (c, p) in probs.into_iter().enumerate() {
            together[c].push(p);
        }
    }

    // The calls really are in different states (else a mix-up of rows
    // would go unnoticed).
    let differ = (0..len)
        .filter(|&f| (together[0][f] - together[2][f]).abs() > 0.1)
        .count();
    assert!(
        differ > len / 10,
        "calls 0 and 2 differ on only {differ} frames"
    );

    let mut worst = 0f32;
    for c in 0..calls {
        for (f, (a, b)) in alone[c].iter().zip(&together[c]).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4,
                "call {c}, frame {f}: alone {a}, in the batch {b}"
            );
            worst = worst.max((a - b).abs());
        }
    }
    println!("largest difference, batched against alone: {worst:e}");
}

#[test]
fn a_frame_of_the_wrong_length_is_refused_and_changes_nothing() {
    let vad = common::vad();
    let mut stream = vad.stream();
    let mut twin = vad.stream();
    let mut noise = Noise(7);
    let frame = noise.white(FRAME, -30.0);
    vad.probability(&mut stream, &frame).unwrap();
    vad.probability(&mut twin, &frame).unwrap();

    let short = noise.white(FRAME - 1, -30.0);
    let err = vad
        .probabilities(&mut [(&mut stream, &frame[..]), (&mut twin, &short[..])])
        .unwrap_err();
    assert!(matches!(err, SpeechError::Input(_)), "{err}");

    // Neither stream moved: both still give the same answer as a stream
    // that saw only the first frame.
    let next = noise.white(FRAME, -30.0);
    let a = vad.probability(&mut stream, &next).unwrap();
    let b = vad.probability(&mut twin, &next).unwrap();
    let mut reference = vad.stream();
    vad.probability(&mut reference, &frame).unwrap();
    let c = vad.probability(&mut reference, &next).unwrap();
    assert_eq!((a, b), (c, c));
}

#[test]
fn a_missing_model_is_an_error_that_says_what_to_run() {
    // Whether ONNX Runtime is already loaded in this process or not, the
    // first file missing from an empty folder is named.
    let dir = std::env::temp_dir().join("hermes-speech-no-models");
    let err = SileroVad::load(&dir).unwrap_err();
    assert!(matches!(err, SpeechError::Missing { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("scripts/models.sh"), "{message}");
    assert!(message.contains("hermes-speech-no-models"), "{message}");
}
