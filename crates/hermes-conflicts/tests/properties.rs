//! Property tests: invariants over generated names (kept small and fast).

use hermes_conflicts::*;
use proptest::prelude::*;
use uuid::Uuid;

const GIVEN: &[&str] = &[
    "john",
    "mary",
    "william",
    "margaret",
    "robert",
    "elizabeth",
    "david",
    "susan",
    "ahmed",
    "lucia",
    "chen",
    "olga",
];

fn person(name: String) -> Party {
    Party {
        id: Uuid::new_v4(),
        kind: PartyKind::Person,
        name,
        aliases: vec![],
        role: PartyRole::Client,
        date_of_birth: None,
        phones: vec![],
        emails: vec![],
        matter_ref: None,
        matter_status: None,
    }
}

fn name_strategy() -> impl Strategy<Value = (String, String)> {
    (prop::sample::select(GIVEN), "[a-z]{5,10}").prop_map(|(g, s)| (g.to_owned(), s))
}

fn opts() -> CheckOptions {
    CheckOptions {
        max_hits_per_probe: usize::MAX,
        ..CheckOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Formatting never changes the tokens.
    #[test]
    fn formatting_is_normalised((g, s) in name_strategy(), upper in any::<bool>(), comma in any::<bool>()) {
        let plain = format!("{g} {s}");
        let mut fancy = if comma { format!("{s},  {g}") } else { format!("  Mr. {g}   {s}. ") };
        if upper { fancy = fancy.to_uppercase(); }
        prop_assert_eq!(
            normalized_tokens(&plain, Some(PartyKind::Person)),
            normalized_tokens(&fancy, Some(PartyKind::Person))
        );
    }

    /// Every indexed name finds itself, exactly, among look-alikes.
    #[test]
    fn a_name_finds_itself((g, s) in name_strategy(), others in prop::collection::vec(name_strategy(), 0..20)) {
        let target = person(format!("{g} {s}"));
        let id = target.id;
        let mut parties: Vec<Party> = others.into_iter().map(|(g, s)| person(format!("{g} {s}"))).collect();
        parties.push(target);
        let index: Index = parties.into_iter().collect();
        let out = index.check(&[Probe::new(format!("{g} {s}"), NewMatterRole::Adverse)], &opts());
        let hit = out.hits.iter().find(|h| h.party_id == id);
        prop_assert!(hit.is_some());
        prop_assert_eq!(hit.unwrap().score, 1.0);
    }

    /// One adjacent transposition in the surname is still found.
    #[test]
    fn a_transposed_surname_is_found((g, s) in name_strategy(), pos in 0usize..4) {
        let target = person(format!("{g} {s}"));
        let id = target.id;
        let mut t: Vec<char> = s.chars().collect();
        t.swap(pos, pos + 1);
        let typo: String = t.into_iter().collect();
        let index: Index = [target].into_iter().collect();
        let out = index.check(&[Probe::new(format!("{g} {typo}"), NewMatterRole::Adverse)], &opts());
        prop_assert!(out.hits.iter().any(|h| h.party_id == id), "{} {}", g, typo);
    }

    /// Scores stay within 0..=1 and the outcome status is the max severity.
    #[test]
    fn scores_bounded((g, s) in name_strategy(), (g2, s2) in name_strategy()) {
        let index: Index = [person(format!("{g} {s}"))].into_iter().collect();
        let out = index.check(
            &[Probe::new(format!("{g2} {s2}"), NewMatterRole::Adverse)],
            &CheckOptions { threshold: 0.0, max_hits_per_probe: 10 },
        );
        for h in &out.hits {
            prop_assert!((0.0..=1.0).contains(&h.score));
        }
        let max = out.hits.iter().map(|h| h.severity.status()).max().unwrap_or(Status::Clear);
        prop_assert_eq!(out.status, max);
    }
}
