//! Numbers said in words or digits: ages, amounts, digit strings.
//!
//! One small grammar serves everything: a cardinal parser that accepts
//! "a hundred and five", "three thousand", "5 thousand", "12k" and year pairs
//! ("nineteen eighty five"), and refuses sequences a person would never say as
//! one number ("two two" is two numbers). Values are kept in hundredths so that
//! money ("$5,000.50", "1.5 million") shares the same code. Digit strings for
//! phone numbers and emails ("five oh three") are a different reading of the
//! same words and live in [`words_to_digits`].

use super::text::{core, normalize, tokens};

pub(crate) fn unit(w: &str) -> Option<i64> {
    Some(match w {
        "zero" | "nought" | "nil" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        _ => return None,
    })
}

fn teen(w: &str) -> Option<i64> {
    const TEENS: [&str; 10] = [
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    TEENS.iter().position(|t| *t == w).map(|i| 10 + i as i64)
}

fn tens(w: &str) -> Option<i64> {
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    TENS.iter()
        .position(|t| *t == w || (*t == "forty" && w == "fourty"))
        .map(|i| 20 + 10 * i as i64)
}

/// Ordinal words: "first" … "nineteenth", "twentieth" … "ninetieth".
pub(crate) fn ordinal_word(w: &str) -> Option<i64> {
    const ORD: [&str; 19] = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
    ];
    const TENS_ORD: [&str; 8] = [
        "twentieth",
        "thirtieth",
        "fortieth",
        "fiftieth",
        "sixtieth",
        "seventieth",
        "eightieth",
        "ninetieth",
    ];
    if let Some(i) = ORD.iter().position(|t| *t == w) {
        return Some(i as i64 + 1);
    }
    TENS_ORD
        .iter()
        .position(|t| *t == w)
        .map(|i| 20 + 10 * i as i64)
}

fn scale(w: &str) -> Option<i64> {
    Some(match w {
        "hundred" => 100,
        "thousand" | "grand" => 1_000,
        "million" | "mil" => 1_000_000,
        "billion" => 1_000_000_000,
        _ => return None,
    })
}

/// A digit token in hundredths: "42", "5,000", "$5,000.50", "12k", "1.5m",
/// "3rd" (ordinal flag). Returns (hundredths, had_currency_sign, ordinal).
pub(crate) fn numeric_token(tok: &str) -> Option<(i64, bool, bool)> {
    let (dollar, t) = match tok.strip_prefix('$') {
        Some(rest) => (true, rest),
        None => (false, tok),
    };
    let lower = t.to_ascii_lowercase();
    let mut t = lower.as_str();
    let mut ordinal = false;
    for suf in ["st", "nd", "rd", "th"] {
        if let Some(rest) = t.strip_suffix(suf)
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_digit())
        {
            t = rest;
            ordinal = true;
        }
    }
    let mut mult = 1;
    if let Some(rest) = t.strip_suffix('k') {
        (t, mult) = (rest, 1_000);
    } else if let Some(rest) = t.strip_suffix('m') {
        (t, mult) = (rest, 1_000_000);
    }
    if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // Thousands separators: "5,000" but not "5,00".
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let groups: Vec<&str> = int.split(',').collect();
    if groups.len() > 1 && groups[1..].iter().any(|g| g.len() != 3) {
        return None;
    }
    let int: String = groups.concat();
    if !int.chars().all(|c| c.is_ascii_digit()) || int.len() > 15 {
        return None;
    }
    if !frac.chars().all(|c| c.is_ascii_digit()) || frac.len() > 2 && mult == 1 {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    let frac_h: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac[..2].parse().ok()?,
    };
    Some(((whole * 100 + frac_h) * mult, dollar, ordinal))
}

#[derive(Clone, Copy, PartialEq)]
enum Last {
    None,
    Unit,
    Teen,
    Tens,
    TensUnit,
    Hundred,
    Scale,
    Digits,
}

