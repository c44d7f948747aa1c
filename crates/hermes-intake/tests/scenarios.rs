//! Scripted conversations through the dialogue engine, with the world
//! around it (conflict checks, the scheduler, bookings) played by a small
//! deterministic harness. Each scenario asserts the final intake and that
//! nothing the agent said gives legal advice.

use chrono::{DateTime, TimeZone, Utc};
use hermes_intake::dialogue::{Action, AfterHours, Engine, Event, Firm, Readings, SlotOption};
use hermes_intake::guardrail::{self, Verdict};
use hermes_intake::reasoning::{Decision, Reading, replay};
use hermes_intake::record::{IntakeStatus, MatterParty};
use hermes_intake::urgency::{Urgency, UrgencyReason};

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
        message_only: false,
        office: None,
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
        let actions = engine.on_event(at, Event::caller(*line));
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
        let actions = r.engine.on_event(now(), Event::caller(answer));
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
    // Texts were agreed to and an email given: a confirmation by both.
    assert!(
        r.actions.iter().any(|a| matches!(
            a,
            Action::SendConfirmation {
                sms: true,
                email: true
            }
        )),
        "{:?}",
        r.actions
    );
    assert!(
        r.said
            .iter()
            .any(|s| s.contains("confirmation by text message and email"))
    );
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
    let actions = r.engine.on_event(now(), Event::caller("William Turner"));
    let (mut s, mut l) = (Vec::new(), Vec::new());
    world(&mut r.engine, now(), actions, &mut s, &mut l);
    let mut guard = 0;
    while r.engine.stage_name() == "conflict_check" && guard < 10 {
        guard += 1;
        let actions = r.engine.on_event(now(), Event::caller("no one else"));
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
fn the_keypad_reaches_a_person_and_answers_the_phone_question() {
    // 0 on its own, at any point: a person.
    let mut r = run(&["yes"]);
    let at = now();
    let actions = r.engine.on_event(at, Event::Digits { digits: "0".into() });
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::TransferToPerson))
    );
    assert_eq!(r.engine.intake.status, IntakeStatus::NeedsReview);
    assert!(
        r.engine
            .intake
            .transcript
            .iter()
            .any(|t| t.text == "[keypad] 0")
    );

    // Digits answer the phone-number question like spoken digits.
    let mut r = run(&["yes that's fine", "my name is Maria Lopez", "L-O-P-E-Z"]);
    assert_eq!(r.engine.stage_name(), "phone");
    let actions = r.engine.on_event(
        at,
        Event::Digits {
            digits: "5035550100".into(),
        },
    );
    let (mut s, mut l) = (Vec::new(), Vec::new());
    world(&mut r.engine, at, actions, &mut s, &mut l);
    assert_eq!(r.engine.intake.field("phone"), Some("+15035550100"));
    assert!(s.iter().any(|line| line.contains("5")), "{s:?}");
    // A key that is not a digit says nothing.
    let before = r.engine.intake.transcript.len();
    assert!(
        r.engine
            .on_event(
                at,
                Event::Digits {
                    digits: "#*".into()
                }
            )
            .is_empty()
    );
    assert_eq!(r.engine.intake.transcript.len(), before);
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
        let a = engine.on_event(now(), Event::caller(line));
        world(&mut engine, now(), a, &mut s, &mut l);
    }
    // Nobody is turned away on a guess: the agent confirms first.
    assert!(
        s.last()
            .unwrap()
            .contains("a criminal defense matter. Is that right?"),
        "{s:#?}"
    );
    assert_eq!(engine.intake.status, IntakeStatus::InProgress);
    let a = engine.on_event(now(), Event::caller("yes"));
    world(&mut engine, now(), a, &mut s, &mut l);
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
        let a = engine.on_event(at, Event::caller(text.to_owned()));
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
        // Texts agreed to, no email: the confirmation goes by text only.
        assert!(
            r.actions.iter().any(|a| matches!(
                a,
                Action::SendConfirmation {
                    sms: true,
                    email: false
                }
            )),
            "{topic}"
        );
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
fn a_spelling_whose_first_letters_were_lost_keeps_the_name_heard() {
    // "Lima" lost on the line: the rest of the spelling confirms "Lopez".
    let r = run(&["sure", "it's Maria Lopez", "papa echo zulu", "503 555 0100"]);
    assert_eq!(r.engine.intake.field("name"), Some("Maria Lopez"));
    // A spelling that differs elsewhere still wins.
    let r = run(&[
        "sure",
        "it's Maria Lopes",
        "lima oscar papa echo zulu",
        "503 555 0100",
    ]);
    assert_eq!(r.engine.intake.field("name"), Some("Maria Lopez"));
    // And a short family name spelled in full is taken as spelled.
    let r = run(&["sure", "it's Maria Pez", "papa echo zed", "503 555 0100"]);
    assert_eq!(r.engine.intake.field("name"), Some("Maria Pez"));
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
    let a = engine.on_event(now(), Event::caller("can I speak to a real person"));
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
    assert!(r.engine.on_event(now(), Event::caller("hello?")).is_empty());
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
    let a = r.engine.on_event(now(), Event::caller("Maria Lopez"));
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
        let a = r.engine.on_event(now(), Event::caller(answer));
        world(&mut r.engine, now(), a, &mut s, &mut l);
    }
    let a = r.engine.on_event(now(), Event::caller("mornings"));
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
    let a = r.engine.on_event(now(), Event::caller("yes, that one"));
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
    let a = back.on_event(now(), Event::caller("L O P E Z"));
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

