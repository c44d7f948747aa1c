use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const TODAY: &str = "2025-03-10"; // a Monday

fn t(text: &str) -> Triage {
    triage(text, &[], d(TODAY))
}

fn has(tr: &Triage, pred: impl Fn(&UrgencyReason) -> bool) -> bool {
    tr.reasons.iter().any(pred)
}

/// (text, expected reason kind, expected level)
const TRIGGERS: &[(&str, &str, Urgency)] = &[
    (
        "My son was arrested last night.",
        "in_custody",
        Urgency::Urgent,
    ),
    (
        "my husband is in jail right now",
        "in_custody",
        Urgency::Urgent,
    ),
    (
        "The police took my brother into custody.",
        "in_custody",
        Urgency::Urgent,
    ),
    (
        "He's locked up at the county jail.",
        "in_custody",
        Urgency::Urgent,
    ),
    ("No, he was arrested.", "in_custody", Urgency::Urgent),
    (
        "I'm not sure, but I think he was arrested.",
        "in_custody",
        Urgency::Urgent,
    ),
    (
        "ICE detained my husband this morning.",
        "immigration_detention",
        Urgency::Urgent,
    ),
    (
        "my mother was picked up by immigration",
        "immigration_detention",
        Urgency::Urgent,
    ),
    (
        "She's in an ICE detention center in Tacoma.",
        "immigration_detention",
        Urgency::Urgent,
    ),
    (
        "He's being deported tomorrow.",
        "immigration_detention",
        Urgency::Urgent,
    ),
    (
        "I was served with papers yesterday.",
        "deadline_soon",
        Urgency::Urgent,
    ),
    (
        "I got a summons for a lawsuit.",
        "deadline_soon",
        Urgency::Urgent,
    ),
    (
        "I have to respond by Friday.",
        "deadline_soon",
        Urgency::Urgent,
    ),
    (
        "I'm worried about the statute of limitations.",
        "deadline_soon",
        Urgency::Soon,
    ),
    (
        "The foreclosure sale is next week.",
        "foreclosure_or_garnishment",
        Urgency::Urgent,
    ),
    (
        "They're auctioning off my house.",
        "foreclosure_or_garnishment",
        Urgency::Urgent,
    ),
    (
        "They started garnishing my wages.",
        "foreclosure_or_garnishment",
        Urgency::Urgent,
    ),
    (
        "The bank froze my account.",
        "foreclosure_or_garnishment",
        Urgency::Urgent,
    ),
    (
        "I'm behind on my mortgage and they sent a foreclosure letter.",
        "foreclosure_or_garnishment",
        Urgency::Soon,
    ),
    (
        "My landlord changed the locks.",
        "eviction_lockout",
        Urgency::Urgent,
    ),
    (
        "The sheriff is coming tomorrow to put us out.",
        "eviction_lockout",
        Urgency::Urgent,
    ),
    (
        "I got an eviction notice.",
        "eviction_lockout",
        Urgency::Soon,
    ),
    (
        "My husband hit me last night.",
        "domestic_violence",
        Urgency::Emergency,
    ),
    ("he hit me", "domestic_violence", Urgency::Emergency),
    (
        "My boyfriend beats me.",
        "domestic_violence",
        Urgency::Emergency,
    ),
    (
        "He choked me and I left.",
        "domestic_violence",
        Urgency::Emergency,
    ),
    (
        "My ex keeps stalking me.",
        "domestic_violence",
        Urgency::Emergency,
    ),
    (
        "She threatened to kill me.",
        "domestic_violence",
        Urgency::Emergency,
    ),
    (
        "He threatened me again today.",
        "domestic_violence",
        Urgency::Emergency,
    ),
    (
        "I'm in an abusive relationship.",
        "domestic_violence",
        Urgency::Emergency,
    ),
    (
        "My first husband abused me years ago.",
        "domestic_violence",
        Urgency::Urgent,
    ),
    ("I'm scared for my safety.", "danger", Urgency::Emergency),
    (
        "He's outside my door right now.",
        "danger",
        Urgency::Emergency,
    ),
    ("He has a gun.", "danger", Urgency::Emergency),
    ("I don't feel safe at home.", "danger", Urgency::Emergency),
    (
        "He said he's going to kill me.",
        "danger",
        Urgency::Emergency,
    ),
    ("I want to kill myself.", "self_harm", Urgency::Emergency),
    (
        "Sometimes I don't want to live anymore.",
        "self_harm",
        Urgency::Emergency,
    ),
    (
        "I'm not suicidal, I just need help.",
        "self_harm",
        Urgency::Emergency,
    ),
    (
        "I need a restraining order.",
        "protective_order_needed",
        Urgency::Urgent,
    ),
    (
        "I want to get a protective order against him.",
        "protective_order_needed",
        Urgency::Urgent,
    ),
    (
        "My ex took my kids and won't bring them back.",
        "child_custody_emergency",
        Urgency::Urgent,
    ),
    (
        "She left the state with our daughter.",
        "child_custody_emergency",
        Urgency::Urgent,
    ),
    (
        "CPS took my children yesterday.",
        "child_custody_emergency",
        Urgency::Urgent,
    ),
];