/// A parsed number: value in hundredths, tokens consumed, ordinal or not,
/// whether a "$" was attached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Parsed {
    pub hundredths: i64,
    pub len: usize,
    pub ordinal: bool,
    pub dollar: bool,
}

fn is_number_word(w: &str) -> bool {
    unit(w).is_some() || teen(w).is_some() || tens(w).is_some() || ordinal_word(w).is_some()
}

/// Parse the longest cardinal (or ordinal) starting at `toks[0]`.
pub(crate) fn parse_cardinal(toks: &[&str]) -> Option<Parsed> {
    let (mut total, mut current) = (0i64, 0i64); // hundredths
    let mut last = Last::None;
    let (mut used, mut consumed) = (0usize, 0usize);
    let (mut dollar, mut ordinal, mut paired) = (false, false, false);
    while used < toks.len() {
        let w = toks[used];
        let next = toks.get(used + 1).copied().unwrap_or("");
        if (w == "a" || w == "an") && last == Last::None && scale(next).is_some() {
            current = 100;
            last = Last::Unit;
            used += 1;
            continue;
        }
        if w == "and" && matches!(last, Last::Hundred | Last::Scale) && is_number_word(next) {
            used += 1;
            continue;
        }
        if let Some((v, d, o)) = numeric_token(w) {
            if last != Last::None {
                break;
            }
            current = v;
            dollar = d;
            ordinal = o;
            last = Last::Digits;
            used += 1;
            consumed = used;
            if o {
                break;
            }
            continue;
        }
        if let Some(s) = scale(w) {
            let ok = current > 0
                && if s == 100 {
                    matches!(
                        last,
                        Last::Unit | Last::Teen | Last::Tens | Last::TensUnit | Last::Digits
                    ) && current < 100 * 100
                } else {
                    last != Last::Scale
                };
            if !ok {
                break;
            }
            if s == 100 {
                current *= 100;
                last = Last::Hundred;
            } else {
                total += current * s;
                current = 0;
                last = Last::Scale;
            }
            used += 1;
            consumed = used;
            continue;
        }
        let after_scale = matches!(last, Last::None | Last::Hundred | Last::Scale);
        if let Some(u) = unit(w) {
            if !(after_scale || last == Last::Tens) || (u == 0 && last != Last::None) {
                break;
            }
            current += u * 100;
            last = if last == Last::Tens {
                Last::TensUnit
            } else {
                Last::Unit
            };
            used += 1;
            consumed = used;
            if u == 0 {
                break;
            }
            continue;
        }
        let pair_ok = !paired
            && total == 0
            && matches!(last, Last::Teen | Last::TensUnit | Last::Tens)
            && current >= 1000;
        if let Some(v) = teen(w).or_else(|| tens(w)) {
            let is_tens = tens(w).is_some();
            if after_scale {
                current += v * 100;
            } else if pair_ok {
                current = current * 100 + v * 100;
                paired = true;
            } else {
                break;
            }
            last = if is_tens { Last::Tens } else { Last::Teen };
            used += 1;
            consumed = used;
            continue;
        }
        if let Some(v) = ordinal_word(w) {
            let ok = after_scale || v < 10 && last == Last::Tens;
            if !ok {
                break;
            }
            current += v * 100;
            ordinal = true;
            used += 1;
            consumed = used;
            break;
        }
        if w == "hundredth" && matches!(last, Last::Unit | Last::Teen | Last::Tens | Last::TensUnit)
        {
            current *= 100;
            ordinal = true;
            used += 1;
            consumed = used;
            break;
        }
        break;
    }
    (consumed > 0).then_some(Parsed {
        hundredths: total + current,
        len: consumed,
        ordinal,
        dollar,
    })
}

/// The first number in the text: "forty two", "42", "a hundred and five",
/// "three thousand", "5 thousand". Fractions are truncated.
pub fn number(text: &str) -> Option<i64> {
    let toks = tokens(text);
    let refs: Vec<&str> = toks.iter().map(String::as_str).collect();
    (0..refs.len()).find_map(|i| {
        let p = parse_cardinal(&refs[i..])?;
        (!p.ordinal).then_some(p.hundredths / 100)
    })
}

