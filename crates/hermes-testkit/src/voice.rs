//! Fast speech engines for tests and the media-path benchmark, where the
//! real engines would dominate the measurement (the local engines have
//! their own tests and benchmarks).
//!
//! They are not stand-ins that always answer the same: [`PilotStt`]
//! really listens. The simulated caller mixes a quiet *pilot tone* under
//! each line it speaks (or speaks the tone alone), at a frequency that
//! names the line; the recogniser finds the strongest pilot with the
//! Goertzel algorithm and answers with that line's text. Audio that lost
//! its pilot (cut off, silent, garbled) is recognised as nothing.
//! [`ToneTts`] speaks a sentence as a tone whose length follows its words.

use std::sync::Arc;

use async_trait::async_trait;
use hermes_api::voice::speech::{SpeechError, SpeechToText, TextToSpeech};

/// Pilot frequency of line `i` (Hz): inside the telephone band, apart
/// enough to tell neighbours apart in a short clip.
pub fn pilot_hz(i: usize) -> f32 {
    1_000.0 + 125.0 * i as f32
}

/// How many lines a script may have.
pub const PILOTS: usize = 20;

/// `ms` of the pilot of line `i` at `rate`, amplitude `amp` (of full scale).
pub fn pilot(i: usize, ms: u32, rate: u32, amp: f32) -> Vec<i16> {
    let n = (rate * ms / 1000) as usize;
    let w = 2.0 * std::f32::consts::PI * pilot_hz(i) / rate as f32;
    (0..n)
        .map(|k| ((w * k as f32).sin() * amp * 32767.0) as i16)
        .collect()
}

fn goertzel<'a>(samples: impl Iterator<Item = &'a i16>, rate: u32, hz: f32) -> f32 {
    let w = 2.0 * std::f32::consts::PI * hz / rate as f32;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for x in samples {
        let s0 = f32::from(*x) / 32768.0 + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - c * s1 * s2).max(0.0)
}

/// Recognises which scripted line was said, by its pilot tone.
pub struct PilotStt {
    lines: Vec<String>,
}

impl PilotStt {
    pub fn new(lines: &[&str]) -> Self {
        assert!(lines.len() <= PILOTS, "at most {PILOTS} lines");
        PilotStt {
            lines: lines.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Line `i` of the script.
    pub fn line(&self, i: usize) -> &str {
        &self.lines[i]
    }

    /// The line heard in 16 kHz audio, if any.
    ///
    /// It listens to the middle second at most: the pilot runs under the
    /// whole line, and so its cost stays small and bounded — in the
    /// media-path benchmark it stands in for a recogniser and should not
    /// weigh on the server like one.
    pub fn hear(&self, audio: &[i16]) -> Option<usize> {
        if audio.len() < 1600 {
            return None;
        }
        let mid = audio.len() / 2;
        let half = audio.len().min(16_000) / 2;
        let window = &audio[mid - half..mid + half];
        let powers: Vec<f32> = (0..self.lines.len())
            .map(|i| goertzel(window.iter(), 16_000, pilot_hz(i)))
            .collect();
        let (best, p) = powers
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))?;
        let mut others: Vec<f32> = powers.clone();
        others.remove(best);
        let typical = others.iter().copied().fold(0.0, f32::max).max(1e-9);
        // A clear winner, well above every other pilot.
        (*p > 8.0 * typical && *p > 1.0).then_some(best)
    }
}

#[async_trait]
impl SpeechToText for PilotStt {
    fn name(&self) -> &str {
        "pilot"
    }

    async fn transcribe(&self, audio: Arc<[i16]>) -> Result<String, SpeechError> {
        Ok(self
            .hear(&audio)
            .map(|i| self.lines[i].clone())
            .unwrap_or_default())
    }
}

/// A sentence "spoken" as `ms_per_word` of 440 Hz per word at `rate`:
/// what the tone engines (and the fake cloud synthesisers) say.
pub fn tone(sentence: &str, ms_per_word: u32, rate: u32) -> Vec<i16> {
    let words = sentence.split_whitespace().count().max(1) as u64;
    let n = (u64::from(rate) * u64::from(ms_per_word) * words / 1000) as usize;
    let w = 2.0 * std::f32::consts::PI * 440.0 / rate as f32;
    (0..n)
        .map(|k| ((w * k as f32).sin() * 0.3 * 32767.0) as i16)
        .collect()
}

/// Speaks by tone: `ms_per_word` of 440 Hz per word, at 16 kHz.
pub struct ToneTts {
    pub ms_per_word: u32,
}

#[async_trait]
impl TextToSpeech for ToneTts {
    fn name(&self) -> &str {
        "tone"
    }

    fn sample_rate(&self) -> u32 {
        16_000
    }

    async fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, SpeechError> {
        Ok(tone(sentence, self.ms_per_word, 16_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pilots_are_told_apart_even_through_the_telephone() {
        let stt = PilotStt::new(&["a", "b", "c", "d", "e", "f", "g", "h"]);
        for i in 0..8 {
            // Through μ-law at 8 kHz and back up to 16 kHz, as on a call.
            let tone = pilot(i, 600, 8_000, 0.2);
            let ulaw: Vec<i16> = tone
                .iter()
                .map(|s| hermes_voice::g711::ulaw_decode(hermes_voice::g711::ulaw_encode(*s)))
                .collect();
            let up = hermes_voice::resample::convert(8_000, 16_000, &ulaw).unwrap();
            assert_eq!(stt.hear(&up), Some(i));
        }
        assert_eq!(stt.hear(&vec![0; 16_000]), None);
        assert_eq!(stt.hear(&pilot(3, 50, 16_000, 0.2)), None, "too short");
    }
}