// --- the remaining urgency triggers ----------------------------------------------

fn reasons(r: &Run) -> Vec<UrgencyReason> {
    reasons_of(&r.engine)
}

fn reasons_of(engine: &Engine) -> Vec<UrgencyReason> {
    engine
        .intake
        .triage
        .as_ref()
        .map(|t| t.reasons.clone())
        .unwrap_or_default()
}

#[test]
fn a_statute_of_limitations_about_to_run_is_escalated() {
    let r = run(&with_topic(
        "I was hurt in a crash and the statute of limitations runs out on Friday",
    ));
    assert!(
        reasons(&r)
            .iter()
            .any(|x| matches!(x, UrgencyReason::DeadlineSoon { .. })),
        "{:?}",
        reasons(&r)
    );
    assert!(escalated(&r), "{:#?}", r.said);
}

#[test]
fn a_wage_garnishment_starting_now_is_urgent() {
    let r = run(&with_topic(
        "my wages are being garnished starting this week and I can't pay rent",
    ));
    assert!(
        reasons(&r).contains(&UrgencyReason::ForeclosureOrGarnishment),
        "{:?}",
        reasons(&r)
    );
    assert!(r.engine.intake.urgency >= Urgency::Urgent);
    assert!(escalated(&r), "{:#?}", r.said);
}

#[test]
fn domestic_violence_gets_911_and_the_hotline() {
    let r = run(&with_topic(
        "my boyfriend beats me and he threatened to kill me tonight",
    ));
    assert!(said(&r, "911"), "{:#?}", r.said);
    assert!(said(&r, "1-800-799-7233"), "{:#?}", r.said);
    assert!(reasons(&r).contains(&UrgencyReason::DomesticViolence));
    assert_eq!(r.engine.intake.urgency, Urgency::Emergency);
    assert!(escalated(&r));
}

// --- several readings, one decision ---------------------------------------------

fn reading(source: &str, v: &str) -> Reading {
    Reading::new(source, Some(v.to_owned()))
}

/// Drives `engine` to the topic question with the standard caller.
fn at_topic(seed: u64) -> (Engine, Vec<String>, Vec<Action>) {
    let mut engine = Engine::new(firm()).with_seed(seed);
    let (mut s, mut l) = (Vec::new(), Vec::new());
    let a = engine.on_event(now(), Event::Start);
    world(&mut engine, now(), a, &mut s, &mut l);
    for line in WHO {
        let a = engine.on_event(now(), Event::caller(line));
        world(&mut engine, now(), a, &mut s, &mut l);
    }
    assert!(engine.wants().practice_area, "{s:#?}");
    (engine, s, l)
}

fn with_readings(text: &str, readings: Readings) -> Event {
    Event::Caller {
        text: text.into(),
        readings,
    }
}

#[test]
fn readings_find_the_area_when_no_keyword_does_and_the_trace_replays() {
    let (mut engine, mut s, mut l) = at_topic(11);
    let text = "we haven't lived together since spring and I need to sort out who keeps the kids";
    let r = Readings {
        practice_area: vec![
            reading("embedding", "family"),
            reading("llm#0", "family"),
            reading("llm#1", "family"),
            reading("llm#2", "employment"),
        ],
        ..Default::default()
    };
    let a = engine.on_event(now(), with_readings(text, r));
    world(&mut engine, now(), a, &mut s, &mut l);
    assert!(s.last().unwrap().contains("about family law"), "{s:#?}");
    let vote = engine
        .intake
        .traces
        .iter()
        .find(|t| t.decision == Decision::PracticeArea)
        .expect("a practice-area trace");
    assert_eq!(vote.choice.as_deref(), Some("family"));
    assert!(vote.confidence >= 0.6 && vote.confidence <= 1.0, "{vote:?}");
    assert!(vote.readings.iter().any(|r| r.source == "keywords"));
    // Every stored decision can be taken again from its own inputs.
    let json = serde_json::to_value(&engine.intake).unwrap();
    let back: hermes_intake::record::Intake = serde_json::from_value(json).unwrap();
    for t in &back.traces {
        assert_eq!(&replay(t), t);
    }
}

