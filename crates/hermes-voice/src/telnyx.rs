//! Telnyx media streaming over a WebSocket, and how a Telnyx webhook
//! proves it came from Telnyx.
//!
//! HERMES answers Telnyx calls with **TeXML** (a TeXML Application whose
//! voice URL is `/voice/telnyx/{firm}/incoming`), not Call Control. Why:
//! TeXML answers the ringing call in the webhook's own response
//! (`<Connect><Stream url=… bidirectionalMode="rtp"
//! bidirectionalCodec="PCMU">`), the way Twilio's TwiML does, so a small
//! firm configures one application with two URLs and its public key, and
//! HERMES needs no REST round trip (and no API key) to take a call. Call
//! Control would answer each call with `POST /v2/calls/{id}/actions/answer`
//! from the `call.initiated` event: one more request on the path of every
//! call, and one more thing to fail. The REST API is used only for the
//! warm transfer (TeXML's call update, `crates/hermes-notify`).
//!
//! What arrives on the stream (`connected`, `start`, `media`, `dtmf`,
//! `mark`, `stop`, `error`) and what HERMES sends (`media`, `mark`,
//! `clear`) follow Telnyx's AsyncAPI document:
//! <https://developers.telnyx.com/api-reference/websockets/stream-call-media-over-websocket>.
//! The `<Stream>` attributes:
//! <https://developers.telnyx.com/docs/voice/programmable-voice/texml-verbs/stream>.
//!
//! Parsing never panics and never ends a call: a message that is not
//! JSON, an event HERMES does not know, a `media` frame whose payload is
//! not base64 comes back as a [`Problem`] for the transport to log and
//! count. Telnyx does not promise the order of media frames ("Media frame
//! order is not guaranteed. Use media.chunk, media.timestamp, and
//! sequence_number to order frames"), so [`MediaOrder`] puts them back in
//! order with the [`crate::jitter`] buffer.

use std::collections::BTreeMap;

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::jitter::{JitterBuffer, Out};
use crate::stream::envelope;
pub use crate::stream::{MAX_MESSAGE_BYTES, Media, OutMark, OutMedia, Problem};

/// A message from Telnyx.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Connected {
        version: String,
    },
    Start(Start),
    /// A chunk of the caller's audio: the RTP payload, no header (μ-law
    /// 8 kHz for PCMU). Its `chunk` counts media only: what [`MediaOrder`]
    /// orders by.
    Media(Media),
    Dtmf {
        digit: char,
    },
    /// Telnyx played everything sent before the mark of this name.
    Mark {
        name: String,
    },
    Stop {
        call_control_id: String,
    },
    /// Telnyx reports a problem with the stream (a frame it could not
    /// take); the call goes on.
    Error {
        code: Option<i64>,
        title: String,
        detail: String,
    },
}

/// The `start` frame: the stream, the call, and the media format.
#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    /// From the envelope (`stream_id` sits beside `start`, not in it).
    pub stream_id: String,
    pub call_control_id: String,
    /// The account: TeXML's `AccountSid` is this `user_id`.
    pub user_id: String,
    pub call_session_id: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `<Parameter>`s of the TeXML `<Stream>`.
    pub custom_parameters: BTreeMap<String, String>,
    pub media_format: MediaFormat,
}

/// The inbound audio's format as the `start` frame gives it (zero or
/// empty where Telnyx left a field out).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaFormat {
    pub encoding: String,
    pub sample_rate: u32,
    pub channels: u32,
}

impl MediaFormat {
    /// μ-law at 8 kHz, mono — what HERMES asks for (`codec="PCMU"`) and
    /// decodes. A field left out is taken as asked.
    pub fn is_pcmu_8k(&self) -> bool {
        let e = self.encoding.to_ascii_lowercase();
        (e.is_empty() || e == "pcmu" || e == "audio/x-mulaw")
            && matches!(self.sample_rate, 0 | 8000)
            && matches!(self.channels, 0 | 1)
    }
}

