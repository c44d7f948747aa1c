//! Words spelled out letter by letter: "L-O-P-E-Z", "l o p e z",
//! "L as in Lima", "lima oscar papa", "double l", "O apostrophe N E I L".
//!
//! Callers spell names because speech-to-text mangles them, so the spelled
//! form is the most trustworthy thing they say. The hard part is not reading
//! letters but *not* reading them: "a" and "I" are words, "see you" is not
//! "C U", and "Victor" is a name. A run of letters therefore only counts when
//! it has at least two unambiguous letters (single characters, hyphenated
//! letters, or NATO words) — or three NATO words on their own.

use super::text::{core, normalize};

const NATO: &[(&str, char)] = &[
    ("alpha", 'a'),
    ("alfa", 'a'),
    ("bravo", 'b'),
    ("charlie", 'c'),
    ("delta", 'd'),
    ("echo", 'e'),
    ("foxtrot", 'f'),
    ("golf", 'g'),
    ("hotel", 'h'),
    ("india", 'i'),
    ("juliet", 'j'),
    ("juliett", 'j'),
    ("kilo", 'k'),
    ("lima", 'l'),
    ("mike", 'm'),
    ("november", 'n'),
    ("oscar", 'o'),
    ("papa", 'p'),
    ("quebec", 'q'),
    ("romeo", 'r'),
    ("sierra", 's'),
    ("tango", 't'),
    ("uniform", 'u'),
    ("victor", 'v'),
    ("whiskey", 'w'),
    ("whisky", 'w'),
    ("xray", 'x'),
    ("x-ray", 'x'),
    ("yankee", 'y'),
    ("zulu", 'z'),
];

/// How letter names come out of speech-to-text. Weak: only trusted inside a
/// run that already has two strong letters.
const SPOKEN: &[(&str, char)] = &[
    ("ay", 'a'),
    ("bee", 'b'),
    ("be", 'b'),
    ("cee", 'c'),
    ("see", 'c'),
    ("sea", 'c'),
    ("dee", 'd'),
    ("ee", 'e'),
    ("ef", 'f'),
    ("eff", 'f'),
    ("gee", 'g'),
    ("aitch", 'h'),
    ("jay", 'j'),
    ("kay", 'k'),
    ("el", 'l'),
    ("ell", 'l'),
    ("em", 'm'),
    ("en", 'n'),
    ("oh", 'o'),
    ("pee", 'p'),
    ("cue", 'q'),
    ("queue", 'q'),
    ("ar", 'r'),
    ("are", 'r'),
    ("ess", 's'),
    ("tee", 't'),
    ("tea", 't'),
    ("you", 'u'),
    ("vee", 'v'),
    ("ex", 'x'),
    ("why", 'y'),
    ("zee", 'z'),
    ("zed", 'z'),
];

/// A run of spelled letters over raw tokens `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub start: usize,
    pub end: usize,
    pub letters: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Strong,
    Nato,
    Weak,
}

fn lookup(table: &[(&str, char)], w: &str) -> Option<char> {
    table.iter().find(|(k, _)| *k == w).map(|(_, c)| *c)
}

/// One token as letters: a single letter, "l-o-p-e-z", "l.o.p.e.z.", a NATO
/// or spoken letter name. `joined` is true for hyphen/dot-joined groups.
fn letters_of(w: &str) -> Option<(String, Kind, bool)> {
    if w.len() == 1 && w.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some((w.to_string(), Kind::Strong, false));
    }
    if let Some(c) = lookup(NATO, w) {
        return Some((c.to_string(), Kind::Nato, false));
    }
    let parts: Vec<&str> = w.split(['-', '.']).filter(|p| !p.is_empty()).collect();
    if parts.len() >= 2
        && (w.contains('-') || w.contains('.'))
        && parts
            .iter()
            .all(|p| p.len() == 1 && p.chars().all(|c| c.is_ascii_alphabetic()) || *p == "'")
    {
        return Some((parts.concat(), Kind::Strong, true));
    }
    lookup(SPOKEN, w).map(|c| (c.to_string(), Kind::Weak, false))
}