#[test]
fn a_split_reading_between_two_areas_asks_which() {
    let (mut engine, mut s, mut l) = at_topic(5);
    let r = Readings {
        practice_area: vec![
            reading("embedding", "employment"),
            reading("llm#0", "family"),
            reading("llm#1", "employment"),
            reading("llm#2", "family"),
        ],
        ..Default::default()
    };
    let a = engine.on_event(
        now(),
        with_readings("it's about my job and my marriage, it's complicated", r),
    );
    world(&mut engine, now(), a, &mut s, &mut l);
    let last = s.last().unwrap();
    assert!(last.starts_with("Is this closer to"), "{s:#?}");
    assert!(
        last.contains("family law") && last.contains("employment"),
        "{last}"
    );
    let plan = engine
        .intake
        .traces
        .iter()
        .find(|t| t.decision == Decision::NextStep)
        .expect("a plan trace");
    assert!(
        plan.choice.as_deref().unwrap().starts_with("choose:"),
        "{plan:?}"
    );
    // The caller's answer settles it.
    let a = engine.on_event(now(), Event::caller("family, the divorce"));
    world(&mut engine, now(), a, &mut s, &mut l);
    assert!(s.last().unwrap().contains("about family law"), "{s:#?}");
}

#[test]
fn an_uncertain_party_name_is_flagged_and_every_reading_is_conflict_checked() {
    let (mut engine, mut s, mut l) = at_topic(3);
    let a = engine.on_event(now(), Event::caller("I want to get divorced"));
    world(&mut engine, now(), a, &mut s, &mut l);
    let a = engine.on_event(now(), Event::caller("yes"));
    world(&mut engine, now(), a, &mut s, &mut l);
    assert!(engine.wants().party, "{s:#?}");
    let r = Readings {
        party: vec![
            reading("llm#0", "Jon Millar"),
            reading("llm#1", "John Miller"),
            reading("llm#2", "Jon Millar"),
        ],
        ..Default::default()
    };
    let a = engine.on_event(now(), with_readings("his name is John Miller", r));
    world(&mut engine, now(), a, &mut s, &mut l);
    let names: Vec<&str> = engine
        .intake
        .parties
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert!(
        names.contains(&"John Miller") && names.contains(&"Jon Millar"),
        "{names:?}"
    );
    assert!(
        engine.intake.fields.values().any(|f| f.flagged),
        "{:?}",
        engine.intake.fields
    );
    assert!(
        engine
            .intake
            .review_notes
            .iter()
            .any(|n| n.contains("uncertain")),
        "{:?}",
        engine.intake.review_notes
    );
    // The checked parties include both spellings.
    let checked = l.iter().rev().find_map(|a| match a {
        Action::CheckConflicts { parties } => Some(parties.clone()),
        _ => None,
    });
    if let Some(p) = checked {
        assert!(p.iter().any(|p| p.name == "Jon Millar"), "{p:?}");
    }
}

#[test]
fn readings_can_raise_urgency_but_never_lower_it() {
    // Raised: no cue, but most readings hear an emergency.
    let (mut engine, mut s, mut l) = at_topic(1);
    let r = Readings {
        urgency: vec![
            reading("llm#0", "urgent"),
            reading("llm#1", "urgent"),
            reading("llm#2", "urgent"),
        ],
        ..Default::default()
    };
    let a = engine.on_event(
        now(),
        with_readings(
            "things at home are getting really bad and I don't know what to do",
            r,
        ),
    );
    world(&mut engine, now(), a.clone(), &mut s, &mut l);
    assert!(
        engine.intake.urgency >= Urgency::Urgent,
        "{:?}",
        engine.intake.triage
    );
    assert!(
        reasons_of(&engine).contains(&UrgencyReason::Assessed {
            level: Urgency::Urgent
        }),
        "{:?}",
        engine.intake.triage
    );
    assert!(
        a.iter().any(|a| matches!(a, Action::Escalate { .. })),
        "{a:?}"
    );
    assert!(
        engine
            .intake
            .traces
            .iter()
            .any(|t| t.decision == Decision::Urgency)
    );

    // Not lowered: custody is urgent whatever the readings say.
    let (mut engine, mut s, mut l) = at_topic(1);
    let r = Readings {
        urgency: vec![reading("llm#0", "routine"), reading("llm#1", "routine")],
        ..Default::default()
    };
    let a = engine.on_event(
        now(),
        with_readings("my son was arrested last night and is in jail", r),
    );
    world(&mut engine, now(), a, &mut s, &mut l);
    assert!(engine.intake.urgency >= Urgency::Urgent);
}

