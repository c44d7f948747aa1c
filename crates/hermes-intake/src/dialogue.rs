//! The dialogue policy: caller events in, agent actions out.
//!
//! `Engine::on_event` is the whole agent, minus its ears, mouth and hands:
//! it never does I/O. It returns [`Action`]s (say this, check these parties
//! for conflicts, find slots, hold, book, escalate, transfer, save, end),
//! and whoever runs it — the text channel, the voice pipeline, a test —
//! carries them out and feeds the results back as [`Event`]s. That keeps
//! the policy deterministic and testable line by line, and keeps language
//! models out of decisions: a model may later phrase a reply, but the order
//! (disclosures, who, topic, conflict parties, conflict check, facts,
//! scheduling, wrap-up) is fixed here.
//!
//! Invariants, each tested:
//! - the opening disclosures are said before anything else, whatever the
//!   caller says first;
//! - no fact about the matter is asked before the conflict check is clear
//!   (Rule 1.18); a potential conflict ends fact-taking, and the caller is
//!   never told why;
//! - every utterance passes [`guardrail::check_utterance`];
//! - "a person, please" is honoured at any point; legal questions get the
//!   refusal and the conversation goes on; urgency is triaged on every turn.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::guardrail::{self, Verdict};
use crate::nlu::{self, YesNo};
use crate::practice;
use crate::questions::{AnswerKind, Question, QuestionSet};
use crate::reasoning::{self, Decision, Reading, THRESHOLD};
use crate::record::*;
use crate::urgency::{self, Urgency};

/// What the agent knows about the firm it answers for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Firm {
    /// The name as spoken.
    pub name: String,
    pub tz: Tz,
    /// Two-letter state for referrals, if known.
    pub state: Option<String>,
    /// Practice areas the firm takes: key and spoken name.
    pub areas: Vec<(String, String)>,
    pub question_sets: Vec<QuestionSet>,
    /// Whether the office is open now (business hours, no closure).
    pub open_now: bool,
    pub after_hours: AfterHours,
    /// Take a message instead of the whole intake (the firm's plan has no
    /// calls left this month): disclosures, consent, who and how to reach
    /// them, and a line on what it is about; no conflict questions, facts
    /// or booking. Urgency is still heard and escalated.
    #[serde(default)]
    pub message_only: bool,
    /// The office the caller reached (its key), for a firm with several:
    /// the name, zone and hours above are that office's, and consultations
    /// are offered with its attorneys.
    #[serde(default)]
    pub office: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterHours {
    Book,
    TakeMessage,
    EscalateUrgentOnly,
}

impl Event {
    /// The caller said `text` (no readings beyond the local ones).
    pub fn caller(text: impl Into<String>) -> Self {
        Event::Caller {
            text: text.into(),
            readings: Readings::default(),
        }
    }
}

/// What the engine would like read from the caller's next turn, besides
/// its own local understanding: the runner gathers what it can within its
/// deadline and passes it back as [`Readings`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Wants {
    /// Which practice area (keys and names of the firm's areas, plus the
    /// standard ones it does not handle).
    pub practice_area: bool,
    /// The name of the party the current conflict question asks about.
    pub party: bool,
    /// How urgent the matter sounds.
    pub urgency: bool,
    /// The current fact question, for extraction from a free-form answer.
    pub field: Option<Question>,
}

/// Readings gathered for one caller turn (see [`crate::reasoning`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Readings {
    /// Practice-area keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub practice_area: Vec<Reading>,
    /// Party names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub party: Vec<Reading>,
    /// Urgency levels (`routine`, `soon`, `urgent`, `emergency`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urgency: Vec<Reading>,
    /// Field values extracted from the answer, by question id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl Readings {
    pub fn is_empty(&self) -> bool {
        self.practice_area.is_empty()
            && self.party.is_empty()
            && self.urgency.is_empty()
            && self.fields.is_empty()
    }
}

/// A consultation option as the scheduler offered it; `id` is opaque to
/// the engine and handed back in `Hold`/`Book`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotOption {
    pub id: String,
    pub spoken: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Start,
    Caller {
        text: String,
        /// Independent readings of this turn gathered by whoever runs the
        /// engine (embedding model, LLM samples), for what [`Engine::wants`]
        /// asked. Empty on the local path.
        #[serde(default, skip_serializing_if = "Readings::is_empty")]
        readings: Readings,
    },
    Silence,
    HungUp,
    /// Keys pressed on the phone's keypad: `0` on its own asks for a
    /// person at any point; other digits answer the current question as
    /// if said (a phone number, typically).
    Digits {
        digits: String,
    },
    ConflictChecked {
        status: String,
        review_id: Option<String>,
    },
    OffersFound {
        options: Vec<SlotOption>,
        matched_preference: bool,
    },
    Held {
        ok: bool,
    },
    Booked {
        id: String,
        tentative: bool,
    },
    BookingFailed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    Say {
        text: String,
    },
    SetRecording {
        on: bool,
    },
    CheckConflicts {
        parties: Vec<MatterParty>,
    },
    FindOffers {
        practice_area: String,
        preference: String,
    },
    Hold {
        option: String,
    },
    Book {
        option: String,
        review_id: Option<String>,
    },
    Escalate {
        level: Urgency,
        reasons: Vec<String>,
    },
    TransferToPerson,
    /// Send the caller a confirmation of the booking: by text when they
    /// agreed to texts at that number, by email when they gave one.
    SendConfirmation {
        sms: bool,
        email: bool,
    },
    /// Persist the intake now.
    Save,
    End {
        status: IntakeStatus,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
enum Stage {
    NotStarted,
    Consent,
    Name,
    Spelling,
    Phone,
    ConfirmPhone,
    Email,
    Voicemail,
    ForWhom,
    /// What to pass on (message-only calls).
    Message,
    Topic,
    ConfirmArea {
        key: String,
    },
    ConflictQuestion {
        index: usize,
    },
    AwaitConflict,
    Fact {
        index: usize,
    },
    Preference,
    AwaitOffers,
    Choose {
        options: Vec<SlotOption>,
    },
    AwaitHold {
        option: SlotOption,
    },
    AwaitBooking {
        option: SlotOption,
    },
    AnythingElse,
    Done,
}

/// The agent for one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engine {
    firm: Firm,
    stage: Stage,
    attempts: u8,
    silences: u8,
    escalated: Option<Urgency>,
    /// Seeds tie-breaks in [`reasoning`], so traces replay exactly.
    #[serde(default)]
    seed: u64,
    pub intake: Intake,
}

