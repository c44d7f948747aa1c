//! Phone numbers, said or typed, and corrections to them.
//!
//! Words become digits first ([`words_to_digits`]), then the text is cut into
//! groups of digits separated only by spaces and phone punctuation. The
//! earliest, longest run of consecutive groups that forms a valid number wins,
//! so "I'm 42, my number is 503 555 0100" skips the age and "born in 1985"
//! yields nothing. Valid means a NANP number (area code and exchange start
//! with 2–9; an optional leading 1) or, with "+"/"plus"/"011", an
//! international number of 8–15 digits. Corrections ("503, not 502", "the
//! last four are 0199") are applied to the number already on file, the way a
//! receptionist edits what they wrote down.

use super::numbers::words_to_digits;
use super::text::{core, normalize};

/// Digit groups of a text: (digits, starts with '+', token index of the group).
fn groups(text: &str) -> Vec<Vec<(String, bool)>> {
    // Spans of groups: a span ends at any word.
    let mut spans: Vec<Vec<(String, bool)>> = vec![Vec::new()];
    for word in text.split_whitespace() {
        let mut plus = false;
        let mut cur = String::new();
        let mut has_letter = false;
        for c in word.chars() {
            match c {
                '0'..='9' => cur.push(c),
                '+' if cur.is_empty() => plus = true,
                '-' | '.' | '(' | ')' | '/' | ',' | ':' => {
                    if !cur.is_empty() {
                        spans
                            .last_mut()
                            .unwrap()
                            .push((std::mem::take(&mut cur), plus));
                        plus = false;
                    }
                }
                _ => has_letter = true,
            }
        }
        if has_letter {
            spans.push(Vec::new());
            continue;
        }
        if !cur.is_empty() {
            spans.last_mut().unwrap().push((cur, plus));
        }
    }
    spans.retain(|s| !s.is_empty());
    spans
}

/// E.164 for a digit string, if it is a plausible phone number.
fn validate(digits: &str, plus: bool) -> Option<String> {
    let nanp = |d: &str| {
        let b = d.as_bytes();
        (d.len() == 10 && (b'2'..=b'9').contains(&b[0]) && (b'2'..=b'9').contains(&b[3]))
            .then(|| format!("+1{d}"))
    };
    if let Some(intl) = digits.strip_prefix("011").filter(|_| !plus) {
        return validate(intl, true);
    }
    if plus {
        if let Some(rest) = digits.strip_prefix('1') {
            return nanp(rest);
        }
        return ((8..=15).contains(&digits.len()) && !digits.starts_with('0'))
            .then(|| format!("+{digits}"));
    }
    match digits.len() {
        10 => nanp(digits),
        11 => digits.strip_prefix('1').and_then(nanp),
        _ => None,
    }
}

/// Text ready for digit grouping: words as digits, "plus" as "+", "area
/// code" and "dash" dropped.
fn prepare(text: &str) -> String {
    let norm = normalize(text);
    let mut words: Vec<&str> = Vec::new();
    let raw: Vec<&str> = norm.split_whitespace().collect();
    let mut i = 0;
    while i < raw.len() {
        let c = core(raw[i]);
        let next = raw.get(i + 1).map(|n| core(n)).unwrap_or("");
        if c == "area" && next == "code" {
            i += 2;
            continue;
        }
        if !matches!(c, "dash" | "hyphen" | "then" | "and") {
            words.push(if c == "plus" { "+" } else { raw[i] });
        }
        i += 1;
    }
    words_to_digits(&words.join(" ")).replace("+ ", "+")
}

/// A phone number in E.164 ("+15035550100"), or None.
pub fn phone_number(text: &str) -> Option<String> {
    for span in groups(&prepare(text)) {
        for start in 0..span.len() {
            for end in (start + 1..=span.len()).rev() {
                let digits: String = span[start..end].iter().map(|(d, _)| d.as_str()).collect();
                if let Some(e164) = validate(&digits, span[start].1) {
                    return Some(e164);
                }
            }
        }
    }
    None
}

