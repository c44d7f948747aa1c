//! Text clean-up shared by every extractor.
//!
//! Speech-to-text output is lower-case and unpunctuated, chat text is neither,
//! and both carry hesitations ("um", "uh", "you know"). Every extractor starts
//! from the same normalised form so that each one only has to know its own
//! vocabulary. Punctuation is kept (a comma separates "Lopez, Maria", a dot is
//! part of "outlook.com"); filler words are dropped only where they cannot
//! carry meaning ("I'd like" keeps its "like", "L like Lima" keeps it too).

/// Pure hesitation sounds: always dropped.
const HESITATIONS: &[&str] = &[
    "um", "umm", "ummm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mmm",
];

/// After these words "like" is a verb or a comparison, not a filler.
const LIKE_IS_MEANINGFUL_AFTER: &[&str] = &[
    "i",
    "we",
    "you",
    "they",
    "i'd",
    "we'd",
    "you'd",
    "they'd",
    "would",
    "do",
    "don't",
    "dont",
    "didn't",
    "does",
    "doesn't",
    "did",
    "really",
    "not",
    "feel",
    "feels",
    "felt",
    "look",
    "looks",
    "looked",
    "sound",
    "sounds",
    "seems",
    "something",
    "anything",
    "nothing",
    "just",
    "more",
    "much",
    "he",
    "she",
    "who",
    "also",
    "might",
    "will",
    "wouldn't",
];

/// "you know" is meaningful after these ("do you know when…").
const YOU_KNOW_IS_MEANINGFUL_AFTER: &[&str] = &[
    "do", "did", "don't", "if", "would", "will", "as", "let", "won't", "didn't", "could", "can",
];

/// The word without surrounding punctuation (apostrophes inside are kept).
pub(crate) fn core(word: &str) -> &str {
    word.trim_matches(|c: char| ",.!?;:\"()[]{}".contains(c))
}

/// Lower-case, unify apostrophes and dashes, drop filler words and collapse
/// whitespace. "Uh huh" and "mm hmm" become the single tokens "uh-huh" and
/// "mm-hmm" (they are answers, not hesitations).
pub fn normalize(text: &str) -> String {
    let unified: String = text
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' => '-',
            c => c,
        })
        .collect::<String>()
        .to_lowercase();
    let raw: Vec<&str> = unified.split_whitespace().collect();
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let word = raw[i];
        let c = core(word);
        let next = raw.get(i + 1).map(|n| core(n)).unwrap_or("");
        let backchannel = match (c, next) {
            ("uh" | "un", "huh") => Some("uh-huh"),
            ("mm" | "um" | "m", "hmm" | "hm") => Some("mm-hmm"),
            ("uh", "uh") => Some("uh-uh"),
            ("mhm" | "mmhmm" | "mmhm", _) => {
                out.push(format!("mm-hmm{}", trailing(word)));
                i += 1;
                continue;
            }
            _ => None,
        };
        if let Some(b) = backchannel {
            out.push(format!("{b}{}", trailing(raw[i + 1])));
            i += 2;
            continue;
        }
        let prev = out.last().map(|p| core(p)).unwrap_or("");
        if HESITATIONS.contains(&c) {
            i += 1;
            continue;
        }
        if c == "like" && !LIKE_IS_MEANINGFUL_AFTER.contains(&prev) && prev.chars().count() != 1 {
            i += 1;
            continue;
        }
        if c == "you" && next == "know" && !YOU_KNOW_IS_MEANINGFUL_AFTER.contains(&prev) {
            let after = raw.get(i + 2).map(|n| core(n)).unwrap_or("");
            let meaningful = [
                "the", "that", "how", "what", "when", "where", "who", "if", "my", "him", "her",
                "them", "it", "about", "why",
            ];
            if !meaningful.contains(&after) || raw[i + 1].ends_with(',') {
                i += 2;
                continue;
            }
        }
        out.push(word.to_string());
        i += 1;
    }
    out.join(" ")
}

/// Trailing punctuation of a raw word (kept when a word is rewritten).
fn trailing(word: &str) -> &str {
    let kept = word.trim_end_matches(|c: char| ",.!?;:".contains(c)).len();
    &word[kept..]
}

/// Normalised words without surrounding punctuation.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    normalize(text)
        .split_whitespace()
        .map(|w| core(w).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        let cases = [
            ("Um, my number is 503", "my number is 503"),
            ("UH  it's   John", "it's john"),
            ("It\u{2019}s Maria", "it's maria"),
            (
                "I'd like to talk to a person",
                "i'd like to talk to a person",
            ),
            ("it was like three o'clock", "it was three o'clock"),
            ("like, I don't know", "i don't know"),
            ("and you know i was scared", "and i was scared"),
            ("do you know when", "do you know when"),
            ("L like Lima", "l like lima"),
            ("uh huh", "uh-huh"),
            ("Mm hmm.", "mm-hmm."),
            ("uh uh", "uh-uh"),
            ("mhm", "mm-hmm"),
            ("hmm... erm, yes", "yes"),
            ("", ""),
            ("Lopez, Maria", "lopez, maria"),
            ("john.smith@gmail.com", "john.smith@gmail.com"),
            ("5\u{2013}0\u{2013}3", "5-0-3"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn tokenises() {
        assert_eq!(tokens("Um, yes. Please!"), vec!["yes", "please"]);
    }
}
