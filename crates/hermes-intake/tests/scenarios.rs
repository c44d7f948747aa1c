//! Scripted conversations through the dialogue engine, with the world
//! around it (conflict checks, the scheduler, bookings) played by a small
//! deterministic harness. Each scenario asserts the final intake and that
//! nothing the agent said gives legal advice.

use chrono::{DateTime, TimeZone, Utc};
use hermes_intake::dialogue::{Action, AfterHours, Engine, Event, Firm, SlotOption};
use hermes_intake::guardrail::{self, Verdict};
use hermes_intake::record::{IntakeStatus, MatterParty};
use hermes_intake::urgency::Urgency;

fn firm() -> Firm {
    Firm {
        name: "Smith and Jones".into(),
        tz: chrono_tz::America::Chicago,
        state: Some("OR".into()),
        areas: [
            ("personal_injury", "Personal injury"),
            ("family", "Family law"),
            ("criminal_defense", "Criminal defense"),
            ("estate_planning", "Estate planning"),
            ("immigration", "Immigration"),
            ("employment", "Employment"),
            ("bankruptcy", "Bankruptcy"),
        ]
        .iter()
        .map(|(k, n)| (k.to_string(), n.to_string()))
        .collect(),
        question_sets: hermes_intake::questions::default_sets(),
        open_now: true,
        after_hours: AfterHours::Book,
    }
}

/// The firm's existing clients, for the harness's conflict check.
const CLIENTS: [&str; 2] = ["William Turner", "Acme Trucking"];

struct Run {
    engine: Engine,
    said: Vec<String>,
    actions: Vec<Action>,
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 16, 0, 0).unwrap()
}

fn world(
    engine: &mut Engine,
    at: DateTime<Utc>,
    actions: Vec<Action>,
    run_said: &mut Vec<String>,
    log: &mut Vec<Action>,
) {
    let mut queue = actions;
    while !queue.is_empty() {
        let mut next = Vec::new();
        for a in queue {
            log.push(a.clone());
            let event = match &a {
                Action::Say { text } => {
                    run_said.push(text.clone());
                    None
                }
                Action::CheckConflicts { parties } => Some(conflict(parties)),
                Action::FindOffers { .. } => Some(Event::OffersFound {
                    options: vec![
                        SlotOption {
                            id: "a".into(),
                            spoken: "Tuesday, December 1st at 10 in the morning, Central time"
                                .into(),
                        },
                        SlotOption {
                            id: "b".into(),
                            spoken: "Wednesday, December 2nd at 2 in the afternoon, Central time"
                                .into(),
                        },
                        SlotOption {
                            id: "c".into(),
                            spoken: "Thursday, December 3rd at 9 in the morning, Central time"
                                .into(),
                        },
                    ],
                    matched_preference: true,
                }),
                Action::Hold { .. } => Some(Event::Held { ok: true }),
                Action::Book { review_id, .. } => Some(Event::Booked {
                    id: "booking-1".into(),
                    tentative: review_id.is_some(),
                }),
                _ => None,
            };
            if let Some(e) = event {
                next.extend(engine.on_event(at, e));
            }
        }
        queue = next;
    }
}

fn conflict(parties: &[MatterParty]) -> Event {
    let hit = parties
        .iter()
        .any(|p| p.role == "adverse" && CLIENTS.iter().any(|c| c.eq_ignore_ascii_case(&p.name)));
    if hit {
        Event::ConflictChecked {
            status: "conflict".into(),
            review_id: Some("review-1".into()),
        }
    } else {
        Event::ConflictChecked {
            status: "clear".into(),
            review_id: None,
        }
    }
}

fn run(script: &[&str]) -> Run {
    let mut engine = Engine::new(firm());
    let (mut said, mut log) = (Vec::new(), Vec::new());
    let at = now();
    let first = engine.on_event(at, Event::Start);
    world(&mut engine, at, first, &mut said, &mut log);
    for line in script {
        if engine.is_done() {
            break;
        }
        let actions = engine.on_event(
            at,
            Event::Caller {
                text: (*line).to_owned(),
            },
        );
        world(&mut engine, at, actions, &mut said, &mut log);
    }
    for s in &said {
        assert_eq!(
            guardrail::check_utterance(s),
            Verdict::Allow,
            "the agent said: {s}"
        );
    }
    Run {
        engine,
        said,
        actions: log,
    }
}