fn kind(r: &UrgencyReason) -> String {
    match serde_json::to_value(r).unwrap() {
        serde_json::Value::String(s) => s,
        serde_json::Value::Object(m) => m.keys().next().unwrap().clone(),
        other => panic!("{other}"),
    }
}

#[test]
fn triggers() {
    for (text, reason, level) in TRIGGERS {
        let tr = t(text);
        assert!(
            tr.reasons.iter().any(|r| kind(r) == *reason),
            "{text}: expected {reason}, got {:?}",
            tr.reasons
        );
        assert_eq!(tr.level, *level, "{text}: {:?}", tr.reasons);
    }
}

const NON_TRIGGERS: &[&str] = &[
    "He was never arrested.",
    "My son has not been arrested.",
    "He was arrested years ago and I want it expunged.",
    "He was arrested but he's out on bail now.",
    "No court date yet.",
    "There's no hearing scheduled.",
    "I don't have a court date.",
    "I haven't been served with anything.",
    "There's no deadline that I know of.",
    "We are not in foreclosure.",
    "They haven't garnished my wages.",
    "I haven't gotten an eviction notice.",
    "He never hit me.",
    "He has never been abusive.",
    "A truck hit me at the intersection.",
    "The other driver hit me from behind.",
    "I slipped on ice at the store.",
    "My collector threatened to sue me.",
    "My boss threatened to fire me.",
    "He has a history of drug abuse.",
    "I'm not in danger.",
    "I was in a car accident and hurt my back.",
    "I want to update my will.",
    "I was fired last month.",
    "I use a hearing aid since the accident.",
    "I'm on a free trial of the software.",
    "My dad passed away and left a house.",
    "I was in a car accident and the other driver hit me pretty hard.",
    "My husband and I are divorcing, he hasn't hurt me or anything.",
    "I got a DUI two years ago and want it off my record.",
    "He's not in jail anymore.",
    "Nobody has been arrested.",
    "I'm not in any danger, I just need a divorce.",
];

#[test]
fn non_triggers() {
    for text in NON_TRIGGERS {
        let tr = t(text);
        assert_eq!(tr.level, Urgency::Routine, "{text}: {:?}", tr.reasons);
        assert!(tr.reasons.is_empty() && tr.say.is_empty(), "{text}");
    }
}

#[test]
fn hearing_dates_use_the_window() {
    let today = d(TODAY);
    let cases = [
        (
            "My court date is March 12.",
            vec![d("2025-03-12")],
            Some(Urgency::Urgent),
        ),
        (
            "The hearing is on the 17th.",
            vec![d("2025-03-17")],
            Some(Urgency::Urgent),
        ),
        (
            "His arraignment is on April 1.",
            vec![d("2025-04-01")],
            Some(Urgency::Soon),
        ),
        ("The trial is in June.", vec![d("2025-06-15")], None),
        ("The hearing was last month.", vec![d("2025-02-10")], None),
        ("I have court tomorrow.", vec![], Some(Urgency::Urgent)),
        ("The hearing is today at 2.", vec![], Some(Urgency::Urgent)),
        (
            "I had a car accident on March 12.",
            vec![d("2025-03-12")],
            None,
        ),
        (
            "There's no court date, the accident was March 12.",
            vec![d("2025-03-12")],
            None,
        ),
    ];
    for (text, dates, expected) in cases {
        let tr = triage(text, &dates, today);
        let hearing = tr
            .reasons
            .iter()
            .find(|r| matches!(r, UrgencyReason::HearingSoon { .. }));
        match expected {
            Some(level) => {
                assert!(hearing.is_some(), "{text}: {:?}", tr.reasons);
                assert_eq!(tr.level, level, "{text}");
            }
            None => assert!(hearing.is_none(), "{text}: {:?}", tr.reasons),
        }
    }
    let tr = triage("I have court tomorrow", &[], today);
    assert!(tr.reasons.contains(&UrgencyReason::HearingSoon {
        date: d("2025-03-11")
    }));
}

