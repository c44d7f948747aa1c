//! Email addresses, typed or spoken ("john dot smith at gmail dot com").
//!
//! A typed address is taken as is. A spoken one is anchored on its domain:
//! the last "at" followed by something with a "dot" (so "email me at john at
//! gmail dot com" picks the right "at"). The domain is read forward until the
//! top-level label; the local part is read backward until a word that
//! introduces an address ("is", "it's", "email", "me"…). Words become symbols
//! ("dot", "underscore", "dash"), spelled letters are joined ("j o h n"),
//! number words become digits, and the result is validated.

use super::numbers::words_to_digits;
use super::spelling::runs;
use super::text::{core, normalize};

/// Words that introduce an address and so end a spoken local part.
const LEAD_IN: &[&str] = &[
    "is", "it's", "its", "email", "e-mail", "address", "me", "at", "my", "to", "send", "it", "the",
    "and", "that's", "thats", "yeah", "yes", "sure", "ok", "okay", "so", "would", "be", "mail",
    "reach", "use", "try", "oh", "um", "account", "with", "on", "under", "you", "can", "i", "your",
    "our", "work", "personal",
];

fn symbol(w: &str) -> Option<&'static str> {
    Some(match w {
        "dot" | "period" | "point" => ".",
        "underscore" | "under-score" => "_",
        "dash" | "hyphen" | "minus" => "-",
        "plus" => "+",
        _ => return None,
    })
}

/// A lower-cased, validated email address from typed or spoken text.
pub fn email(text: &str) -> Option<String> {
    let norm = normalize(text)
        .replace(" at sign ", " @ ")
        .replace(" at symbol ", " @ ");
    // Typed: a token with an "@" in it.
    if let Some(tok) = norm
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| ",;:!?\"()<>'".contains(c))
                .trim_end_matches('.')
        })
        .find(|w| w.contains('@') && w.len() > 1)
        && let Some(e) = validate(tok)
    {
        return Some(e);
    }
    // Spoken: digits first, then spelled letters collapsed to words.
    let digits = words_to_digits(&norm);
    let raw: Vec<String> = digits.split_whitespace().map(str::to_string).collect();
    let mut words: Vec<String> = Vec::new();
    let spelled = runs(&raw);
    let mut i = 0;
    while i < raw.len() {
        if let Some(r) = spelled.iter().find(|r| r.start == i) {
            words.push(r.letters.replace(['\'', '-'], ""));
            i = r.end;
        } else {
            words.push(core(&raw[i]).to_string());
            i += 1;
        }
    }
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    (0..w.len())
        .rev()
        .filter(|&k| w[k] == "at" || w[k] == "@")
        .find_map(|k| spoken(&w, k))
}

fn spoken(w: &[&str], at: usize) -> Option<String> {
    // Domain: label (dot label)+, joining words inside a label ("hot mail").
    let mut domain = String::new();
    let mut j = at + 1;
    let mut dots = 0;
    let mut label_words = 0;
    while j < w.len() {
        let t = w[j];
        if symbol(t) == Some(".") || t == "." {
            if label_words == 0 {
                break;
            }
            domain.push('.');
            dots += 1;
            label_words = 0;
        } else if symbol(t) == Some("-") && label_words > 0 {
            domain.push('-');
        } else if t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            // After the first dot a label is one word: "gmail dot com thanks".
            if dots > 0 && label_words > 0 {
                break;
            }
            dots += t.matches('.').count();
            domain.push_str(t);
            label_words += 1;
        } else {
            break;
        }
        j += 1;
    }
    let domain = domain.trim_end_matches(['.', '-']);
    // Local part: backwards to a lead-in word.
    let mut parts: Vec<&str> = Vec::new();
    let mut k = at;
    while k > 0 {
        let t = w[k - 1];
        if LEAD_IN.contains(&t) && symbol(t).is_none() || t.is_empty() {
            break;
        }
        parts.push(symbol(t).unwrap_or(t));
        k -= 1;
    }
    parts.reverse();
    let local: String = parts.concat();
    validate(&format!("{local}@{domain}"))
}

/// One "@", a sane local part and a dotted domain with a letter TLD.
fn validate(addr: &str) -> Option<String> {
    let addr = addr.to_lowercase();
    let (local, domain) = addr.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-'".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
    (local_ok && domain_ok).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "john dot smith at gmail dot com",
                Some("john.smith@gmail.com"),
            ),
            ("John.Smith@Gmail.com", Some("john.smith@gmail.com")),
            (
                "my email is john.smith@gmail.com.",
                Some("john.smith@gmail.com"),
            ),
            ("it's <john@example.org>", Some("john@example.org")),
            ("j smith at yahoo dot co dot uk", Some("jsmith@yahoo.co.uk")),
            (
                "maria underscore lopez at outlook.com",
                Some("maria_lopez@outlook.com"),
            ),
            (
                "john dash smith at gmail dot com",
                Some("john-smith@gmail.com"),
            ),
            ("j o h n at gmail dot com", Some("john@gmail.com")),
            ("J-O-H-N at gmail dot com", Some("john@gmail.com")),
            (
                "um my email is john smith eighty five at hotmail dot com",
                Some("johnsmith85@hotmail.com"),
            ),
            (
                "you can email me at john at gmail dot com",
                Some("john@gmail.com"),
            ),
            (
                "it's maria at lopez law dot com thanks",
                Some("maria@lopezlaw.com"),
            ),
            (
                "maria at lopez dash law dot com",
                Some("maria@lopez-law.com"),
            ),
            (
                "sure it's mlopez at gmail dot com",
                Some("mlopez@gmail.com"),
            ),
            ("john at sign gmail dot com", Some("john@gmail.com")),
            (
                "john plus legal at gmail dot com",
                Some("john+legal@gmail.com"),
            ),
            (
                "j dot smith nineteen eighty five at gmail dot com",
                Some("j.smith1985@gmail.com"),
            ),
            ("john at gmail", None),
            ("I was at the hospital", None),
            ("meet me at the office dot", None),
            ("john at gmail dot c", None),
            ("a@b@c.com", None),
            ("", None),
            ("no email", None),
        ];
        for (input, want) in cases {
            assert_eq!(email(input).as_deref(), *want, "{input:?}");
        }
    }
}