/// `media_format` as sent: numbers as numbers or strings, any field absent.
#[derive(Deserialize, Default)]
struct RawFormat {
    #[serde(default)]
    encoding: String,
    #[serde(default)]
    sample_rate: Option<serde_json::Value>,
    #[serde(default)]
    channels: Option<serde_json::Value>,
}

/// Telnyx's own fields of a message (beside [`crate::stream::Common`]).
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    sequence_number: Option<serde_json::Value>,
    #[serde(default)]
    stream_id: Option<String>,
    #[serde(default)]
    stop: Option<RawStop>,
    /// The `error` frame's details.
    #[serde(default)]
    payload: Option<RawError>,
}

#[derive(Deserialize)]
struct RawStart {
    call_control_id: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    call_session_id: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    custom_parameters: BTreeMap<String, String>,
    #[serde(default)]
    media_format: RawFormat,
}

#[derive(Deserialize)]
struct RawStop {
    #[serde(default)]
    call_control_id: String,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
}

/// Parses one text message from the stream.
pub fn parse(text: &str) -> Result<Inbound, Problem> {
    let (event, c, raw) = envelope::<Raw>(text)?;
    match event.name() {
        "connected" => Ok(Inbound::Connected {
            version: c.version.unwrap_or_default(),
        }),
        "start" => {
            let s: RawStart = serde_json::from_value(event.object(c.start, "start")?)
                .map_err(|e| event.malformed(&e.to_string()))?;
            Ok(Inbound::Start(Start {
                stream_id: raw.stream_id.unwrap_or_default(),
                call_control_id: s.call_control_id,
                user_id: s.user_id,
                call_session_id: s.call_session_id,
                from: s.from,
                to: s.to,
                custom_parameters: s.custom_parameters,
                media_format: MediaFormat {
                    encoding: s.media_format.encoding,
                    sample_rate: crate::stream::number(&s.media_format.sample_rate) as u32,
                    channels: crate::stream::number(&s.media_format.channels) as u32,
                },
            }))
        }
        "media" => Ok(Inbound::Media(event.media(c.media, &raw.sequence_number)?)),
        "dtmf" => Ok(Inbound::Dtmf {
            digit: event.digit(c.dtmf)?,
        }),
        "mark" => Ok(Inbound::Mark {
            name: event.mark(c.mark)?,
        }),
        "stop" => Ok(Inbound::Stop {
            call_control_id: raw.stop.map(|s| s.call_control_id).unwrap_or_default(),
        }),
        "error" => {
            let e = event.object(raw.payload, "payload")?;
            Ok(Inbound::Error {
                code: e
                    .code
                    .is_some()
                    .then(|| crate::stream::number(&e.code) as i64),
                title: e.title,
                detail: e.detail,
            })
        }
        _ => Err(event.unknown()),
    }
}

/// A message to Telnyx. None carries the stream id: the socket is the
/// stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Outbound {
    /// Audio to play: the RTP payload (PCMU, 8 kHz), base64.
    Media { media: OutMedia },
    /// Ask Telnyx to say when everything before it has been played.
    Mark { mark: OutMark },
    /// Drop everything queued and not yet played (barge-in); Telnyx sends
    /// back the marks it dropped.
    Clear,
}

impl Outbound {
    pub fn media(ulaw: &[u8]) -> Self {
        Outbound::Media {
            media: OutMedia::of(ulaw),
        }
    }

    pub fn mark(name: &str) -> Self {
        Outbound::Mark {
            mark: OutMark {
                name: name.to_owned(),
            },
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("outbound messages serialise")
    }
}

/// μ-law's code for silence, what a lost frame is played as.
const ULAW_SILENCE: u8 = 0xFF;

/// Telnyx's media frames put back in order by `media.chunk` (which counts
/// media frames only; `sequence_number` also counts DTMF and marks, so
/// its gaps are not lost audio). A frame that never comes is heard as
/// silence of a frame's length once `depth` later frames have arrived.
#[derive(Debug)]
pub struct MediaOrder {
    buffer: JitterBuffer<Vec<u8>>,
    frame_len: usize,
}

impl MediaOrder {
    /// `depth` frames of waiting for a missing one (3 = 60 ms).
    pub fn new(depth: usize) -> Self {
        MediaOrder {
            buffer: JitterBuffer::new(depth),
            frame_len: 160,
        }
    }