/// Find spelled runs in lower-case raw tokens (punctuation still attached).
pub(crate) fn runs(raw: &[String]) -> Vec<Run> {
    let cores: Vec<&str> = raw.iter().map(|w| core(w)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let (mut letters, mut strong, mut nato, mut weak) = (String::new(), 0, 0, 0);
        let start = i;
        let mut end = i;
        let mut comma_separated = false;
        let mut j = i;
        while let Some(&w) = cores.get(j) {
            let mut step = 1;
            let mut got: Option<(String, Kind, bool)> = None;
            if matches!(w, "double" | "triple")
                && let Some(n) = cores.get(j + 1)
            {
                if *n == "you" || *n == "u" {
                    got = Some(("w".into(), Kind::Strong, false));
                } else if let Some((l, k, false)) = letters_of(n) {
                    got = Some((l.repeat(if w == "double" { 2 } else { 3 }), k, false));
                }
                step = 2;
            } else if matches!(w, "capital" | "uppercase" | "lowercase" | "small" | "big")
                && cores.get(j + 1).is_some_and(|n| n.len() == 1)
            {
                j += 1;
                continue;
            } else if !letters.is_empty() && matches!(w, "apostrophe" | "hyphen" | "dash") {
                got = Some((
                    if w == "apostrophe" { "'" } else { "-" }.into(),
                    Kind::Weak,
                    false,
                ));
                weak -= 1; // punctuation is not a letter
            } else if w == "x" && cores.get(j + 1) == Some(&"ray") {
                got = Some(("x".into(), Kind::Nato, false));
                step = 2;
            } else {
                got = letters_of(w);
            }
            let Some((l, kind, joined)) = got else { break };
            // A hyphenated group is a word of its own: it never merges with
            // letters before it, and nothing merges after it.
            if joined && !letters.is_empty() {
                break;
            }
            letters.push_str(&l);
            match kind {
                Kind::Strong => strong += l.len().min(2),
                Kind::Nato => nato += 1,
                Kind::Weak => weak += 1,
            }
            j += step;
            end = j;
            // "L as in Lima", "B for boy", "L like Lima".
            let a = cores.get(j).copied().unwrap_or("");
            let b = cores.get(j + 1).copied().unwrap_or("");
            let first = l.chars().next().unwrap_or(' ');
            if a == "as" && b == "in" && cores.get(j + 2).is_some() {
                j += 3;
                end = j;
                nato += 1;
            } else if matches!(a, "for" | "like")
                && b.starts_with(first)
                && b.len() > 1
                && first.is_ascii_alphabetic()
            {
                j += 2;
                end = j;
                nato += 1;
            }
            let last_raw = &raw[end - 1];
            if joined {
                break;
            }
            if last_raw.ends_with(',') {
                if letters.len() == 1 {
                    comma_separated = true;
                } else if !comma_separated {
                    break;
                }
            }
            if last_raw.ends_with(['?', '!', ';'])
                || last_raw.ends_with('.') && core(last_raw).len() > 1
            {
                break;
            }
        }
        let letters = letters.trim_matches(['\'', '-']).to_string();
        let accepted = letters.chars().filter(char::is_ascii_alphabetic).count() >= 2
            && (strong >= 1 && strong + nato >= 2 && (weak == 0 || strong >= 2) || nato >= 3);
        if accepted {
            out.push(Run {
                start,
                end,
                letters,
            });
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Letters spelled out, returned lower-case: "L-O-P-E-Z" → "lopez",
/// "L as in Lima O P E Z" → "lopez", "double l" counts twice. Returns the
/// first spelled run in the text, or None when nothing was spelled.
pub fn spelled_word(text: &str) -> Option<String> {
    spelled_words(text).into_iter().next()
}

/// Every spelled run, in order: "M-A-R-I-A L-O-P-E-Z" → ["maria", "lopez"].
pub fn spelled_words(text: &str) -> Vec<String> {
    let raw: Vec<String> = normalize(text)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    runs(&raw).into_iter().map(|r| r.letters).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelled() {
        let cases: &[(&str, Option<&str>)] = &[
            ("L-O-P-E-Z", Some("lopez")),
            ("l o p e z", Some("lopez")),
            ("L. O. P. E. Z.", Some("lopez")),
            ("L.O.P.E.Z.", Some("lopez")),
            ("L, O, P, E, Z", Some("lopez")),
            ("L as in Lima O P E Z", Some("lopez")),
            ("lima oscar papa echo zulu", Some("lopez")),
            ("it's l as in lima, o, p, e, z", Some("lopez")),
            ("b for boy r o w n", Some("brown")),
            ("r u s s e double l", Some("russell")),
            ("double l", Some("ll")),
            ("capital O apostrophe N E I L", Some("o'neil")),
            ("m c d o n a l d", Some("mcdonald")),
            ("that's s m i t h with an i", Some("smith")),
            ("k e el l e y", Some("kelley")),
            ("uh, j-o-h-n", Some("john")),
            ("x ray y z", Some("xyz")),
            ("double u i l l", Some("will")),
            ("I was in a car accident", None),
            ("my name is maria lopez", None),
            ("see you later", None),
            ("oh i see", None),
            ("are you there", None),
            ("Victor Hugo", None),
            ("mike romeo", None),
            ("a", None),
            ("", None),
            ("yes", None),
        ];
        for (input, want) in cases {
            assert_eq!(spelled_word(input).as_deref(), *want, "{input:?}");
        }
    }

    #[test]
    fn hyphenated_groups_are_separate_words() {
        let raw: Vec<String> = "m-a-r-i-a, l-o-p-e-z"
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let r = runs(&raw);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].letters, "maria");
        assert_eq!(r[1].letters, "lopez");
        assert_eq!(
            spelled_words("M-A-R-I-A, L-O-P-E-Z"),
            vec!["maria", "lopez"]
        );
        assert!(spelled_words("hello there").is_empty());
    }
}
