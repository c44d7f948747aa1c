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
