//! How alike two normalised names are, and why.
//!
//! The score is a product of token similarities, not an average: "John
//! Smith" vs "Mary Smith" must not score 0.75 because the surname agrees.
//! Each token pair gets the best of these interpretations (see
//! [`tok_sim`]): exact 1.0, nickname 0.95, typo = Jaro-Winkler (only when
//! ≥ 0.88 *and* within a small edit distance, so "Smith"/"Smithers" is not
//! a typo), phonetic ≈ 0.86–0.89, initial 0.85; anything else gets half its
//! Jaro-Winkler as partial credit, which sinks the product below any
//! sensible threshold.
//!
//! Persons are aligned given-name-to-given-name and surname-to-surname, but
//! a name may be read several ways — "Smith John" (reordered, ×0.97),
//! "José Núñez García" whose surname is the middle token (×0.95) — and the
//! best reading wins. Middle names: missing on one side ×0.98, different
//! ×0.85. Jr vs Sr ×0.9. Only one side with a given name: ×0.6, weak by
//! design. Organisations are compared as token sets, each token weighted by
//! its rarity in the index (IDF), so "Acme Holdings" ~ "Acme" but "Smith
//! Plumbing" !~ "Smith Roofing". A person against an organisation is
//! capped at 0.85 (never "strong").

use strsim::osa_distance;

use crate::nicknames::are_related;
use crate::phonetic::{Code, share_code};

pub(crate) const NICKNAME: f32 = 0.95;
pub(crate) const INITIAL: f32 = 0.85;
const SURNAME_INITIAL: f32 = 0.5;
const TYPO_MIN_JW: f64 = 0.88;
const TRANSPOSITION: f32 = 0.9;
const SHORT_PREFIX_TYPO: f32 = 0.86;
pub(crate) const REORDERED: f32 = 0.97;
const INNER_SURNAME: f32 = 0.95;
const MIDDLE_MISSING: f32 = 0.98;
const MIDDLE_DIFFERS: f32 = 0.75;
pub(crate) const GENERATION_DIFFERS: f32 = 0.9;
const SURNAME_ONLY: f32 = 0.6;
const MONONYM: f32 = 0.9;
pub(crate) const CORP_DIFFERS: f32 = 0.99;
const CROSS_KIND: f32 = 0.9;
const CROSS_KIND_CAP: f32 = 0.85;
/// Below this a token pair does not count as "matched" in an org name.
const ORG_TOKEN_MIN: f32 = 0.85;

/// What kind of agreement a token pair has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SimKind {
    Exact,
    Nickname,
    /// The probe side is the initial when `probe_is_initial`.
    Initial {
        probe_is_initial: bool,
    },
    Typo,
    Phonetic,
    Weak,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TokSim {
    pub score: f32,
    pub kind: SimKind,
}

impl TokSim {
    const fn new(score: f32, kind: SimKind) -> Self {
        TokSim { score, kind }
    }
}

/// A token and its phonetic codes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok<'a> {
    pub text: &'a str,
    pub codes: [Code; 2],
}