fn said(r: &Run, needle: &str) -> bool {
    r.said
        .iter()
        .any(|s| s.to_lowercase().contains(&needle.to_lowercase()))
}

#[test]
fn opening_discloses_before_anything_else() {
    let r = run(&["I need a lawyer right now"]);
    assert!(r.said[0].contains("Smith and Jones"));
    assert!(r.said[0].contains("not a lawyer"));
    assert!(r.said[0].contains("attorney-client relationship"));
    assert!(said(&r, "record this call"));
}

#[test]
fn a_clean_family_intake_books_a_consultation() {
    let mut script = vec![
        "yes that's fine",
        "my name is Maria Lopez",
        "L-O-P-E-Z",
        "five oh three five five five zero one zero zero",
        "yes",
        "maria dot lopez at gmail dot com",
        "yes",
        "for myself",
        "I want to file for divorce from my husband",
        "yes",
    ];
    // Whatever the family question set asks, answer plainly, then pick the
    // first slot.
    script.extend(std::iter::repeat_n("I don't know", 0));
    let mut r = run(&script);
    let mut guard = 0;
    while !r.engine.is_done() && guard < 40 {
        guard += 1;
        let stage = r.engine.stage_name();
        let answer = match stage {
            "conflict_check" => "Carlos Lopez",
            "facts" => "yes",
            "scheduling" => "the first one",
            "wrap_up" => "no that's all",
            other => panic!("unexpected stage {other}: {:?}", r.said.last()),
        };
        let actions = r.engine.on_event(
            now(),
            Event::Caller {
                text: answer.into(),
            },
        );
        let (mut s, mut l) = (Vec::new(), Vec::new());
        world(&mut r.engine, now(), actions, &mut s, &mut l);
        r.said.extend(s);
        r.actions.extend(l);
    }
    let i = &r.engine.intake;
    assert_eq!(i.field("name"), Some("Maria Lopez"));
    assert_eq!(i.field("phone"), Some("+15035550100"));
    assert_eq!(i.field("email"), Some("maria.lopez@gmail.com"));
    assert_eq!(i.practice_area.as_deref(), Some("family"));
    assert_eq!(i.recording_consent, Some(true));
    assert_eq!(i.conflict.as_ref().unwrap().status, "clear");
    assert!(
        i.parties
            .iter()
            .any(|p| p.name == "Carlos Lopez" && p.role == "adverse")
    );
    let b = i.booking.as_ref().expect("booked");
    assert!(!b.tentative);
    assert!(b.spoken.starts_with("Tuesday"));
    assert!(matches!(
        i.status,
        IntakeStatus::Completed | IntakeStatus::NeedsReview
    ));
    for s in &r.said {
        assert_eq!(guardrail::check_utterance(s), Verdict::Allow, "{s}");
    }
}

#[test]
fn a_potential_conflict_stops_fact_taking_without_saying_why() {
    let mut r = run(&[
        "yes",
        "Jane Roe",
        "R O E",
        "503 555 0142",
        "yes",
        "no",
        "yes",
        "myself",
        "I was rear-ended in a car accident",
        "yes",
    ]);
    // Name the firm's own client as the other side.
    let actions = r.engine.on_event(
        now(),
        Event::Caller {
            text: "William Turner".into(),
        },
    );
    let (mut s, mut l) = (Vec::new(), Vec::new());
    world(&mut r.engine, now(), actions, &mut s, &mut l);
    let mut guard = 0;
    while r.engine.stage_name() == "conflict_check" && guard < 10 {
        guard += 1;
        let actions = r.engine.on_event(
            now(),
            Event::Caller {
                text: "no one else".into(),
            },
        );
        world(&mut r.engine, now(), actions, &mut s, &mut l);
    }
    r.said.extend(s);
    let i = &r.engine.intake;
    assert_eq!(i.conflict.as_ref().unwrap().status, "conflict");
    assert!(i.booking.is_none());
    assert!(said(&r, "follow up with you personally"));
    assert!(!said(&r, "conflict of interest with"), "never says why");
    assert_eq!(r.engine.stage_name(), "wrap_up");
}

#[test]
fn legal_questions_are_refused_and_the_intake_goes_on() {
    let r = run(&["yes", "do I have a case?", "Maria Lopez"]);
    assert!(said(&r, guardrail::REFUSAL));
    assert_eq!(r.engine.intake.field("name"), Some("Maria Lopez"));
}

