//! End-to-end behaviour of `Index::check`: what must match, what must not,
//! why (reasons), and how severe.

use chrono::NaiveDate;
use hermes_conflicts::*;
use uuid::Uuid;

fn party(name: &str, kind: PartyKind, role: PartyRole) -> Party {
    Party {
        id: Uuid::new_v4(),
        kind,
        name: name.into(),
        aliases: vec![],
        role,
        date_of_birth: None,
        phones: vec![],
        emails: vec![],
        matter_ref: Some("M-1".into()),
        matter_status: Some(MatterStatus::Open),
    }
}

fn person(name: &str) -> Party {
    party(name, PartyKind::Person, PartyRole::Client)
}

fn org(name: &str) -> Party {
    party(name, PartyKind::Organization, PartyRole::Client)
}

fn adverse(name: &str) -> Probe {
    Probe::new(name, NewMatterRole::Adverse)
}

fn all_hits() -> CheckOptions {
    CheckOptions {
        max_hits_per_probe: usize::MAX,
        ..CheckOptions::default()
    }
}

/// The best hit of `probe` against an index of just `stored`, if any.
fn best(stored: Party, probe: Probe) -> Option<Hit> {
    let index: Index = [stored].into_iter().collect();
    index.check(&[probe], &all_hits()).hits.into_iter().next()
}

fn matches(stored: &str, probe: &str) -> Option<Hit> {
    let kind = infer_kind(stored);
    best(party(stored, kind, PartyRole::Client), adverse(probe))
}

#[track_caller]
fn assert_match(stored: &str, probe: &str, explanation: &str) -> Hit {
    let hit = matches(stored, probe).unwrap_or_else(|| panic!("{probe:?} should match {stored:?}"));
    assert_eq!(hit.explanation(), explanation, "{probe:?} vs {stored:?}");
    hit
}

#[track_caller]
fn assert_no_match(stored: &str, probe: &str) {
    if let Some(h) = matches(stored, probe) {
        panic!(
            "{probe:?} must not match {stored:?}: {} {}",
            h.score,
            h.explanation()
        );
    }
}

// ------------------------------------------------------------------ names

#[test]
fn exact_after_normalisation() {
    for (stored, probe) in [
        ("John Smith", "john smith"),
        ("John Smith", "SMITH, John"),
        ("John Smith", "Mr. John Smith"),
        ("John Smith", "Dr John Smith, Esq."),
        ("José Núñez", "Jose Nunez"),
        ("Jose Nunez", "JOSÉ NÚÑEZ"),
        ("Mary-Jane O'Brien", "Mary Jane OBrien"),
        ("Maria de la Cruz", "Maria De La Cruz"),
    ] {
        let h = assert_match(stored, probe, "exact name");
        assert_eq!(h.score, 1.0);
    }
}

#[test]
fn nicknames_both_directions() {
    assert_match(
        "William Smith",
        "Bill Smith",
        "nickname(bill→william) + surname exact",
    );
    assert_match(
        "Bill Smith",
        "William Smith",
        "nickname(william→bill) + surname exact",
    );
    assert_match(
        "Margaret Jones",
        "Peggy Jones",
        "nickname(peggy→margaret) + surname exact",
    );
    assert_match(
        "Bob Brown",
        "Robert Brown",
        "nickname(robert→bob) + surname exact",
    );
    assert_match(
        "William Hurt",
        "Liam Hurt",
        "nickname(liam→william) + surname exact",
    );
    // Not transitive: Bill is William's and Robert's, but William is not Robert.
    assert_no_match("Robert Smith", "William Smith");
}

#[test]
fn typos_and_transpositions() {
    let h = assert_match(
        "John Smith",
        "Jonh Smith",
        "typo(jonh~john 0.93) + surname exact",
    );
    assert!(h.score > 0.9);
    assert_match(
        "John Smith",
        "John Smtih",
        "given name exact + typo(smtih~smith 0.95)",
    );
    assert_match(
        "Tom Brown",
        "Tmo Brown",
        "typo(tmo~tom 0.90) + surname exact",
    );
    assert_match(
        "Alice Edwards",
        "Alice Eawards",
        "given name exact + typo(eawards~edwards 0.86)",
    );
}

