//! Given-name ↔ nickname relations from the `nicknames` dataset.
//!
//! Why a relation and not groups: the dataset says Bill is a nickname of
//! William and of Robert, and Bob of Robert. Merging transitively would
//! make William ≡ Robert ≡ Bob ≡ ... one giant group and every "B. Smith"
//! a hit. So we keep the pairs exactly as published, in both directions
//! (a caller may say "Bill" about a stored "William" or vice versa), and
//! never follow two hops.
//!
//! The CSV is compiled in (`include_str!`) and parsed once on first use.

use std::sync::LazyLock;

use rustc_hash::FxHashMap as HashMap;

use crate::normalize::fold_word;

static NAMES_CSV: &str = include_str!("../data/names.csv");
static EXTRA_CSV: &str = include_str!("../data/nicknames-extra.csv");

/// name → its directly related names, both directions, sorted, deduplicated.
static RELATIONS: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<String>> = HashMap::default();
    for line in NAMES_CSV.lines().chain(EXTRA_CSV.lines()) {
        let mut cols = line.trim().split(',');
        let (Some(a), Some(rel), Some(b)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        if rel.trim() != "has_nickname" {
            continue; // the header, or a relation kind we do not know
        }
        let (a, b) = (fold_word(a), fold_word(b));
        if a.is_empty() || b.is_empty() || a == b {
            continue;
        }
        map.entry(a.clone()).or_default().push(b.clone());
        map.entry(b).or_default().push(a);
    }
    for v in map.values_mut() {
        v.sort_unstable();
        v.dedup();
        v.shrink_to_fit();
    }
    map
});

/// The names directly related to `name` (a folded token), either way.
pub(crate) fn related(name: &str) -> &'static [String] {
    RELATIONS.get(name).map(Vec::as_slice).unwrap_or(&[])
}

/// Whether `a` and `b` are directly related (symmetric, not transitive).
pub(crate) fn are_related(a: &str, b: &str) -> bool {
    related(a).binary_search_by(|x| x.as_str().cmp(b)).is_ok()
}

/// Every name that appears in the dataset (for the benchmark's generator).
pub fn dataset_names() -> impl Iterator<Item = &'static str> {
    RELATIONS.keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_is_loaded() {
        assert!(RELATIONS.len() > 1500, "{} names", RELATIONS.len());
        assert!(dataset_names().any(|n| n == "margaret"));
    }

    #[test]
    fn well_known_pairs_both_directions() {
        for (a, b) in [
            ("william", "bill"),
            ("william", "will"),
            ("william", "liam"),
            ("margaret", "peggy"),
            ("robert", "bob"),
            ("elizabeth", "beth"),
            ("richard", "dick"),
            ("katherine", "kate"),
        ] {
            assert!(are_related(a, b), "{a}→{b}");
            assert!(are_related(b, a), "{b}→{a}");
        }
    }

    #[test]
    fn relations_are_not_transitive() {
        // bill~william and bill~robert, but william is not robert.
        assert!(are_related("bill", "robert"));
        assert!(!are_related("william", "robert"));
        assert!(!are_related("peggy", "bob"));
    }

    #[test]
    fn unknown_and_self() {
        assert!(related("zzzz").is_empty());
        assert!(!are_related("john", "john"));
    }

    #[test]
    fn dotted_entries_are_folded() {
        // "k.c." in the dataset is stored as "kc", like a typed "K.C.".
        assert!(dataset_names().all(|n| n.chars().all(|c| c.is_ascii_alphanumeric())));
    }
}
