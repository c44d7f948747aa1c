//! Resampling keeps a tone's pitch and loudness at every conversion the
//! pipeline makes.

use hermes_voice::resample::{RATES, Resampler, convert};

fn tone(rate: u32, hz: f32, seconds: f32, amplitude: f32) -> Vec<i16> {
    let n = (rate as f32 * seconds) as usize;
    (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            (amplitude * (2.0 * std::f32::consts::PI * hz * t).sin() * 32767.0) as i16
        })
        .collect()
}

/// Zero crossings per second / 2 over the steady middle of the signal.
fn pitch(samples: &[i16], rate: u32) -> f32 {
    let mid = &samples[samples.len() / 4..samples.len() * 3 / 4];
    let crossings = mid.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    crossings as f32 / 2.0 / (mid.len() as f32 / rate as f32)
}

fn peak(samples: &[i16]) -> f32 {
    let mid = &samples[samples.len() / 4..samples.len() * 3 / 4];
    mid.iter().map(|s| f32::from(*s).abs()).fold(0.0, f32::max) / 32767.0
}

#[test]
fn every_conversion_keeps_pitch_length_and_level() {
    for &from in &RATES {
        for &to in &RATES {
            let input = tone(from, 440.0, 1.0, 0.5);
            let mut r = Resampler::new(from, to).unwrap();
            // In 20 ms frames, as a call delivers them.
            let mut out = Vec::new();
            for frame in input.chunks((from / 50) as usize) {
                out.extend(r.process(frame));
            }
            let expected = to as usize; // one second
            assert!(
                out.len() + (to / 50) as usize * 2 >= expected && out.len() <= expected,
                "{from}->{to}: {} samples",
                out.len()
            );
            let p = pitch(&out, to);
            assert!((p - 440.0).abs() < 5.0, "{from}->{to}: pitch {p}");
            let level = peak(&out);
            assert!((level - 0.5).abs() < 0.03, "{from}->{to}: level {level}");
        }
    }
}

#[test]
fn downsampling_removes_what_the_lower_rate_cannot_carry() {
    // 6 kHz is above 8 kHz's Nyquist limit: it must not fold back as an
    // audible alias.
    let mut r = Resampler::new(16_000, 8_000).unwrap();
    let out: Vec<i16> = tone(16_000, 6_000.0, 1.0, 0.5)
        .chunks(320)
        .flat_map(|f| r.process(f))
        .collect();
    assert!(peak(&out) < 0.05, "alias level {}", peak(&out));
}

#[test]
fn bad_rates_are_refused() {
    assert!(Resampler::new(0, 8_000).is_err());
    assert!(Resampler::new(8_000, 0).is_err());
}

#[test]
fn whole_clips_keep_their_length_and_alignment() {
    // A click at 100 ms stays at 100 ms after conversion.
    let mut clip = vec![0i16; 22_050 / 2];
    clip[2205] = 20_000;
    clip[2206] = 20_000;
    let out = convert(22_050, 8_000, &clip).unwrap();
    assert!((out.len() as i64 - 4_000).abs() <= 1, "{}", out.len());
    let peak = out
        .iter()
        .enumerate()
        .max_by_key(|(_, v)| v.unsigned_abs())
        .unwrap()
        .0;
    assert!((peak as i64 - 800).abs() <= 3, "peak at {peak}");
    assert_eq!(convert(8_000, 8_000, &[1, 2, 3]).unwrap(), vec![1, 2, 3]);
    let up = convert(8_000, 16_000, &vec![1000; 1_000]).unwrap();
    assert!((up.len() as i64 - 2_000).abs() <= 1);
}

#[test]
fn a_stream_in_odd_pieces_ends_as_the_whole_clip_would() {
    // A synthesiser's pieces are any size; flushed at the end, the stream
    // is the whole clip's conversion behind the filter's delay.
    let clip = tone(16_000, 440.0, 0.73, 0.5);
    for to in [8_000, 16_000, 24_000] {
        let mut r = Resampler::new(16_000, to).unwrap();
        let mut out = Vec::new();
        let mut rest = clip.as_slice();
        for size in [1, 333, 7, 4_000, 999].iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, tail) = rest.split_at((*size).min(rest.len()));
            out.extend(r.process(piece));
            rest = tail;
        }
        out.extend(r.flush());
        let whole = convert(16_000, to, &clip).unwrap();
        assert_eq!(out.len(), r.delay() + whole.len(), "16000->{to}");
        assert_eq!(&out[r.delay()..], &whole[..], "16000->{to}");
    }
}