#[test]
fn a_fact_the_local_parser_misses_is_taken_from_the_extraction() {
    let (mut engine, mut s, mut l) = at_topic(2);
    for line in ["I was rear-ended in a car accident", "yes", "no one else"] {
        let a = engine.on_event(now(), Event::caller(line));
        world(&mut engine, now(), a, &mut s, &mut l);
    }
    // Answer the conflict questions until the facts start.
    for _ in 0..6 {
        if engine.stage_name() == "facts" {
            break;
        }
        let a = engine.on_event(now(), Event::caller("nobody"));
        world(&mut engine, now(), a, &mut s, &mut l);
    }
    let q = engine.wants().field.expect("a fact question");
    let r = Readings {
        fields: [(q.id.clone(), "extracted answer".to_owned())].into(),
        ..Default::default()
    };
    let a = engine.on_event(now(), with_readings("", r));
    world(&mut engine, now(), a, &mut s, &mut l);
    let f = engine.intake.fields.get(&q.id).expect("the field");
    assert_eq!(f.value, "extracted answer");
    assert!((f.confidence - 0.6).abs() < 1e-6);
}

/// Runs `script` against a firm whose plan has no calls left this month.
fn run_message_only(script: &[&str]) -> Run {
    let mut engine = Engine::new(Firm {
        message_only: true,
        ..firm()
    });
    let (mut said, mut log) = (Vec::new(), Vec::new());
    let first = engine.on_event(now(), Event::Start);
    world(&mut engine, now(), first, &mut said, &mut log);
    for line in script {
        if engine.is_done() {
            break;
        }
        let actions = engine.on_event(now(), Event::caller(*line));
        world(&mut engine, now(), actions, &mut said, &mut log);
    }
    for s in &said {
        assert_eq!(guardrail::check_utterance(s), Verdict::Allow, "{s}");
    }
    Run {
        engine,
        said,
        actions: log,
    }
}

#[test]
fn over_the_plan_the_call_is_answered_and_becomes_a_message() {
    let r = run_message_only(&[
        "yes",
        "Maria Lopez",
        "L-O-P-E-Z",
        "five oh three five five five zero one zero zero",
        "yes",
        "no",
        "yes",
        "for myself",
        "I'd like to talk to someone about a divorce",
        "no that's all",
    ]);
    // The disclosures and consent come first, as on every call.
    assert!(r.said[0].contains("not a lawyer"));
    assert!(said(&r, "record this call"));
    assert!(said(&r, "pass on to the firm"));
    assert!(said(&r, "someone will call you back"));
    let i = &r.engine.intake;
    assert!(i.message_only);
    assert_eq!(i.field("name"), Some("Maria Lopez"));
    assert_eq!(i.field("phone"), Some("+15035550100"));
    assert_eq!(
        i.field("message"),
        Some("I'd like to talk to someone about a divorce")
    );
    assert_eq!(i.status, IntakeStatus::NeedsReview, "staff call back");
    // No intake beyond the message: no conflict questions, no facts, no
    // booking.
    assert!(i.practice_area.is_none() && i.parties.is_empty() && i.booking.is_none());
    assert!(!r.actions.iter().any(|a| matches!(
        a,
        Action::CheckConflicts { .. } | Action::FindOffers { .. } | Action::Book { .. }
    )));
    assert!(r.engine.is_done());
    // A plain call on the same firm is not a message.
    let plain = run(&["yes", "Maria Lopez"]);
    assert!(!plain.engine.intake.message_only);
}

#[test]
fn a_message_only_call_still_escalates_danger() {
    let r = run_message_only(&[
        "yes",
        "my husband hit me and I'm scared he'll come back tonight",
    ]);
    assert!(said(&r, "911"));
    assert!(
        r.actions
            .iter()
            .any(|a| matches!(a, Action::Escalate { .. }))
    );
}
