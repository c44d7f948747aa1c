//! Notifications at the edge: the senders that talk to the outside world
//! (SMS through Twilio's REST API, email through SMTP) and the outbox
//! [`worker`] that delivers the jobs `hermes-store` keeps.
//!
//! Why a crate of its own: these are the only parts of HERMES that make
//! outbound network calls to third parties, with their own dependencies
//! (an HTTP client, an SMTP client and their TLS); keeping them here keeps
//! `hermes-api` free of them and lets the senders be tested on their own
//! against a validating Twilio mock and a real SMTP server.
//!
//! # Layout
//! - [`sms`]: [`TwilioSms`], one `POST …/Messages.json` per message.
//! - [`email`]: [`SmtpMailer`], plain text over SMTP (plain, STARTTLS or
//!   TLS).
//! - [`worker`]: leases due jobs, sends them, records the outcome.
//! - [`calls`]: [`TwilioCalls`], [`TelnyxCalls`]: new instructions for a
//!   live call (a warm transfer).
//!
//! **Architecture Invariant:** message bodies and recipients are never
//! logged: they are firm-internal and name callers. Logs carry job ids,
//! kinds, attempts and errors.

pub mod calls;
pub mod email;
pub mod sms;
pub mod worker;

use serde::{Deserialize, Serialize};

pub use calls::{TelnyxCalls, TwilioCalls};
pub use email::{SmtpConfig, SmtpMailer, SmtpTls};
pub use sms::{TwilioConfig, TwilioSms};
pub use worker::{JobHandler, Senders, Worker, WorkerConfig, WorkerHandle};

/// What an `sms` job carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsPayload {
    /// E.164.
    pub to: String,
    pub body: String,
}

/// What an `email` job carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPayload {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Why a message was not sent. The text names the cause (a status code, a
/// connection error), never the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// Trying again cannot help (the provider refused the request as
    /// invalid): the job is dead at once.
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            permanent: false,
            message: message.into(),
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            permanent: true,
            message: message.into(),
        }
    }
}
