//! Twilio Media Streams over a WebSocket, as Twilio documents them: what
//! arrives (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`) and what
//! HERMES sends back (`media`, `mark`, `clear`).
//!
//! Parsing never panics and never ends a call: a message that is not JSON,
//! an event HERMES does not know, or a `media` frame whose payload is not
//! base64 comes back as a [`Problem`] for the transport to log and count,
//! and the call goes on.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// Largest text message accepted from the stream: a 20 ms μ-law frame is
/// ~300 bytes of JSON; a `start` with custom parameters a few KiB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The stream's read buffer: a dozen 20 ms frames. tungstenite zero-fills
/// the whole buffer before every read (128 KiB by default), and a call
/// reads 50 small messages a second, so a large buffer costs a memset of
/// it 50 times a second and 128 KiB of memory per call; a message larger
/// than the buffer is still read whole (the buffer grows for it).
pub const READ_BUFFER_BYTES: usize = 4 * 1024;

/// A message from Twilio.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Connected {
        protocol: String,
        version: String,
    },
    Start(Start),
    /// 20 ms of the caller's audio, μ-law 8 kHz, decoded from base64.
    Media {
        sequence: u64,
        chunk: u64,
        /// Milliseconds since the stream started.
        timestamp_ms: u64,
        track: String,
        ulaw: Vec<u8>,
    },
    Dtmf {
        digit: char,
    },
    /// Twilio played everything queued before the mark of this name.
    Mark {
        name: String,
    },
    Stop {
        call_sid: String,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Start {
    pub stream_sid: String,
    pub account_sid: String,
    pub call_sid: String,
    #[serde(default)]
    pub tracks: Vec<String>,
    #[serde(default)]
    pub custom_parameters: std::collections::BTreeMap<String, String>,
    pub media_format: MediaFormat,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFormat {
    pub encoding: String,
    pub sample_rate: u32,
    pub channels: u32,
}

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
#[serde(rename_all = "camelCase")]
struct Raw {
    event: Option<String>,
    #[serde(default)]
    sequence_number: Option<serde_json::Value>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    start: Option<serde_json::Value>,
    #[serde(default)]
    media: Option<RawMedia>,
    #[serde(default)]
    dtmf: Option<RawDtmf>,
    #[serde(default)]
    mark: Option<RawMark>,
    #[serde(default)]
    stop: Option<RawStop>,
}

#[derive(Deserialize)]
struct RawMedia {
    #[serde(default)]
    track: Option<String>,
    #[serde(default)]
    chunk: Option<serde_json::Value>,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    payload: String,
}

#[derive(Deserialize)]
struct RawDtmf {
    digit: String,
}

#[derive(Deserialize)]
struct RawMark {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStop {
    call_sid: String,
}

/// Twilio sends its numbers as strings ("sequenceNumber": "2").
fn number(v: &Option<serde_json::Value>) -> u64 {
    match v {
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// Parses one text message from the stream.
pub fn parse(text: &str) -> Result<Inbound, Problem> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(Problem::TooLarge(text.len()));
    }
    let raw: Raw = serde_json::from_str(text).map_err(|e| Problem::NotJson(e.to_string()))?;
    let event = raw.event.clone().unwrap_or_default();
    let malformed = |reason: &str| Problem::Malformed {
        event: event.clone(),
        reason: reason.to_owned(),
    };
    match event.as_str() {
        "connected" => Ok(Inbound::Connected {
            protocol: raw.protocol.unwrap_or_default(),
            version: raw.version.unwrap_or_default(),
        }),
        "start" => {
            let start = raw.start.ok_or_else(|| malformed("no start object"))?;
            serde_json::from_value(start)
                .map(Inbound::Start)
                .map_err(|e| malformed(&e.to_string()))
        }
        "media" => {
            let m = raw.media.ok_or_else(|| malformed("no media object"))?;
            let ulaw = STANDARD
                .decode(m.payload.as_bytes())
                .map_err(|e| malformed(&format!("payload is not base64: {e}")))?;
            Ok(Inbound::Media {
                sequence: number(&raw.sequence_number),
                chunk: number(&m.chunk),
                timestamp_ms: number(&m.timestamp),
                track: m.track.unwrap_or_else(|| "inbound".into()),
                ulaw,
            })
        }
        "dtmf" => {
            let d = raw.dtmf.ok_or_else(|| malformed("no dtmf object"))?;
            let mut chars = d.digit.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => {
                    Ok(Inbound::Dtmf { digit: c })
                }
                _ => Err(malformed("digit is not one of 0-9 * #")),
            }
        }
        "mark" => Ok(Inbound::Mark {
            name: raw.mark.ok_or_else(|| malformed("no mark object"))?.name,
        }),
        "stop" => Ok(Inbound::Stop {
            call_sid: raw.stop.map(|s| s.call_sid).unwrap_or_default(),
        }),
        "" => Err(malformed("no event")),
        other => Err(Problem::UnknownEvent(other.to_owned())),
    }
}

/// A message to Twilio.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Outbound {
    /// Audio to play, μ-law 8 kHz, base64.
    Media {
        #[serde(rename = "streamSid")]
        stream_sid: String,
        media: OutMedia,
    },
    /// Ask Twilio to say when everything before it has been played.
    Mark {
        #[serde(rename = "streamSid")]
        stream_sid: String,
        mark: OutMark,
    },
    /// Drop everything queued and not yet played (barge-in).
    Clear {
        #[serde(rename = "streamSid")]
        stream_sid: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutMedia {
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutMark {
    pub name: String,
}

impl Outbound {
    pub fn media(stream_sid: &str, ulaw: &[u8]) -> Self {
        Outbound::Media {
            stream_sid: stream_sid.to_owned(),
            media: OutMedia {
                payload: STANDARD.encode(ulaw),
            },
        }
    }

    pub fn mark(stream_sid: &str, name: &str) -> Self {
        Outbound::Mark {
            stream_sid: stream_sid.to_owned(),
            mark: OutMark {
                name: name.to_owned(),
            },
        }
    }

    pub fn clear(stream_sid: &str) -> Self {
        Outbound::Clear {
            stream_sid: stream_sid.to_owned(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("outbound messages serialise")
    }
}