/// Apply a spoken correction to the number on file (`previous`, E.164 or
/// anything [`phone_number`] reads) and return the corrected E.164 number.
pub fn phone_correction(text: &str, previous: &str) -> Option<String> {
    let prev = phone_number(previous)?;
    if let Some(full) = phone_number(text) {
        return Some(full);
    }
    let (cc, national) = match prev.strip_prefix("+1") {
        Some(n) => ("+1", n.to_string()),
        None => ("+", prev[1..].to_string()),
    };
    // Position cues, read before number words turn into digits ("the last
    // four" is a position, not a digit).
    let norm = normalize(text);
    let mut cue: Option<&str> = None;
    let mut kept: Vec<&str> = Vec::new();
    let raw: Vec<&str> = norm.split_whitespace().collect();
    let mut i = 0;
    while i < raw.len() {
        let c = core(raw[i]);
        let next = raw.get(i + 1).map(|n| core(n)).unwrap_or("");
        let count_word = |w: &str| {
            matches!(
                w,
                "one"
                    | "two"
                    | "three"
                    | "four"
                    | "five"
                    | "six"
                    | "seven"
                    | "digit"
                    | "digits"
                    | "numbers"
                    | "number"
                    | "part"
            ) || w.chars().all(|c| c.is_ascii_digit()) && w.len() == 1
        };
        let position = match c {
            "last" | "final" | "end" | "ends" | "ending" => Some("end"),
            "first" | "starts" | "begins" | "beginning" => Some("start"),
            "area" if next == "code" => Some("area"),
            "middle" | "prefix" | "exchange" => Some("middle"),
            _ => None,
        };
        if let Some(p) = position {
            cue = Some(p);
            i += 1;
            while i < raw.len() && (count_word(core(raw[i])) || core(raw[i]) == "code") {
                i += 1;
            }
            continue;
        }
        kept.push(raw[i]);
        i += 1;
    }
    let converted = words_to_digits(&kept.join(" "));
    // Digit groups with the words just before them.
    let toks: Vec<&str> = converted.split_whitespace().map(core).collect();
    let mut found: Vec<(String, bool, usize)> = Vec::new(); // digits, is_old, index
    for (j, t) in toks.iter().enumerate() {
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '-') {
            continue;
        }
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            continue;
        }
        let since = found.last().map_or(0, |f| f.2 + 1);
        let before = &toks[j.saturating_sub(2).max(since)..j];
        let old = before
            .iter()
            .any(|w| matches!(*w, "not" | "isn't" | "wasn't" | "of" | "than" | "instead"));
        found.push((digits, old, j));
    }
    let result = match found.as_slice() {
        [] => return None,
        [(new, false, _)] => match cue {
            Some("end") => splice_end(&national, new),
            Some("start" | "area") => splice_start(&national, new),
            Some("middle") if cc == "+1" && new.len() == 3 => {
                Some(format!("{}{}{}", &national[..3], new, &national[6..]))
            }
            None if matches!(new.len(), 4 | 7) => splice_end(&national, new),
            _ => None,
        },
        [a, b, ..] => {
            let (old, new) = match (a.1, b.1) {
                (false, true) => (&b.0, &a.0),
                (true, false) => (&a.0, &b.0),
                // "502 should be 503", "change 502 to 503"
                _ if toks[a.2 + 1..b.2]
                    .iter()
                    .any(|w| matches!(*w, "should" | "to" | "with" | "actually" | "be" | "is")) =>
                {
                    (&a.0, &b.0)
                }
                _ => return None,
            };
            replace_once(&national, old, new, cc == "+1")
        }
        _ => None,
    }?;
    validate(&result, cc == "+").filter(|_| result.len() == national.len())
}

fn splice_end(national: &str, new: &str) -> Option<String> {
    (new.len() < national.len())
        .then(|| format!("{}{new}", &national[..national.len() - new.len()]))
}

fn splice_start(national: &str, new: &str) -> Option<String> {
    (new.len() < national.len()).then(|| format!("{new}{}", &national[new.len()..]))
}

