//! The intake agent's brain, with no I/O: what the caller meant
//! ([`nlu`]), what the agent must never say ([`guardrail`]), how urgent the
//! matter is ([`urgency`]), which practice area it belongs to
//! ([`practice`]), the questions each area asks ([`questions`]), how a
//! decision is taken from several readings ([`reasoning`]), and the
//! dialogue policy that turns caller events into agent actions.

pub mod dialogue;
pub mod guardrail;
pub mod nlu;
pub mod practice;
pub mod questions;
pub mod reasoning;
pub mod record;
pub mod urgency;

/// Compiles the patterns every extractor uses (they are built on first
/// use), so the first caller of a new process does not wait ~50 ms for
/// them. Call once at start-up, off the request path.
pub fn warm() {
    let now = chrono::Utc::now();
    let _ = guardrail::check_utterance("Thank you for calling.");
    let _ = guardrail::is_advice_request("should I sue them?");
    let _ = urgency::triage("my hearing is tomorrow", &[], now.date_naive());
    let _ = practice::classify("I was in a car accident");
    let _ = nlu::date_time("next Tuesday at 3", now, chrono_tz::UTC);
    let _ = nlu::person_name("my name is Maria Lopez");
    let _ = nlu::phone_number("five oh three five five five zero one zero zero");
    let _ = nlu::email("maria dot lopez at gmail dot com");
    let _ = nlu::yes_no("yes");
    let _ = nlu::wants_human("a person please");
    let _ = nlu::money("two thousand dollars");
}