/// Similarity of a probe token to a stored token. `given`: the pair sits
/// in given-name position, where nicknames and initials count fully.
pub(crate) fn tok_sim(p: Tok<'_>, c: Tok<'_>, given: bool) -> TokSim {
    if p.text == c.text {
        return TokSim::new(1.0, SimKind::Exact);
    }
    let (pl, cl) = (p.text.len(), c.text.len());
    if pl == 1 || cl == 1 {
        let (short, long) = if pl == 1 {
            (p.text, c.text)
        } else {
            (c.text, p.text)
        };
        if long.starts_with(short) {
            let score = if given { INITIAL } else { SURNAME_INITIAL };
            return TokSim::new(
                score,
                SimKind::Initial {
                    probe_is_initial: pl == 1,
                },
            );
        }
        return TokSim::new(0.0, SimKind::Weak);
    }
    if given && are_related(p.text, c.text) {
        return TokSim::new(NICKNAME, SimKind::Nickname);
    }
    let jw = jaro_winkler(p.text, c.text);
    let mut best = TokSim::new((jw * 0.5) as f32, SimKind::Weak);
    let osa = || osa_distance(p.text, c.text);
    if jw >= TYPO_MIN_JW && osa() <= (pl.min(cl) / 4).max(1) {
        best = TokSim::new(jw as f32, SimKind::Typo);
    } else if pl.min(cl) >= 5 && pl.abs_diff(cl) <= 1 && jw >= 0.75 && osa() == 1 {
        // One edit near the start of a longer word ("Eawards") loses the
        // Winkler prefix bonus; one edit in five letters is still a typo.
        // (Four-letter words need the full similarity: "Acne" is not
        // "Acme".)
        best = TokSim::new((jw as f32).max(SHORT_PREFIX_TYPO), SimKind::Typo);
    } else if pl == cl && pl >= 3 && is_adjacent_swap(p.text, c.text) {
        // Jaro's match window is 0 for three-letter words, so "Tmo" vs
        // "Tom" scores low; a swap of two neighbours is still a typo.
        best = TokSim::new((jw as f32).max(TRANSPOSITION), SimKind::Typo);
    }
    // Metaphone ignores trailing vowels, so "Trouvoul" and "Trouvoulley"
    // share a code; sound-alike spellings differ by at most two letters.
    if jw >= 0.7 && pl.abs_diff(cl) <= 2 && share_code(p.codes, c.codes) {
        let phon = (0.75 + 0.15 * jw) as f32;
        if phon >= best.score {
            best = TokSim::new(phon, SimKind::Phonetic);
        }
    }
    best
}

/// Jaro-Winkler similarity (prefix scale 0.1, up to 4 letters), as
/// `strsim::jaro_winkler`, but on bytes with stack buffers: it runs for
/// every new token pair of every check, and the allocating version was a
/// third of the check time. Folded tokens are ASCII; anything longer than
/// 64 bytes goes to `strsim`.
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() > 64 || b.len() > 64 || !a.is_ascii() || !b.is_ascii() {
        let (a, b) = (
            std::str::from_utf8(a).unwrap_or_default(),
            std::str::from_utf8(b).unwrap_or_default(),
        );
        return strsim::jaro_winkler(a, b);
    }
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used = [false; 64];
    let mut a_matched = [0u8; 64];
    let mut m = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used[j] && b[j] == ca {
                b_used[j] = true;
                a_matched[m] = ca;
                m += 1;
                break;
            }
        }
    }
    if m == 0 {
        return 0.0;
    }
    let mut t = 0usize;
    let mut k = 0usize;
    for (j, &cb) in b.iter().enumerate() {
        if b_used[j] {
            if a_matched[k] != cb {
                t += 1;
            }
            k += 1;
        }
    }
    let m = m as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - (t / 2) as f64) / m) / 3.0;
    if jaro <= 0.7 {
        return jaro;
    }
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    jaro + prefix as f64 * 0.1 * (1.0 - jaro)
}

/// Same length, equal except for one pair of neighbours swapped.
fn is_adjacent_swap(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) else {
        return false;
    };
    i + 1 < a.len() && a[i] == b[i + 1] && a[i + 1] == b[i] && a[i + 2..] == b[i + 2..]
}

/// How one name was read for the best alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Normal,
    /// Surname first, without a comma: "Smith John".
    Reordered,
    /// The surname is an inner token: "José Núñez García" read as Núñez.
    Inner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Middle {
    /// No middle names on either side, or they agree.
    Agree,
    Missing,
    Differs,
}

/// The best alignment of two person names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PersonMatch {
    pub score: f32,
    /// All tokens equal, same order, same count.
    pub exact: bool,
    /// (probe token, stored token, similarity) of the given names.
    pub given: Option<(usize, usize, TokSim)>,
    pub surname: (usize, usize, TokSim),
    pub reordered: bool,
    pub middle: Middle,
    pub surname_only: bool,
}

/// Ways to read a name of `n` tokens as (given, surname). An inner token
/// as surname only when this side is the longer one (`extra`): with equal
/// lengths it would let "Joseph Cruzington" pass as "Joseph Cruz" by
/// treating the real surnames as differing middles.
fn readings(n: usize, extra: bool) -> impl Iterator<Item = (usize, usize, Reading)> {
    let normal = std::iter::once((0, n - 1, Reading::Normal));
    let reordered = std::iter::once((1, 0, Reading::Reordered));
    let inner = (1..if extra { n - 1 } else { 1 }).map(|j| (0, j, Reading::Inner));
    normal.chain(reordered).chain(inner)
}