#[test]
fn phonetic_spellings() {
    assert_match(
        "Steven Jones",
        "Stephen Jones",
        "phonetic(stephen~steven) + surname exact",
    );
    assert_match(
        "Catherine Lee",
        "Kathryn Lee",
        "phonetic(kathryn~catherine) + surname exact",
    );
    let h = matches("John Smith", "John Smyth").unwrap();
    assert!(
        h.explanation().contains("smyth~smith"),
        "{}",
        h.explanation()
    );
}

#[test]
fn initials_and_middle_names() {
    assert_match("John Smith", "J. Smith", "initial(j→john) + surname exact");
    assert_match("J. Smith", "John Smith", "initial(j→john) + surname exact");
    assert_match(
        "John Michael Smith",
        "John Smith",
        "given name exact + surname exact + middle name missing",
    );
    assert_match(
        "John Smith",
        "John Michael Smith",
        "given name exact + surname exact + middle name missing",
    );
    assert_match(
        "John Michael Smith",
        "John M. Smith",
        "given name exact + surname exact",
    );
    let h = matches("John Paul Smith", "John Peter Smith");
    assert!(
        h.is_none(),
        "different middle names sink below the threshold"
    );
    // But with a low threshold the reason is there.
    let index: Index = [person("John Paul Smith")].into_iter().collect();
    let out = index.check(
        &[adverse("John Peter Smith")],
        &CheckOptions {
            threshold: 0.5,
            max_hits_per_probe: 5,
        },
    );
    assert!(out.hits[0].reasons.contains(&Reason::MiddleNameDiffers));
}

#[test]
fn reordered_names() {
    let h = assert_match(
        "John Smith",
        "Smith John",
        "given name exact + surname exact + reordered",
    );
    assert!(h.score < 1.0 && h.score > 0.95);
    // "Last, First" is understood, so it is not even "reordered".
    assert_match("John Smith", "Smith, John", "exact name");
    // An extra (second) surname.
    assert_match(
        "José Núñez García",
        "Jose Nunez",
        "given name exact + surname exact + middle name missing",
    );
}

#[test]
fn generational_suffixes() {
    // One side without a suffix: ignored.
    assert_match("John Smith Jr.", "John Smith", "exact name");
    // Jr vs Sr: maybe father and son, reported and lowered.
    let h = assert_match(
        "John Smith Jr.",
        "John Smith Sr.",
        "exact name + generational suffix differs(sr≠jr)",
    );
    assert!(h.score < 0.95);
}

#[test]
fn organisations() {
    assert_match("Acme Corp", "ACME Corporation", "exact name");
    assert_match("Acme, Inc.", "Acme Inc", "exact name");
    let h = assert_match(
        "Acme Corp",
        "Acme LLC",
        "exact name + corporate suffix differs(llc≠corp)",
    );
    assert!(h.score >= STRONG_THRESHOLD);
    assert_match(
        "Acme Corp",
        "Acme",
        "exact name + corporate suffix differs(-≠corp)",
    );
    assert_match("Smith & Jones LLP", "Jones and Smith LLP", "reordered");
    assert_match(
        "Acme Widgets Inc",
        "Acme Widgtes Inc",
        "typo(widgtes~widgets 0.97)",
    );
    // Org probe kind inferred from the suffix.
    assert_eq!(infer_kind("Acme Widgets Inc"), PartyKind::Organization);
}

#[test]
fn organisation_token_overlap_uses_rarity() {
    // In a firm where "holdings" is common and "zyxco" is rare, "Zyxco"
    // alone still points at "Zyxco Holdings".
    let mut parties: Vec<Party> = (0..50)
        .map(|i| org(&format!("Company{i} Holdings LLC")))
        .collect();
    parties.push(org("Zyxco Holdings LLC"));
    let target = parties.last().unwrap().id;
    let index: Index = parties.into_iter().collect();
    let out = index.check(&[adverse("Zyxco LLC")], &all_hits());
    let h = out.hits.iter().find(|h| h.party_id == target).expect("hit");
    assert_eq!(h.explanation(), "name tokens 1/2");
}