const MAX_ATTEMPTS: u8 = 2;

impl Engine {
    pub fn new(firm: Firm) -> Self {
        Engine {
            firm,
            stage: Stage::NotStarted,
            attempts: 0,
            silences: 0,
            escalated: None,
            seed: 0,
            intake: Intake::default(),
        }
    }

    /// The same engine with `seed` for its reasoning traces (the runner
    /// derives it from the intake's id).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The firm the engine answers for.
    pub fn firm(&self) -> &Firm {
        &self.firm
    }

    /// The seed of this conversation's reasoning traces.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// What to read from the caller's next turn besides the local
    /// extractors.
    pub fn wants(&self) -> Wants {
        Wants {
            practice_area: matches!(self.stage, Stage::Topic),
            party: matches!(self.stage, Stage::ConflictQuestion { .. }),
            // Where callers tell their story; short answers (a name, a
            // number) are triaged by the local cues alone.
            urgency: matches!(
                self.stage,
                Stage::Topic | Stage::Fact { .. } | Stage::Message | Stage::AnythingElse
            ),
            field: match &self.stage {
                Stage::Fact { index } => self.fact_questions().get(*index).cloned(),
                _ => None,
            },
        }
    }

    /// Whether the conversation is over.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// A short name for the current step, for clients and logs.
    pub fn stage_name(&self) -> &'static str {
        match &self.stage {
            Stage::NotStarted => "not_started",
            Stage::Consent => "consent",
            Stage::Name | Stage::Spelling => "name",
            Stage::Phone | Stage::ConfirmPhone => "phone",
            Stage::Email => "email",
            Stage::Voicemail => "voicemail",
            Stage::ForWhom => "for_whom",
            Stage::Message => "message",
            Stage::Topic | Stage::ConfirmArea { .. } => "practice_area",
            Stage::ConflictQuestion { .. } | Stage::AwaitConflict => "conflict_check",
            Stage::Fact { .. } => "facts",
            Stage::Preference
            | Stage::AwaitOffers
            | Stage::Choose { .. }
            | Stage::AwaitHold { .. }
            | Stage::AwaitBooking { .. } => "scheduling",
            Stage::AnythingElse => "wrap_up",
            Stage::Done => "done",
        }
    }

    pub fn on_event(&mut self, at: DateTime<Utc>, event: Event) -> Vec<Action> {
        let mut out = Out::default();
        if self.stage == Stage::Done {
            return Vec::new();
        }
        match event {
            Event::Start => self.start(&mut out),
            Event::Caller { text, readings } => {
                self.silences = 0;
                self.intake.transcript.push(Turn {
                    at,
                    speaker: Speaker::Caller,
                    text: text.clone(),
                });
                self.caller(&mut out, at, &text, &readings);
            }
            Event::Silence => {
                self.silences += 1;
                if self.silences >= 2 {
                    self.finish(&mut out, IntakeStatus::Abandoned);
                } else {
                    out.say("Are you still there?");
                    self.prompt(&mut out);
                }
            }
            Event::HungUp => self.finish(&mut out, IntakeStatus::Abandoned),
            Event::Digits { digits } => {
                self.silences = 0;
                let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
                if digits.is_empty() {
                    return Vec::new();
                }
                self.intake.transcript.push(Turn {
                    at,
                    speaker: Speaker::Caller,
                    text: format!("[keypad] {digits}"),
                });
                if digits == "0" {
                    self.hand_to_person(&mut out);
                } else {
                    self.caller(&mut out, at, &digits, &Readings::default());
                }
            }
            Event::ConflictChecked { status, review_id } => {
                self.conflict_checked(&mut out, status, review_id)
            }
            Event::OffersFound {
                options,
                matched_preference,
            } => self.offers_found(&mut out, options, matched_preference),
            Event::Held { ok } => self.held(&mut out, ok),
            Event::Booked { id, tentative } => self.booked(&mut out, id, tentative),
            Event::BookingFailed => {
                out.say("I'm sorry, that time was just taken.");
                self.go(&mut out, Stage::Preference);
            }
        }
        out.finish(self, at)
    }

    // --- steps ------------------------------------------------------------

    fn start(&mut self, out: &mut Out) {
        self.intake.message_only = self.firm.message_only;
        self.intake.office = self.firm.office.clone();
        out.say(&format!(
            "Thank you for calling {}. I'm the firm's automated assistant, not a lawyer, and I can't give legal advice. \
             Speaking with me doesn't create an attorney-client relationship unless the firm agrees in writing.",
            self.firm.name
        ));
        self.go(out, Stage::Consent);
    }

    fn caller(&mut self, out: &mut Out, at: DateTime<Utc>, text: &str, readings: &Readings) {
        if self.stage == Stage::NotStarted {
            // The disclosures come first, whatever the caller said.
            self.start(out);
            return;
        }
        self.triage(out, at, text, &readings.urgency);
        if self.stage == Stage::Done {
            return;
        }
        if nlu::wants_human(text) && !self.describing_the_matter(text) {
            self.hand_to_person(out);
            return;
        }
        let free_text = matches!(
            self.stage,
            Stage::Topic | Stage::Fact { .. } | Stage::Message
        );
        if guardrail::is_advice_request(text) {
            out.say(guardrail::REFUSAL);
            if !free_text {
                self.prompt(out);
                return;
            }
        }
        if self.correction(out, text) {
            return;
        }
        self.answer(out, at, text, readings);
    }

    /// "I want to talk to someone about my divorce", said when asked what
    /// the matter is about, describes the matter; only an explicit ask for
    /// a person ("a real person", "the receptionist") is a transfer then.
    fn describing_the_matter(&self, text: &str) -> bool {
        if !matches!(self.stage, Stage::Topic | Stage::Message) {
            return false;
        }
        let t = nlu::normalize(text);
        let explicit = [
            "person",
            "human",
            "operator",
            "representative",
            "receptionist",
            "somebody real",
            "transfer",
        ]
        .iter()
        .any(|k| t.contains(k));
        !explicit
            && practice::classify(text)
                .first()
                .is_some_and(|a| a.score >= practice::CONFIDENT)
    }

    /// Urgency on every turn: say what the caller must hear now, escalate
    /// once per level.
    fn triage(&mut self, out: &mut Out, at: DateTime<Utc>, text: &str, readings: &[Reading]) {
        let today = at.with_timezone(&self.firm.tz).date_naive();
        let dates: Vec<_> = nlu::date_time(text, at, self.firm.tz)
            .and_then(|w| w.date)
            .into_iter()
            .collect();
        let mut t = urgency::triage(text, &dates, today);
        self.assess_urgency(&mut t, readings);
        if t.reasons.is_empty() {
            return;
        }
        for line in &t.say {
            out.say(line);
        }
        let merged = match &self.intake.triage {
            Some(prev) => urgency::merge(prev, &t),
            None => t,
        };
        self.intake.urgency = merged.level;
        let level = merged.level;
        let reasons: Vec<String> = merged.reasons.iter().map(|r| format!("{r:?}")).collect();
        self.intake.triage = Some(merged);
        if level >= Urgency::Urgent && self.escalated.is_none_or(|e| e < level) {
            self.escalated = Some(level);
            out.push(Action::Escalate { level, reasons });
            out.say("I'm flagging this as urgent so someone at the firm sees it right away.");
        }
    }

    /// Readings of the urgency may raise the level the cues found, never
    /// lower it: a missed emergency costs more than a person's glance.
    fn assess_urgency(&mut self, t: &mut urgency::Triage, readings: &[Reading]) {
        if readings.is_empty() {
            return;
        }
        let local = snake(&t.level);
        if readings
            .iter()
            .all(|r| r.value.as_deref() == Some(local.as_str()))
        {
            return; // nothing to decide
        }
        let mut all = vec![Reading::new("keywords", Some(local))];
        all.extend(readings.iter().cloned());
        let trace = reasoning::vote(Decision::Urgency, self.turn(), all, THRESHOLD, self.seed);
        let voted = trace
            .confident()
            .and_then(|v| serde_json::from_value::<Urgency>(serde_json::Value::from(v)).ok());
        if let Some(level) = voted.filter(|l| *l > t.level && *l >= Urgency::Urgent) {
            t.level = level;
            t.reasons.push(urgency::UrgencyReason::Assessed { level });
            if level == Urgency::Emergency && !t.say.iter().any(|s| s == urgency::SAY_911) {
                t.say.insert(0, urgency::SAY_911.to_owned());
            }
            self.intake.review_notes.push(format!(
                "urgency assessed as {} by most readings; please check",
                snake(&level)
            ));
        }
        self.intake.traces.push(trace);
    }

    /// Index of the caller's latest turn in the transcript.
    fn turn(&self) -> usize {
        self.intake.transcript.len().saturating_sub(1)
    }

    fn hand_to_person(&mut self, out: &mut Out) {
        self.intake
            .review_notes
            .push("the caller asked for a person".into());
        if self.firm.open_now {
            out.say("Of course. Let me connect you with someone at the firm.");
            out.push(Action::TransferToPerson);
        } else {
            out.say("The office is closed right now, but I'll make sure someone calls you back as soon as possible.");
        }
        self.finish(out, IntakeStatus::NeedsReview);
    }

    /// "No, it's 503, not 502": a correction to the phone number, at any
    /// point after it was given.
    fn correction(&mut self, out: &mut Out, text: &str) -> bool {
        let Some(prev) = self.intake.field("phone").map(str::to_owned) else {
            return false;
        };
        if matches!(self.stage, Stage::Phone | Stage::ConfirmPhone) {
            return false;
        }
        // Only a turn that sounds like a correction is read as one, so a
        // date or an amount in a later answer never rewrites the number.
        let t = nlu::normalize(text);
        let cues = [
            "not",
            "wrong",
            "last four",
            "at the end",
            "ends in",
            "correct",
            "actually",
            "mistake",
            "number is",
        ];
        if !cues.iter().any(|c| t.contains(c)) {
            return false;
        }
        let Some(fixed) = nlu::phone_correction(text, &prev) else {
            return false;
        };
        if fixed == prev {
            return false;
        }
        self.set("phone", &fixed, 0.9);
        out.say(&format!(
            "Thank you, I've corrected your number to {}.",
            read_digits(&fixed)
        ));
        self.prompt(out);
        true
    }

    fn answer(&mut self, out: &mut Out, at: DateTime<Utc>, text: &str, readings: &Readings) {
        match self.stage.clone() {
            Stage::NotStarted | Stage::Done => {}
            Stage::Consent => match nlu::yes_no(text) {
                Some(YesNo::Yes) => {
                    self.intake.recording_consent = Some(true);
                    out.push(Action::SetRecording { on: true });
                    out.say("Thank you.");
                    self.go(out, Stage::Name);
                }
                Some(YesNo::No) => {
                    self.no_recording(out, "Understood, this call won't be recorded.")
                }
                _ => self.retry(out, |e, out| {
                    e.no_recording(out, "I'll take that as a no; this call won't be recorded.")
                }),
            },
            Stage::Name => match nlu::person_name(text) {
                Some(n) => {
                    self.set("name", &n.full, if n.spelled { 0.95 } else { 0.8 });
                    if n.spelled {
                        self.go(out, Stage::Phone);
                    } else {
                        self.go(out, Stage::Spelling);
                    }
                }
                None => self.retry(out, |e, out| {
                    e.flag("name");
                    e.go(out, Stage::Phone)
                }),
            },
            Stage::Spelling => {
                match nlu::spelled_word(text) {
                    Some(spelled) if clipped_spelling(self.intake.field("name"), &spelled) => {
                        // The spelling confirms the end of the name heard
                        // ("…P-E-Z" for "Lopez"): its first letters were
                        // lost on the line, not misheard before.
                        let full = self.intake.field("name").unwrap_or_default().to_owned();
                        self.set("name", &full, 0.9);
                    }
                    Some(spelled) => {
                        let full = self.intake.field("name").unwrap_or_default().to_owned();
                        let fixed = respell_family(&full, &spelled);
                        self.set("name", &fixed, 0.95);
                    }
                    None if nlu::yes_no(text) == Some(YesNo::No) => {}
                    None => {
                        self.flag("name");
                    }
                }
                self.go(out, Stage::Phone);
            }
            Stage::Phone => match nlu::phone_number(text) {
                Some(p) => {
                    self.set("phone", &p, 0.8);
                    self.go(out, Stage::ConfirmPhone);
                }
                None => self.retry(out, |e, out| {
                    e.flag("phone");
                    e.go(out, Stage::Email)
                }),
            },
            Stage::ConfirmPhone => {
                let prev = self.intake.field("phone").unwrap_or_default().to_owned();
                if let Some(fixed) = nlu::phone_correction(text, &prev).filter(|f| *f != prev) {
                    self.set("phone", &fixed, 0.9);
                    self.go(out, Stage::ConfirmPhone);
                    return;
                }
                match nlu::yes_no(text) {
                    Some(YesNo::Yes) => {
                        self.confirm("phone");
                        self.go(out, Stage::Email)
                    }
                    _ => match nlu::phone_number(text) {
                        Some(p) => {
                            self.set("phone", &p, 0.8);
                            self.go(out, Stage::ConfirmPhone)
                        }
                        None => self.retry(out, |e, out| {
                            e.flag("phone");
                            e.go(out, Stage::Email)
                        }),
                    },
                }
            }
            Stage::Email => {
                if let Some(e) = nlu::email(text) {
                    self.set("email", &e, 0.8);
                    out.say(&format!("I have {}.", e));
                    self.go(out, Stage::Voicemail);
                } else if nlu::yes_no(text) == Some(YesNo::No) {
                    self.go(out, Stage::Voicemail);
                } else {
                    self.retry(out, |e, out| e.go(out, Stage::Voicemail));
                }
            }
            Stage::Voicemail => match nlu::yes_no(text) {
                Some(YesNo::Yes) => {
                    self.set("voicemail_ok", "yes", 0.9);
                    self.go(out, Stage::ForWhom)
                }
                Some(YesNo::No) => {
                    self.set("voicemail_ok", "no", 0.9);
                    self.go(out, Stage::ForWhom)
                }
                _ => self.retry(out, |e, out| {
                    // Unknown means no: a message could reach the wrong ears.
                    e.set("voicemail_ok", "no", 0.3);
                    e.flag("voicemail_ok");
                    e.go(out, Stage::ForWhom)
                }),
            },
            Stage::ForWhom => {
                let t = nlu::normalize(text);
                let words: Vec<&str> = t.split_whitespace().collect();
                let for_other = [
                    "behalf",
                    "someone",
                    "somebody",
                    "for my",
                    "for a friend",
                    "for her",
                    "for him",
                    "for them",
                ]
                .iter()
                .any(|k| t.contains(k));
                let for_self = !for_other
                    && (words.contains(&"myself")
                        || words.contains(&"me")
                        || t.starts_with("i am")
                        || t.starts_with("i'm")
                        || nlu::yes_no(text) == Some(YesNo::Yes));
                let value = if for_self {
                    "self".to_owned()
                } else {
                    text.trim().to_owned()
                };
                self.set(
                    "for_whom",
                    &value,
                    if for_self || for_other { 0.8 } else { 0.5 },
                );
                if self.firm.message_only {
                    self.go(out, Stage::Message);
                } else {
                    self.go(out, Stage::Topic);
                }
            }
            Stage::Message => {
                let message = text.trim();
                if message.is_empty() {
                    self.retry(out, |e, out| e.message_taken(out));
                } else {
                    self.set("message", message, 0.9);
                    self.message_taken(out);
                }
            }
            Stage::Topic => self.topic(out, text, &readings.practice_area),
            Stage::ConfirmArea { key } => match nlu::yes_no(text) {
                Some(YesNo::Yes) if !self.handles(&key) => self.decline(out),
                Some(YesNo::Yes) => self.area_confirmed(out, key),
                Some(YesNo::No) => {
                    out.say("Sorry about that.");
                    self.go(out, Stage::Topic)
                }
                _ => {
                    // An answer that names the area again counts.
                    let top = practice::classify(text).into_iter().next();
                    match top {
                        Some(a) if a.key == key && self.handles(&key) => {
                            self.area_confirmed(out, key)
                        }
                        Some(a) if a.key == key => self.decline(out),
                        _ => self.topic(out, text, &readings.practice_area),
                    }
                }
            },
            Stage::ConflictQuestion { index } => {
                let q = self.conflict_questions().get(index).cloned();
                if let Some(q) = q {
                    self.conflict_answer(&q.id, text, &readings.party);
                }
                if index + 1 < self.conflict_questions().len() {
                    self.go(out, Stage::ConflictQuestion { index: index + 1 });
                } else {
                    self.check_conflicts(out);
                }
            }
            Stage::AwaitConflict
            | Stage::AwaitOffers
            | Stage::AwaitHold { .. }
            | Stage::AwaitBooking { .. } => {
                out.say("One moment, please.");
            }
            Stage::Fact { index } => {
                let Some(q) = self.fact_questions().get(index).cloned() else {
                    self.after_facts(out);
                    return;
                };
                let extracted = readings.fields.get(&q.id).map(|v| (v.clone(), 0.6));
                match parse_answer(&q, text, at, self.firm.tz).or(extracted) {
                    Some((v, c)) => {
                        self.set(&q.id, &v, c);
                        self.next_fact(out, index);
                    }
                    None => self.retry(out, move |e, out| {
                        e.set(&q.id, "", 0.0);
                        e.flag(&q.id);
                        e.next_fact(out, index)
                    }),
                }
            }
            Stage::Preference => {
                let area = self.intake.practice_area.clone().unwrap_or_default();
                out.push(Action::FindOffers {
                    practice_area: area,
                    preference: text.trim().to_owned(),
                });
                self.stage = Stage::AwaitOffers;
            }
            Stage::Choose { options } => match choose(text, &options) {
                Some(o) => {
                    out.push(Action::Hold {
                        option: o.id.clone(),
                    });
                    self.stage = Stage::AwaitHold { option: o };
                }
                None if nlu::yes_no(text) == Some(YesNo::No) => {
                    out.say("No problem. What other day or time would suit you?");
                    self.stage = Stage::Preference;
                    self.attempts = 0;
                }
                None => self.retry(out, |e, out| e.go(out, Stage::Preference)),
            },
            Stage::AnythingElse => {
                out.say("Thank you for calling. Goodbye.");
                let status = if self.intake.review_notes.is_empty()
                    && !self.intake.fields.values().any(|f| f.flagged)
                {
                    IntakeStatus::Completed
                } else {
                    IntakeStatus::NeedsReview
                };
                self.finish(out, status);
            }
        }
    }

    /// Which practice area: the local classifier and any readings vote;
    /// then the next step is planned — confirm the favourite, ask which of
    /// two close favourites, or ask again — and both decisions are traced.
    /// Even a confident reading is confirmed with the caller, including
    /// one the firm does not handle: nobody is turned away on a guess.
    fn topic(&mut self, out: &mut Out, text: &str, readings: &[Reading]) {
        let longer = self
            .intake
            .field("topic")
            .is_none_or(|t| t.len() < text.trim().len());
        if longer {
            self.set("topic", text.trim(), 0.6);
        }
        let local = practice::classify(text)
            .into_iter()
            .next()
            .filter(|s| s.score >= 0.3)
            .map(|s| s.key.to_owned());
        let mut all = vec![Reading::new("keywords", local)];
        all.extend(readings.iter().cloned());
        let turn = self.turn();
        let vote = reasoning::vote(Decision::PracticeArea, turn, all, THRESHOLD, self.seed);
        let cast: f32 = vote.candidates.iter().map(|c| c.score).sum();
        let mut steps = vec![(
            "ask_again".to_owned(),
            THRESHOLD,
            "baseline: ask the caller to say more".to_owned(),
        )];
        if let Some(top) = vote.candidates.first() {
            let share = top.score / cast;
            steps.push((
                format!("confirm:{}", top.value),
                share,
                format!("{:.0}% of the cast readings", share * 100.0),
            ));
            if let Some(second) = vote.candidates.get(1)
                && self.handles(&top.value)
                && self.handles(&second.value)
            {
                let close = 1.0 - (top.score - second.score) / cast;
                let together = (top.score + second.score) / cast;
                steps.push((
                    format!("choose:{}|{}", top.value, second.value),
                    close.min(together),
                    "two areas the firm handles, close together".to_owned(),
                ));
            }
        }
        let plan = reasoning::plan(turn, steps, self.seed);
        let choice = plan.choice.clone().unwrap_or_default();
        self.intake.traces.push(vote);
        if plan.candidates.len() > 1 {
            self.intake.traces.push(plan);
        }
        if let Some(key) = choice.strip_prefix("confirm:") {
            out.say(&format!(
                "It sounds like this is {}. Is that right?",
                self.area_phrase(key)
            ));
            self.stage = Stage::ConfirmArea {
                key: key.to_owned(),
            };
            self.attempts = 0;
        } else if let Some((a, b)) = choice
            .strip_prefix("choose:")
            .and_then(|c| c.split_once('|'))
        {
            out.say(&format!(
                "Is this closer to {} or to {}?",
                self.area_phrase(a),
                self.area_phrase(b)
            ));
            self.stage = Stage::Topic;
            self.attempts = 0;
        } else {
            self.retry(out, |e, out| {
                e.intake.review_notes.push("practice area unclear".into());
                e.flag("topic");
                e.offer_areas(out)
            });
        }
    }

    fn handles(&self, key: &str) -> bool {
        self.firm.areas.iter().any(|(k, _)| k == key)
    }

    /// "about family law" for an area the firm handles (its own name),
    /// "a tax matter" for one it does not.
    fn area_phrase(&self, key: &str) -> String {
        match self.firm.areas.iter().find(|(k, _)| k == key) {
            Some((_, name)) => format!("about {}", name.to_lowercase()),
            None => practice::matter_phrase(key),
        }
    }

    fn offer_areas(&mut self, out: &mut Out) {
        let names: Vec<String> = self
            .firm
            .areas
            .iter()
            .map(|(_, n)| n.to_lowercase())
            .collect();
        out.say(&format!(
            "The firm handles {}. Which of these is closest to your situation?",
            join_or(&names)
        ));
        self.stage = Stage::Topic;
        self.attempts = 0;
    }

    fn decline(&mut self, out: &mut Out) {
        out.say(&format!(
            "I'm sorry, that isn't something this firm handles. {}",
            practice::referral_suggestion(self.firm.state.as_deref())
        ));
        out.say("Thank you for calling, and I hope you find the help you need. Goodbye.");
        self.finish(out, IntakeStatus::Declined);
    }

    /// Who the other side is: the local reading and any others vote. An
    /// uncertain name is flagged for a person, and every name with a vote
    /// goes to the conflict check: a false alarm costs a review, a missed
    /// conflict costs far more.
    fn conflict_answer(&mut self, id: &str, text: &str, readings: &[Reading]) {
        let mut all = vec![Reading::new("local", party_name(text))];
        all.extend(readings.iter().cloned());
        let vote = reasoning::vote(
            Decision::AdverseParty,
            self.turn(),
            all,
            THRESHOLD,
            self.seed,
        );
        match vote.choice.clone() {
            Some(name) => {
                let confidence = if readings.is_empty() {
                    0.8
                } else {
                    vote.confidence.min(0.95)
                };
                self.set(id, &name, confidence);
                if vote.confident().is_none() {
                    self.flag(id);
                    self.intake.review_notes.push(
                        "a party's name is uncertain; every reading was checked for conflicts"
                            .into(),
                    );
                }
                for c in &vote.candidates {
                    self.intake.parties.push(MatterParty {
                        name: c.value.clone(),
                        role: "adverse".into(),
                    });
                }
            }
            None => self.set(id, text.trim(), 0.5),
        }
        if !readings.is_empty() {
            self.intake.traces.push(vote);
        }
    }

    fn area_confirmed(&mut self, out: &mut Out, key: String) {
        self.intake.practice_area = Some(key);
        out.say("Thank you. Before you tell me more, I need to check that the firm has no conflict of interest.");
        if self.conflict_questions().is_empty() {
            self.check_conflicts(out);
        } else {
            self.go(out, Stage::ConflictQuestion { index: 0 });
        }
    }

    fn check_conflicts(&mut self, out: &mut Out) {
        let mut parties = vec![];
        if let Some(name) = self.intake.field("name") {
            parties.push(MatterParty {
                name: name.to_owned(),
                role: "client".into(),
            });
        }
        parties.extend(self.intake.parties.iter().cloned());
        out.say("Thank you. One moment while I check that.");
        out.push(Action::CheckConflicts { parties });
        self.stage = Stage::AwaitConflict;
    }

    fn conflict_checked(&mut self, out: &mut Out, status: String, review_id: Option<String>) {
        if self.stage != Stage::AwaitConflict {
            return;
        }
        self.intake.conflict = Some(ConflictOutcome {
            status: status.clone(),
            review_id,
        });
        if status == "clear" {
            out.say("Thank you, that's all clear.");
            if self.fact_questions().is_empty() {
                self.after_facts(out);
            } else {
                self.go(out, Stage::Fact { index: 0 });
            }
        } else {
            // Rule 1.18: no more facts; never say why.
            self.intake
                .review_notes
                .push(format!("conflict check: {status}"));
            out.say(
                "Thank you. Someone from the firm will need to follow up with you personally before we go further, \
                 and they'll call you back at the number you gave me.",
            );
            self.go(out, Stage::AnythingElse);
        }
    }

    fn next_fact(&mut self, out: &mut Out, index: usize) {
        if index + 1 < self.fact_questions().len() {
            self.go(out, Stage::Fact { index: index + 1 });
        } else {
            self.after_facts(out);
        }
    }

    fn after_facts(&mut self, out: &mut Out) {
        let booking_allowed = self.firm.open_now
            || match self.firm.after_hours {
                AfterHours::Book => true,
                AfterHours::TakeMessage => false,
                AfterHours::EscalateUrgentOnly => false,
            };
        if booking_allowed {
            self.go(out, Stage::Preference);
        } else {
            out.say("The office is closed right now, so I've taken down your details and someone will call you back to arrange a consultation.");
            self.go(out, Stage::AnythingElse);
        }
    }

    fn offers_found(&mut self, out: &mut Out, options: Vec<SlotOption>, matched: bool) {
        if self.stage != Stage::AwaitOffers {
            return;
        }
        if options.is_empty() {
            self.intake
                .review_notes
                .push("no consultation slot found".into());
            out.say("I couldn't find an open time right now; someone from the firm will call you to arrange one.");
            self.go(out, Stage::AnythingElse);
            return;
        }
        let spoken: Vec<String> = options.iter().map(|o| o.spoken.clone()).collect();
        let lead = if matched {
            "I have"
        } else {
            "I don't have that exactly, but I have"
        };
        out.say(&format!(
            "{lead} {}. Which works best for you?",
            join_or(&spoken)
        ));
        self.stage = Stage::Choose { options };
        self.attempts = 0;
    }

    fn held(&mut self, out: &mut Out, ok: bool) {
        let Stage::AwaitHold { option } = self.stage.clone() else {
            return;
        };
        if ok {
            let review = self
                .intake
                .conflict
                .as_ref()
                .and_then(|c| c.review_id.clone());
            out.push(Action::Book {
                option: option.id.clone(),
                review_id: review,
            });
            self.stage = Stage::AwaitBooking { option };
        } else {
            out.say("I'm sorry, that time was just taken.");
            self.go(out, Stage::Preference);
        }
    }

    fn booked(&mut self, out: &mut Out, id: String, tentative: bool) {
        let Stage::AwaitBooking { option } = self.stage.clone() else {
            return;
        };
        self.intake.booking = Some(BookingRecord {
            id,
            spoken: option.spoken.clone(),
            tentative,
        });
        out.say(&format!("You're booked for {}.", option.spoken));
        let sms = self.intake.field("voicemail_ok") == Some("yes")
            && self.intake.field("phone").is_some_and(|p| !p.is_empty());
        let email = self.intake.field("email").is_some_and(|e| !e.is_empty());
        if sms || email {
            let how = match (sms, email) {
                (true, true) => "by text message and email",
                (true, false) => "by text message",
                _ => "by email",
            };
            out.say(&format!("I'll send you a confirmation {how}."));
            out.push(Action::SendConfirmation { sms, email });
        }
        self.wrap_up(out);
    }

    fn wrap_up(&mut self, out: &mut Out) {
        let mut parts = Vec::new();
        if let Some(n) = self.intake.field("name") {
            parts.push(format!("your name is {n}"));
        }
        if let Some(p) = self.intake.field("phone") {
            parts.push(format!("we can reach you at {}", read_digits(p)));
        }
        if let Some(b) = &self.intake.booking {
            parts.push(format!("your consultation is {}", b.spoken));
        }
        if !parts.is_empty() {
            out.say(&format!("To confirm: {}.", parts.join(", ")));
        }
        out.say("An attorney will review what you've told me before the consultation.");
        self.go(out, Stage::AnythingElse);
    }

    /// A message-only call: the message is down; staff call back.
    fn message_taken(&mut self, out: &mut Out) {
        self.intake.message_only = true;
        self.intake
            .review_notes
            .push("message only: the firm's plan has no calls left this month; call back to take the intake".into());
        out.say("Thank you. I've passed your message to the firm, and someone will call you back.");
        self.go(out, Stage::AnythingElse);
    }

    fn no_recording(&mut self, out: &mut Out, line: &str) {
        self.intake.recording_consent = Some(false);
        out.push(Action::SetRecording { on: false });
        out.say(line);
        self.go(out, Stage::Name);
    }

    // --- plumbing ---------------------------------------------------------------

    fn conflict_questions(&self) -> Vec<Question> {
        self.set_for_area()
            .map(|s| s.conflict_questions.clone())
            .unwrap_or_default()
    }

    fn fact_questions(&self) -> Vec<Question> {
        self.set_for_area()
            .map(|s| s.fact_questions.clone())
            .unwrap_or_default()
    }

    fn set_for_area(&self) -> Option<&QuestionSet> {
        let area = self.intake.practice_area.as_deref()?;
        self.firm
            .question_sets
            .iter()
            .find(|s| s.practice_area == area)
    }

    fn set(&mut self, id: &str, value: &str, confidence: f32) {
        let source_turn = self.intake.transcript.len().saturating_sub(1);
        self.intake.fields.insert(
            id.to_owned(),
            Field {
                value: value.to_owned(),
                confidence,
                source_turn,
                flagged: false,
            },
        );
    }

    fn confirm(&mut self, id: &str) {
        if let Some(f) = self.intake.fields.get_mut(id) {
            f.confidence = f.confidence.max(0.95);
        }
    }

    fn flag(&mut self, id: &str) {
        let source_turn = self.intake.transcript.len().saturating_sub(1);
        self.intake
            .fields
            .entry(id.to_owned())
            .or_insert(Field {
                value: String::new(),
                confidence: 0.0,
                source_turn,
                flagged: true,
            })
            .flagged = true;
    }

    /// Ask again once; after two failed attempts, `give_up`.
    fn retry(&mut self, out: &mut Out, give_up: impl FnOnce(&mut Self, &mut Out)) {
        self.attempts += 1;
        if self.attempts >= MAX_ATTEMPTS {
            self.attempts = 0;
            give_up(self, out);
        } else {
            out.say("Sorry, I didn't quite catch that.");
            self.prompt(out);
        }
    }

    fn go(&mut self, out: &mut Out, stage: Stage) {
        self.stage = stage;
        self.attempts = 0;
        self.prompt(out);
    }

    /// Says the current step's question.
    fn prompt(&mut self, out: &mut Out) {
        let line = match &self.stage {
            Stage::Consent => "May I record this call for the firm's records? You can say yes or no.".to_owned(),
            Stage::Name => "May I have your full name, please?".to_owned(),
            Stage::Spelling => "Could you spell your last name for me?".to_owned(),
            Stage::Phone => "What's the best phone number to reach you?".to_owned(),
            Stage::ConfirmPhone => format!(
                "I have {}. Is that right?",
                read_digits(self.intake.field("phone").unwrap_or_default())
            ),
            Stage::Email => "Do you have an email address you'd like to give us? You can say no.".to_owned(),
            Stage::Voicemail => "Is it okay for the firm to leave a voicemail or send a text message to that number?".to_owned(),
            Stage::ForWhom => "Are you calling for yourself, or on behalf of someone else?".to_owned(),
            Stage::Message => "What would you like me to pass on to the firm? A sentence or two is enough; please don't go into the details of your matter yet.".to_owned(),
            Stage::Topic => "In a sentence or two, what is your legal matter about? Please don't go into details yet.".to_owned(),
            Stage::ConfirmArea { key } => format!(
                "Just to confirm, is this about {}?",
                self.firm.areas.iter().find(|(k, _)| k == key).map_or(key.as_str(), |(_, n)| n).to_lowercase()
            ),
            Stage::ConflictQuestion { index } => self
                .conflict_questions()
                .get(*index)
                .map_or_else(String::new, |q| q.prompt.clone()),
            Stage::Fact { index } => self
                .fact_questions()
                .get(*index)
                .map_or_else(String::new, |q| q.prompt.clone()),
            Stage::Preference => "When would be a good time for a consultation? For example, a weekday morning, or as soon as possible.".to_owned(),
            Stage::Choose { options } => {
                let spoken: Vec<String> = options.iter().map(|o| o.spoken.clone()).collect();
                format!("The options are {}. Which would you like?", join_or(&spoken))
            }
            Stage::AnythingElse => "Is there anything else I can help you with today?".to_owned(),
            _ => String::new(),
        };
        if !line.is_empty() {
            out.say(&line);
        }
    }

    fn finish(&mut self, out: &mut Out, status: IntakeStatus) {
        self.intake.status = status;
        self.intake.summary = Some(self.intake.local_summary());
        self.stage = Stage::Done;
        out.push(Action::End { status });
    }
}

