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