#[test]
fn persons_versus_organisations() {
    // A surname alone does not match a business named after it.
    let smith_plumbing = org("Smith Plumbing LLC");
    assert!(best(smith_plumbing.clone(), adverse("Smith")).is_none());
    assert!(best(smith_plumbing, adverse("John Smith")).is_none());
    // A person's full name as a firm's name is a (capped) hit.
    let h = best(org("John Smith LLC"), adverse("John Smith")).expect("hit");
    assert_eq!(h.explanation(), "person vs organization + exact name");
    assert!(h.score < STRONG_THRESHOLD);
    // ...so a Conflict rule is downgraded to Potential.
    assert_eq!(h.severity, Severity::Potential);
    // And the other way round.
    let h = best(
        person("John Smith"),
        Probe {
            kind: Some(PartyKind::Organization),
            ..adverse("John Smith LLC")
        },
    )
    .expect("hit");
    assert!(h.reasons.contains(&Reason::PersonVsOrganization));
}

#[test]
fn surname_only_is_weak() {
    assert!(matches("John Smith", "Smith").is_none());
    let index: Index = [person("John Smith")].into_iter().collect();
    let smith = Probe {
        kind: Some(PartyKind::Person),
        ..adverse("Smith")
    };
    let out = index.check(
        &[smith],
        &CheckOptions {
            threshold: 0.3,
            max_hits_per_probe: 5,
        },
    );
    assert_eq!(out.hits[0].explanation(), "surname exact + surname only");
}

#[test]
fn aliases_and_maiden_names() {
    let mut p = person("Mary Smith");
    p.aliases = vec!["Mary Jones".into(), "Molly Smith".into()];
    let id = p.id;
    let index: Index = [p].into_iter().collect();
    let out = index.check(&[adverse("Mary Jones")], &all_hits());
    assert_eq!(out.hits.len(), 1);
    assert_eq!(out.hits[0].party_id, id);
    assert_eq!(out.hits[0].matched_name, "Mary Jones");
    assert_eq!(out.hits[0].explanation(), "exact name + alias(Mary Jones)");
    // The best name of a party wins; one hit per party.
    let out = index.check(&[adverse("Mary Smith")], &all_hits());
    assert_eq!(out.hits.len(), 1);
    assert_eq!(out.hits[0].explanation(), "exact name");
}

#[test]
fn near_misses_do_not_hit() {
    for (stored, probe) in [
        ("John Smith", "Joan Smithers"),
        ("John Smith", "John Smithers"),
        ("John Smith", "Mary Smith"),
        ("John Smith", "John Jones"),
        ("Richard King", "Richard Kingington"),
        ("Anthony Trouvoul", "Anthony Trouvoulley"),
        // Decision: a one-letter substitution in a four-letter word is a
        // different word, not a typo ("Acne" is not "Acme").
        ("Acme Corp", "Acne Corp"),
        ("Acme Plumbing LLC", "Acme Roofing LLC"),
        ("Smith Plumbing", "Jones Plumbing"),
    ] {
        assert_no_match(stored, probe);
    }
}

#[test]
fn sound_alike_given_names_are_reviewed_not_dropped() {
    // John/Joan share a Double Metaphone code and are easily misheard on a
    // call: a Potential for review (never a Conflict on its own).
    let h = matches("John Smith", "Joan Smith").expect("reviewed");
    assert!(h.score < STRONG_THRESHOLD);
    assert_eq!(h.severity, Severity::Potential);
}

// ------------------------------------------------------------ identifiers