/// Collects actions; every `Say` passes the output guardrail and lands in
/// the transcript.
#[derive(Default)]
struct Out {
    actions: Vec<Action>,
}

impl Out {
    fn say(&mut self, text: &str) {
        self.actions.push(Action::Say {
            text: text.to_owned(),
        });
    }

    fn push(&mut self, a: Action) {
        self.actions.push(a);
    }

    fn finish(self, engine: &mut Engine, at: DateTime<Utc>) -> Vec<Action> {
        let mut actions = Vec::with_capacity(self.actions.len() + 1);
        for a in self.actions {
            match a {
                Action::Say { text } => {
                    let text = match guardrail::check_utterance(&text) {
                        Verdict::Allow => text,
                        Verdict::Block { safe_reply, .. } => safe_reply,
                    };
                    engine.intake.transcript.push(Turn {
                        at,
                        speaker: Speaker::Agent,
                        text: text.clone(),
                    });
                    actions.push(Action::Say { text });
                }
                other => actions.push(other),
            }
        }
        actions.push(Action::Save);
        actions
    }
}

/// "+15035550100" → "5 0 3, 5 5 5, 0 1 0 0".
fn read_digits(e164: &str) -> String {
    let d: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let d = if d.len() == 11 && d[0] == '1' {
        &d[1..]
    } else {
        &d[..]
    };
    if d.len() == 10 {
        let g = |r: std::ops::Range<usize>| {
            d[r].iter()
                .map(char::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        format!("{}, {}, {}", g(0..3), g(3..6), g(6..10))
    } else {
        d.iter().map(char::to_string).collect::<Vec<_>>().join(" ")
    }
}

/// Whether `spelled` is the heard family name with its first one or two
/// letters missing — the start of a spelling clipped by the line (or the
/// recogniser), which must not cut the name short.
fn clipped_spelling(full: Option<&str>, spelled: &str) -> bool {
    let words: Vec<&str> = full.unwrap_or_default().split_whitespace().collect();
    let (Some(family), true) = (words.last(), words.len() > 1) else {
        return false;
    };
    let (family, spelled) = (family.to_lowercase(), spelled.to_lowercase());
    spelled.len() >= 2
        && spelled.len() < family.len()
        && family.len() - spelled.len() <= 2
        && family.ends_with(&spelled)
}

/// Replaces the family name with its spelled form.
fn respell_family(full: &str, spelled: &str) -> String {
    let mut words: Vec<String> = full.split_whitespace().map(str::to_owned).collect();
    let mut s: Vec<char> = spelled.to_lowercase().chars().collect();
    if let Some(first) = s.first_mut() {
        *first = first.to_ascii_uppercase();
    }
    let spelled: String = s.into_iter().collect();
    if words.len() > 1 {
        if let Some(last) = words.last_mut() {
            *last = spelled;
        }
    } else {
        words.push(spelled);
    }
    words.join(" ")
}

/// A party named in an answer ("the other driver was John Miller", "Acme
/// Trucking"), or `None` for "I don't know" / "no one".
fn party_name(text: &str) -> Option<String> {
    let t = nlu::normalize(text);
    if t.is_empty()
        || matches!(nlu::yes_no(text), Some(YesNo::No | YesNo::Unsure))
        || ["don't know", "not sure", "no one", "nobody", "none"]
            .iter()
            .any(|k| t.contains(k))
    {
        return None;
    }
    if let Some(n) = nlu::person_name(text) {
        return Some(n.full);
    }
    let cleaned = text
        .trim()
        .trim_end_matches(['.', '!', '?'])
        .trim_start_matches("it's ")
        .trim_start_matches("It's ")
        .trim();
    (!cleaned.is_empty() && cleaned.len() <= 200).then(|| cleaned.to_owned())
}

/// Parses an answer to a fact question by its kind; `None` if it does not
/// look like one.
fn parse_answer(q: &Question, text: &str, at: DateTime<Utc>, tz: Tz) -> Option<(String, f32)> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match &q.kind {
        AnswerKind::YesNo => nlu::yes_no(t).map(|a| {
            let v = match a {
                YesNo::Yes => "yes",
                YesNo::No => "no",
                YesNo::Unsure => "unsure",
            };
            (v.to_owned(), if a == YesNo::Unsure { 0.5 } else { 0.9 })
        }),
        AnswerKind::Date => match nlu::date_time(t, at, tz) {
            Some(w) => w
                .date
                .map(|d| (d.to_string(), if w.approximate { 0.6 } else { 0.85 })),
            None if matches!(nlu::yes_no(t), Some(YesNo::Unsure)) => Some(("unknown".into(), 0.3)),
            None => None,
        },
        AnswerKind::Number => nlu::number(t).map(|n| (n.to_string(), 0.85)),
        AnswerKind::Money => nlu::money(t).map(|c| (format!("{}.{:02}", c / 100, c % 100), 0.7)),
        AnswerKind::Phone => nlu::phone_number(t).map(|p| (p, 0.8)),
        AnswerKind::Email => nlu::email(t).map(|e| (e, 0.8)),
        AnswerKind::PersonName => nlu::person_name(t)
            .map(|n| (n.full, 0.8))
            .or(Some((t.to_owned(), 0.5))),
        AnswerKind::Choice(options) => {
            let n = nlu::normalize(t);
            options
                .iter()
                .find(|o| n.contains(&o.to_lowercase()))
                .map(|o| (o.clone(), 0.85))
        }
        AnswerKind::Text | AnswerKind::OrganizationName => Some((t.to_owned(), 0.7)),
    }
}

/// Which offered option the caller picked: "the first one", "the second",
/// "the last", "Tuesday", "ten thirty".
fn choose(text: &str, options: &[SlotOption]) -> Option<SlotOption> {
    let t = nlu::normalize(text);
    let ordinals: [(&[&str], usize); 3] = [
        (&["first", "1st", "one", "earliest", "earlier"], 0),
        (&["second", "2nd", "two", "middle"], 1),
        (&["third", "3rd", "three"], 2),
    ];
    if ["last", "latest", "later one"]
        .iter()
        .any(|k| t.contains(k))
    {
        return options.last().cloned();
    }
    for (words, i) in ordinals {
        if words.iter().any(|w| t.split_whitespace().any(|x| x == *w))
            && let Some(o) = options.get(i)
        {
            return Some(o.clone());
        }
    }
    // A word that only one option's spoken form contains ("tuesday", "10:30").
    let words: Vec<&str> = t.split_whitespace().filter(|w| w.len() >= 3).collect();
    let matching: Vec<&SlotOption> = options
        .iter()
        .filter(|o| {
            let s = o.spoken.to_lowercase();
            words.iter().any(|w| {
                s.contains(w) && !["the", "and", "one", "time", "works", "that"].contains(w)
            })
        })
        .collect();
    if matching.len() == 1 {
        return Some(matching[0].clone());
    }
    if options.len() == 1 && nlu::yes_no(text) == Some(YesNo::Yes) {
        return options.first().cloned();
    }
    None
}

/// A unit enum's serde name: `Urgency::Urgent` → "urgent".
fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
    }
}