/// An amount of money in cents: "$5,000", "five thousand dollars",
/// "about 12k", "twelve hundred dollars and fifty cents", "50 cents".
/// An amount marked as money ("$", "dollars", "k", "grand") is preferred over
/// a bare number elsewhere in the sentence.
pub fn money(text: &str) -> Option<i64> {
    let toks = tokens(&text.replace("$ ", "$"));
    let refs: Vec<&str> = toks.iter().map(String::as_str).collect();
    let mut first: Option<i64> = None;
    let mut i = 0;
    while i < refs.len() {
        let Some(p) = parse_cardinal(&refs[i..]).filter(|p| !p.ordinal) else {
            i += 1;
            continue;
        };
        let after = refs.get(i + p.len).copied().unwrap_or("");
        let unit_word = matches!(after, "dollars" | "dollar" | "bucks" | "usd");
        let cents_word = matches!(after, "cents" | "cent");
        let marked_scale = refs[i..i + p.len].iter().any(|w| {
            matches!(*w, "grand") || w.ends_with('k') && w.starts_with(|c: char| c.is_ascii_digit())
        });
        let mut cents = if cents_word {
            p.hundredths / 100
        } else {
            p.hundredths
        };
        // "… dollars and fifty cents"
        if unit_word
            && refs.get(i + p.len + 1) == Some(&"and")
            && let Some(c) = parse_cardinal(&refs[i + p.len + 2..])
            && matches!(refs.get(i + p.len + 2 + c.len), Some(&"cents" | &"cent"))
        {
            cents += c.hundredths / 100;
        }
        if p.dollar || unit_word || cents_word || marked_scale {
            return Some(cents);
        }
        first.get_or_insert(cents);
        i += p.len;
    }
    first
}