/// Scores two person names of `m` probe and `n` stored tokens. `sim(i, j,
/// given)` compares probe token `i` with stored token `j` (memoised by the
/// caller: the same tokens recur across thousands of candidates).
pub(crate) fn score_person(
    m: usize,
    n: usize,
    sim: &mut impl FnMut(usize, usize, bool) -> TokSim,
) -> Option<PersonMatch> {
    if m == 0 || n == 0 {
        return None;
    }
    if m == 1 || n == 1 {
        // One side has a single token: compare it with the other's surname
        // (or first token, for a reordered name), weakly.
        let (factor, only) = if m == 1 && n == 1 {
            (MONONYM, false)
        } else {
            (SURNAME_ONLY, true)
        };
        let pairs = [(m - 1, n - 1), (0, 0)];
        let (i, j, s) = pairs
            .iter()
            .map(|&(i, j)| (i, j, sim(i, j, false)))
            .max_by(|a, b| a.2.score.total_cmp(&b.2.score))?;
        return Some(PersonMatch {
            score: s.score * factor,
            exact: m == n && s.kind == SimKind::Exact,
            given: None,
            surname: (i, j, s),
            reordered: false,
            middle: Middle::Agree,
            surname_only: only,
        });
    }
    let mut best: Option<PersonMatch> = None;
    for (pg, ps, pr) in readings(m, m > n) {
        for (cg, cs, cr) in readings(n, n > m) {
            let g = sim(pg, cg, true);
            let s = sim(ps, cs, false);
            let mut score = g.score * s.score;
            let reordered = (pr == Reading::Reordered) != (cr == Reading::Reordered);
            if reordered {
                score *= REORDERED;
            }
            // Both read surname-first only aligns like-for-like when the
            // lengths agree; otherwise it is an inner-surname reading.
            let inner = pr == Reading::Inner
                || cr == Reading::Inner
                || (pr == Reading::Reordered && cr == Reading::Reordered && m != n);
            if inner {
                score *= INNER_SURNAME;
            }
            if best.as_ref().is_some_and(|b| b.score >= score) {
                continue; // middles only lower it
            }
            let middle = middle_agreement(m, n, (pg, ps), (cg, cs), sim);
            let middle = if inner && middle == Middle::Agree {
                Middle::Missing
            } else {
                middle
            };
            score *= match middle {
                Middle::Agree => 1.0,
                Middle::Missing => MIDDLE_MISSING,
                Middle::Differs => MIDDLE_DIFFERS,
            };
            if best.as_ref().is_none_or(|b| score > b.score) {
                let exact = m == n
                    && pr == Reading::Normal
                    && cr == Reading::Normal
                    && g.kind == SimKind::Exact
                    && s.kind == SimKind::Exact
                    && (1..m - 1).all(|k| sim(k, k, true).kind == SimKind::Exact);
                best = Some(PersonMatch {
                    score,
                    exact,
                    given: Some((pg, cg, g)),
                    surname: (ps, cs, s),
                    reordered,
                    middle,
                    surname_only: false,
                });
            }
        }
        if best.as_ref().is_some_and(|b| b.exact) {
            break;
        }
    }
    best
}

fn middle_agreement(
    m: usize,
    n: usize,
    (pg, ps): (usize, usize),
    (cg, cs): (usize, usize),
    sim: &mut impl FnMut(usize, usize, bool) -> TokSim,
) -> Middle {
    // No allocation: this runs for every candidate of every check.
    let pm = move || (0..m).filter(move |&i| i != pg && i != ps);
    let cm = move || (0..n).filter(move |&j| j != cg && j != cs);
    let (pn, cn) = (pm().count(), cm().count());
    match (pn, cn) {
        (0, 0) => Middle::Agree,
        (0, _) | (_, 0) => Middle::Missing,
        _ => {
            // Every middle on the shorter side must find a partner.
            let ok = if pn <= cn {
                pm().all(|a| cm().any(|b| sim(a, b, true).score >= INITIAL))
            } else {
                cm().all(|b| pm().any(|a| sim(a, b, true).score >= INITIAL))
            };
            match (ok, pn == cn) {
                (true, true) => Middle::Agree,
                (true, false) => Middle::Missing,
                (false, _) => Middle::Differs,
            }
        }
    }
}

