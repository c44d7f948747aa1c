//! Double Metaphone codes, packed into integers.
//!
//! Why Double Metaphone: it knows English spelling oddities (Smyth/Smith,
//! Catherine/Kathryn, Philips/Filips) and gives a second code for names
//! with two plausible readings (Schmidt/Smith share `XMT`). Codes are at
//! most four letters from a 15-letter alphabet, so a code fits in 24 bits:
//! the index stores and compares integers, never strings.

use rphonetic::DoubleMetaphone;

/// A packed code; 0 means "no code".
pub(crate) type Code = u32;

/// The (primary, alternate) codes of a folded token; the alternate is 0
/// when it equals the primary. Tokens with digits or shorter than two
/// letters have no codes (an initial is not a sound).
pub(crate) fn codes(token: &str) -> [Code; 2] {
    encode(token, 4)
}

/// Longer codes (up to 10 letters, hashed into 32 bits) for *scoring*: the
/// 4-letter blocking code cannot tell "Liblaberg" from "Liblabergington"
/// (both `LPLP`), the full sound can.
pub(crate) fn full_codes(token: &str) -> [Code; 2] {
    encode(token, 10)
}

fn encode(token: &str, len: usize) -> [Code; 2] {
    if token.len() < 2 || !token.bytes().all(|b| b.is_ascii_lowercase()) {
        return [0, 0];
    }
    let r = DoubleMetaphone::new(Some(len)).double_metaphone(token);
    let p = pack(&r.primary());
    let a = pack(&r.alternate());
    [p, if a == p { 0 } else { a }]
}

fn pack(code: &str) -> Code {
    if code.len() > 4 {
        // Beyond 24 bits: a hash, still never 0 for a non-empty code.
        let h = code.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ b as u32).wrapping_mul(0x0100_0193)
        });
        return h | (1 << 31);
    }
    code.bytes().fold(0, |acc, b| {
        let v = match b {
            b'A'..=b'Z' => (b - b'A' + 1) as u32,
            _ => 27, // '0' (th) and anything unexpected
        };
        (acc << 6) | v
    })
}

/// Whether two tokens share a code.
pub(crate) fn share_code(a: [Code; 2], b: [Code; 2]) -> bool {
    a.iter().any(|&x| x != 0 && b.contains(&x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        share_code(codes(a), codes(b))
    }

    #[test]
    fn sound_alikes_share_a_code() {
        for (a, b) in [
            ("smith", "smyth"),
            ("smith", "schmidt"),
            ("catherine", "kathryn"),
            ("philips", "phillips"),
            ("jon", "john"),
            ("steven", "stephen"),
            ("thompson", "tompson"),
            ("nunez", "nunes"),
            ("jonh", "john"),
        ] {
            assert!(same(a, b), "{a} ~ {b}");
        }
    }

    #[test]
    fn different_names_differ() {
        for (a, b) in [("smith", "jones"), ("acme", "acne"), ("john", "mary")] {
            assert!(!same(a, b), "{a} !~ {b}");
        }
    }

    #[test]
    fn full_codes_tell_extensions_apart() {
        assert!(share_code(codes("liblaberg"), codes("liblabergington")));
        assert!(!share_code(
            full_codes("liblaberg"),
            full_codes("liblabergington")
        ));
        assert!(!share_code(full_codes("smith"), full_codes("smithers")));
        assert!(share_code(full_codes("smith"), full_codes("smyth")));
    }

    #[test]
    fn initials_and_digits_have_no_code() {
        assert_eq!(codes("j"), [0, 0]);
        assert_eq!(codes("3m"), [0, 0]);
        assert!(!same("j", "j"));
    }
}