#[test]
fn phone_email_and_dob() {
    let mut p = person("Jonathan Q. Public");
    p.phones = vec!["+1 (555) 123-4567".into()];
    p.emails = vec!["JQP@Example.com ".into()];
    p.date_of_birth = NaiveDate::from_ymd_opt(1980, 5, 17);
    let index: Index = [p].into_iter().collect();

    // A totally different name, same phone: still a hit (shared household?).
    let probe = Probe {
        phone: Some("555.123.4567".into()),
        ..adverse("Alex Other")
    };
    let out = index.check(&[probe], &all_hits());
    assert_eq!(out.hits.len(), 1);
    assert!(out.hits[0].reasons.contains(&Reason::Phone));
    assert!(out.hits[0].score >= 0.85);

    let probe = Probe {
        email: Some("jqp@example.com".into()),
        ..adverse("A. Nother")
    };
    let out = index.check(&[probe], &all_hits());
    assert_eq!(out.hits[0].reasons.last(), Some(&Reason::Email));

    // Same DOB raises a fuzzy name; different DOB lowers an exact one.
    let base = index.check(&[adverse("Jon Public")], &all_hits()).hits[0].score;
    let same = Probe {
        date_of_birth: NaiveDate::from_ymd_opt(1980, 5, 17),
        ..adverse("Jon Public")
    };
    let h = &index.check(&[same], &all_hits()).hits[0];
    assert!(h.score > base);
    assert!(h.reasons.contains(&Reason::DateOfBirth));
    let other = Probe {
        date_of_birth: NaiveDate::from_ymd_opt(1991, 1, 2),
        ..adverse("Jonathan Q. Public")
    };
    assert!(
        index
            .check(std::slice::from_ref(&other), &all_hits())
            .hits
            .is_empty()
    );
    let low = CheckOptions {
        threshold: 0.1,
        max_hits_per_probe: 5,
    };
    let h = &index.check(&[other], &low).hits[0];
    assert!(h.score <= 0.6);
    assert!(h.reasons.contains(&Reason::DateOfBirthMismatch));
    assert_eq!(h.explanation(), "exact name + date of birth differs");
}

#[test]
fn identifier_match_keeps_conflict_on_fuzzy_name() {
    let mut p = person("Jonathan Public");
    p.phones = vec!["555-123-4567".into()];
    let index: Index = [p].into_iter().collect();
    // Fuzzy name alone: Conflict rule downgraded.
    let out = index.check(&[adverse("Jon Publik")], &all_hits());
    assert_eq!(out.status, Status::Potential);
    // Same fuzzy name with the phone: a Conflict.
    let probe = Probe {
        phone: Some("5551234567".into()),
        ..adverse("Jon Publik")
    };
    let out = index.check(&[probe], &all_hits());
    assert_eq!(out.status, Status::Conflict);
    assert_eq!(
        out.hits[0].rule,
        "adverse party is a current client (Rule 1.7)"
    );
}

// --------------------------------------------------------------- severity

fn severity_of(role: PartyRole, status: Option<MatterStatus>, probe: NewMatterRole) -> Hit {
    let mut p = person("Grace Hopper");
    p.role = role;
    p.matter_status = status;
    best(p, Probe::new("Grace Hopper", probe)).expect("exact hit")
}

#[test]
fn severity_end_to_end_for_every_cell() {
    for &probe in NewMatterRole::ALL {
        for &role in PartyRole::ALL {
            for status in [
                None,
                Some(MatterStatus::Open),
                Some(MatterStatus::Pending),
                Some(MatterStatus::Closed),
            ] {
                let h = severity_of(role, status, probe);
                let (sev, rule) = classify(probe, role, status);
                // An exact match is strong: no downgrade.
                assert_eq!(
                    (h.severity, h.rule),
                    (sev, rule),
                    "{probe:?} {role:?} {status:?}"
                );
            }
        }
    }
}

#[test]
fn outcome_status() {
    let h = severity_of(
        PartyRole::Client,
        Some(MatterStatus::Open),
        NewMatterRole::Adverse,
    );
    assert_eq!(h.severity, Severity::Conflict);
    assert_eq!(h.rule, "adverse party is a current client (Rule 1.7)");
    // Closed client matter: former client, Rule 1.9.
    let h = severity_of(
        PartyRole::Client,
        Some(MatterStatus::Closed),
        NewMatterRole::Adverse,
    );
    assert_eq!(h.severity, Severity::Potential);
    assert!(h.rule.contains("1.9"));

    // Only Info hits: Clear, but the hit is still shown.
    let index: Index = [person("Grace Hopper")].into_iter().collect();
    let out = index.check(
        &[Probe::new("Grace Hopper", NewMatterRole::Client)],
        &all_hits(),
    );
    assert_eq!(out.status, Status::Clear);
    assert_eq!(out.hits[0].severity, Severity::Info);
    // Nothing at all: Clear, no hits.
    let out = index.check(&[adverse("Alan Turing")], &all_hits());
    assert_eq!(
        out,
        CheckOutcome {
            status: Status::Clear,
            hits: vec![]
        }
    );
}

