//! Text normalisation and negation scope shared by the policy modules
//! (guardrail, urgency, practice).
//!
//! Why one normaliser: every cue list is written against the same shape of
//! text — lower case, contractions expanded ("don't" → "do not"), words
//! separated by single spaces, split into clauses at punctuation — so a
//! pattern such as `you should not sign` matches "You shouldn't sign" and
//! "you should NOT sign", and negation never reaches across a comma
//! ("No, he was arrested" is not a negated arrest). It lives here rather
//! than in its own top-level module because `lib.rs` belongs to the
//! dialogue engine; it is `pub(crate)` and can move freely.

use regex::Regex;

/// Words that negate a cue that follows them closely ("never arrested",
/// "no court date", "not hurt").
const NEGATORS: &[&str] = &[
    "not", "never", "no", "without", "nobody", "none", "neither", "nor", "nothing",
];

/// Words that end a negation's reach: "I'm not sure *but* he was arrested",
/// "I don't *know* if he was arrested" (uncertainty is not denial).
const SCOPE_BREAKERS: &[&str] = &[
    "but", "and", "because", "so", "though", "although", "however", "when", "while", "since",
    "until", "after", "before", "if", "whether", "that", "who", "which", "why", "think", "know",
    "sure", "remember", "believe", "mean", "said", "says", "except", "only", "then", "now",
];

/// After "no", these make it an interjection ("no, he was arrested",
/// "no my son is in jail") rather than a determiner ("no injuries").
const AFTER_INTERJECTION_NO: &[&str] = &[
    "he", "she", "i", "we", "they", "you", "it", "my", "his", "her", "their", "our", "the", "a",
    "that", "this", "actually", "wait", "sorry", "thanks", "thank", "yes",
];

/// How many words before a cue a negator may stand ("has not yet been
/// arrested" is three).
const NEGATION_WINDOW: usize = 3;

/// Splits `text` into normalised clauses: lower-case words separated by
/// one space, contractions expanded, punctuation removed. Clause breaks are
/// sentence punctuation, commas, semicolons, colons, dashes between words
/// and line breaks; commas and points inside numbers ("$5,000", "3.5")
/// stay in the number.
pub(crate) fn clauses(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut raw = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let digits_around =
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        match c {
            ',' if digits_around => {}
            '.' if digits_around => raw.push('.'),
            '.' | '!' | '?' | ';' | ':' | ',' | '\n' | '\r' | '—' | '–' | '(' | ')' | '"' | '“'
            | '”' => raw.push_str(" | "),
            '-' if prev == Some(' ') || next == Some(' ') => raw.push_str(" | "),
            '’' | '‘' | '`' | '\'' => raw.push('\''),
            '%' => raw.push_str(" percent "),
            '&' => raw.push_str(" and "),
            c if c.is_alphanumeric() => raw.extend(c.to_lowercase()),
            _ => raw.push(' '),
        }
    }
    raw.split('|')
        .map(|clause| {
            let mut words: Vec<String> = Vec::new();
            for token in clause.split_whitespace() {
                expand(token, &mut words);
            }
            words.join(" ")
        })
        .filter(|c| !c.is_empty())
        .collect()
}

