//! Yes / no / unsure answers, and requests for a human.
//!
//! Both are phrase lists matched on whole words, longest phrase first, so
//! "not sure" is unsure rather than yes, "absolutely not" is no, and
//! "yesterday" is nothing. Single words that are answers only at the start of
//! a reply ("no", "sure", "right", "fine") are matched only there: "there was
//! no police report" is not a "no". When a reply holds several answers the
//! last one wins, as a listener would take it ("yes — no, actually no").
//!
//! A request for a person needs a person-word the caller is asking *for*
//! ("a real person", "an agent", "someone" after "talk to") in a request
//! ("can I speak to", "transfer me", "I want") that is not negated; a bare
//! "operator" or "zero" also counts. "My insurance agent called" does not.

use serde::{Deserialize, Serialize};

use super::text::tokens;

/// A caller's answer to a yes/no question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YesNo {
    Yes,
    No,
    Unsure,
}

/// (phrase, answer, anywhere). `anywhere == false`: only as the reply's first
/// words (after other answer words).
const PHRASES: &[(&str, YesNo, bool)] = {
    use YesNo::{No as N, Unsure as U, Yes as Y};
    &[
        // Unsure
        ("not sure", U, true),
        ("i'm not sure", U, true),
        ("unsure", U, true),
        ("maybe", U, true),
        ("perhaps", U, true),
        ("possibly", U, true),
        ("probably", U, true),
        ("i don't know", U, true),
        ("i do not know", U, true),
        ("i dont know", U, true),
        ("don't know", U, true),
        ("dunno", U, true),
        ("not certain", U, true),
        ("not positive", U, true),
        ("no idea", U, true),
        ("i have no idea", U, true),
        ("i can't remember", U, true),
        ("i don't remember", U, true),
        ("can't say", U, true),
        ("hard to say", U, true),
        ("it depends", U, true),
        ("i guess", U, false),
        ("kind of", U, false),
        ("sort of", U, false),
        ("who knows", U, true),
        ("i'm not certain", U, true),
        ("not that i know of", N, true),
        // No
        ("no", N, false),
        ("nope", N, true),
        ("nah", N, true),
        ("uh-uh", N, true),
        ("no thanks", N, true),
        ("no thank you", N, true),
        ("don't", N, false),
        ("do not", N, false),
        ("please don't", N, true),
        ("please do not", N, true),
        ("i'd rather not", N, true),
        ("i would rather not", N, true),
        ("rather not", N, true),
        ("not really", N, true),
        ("negative", N, false),
        ("never", N, false),
        ("absolutely not", N, true),
        ("definitely not", N, true),
        ("certainly not", N, true),
        ("of course not", N, true),
        ("probably not", N, true),
        ("not at all", N, true),
        ("no way", N, true),
        ("incorrect", N, true),
        ("that's wrong", N, true),
        ("that is wrong", N, true),
        ("wrong", N, false),
        ("that's not right", N, true),
        ("that's not correct", N, true),
        ("that is not correct", N, true),
        ("that isn't right", N, true),
        ("not correct", N, true),
        ("not right", N, true),
        ("i don't think so", N, true),
        ("i do not think so", N, true),
        ("i don't want", N, true),
        ("i do not want", N, true),
        ("i do not consent", N, true),
        ("i don't consent", N, true),
        ("i don't agree", N, true),
        ("not okay", N, true),
        ("not ok", N, true),
        ("not now", N, true),
        ("i decline", N, true),
        ("decline", N, false),
        ("not interested", N, true),
        ("i'm not", N, false),
        ("it's not", N, false),
        ("it isn't", N, false),
        ("i don't", N, false),
        ("i didn't", N, false),
        ("i haven't", N, false),
        ("i can't", N, false),
        ("we don't", N, false),
        ("we didn't", N, false),
        ("it doesn't", N, false),
        ("he didn't", N, false),
        ("she didn't", N, false),
        ("not", N, false),
        // Yes
        ("yes", Y, true),
        ("yeah", Y, true),
        ("yea", Y, true),
        ("ya", Y, false),
        ("yep", Y, true),
        ("yup", Y, true),
        ("yessir", Y, true),
        ("uh-huh", Y, true),
        ("mm-hmm", Y, true),
        ("sure", Y, false),
        ("for sure", Y, true),
        ("sure thing", Y, true),
        ("i'm sure", Y, true),
        ("of course", Y, true),
        ("that's right", Y, true),
        ("that is right", Y, true),
        ("right", Y, false),
        ("all right", Y, false),
        ("alright", Y, false),
        ("correct", Y, true),
        ("that's correct", Y, true),
        ("go ahead", Y, true),
        ("go for it", Y, true),
        ("ok", Y, false),
        ("okay", Y, false),
        ("k", Y, false),
        ("absolutely", Y, true),
        ("definitely", Y, true),
        ("certainly", Y, true),
        ("affirmative", Y, true),
        ("fine", Y, false),
        ("that's fine", Y, true),
        ("that's ok", Y, true),
        ("that's okay", Y, true),
        ("please", Y, false),
        ("please do", Y, true),
        ("yes please", Y, true),
        ("sounds good", Y, true),
        ("that works", Y, true),
        ("i agree", Y, true),
        ("i consent", Y, true),
        ("i do", Y, false),
        ("i did", Y, false),
        ("i am", Y, false),
        ("i have", Y, false),
        ("i will", Y, false),
        ("it is", Y, false),
        ("exactly", Y, true),
        ("you got it", Y, true),
        ("by all means", Y, true),
        ("why not", Y, true),
        ("i think so", Y, true),
        ("i guess so", Y, true),
        ("i believe so", Y, true),
        ("no problem", Y, true),
        ("not a problem", Y, true),
        ("no worries", Y, true),
        ("i don't mind", Y, true),
        ("don't mind", Y, true),
        ("that's it", Y, false),
        ("totally", Y, false),
        ("indeed", Y, false),
    ]
};

