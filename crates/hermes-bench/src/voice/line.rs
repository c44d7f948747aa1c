//! What the simulated callers say, made once and shared by every call.
//!
//! Each line is real speech (espeak-ng, through the telephone band at
//! 8 kHz) so that Silero hears a voice, with the quiet pilot tone that
//! names the line underneath so that `PilotStt` can answer without a
//! recogniser's cost; everything sits on a faint line hiss, so the
//! detector never sees digital silence (a real line seldom has it), and
//! is encoded as Twilio sends it: μ-law, base64, one payload per 20 ms.
//! Encoding once here keeps a thousand callers cheap: a caller's tick is
//! a string format and a socket write.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hermes::simulate::{CallerVoice, Espeak};
use hermes_voice::g711;
use rand::{Rng, SeedableRng};

/// The caller's lines: a cooperative caller booking a divorce
/// consultation, in the words the text channel takes (the pilot of line
/// `i` is `hermes_testkit::voice::pilot_hz(i)`).
pub const LINES: [&str; 13] = [
    "yes that's fine",
    "my name is Maria Lopez",
    "L-O-P-E-Z",
    "five oh three five five five zero one zero zero",
    "yes",
    "maria dot lopez at gmail dot com",
    "for myself",
    "I want to file for divorce from my husband",
    "Carlos Lopez",
    "as soon as possible",
    "the first one",
    "no that's all",
    "no",
];

/// The line said instead of the script's first (the consent to record)
/// by a caller who declines.
pub const DECLINE: usize = 12;

/// The order the caller says them in, by index into [`LINES`]; a call
/// that outlives it starts over (the agent asks again, which is load all
/// the same).
pub const SCRIPT: [usize; 17] = [0, 1, 2, 3, 4, 5, 4, 6, 7, 4, 8, 4, 4, 4, 9, 10, 11];

/// The step said over the agent's reply (the barge-in): the caller's
/// name, about a second into the agent's next question. A continuous
/// phrase: a spelling's pauses between letters would restart the
/// listener's confirmation at every letter.
pub const BARGE_STEP: usize = 1;

/// Level of the caller's voiced speech (RMS over its voiced extent).
pub const SPEECH_DBFS: f32 = -22.0;
/// Peak of the pilot tone under each line (of full scale): ~−33 dBFS RMS.
const PILOT_AMPLITUDE: f32 = 0.03;
/// The line's hiss, always there: below the energy gate's −60 dBFS floor.
pub const HISS_DBFS: f32 = -70.0;

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

/// One spoken line, ready to send.
pub struct Line {
    /// Base64 μ-law payloads, one per 20 ms.
    pub frames: Vec<String>,
}

/// Everything the fleet says.
pub struct Phrasebook {
    pub lines: Vec<Line>,
    /// One second of hiss, cycled while the caller is quiet.
    pub hiss: Vec<String>,
}

/// `n` samples of white noise at `dbfs` RMS, the same on every run.
pub fn white_noise(seed: u64, n: usize, dbfs: f32) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // A uniform variable on [-1, 1] has an RMS of 1/√3.
    let gain = db_to_amplitude(dbfs) * 3f32.sqrt();
    (0..n)
        .map(|_| rng.random_range(-1.0f32..1.0) * gain)
        .collect()
}

pub fn db_to_amplitude(dbfs: f32) -> f32 {
    10f32.powf(dbfs / 20.0)
}

pub fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

/// Where speech is in `x` (8 kHz): from the first to the last 10 ms
/// window within 35 dB of the loudest one. espeak-ng's own lead-in and
/// tail are silence; they are not speech to label or to wait for.
pub fn voiced_extent(x: &[f32]) -> (usize, usize) {
    const WINDOW: usize = 80;
    let levels: Vec<f32> = x.chunks(WINDOW).map(rms).collect();
    let loudest = levels.iter().copied().fold(0.0, f32::max);
    let floor = loudest * db_to_amplitude(-35.0);
    let first = levels.iter().position(|l| *l > floor).unwrap_or(0);
    let last = levels.iter().rposition(|l| *l > floor).unwrap_or(0);
    (first * WINDOW, ((last + 1) * WINDOW).min(x.len()))
}

/// espeak-ng speaking `text` on the line: 8 kHz, trimmed to its voiced
/// extent, at `dbfs` RMS.
pub fn speech(voice: &Espeak, text: &str, dbfs: f32) -> anyhow::Result<Vec<f32>> {
    let pcm = voice.speak(0, text)?;
    let x: Vec<f32> = pcm.iter().map(|s| f32::from(*s) / 32768.0).collect();
    let (a, b) = voiced_extent(&x);
    let voiced = &x[a..b];
    let gain = db_to_amplitude(dbfs) / rms(voiced).max(1e-9);
    Ok(voiced.iter().map(|s| s * gain).collect())
}

/// μ-law codes of `x` (full scale 1.0).
pub fn ulaw(x: &[f32]) -> Vec<u8> {
    x.iter()
        .map(|s| g711::ulaw_encode((s * 32767.0).clamp(-32768.0, 32767.0) as i16))
        .collect()
}

fn payloads(x: &[f32]) -> Vec<String> {
    x.chunks(FRAME)
        .map(|f| {
            let mut f = f.to_vec();
            f.resize(FRAME, 0.0);
            STANDARD.encode(ulaw(&f))
        })
        .collect()
}

/// Speaks every line once (a second or two of espeak-ng).
pub fn phrasebook() -> anyhow::Result<Phrasebook> {
    let voice = Espeak {
        voice: "en-us".into(),
        words_per_minute: 165,
    };
    let hiss = white_noise(1, 8_000, HISS_DBFS);
    let mut lines = Vec::new();
    for (i, text) in LINES.iter().enumerate() {
        let mut x = speech(&voice, text, SPEECH_DBFS)?;
        let ms = (x.len() * 1000 / 8_000) as u32;
        let pilot = hermes_testkit::voice::pilot(i, ms, 8_000, PILOT_AMPLITUDE);
        for (k, (s, p)) in x.iter_mut().zip(pilot).enumerate() {
            *s += f32::from(p) / 32768.0 + hiss[k % hiss.len()];
        }
        lines.push(Line {
            frames: payloads(&x),
        });
    }
    Ok(Phrasebook {
        lines,
        hiss: payloads(&hiss),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hermes_testkit::voice::PilotStt;

    /// The recogniser the server runs must hear each line's pilot under
    /// the speech, after μ-law and the pipeline's resampling to 16 kHz.
    #[test]
    fn every_line_is_recognised_by_its_pilot_through_the_line() {
        let book = phrasebook().unwrap();
        let stt = PilotStt::new(&LINES);
        for (i, line) in book.lines.iter().enumerate() {
            let pcm: Vec<i16> = line
                .frames
                .iter()
                .flat_map(|p| STANDARD.decode(p).unwrap())
                .map(g711::ulaw_decode)
                .collect();
            let up = hermes_voice::resample::convert(8_000, 16_000, &pcm).unwrap();
            assert_eq!(stt.hear(&up), Some(i), "{}", LINES[i]);
        }
        assert_eq!(book.hiss.len(), 50);
    }

    #[test]
    fn the_voiced_extent_leaves_out_silence_around_speech() {
        let mut x = vec![0.0; 800];
        x.extend(white_noise(2, 1_600, -20.0));
        x.extend(vec![0.0; 400]);
        assert_eq!(voiced_extent(&x), (800, 2_400));
        let hiss = white_noise(3, 8_000, HISS_DBFS);
        assert!((20.0 * rms(&hiss).log10() - HISS_DBFS).abs() < 0.5);
    }
}