/// One lower-case word, possibly with an apostrophe, into normalised words.
fn expand(token: &str, out: &mut Vec<String>) {
    let token = token.trim_matches('\'');
    if token.is_empty() {
        return;
    }
    let whole: Option<&[&str]> = match token {
        "won't" | "wont" => Some(&["will", "not"]),
        "can't" | "cant" | "cannot" => Some(&["can", "not"]),
        "shan't" => Some(&["shall", "not"]),
        "ain't" | "aint" => Some(&["is", "not"]),
        "dont" => Some(&["do", "not"]),
        "doesnt" => Some(&["does", "not"]),
        "didnt" => Some(&["did", "not"]),
        "isnt" => Some(&["is", "not"]),
        "wasnt" => Some(&["was", "not"]),
        "arent" => Some(&["are", "not"]),
        "werent" => Some(&["were", "not"]),
        "havent" => Some(&["have", "not"]),
        "hasnt" => Some(&["has", "not"]),
        "hadnt" => Some(&["had", "not"]),
        "shouldnt" => Some(&["should", "not"]),
        "wouldnt" => Some(&["would", "not"]),
        "couldnt" => Some(&["could", "not"]),
        "im" => Some(&["i", "am"]),
        "ive" => Some(&["i", "have"]),
        "youre" => Some(&["you", "are"]),
        "youll" => Some(&["you", "will"]),
        "youve" => Some(&["you", "have"]),
        "gonna" => Some(&["going", "to"]),
        "wanna" => Some(&["want", "to"]),
        "gotta" => Some(&["got", "to"]),
        "let's" => Some(&["let", "us"]),
        _ => None,
    };
    if let Some(words) = whole {
        out.extend(words.iter().map(|w| (*w).to_string()));
        return;
    }
    let Some((stem, suffix)) = token.rsplit_once('\'') else {
        out.push(token.to_string());
        return;
    };
    if suffix == "t" && stem.ends_with('n') {
        out.push(stem[..stem.len() - 1].to_string());
        out.push("not".into());
        return;
    }
    let stem = stem.replace('\'', "");
    out.push(stem.clone());
    let tail = match suffix {
        "ll" => "will",
        "re" => "are",
        "ve" => "have",
        "m" => "am",
        "d" => "would",
        "s" if matches!(
            stem.as_str(),
            "he" | "she" | "it" | "that" | "there" | "what" | "who" | "where" | "here" | "how"
        ) =>
        {
            "is"
        }
        "s" => "s",
        other => other,
    };
    out.push(tail.to_string());
}

/// Whether the words just before byte offset `start` of `clause` negate
/// what begins there.
pub(crate) fn negated_before(clause: &str, start: usize) -> bool {
    let before: Vec<&str> = clause[..start].split_whitespace().collect();
    let first_of_cue = clause[start..].split_whitespace().next().unwrap_or("");
    for (back, &word) in before.iter().rev().take(NEGATION_WINDOW).enumerate() {
        if SCOPE_BREAKERS.contains(&word) {
            return false;
        }
        if NEGATORS.contains(&word) {
            if word == "no" {
                let following = if back == 0 {
                    first_of_cue
                } else {
                    before[before.len() - back]
                };
                if AFTER_INTERJECTION_NO.contains(&following) {
                    return false;
                }
            }
            return true;
        }
    }
    false
}

/// The first match of `re` in `clause` that is not negated.
pub(crate) fn find_affirmed<'a>(re: &Regex, clause: &'a str) -> Option<regex::Match<'a>> {
    re.find_iter(clause)
        .find(|m| !negated_before(clause, m.start()))
}

/// Compiles a pattern written against normalised text, anchored at word
/// boundaries. Patterns are constants, so failure is a programming error
/// caught by every test that touches the module.
pub(crate) fn word_regex(pattern: &str) -> Regex {
    Regex::new(&format!(r"\b(?:{pattern})\b"))
        .unwrap_or_else(|e| panic!("bad policy pattern {pattern:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_contractions_punctuation_and_numbers() {
        assert_eq!(
            clauses("You shouldn't sign; he's in JAIL, it's $5,000."),
            vec!["you should not sign", "he is in jail", "it is 5000"]
        );
        assert_eq!(clauses("I can't, won't"), vec!["i can not", "will not"]);
        assert_eq!(
            clauses("my dad's will — rear-ended"),
            vec!["my dad s will", "rear ended"]
        );
        assert_eq!(clauses("you’ll WIN"), vec!["you will win"]);
        assert_eq!(clauses("3.5 years, 10%"), vec!["3.5 years", "10 percent"]);
        assert!(clauses(" ... ").is_empty());
    }

    #[test]
    fn negation_scope() {
        let re = word_regex("arrested|court date|injuries|hit me");
        let table = [
            ("he was never arrested", false),
            ("he has not yet been arrested", false),
            ("there is no court date", false),
            ("no injuries", false),
            ("no he was arrested", true),
            ("no my son was arrested", true),
            ("i am not sure but he was arrested", true),
            ("i do not know if he was arrested", true),
            ("he was arrested", true),
            ("i do not think he will hit me again", true),
            ("not hurt and he was arrested", true),
        ];
        for (text, affirmed) in table {
            let clause = &clauses(text)[0];
            assert_eq!(find_affirmed(&re, clause).is_some(), affirmed, "{text}");
        }
    }
}