#[test]
fn a_person_is_honoured_at_any_point() {
    let r = run(&["yes", "I want to talk to a real person"]);
    assert!(
        r.actions
            .iter()
            .any(|a| matches!(a, Action::TransferToPerson))
    );
    assert_eq!(r.engine.intake.status, IntakeStatus::NeedsReview);
}

#[test]
fn danger_is_triaged_at_once() {
    let r = run(&[
        "yes",
        "my husband hit me and I'm scared he'll come back tonight",
    ]);
    assert!(said(&r, "911"));
    assert!(r.engine.intake.urgency >= Urgency::Urgent);
    assert!(
        r.actions
            .iter()
            .any(|a| matches!(a, Action::Escalate { .. }))
    );
}

#[test]
fn silence_twice_abandons_with_what_was_said() {
    let mut r = run(&["yes", "Maria Lopez"]);
    r.engine.on_event(now(), Event::Silence);
    let last = r.engine.on_event(now(), Event::Silence);
    assert!(last.iter().any(|a| matches!(
        a,
        Action::End {
            status: IntakeStatus::Abandoned
        }
    )));
    assert_eq!(r.engine.intake.field("name"), Some("Maria Lopez"));
}

#[test]
fn an_unsupported_matter_is_declined_with_a_referral() {
    let mut f = firm();
    f.areas.retain(|(k, _)| k == "family");
    let mut engine = Engine::new(f);
    let (mut s, mut l) = (Vec::new(), Vec::new());
    let a = engine.on_event(now(), Event::Start);
    world(&mut engine, now(), a, &mut s, &mut l);
    for line in [
        "no",
        "Maria Lopez",
        "L O P E Z",
        "5035550100",
        "yes",
        "no",
        "yes",
        "myself",
        "I was charged with a DUI last night",
    ] {
        let a = engine.on_event(now(), Event::Caller { text: line.into() });
        world(&mut engine, now(), a, &mut s, &mut l);
    }
    assert_eq!(engine.intake.status, IntakeStatus::Declined, "{s:#?}");
    assert!(s.iter().any(|x| x.contains("Referral")), "{s:#?}");
    assert_eq!(engine.intake.recording_consent, Some(false));
}

// --- more scenarios, driven to the end -----------------------------------------

/// Runs `opening`, then answers every later question the way a cooperative
/// caller would: `party` for conflict questions, `fact` for facts, the
/// first offered slot, "no" at the wrap-up.
fn converse(f: Firm, at: DateTime<Utc>, opening: &[&str], party: &str, fact: &str) -> Run {
    let mut engine = Engine::new(f);
    let (mut said, mut log) = (Vec::new(), Vec::new());
    let a = engine.on_event(at, Event::Start);
    world(&mut engine, at, a, &mut said, &mut log);
    let feed = |engine: &mut Engine, text: &str, said: &mut Vec<String>, log: &mut Vec<Action>| {
        let a = engine.on_event(
            at,
            Event::Caller {
                text: text.to_owned(),
            },
        );
        world(engine, at, a, said, log);
    };
    for line in opening {
        if engine.is_done() {
            break;
        }
        feed(&mut engine, line, &mut said, &mut log);
    }
    for _ in 0..80 {
        if engine.is_done() {
            break;
        }
        let last = said.last().cloned().unwrap_or_default();
        let answer = match engine.stage_name() {
            "conflict_check" => party,
            "facts" => fact,
            "scheduling" if last.contains("Which") || last.contains("options") => "the first one",
            "scheduling" => "as soon as possible",
            "wrap_up" => "no, that's everything",
            other => panic!("stuck at {other}: {said:#?}"),
        };
        feed(&mut engine, answer, &mut said, &mut log);
    }
    assert!(engine.is_done(), "{said:#?}");
    for s in &said {
        assert_eq!(
            guardrail::check_utterance(s),
            Verdict::Allow,
            "the agent said: {s}"
        );
    }
    Run {
        engine,
        said,
        actions: log,
    }
}

const WHO: [&str; 8] = [
    "yes",
    "my name is Maria Lopez",
    "L-O-P-E-Z",
    "503 555 0100",
    "yes",
    "no",
    "yes",
    "myself",
];