/// The token-set comparison of two organisation names (or of a person and
/// an organisation).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrgMatch {
    pub score: f32,
    pub exact: bool,
    pub reordered: bool,
    /// Matched (probe token, stored token, similarity), in probe order.
    pub pairs: Vec<(usize, usize, TokSim)>,
    pub total: usize,
}

/// Weighted Dice over greedily paired tokens. `pw`/`cw` are token weights
/// (rarity); `sim(i, j)` as for persons, never in given-name mode.
pub(crate) fn score_org(
    pw: &[f32],
    cw: &[f32],
    cross_kind: bool,
    sim: &mut impl FnMut(usize, usize, bool) -> TokSim,
) -> Option<OrgMatch> {
    let (m, n) = (pw.len(), cw.len());
    if m == 0 || n == 0 {
        return None;
    }
    // All candidate pairs above the floor, best first; take greedily.
    let mut cands: Vec<(usize, usize, TokSim)> = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            // A person's given name may be an initial in a firm's name
            // ("J. Smith LLC"), so allow given-name mode across kinds.
            let s = sim(i, j, cross_kind);
            if s.score >= ORG_TOKEN_MIN {
                cands.push((i, j, s));
            }
        }
    }
    cands.sort_by(|a, b| b.2.score.total_cmp(&a.2.score));
    let (mut used_p, mut used_c) = (vec![false; m], vec![false; n]);
    let mut pairs = Vec::new();
    for (i, j, s) in cands {
        if !used_p[i] && !used_c[j] {
            used_p[i] = true;
            used_c[j] = true;
            pairs.push((i, j, s));
        }
    }
    pairs.sort_by_key(|p| p.0);
    let matched: f32 = pairs
        .iter()
        .map(|&(i, j, s)| s.score * (pw[i] + cw[j]) / 2.0)
        .sum();
    let total_w: f32 = pw.iter().sum::<f32>() + cw.iter().sum::<f32>();
    let mut score = (2.0 * matched / total_w).min(1.0);
    let all = m == n && pairs.len() == m;
    let exact = all
        && pairs
            .iter()
            .all(|&(i, j, s)| i == j && s.kind == SimKind::Exact);
    let reordered = all && !exact && pairs.iter().any(|&(i, j, _)| i != j);
    if reordered {
        score *= REORDERED;
    }
    if cross_kind {
        score = (score * CROSS_KIND).min(CROSS_KIND_CAP);
    }
    Some(OrgMatch {
        score,
        exact,
        reordered,
        pairs,
        total: m.max(n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phonetic::full_codes;

    fn t(s: &str) -> Tok<'_> {
        Tok {
            text: s,
            codes: full_codes(s),
        }
    }
    fn ts(a: &str, b: &str, given: bool) -> TokSim {
        tok_sim(t(a), t(b), given)
    }

    #[test]
    fn token_kinds() {
        assert_eq!(ts("john", "john", true).kind, SimKind::Exact);
        assert_eq!(ts("bill", "william", true).kind, SimKind::Nickname);
        // Nicknames only count in given-name position.
        assert_ne!(ts("bill", "william", false).kind, SimKind::Nickname);
        assert_eq!(
            ts("j", "john", true).kind,
            SimKind::Initial {
                probe_is_initial: true
            }
        );
        assert_eq!(ts("j", "john", true).score, INITIAL);
        assert_eq!(ts("s", "smith", false).score, SURNAME_INITIAL);
        assert_eq!(ts("k", "john", true).score, 0.0);
        let typo = ts("jonh", "john", true);
        assert_eq!(typo.kind, SimKind::Typo);
        assert!((typo.score - 0.933).abs() < 0.01, "{typo:?}");
        // Smyth is both a typo and a sound-alike of Smith; the higher wins.
        assert!(matches!(
            ts("smyth", "smith", false).kind,
            SimKind::Typo | SimKind::Phonetic
        ));
        assert_eq!(ts("stephen", "steven", true).kind, SimKind::Phonetic);
        assert_eq!(ts("kathryn", "catherine", true).kind, SimKind::Phonetic);
        // Short transpositions, where Jaro-Winkler alone fails.
        assert_eq!(ts("tmo", "tom", true).kind, SimKind::Typo);
        assert_eq!(ts("efl", "fel", true).score, TRANSPOSITION);
        // One edit at the start of a longer word.
        assert_eq!(ts("eawards", "edwards", false).kind, SimKind::Typo);
        assert_eq!(ts("hheather", "heather", true).kind, SimKind::Typo);
    }

    #[test]
    fn fast_jaro_winkler_agrees_with_strsim() {
        let words = [
            "",
            "a",
            "john",
            "jonh",
            "joan",
            "smith",
            "smyth",
            "smithers",
            "martha",
            "marhta",
            "dixon",
            "dicksonx",
            "eawards",
            "edwards",
            "abcdefghij",
            "jihgfedcba",
            "aaaa",
            "aa",
        ];
        for a in words {
            for b in words {
                let (x, y) = (jaro_winkler(a, b), strsim::jaro_winkler(a, b));
                assert!((x - y).abs() < 1e-9, "{a}/{b}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn near_misses_are_weak() {
        for (a, b) in [
            ("smith", "smithers"),
            ("acme", "acne"),
            ("john", "mary"),
            ("smith", "jones"),
        ] {
            let s = ts(a, b, true);
            assert_eq!(s.kind, SimKind::Weak, "{a}/{b}: {s:?}");
            assert!(s.score < 0.5, "{a}/{b}: {s:?}");
        }
    }

    fn person(p: &[&str], c: &[&str]) -> PersonMatch {
        score_person(p.len(), c.len(), &mut |i, j, g| ts(p[i], c[j], g)).unwrap()
    }

    #[test]
    fn sound_alike_given_names_count() {
        // On a phone line John and Joan sound alike: flagged for review,
        // never dropped (see the crate docs); different enough surnames
        // still sink the pair ("Joan Smithers").
        assert_eq!(ts("joan", "john", true).kind, SimKind::Phonetic);
        assert!(person(&["joan", "smithers"], &["john", "smith"]).score < 0.5);
    }

    #[test]
    fn person_ladder() {
        assert_eq!(person(&["john", "smith"], &["john", "smith"]).score, 1.0);
        assert!(person(&["john", "smith"], &["john", "smith"]).exact);
        let nick = person(&["bill", "smith"], &["william", "smith"]);
        assert_eq!(nick.score, NICKNAME);
        let re = person(&["smith", "john"], &["john", "smith"]);
        assert!(re.reordered);
        assert_eq!(re.score, REORDERED);
        let mid = person(&["john", "smith"], &["john", "michael", "smith"]);
        assert_eq!(mid.middle, Middle::Missing);
        assert_eq!(mid.score, MIDDLE_MISSING);
        let mid = person(&["john", "m", "smith"], &["john", "michael", "smith"]);
        assert_eq!(mid.middle, Middle::Agree);
        let mid = person(&["john", "paul", "smith"], &["john", "michael", "smith"]);
        assert_eq!(mid.middle, Middle::Differs);
        let inner = person(&["jose", "nunez"], &["jose", "nunez", "garcia"]);
        assert!((inner.score - INNER_SURNAME * MIDDLE_MISSING).abs() < 1e-6);
        let only = person(&["smith"], &["john", "smith"]);
        assert!(only.surname_only);
        assert_eq!(only.score, SURNAME_ONLY);
        assert!(person(&["mary", "smith"], &["john", "smith"]).score < 0.5);
        assert!(person(&["john", "smithers"], &["john", "smith"]).score < 0.5);
    }

    fn org(p: &[&str], c: &[&str], cross: bool) -> OrgMatch {
        let (pw, cw) = (vec![1.0; p.len()], vec![1.0; c.len()]);
        score_org(&pw, &cw, cross, &mut |i, j, g| ts(p[i], c[j], g)).unwrap()
    }

    #[test]
    fn org_token_sets() {
        assert!(org(&["acme"], &["acme"], false).exact);
        let r = org(&["jones", "smith"], &["smith", "jones"], false);
        assert!(r.reordered);
        assert_eq!(r.score, REORDERED);
        let part = org(&["acme"], &["acme", "holdings"], false);
        assert_eq!(part.pairs.len(), 1);
        assert!((part.score - 2.0 / 3.0).abs() < 1e-6);
        assert!(org(&["acme"], &["acne"], false).score < 0.5);
        let cross = org(&["john", "smith"], &["john", "smith"], true);
        assert_eq!(cross.score, CROSS_KIND_CAP);
        assert!(org(&["smith"], &["smith", "plumbing"], true).score < 0.7);
    }
}
