//! The embeddings mean what a receptionist would expect: sentences about
//! a matter land nearer that matter's exemplars than another's, with and
//! without the words a keyword list looks for.

mod common;

use hermes_embed::{AreaIndex, area::exemplars, cosine};

/// Mean cosine of `text` to an area's shipped exemplars.
fn mean_similarity(text: &str, area: &str) -> f32 {
    let e = common::embedder();
    let v = e.embed(text).unwrap();
    let ex = &exemplars()[area];
    let vs = e
        .embed_batch(&ex.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap();
    vs.iter().map(|x| cosine(&v, x)).sum::<f32>() / vs.len() as f32
}

#[test]
fn a_divorce_is_closer_to_family_than_to_bankruptcy() {
    let text = "my wife and I have decided to end our marriage";
    let family = mean_similarity(text, "family");
    let bankruptcy = mean_similarity(text, "bankruptcy");
    assert!(
        family > bankruptcy + 0.1,
        "family {family}, bankruptcy {bankruptcy}"
    );
}

#[test]
fn debts_are_closer_to_bankruptcy_than_to_family() {
    let text = "I owe so much money I can't make the minimum payments";
    let family = mean_similarity(text, "family");
    let bankruptcy = mean_similarity(text, "bankruptcy");
    assert!(
        bankruptcy > family + 0.1,
        "family {family}, bankruptcy {bankruptcy}"
    );
}

#[test]
fn paraphrases_are_nearer_each_other_than_to_another_matter() {
    let e = common::embedder();
    let fired = e.embed("my boss fired me for no reason").unwrap();
    let let_go = e.embed("I was let go from my job out of nowhere").unwrap();
    let crash = e.embed("a truck ran into my car").unwrap();
    assert!(cosine(&fired, &let_go) > cosine(&fired, &crash) + 0.2);
}

#[test]
fn the_index_ranks_keyword_free_sentences_by_meaning() {
    let index = common::standard_index();
    let e = common::embedder();
    for (text, want) in [
        (
            "my husband and I are splitting up and I'm worried about the kids",
            "family",
        ),
        (
            "they let me go after I told HR about my pregnancy",
            "employment",
        ),
        (
            "the officers put handcuffs on my son and took him downtown",
            "criminal_defense",
        ),
        ("who gets my things when I pass away", "estate_planning"),
        ("I need papers so I can stay in this country", "immigration"),
        ("the bank is threatening to take my house", "bankruptcy"),
        (
            "a car blew through the stop sign and slammed into me",
            "personal_injury",
        ),
    ] {
        let scores = index.scores(e, text).unwrap();
        assert_eq!(scores[0].0, want, "{text:?}: {scores:?}");
        assert!(scores.windows(2).all(|w| w[0].1 >= w[1].1));
    }
}

#[test]
fn every_standard_area_and_referral_area_is_in_the_index() {
    let keys: Vec<&str> = common::standard_index().keys().collect();
    for (key, _) in common::STANDARD {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert!(keys.contains(&"landlord_tenant"));
}

#[test]
fn a_custom_area_is_found_from_its_display_name() {
    let e = common::embedder();
    let mut areas = common::STANDARD.to_vec();
    areas.push(("animal_law", "Animal law and pet custody"));
    let index = AreaIndex::new(e, &areas).unwrap();
    assert!(index.keys().any(|k| k == "animal_law"));
    let scores = index
        .scores(e, "I have a legal question about my pet")
        .unwrap();
    assert_eq!(scores[0].0, "animal_law", "{scores:?}");
}

#[test]
fn a_firm_index_derived_from_the_standard_one_equals_one_built_whole() {
    let e = common::embedder();
    let areas = [("family", "Divorce and custody"), ("pet_law", "Pet law")];
    let derived = AreaIndex::standard(e)
        .unwrap()
        .with_areas(e, &areas)
        .unwrap();
    let whole = AreaIndex::new(e, &areas).unwrap();
    assert!(derived.keys().eq(whole.keys()));
    assert!(derived.keys().any(|k| k == "pet_law"));
    let text = "my ex and I are fighting over the kids";
    let (a, b) = (
        derived.scores(e, text).unwrap(),
        whole.scores(e, text).unwrap(),
    );
    for ((ka, sa), (kb, sb)) in a.iter().zip(&b) {
        assert_eq!(ka, kb);
        assert!((sa - sb).abs() < 1e-5);
    }
}

#[test]
fn small_talk_is_near_no_area() {
    let index = common::standard_index();
    let e = common::embedder();
    for text in [
        "yes that's fine",
        "can you repeat that please",
        "okay thank you",
    ] {
        let scores = index.scores(e, text).unwrap();
        let combined = hermes_embed::combine(&common::keyword_scores(text), &scores);
        assert!(
            combined
                .first()
                .is_none_or(|(_, s)| *s < hermes_intake::practice::CONFIDENT),
            "{text:?}: {combined:?} (cosines {scores:?})"
        );
    }
}