fn with_topic(topic: &'static str) -> Vec<&'static str> {
    let mut v = WHO.to_vec();
    v.push(topic);
    v.push("yes");
    v
}

fn escalated(r: &Run) -> bool {
    r.actions
        .iter()
        .any(|a| matches!(a, Action::Escalate { .. }))
}

#[test]
fn each_standard_area_runs_to_a_booking() {
    for (topic, area) in [
        (
            "I was rear-ended in a car accident last month",
            "personal_injury",
        ),
        ("I want to get divorced", "family"),
        (
            "I was charged with shoplifting and need a defense lawyer",
            "criminal_defense",
        ),
        (
            "I want to make a will and set up a trust for my kids",
            "estate_planning",
        ),
        (
            "I need help applying for a green card through my wife",
            "immigration",
        ),
        (
            "my employer fired me after I complained about unpaid overtime wages",
            "employment",
        ),
        (
            "I'm drowning in credit card debt and thinking about chapter 7 bankruptcy",
            "bankruptcy",
        ),
    ] {
        let r = converse(
            firm(),
            now(),
            &with_topic(topic),
            "Pat Smith",
            "I don't know",
        );
        let i = &r.engine.intake;
        assert_eq!(
            i.practice_area.as_deref(),
            Some(area),
            "{topic}: {:#?}",
            r.said
        );
        assert_eq!(i.conflict.as_ref().unwrap().status, "clear", "{topic}");
        assert!(i.booking.is_some(), "{topic}: {:#?}", r.said);
        assert!(i.parties.iter().any(|p| p.name == "Pat Smith"), "{topic}");
        assert_eq!(i.field("name"), Some("Maria Lopez"));
    }
}

#[test]
fn a_firm_client_on_the_other_side_of_an_accident_is_a_conflict() {
    let r = converse(
        firm(),
        now(),
        &with_topic("a truck hit my car on the highway"),
        "Acme Trucking",
        "yes",
    );
    let i = &r.engine.intake;
    assert_eq!(i.conflict.as_ref().unwrap().status, "conflict");
    assert!(i.booking.is_none());
    assert_eq!(i.status, IntakeStatus::NeedsReview);
    // No fact question was asked after the check.
    let check_at = r
        .said
        .iter()
        .position(|s| s.contains("check that"))
        .unwrap();
    assert!(
        !r.said[check_at..]
            .iter()
            .any(|s| s.contains("When did") || s.contains("injur")),
        "{:#?}",
        r.said
    );
}

#[test]
fn the_name_can_be_spelled_with_nato_words_and_the_number_given_in_words() {
    let r = run(&[
        "sure",
        "it's Maria Lopes",
        "lima oscar papa echo zulu",
        "five oh three, five five five, zero one zero zero",
        "that's right",
    ]);
    let i = &r.engine.intake;
    assert_eq!(i.field("name"), Some("Maria Lopez"));
    assert_eq!(i.field("phone"), Some("+15035550100"));
    assert!(i.fields["phone"].confidence >= 0.95);
}

#[test]
fn a_wrong_number_read_back_is_corrected() {
    let r = run(&[
        "yes",
        "Maria Lopez",
        "L O P E Z",
        "503 555 0100",
        "no, it's 0199 at the end",
        "yes",
    ]);
    assert_eq!(r.engine.intake.field("phone"), Some("+15035550199"));
    assert_eq!(r.engine.stage_name(), "email");
}

#[test]
fn a_correction_later_in_the_call_updates_the_number() {
    let r = run(&[
        "yes",
        "Maria Lopez",
        "L O P E Z",
        "503 555 0100",
        "yes",
        "actually the number is wrong, it's 502 not 503",
    ]);
    assert_eq!(r.engine.intake.field("phone"), Some("+15025550100"));
    assert!(said(&r, "corrected your number"));
}

#[test]
fn a_spoken_email_is_understood_and_read_back() {
    let r = run(&[
        "yes",
        "Maria Lopez",
        "L O P E Z",
        "503 555 0100",
        "yes",
        "maria underscore lopez at outlook dot com",
    ]);
    assert_eq!(
        r.engine.intake.field("email"),
        Some("maria_lopez@outlook.com")
    );
    assert!(said(&r, "maria_lopez@outlook.com"));
}

#[test]
fn a_name_not_understood_twice_is_flagged_and_the_call_moves_on() {
    let r = run(&["yes", "uh", "hmm"]);
    assert!(r.engine.intake.fields["name"].flagged);
    assert_eq!(r.engine.stage_name(), "phone");
}

#[test]
fn recording_consent_unclear_twice_means_no_recording() {
    let r = run(&["what?", "hmm"]);
    assert_eq!(r.engine.intake.recording_consent, Some(false));
    assert!(
        r.actions
            .iter()
            .any(|a| matches!(a, Action::SetRecording { on: false }))
    );
    assert!(
        !r.actions
            .iter()
            .any(|a| matches!(a, Action::SetRecording { on: true }))
    );
}

#[test]
fn voicemail_unknown_means_no_messages() {
    let r = run(&[
        "yes",
        "Maria Lopez",
        "L O P E Z",
        "503 555 0100",
        "yes",
        "no",
        "hmm",
        "um",
    ]);
    assert_eq!(r.engine.intake.field("voicemail_ok"), Some("no"));
    assert!(r.engine.intake.fields["voicemail_ok"].flagged);
}

#[test]
fn a_caller_for_someone_else_is_recorded_as_such() {
    let mut script = WHO.to_vec();
    script[7] = "I'm calling on behalf of my mother";
    let r = run(&script);
    assert_eq!(
        r.engine.intake.field("for_whom"),
        Some("I'm calling on behalf of my mother")
    );
}

#[test]
fn advice_is_refused_however_it_is_asked() {
    for q in [
        "should I sign the settlement papers?",
        "will I go to jail for this?",
        "how much is my case worth?",
        "what are my rights here?",
        "is it legal for my landlord to do that?",
    ] {
        let r = run(&["yes", q, "Maria Lopez"]);
        assert!(said(&r, "can't give legal advice"), "{q}: {:#?}", r.said);
        assert_eq!(r.engine.intake.field("name"), Some("Maria Lopez"), "{q}");
    }
}

#[test]
fn someone_in_custody_is_escalated() {
    let r = run(&with_topic("my son was arrested last night and is in jail"));
    assert!(escalated(&r), "{:#?}", r.said);
    assert!(r.engine.intake.urgency >= Urgency::Urgent);
    assert_eq!(
        r.engine.intake.practice_area.as_deref(),
        Some("criminal_defense")
    );
}

#[test]
fn a_hearing_tomorrow_is_urgent() {
    let r = run(&with_topic(
        "I have a custody hearing tomorrow and no lawyer",
    ));
    assert!(escalated(&r), "{:#?}", r.said);
}

#[test]
fn a_foreclosure_sale_next_week_is_urgent() {
    let r = run(&with_topic(
        "the bank scheduled a foreclosure sale of my house for next week",
    ));
    assert!(escalated(&r), "{:#?}", r.said);
}

#[test]
fn immigration_detention_is_escalated() {
    let r = run(&with_topic("my husband was detained by ICE this morning"));
    assert!(escalated(&r), "{:#?}", r.said);
}

#[test]
fn self_harm_gets_988() {
    let r = run(&["yes", "honestly I just want to kill myself"]);
    assert!(said(&r, "988"), "{:#?}", r.said);
}

#[test]
fn after_hours_a_person_request_becomes_a_callback() {
    let mut f = firm();
    f.open_now = false;
    let mut engine = Engine::new(f);
    let (mut s, mut l) = (Vec::new(), Vec::new());
    let a = engine.on_event(now(), Event::Start);
    world(&mut engine, now(), a, &mut s, &mut l);
    let a = engine.on_event(
        now(),
        Event::Caller {
            text: "can I speak to a real person".into(),
        },
    );
    world(&mut engine, now(), a, &mut s, &mut l);
    assert!(!l.iter().any(|a| matches!(a, Action::TransferToPerson)));
    assert!(s.iter().any(|x| x.contains("calls you back")), "{s:#?}");
    assert_eq!(engine.intake.status, IntakeStatus::NeedsReview);
}

#[test]
fn after_hours_with_take_message_nothing_is_booked() {
    let mut f = firm();
    f.open_now = false;
    f.after_hours = AfterHours::TakeMessage;
    let r = converse(
        f,
        now(),
        &with_topic("I want to get divorced"),
        "Pat Smith",
        "I don't know",
    );
    assert!(r.engine.intake.booking.is_none());
    assert!(
        r.said.iter().any(|s| s.contains("office is closed")),
        "{:#?}",
        r.said
    );
    assert!(
        !r.actions
            .iter()
            .any(|a| matches!(a, Action::FindOffers { .. }))
    );
}

#[test]
fn after_hours_with_book_the_caller_books() {
    let mut f = firm();
    f.open_now = false;
    f.after_hours = AfterHours::Book;
    let r = converse(
        f,
        now(),
        &with_topic("I want to get divorced"),
        "Pat Smith",
        "I don't know",
    );
    assert!(r.engine.intake.booking.is_some());
}

#[test]
fn a_hang_up_mid_call_is_abandoned_with_everything_said() {
    let mut r = run(&["yes", "Maria Lopez", "L O P E Z", "503 555 0100"]);
    let a = r.engine.on_event(now(), Event::HungUp);
    assert!(a.iter().any(|x| matches!(
        x,
        Action::End {
            status: IntakeStatus::Abandoned
        }
    )));
    assert_eq!(r.engine.intake.field("phone"), Some("+15035550100"));
    assert!(
        r.engine
            .on_event(
                now(),
                Event::Caller {
                    text: "hello?".into()
                }
            )
            .is_empty()
    );
}

#[test]
fn one_silence_prompts_and_the_call_goes_on() {
    let mut r = run(&["yes"]);
    let a = r.engine.on_event(now(), Event::Silence);
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Say { text } if text.contains("still there")))
    );
    let (mut s, mut l) = (Vec::new(), Vec::new());
    let a = r.engine.on_event(
        now(),
        Event::Caller {
            text: "Maria Lopez".into(),
        },
    );
    world(&mut r.engine, now(), a, &mut s, &mut l);
    assert_eq!(r.engine.intake.field("name"), Some("Maria Lopez"));
    // A silence after speech starts the count again.
    let a = r.engine.on_event(now(), Event::Silence);
    assert!(!a.iter().any(|x| matches!(x, Action::End { .. })));
}

