//! From a name as typed or transcribed to comparable tokens.
//!
//! Why so much work before any comparison: most "misses" in conflict
//! systems are not clever misspellings but formatting — "SMITH, John Jr.",
//! "Dr. John Smith", "José Núñez" vs "Jose Nunez", "Acme Corp." vs
//! "ACME Corporation". Folding all of that away first lets the fuzzy layer
//! spend its tolerance on real variation. What is stripped but meaningful
//! (a corporate suffix, Jr vs Sr) is kept aside so it can be reported.

use crate::PartyKind;

/// A name reduced to comparable parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NormName {
    pub kind: PartyKind,
    /// Persons: given name(s) first, surname last ("Smith, John" is
    /// reordered). Organisations: the core tokens without suffix or stopwords.
    pub tokens: Vec<String>,
    /// Canonical corporate suffix(es), e.g. "inc" or "co ltd"; "" if none.
    pub corp: String,
    /// "jr", "sr", "ii", ...; "" if none.
    pub generational: String,
}

/// ASCII, lowercase; `.` and apostrophes vanish (so "L.L.C." is "llc" and
/// "O'Brien" is "obrien"); any other non-alphanumeric separates tokens.
pub(crate) fn tokenize(raw: &str) -> Vec<String> {
    let ascii = deunicode::deunicode(raw).to_ascii_lowercase();
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in ascii.chars() {
        match c {
            '.' | '\'' | '`' => {}
            c if c.is_ascii_alphanumeric() => cur.push(c),
            _ => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Folds one word the same way as [`tokenize`] (for dataset entries).
pub(crate) fn fold_word(raw: &str) -> String {
    tokenize(raw).concat()
}

const HONORIFICS: &[&str] = &[
    "the",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "hon",
    "honorable",
    "honourable",
    "rev",
    "reverend",
    "fr",
    "sir",
    "dame",
    "lord",
    "lady",
    "judge",
    "justice",
    "atty",
    "capt",
    "captain",
    "col",
    "gen",
    "lt",
    "sgt",
    "mister",
    "madam",
    "mme",
    "mlle",
    "messrs",
];

const GENERATIONAL: &[(&str, &str)] = &[
    ("jr", "jr"),
    ("jnr", "jr"),
    ("junior", "jr"),
    ("sr", "sr"),
    ("snr", "sr"),
    ("senior", "sr"),
    ("ii", "ii"),
    ("2nd", "ii"),
    ("iii", "iii"),
    ("3rd", "iii"),
    ("iv", "iv"),
    ("4th", "iv"),
];

const PROFESSIONAL: &[&str] = &[
    "esq", "esquire", "md", "phd", "dds", "dmd", "cpa", "jd", "llm", "rn", "dvm", "mba", "cfp",
];

/// Surname particles glued to what follows ("de la Cruz" → "delacruz",
/// "Van Buren" → "vanburen") so that spacing variants agree.
const PARTICLES: &[&str] = &[
    "de", "del", "della", "der", "den", "van", "von", "da", "di", "du", "la", "le", "st", "mac",
    "mc", "dos", "das", "ter", "ten",
];

/// Multi-word suffixes first so they win over their last word.
const CORP_MULTI: &[(&[&str], &str)] = &[
    (&["limited", "liability", "company"], "llc"),
    (&["limited", "liability", "partnership"], "llp"),
    (&["limited", "partnership"], "lp"),
    (&["professional", "corporation"], "pc"),
    (&["professional", "association"], "pa"),
    (&["public", "limited", "company"], "plc"),
];

const CORP_SINGLE: &[(&str, &str)] = &[
    ("inc", "inc"),
    ("incorporated", "inc"),
    ("corp", "corp"),
    ("corporation", "corp"),
    ("co", "co"),
    ("company", "co"),
    ("cos", "co"),
    ("ltd", "ltd"),
    ("limited", "ltd"),
    ("llc", "llc"),
    ("llp", "llp"),
    ("lllp", "lllp"),
    ("lp", "lp"),
    ("pllc", "pllc"),
    ("pc", "pc"),
    ("pa", "pa"),
    ("plc", "plc"),
    ("gmbh", "gmbh"),
    ("ag", "ag"),
    ("sa", "sa"),
    ("srl", "srl"),
    ("bv", "bv"),
    ("nv", "nv"),
    ("pty", "pty"),
];

const ORG_STOPWORDS: &[&str] = &["the", "and", "of", "a", "an"];

/// Words that make an unknown-kind name an organisation.
const ORG_WORDS: &[&str] = &[
    "bank",
    "group",
    "holdings",
    "associates",
    "partners",
    "trust",
    "foundation",
    "university",
    "college",
    "hospital",
    "church",
    "services",
    "solutions",
    "systems",
    "technologies",
    "technology",
    "enterprises",
    "industries",
    "international",
    "insurance",
    "capital",
    "properties",
    "realty",
    "construction",
    "plumbing",
    "consulting",
    "county",
    "department",
    "agency",
    "school",
    "district",
    "clinic",
    "center",
    "centre",
    "association",
    "society",
    "ministries",
    "restaurant",
    "motors",
    "logistics",
    "pharmacy",
    "laboratories",
    "media",
    "partnership",
    "fund",
    "investments",
    "management",
    "llc",
    "inc",
    "corp",
    "ltd",
    "llp",
    "pllc",
    "incorporated",
    "corporation",
];

/// If `tokens` ends in a corporate suffix, its canonical form and length.
fn trailing_corp(tokens: &[String]) -> Option<(&'static str, usize)> {
    for (words, canon) in CORP_MULTI {
        if tokens.len() > words.len() && tokens.ends_with_strs(words) {
            return Some((canon, words.len()));
        }
    }
    // Spaced initials: "L L C", "P C".
    for n in (2..=4).rev() {
        if tokens.len() > n && tokens[tokens.len() - n..].iter().all(|t| t.len() == 1) {
            let joined: String = tokens[tokens.len() - n..].concat();
            if let Some((_, canon)) = CORP_SINGLE.iter().find(|(w, _)| *w == joined) {
                return Some((canon, n));
            }
        }
    }
    let last = tokens.last()?;
    CORP_SINGLE
        .iter()
        .find(|(w, _)| w == last)
        .map(|(_, canon)| (*canon, 1))
}

trait EndsWithStrs {
    fn ends_with_strs(&self, words: &[&str]) -> bool;
}
impl EndsWithStrs for [String] {
    fn ends_with_strs(&self, words: &[&str]) -> bool {
        self.len() >= words.len()
            && self[self.len() - words.len()..]
                .iter()
                .zip(words)
                .all(|(a, b)| a == b)
    }
}

/// Guesses the kind of a name whose kind the caller did not know. A single
/// word ("Acme", "Walmart") is taken for an organisation: a caller naming a
/// person gives a full name, and a lone surname matches persons only
/// weakly either way.
pub(crate) fn infer_kind(raw: &str) -> PartyKind {
    let tokens = tokenize(raw);
    if tokens.len() == 1
        || raw.contains('&')
        || trailing_corp(&tokens).is_some()
        || tokens.iter().any(|t| ORG_WORDS.contains(&t.as_str()))
    {
        PartyKind::Organization
    } else {
        PartyKind::Person
    }
}

/// Normalises a name; `kind` `None` means infer it.
pub(crate) fn normalize_name(raw: &str, kind: Option<PartyKind>) -> NormName {
    let kind = kind.unwrap_or_else(|| infer_kind(raw));
    match kind {
        PartyKind::Person => normalize_person(raw),
        PartyKind::Organization => normalize_org(raw),
    }
}

fn strip_person_affixes(mut tokens: Vec<String>, generational: &mut String) -> Vec<String> {
    while tokens.len() > 1 && HONORIFICS.contains(&tokens[0].as_str()) {
        tokens.remove(0);
    }
    while tokens.len() > 1 {
        let last = tokens.last().map(String::as_str).unwrap_or_default();
        if let Some((_, g)) = GENERATIONAL.iter().find(|(w, _)| *w == last) {
            *generational = (*g).to_owned();
        } else if !PROFESSIONAL.contains(&last) {
            break;
        }
        tokens.pop();
    }
    tokens
}

fn normalize_person(raw: &str) -> NormName {
    let mut generational = String::new();
    let tokens = match raw.split_once(',') {
        Some((last, first)) => {
            let last = strip_person_affixes(tokenize(last), &mut generational);
            let mut first_tokens = tokenize(first);
            // "John Smith, Jr." / "Smith, Esq." / "Smith, John Jr.": trailing
            // suffixes are not given names (but a leading "Junior" is).
            while let Some(t) = first_tokens.last() {
                if let Some((_, g)) = GENERATIONAL.iter().find(|(w, _)| w == t) {
                    generational = (*g).to_owned();
                } else if !PROFESSIONAL.contains(&t.as_str()) {
                    break;
                }
                first_tokens.pop();
            }
            while !first_tokens.is_empty() && HONORIFICS.contains(&first_tokens[0].as_str()) {
                first_tokens.remove(0);
            }
            if first_tokens.is_empty() {
                last
            } else {
                first_tokens.extend(last);
                first_tokens
            }
        }
        None => strip_person_affixes(tokenize(raw), &mut generational),
    };
    NormName {
        kind: PartyKind::Person,
        tokens: glue_particles(tokens),
        corp: String::new(),
        generational,
    }
}

fn glue_particles(tokens: Vec<String>) -> Vec<String> {
    if tokens.len() < 3 {
        return tokens;
    }
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut pending = String::new();
    let n = tokens.len();
    for (i, t) in tokens.into_iter().enumerate() {
        if i > 0 && i + 1 < n && PARTICLES.contains(&t.as_str()) {
            pending.push_str(&t);
        } else if pending.is_empty() {
            out.push(t);
        } else {
            pending.push_str(&t);
            out.push(std::mem::take(&mut pending));
        }
    }
    out
}

fn normalize_org(raw: &str) -> NormName {
    let mut tokens = tokenize(raw);
    let mut suffixes: Vec<&str> = Vec::new();
    while let Some((canon, n)) = trailing_corp(&tokens).filter(|&(_, n)| tokens.len() > n) {
        tokens.truncate(tokens.len() - n);
        suffixes.push(canon);
    }
    suffixes.reverse();
    let core: Vec<String> = tokens
        .iter()
        .filter(|t| !ORG_STOPWORDS.contains(&t.as_str()))
        .cloned()
        .collect();
    let tokens = if core.is_empty() { tokens } else { core };
    NormName {
        kind: PartyKind::Organization,
        tokens,
        corp: suffixes.join(" "),
        generational: String::new(),
    }
}

/// Digits only; a US number with its `1` country code equals the 10-digit
/// form; an extension (`x123`, `ext. 123`) is dropped. `None` if fewer than
/// 7 or more than 15 digits remain (not a phone number).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    let cut = lower
        .find("ext")
        .into_iter()
        .chain(lower.find('x'))
        .min()
        .unwrap_or(lower.len());
    let mut digits: String = lower[..cut].chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 && digits.starts_with('1') {
        digits.remove(0);
    } else if digits.len() > 11 && digits.starts_with("00") {
        digits.drain(..2);
    }
    (7..=15).contains(&digits.len()).then_some(digits)
}

/// Trimmed, lowercased, `mailto:` removed; `None` unless it looks like
/// `local@domain` without spaces.
pub fn normalize_email(raw: &str) -> Option<String> {
    let s = raw.trim().to_lowercase();
    let s = s.strip_prefix("mailto:").unwrap_or(&s).trim();
    let (local, domain) = s.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace);
    ok.then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(raw: &str) -> Vec<String> {
        normalize_name(raw, Some(PartyKind::Person)).tokens
    }
    fn org(raw: &str) -> NormName {
        normalize_name(raw, Some(PartyKind::Organization))
    }

    #[test]
    fn case_punctuation_and_diacritics_fold() {
        assert_eq!(person("JOSÉ NÚÑEZ"), ["jose", "nunez"]);
        assert_eq!(person("  john   SMITH "), ["john", "smith"]);
        assert_eq!(person("Mary-Jane O'Brien"), ["mary", "jane", "obrien"]);
        assert_eq!(person("Zoë Straße"), ["zoe", "strasse"]);
        assert_eq!(person("Łukasz Żółć"), ["lukasz", "zolc"]);
    }

    #[test]
    fn honorifics_and_suffixes_strip() {
        assert_eq!(person("Dr. John Smith"), ["john", "smith"]);
        assert_eq!(person("Mrs Mary Smith"), ["mary", "smith"]);
        assert_eq!(person("The Hon. Judge Amy Lee"), ["amy", "lee"]);
        let n = normalize_name("John Smith Jr.", Some(PartyKind::Person));
        assert_eq!(n.tokens, ["john", "smith"]);
        assert_eq!(n.generational, "jr");
        assert_eq!(person("John Smith III, Esq."), ["john", "smith"]);
        assert_eq!(person("Jane Doe, Esq."), ["jane", "doe"]);
        // A lone honorific-like word is kept rather than emptying the name.
        assert_eq!(person("Dr"), ["dr"]);
    }

    #[test]
    fn last_comma_first_is_reordered() {
        assert_eq!(person("Smith, John"), ["john", "smith"]);
        assert_eq!(person("SMITH, John Michael"), ["john", "michael", "smith"]);
        assert_eq!(person("Smith, Dr. John"), ["john", "smith"]);
        let n = normalize_name("Smith, John Jr.", Some(PartyKind::Person));
        assert_eq!(n.tokens, ["john", "smith"]);
        assert_eq!(n.generational, "jr");
        assert_eq!(person("SMITH, Junior Abbie"), ["junior", "abbie", "smith"]);
        let n = normalize_name("John Smith, Jr.", Some(PartyKind::Person));
        assert_eq!(n.tokens, ["john", "smith"]);
        assert_eq!(n.generational, "jr");
    }

    #[test]
    fn initials_keep_their_letter() {
        assert_eq!(person("J. Smith"), ["j", "smith"]);
        assert_eq!(person("John Q. Public"), ["john", "q", "public"]);
    }

    #[test]
    fn particles_glue() {
        assert_eq!(person("Maria de la Cruz"), ["maria", "delacruz"]);
        assert_eq!(person("Martin Van Buren"), ["martin", "vanburen"]);
        assert_eq!(person("Martin Vanburen"), ["martin", "vanburen"]);
        // A leading particle-like word is a given name ("Di", "La").
        assert_eq!(person("Di Smith"), ["di", "smith"]);
    }

    #[test]
    fn corporate_suffixes_canonicalise() {
        for raw in ["Acme Corp", "ACME Corporation", "Acme Corp.", "acme, corp"] {
            let n = org(raw);
            assert_eq!(n.tokens, ["acme"], "{raw}");
            assert_eq!(n.corp, "corp", "{raw}");
        }
        assert_eq!(org("Acme, L.L.C.").corp, "llc");
        assert_eq!(org("Acme L L C").corp, "llc");
        assert_eq!(org("Acme Limited Liability Company").corp, "llc");
        assert_eq!(org("Acme Holdings Co., Ltd.").corp, "co ltd");
        assert_eq!(org("Acme Holdings Co., Ltd.").tokens, ["acme", "holdings"]);
        assert_eq!(org("Smith & Jones, P.C.").tokens, ["smith", "jones"]);
        assert_eq!(
            org("The Bank of Springfield").tokens,
            ["bank", "springfield"]
        );
        assert_eq!(org("Acme").corp, "");
        // A name that is only a suffix keeps it as its token.
        assert_eq!(org("Inc").tokens, ["inc"]);
    }

    #[test]
    fn kind_is_inferred() {
        assert_eq!(infer_kind("Acme LLC"), PartyKind::Organization);
        assert_eq!(infer_kind("Smith & Jones"), PartyKind::Organization);
        assert_eq!(infer_kind("First National Bank"), PartyKind::Organization);
        assert_eq!(infer_kind("Smith Plumbing"), PartyKind::Organization);
        assert_eq!(infer_kind("John Smith"), PartyKind::Person);
        assert_eq!(infer_kind("Smith, John Jr."), PartyKind::Person);
        assert_eq!(infer_kind("Coco Chanel"), PartyKind::Person);
        assert_eq!(infer_kind("Acme"), PartyKind::Organization);
    }

    #[test]
    fn phones_normalise() {
        let want = Some("5551234567".to_owned());
        assert_eq!(normalize_phone("(555) 123-4567"), want);
        assert_eq!(normalize_phone("+1 555 123 4567"), want);
        assert_eq!(normalize_phone("1-555-123-4567"), want);
        assert_eq!(normalize_phone("555.123.4567 ext. 89"), want);
        assert_eq!(normalize_phone("555-123-4567 x89"), want);
        assert_eq!(
            normalize_phone("+44 20 7946 0958"),
            Some("442079460958".into())
        );
        assert_eq!(
            normalize_phone("0044 20 7946 0958"),
            Some("442079460958".into())
        );
        assert_eq!(normalize_phone("123"), None);
        assert_eq!(normalize_phone(""), None);
        assert_eq!(normalize_phone("call me"), None);
    }

    #[test]
    fn emails_normalise() {
        assert_eq!(
            normalize_email("  John.Smith@Example.COM "),
            Some("john.smith@example.com".into())
        );
        assert_eq!(normalize_email("mailto:a@b.c"), Some("a@b.c".into()));
        assert_eq!(normalize_email("not an email"), None);
        assert_eq!(normalize_email("@x.com"), None);
        assert_eq!(normalize_email("a@"), None);
        assert_eq!(normalize_email("a b@c.d"), None);
    }
}