#[test]
fn weak_match_downgrades_conflict_but_keeps_the_hit() {
    let index: Index = [person("Jonathan Smith")].into_iter().collect();
    let out = index.check(&[adverse("J. Smith")], &all_hits());
    assert_eq!(out.hits.len(), 1, "never dropped");
    assert_eq!(out.hits[0].severity, Severity::Potential);
    assert!(out.hits[0].rule.contains("fuzzy"));
    assert_eq!(out.status, Status::Potential);
}

#[test]
fn hits_sorted_and_truncated() {
    let mut parties = vec![
        party("John Smith", PartyKind::Person, PartyRole::AdverseParty),
        party("Jon Smith", PartyKind::Person, PartyRole::Client),
        party("John Smith", PartyKind::Person, PartyRole::FormerClient),
        party("John Smyth", PartyKind::Person, PartyRole::Client),
    ];
    parties[1].matter_status = Some(MatterStatus::Open);
    let index: Index = parties.into_iter().collect();
    let out = index.check(
        &[
            adverse("John Smith"),
            Probe::new("John Smith", NewMatterRole::Client),
        ],
        &all_hits(),
    );
    let order: Vec<(Severity, f32)> = out.hits.iter().map(|h| (h.severity, h.score)).collect();
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)));
    assert_eq!(order, sorted);
    assert_eq!(out.status, Status::Conflict);
    assert!(out.hits.iter().any(|h| h.probe == 1));
    let few = index.check(
        &[adverse("John Smith")],
        &CheckOptions {
            max_hits_per_probe: 2,
            ..CheckOptions::default()
        },
    );
    assert_eq!(few.hits.len(), 2);
    assert_eq!(few.hits[0].severity, Severity::Conflict);
}

#[test]
fn threshold_controls_what_is_reported() {
    let index: Index = [person("Catherine Lee")].into_iter().collect();
    let probe = [adverse("Kathryn Lee")];
    let score = index.check(&probe, &all_hits()).hits[0].score;
    let above = CheckOptions {
        threshold: score + 0.001,
        max_hits_per_probe: 10,
    };
    assert!(index.check(&probe, &above).hits.is_empty());
    let at = CheckOptions {
        threshold: score,
        max_hits_per_probe: 10,
    };
    assert_eq!(index.check(&probe, &at).hits.len(), 1);
    assert_eq!(CheckOptions::default().threshold, DEFAULT_THRESHOLD);
    assert_eq!(CheckOptions::default().max_hits_per_probe, 10);
}

// ------------------------------------------------------------------ index

#[test]
fn upsert_replaces_and_remove_removes() {
    let mut index = Index::new();
    assert!(index.is_empty());
    let mut p = person("Ada Lovelace");
    let id = p.id;
    index.upsert(p.clone());
    index.upsert(person("Charles Babbage"));
    assert_eq!(index.len(), 2);
    assert_eq!(
        index
            .check(&[adverse("Ada Lovelace")], &all_hits())
            .hits
            .len(),
        1
    );

    // Same id, new name: the old name is gone, the new one found.
    p.name = "Augusta King".into();
    p.phones = vec!["555 000 1111".into()];
    index.upsert(p);
    assert_eq!(index.len(), 2);
    assert!(
        index
            .check(&[adverse("Ada Lovelace")], &all_hits())
            .hits
            .is_empty()
    );
    let out = index.check(&[adverse("Augusta King")], &all_hits());
    assert_eq!(out.hits[0].party_id, id);

    assert!(index.remove(id));
    assert!(!index.remove(id));
    assert_eq!(index.len(), 1);
    assert!(
        index
            .check(&[adverse("Augusta King")], &all_hits())
            .hits
            .is_empty()
    );
    let by_phone = Probe {
        phone: Some("5550001111".into()),
        ..adverse("Nobody")
    };
    assert!(index.check(&[by_phone], &all_hits()).hits.is_empty());
    assert!(index.contains(index_ids(&index)[0]));
}