#[test]
fn deadline_dates() {
    let today = d(TODAY);
    let tr = triage(
        "The deadline to respond is March 14.",
        &[d("2025-03-14")],
        today,
    );
    assert_eq!(tr.level, Urgency::Urgent);
    assert!(tr.reasons.contains(&UrgencyReason::DeadlineSoon {
        date: Some(d("2025-03-14"))
    }));
    let tr = triage("There's a deadline on April 2.", &[d("2025-04-02")], today);
    assert_eq!(tr.level, Urgency::Soon);
    let tr = triage("I was served with divorce papers.", &[], today);
    assert!(
        tr.reasons
            .contains(&UrgencyReason::DeadlineSoon { date: None })
    );
    assert!(has(&tr, |r| matches!(
        r,
        UrgencyReason::DeadlineSoon { .. }
    )));
}

#[test]
fn safety_lines() {
    let dv = t("My husband hit me.");
    assert_eq!(dv.say, vec![SAY_911, SAY_DV_HOTLINE]);
    let sh = t("I want to end my life.");
    assert_eq!(sh.say, vec![SAY_911, SAY_988]);
    let po = t("I need a protective order.");
    assert_eq!(po.say, vec![SAY_911, SAY_DV_HOTLINE]);
    assert!(t("My son was arrested.").say.is_empty());
    assert!(SAY_DV_HOTLINE.contains("1-800-799-7233") && SAY_DV_HOTLINE.contains("START to 88788"));
    for line in [SAY_911, SAY_988, SAY_DV_HOTLINE] {
        assert_eq!(
            crate::guardrail::check_utterance(line),
            crate::guardrail::Verdict::Allow,
            "{line}"
        );
    }
    // Every emergency tells the caller to call 911.
    for (text, _, level) in TRIGGERS {
        if *level == Urgency::Emergency {
            assert_eq!(
                t(text).say.first().map(String::as_str),
                Some(SAY_911),
                "{text}"
            );
        }
    }
}

#[test]
fn several_reasons_at_once() {
    let tr = t("He was arrested for hitting me and I need a restraining order.");
    assert!(tr.reasons.contains(&UrgencyReason::InCustody));
    assert!(tr.reasons.contains(&UrgencyReason::ProtectiveOrderNeeded));
    assert_eq!(tr.level, Urgency::Urgent);
}

#[test]
fn merge_accumulates() {
    let a = t("My son was arrested.");
    let b = t("Also my husband hit me.");
    let m = merge(&a, &b);
    assert_eq!(m.level, Urgency::Emergency);
    assert_eq!(m.reasons[0], UrgencyReason::InCustody);
    assert!(m.reasons.contains(&UrgencyReason::DomesticViolence));
    assert_eq!(m.say, vec![SAY_911, SAY_DV_HOTLINE]);
    let c = t("I want to hurt myself.");
    let m2 = merge(&m, &c);
    assert_eq!(m2.say, vec![SAY_911, SAY_988, SAY_DV_HOTLINE]);
    // Idempotent and order of levels respected.
    assert_eq!(merge(&m2, &m2), m2);
    assert_eq!(merge(&Triage::default(), &a), a);
    assert!(Urgency::Emergency > Urgency::Urgent && Urgency::Urgent > Urgency::Soon);
    assert!(Urgency::Soon > Urgency::Routine);
}

#[test]
fn serde_shape() {
    let tr = triage("Court is tomorrow", &[], d(TODAY));
    let json = serde_json::to_value(&tr).unwrap();
    assert_eq!(json["level"], "urgent");
    assert_eq!(json["reasons"][0]["hearing_soon"]["date"], "2025-03-11");
    assert_eq!(serde_json::from_value::<Triage>(json).unwrap(), tr);
}