#[test]
fn a_taken_slot_offers_again() {
    let mut r = run(&with_topic("I want to get divorced"));
    // Walk to scheduling.
    for _ in 0..40 {
        if r.engine.stage_name() == "scheduling" {
            break;
        }
        let answer = if r.engine.stage_name() == "conflict_check" {
            "Pat Smith"
        } else {
            "I don't know"
        };
        let (mut s, mut l) = (Vec::new(), Vec::new());
        let a = r.engine.on_event(
            now(),
            Event::Caller {
                text: answer.into(),
            },
        );
        world(&mut r.engine, now(), a, &mut s, &mut l);
    }
    let a = r.engine.on_event(
        now(),
        Event::Caller {
            text: "mornings".into(),
        },
    );
    assert!(
        a.iter().any(
            |x| matches!(x, Action::FindOffers { preference, .. } if preference == "mornings")
        )
    );
    let offers = Event::OffersFound {
        options: vec![SlotOption {
            id: "a".into(),
            spoken: "Tuesday at 9".into(),
        }],
        matched_preference: true,
    };
    r.engine.on_event(now(), offers);
    let a = r.engine.on_event(
        now(),
        Event::Caller {
            text: "yes, that one".into(),
        },
    );
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Hold { option } if option == "a"))
    );
    let a = r.engine.on_event(now(), Event::Held { ok: false });
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Say { text } if text.contains("just taken")))
    );
    assert_eq!(r.engine.stage_name(), "scheduling");
}

#[test]
fn the_engine_state_survives_a_round_trip_mid_call() {
    let r = run(&["yes", "Maria Lopez"]);
    let json = serde_json::to_value(&r.engine).unwrap();
    let mut back: Engine = serde_json::from_value(json).unwrap();
    let a = back.on_event(
        now(),
        Event::Caller {
            text: "L O P E Z".into(),
        },
    );
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Say { text } if text.contains("phone number")))
    );
    assert_eq!(back.intake.field("name"), Some("Maria Lopez"));
}

#[test]
fn talking_to_someone_about_the_matter_is_not_a_transfer_request() {
    let mut script = WHO.to_vec();
    script.push("I want to talk to someone about my divorce");
    let r = run(&script);
    assert!(
        !r.actions
            .iter()
            .any(|a| matches!(a, Action::TransferToPerson)),
        "{:#?}",
        r.said
    );
    assert!(said(&r, "family law"), "{:#?}", r.said);
    // An explicit ask is still honoured at the same step.
    let mut script = WHO.to_vec();
    script.push("I want to talk to a real person about my divorce");
    let r = run(&script);
    assert!(
        r.actions
            .iter()
            .any(|a| matches!(a, Action::TransferToPerson))
    );
}