fn index_ids(index: &Index) -> Vec<Uuid> {
    // The only remaining party is Babbage; find it through a check.
    index
        .check(&[adverse("Charles Babbage")], &all_hits())
        .hits
        .iter()
        .map(|h| h.party_id)
        .collect()
}

#[test]
fn heavy_churn_keeps_results_exact() {
    // Enough removals to trigger arena compaction; results must not drift.
    let mut index = Index::new();
    let keep = person("Grace Brewster Hopper");
    let keep_id = keep.id;
    index.upsert(keep);
    // Long one-word names with digits: no shared phonetic keys, so the
    // test stays fast in debug builds while the arena fills quickly.
    let pad = "q".repeat(300);
    for round in 0..2 {
        let batch: Vec<Party> = (0..5_000)
            .map(|i| person(&format!("{pad}{round}x{i} Longsurname{i}")))
            .collect();
        let ids: Vec<Uuid> = batch.iter().map(|p| p.id).collect();
        index.extend(batch);
        for id in ids {
            assert!(index.remove(id));
        }
    }
    assert_eq!(index.len(), 1);
    let out = index.check(&[adverse("Grace Hopper")], &all_hits());
    assert_eq!(out.hits.len(), 1);
    assert_eq!(out.hits[0].party_id, keep_id);
    assert_eq!(out.hits[0].matched_name, "Grace Brewster Hopper");
}

#[test]
fn common_names_still_find_the_true_match() {
    // Thousands of Johns and Smiths: blocking must still reach the one
    // "William Smith" when asked for "Bill Smtih", and vice versa.
    let given = [
        "john", "james", "mary", "robert", "michael", "linda", "david", "susan",
    ];
    let surnames = ["smith", "johnson", "jones", "brown", "smythe", "smithson"];
    let mut parties = Vec::new();
    for i in 0..6000 {
        let g = given[i % given.len()];
        let s = surnames[(i / given.len()) % surnames.len()];
        parties.push(person(&format!("{g} {s}")));
    }
    let target = person("William Smith");
    let target_id = target.id;
    parties.push(target);
    let index: Index = parties.into_iter().collect();
    for probe in [
        "Bill Smtih",
        "W. Smith",
        "Smith, Will",
        "Wlliam Smith",
        "Liam Smyth",
    ] {
        let out = index.check(&[adverse(probe)], &all_hits());
        assert!(
            out.hits.iter().any(|h| h.party_id == target_id),
            "{probe} should find William Smith"
        );
    }
    // And a specific John Smith check touches only a fraction of the index.
    let n = index.candidate_count(&adverse("John Smith"));
    assert!(n < 3000, "{n} candidates");
}

#[test]
fn empty_and_odd_inputs() {
    let index: Index = [person("John Smith"), org("Acme Inc")]
        .into_iter()
        .collect();
    for name in ["", "   ", ",", "Mr.", "Inc", "???", "12345"] {
        let out = index.check(&[adverse(name)], &all_hits());
        assert!(out.hits.len() <= 1, "{name:?}");
    }
    assert_eq!(index.check(&[], &all_hits()).status, Status::Clear);
    let mut index = Index::new();
    index.upsert(person(""));
    assert_eq!(index.len(), 1);
}

// ------------------------------------------------------------- api shape

