//! Local language understanding: what a caller said, as typed values, with
//! no LLM and no I/O.
//!
//! Input is speech-to-text output (lower-case, unpunctuated, numbers as words
//! or digits, "um"s) or chat text. Each extractor is a small hand-written
//! grammar rather than a model because the values are exact (a phone number
//! is right or wrong), the vocabulary is closed (digits, letters, month
//! names), it must run in microseconds on every turn, and a wrong guess is
//! worse than `None`: the dialogue re-asks on `None`, and flags a field after
//! two failures. Every extractor starts from [`normalize`] so fillers and
//! apostrophes are handled once. The clock and the time zone are parameters
//! ([`date_time`]), so the module stays pure and tests are deterministic.

mod answers;
mod datetime;
mod email;
mod name;
mod numbers;
mod phone;
mod spelling;
mod text;

pub use answers::{YesNo, wants_human, yes_no};
pub use datetime::{Prefer, When, date_time, date_time_in};
pub use email::email;
pub use name::{PersonName, person_name};
pub use numbers::{money, number, words_to_digits};
pub use phone::{phone_correction, phone_number};
pub use spelling::{spelled_word, spelled_words};
pub use text::normalize;
