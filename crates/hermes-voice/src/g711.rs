//! G.711 μ-law (North America, Japan: what Twilio and Telnyx send as
//! PCMU) and A-law (elsewhere: PCMA), 8-bit codes for 16-bit linear PCM.
//!
//! Why written here: the codec is a few table-free lines defined by ITU-T
//! G.711, identical in every implementation (this follows the public
//! domain Sun reference that sox and most telephony stacks use), and the
//! crates that offer it are small and unmaintained. Correctness is not
//! taken on trust: the tests compare every code and a ramp over the whole
//! 16-bit range with what sox produces.

const BIAS: i32 = 0x84;
const CLIP: i32 = 8159;
const SEG_ULAW_END: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
const SEG_ALAW_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

fn segment(value: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|end| value <= *end).unwrap_or(8)
}

/// One 16-bit sample to its μ-law code.
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut v = i32::from(sample) >> 2;
    let mask: i32 = if v < 0 {
        v = -v;
        0x7F
    } else {
        0xFF
    };
    v = v.min(CLIP) + (BIAS >> 2);
    let seg = segment(v, &SEG_ULAW_END);
    let code = if seg >= 8 {
        0x7F
    } else {
        ((seg as i32) << 4) | ((v >> (seg + 1)) & 0xF)
    };
    (code ^ mask) as u8
}

/// One μ-law code to its 16-bit sample.
pub fn ulaw_decode(code: u8) -> i16 {
    let u = !code;
    let mut t = ((i32::from(u) & 0x0F) << 3) + BIAS;
    t <<= (i32::from(u) & 0x70) >> 4;
    (if u & 0x80 != 0 { BIAS - t } else { t - BIAS }) as i16
}

/// One 16-bit sample to its A-law code.
pub fn alaw_encode(sample: i16) -> u8 {
    let mut v = i32::from(sample) >> 3;
    let mask: i32 = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let seg = segment(v, &SEG_ALAW_END);
    let code = if seg >= 8 {
        0x7F
    } else {
        let quant = if seg < 2 {
            (v >> 1) & 0xF
        } else {
            (v >> seg) & 0xF
        };
        ((seg as i32) << 4) | quant
    };
    (code ^ mask) as u8
}

/// One A-law code to its 16-bit sample.
pub fn alaw_decode(code: u8) -> i16 {
    let a = i32::from(code ^ 0x55);
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// A frame of μ-law codes (e.g. a Twilio `media` payload) to samples.
pub fn ulaw_to_pcm(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|c| ulaw_decode(*c)).collect()
}

/// Samples to μ-law codes (e.g. for an outbound Twilio `media` message).
pub fn pcm_to_ulaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|s| ulaw_encode(*s)).collect()
}

/// A frame of A-law codes to samples.
pub fn alaw_to_pcm(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|c| alaw_decode(*c)).collect()
}

/// Samples to A-law codes.
pub fn pcm_to_alaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|s| alaw_encode(*s)).collect()
}
