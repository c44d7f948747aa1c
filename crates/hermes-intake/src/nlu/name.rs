//! A caller's name: "my name is Maria Lopez", "it's John", "Lopez, Maria",
//! with or without spelling ("Maria, that's M-A-R-I-A, Lopez L-O-P-E-Z").
//!
//! Names cannot be listed, so the extractor works the other way round: it
//! knows the phrases that introduce a name ("my name is", "this is", "it's",
//! "I'm"…) and a list of ordinary words that cannot be one ("calling",
//! "about", "urgent", "hurt"…). The name is the run of other words after
//! the cue; with no cue, the whole reply must look like a name. Spelled runs
//! replace the word they spell (the spelled form wins, as it is what the
//! caller took care to say). Capitalisation follows the caller's own when they
//! typed mixed case ("DeShawn"), otherwise the usual rules (O'Neil,
//! McDonald, "de la Cruz" with lower-case particles).

use serde::{Deserialize, Serialize};

use super::spelling::runs;
use super::text::core;

/// A person's name as the caller gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName {
    /// First (and middle) names; empty when only a last name was given.
    pub given: String,
    /// Last name with its particles ("de la Cruz"); empty when only one name
    /// was given.
    pub family: String,
    /// The whole name as it should be written, with suffixes ("Jr.").
    pub full: String,
    /// Whether any part was spelled out letter by letter.
    pub spelled: bool,
}

/// Words that are never part of a name.
const STOP: &str = "a an the and or but if so because my your his her their our its me him them \
us we you they he she i i'm im it it's this that these those there here what who whom whose why \
how when where which is was were are am be been being do does did done have has had having not no \
yes yeah yep yup nope ok okay sure right wrong fine good great bad well just really very about \
calling call called looking trying wondering hoping need needs needed want wants wanted would \
could should can shall might must to from for with without in on at by of off up down out \
over into onto than then too also again still hi hello hey thanks thank please sorry afraid \
urgent important serious emergency hurt injured divorced married separated worried scared \
confused pregnant interested arrested fired sued charged involved calling regarding concerning \
lawyer attorney law firm office case accident car crash divorce custody help question questions \
someone somebody anyone person people human operator agent representative one two three four \
five six seven eight nine ten not sure unsure maybe don't dont know name name's names first last \
middle full spelled spell spelling surname correct incorrect actually like um uh oh ah said \
speaking home work phone number email address today tomorrow yesterday now currently still \
already only all any some every each other another new old same different son daughter wife \
husband mother father mom dad brother sister child children kid kids friend boss neighbor \
client calling going gonna got get getting go went coming come came doing feeling saying \
telling asking make made take took give gave see saw tell told ask asked say think thought let \
as ready available free busy alone back glad happy sad upset angry tired sick ill dead alive \
fifty sixty seventy eighty ninety hundred thousand";

const TITLES: &[&str] = &[
    "dr",
    "doctor",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mister",
    "mx",
    "prof",
    "professor",
    "rev",
    "reverend",
];
const SUFFIXES: &[&str] = &["jr", "sr", "ii", "iii", "iv"];
const PARTICLES: &[&str] = &[
    "de", "del", "della", "la", "las", "los", "van", "von", "der", "den", "di", "da", "du", "le",
    "dos", "das", "ter", "ten", "bin", "ibn",
];
/// Words between a name and its spelling: "Maria, that's M-A-R-I-A".
const CONNECTORS: &[&str] = &[
    "that's", "thats", "that", "is", "spelled", "spelt", "it's", "its", "s", "as", "spelling",
    "which", "i", "spell", "it", "and", "by", "the", "way", "with", "an", "a",
];

#[derive(Debug, Clone)]
enum Item {
    Word {
        orig: String,
        lower: String,
        comma: bool,
        stop: bool,
    },
    Spelled(String),
}