    /// One media frame in; the frames that are now in order out.
    pub fn push(&mut self, chunk: u64, payload: Vec<u8>) -> Vec<Vec<u8>> {
        if !payload.is_empty() {
            self.frame_len = payload.len();
        }
        // The chunk counter wraps as the buffer's 16-bit numbers do: a
        // call would need 22 minutes of frames before it matters, and the
        // buffer handles the wrap.
        self.buffer
            .push(chunk as u16, payload)
            .into_iter()
            .map(|o| match o {
                Out::Frame(f) => f,
                Out::Missing(_) => vec![ULAW_SILENCE; self.frame_len],
            })
            .collect()
    }

    /// Frames that came after their turn (dropped), twice (dropped), or
    /// never (heard as silence).
    pub fn counts(&self) -> (u64, u64, u64) {
        (
            self.buffer.late,
            self.buffer.duplicates,
            self.buffer.missing,
        )
    }
}

// --- webhook signatures ---------------------------------------------------------

/// Telnyx signs every webhook, TeXML's form-encoded ones included, with
/// Ed25519 over `"{telnyx-timestamp}|{raw body}"`, verifiable with the
/// account's public key (Mission Control → Keys & Credentials → Public
/// Key, base64 of the 32-byte key). Headers `telnyx-signature-ed25519`
/// (base64, 64 bytes) and `telnyx-timestamp` (Unix seconds):
/// <https://developers.telnyx.com/api-reference/callbacks/texml-call-initiated>.
/// A signature older (or newer) than this is refused, so a captured
/// webhook cannot be replayed later; Telnyx's own SDKs allow 5 minutes.
pub const TIMESTAMP_TOLERANCE_S: i64 = 300;

pub const SIGNATURE_HEADER: &str = "telnyx-signature-ed25519";
pub const TIMESTAMP_HEADER: &str = "telnyx-timestamp";

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("the timestamp is not Unix seconds")]
    BadTimestamp,
    #[error("the timestamp is {0} s away from now")]
    Stale(i64),
    #[error("the public key is not a base64 Ed25519 key")]
    BadKey,
    #[error("the signature is not base64")]
    Unreadable,
    #[error("the signature does not match")]
    Mismatch,
}

/// The account's public key, parsed (base64 of 32 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    pub fn parse(base64: &str) -> Result<Self, SignatureError> {
        let bytes = STANDARD
            .decode(base64.trim())
            .map_err(|_| SignatureError::BadKey)?;
        Ok(PublicKey(
            bytes.try_into().map_err(|_| SignatureError::BadKey)?,
        ))
    }
}

fn signed_message(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(timestamp.len() + 1 + body.len());
    m.extend_from_slice(timestamp.as_bytes());
    m.push(b'|');
    m.extend_from_slice(body);
    m
}

/// Checks a webhook: `signature` and `timestamp` are the headers' values
/// (`None` when absent), `now` the current Unix time in seconds.
pub fn verify(
    key: &PublicKey,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let signature = signature.ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    let timestamp = timestamp
        .ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?
        .trim();
    let at: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let skew = now.saturating_sub(at);
    if skew.unsigned_abs() > TIMESTAMP_TOLERANCE_S.unsigned_abs() {
        return Err(SignatureError::Stale(skew));
    }
    let sig = STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::Unreadable)?;
    UnparsedPublicKey::new(&ED25519, key.0)
        .verify(&signed_message(timestamp, body), &sig)
        .map_err(|_| SignatureError::Mismatch)
}

/// Signs webhooks as Telnyx does: for `hermes simulate` and the tests,
/// which play Telnyx with a key pair of their own.
pub struct Signer(Ed25519KeyPair);

impl Signer {
    /// A fresh key pair.
    pub fn generate() -> Self {
        Signer(Ed25519KeyPair::generate().expect("the system's random source works"))
    }

