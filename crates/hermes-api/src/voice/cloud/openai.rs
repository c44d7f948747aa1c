//! OpenAI's audio API (and any server that speaks it: vLLM, LocalAI,
//! speaches, …), both directions:
//!
//! - Recognition: `POST {base_url}/audio/transcriptions`, multipart with
//!   `file` (the utterance as a 16 kHz WAV), `model` and
//!   `response_format=json`; the answer is `{"text": …}`.
//!   <https://platform.openai.com/docs/api-reference/audio/createTranscription>
//! - Synthesis: `POST {base_url}/audio/speech` with
//!   `{"model", "input", "voice", "response_format": "pcm"}`; the answer
//!   is raw 24 kHz 16-bit little-endian mono PCM, sent as it is made, so
//!   it is read chunk by chunk and passed on before the sentence is done.
//!   <https://platform.openai.com/docs/api-reference/audio/createSpeech>,
//!   <https://platform.openai.com/docs/guides/text-to-speech> (the `pcm`
//!   format: "raw samples in 24kHz (16-bit signed, low-endian)").
//!
//! `Authorization: Bearer <key>` on both. `base_url` is the API root up to
//! and including `/v1`, as for the language model (`[agent.llm]`).

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tokio::sync::mpsc;

use super::{Account, check, endpoint, http_client, secret_header, speak, transport, within};
use crate::voice::speech::{SpeechError, SpeechToText, TextToSpeech};

const NAME: &str = "openai";

/// The `pcm` format's fixed rate.
pub const PCM_RATE: u32 = 24_000;

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// `base_url` e.g. `https://api.openai.com/v1`; `timeout` bounds one
    /// transcription, or one sentence's audio.
    pub account: Account,
    /// e.g. `gpt-4o-mini-transcribe`, `whisper-1`.
    pub stt_model: String,
    /// e.g. `gpt-4o-mini-tts`, `tts-1`.
    pub tts_model: String,
    /// e.g. `alloy`, `coral`.
    pub tts_voice: String,
}

/// What the two engines share: the connection pool, the key, the URLs.
struct Client {
    http: reqwest::Client,
    authorization: HeaderValue,
    transcriptions: url::Url,
    speech: url::Url,
    config: OpenAiConfig,
}

/// Recognition through `/audio/transcriptions`.
pub struct OpenAiStt(Arc<Client>);

/// Synthesis through `/audio/speech`.
pub struct OpenAiTts(Arc<Client>);

/// Both engines of one configuration (one pool, one key).
pub fn engines(config: OpenAiConfig) -> Result<(OpenAiStt, OpenAiTts), SpeechError> {
    let schemes = ["http", "https"];
    let client = Arc::new(Client {
        http: http_client(NAME, &config.account)?,
        authorization: secret_header(NAME, "Bearer ", &config.account.api_key)?,
        transcriptions: endpoint(
            NAME,
            &config.account.base_url,
            "/audio/transcriptions",
            &schemes,
        )?,
        speech: endpoint(NAME, &config.account.base_url, "/audio/speech", &schemes)?,
        config,
    });
    Ok((OpenAiStt(client.clone()), OpenAiTts(client)))
}

/// A 16 kHz mono 16-bit WAV of the utterance (the upload format every
/// OpenAI-compatible server reads).
fn wav(audio_16k: &[i16]) -> Result<Vec<u8>, SpeechError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::with_capacity(44 + audio_16k.len() * 2));
    let mut writer = hound::WavWriter::new(&mut bytes, spec)
        .map_err(|e| SpeechError::failed(NAME, format!("WAV: {e}")))?;
    for s in audio_16k {
        writer
            .write_sample(*s)
            .map_err(|e| SpeechError::failed(NAME, format!("WAV: {e}")))?;
    }
    writer
        .finalize()
        .map_err(|e| SpeechError::failed(NAME, format!("WAV: {e}")))?;
    Ok(bytes.into_inner())
}

#[derive(serde::Deserialize)]
struct Transcription {
    text: String,
}

#[async_trait]
impl SpeechToText for OpenAiStt {
    fn name(&self) -> &str {
        NAME
    }

    async fn transcribe(&self, audio_16k: Arc<[i16]>) -> Result<String, SpeechError> {
        let c = &self.0;
        within(NAME, c.config.account.timeout, async {
            let file = reqwest::multipart::Part::bytes(wav(&audio_16k)?)
                .file_name("utterance.wav")
                .mime_str("audio/wav")
                .map_err(|e| transport(NAME, &e))?;
            let form = reqwest::multipart::Form::new()
                .part("file", file)
                .text("model", c.config.stt_model.clone())
                .text("response_format", "json");
            let response = c
                .http
                .post(c.transcriptions.clone())
                .header(AUTHORIZATION, c.authorization.clone())
                .multipart(form)
                .send()
                .await
                .map_err(|e| transport(NAME, &e))?;
            let body = check(NAME, response)
                .await?
                .bytes()
                .await
                .map_err(|e| transport(NAME, &e))?;
            // The error names where parsing stopped, never the text.
            let parsed: Transcription = serde_json::from_slice(&body).map_err(|e| {
                SpeechError::failed(
                    NAME,
                    format!(
                        "malformed transcription ({:?} error at column {})",
                        e.classify(),
                        e.column()
                    ),
                )
            })?;
            Ok(parsed.text.trim().to_owned())
        })
        .await
    }
}

#[async_trait]
impl TextToSpeech for OpenAiTts {
    fn name(&self) -> &str {
        NAME
    }

    fn sample_rate(&self) -> u32 {
        PCM_RATE
    }

    async fn synthesize_streaming(
        &self,
        sentence: &str,
        out: mpsc::Sender<Vec<i16>>,
    ) -> Result<(), SpeechError> {
        let c = &self.0;
        let request = c
            .http
            .post(c.speech.clone())
            .header(AUTHORIZATION, c.authorization.clone())
            .json(&serde_json::json!({
                "model": c.config.tts_model,
                "input": sentence,
                "voice": c.config.tts_voice,
                "response_format": "pcm",
            }));
        speak(NAME, c.config.account.timeout, request, &out).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_upload_is_a_16_khz_mono_wav() {
        let bytes = wav(&[0, 1000, -1000, 32767]).unwrap();
        let reader = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(reader.spec().sample_rate, 16_000);
        assert_eq!(reader.spec().channels, 1);
        let samples: Vec<i16> = reader.into_samples().map(Result::unwrap).collect();
        assert_eq!(samples, vec![0, 1000, -1000, 32767]);
    }

    #[test]
    fn the_key_is_not_in_debug_output() {
        let config = OpenAiConfig {
            account: Account::new(
                "https://api.openai.com/v1",
                "sk-very-secret",
                Duration::from_secs(5),
            ),
            stt_model: "whisper-1".into(),
            tts_model: "tts-1".into(),
            tts_voice: "alloy".into(),
        };
        assert!(!format!("{config:?}").contains("sk-very-secret"));
        let (stt, tts) = engines(config).unwrap();
        assert_eq!((stt.name(), tts.name()), ("openai", "openai"));
        assert_eq!(
            stt.0.speech.as_str(),
            "https://api.openai.com/v1/audio/speech"
        );
    }
}