impl Item {
    fn lower(&self) -> &str {
        match self {
            Item::Word { lower, .. } => lower,
            Item::Spelled(_) => "",
        }
    }
    fn is_name(&self) -> bool {
        match self {
            Item::Spelled(_) => true,
            Item::Word { lower, stop, .. } => {
                !stop
                    && lower.chars().any(|c| c.is_alphabetic())
                    && lower
                        .chars()
                        .all(|c| c.is_alphabetic() || matches!(c, '\'' | '-' | '.'))
            }
        }
    }
}

fn is_stop(w: &str) -> bool {
    STOP.split_whitespace().any(|s| s == w)
}

/// Whether a spelled run plausibly spells the heard word (same first letter
/// or most letters shared): "Lopes" / LOPEZ yes, "John" / LOPEZ no.
fn spells(word: &str, letters: &str) -> bool {
    let w: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    if w.first().copied() == letters.chars().next() {
        return true;
    }
    let shared = w.iter().filter(|c| letters.contains(**c)).count();
    shared * 10 >= w.len().max(letters.len()) * 7
}

fn items(text: &str) -> Vec<Item> {
    let raw: Vec<String> = text
        .split_whitespace()
        .map(|w| w.replace(['\u{2019}', '\u{2018}', '`'], "'"))
        .filter(|w| {
            !matches!(
                core(&w.to_lowercase()),
                "um" | "umm" | "uh" | "uhh" | "er" | "erm" | "ah" | "hmm" | "mm"
            )
        })
        .collect();
    let lower: Vec<String> = raw.iter().map(|w| w.to_lowercase()).collect();
    let spelled = runs(&lower);
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        if let Some(r) = spelled.iter().find(|r| r.start == i) {
            out.push(Item::Spelled(r.letters.clone()));
            i = r.end;
            continue;
        }
        let l = core(&lower[i]).trim_end_matches('.').to_string();
        out.push(Item::Word {
            orig: core(&raw[i]).trim_end_matches('.').to_string(),
            stop: is_stop(&l),
            comma: raw[i].ends_with(','),
            lower: l,
        });
        i += 1;
    }
    merge_spellings(out)
}

/// Replace heard words by the spelled runs that follow them.
fn merge_spellings(mut items: Vec<Item>) -> Vec<Item> {
    let mut i = 0;
    while i < items.len() {
        if !matches!(items[i], Item::Spelled(_)) {
            i += 1;
            continue;
        }
        // A group of spelled runs separated only by connectors.
        let mut group = vec![i];
        let mut j = i + 1;
        while j < items.len() {
            match &items[j] {
                Item::Spelled(_) => group.push(j),
                w if CONNECTORS.contains(&w.lower()) => {}
                _ => break,
            }
            j += 1;
        }
        // Heard words just before it (skipping connectors).
        let mut k = i;
        while k > 0 && CONNECTORS.contains(&items[k - 1].lower()) {
            k -= 1;
        }
        let mut words = Vec::new();
        while k > 0
            && matches!(items[k - 1], Item::Word { .. })
            && items[k - 1].is_name()
            && words.len() < group.len().max(3)
        {
            k -= 1;
            words.insert(0, k);
        }
        let letters: Vec<String> = group
            .iter()
            .map(|&g| match &items[g] {
                Item::Spelled(s) => s.clone(),
                Item::Word { .. } => String::new(),
            })
            .collect();
        let mut pairs: Vec<(usize, String)> = Vec::new();
        if letters.len() == 1 && words.len() >= 2 {
            // "Maria Lopez, that's m a r i a l o p e z": split by lengths.
            let lens: Vec<usize> = words.iter().map(|&w| items[w].lower().len()).collect();
            if lens.iter().sum::<usize>() == letters[0].len() {
                let mut at = 0;
                for (w, n) in words.iter().zip(lens) {
                    pairs.push((*w, letters[0][at..at + n].to_string()));
                    at += n;
                }
            }
        }
        if pairs.is_empty() {
            let n = letters.len().min(words.len());
            let words = &words[words.len() - n..];
            for (w, l) in words.iter().zip(&letters) {
                if spells(items[*w].lower(), l) {
                    pairs.push((*w, l.clone()));
                }
            }
        }
        if pairs.is_empty() {
            i = j;
            continue;
        }
        let used = pairs.len().min(group.len());
        let last_word = pairs.last().map_or(0, |p| p.0);
        for (w, l) in pairs {
            items[w] = Item::Spelled(l);
        }
        // Drop the consumed runs and the connectors between.
        let leftover: Vec<Item> = group[used..].iter().map(|&g| items[g].clone()).collect();
        items.splice(last_word + 1..j, leftover);
        i = last_word + 1;
    }
    items
}