/// Replace `old` by `new` where it occurs once (preferring the 3-3-4 group
/// boundaries of a NANP number).
fn replace_once(national: &str, old: &str, new: &str, nanp: bool) -> Option<String> {
    if old.len() != new.len() || old.is_empty() {
        return None;
    }
    let at: Vec<usize> = (0..=national.len().saturating_sub(old.len()))
        .filter(|&k| national[k..].starts_with(old))
        .collect();
    let aligned: Vec<usize> = at
        .iter()
        .copied()
        .filter(|k| nanp && old.len() >= 3 && [0, 3, 6].contains(k) && (old.len() != 4 || *k == 6))
        .collect();
    let k = match (aligned.as_slice(), at.as_slice()) {
        ([k], _) | (_, [k]) => *k,
        _ => return None,
    };
    Some(format!(
        "{}{new}{}",
        &national[..k],
        &national[k + old.len()..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers() {
        let n = Some("+15035550100");
        let cases: &[(&str, Option<&str>)] = &[
            ("503-555-0100", n),
            ("(503) 555 0100", n),
            ("(503) 555-0100", n),
            ("503.555.0100", n),
            ("5035550100", n),
            ("1 503 555 0100", n),
            ("+1 503 555 0100", n),
            ("+15035550100", n),
            ("my number is 503 555 0100", n),
            ("five oh three five five five zero one hundred", n),
            ("five oh three five five five oh one oh oh", n),
            ("five zero three, five five five, zero one zero zero", n),
            ("Five zero three. Five five five. Zero one zero zero.", n),
            (
                "uh it's five oh three um five five five zero one zero zero",
                n,
            ),
            ("five oh three triple five zero one double zero", n),
            ("five oh three five five five oh one hundred", n),
            ("area code 503, 555 0100", n),
            ("503 dash 555 dash 0100", n),
            ("one five oh three five five five zero one zero zero", n),
            ("I'm 42 and my number is 503 555 0100", n),
            ("503 555 0100 extension 12", n),
            (
                "seven seven seven, eight eight eight, nine nine nine nine",
                Some("+17778889999"),
            ),
            ("+44 20 7946 0000", Some("+442079460000")),
            (
                "plus four four two zero seven nine four six zero zero zero zero",
                Some("+442079460000"),
            ),
            ("011 44 20 7946 0000", Some("+442079460000")),
            ("+52 55 1234 5678", Some("+525512345678")),
            ("I was born in 1985", None),
            ("my case number is 12345", None),
            ("call me at 555-0100", None),
            ("103 555 0100", None),
            ("503 155 0100", None),
            ("50355501000", None),
            ("+1 503 555 01", None),
            ("+44 1234", None),
            ("no", None),
            ("", None),
            ("nineteen eighty five", None),
        ];
        for (input, want) in cases {
            assert_eq!(phone_number(input).as_deref(), *want, "{input:?}");
        }
    }

    #[test]
    fn corrections() {
        let prev = "+15025550100";
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("no, it's 503, not 502", prev, Some("+15035550100")),
            (
                "it's five oh three not five oh two",
                prev,
                Some("+15035550100"),
            ),
            ("not 502, 503", prev, Some("+15035550100")),
            ("502 should be 503", prev, Some("+15035550100")),
            ("change 502 to 503", prev, Some("+15035550100")),
            ("503 instead of 502", prev, Some("+15035550100")),
            ("the area code is 503", prev, Some("+15035550100")),
            ("the last four are 0199", prev, Some("+15025550199")),
            ("it's 0199 at the end", prev, Some("+15025550199")),
            (
                "the last four digits are zero one nine nine",
                prev,
                Some("+15025550199"),
            ),
            ("ends in 0199", prev, Some("+15025550199")),
            ("no, 0199", prev, Some("+15025550199")),
            ("the last digit is 9", prev, Some("+15025550109")),
            ("the middle part is 556", prev, Some("+15025560100")),
            ("no it's 503 555 0199", prev, Some("+15035550199")),
            ("0100 not 0199", "+15025550199", Some("+15025550100")),
            ("no it's 5 not 2", "+15025550100", Some("+15055550100")),
            ("it's 1 not 0", "+15025550100", None),
            ("it's 503 not 504", prev, None),
            ("no that's wrong", prev, None),
            ("503", prev, None),
            ("the area code is 103", prev, None),
            ("the last four are 0199", "garbage", None),
            (
                "the last four are 0199",
                "+442079460000",
                Some("+442079460199"),
            ),
        ];
        for (input, prev, want) in cases {
            assert_eq!(
                phone_correction(input, prev).as_deref(),
                *want,
                "{input:?} on {prev}"
            );
        }
    }
}
