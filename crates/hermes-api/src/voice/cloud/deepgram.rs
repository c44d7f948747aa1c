//! Deepgram's live-streaming recognition, one WebSocket per utterance:
//!
//! 1. Open `wss://api.deepgram.com/v1/listen?model=…&encoding=linear16&sample_rate=16000&channels=1…`
//!    with `Authorization: Token <key>` (a bad key fails the handshake
//!    with 401).
//! 2. Send the utterance as binary frames of raw 16-bit PCM, 100 ms each
//!    (Deepgram suggests 20–250 ms per message).
//! 3. Send `{"type":"Finalize"}` (flush: what was sent is transcribed at
//!    once) and `{"type":"CloseStream"}` (then close).
//! 4. Collect the `Results` messages with `is_final: true`
//!    (`channel.alternatives[0].transcript`, in order) until one says
//!    `from_finalize: true` or the summary `Metadata` arrives.
//!
//! <https://developers.deepgram.com/reference/speech-to-text/listen-streaming>,
//! <https://developers.deepgram.com/docs/finalize>,
//! <https://developers.deepgram.com/docs/close-stream>,
//! <https://developers.deepgram.com/docs/understand-endpointing-interim-results>
//! (`is_final`, `speech_final`).
//!
//! Streaming a turn's audio while the caller is still speaking would have
//! the transcript ready the moment the turn ends; the call pipeline gets
//! most of that from its speculative transcripts at pauses (one socket per
//! pause), which keeps it provider-agnostic.
//!
//! TLS is rustls with the aws-lc-rs provider named explicitly (two
//! providers are compiled into the workspace, so rustls cannot pick one by
//! itself) and the system's trust store, as reqwest does for the HTTP
//! providers.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Bytes, Message};

use super::{Account, endpoint, status_error, within};
use crate::voice::speech::{SpeechError, SpeechToText};

const NAME: &str = "deepgram";

/// Samples per binary frame: 100 ms at 16 kHz.
const FRAME: usize = 1_600;

#[derive(Debug, Clone)]
pub struct DeepgramConfig {
    /// `base_url` `wss://api.deepgram.com`; `timeout` bounds one utterance:
    /// connect, send, transcript.
    pub account: Account,
    /// e.g. `nova-3`.
    pub model: String,
}

pub struct DeepgramStt {
    url: url::Url,
    authorization: HeaderValue,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
}