/// The name in a caller's reply, or None.
pub fn person_name(text: &str) -> Option<PersonName> {
    let items = items(text);
    let low: Vec<&str> = items.iter().map(Item::lower).collect();
    let at = |i: usize, phrase: &str| {
        let p: Vec<&str> = phrase.split(' ').collect();
        low.len() >= i + p.len() && p.iter().zip(&low[i..]).all(|(a, b)| a == b)
    };
    // "first name is Maria, last name is Lopez"
    let mut given_part = None;
    let mut family_part = None;
    for i in 0..low.len() {
        for (cue, family) in [
            ("first name is", false),
            ("first name's", false),
            ("first name", false),
            ("last name is", true),
            ("last name's", true),
            ("last name", true),
            ("surname is", true),
            ("family name is", true),
        ] {
            if at(i, cue) {
                let got = span(&items, i + cue.split(' ').count());
                if !got.is_empty() {
                    *(if family {
                        &mut family_part
                    } else {
                        &mut given_part
                    }) = Some(got);
                }
                break;
            }
        }
    }
    if given_part.is_some() || family_part.is_some() {
        let g = given_part.unwrap_or_default();
        let f = family_part.unwrap_or_default();
        return build(&g, &f, false);
    }
    const CUES: &[&str] = &[
        "my name is",
        "my name's",
        "my names",
        "name is",
        "name's",
        "the name is",
        "call me",
        "this is",
        "it's",
        "it is",
        "its",
        "i'm",
        "i am",
        "im",
    ];
    for cue in CUES {
        for i in 0..low.len() {
            if at(i, cue) {
                let got = span(&items, i + cue.split(' ').count());
                if !got.is_empty() {
                    return build(&got, &[], true);
                }
            }
        }
    }
    // No cue: the whole reply must be a name (after "yes", "hi", …).
    let skip = [
        "yes", "yeah", "yep", "hi", "hello", "hey", "oh", "well", "sure", "ok", "okay",
    ];
    let start = low.iter().take_while(|w| skip.contains(w)).count();
    let mut end = items.len();
    while end > start
        && matches!(
            low[end - 1],
            "speaking" | "here" | "thanks" | "thank" | "you"
        )
    {
        end -= 1;
    }
    let got = span(&items[..end], start);
    (got.len() == end - start && (1..=5).contains(&got.len()))
        .then(|| build(&got, &[], true))
        .flatten()
}

/// Name items from `start`: titles skipped, ends at the first other word.
fn span(items: &[Item], start: usize) -> Vec<Item> {
    let mut out = Vec::new();
    for item in &items[start.min(items.len())..] {
        let l = item.lower();
        if out.is_empty() && TITLES.contains(&l) {
            continue;
        }
        if !item.is_name() || out.len() == 5 {
            break;
        }
        out.push(item.clone());
    }
    out
}