#[test]
fn reasons_display_and_serialise() {
    let cases: Vec<(Reason, &str)> = vec![
        (Reason::ExactName, "exact name"),
        (Reason::GivenNameExact, "given name exact"),
        (Reason::SurnameExact, "surname exact"),
        (
            Reason::Nickname {
                probe: "bill".into(),
                party: "william".into(),
            },
            "nickname(bill→william)",
        ),
        (
            Reason::Phonetic {
                probe: "smyth".into(),
                party: "smith".into(),
            },
            "phonetic(smyth~smith)",
        ),
        (
            Reason::Typo {
                probe: "jonh".into(),
                party: "john".into(),
                similarity: 0.93,
            },
            "typo(jonh~john 0.93)",
        ),
        (
            Reason::Initial {
                initial: "j".into(),
                name: "john".into(),
            },
            "initial(j→john)",
        ),
        (Reason::MiddleNameMissing, "middle name missing"),
        (Reason::MiddleNameDiffers, "middle name differs"),
        (Reason::Reordered, "reordered"),
        (
            Reason::Alias {
                alias: "Mary Jones".into(),
            },
            "alias(Mary Jones)",
        ),
        (
            Reason::GenerationalSuffixDiffers {
                probe: "jr".into(),
                party: "sr".into(),
            },
            "generational suffix differs(jr≠sr)",
        ),
        (
            Reason::CorporateSuffixDiffers {
                probe: "inc".into(),
                party: "".into(),
            },
            "corporate suffix differs(inc≠-)",
        ),
        (
            Reason::TokenOverlap {
                matched: 1,
                total: 2,
            },
            "name tokens 1/2",
        ),
        (Reason::PersonVsOrganization, "person vs organization"),
        (Reason::SurnameOnly, "surname only"),
        (Reason::Phone, "phone"),
        (Reason::Email, "email"),
        (Reason::DateOfBirth, "date of birth"),
        (Reason::DateOfBirthMismatch, "date of birth differs"),
    ];
    for (reason, text) in cases {
        assert_eq!(reason.to_string(), text);
        let json = serde_json::to_value(&reason).unwrap();
        assert!(json["kind"].is_string(), "{json}");
        let back: Reason = serde_json::from_value(json).unwrap();
        assert_eq!(back, reason);
    }
    let json = serde_json::to_string(&Reason::Nickname {
        probe: "bill".into(),
        party: "william".into(),
    })
    .unwrap();
    assert_eq!(
        json,
        r#"{"kind":"nickname","probe":"bill","party":"william"}"#
    );
}

#[test]
fn enums_parse_print_and_serialise() {
    for &r in PartyRole::ALL {
        assert_eq!(r.as_str().parse::<PartyRole>().unwrap(), r);
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
    }
    for &s in MatterStatus::ALL {
        assert_eq!(s.as_str().parse::<MatterStatus>().unwrap(), s);
    }
    for &n in NewMatterRole::ALL {
        assert_eq!(n.as_str().parse::<NewMatterRole>().unwrap(), n);
        assert_eq!(serde_json::to_value(n).unwrap(), n.as_str());
    }
    for &k in PartyKind::ALL {
        assert_eq!(k.as_str().parse::<PartyKind>().unwrap(), k);
    }
    assert_eq!(PartyRole::FormerClient.as_str(), "former_client");
    assert!("boss".parse::<PartyRole>().is_err());
    assert_eq!(
        "x".parse::<MatterStatus>().unwrap_err().to_string(),
        "unknown matter status: \"x\""
    );
    assert_eq!(
        serde_json::to_value(Status::Potential).unwrap(),
        "potential"
    );
    assert_eq!(
        serde_json::to_value(Severity::Conflict).unwrap(),
        "conflict"
    );
    assert!(Status::Conflict > Status::Potential && Status::Potential > Status::Clear);
    assert!(Severity::Conflict > Severity::Potential && Severity::Potential > Severity::Info);
}

#[test]
fn parties_and_probes_deserialise_from_minimal_json() {
    let p: Party = serde_json::from_str(
        r#"{"id":"7b0e8f52-3c7d-4c0e-9d6f-3f1c2b8a9e01","kind":"person","name":"Ann Lee","role":"client"}"#,
    )
    .unwrap();
    assert!(p.aliases.is_empty() && p.matter_status.is_none());
    let q: Probe = serde_json::from_str(r#"{"name":"Ann Lee","role":"adverse"}"#).unwrap();
    assert_eq!(q.kind, None);
    let hit = best(p, q).unwrap();
    let json = serde_json::to_value(&hit).unwrap();
    assert_eq!(json["severity"], "conflict");
    assert_eq!(json["reasons"][0]["kind"], "exact_name");
}

#[test]
fn index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Index>();
}

#[test]
fn normalizers_are_public() {
    assert_eq!(
        normalize_phone("+1 (555) 123-4567").as_deref(),
        Some("5551234567")
    );
    assert_eq!(normalize_email(" A@B.C ").as_deref(), Some("a@b.c"));
}
