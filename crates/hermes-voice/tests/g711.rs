//! G.711 against sox: every code decoded, and a ramp over the whole 16-bit
//! range encoded, must equal what sox produced (tests/data/README.md).

use hermes_voice::g711::*;

fn ramp() -> Vec<i16> {
    (-32768i32..32768).step_by(8).map(|v| v as i16).collect()
}

fn samples(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

#[test]
fn ulaw_decodes_every_code_as_sox_does() {
    let sox = samples(include_bytes!("data/ulaw_codes.s16"));
    let ours: Vec<i16> = (0..=255u8).map(ulaw_decode).collect();
    assert_eq!(ours, sox);
}

#[test]
fn alaw_decodes_every_code_as_sox_does() {
    let sox = samples(include_bytes!("data/alaw_codes.s16"));
    let ours: Vec<i16> = (0..=255u8).map(alaw_decode).collect();
    assert_eq!(ours, sox);
}

#[test]
fn ulaw_encodes_the_whole_range_as_sox_does() {
    let sox = include_bytes!("data/ramp.ulaw");
    let ours = pcm_to_ulaw(&ramp());
    assert_eq!(ours.len(), sox.len());
    let differ: Vec<(i16, u8, u8)> = ramp()
        .into_iter()
        .zip(ours.iter().zip(sox.iter()))
        .filter(|(_, (a, b))| a != b)
        .map(|(s, (a, b))| (s, *a, *b))
        .take(5)
        .collect();
    assert!(differ.is_empty(), "sample, ours, sox: {differ:?}");
}

#[test]
fn alaw_encodes_the_whole_range_as_sox_does() {
    let sox = include_bytes!("data/ramp.alaw");
    let ours = pcm_to_alaw(&ramp());
    let differ: Vec<(i16, u8, u8)> = ramp()
        .into_iter()
        .zip(ours.iter().zip(sox.iter()))
        .filter(|(_, (a, b))| a != b)
        .map(|(s, (a, b))| (s, *a, *b))
        .take(5)
        .collect();
    assert!(differ.is_empty(), "sample, ours, sox: {differ:?}");
}

#[test]
fn a_code_survives_a_round_trip() {
    for c in 0..=255u8 {
        assert_eq!(
            ulaw_encode(ulaw_decode(c)),
            if c == 0x7F { 0xFF } else { c },
            "μ {c}"
        );
        assert_eq!(alaw_encode(alaw_decode(c)), c, "A {c}");
    }
    assert_eq!(ulaw_to_pcm(&pcm_to_ulaw(&[0, 1000, -1000])).len(), 3);
    assert_eq!(alaw_to_pcm(&pcm_to_alaw(&[0, 1000, -1000])).len(), 3);
}