fn build(items: &[Item], family_items: &[Item], split: bool) -> Option<PersonName> {
    let spelled = items
        .iter()
        .chain(family_items)
        .any(|i| matches!(i, Item::Spelled(_)));
    let mut names: Vec<Item> = items.to_vec();
    let mut suffix = None;
    if let Some(last) = names.last()
        && SUFFIXES.contains(&last.lower())
        && names.len() > 1
    {
        suffix = Some(match last.lower() {
            "jr" => "Jr.".to_string(),
            "sr" => "Sr.".to_string(),
            roman => roman.to_uppercase(),
        });
        names.pop();
    }
    // "Lopez, Maria": a comma after the first of two or three typed words.
    let mut family_first = false;
    if split
        && !spelled
        && (2..=3).contains(&names.len())
        && matches!(names[0], Item::Word { comma: true, .. })
    {
        family_first = true;
    }
    let render = |items: &[Item], first_index: usize| -> Vec<String> {
        items
            .iter()
            .enumerate()
            .map(|(n, it)| match it {
                Item::Spelled(s) => cap_name(s, n + first_index == 0),
                Item::Word { orig, lower, .. } => {
                    let mixed = orig.chars().skip(1).any(char::is_uppercase)
                        && orig.chars().any(char::is_lowercase);
                    if mixed {
                        orig.clone()
                    } else {
                        cap_name(lower, n + first_index == 0)
                    }
                }
            })
            .collect()
    };
    let (given, family) = if !family_items.is_empty() || !split {
        (
            render(&names, 0).join(" "),
            render(family_items, names.len()).join(" "),
        )
    } else if family_first {
        let fam = render(&names[..1], 1).join(" ");
        (render(&names[1..], 0).join(" "), fam)
    } else if names.len() == 1 {
        (render(&names, 0).join(" "), String::new())
    } else {
        let words = render(&names, 0);
        let mut cut = names.len() - 1;
        while cut > 1 && PARTICLES.contains(&names[cut - 1].lower()) {
            cut -= 1;
        }
        (words[..cut].join(" "), words[cut..].join(" "))
    };
    if given.is_empty() && family.is_empty() {
        return None;
    }
    let mut full = [given.as_str(), family.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(s) = suffix {
        full = format!("{full} {s}");
    }
    Some(PersonName {
        given,
        family,
        full,
        spelled,
    })
}

/// "o'neil" → "O'Neil", "mcdonald" → "McDonald", "smith-jones" →
/// "Smith-Jones"; particles stay lower-case unless they start the name.
fn capitalise(w: &str) -> String {
    w.split('-')
        .map(|part| {
            let part = part.to_lowercase();
            if let Some((head, tail)) = part.split_once('\'')
                && head.len() <= 2
                && !tail.is_empty()
            {
                return format!("{}'{}", upper_first(head), upper_first(tail));
            }
            if let Some(rest) = part.strip_prefix("mc")
                && rest.len() > 1
            {
                return format!("Mc{}", upper_first(rest));
            }
            upper_first(&part)
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn cap_name(w: &str, first: bool) -> String {
    if !first && PARTICLES.contains(&w) {
        w.to_string()
    } else {
        capitalise(w)
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(given: &str, family: &str, full: &str, spelled: bool) -> Option<PersonName> {
        Some(PersonName {
            given: given.into(),
            family: family.into(),
            full: full.into(),
            spelled,
        })
    }

    #[test]
    fn names() {
        let cases: Vec<(&str, Option<PersonName>)> = vec![
            (
                "my name is Maria Lopez",
                n("Maria", "Lopez", "Maria Lopez", false),
            ),
            (
                "my name is maria lopez",
                n("Maria", "Lopez", "Maria Lopez", false),
            ),
            (
                "um my name's maria lopez and I'm calling about",
                n("Maria", "Lopez", "Maria Lopez", false),
            ),
            ("it's John", n("John", "", "John", false)),
            ("it’s john", n("John", "", "John", false)),
            (
                "this is Dr. Sarah O'Neil",
                n("Sarah", "O'Neil", "Sarah O'Neil", false),
            ),
            (
                "this is dr sarah o'neil",
                n("Sarah", "O'Neil", "Sarah O'Neil", false),
            ),
            ("Lopez, Maria", n("Maria", "Lopez", "Maria Lopez", false)),
            ("Maria Lopez", n("Maria", "Lopez", "Maria Lopez", false)),
            ("maria", n("Maria", "", "Maria", false)),
            (
                "yes, Maria Lopez",
                n("Maria", "Lopez", "Maria Lopez", false),
            ),
            (
                "hi this is Maria, I'm calling about my divorce",
                n("Maria", "", "Maria", false),
            ),
            (
                "Maria Lopez speaking",
                n("Maria", "Lopez", "Maria Lopez", false),
            ),
            (
                "I'm John McDonald",
                n("John", "McDonald", "John McDonald", false),
            ),
            (
                "i'm john mcdonald",
                n("John", "McDonald", "John McDonald", false),
            ),
            (
                "my name is Juan de la Cruz",
                n("Juan", "de la Cruz", "Juan de la Cruz", false),
            ),
            (
                "my name is ludwig van beethoven",
                n("Ludwig", "van Beethoven", "Ludwig van Beethoven", false),
            ),
            (
                "my name is Mary-Kate Smith-Jones",
                n("Mary-Kate", "Smith-Jones", "Mary-Kate Smith-Jones", false),
            ),
            (
                "my name is DeShawn Williams",
                n("DeShawn", "Williams", "DeShawn Williams", false),
            ),
            (
                "MY NAME IS MARIA LOPEZ",
                n("Maria", "Lopez", "Maria Lopez", false),
            ),
            (
                "John Smith Jr.",
                n("John", "Smith", "John Smith Jr.", false),
            ),
            ("call me Bob", n("Bob", "", "Bob", false)),
            (
                "the name is Will Smith",
                n("Will", "Smith", "Will Smith", false),
            ),
            ("it's May", n("May", "", "May", false)),
            (
                "hi my name is john smith i was in a car accident",
                n("John", "Smith", "John Smith", false),
            ),
            (
                "yeah this is bob jones",
                n("Bob", "Jones", "Bob Jones", false),
            ),
            (
                "my name is Nguyen, N G U Y E N",
                n("Nguyen", "", "Nguyen", true),
            ),
            (
                "my name is Mary Ann Smith",
                n("Mary Ann", "Smith", "Mary Ann Smith", false),
            ),
            ("L-O-P-E-Z", n("Lopez", "", "Lopez", true)),
            ("my last name is L-O-P-E-Z", n("", "Lopez", "Lopez", true)),
            ("my last name is lopez", n("", "Lopez", "Lopez", false)),
            (
                "first name maria last name lopez",
                n("Maria", "Lopez", "Maria Lopez", false),
            ),
            (
                "my first name is Maria and my last name is Lopez",
                n("Maria", "Lopez", "Maria Lopez", false),
            ),
            (
                "Maria, that's M-A-R-I-A, Lopez L-O-P-E-Z",
                n("Maria", "Lopez", "Maria Lopez", true),
            ),
            (
                "my name is maria lopes l o p e z",
                n("Maria", "Lopez", "Maria Lopez", true),
            ),
            (
                "Maria Lopez, that's M-A-R-I-A L-O-P-E-Z",
                n("Maria", "Lopez", "Maria Lopez", true),
            ),
            (
                "maria lopez that's m a r i a l o p e z",
                n("Maria", "Lopez", "Maria Lopez", true),
            ),
            (
                "it's Sarah O'Neil, O apostrophe N E I L",
                n("Sarah", "O'Neil", "Sarah O'Neil", true),
            ),
            (
                "my name is John, L as in Lima O P E Z",
                n("John", "Lopez", "John Lopez", true),
            ),
            ("I was in a car accident", None),
            ("yes", None),
            ("I'm calling about my divorce", None),
            ("this is about a car accident", None),
            ("it's urgent", None),
            ("it's me", None),
            ("I'm not sure", None),
            ("my son was arrested last night", None),
            ("five oh three five five five", None),
            ("", None),
            ("I need a lawyer", None),
            ("I'm hurt", None),
        ];
        for (input, want) in cases {
            assert_eq!(person_name(input), want, "{input:?}");
        }
    }
}
