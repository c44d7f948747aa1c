//! The voice issue's pure parts, no I/O: how phone audio is coded
//! ([`g711`]), what Twilio's Media Streams say and expect ([`twilio`]),
//! how a Twilio webhook proves it came from Twilio ([`signature`]), the
//! same for Telnyx's media streams and Ed25519-signed webhooks
//! ([`telnyx`], with [`jitter`] to put its media back in order), and
//! when a turn ends or the caller talks over the agent ([`turns`]), the
//! agent's outbound audio cut into paced frames with marks ([`playout`]),
//! what both providers' stream messages share ([`stream`]), keypad
//! entries ([`dtmf`]) and the TwiML (and Telnyx's TeXML) HERMES
//! answers with ([`twiml`]).
//!
//! The transports (WebSockets, HTTP), the audio pipeline's processors and
//! the speech engines build on these; keeping them pure keeps them tested
//! exhaustively against references (sox for G.711, an independent HMAC
//! for signatures, Twilio's documented messages).

pub mod dtmf;
pub mod g711;
pub mod jitter;
pub mod playout;
pub mod resample;
pub mod signature;
pub mod stream;
pub mod telnyx;
pub mod turns;
pub mod twilio;
pub mod twiml;