/// Words that keep a following answer word "leading": "oh yes", "well no".
const LEAD_INS: &[&str] = &[
    "oh", "well", "and", "so", "but", "um", "actually", "i", "mean",
];

/// Phrases that contain answer words but are not answers.
const NEUTRAL: &[&str] = &[
    "right now",
    "no one",
    "not only",
    "all right now",
    "right away",
];

/// The caller's yes/no/unsure answer, or None if the text is not an answer.
pub fn yes_no(text: &str) -> Option<YesNo> {
    let toks = tokens(text);
    let mut answer = None;
    let mut leading = true;
    let mut i = 0;
    while i < toks.len() {
        if let Some(n) = NEUTRAL.iter().find(|p| matches_at(&toks, i, p)) {
            leading = false;
            i += n.split(' ').count();
            continue;
        }
        let best = PHRASES
            .iter()
            .filter(|(p, _, anywhere)| (*anywhere || leading) && matches_at(&toks, i, p))
            .max_by_key(|(p, _, _)| p.split(' ').count());
        match best {
            Some((p, a, _)) => {
                answer = Some(*a);
                i += p.split(' ').count();
            }
            None => {
                if !LEAD_INS.contains(&toks[i].as_str()) {
                    leading = false;
                }
                i += 1;
            }
        }
    }
    answer
}

fn matches_at(toks: &[String], i: usize, phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    toks.len() >= i + words.len() && words.iter().zip(&toks[i..]).all(|(w, t)| w == t)
}

/// Things a caller asks to be put through to.
const PEOPLE: &[&str] = &[
    "person",
    "human",
    "operator",
    "representative",
    "rep",
    "agent",
    "receptionist",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "staff",
    "people",
    "secretary",
];
/// Verbs of asking to be connected.
const REQUEST: &[&str] = &[
    "talk", "speak", "transfer", "connect", "put", "get", "give", "want", "need", "reach",
    "rather", "prefer", "let", "wanna", "can", "could", "may", "is",
];
const NEGATION: &[&str] = &["don't", "dont", "not", "never", "doesn't", "no", "won't"];