    /// From a 32-byte Ed25519 seed, base64.
    pub fn from_seed(base64: &str) -> Result<Self, SignatureError> {
        let seed = STANDARD
            .decode(base64.trim())
            .map_err(|_| SignatureError::BadKey)?;
        Ed25519KeyPair::from_seed_unchecked(&seed)
            .map(Signer)
            .map_err(|_| SignatureError::BadKey)
    }

    /// The public key as Mission Control shows it (base64).
    pub fn public_key(&self) -> String {
        STANDARD.encode(self.0.public_key().as_ref())
    }

    /// The `telnyx-signature-ed25519` value for this body at `timestamp`.
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        STANDARD.encode(
            self.0
                .sign(&signed_message(&timestamp.to_string(), body))
                .as_ref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The documented `start` frame (Telnyx's AsyncAPI example), with the
    // documented `media`, `dtmf`, `mark`, `stop` and `error` frames.
    const START: &str = r#"{
        "event": "start",
        "sequence_number": "1",
        "stream_id": "32DE0DEA-53CB-4B21-89A4-9E1819C043BC",
        "start": {
            "user_id": "3E6F995F-85F7-4705-9741-53B116D28237",
            "call_control_id": "v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ",
            "call_session_id": "ff55a038-6f5d-11ef-9692-02420aeffb1f",
            "from": "+13122010094",
            "to": "+13122123456",
            "tags": ["TAG1", "TAG2"],
            "client_state": "aGF2ZSBhIG5pY2UgZGF5ID1d",
            "custom_parameters": {"customer_id": "customer_123"},
            "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}
        }
    }"#;

    #[test]
    fn documented_frames_parse() {
        assert_eq!(
            parse(r#"{"event": "connected", "version": "1.0.0"}"#),
            Ok(Inbound::Connected {
                version: "1.0.0".into()
            })
        );
        let Ok(Inbound::Start(s)) = parse(START) else {
            panic!("start did not parse");
        };
        assert_eq!(s.stream_id, "32DE0DEA-53CB-4B21-89A4-9E1819C043BC");
        assert_eq!(
            s.call_control_id,
            "v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ"
        );
        assert_eq!(s.user_id, "3E6F995F-85F7-4705-9741-53B116D28237");
        assert_eq!(s.from.as_deref(), Some("+13122010094"));
        assert_eq!(s.custom_parameters["customer_id"], "customer_123");
        assert_eq!(
            s.media_format,
            MediaFormat {
                encoding: "PCMU".into(),
                sample_rate: 8000,
                channels: 1
            }
        );
        let media = r#"{"event": "media", "sequence_number": "4", "stream_id": "32DE",
            "media": {"track": "inbound", "chunk": "2", "timestamp": "5", "payload": "/w8A"}}"#;
        assert_eq!(
            parse(media),
            Ok(Inbound::Media(Media {
                sequence: 4,
                chunk: 2,
                timestamp_ms: 5,
                track: "inbound".into(),
                payload: vec![0xFF, 0x0F, 0x00],
            }))
        );
        assert_eq!(
            parse(
                r#"{"event": "dtmf", "stream_id": "32DE", "sequence_number": "5", "occurred_at": "2024-01-01T00:00:00Z", "dtmf": {"digit": "0"}}"#
            ),
            Ok(Inbound::Dtmf { digit: '0' })
        );
        assert_eq!(
            parse(
                r#"{"event": "mark", "sequence_number": "6", "stream_id": "32DE", "mark": {"name": "t1-1"}}"#
            ),
            Ok(Inbound::Mark {
                name: "t1-1".into()
            })
        );
        assert_eq!(
            parse(
                r#"{"event": "stop", "sequence_number": "7", "stream_id": "32DE", "stop": {"user_id": "3E6F", "call_control_id": "v2:T02"}}"#
            ),
            Ok(Inbound::Stop {
                call_control_id: "v2:T02".into()
            })
        );
        assert_eq!(
            parse(
                r#"{"event": "error", "sequence_number": "8", "stream_id": "32DE", "payload": {"code": 100002, "title": "Unknown error", "detail": "An unknown error occurred."}}"#
            ),
            Ok(Inbound::Error {
                code: Some(100002),
                title: "Unknown error".into(),
                detail: "An unknown error occurred.".into()
            })
        );
        // Numbers may come as numbers as well as strings.
        assert!(matches!(
            parse(
                r#"{"event": "media", "sequence_number": 9, "media": {"chunk": 7, "timestamp": 140, "payload": ""}}"#
            ),
            Ok(Inbound::Media(Media {
                sequence: 9,
                chunk: 7,
                timestamp_ms: 140,
                ..
            }))
        ));
        assert_eq!(
            parse(r#"{"event": "error", "payload": {"code": "100003", "title": "t"}}"#),
            Ok(Inbound::Error {
                code: Some(100003),
                title: "t".into(),
                detail: String::new()
            })
        );
    }

    #[test]
    fn the_media_format_is_read_leniently_and_checked() {
        let start = |format: &str| {
            let text = format!(
                r#"{{"event": "start", "stream_id": "s", "start": {{"call_control_id": "v2:c"{format}}}}}"#
            );
            match parse(&text) {
                Ok(Inbound::Start(s)) => s.media_format,
                other => panic!("{other:?}"),
            }
        };
        // Absent: taken as asked.
        assert!(start("").is_pcmu_8k());
        let f = start(
            r#", "media_format": {"encoding": "audio/x-mulaw", "sample_rate": "8000", "channels": "1"}"#,
        );
        assert_eq!((f.sample_rate, f.channels), (8000, 1));
        assert!(f.is_pcmu_8k());
        assert!(
            !start(r#", "media_format": {"encoding": "PCMA", "sample_rate": 8000}"#).is_pcmu_8k()
        );
        assert!(
            !start(r#", "media_format": {"encoding": "PCMU", "sample_rate": 16000}"#).is_pcmu_8k()
        );
    }

    #[test]
    fn malformed_input_is_a_problem_never_a_panic() {
        assert!(matches!(parse("not json"), Err(Problem::NotJson(_))));
        assert!(matches!(parse(""), Err(Problem::NotJson(_))));
        assert!(matches!(parse("[1,2]"), Err(Problem::NotJson(_))));
        assert!(matches!(parse("{}"), Err(Problem::Malformed { .. })));
        assert!(matches!(
            parse(r#"{"event": "media"}"#),
            Err(Problem::Malformed { .. })
        ));
        assert!(matches!(
            parse(r#"{"event": "media", "media": {"payload": "@@@"}}"#),
            Err(Problem::Malformed { .. })
        ));
        assert!(matches!(
            parse(r#"{"event": "media", "media": {"payload": 12}}"#),
            Err(Problem::NotJson(_))
        ));
        assert!(matches!(
            parse(r#"{"event": "start", "start": {"user_id": "x"}}"#),
            Err(Problem::Malformed { .. })
        ));
        assert!(matches!(
            parse(r#"{"event": "dtmf", "dtmf": {"digit": "12"}}"#),
            Err(Problem::Malformed { .. })
        ));
        assert!(matches!(
            parse(r#"{"event": "dtmf", "dtmf": {"digit": "x"}}"#),
            Err(Problem::Malformed { .. })
        ));
        assert!(matches!(
            parse(r#"{"event": "mark"}"#),
            Err(Problem::Malformed { .. })
        ));
        assert_eq!(
            parse(r#"{"event": "transcription"}"#),
            Err(Problem::UnknownEvent("transcription".into()))
        );
        let big = format!(
            r#"{{"event": "media", "media": {{"payload": "{}"}}}}"#,
            "A".repeat(MAX_MESSAGE_BYTES)
        );
        assert_eq!(parse(&big), Err(Problem::TooLarge(big.len())));
    }

    #[test]
    fn outbound_messages_are_telnyxs_shapes() {
        let m: serde_json::Value =
            serde_json::from_str(&Outbound::media(&[0xFF, 0x0F, 0x00]).to_json()).unwrap();
        assert_eq!(
            m,
            serde_json::json!({"event": "media", "media": {"payload": "/w8A"}})
        );
        let m: serde_json::Value = serde_json::from_str(&Outbound::mark("t1-2").to_json()).unwrap();
        assert_eq!(
            m,
            serde_json::json!({"event": "mark", "mark": {"name": "t1-2"}})
        );
        assert_eq!(Outbound::Clear.to_json(), r#"{"event":"clear"}"#);
    }

    #[test]
    fn media_is_put_back_in_order_and_a_lost_frame_is_silence() {
        let mut o = MediaOrder::new(3);
        let f = |n: u8| vec![n; 160];
        assert_eq!(o.push(1, f(1)), vec![f(1)]);
        // 3 before 2: held until 2 comes, then both in order.
        assert!(o.push(3, f(3)).is_empty());
        assert_eq!(o.push(2, f(2)), vec![f(2), f(3)]);
        // Frames already handed on come too late: dropped.
        assert!(o.push(3, f(3)).is_empty());
        assert!(o.push(1, f(1)).is_empty());
        // 4 never comes: after 3 more frames it is given up as silence;
        // 5 twice is one 5.
        assert!(o.push(5, f(5)).is_empty());
        assert!(o.push(5, f(5)).is_empty());
        assert!(o.push(6, f(6)).is_empty());
        assert_eq!(o.push(7, f(7)), vec![vec![0xFF; 160], f(5), f(6), f(7)]);
        assert_eq!(o.counts(), (2, 1, 1));
    }

    #[test]
    fn a_signature_made_with_a_real_key_pair_verifies() {
        let signer = Signer::generate();
        let key = PublicKey::parse(&signer.public_key()).unwrap();
        let body = b"CallSid=v3%3Aabc&From=%2B15035550142&To=%2B15035550100";
        let now = 1_760_000_000;
        let sig = signer.sign(now, body);
        let ts = now.to_string();
        assert_eq!(verify(&key, Some(&sig), Some(&ts), body, now), Ok(()));
        // Within the tolerance either way.
        assert_eq!(verify(&key, Some(&sig), Some(&ts), body, now + 299), Ok(()));
        // Tampered body, another timestamp, another key: refused.
        assert_eq!(
            verify(&key, Some(&sig), Some(&ts), b"CallSid=v3%3Aabd", now),
            Err(SignatureError::Mismatch)
        );
        let other_ts = (now + 1).to_string();
        assert_eq!(
            verify(&key, Some(&sig), Some(&other_ts), body, now),
            Err(SignatureError::Mismatch)
        );
        let other = PublicKey::parse(&Signer::generate().public_key()).unwrap();
        assert_eq!(
            verify(&other, Some(&sig), Some(&ts), body, now),
            Err(SignatureError::Mismatch)
        );
        // Stale (a replay) and from the future: refused before the check.
        assert_eq!(
            verify(&key, Some(&sig), Some(&ts), body, now + 301),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            verify(&key, Some(&sig), Some(&ts), body, now - 400),
            Err(SignatureError::Stale(-400))
        );
        // Missing or unreadable headers.
        assert_eq!(
            verify(&key, None, Some(&ts), body, now),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify(&key, Some(&sig), None, body, now),
            Err(SignatureError::Missing(TIMESTAMP_HEADER))
        );
        assert_eq!(
            verify(&key, Some(&sig), Some("yesterday"), body, now),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            verify(&key, Some("%%%"), Some(&ts), body, now),
            Err(SignatureError::Unreadable)
        );
        assert_eq!(
            verify(&key, Some("AAAA"), Some(&ts), body, now),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn keys_parse_only_as_32_bytes_of_base64() {
        assert_eq!(PublicKey::parse("not base64!"), Err(SignatureError::BadKey));
        assert_eq!(
            PublicKey::parse(&STANDARD.encode([1u8; 31])),
            Err(SignatureError::BadKey)
        );
        assert!(PublicKey::parse(&STANDARD.encode([1u8; 32])).is_ok());
        // A signer made from a seed keeps its public key.
        let seed = STANDARD.encode([7u8; 32]);
        let a = Signer::from_seed(&seed).unwrap();
        let b = Signer::from_seed(&seed).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert!(Signer::from_seed("short").is_err());
    }
}