/// Replace number words by digits, joining digits said in a row:
/// "five oh three" → "503", "double five" → "55", "zero one hundred" →
/// "0100", "nineteen eighty five" → "1985". Other words are kept
/// (normalised); punctuation after a word ends the digit run.
pub fn words_to_digits(text: &str) -> String {
    let norm = normalize(text);
    let raw: Vec<&str> = norm.split_whitespace().collect();
    let cores: Vec<&str> = raw.iter().map(|w| core(w)).collect();
    let is_digitish = |j: usize| -> bool {
        cores.get(j).is_some_and(|w| {
            is_number_word(w) && ordinal_word(w).is_none()
                || (!w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
        })
    };
    let mut out: Vec<String> = Vec::new();
    let mut run = String::new();
    let mut i = 0;
    while i < raw.len() {
        let w = cores[i];
        let mut piece: Option<String> = None;
        let mut used = 1;
        if matches!(w, "double" | "triple")
            && let Some(d) = cores.get(i + 1).and_then(|n| {
                unit(n).or(if matches!(*n, "oh" | "o") {
                    Some(0)
                } else {
                    None
                })
            })
        {
            piece = Some(d.to_string().repeat(if w == "double" { 2 } else { 3 }));
            used = 2;
        } else if matches!(w, "oh" | "o")
            && (is_digitish(i + 1) || i > 0 && is_digitish(i - 1) || !run.is_empty())
        {
            piece = Some("0".into());
        } else if !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()) {
            piece = Some(w.to_string());
        } else if is_number_word(w) && ordinal_word(w).is_none()
            || (w == "a"
                && cores
                    .get(i + 1)
                    .is_some_and(|n| matches!(*n, "hundred" | "thousand")))
        {
            // A word followed by punctuation ends the span.
            let end = (i..raw.len())
                .find(|&j| {
                    raw[j].len()
                        != raw[j]
                            .trim_end_matches([',', '.', '!', '?', ';', ':'])
                            .len()
                })
                .map_or(raw.len(), |j| j + 1);
            let p = parse_cardinal(&cores[i..end])
                .filter(|p| !p.ordinal)
                .map(|p| (p.hundredths / 100, p.len));
            if let Some((v, n)) = p {
                piece = Some(v.to_string());
                used = n;
            }
        }
        match piece {
            Some(p) => {
                run.push_str(&p);
                let last = &raw[i + used - 1];
                let punct = &last[last.trim_end_matches(|c: char| ",.!?;:".contains(c)).len()..];
                if !punct.is_empty() {
                    out.push(format!("{run}{punct}"));
                    run.clear();
                }
            }
            None => {
                if !run.is_empty() {
                    out.push(std::mem::take(&mut run));
                }
                out.push(raw[i].to_string());
            }
        }
        i += used;
    }
    if !run.is_empty() {
        out.push(run);
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let cases: &[(&str, Option<i64>)] = &[
            ("forty two", Some(42)),
            ("fourty two", Some(42)),
            ("42", Some(42)),
            ("I'm 42 years old", Some(42)),
            ("a hundred and five", Some(105)),
            ("one hundred five", Some(105)),
            ("three thousand", Some(3000)),
            ("3 thousand", Some(3000)),
            ("twelve", Some(12)),
            ("um, about thirty five", Some(35)),
            ("two million five hundred thousand", Some(2_500_000)),
            ("a thousand", Some(1000)),
            ("fifteen hundred", Some(1500)),
            ("nineteen eighty five", Some(1985)),
            ("twenty twenty four", Some(2024)),
            ("two thousand and five", Some(2005)),
            ("zero", Some(0)),
            ("5,000", Some(5000)),
            ("12k", Some(12_000)),
            ("seven hundred twenty one", Some(721)),
            ("one million", Some(1_000_000)),
            (
                "nine hundred ninety nine thousand nine hundred ninety nine",
                Some(999_999),
            ),
            ("my son is two", Some(2)),
            ("two two", Some(2)),
            ("", None),
            ("none", None),
            ("I don't know", None),
            ("a lot", None),
            ("the third", None),
        ];
        for (input, want) in cases {
            assert_eq!(number(input), *want, "{input:?}");
        }
    }

    #[test]
    fn money_in_cents() {
        let cases: &[(&str, Option<i64>)] = &[
            ("$5,000", Some(500_000)),
            ("$ 5,000", Some(500_000)),
            ("five thousand dollars", Some(500_000)),
            ("about 12k", Some(1_200_000)),
            ("12K", Some(1_200_000)),
            ("five grand", Some(500_000)),
            ("$5,000.50", Some(500_050)),
            ("1.5 million", Some(150_000_000)),
            ("$1.5m", Some(150_000_000)),
            ("twelve hundred dollars and fifty cents", Some(120_050)),
            ("fifty cents", Some(50)),
            ("a hundred bucks", Some(10_000)),
            ("they owe me around 3000", Some(300_000)),
            ("I have 2 kids and owe $40,000", Some(4_000_000)),
            ("twenty thousand", Some(2_000_000)),
            ("nothing", None),
            ("I'm not sure", None),
        ];
        for (input, want) in cases {
            assert_eq!(money(input), *want, "{input:?}");
        }
    }

    #[test]
    fn digits() {
        let cases = [
            ("five oh three", "503"),
            ("five zero three, five five five", "503, 555"),
            ("double five", "55"),
            ("triple seven", "777"),
            ("zero one hundred", "0100"),
            ("oh one hundred", "0100"),
            ("five five five zero one zero zero", "5550100"),
            ("nineteen eighty five", "1985"),
            ("twenty five", "25"),
            ("my number is five oh three", "my number is 503"),
            ("oh I see", "oh i see"),
            ("j o h n", "j o h n"),
            ("5 oh 3", "503"),
            ("fifteen hundred", "1500"),
            ("call me at one", "call me at 1"),
            ("double oh seven", "007"),
        ];
        for (input, want) in cases {
            assert_eq!(words_to_digits(input), want, "{input:?}");
        }
    }
}