/// Whether the caller asks for a human being.
pub fn wants_human(text: &str) -> bool {
    let toks = tokens(text);
    let t: Vec<&str> = toks.iter().map(String::as_str).collect();
    let filler = ["please", "just", "a", "an", "the", "now", "right", "some"];
    let content: Vec<&str> = t.iter().copied().filter(|w| !filler.contains(w)).collect();
    if !content.is_empty()
        && content
            .iter()
            .all(|w| matches!(*w, "zero" | "0" | "00" | "000"))
    {
        return true;
    }
    let short = content.len() <= 2;
    (0..t.len()).any(|i| {
        let w = t[i];
        let prev = if i > 0 { t[i - 1] } else { "" };
        let next = t.get(i + 1).copied().unwrap_or("");
        let qualified = matches!(prev, "real" | "live" | "actual" | "human");
        let valid = match w {
            "person" | "people" => qualified || matches!(prev, "a" | "to" | "with" | "any"),
            "human" => !matches!(
                next,
                "resources"
                    | "rights"
                    | "trafficking"
                    | "error"
                    | "remains"
                    | "services"
                    | "being's"
            ),
            "agent" | "rep" => qualified || matches!(prev, "a" | "an" | "to" | "with" | ""),
            "operator" | "representative" | "receptionist" => !matches!(
                prev,
                "machine" | "forklift" | "equipment" | "crane" | "heavy" | "my" | "his" | "her"
            ),
            "someone" | "somebody" | "anyone" | "anybody" | "staff" | "secretary" => true,
            _ => false,
        };
        if !valid || !PEOPLE.contains(&w) {
            return false;
        }
        let vague = matches!(w, "someone" | "somebody" | "anyone" | "anybody" | "staff");
        if short && !vague {
            return true;
        }
        // A request before the person-word, within six words…
        let from = i.saturating_sub(6);
        let cue = (from..i).find(|&j| {
            let v = t[j];
            if vague {
                // "someone" needs a verb of talking: "I need someone to
                // help me" is the reason for the call, not a transfer.
                matches!(v, "talk" | "speak" | "transfer" | "connect" | "put")
            } else {
                REQUEST.contains(&v)
            }
        });
        // …or after it: "is there someone I can talk to".
        let after = t[i + 1..t.len().min(i + 5)]
            .windows(2)
            .any(|p| matches!(p[0], "i" | "we") && matches!(p[1], "can" | "could"))
            && t[i + 1..].iter().any(|v| matches!(*v, "talk" | "speak"));
        match cue {
            // "don't want", "do not want", "no need": negated right before.
            Some(c) => c == 0 || !NEGATION.contains(&t[c - 1]),
            None => after,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use YesNo::*;

    #[test]
    fn yes_no_answers() {
        let cases: &[(&str, Option<YesNo>)] = &[
            ("yes", Some(Yes)),
            ("Yeah.", Some(Yes)),
            ("yep", Some(Yes)),
            ("yup that's me", Some(Yes)),
            ("sure", Some(Yes)),
            ("sure, go ahead", Some(Yes)),
            ("that's right", Some(Yes)),
            ("that's correct", Some(Yes)),
            ("correct", Some(Yes)),
            ("go ahead", Some(Yes)),
            ("uh huh", Some(Yes)),
            ("mm hmm", Some(Yes)),
            ("ok", Some(Yes)),
            ("okay that's fine", Some(Yes)),
            ("absolutely", Some(Yes)),
            ("of course", Some(Yes)),
            ("yes please", Some(Yes)),
            ("I think so", Some(Yes)),
            ("I don't mind", Some(Yes)),
            ("no problem", Some(Yes)),
            ("oh yes", Some(Yes)),
            ("yeah I was in a car accident", Some(Yes)),
            ("right", Some(Yes)),
            ("I do", Some(Yes)),
            ("no, that's right", Some(Yes)),
            ("nope", Some(No)),
            ("no", Some(No)),
            ("No.", Some(No)),
            ("no thanks", Some(No)),
            ("no thank you", Some(No)),
            ("don't", Some(No)),
            ("please don't", Some(No)),
            ("I'd rather not", Some(No)),
            ("I’d rather not", Some(No)),
            ("not really", Some(No)),
            ("absolutely not", Some(No)),
            ("that's not right", Some(No)),
            ("that's wrong", Some(No)),
            ("I don't think so", Some(No)),
            ("nah", Some(No)),
            ("uh uh", Some(No)),
            ("I do not consent", Some(No)),
            ("yeah no", Some(No)),
            ("yes, no wait, no", Some(No)),
            ("sure but I'd rather not", Some(No)),
            ("I'm not", Some(No)),
            ("not sure", Some(Unsure)),
            ("I'm not sure", Some(Unsure)),
            ("maybe", Some(Unsure)),
            ("I don't know", Some(Unsure)),
            ("um I dunno", Some(Unsure)),
            ("I have no idea", Some(Unsure)),
            ("probably", Some(Unsure)),
            ("I guess", Some(Unsure)),
            ("yesterday", None),
            ("I was in a car accident", None),
            ("there was no police report", None),
            ("I turned right", None),
            ("my name is Maria", None),
            ("", None),
            ("right now I'm at home", None),
            ("Norway", None),
        ];
        for (input, want) in cases {
            assert_eq!(yes_no(input), *want, "{input:?}");
        }
    }

    #[test]
    fn human_requests() {
        let yes = [
            "I want to talk to a person",
            "can I talk to a real person",
            "real person please",
            "operator",
            "Operator!",
            "representative",
            "human",
            "human please",
            "can I speak to someone",
            "let me speak with somebody",
            "agent",
            "agent please",
            "I want an agent",
            "transfer me to an agent",
            "zero",
            "0",
            "zero zero",
            "get me a human",
            "I need to speak to a live person",
            "is there someone I can talk to",
            "I'd rather talk to a human",
            "can you connect me to the receptionist",
            "I don't know, can I just talk to a person",
            "you're a robot, I want a real person",
        ];
        for input in yes {
            assert!(wants_human(input), "{input:?}");
        }
        let no = [
            "my insurance agent called",
            "my agent said to call",
            "the insurance agent denied my claim",
            "a real estate agent",
            "I don't want to talk to a person",
            "I do not want to speak to a human",
            "no need for a human",
            "someone hit my car",
            "I need someone to help me with my divorce",
            "a person called me and wants to talk",
            "I work in human resources",
            "I was a forklift operator",
            "I was in a car accident",
            "my number is 503 555 0100",
            "I'm a person who was injured",
            "",
        ];
        for input in no {
            assert!(!wants_human(input), "{input:?}");
        }
    }
}
