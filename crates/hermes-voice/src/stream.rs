//! What Twilio's and Telnyx's media-stream messages share (Telnyx modelled
//! its stream on Twilio's): the `media`, `dtmf` and `mark` objects,
//! numbers sent as strings, the size limit, and the ways a message can
//! fail to be understood. Each provider's module reads its own envelope
//! (`streamSid` or `stream_id`, `sequenceNumber` or `sequence_number`) and
//! hands the shared objects to [`Event`].

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Largest text message accepted from a stream: a 20 ms μ-law frame is
/// ~300 bytes of JSON; a `start` with custom parameters a few KiB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Why a message was not understood.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("message of {0} bytes is over the limit")]
    TooLarge(usize),
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("unknown event {0:?}")]
    UnknownEvent(String),
    #[error("malformed {event}: {reason}")]
    Malformed { event: String, reason: String },
}

#[derive(Deserialize)]
struct Envelope<X> {
    #[serde(flatten)]
    common: Common,
    #[serde(flatten)]
    own: X,
}

/// One text message: its event, the fields both providers name alike,
/// and the provider's own (`X`).
pub(crate) fn envelope<X: DeserializeOwned>(text: &str) -> Result<(Event, Common, X), Problem> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(Problem::TooLarge(text.len()));
    }
    let e: Envelope<X> = serde_json::from_str(text).map_err(|e| Problem::NotJson(e.to_string()))?;
    let event = Event(e.common.event.clone().unwrap_or_default());
    Ok((event, e.common, e.own))
}

/// Both send their numbers as strings (`"sequenceNumber": "2"`), and may
/// not always.
pub(crate) fn number(v: &Option<serde_json::Value>) -> u64 {
    match v {
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// The envelope's fields both providers name alike.
#[derive(Deserialize)]
pub(crate) struct Common {
    pub event: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub start: Option<serde_json::Value>,
    #[serde(default)]
    pub media: Option<RawMedia>,
    #[serde(default)]
    pub dtmf: Option<RawDtmf>,
    #[serde(default)]
    pub mark: Option<RawMark>,
}

#[derive(Deserialize)]
pub(crate) struct RawMedia {
    #[serde(default)]
    track: Option<String>,
    #[serde(default)]
    chunk: Option<serde_json::Value>,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    payload: String,
}

#[derive(Deserialize)]
pub(crate) struct RawDtmf {
    digit: String,
}

#[derive(Deserialize)]
pub(crate) struct RawMark {
    name: String,
}

/// A `media` message: a chunk of the caller's audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// The message's place among all the stream's messages.
    pub sequence: u64,
    /// The chunk's place among the media chunks.
    pub chunk: u64,
    /// Milliseconds since the stream started.
    pub timestamp_ms: u64,
    pub track: String,
    /// The audio (for PCMU, μ-law 8 kHz), decoded from base64.
    pub payload: Vec<u8>,
}

/// The event a message names, and the objects it carries.
pub(crate) struct Event(pub String);

impl Event {
    pub(crate) fn name(&self) -> &str {
        &self.0
    }

    pub(crate) fn malformed(&self, reason: &str) -> Problem {
        Problem::Malformed {
            event: self.0.clone(),
            reason: reason.to_owned(),
        }
    }

    /// The event's `what` object, which it must have.
    pub(crate) fn object<T>(&self, o: Option<T>, what: &str) -> Result<T, Problem> {
        o.ok_or_else(|| self.malformed(&format!("no {what} object")))
    }

    pub(crate) fn media(
        &self,
        m: Option<RawMedia>,
        sequence: &Option<serde_json::Value>,
    ) -> Result<Media, Problem> {
        let m = self.object(m, "media")?;
        let payload = STANDARD
            .decode(m.payload.as_bytes())
            .map_err(|e| self.malformed(&format!("payload is not base64: {e}")))?;
        Ok(Media {
            sequence: number(sequence),
            chunk: number(&m.chunk),
            timestamp_ms: number(&m.timestamp),
            track: m.track.unwrap_or_else(|| "inbound".into()),
            payload,
        })
    }

    pub(crate) fn digit(&self, d: Option<RawDtmf>) -> Result<char, Problem> {
        let d = self.object(d, "dtmf")?;
        let mut chars = d.digit.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => Ok(c),
            _ => Err(self.malformed("digit is not one of 0-9 * #")),
        }
    }

    pub(crate) fn mark(&self, m: Option<RawMark>) -> Result<String, Problem> {
        Ok(self.object(m, "mark")?.name)
    }

    /// What an event no arm took is: none at all, or one HERMES does not
    /// know.
    pub(crate) fn unknown(self) -> Problem {
        if self.0.is_empty() {
            self.malformed("no event")
        } else {
            Problem::UnknownEvent(self.0)
        }
    }
}

/// The `media` object HERMES sends: audio to play, base64.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutMedia {
    pub payload: String,
}

impl OutMedia {
    pub fn of(audio: &[u8]) -> Self {
        OutMedia {
            payload: STANDARD.encode(audio),
        }
    }
}

/// The `mark` object HERMES sends: a name to echo once what came before
/// it has played.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutMark {
    pub name: String,
}
