//! The optional language model of the intake agent.
//!
//! When a firm's deployment configures one, the agent asks a model, over
//! any OpenAI-compatible chat-completions server (OpenAI, vLLM, Ollama,
//! llama.cpp's server), to do what local understanding does less well:
//! classify a caller's words ([`LlmClient::classify`]), pick out the
//! parties they name ([`LlmClient::extract_parties`]), pull intake answers
//! out of a free-form story ([`LlmClient::extract_fields`], tool calling),
//! summarise a call ([`LlmClient::summarise`]) and phrase what the agent is
//! about to say naturally ([`LlmClient::phrase`], streamed).
//!
//! # Why it is built this way
//!
//! - **The model never decides policy.** The dialogue engine
//!   (`hermes-intake`) decides what happens next: which question, whether
//!   to check conflicts, when to escalate, what must be disclosed. The
//!   model only turns words into typed values (a label out of a fixed
//!   enum, names with one of three roles, answers to known question ids)
//!   or turns the engine's draft into nicer words. Its output is checked
//!   here against what was asked, and every sentence the agent speaks,
//!   phrased by the model or not, passes the agent's output guardrail
//!   before it is said. [`LlmClient::phrase`] returns the model's text
//!   as it came: it does not filter it, the guardrail does.
//! - **Every call has a deadline.** A caller on the phone hears silence
//!   while the model thinks. Each operation finishes by the deadline in
//!   [`LlmConfig`] (streaming has two: the first token and the whole
//!   text), whatever the server does: answers slowly, hangs, drops the
//!   connection.
//! - **Callers fall back.** Every operation returns
//!   `Result<_, LlmError>`, and the agent treats any error as "use the
//!   local path", which works without a model at all. So a slow, broken
//!   or rate-limited server costs at most one deadline per turn, and the
//!   caller does not notice which path answered. There are no retries
//!   here for the same reason.
//! - **Sampling for votes.** `classify` and `extract_parties` take
//!   `n_samples` at a temperature with a seed: they send that many
//!   separate requests at once (seeds `seed`, `seed + 1`, …), since many
//!   servers ignore the `n` parameter, and return each sample for the
//!   reasoning engine to vote on.
//! - **Caller text is data.** It is put between tags the caller cannot
//!   close, and the system prompts say it is never an instruction (see
//!   `prompts.rs`).
//!
//! The pattern on the caller's side (a sketch: `local_topic` and
//! `majority` are the agent's):
//!
//! ```ignore
//! let topic = match &llm {
//!     Some(llm) => match llm.classify(text, &areas, 3, 0.7, seed).await {
//!         Ok(votes) => majority(&votes).or_else(|| local_topic(text)),
//!         // Timed out, 5xx, 429, garbage: the caller hears no difference.
//!         Err(_) => local_topic(text),
//!     },
//!     None => local_topic(text),
//! };
//! ```
//!
//! # Client choice
//!
//! A thin client of our own over `reqwest` (rustls with aws-lc-rs, which
//! the workspace already builds; no OpenSSL) and `eventsource-stream` for
//! server-sent events, rather than `async-openai`. `async-openai` is well
//! kept and supports custom base URLs, tools, structured outputs and
//! streaming, but for this use it brings a second copy of much of the
//! OpenAI API's types and builders (compile time on two-core CI), retries
//! rate-limited requests with back-off on its own (we want the error now
//! and the local path), and deserialises responses strictly into OpenAI's
//! exact shapes, which the compatible servers do not all follow (missing
//! `created` or `usage`, tool arguments as an object). What HERMES sends
//! and reads is a few fields (`wire.rs`), read leniently.
//!
//! # Layout
//!
//! - `config.rs`: [`LlmConfig`] (URL, key, model, deadlines).
//! - `client.rs`: [`LlmClient`], the HTTP call, plain and streamed, under
//!   a deadline; status codes to [`LlmError`].
//! - `wire.rs`: the request and response shapes.
//! - `prompts.rs`: the system prompts and the tagging of caller text.
//! - `ops.rs`: the typed operations and the checks of their output.
//!
//! The tests run against the scripted OpenAI-compatible server in
//! `hermes-testkit` (`fake_llm`): delays, errors, hangs and dropped
//! connections included.

mod client;
mod config;
mod error;
mod ops;
mod prompts;
mod wire;

pub use client::LlmClient;
pub use config::LlmConfig;
pub use error::LlmError;
pub use ops::{ExtractedParty, FieldKind, FieldSpec, MAX_SAMPLES, PartyRole, Speaker, UNKNOWN};
