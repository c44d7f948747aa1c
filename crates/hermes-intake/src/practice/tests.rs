use super::*;

const NARRATIVES: &[(&str, &str)] = &[
    // personal injury
    (
        "personal_injury",
        "I was rear-ended on the freeway last Tuesday and my neck has been killing me.",
    ),
    (
        "personal_injury",
        "A truck ran a red light and T-boned my car. I went to the emergency room.",
    ),
    (
        "personal_injury",
        "I slipped and fell on a wet floor at the grocery store and broke my wrist.",
    ),
    (
        "personal_injury",
        "My daughter was bitten by the neighbor's dog.",
    ),
    (
        "personal_injury",
        "I was hit by a car while crossing in the crosswalk.",
    ),
    (
        "personal_injury",
        "The surgeon made a surgical error and now I need another operation.",
    ),
    (
        "personal_injury",
        "I got hurt in a motorcycle accident and the other driver's insurance adjuster keeps calling.",
    ),
    // family
    (
        "family",
        "My wife and I are getting a divorce and we can't agree on the kids.",
    ),
    (
        "family",
        "I want full custody of my son, his father is never around.",
    ),
    (
        "family",
        "My ex stopped paying child support six months ago.",
    ),
    (
        "family",
        "We separated last year and I need to figure out alimony.",
    ),
    ("family", "I want to adopt my stepdaughter."),
    (
        "family",
        "The father of my children won't follow the parenting plan.",
    ),
    // criminal
    ("criminal_defense", "I got a DUI last weekend."),
    (
        "criminal_defense",
        "My son was arrested for shoplifting and he's in jail.",
    ),
    (
        "criminal_defense",
        "I was charged with a felony and my court date is coming up.",
    ),
    (
        "criminal_defense",
        "The police pulled me over and found marijuana in the car, now I'm charged with possession.",
    ),
    (
        "criminal_defense",
        "There's a warrant out for my arrest for failure to appear.",
    ),
    (
        "criminal_defense",
        "I want to get an old misdemeanor expunged.",
    ),
    // estate planning
    (
        "estate_planning",
        "I'd like to write a will and maybe set up a living trust.",
    ),
    (
        "estate_planning",
        "My mother passed away and we need help with probate.",
    ),
    (
        "estate_planning",
        "I need a power of attorney for my dad, he has dementia.",
    ),
    (
        "estate_planning",
        "My brother is the executor and he's hiding the estate from us.",
    ),
    (
        "estate_planning",
        "I want to update my will now that I have grandchildren.",
    ),
    (
        "estate_planning",
        "I'm a beneficiary of my aunt's trust and the trustee won't tell me anything.",
    ),
    // immigration
    (
        "immigration",
        "I want to apply for a green card through my husband.",
    ),
    (
        "immigration",
        "My visa is expiring and I need an extension.",
    ),
    (
        "immigration",
        "ICE detained my brother and they want to deport him.",
    ),
    (
        "immigration",
        "I came here as a child and I have DACA, I want to know about citizenship.",
    ),
    (
        "immigration",
        "I got a notice to appear in immigration court.",
    ),
    (
        "immigration",
        "My H-1B was denied and my employer is sponsoring me again.",
    ),
    // employment
    (
        "employment",
        "I was fired after I complained to HR about my supervisor.",
    ),
    (
        "employment",
        "My boss has been sexually harassing me at work.",
    ),
    (
        "employment",
        "My employer hasn't paid me overtime for a year.",
    ),
    (
        "employment",
        "They laid me off right after I told them I was pregnant.",
    ),
    (
        "employment",
        "I was let go and they won't give me my final paycheck.",
    ),
    (
        "employment",
        "My manager keeps making comments about my race, it's a hostile work environment.",
    ),
    // bankruptcy
    (
        "bankruptcy",
        "I'm drowning in credit card debt and thinking about bankruptcy.",
    ),
    ("bankruptcy", "Debt collectors call me ten times a day."),
    (
        "bankruptcy",
        "They're garnishing my wages for an old medical bill.",
    ),
    ("bankruptcy", "I want to know if I qualify for chapter 7."),
    (
        "bankruptcy",
        "My house is in foreclosure and I can't pay my bills.",
    ),
    (
        "bankruptcy",
        "I owe about eighty thousand dollars to creditors.",
    ),
    // other areas, for a decline
    (
        "landlord_tenant",
        "My landlord won't give back my security deposit.",
    ),
    (
        "landlord_tenant",
        "I'm a tenant and the apartment has mold and they won't make repairs.",
    ),
    (
        "real_estate",
        "We're buying a house and the closing date got pushed, there's a title issue.",
    ),
    (
        "real_estate",
        "My neighbor built a fence over the property line.",
    ),
    (
        "tax",
        "The IRS says I owe back taxes and they're auditing me.",
    ),
    (
        "intellectual_property",
        "Someone is using my trademark and my logo.",
    ),
    (
        "business",
        "My business partner is taking money from our LLC.",
    ),
    (
        "workers_compensation",
        "I got injured at work and need workers comp.",
    ),
    (
        "social_security_disability",
        "I was denied social security disability benefits.",
    ),
    (
        "consumer",
        "The car dealership sold me a lemon and won't give a refund.",
    ),
];