impl DeepgramStt {
    pub fn new(config: DeepgramConfig) -> Result<Self, SpeechError> {
        let mut url = endpoint(NAME, &config.account.base_url, "/v1/listen", &["ws", "wss"])?;
        url.query_pairs_mut()
            .append_pair("model", &config.model)
            .append_pair("encoding", "linear16")
            .append_pair("sample_rate", "16000")
            .append_pair("channels", "1")
            .append_pair("punctuate", "true")
            .append_pair("smart_format", "true");
        let mut authorization =
            HeaderValue::from_str(&format!("Token {}", config.account.api_key.expose_secret()))
                .map_err(|_| {
                    SpeechError::failed(NAME, "the API key is not a valid header value")
                })?;
        authorization.set_sensitive(true);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                use rustls_platform_verifier::BuilderVerifierExt;
                b.with_platform_verifier()
            })
            .map_err(|e| SpeechError::failed(NAME, format!("TLS: {e}")))?
            .with_no_client_auth();
        Ok(DeepgramStt {
            url,
            authorization,
            tls: Arc::new(tls),
            timeout: config.account.timeout,
        })
    }

    async fn session(&self, audio: &[i16]) -> Result<String, SpeechError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| SpeechError::failed(NAME, format!("request: {e}")))?;
        request
            .headers_mut()
            .insert("authorization", self.authorization.clone());
        let (socket, _) = tokio_tungstenite::connect_async_tls_with_config(
            request,
            None,
            true,
            Some(tokio_tungstenite::Connector::Rustls(self.tls.clone())),
        )
        .await
        .map_err(handshake_error)?;
        let (mut sink, mut stream) = socket.split();
        // Send and listen at once: results may come while we still send.
        let send = async {
            for frame in audio.chunks(FRAME) {
                let bytes: Vec<u8> = frame.iter().flat_map(|s| s.to_le_bytes()).collect();
                sink.send(Message::Binary(Bytes::from(bytes))).await?;
            }
            sink.send(Message::text(r#"{"type":"Finalize"}"#)).await?;
            sink.send(Message::text(r#"{"type":"CloseStream"}"#)).await
        };
        let listen = async {
            let mut finals: Vec<String> = Vec::new();
            while let Some(message) = stream.next().await {
                let text = match message {
                    Ok(Message::Text(text)) => text,
                    Ok(Message::Close(frame)) => {
                        // A normal close after the results is the end; any
                        // other close is Deepgram refusing the stream.
                        return match frame {
                            Some(f) if f.code != CloseCode::Normal => Err(SpeechError::failed(
                                NAME,
                                format!("the stream was closed ({})", u16::from(f.code)),
                            )),
                            _ => Ok(finals),
                        };
                    }
                    Ok(_) => continue,
                    Err(e) => return Err(socket_error(&e)),
                };
                let reply: Reply = serde_json::from_str(&text).map_err(|e| {
                    SpeechError::failed(
                        NAME,
                        format!("malformed message ({:?} error)", e.classify()),
                    )
                })?;
                match reply.kind.as_str() {
                    "Results" => {
                        if reply.is_final {
                            let words = reply
                                .channel
                                .and_then(|c| c.alternatives.into_iter().next())
                                .map(|a| a.transcript)
                                .unwrap_or_default();
                            if !words.trim().is_empty() {
                                finals.push(words.trim().to_owned());
                            }
                        }
                        if reply.from_finalize {
                            return Ok(finals);
                        }
                    }
                    // The summary CloseStream asks for: nothing follows.
                    "Metadata" => return Ok(finals),
                    "Error" => {
                        return Err(SpeechError::failed(
                            NAME,
                            format!("the service reported an error ({})", reply.code()),
                        ));
                    }
                    // SpeechStarted, UtteranceEnd: not asked for, harmless.
                    _ => {}
                }
            }
            Err(SpeechError::failed(
                NAME,
                "the stream ended before the transcript",
            ))
        };
        // What was heard decides; a failed send shows up there too.
        let (_, heard) = tokio::join!(send, listen);
        heard.map(|finals| finals.join(" "))
    }
}

#[async_trait]
impl SpeechToText for DeepgramStt {
    fn name(&self) -> &str {
        NAME
    }

    async fn transcribe(&self, audio_16k: Arc<[i16]>) -> Result<String, SpeechError> {
        within(NAME, self.timeout, self.session(&audio_16k)).await
    }
}

/// The messages Deepgram sends, as far as we read them.
#[derive(Deserialize)]
struct Reply {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    is_final: bool,
    #[serde(default)]
    from_finalize: bool,
    channel: Option<Channel>,
    /// `Error` messages: a short code (`err_code` in the HTTP API's bodies,
    /// `variant` on the socket).
    variant: Option<String>,
    err_code: Option<String>,
}

impl Reply {
    fn code(&self) -> &str {
        [&self.variant, &self.err_code]
            .into_iter()
            .flatten()
            .find_map(|c| super::identifier(c))
            .unwrap_or("no code")
    }
}

#[derive(Deserialize)]
struct Channel {
    #[serde(default)]
    alternatives: Vec<Alternative>,
}

#[derive(Deserialize)]
struct Alternative {
    #[serde(default)]
    transcript: String,
}

/// A refused handshake by its HTTP status (Deepgram puts a short reason
/// in `dg-error`), or a connection that failed.
fn handshake_error(e: tungstenite::Error) -> SpeechError {
    match e {
        tungstenite::Error::Http(response) => {
            let code = response
                .headers()
                .get("dg-error")
                .and_then(|v| v.to_str().ok())
                .and_then(super::identifier);
            status_error(NAME, response.status().as_u16(), code)
        }
        e => socket_error(&e),
    }
}

fn socket_error(e: &tungstenite::Error) -> SpeechError {
    match e {
        tungstenite::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            SpeechError::failed(NAME, "could not connect")
        }
        tungstenite::Error::ConnectionClosed
        | tungstenite::Error::AlreadyClosed
        | tungstenite::Error::Protocol(_) => {
            SpeechError::failed(NAME, "the connection closed before the transcript")
        }
        e => SpeechError::failed(NAME, format!("connection failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_asks_for_16_khz_linear_pcm_and_the_key_stays_hidden() {
        let config = DeepgramConfig {
            account: Account::new(
                "wss://api.deepgram.com",
                "dg-secret",
                Duration::from_secs(5),
            ),
            model: "nova-3".into(),
        };
        assert!(!format!("{config:?}").contains("dg-secret"));
        let stt = DeepgramStt::new(config).unwrap();
        let url = stt.url.as_str();
        assert!(url.starts_with("wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&channels=1"), "{url}");
        assert!(stt.authorization.is_sensitive());
    }

    #[test]
    fn results_are_read_as_deepgram_writes_them() {
        let r: Reply = serde_json::from_str(r#"{"type":"Results","channel_index":[0,1],"duration":1.2,"start":0.0,"is_final":true,"speech_final":true,"from_finalize":true,"channel":{"alternatives":[{"transcript":"yes that's fine","confidence":0.99,"words":[]}]},"metadata":{"request_id":"x","model_info":{"name":"general","version":"1","arch":"nova-3"},"model_uuid":"u"}}"#).unwrap();
        assert!(r.is_final && r.from_finalize);
        assert_eq!(
            r.channel.unwrap().alternatives[0].transcript,
            "yes that's fine"
        );
        let m: Reply = serde_json::from_str(r#"{"type":"Metadata","transaction_key":"deprecated","request_id":"8c8e","sha256":"e3b0","created":"2024-08-29T22:37:55.202Z","duration":0.0,"channels":0}"#).unwrap();
        assert_eq!(m.kind, "Metadata");
    }
}
