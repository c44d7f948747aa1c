//! Twilio Media Streams over a WebSocket, as Twilio documents them: what
//! arrives (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`) and what
//! HERMES sends back (`media`, `mark`, `clear`).
//!
//! Parsing never panics and never ends a call: a message that is not JSON,
//! an event HERMES does not know, or a `media` frame whose payload is not
//! base64 comes back as a [`Problem`] for the transport to log and count,
//! and the call goes on.

use serde::{Deserialize, Serialize};

use crate::stream::envelope;
pub use crate::stream::{MAX_MESSAGE_BYTES, OutMark, OutMedia, Problem};

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

/// Twilio's own fields of a message (beside [`crate::stream::Common`]).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    sequence_number: Option<serde_json::Value>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    stop: Option<RawStop>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStop {
    call_sid: String,
}

/// Parses one text message from the stream.
pub fn parse(text: &str) -> Result<Inbound, Problem> {
    let (event, c, raw) = envelope::<Raw>(text)?;
    match event.name() {
        "connected" => Ok(Inbound::Connected {
            protocol: raw.protocol.unwrap_or_default(),
            version: c.version.unwrap_or_default(),
        }),
        "start" => serde_json::from_value(event.object(c.start, "start")?)
            .map(Inbound::Start)
            .map_err(|e| event.malformed(&e.to_string())),
        "media" => {
            let m = event.media(c.media, &raw.sequence_number)?;
            Ok(Inbound::Media {
                sequence: m.sequence,
                chunk: m.chunk,
                timestamp_ms: m.timestamp_ms,
                track: m.track,
                ulaw: m.payload,
            })
        }
        "dtmf" => Ok(Inbound::Dtmf {
            digit: event.digit(c.dtmf)?,
        }),
        "mark" => Ok(Inbound::Mark {
            name: event.mark(c.mark)?,
        }),
        "stop" => Ok(Inbound::Stop {
            call_sid: raw.stop.map(|s| s.call_sid).unwrap_or_default(),
        }),
        _ => Err(event.unknown()),
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

impl Outbound {
    pub fn media(stream_sid: &str, ulaw: &[u8]) -> Self {
        Outbound::Media {
            stream_sid: stream_sid.to_owned(),
            media: OutMedia::of(ulaw),
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