#[test]
fn classifies_narratives() {
    let mut wrong = Vec::new();
    for (area, text) in NARRATIVES {
        let scores = classify(text);
        match scores.first() {
            Some(top) if top.key == *area => {
                assert!(top.score > 0.0 && top.score <= 1.0);
                assert!(!top.cues.is_empty());
            }
            _ => wrong.push(format!("{text} → {scores:?}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    for area in STANDARD_AREAS {
        let n = NARRATIVES.iter().filter(|(a, _)| *a == area).count();
        assert!(n >= 5, "{area} has {n} narratives");
    }
}

#[test]
fn sorted_and_bounded() {
    let scores =
        classify("I was fired and now I can't pay my debts, and my landlord wants to evict me");
    assert!(scores.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(&s.score)));
}

#[test]
fn competing_areas_share_confidence() {
    let scores = classify("I was fired and now I can't pay my debts.");
    let keys: Vec<_> = scores.iter().take(2).map(|s| s.key).collect();
    assert!(
        keys.contains(&"employment") && keys.contains(&"bankruptcy"),
        "{scores:?}"
    );
    assert!(scores[0].score < CONFIDENT, "{scores:?}");
    assert!(
        (scores[0].score - scores[1].score).abs() < 0.2,
        "{scores:?}"
    );

    let clear = classify("I got a DUI and was arrested, my arraignment is Monday.");
    assert_eq!(clear[0].key, "criminal_defense");
    assert!(clear[0].score >= CONFIDENT, "{clear:?}");
}

#[test]
fn negation_and_masks() {
    // Negated cues do not count.
    let s = classify("I wasn't hurt, I just want a divorce.");
    assert_eq!(s[0].key, "family");
    assert!(s.iter().all(|a| a.key != "personal_injury"), "{s:?}");
    let s = classify("He was never arrested, we just need custody of our kids.");
    assert_eq!(s[0].key, "family", "{s:?}");
    // "in custody" is criminal, not family.
    let s = classify("My son is in custody at the county jail.");
    assert_eq!(s[0].key, "criminal_defense", "{s:?}");
    assert!(
        s.iter().all(|a| a.key != "family" || a.score < 0.3),
        "{s:?}"
    );
    // "real estate" is not an estate.
    let s = classify("I have a real estate closing next week.");
    assert_eq!(s[0].key, "real_estate", "{s:?}");
    assert!(s.iter().all(|a| a.key != "estate_planning"), "{s:?}");
    // Slipping on ice is not immigration.
    let s = classify("I slipped on ice in the parking lot and broke my hip.");
    assert_eq!(s[0].key, "personal_injury", "{s:?}");
    assert!(s.iter().all(|a| a.key != "immigration"), "{s:?}");
    // A place is not a business matter; owning one can be.
    for text in [
        "the store manager screams at me in front of everyone",
        "I got really sick from food at a restaurant",
    ] {
        let s = classify(text);
        assert!(
            s.iter().all(|a| a.key != "business" || a.score < 0.3),
            "{text}: {s:?}"
        );
    }
    let s = classify("a supplier stopped delivering to my restaurant");
    assert_eq!(s[0].key, "business", "{s:?}");
    // "will" as a verb is not a will.
    let s = classify("The other driver will not return my calls after the car accident.");
    assert!(s.iter().all(|a| a.key != "estate_planning"), "{s:?}");
}

#[test]
fn ambiguous_or_empty() {
    assert!(classify("I need to talk to a lawyer about something.").is_empty());
    assert!(classify("").is_empty());
    assert!(classify("Hi, my name is John.").is_empty());
    let vague = classify("It's about my family.");
    assert!(
        vague.first().is_none_or(|s| s.score < CONFIDENT),
        "{vague:?}"
    );
}

#[test]
fn unsupported_areas_rank_as_other() {
    for text in [
        "My landlord is trying to evict me.",
        "I need help with a patent for my invention.",
        "The IRS put a tax lien on my house.",
    ] {
        let top = &classify(text)[0];
        assert!(!is_standard(top.key), "{text}: {top:?}");
    }
}

#[test]
fn referral_lines() {
    assert_eq!(
        referral_suggestion(Some("OR")),
        "I'm sorry, our firm doesn't handle that kind of matter. To find a lawyer who does, you may want to contact the Oregon State Bar's Lawyer Referral Service, or your local county bar association."
    );
    assert!(
        referral_suggestion(Some("ca"))
            .contains("the State Bar of California's Lawyer Referral Service")
    );
    assert!(referral_suggestion(Some(" tx ")).contains("State Bar of Texas"));
    let generic = referral_suggestion(None);
    assert!(generic.contains("your state or local bar association's lawyer referral service"));
    assert_eq!(referral_suggestion(Some("ZZ")), generic);
    assert_eq!(referral_suggestion(Some("Oregon")), generic);
    assert_eq!(state_bar("ny"), Some("New York State Bar Association"));
}

#[test]
fn every_state_has_a_bar() {
    for code in [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
        "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
        "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
        "VT", "VA", "WA", "WV", "WI", "WY",
    ] {
        assert!(state_bar(code).is_some(), "{code}");
    }
}

#[test]
fn matter_phrases() {
    assert_eq!(matter_phrase("family"), "a family law matter");
    assert_eq!(
        matter_phrase("estate_planning"),
        "an estate planning matter"
    );
    assert_eq!(matter_phrase("animal_law"), "an animal law matter");
    assert_eq!(matter_phrase("civil_rights"), "a civil rights matter");
}

#[test]
fn serialises() {
    let s = &classify("I want a divorce.")[0];
    let json = serde_json::to_value(s).unwrap();
    assert_eq!(json["key"], "family");
    assert_eq!(&serde_json::from_value::<AreaScore>(json).unwrap(), s);
    let unknown = serde_json::json!({"key": "nope", "score": 0.5, "cues": []});
    assert!(serde_json::from_value::<AreaScore>(unknown).is_err());
}
