//! ElevenLabs' streaming synthesis:
//! `POST {base_url}/v1/text-to-speech/{voice_id}/stream?output_format=pcm_{rate}`
//! with the `xi-api-key` header and `{"text", "model_id"}`; the answer is
//! raw 16-bit little-endian mono PCM at `rate` in a chunked body, read
//! and passed on chunk by chunk so the caller hears a sentence's start
//! while its end is still being made.
//! <https://elevenlabs.io/docs/api-reference/text-to-speech/stream>,
//! <https://elevenlabs.io/docs/api-reference/streaming>.
//!
//! The rate is one the call pipeline converts (8, 16, 22.05 or 24 kHz);
//! 16 kHz is half of the work of 24 kHz for a telephone line that carries
//! 8 kHz anyway.

use async_trait::async_trait;
use reqwest::header::HeaderValue;
use tokio::sync::mpsc;

use super::{Account, endpoint, http_client, secret_header, speak};
use crate::voice::speech::{SpeechError, TextToSpeech};

const NAME: &str = "elevenlabs";

/// The `pcm_*` output rates HERMES can play.
pub const RATES: [u32; 4] = [8_000, 16_000, 22_050, 24_000];

#[derive(Debug, Clone)]
pub struct ElevenLabsConfig {
    /// `base_url` `https://api.elevenlabs.io`; `timeout` bounds one
    /// sentence's audio.
    pub account: Account,
    pub voice_id: String,
    /// e.g. `eleven_flash_v2_5` (the low-latency model).
    pub model_id: String,
    /// One of [`RATES`].
    pub sample_rate: u32,
}

pub struct ElevenLabsTts {
    http: reqwest::Client,
    api_key: HeaderValue,
    url: url::Url,
    config: ElevenLabsConfig,
}

impl ElevenLabsTts {
    pub fn new(config: ElevenLabsConfig) -> Result<Self, SpeechError> {
        if !RATES.contains(&config.sample_rate) {
            return Err(SpeechError::failed(
                NAME,
                "sample_rate must be 8000, 16000, 22050 or 24000",
            ));
        }
        let mut url = endpoint(
            NAME,
            &config.account.base_url,
            "/v1/text-to-speech",
            &["http", "https"],
        )?;
        url.path_segments_mut()
            .map_err(|()| SpeechError::failed(NAME, "base_url cannot take a path"))?
            .extend([config.voice_id.as_str(), "stream"]);
        url.query_pairs_mut()
            .append_pair("output_format", &format!("pcm_{}", config.sample_rate));
        Ok(ElevenLabsTts {
            http: http_client(NAME, &config.account)?,
            api_key: secret_header(NAME, "", &config.account.api_key)?,
            url,
            config,
        })
    }
}

#[async_trait]
impl TextToSpeech for ElevenLabsTts {
    fn name(&self) -> &str {
        NAME
    }

    fn sample_rate(&self) -> u32 {
        self.config.sample_rate
    }

    async fn synthesize_streaming(
        &self,
        sentence: &str,
        out: mpsc::Sender<Vec<i16>>,
    ) -> Result<(), SpeechError> {
        let request = self
            .http
            .post(self.url.clone())
            .header("xi-api-key", self.api_key.clone())
            .json(&serde_json::json!({
                "text": sentence,
                "model_id": self.config.model_id,
            }));
        speak(NAME, self.config.account.timeout, request, &out).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn config(rate: u32) -> ElevenLabsConfig {
        ElevenLabsConfig {
            account: Account::new(
                "https://api.elevenlabs.io/",
                "xi-secret",
                Duration::from_secs(5),
            ),
            voice_id: "JBFqnCBsd6RMkjVDRZzb".into(),
            model_id: "eleven_flash_v2_5".into(),
            sample_rate: rate,
        }
    }

    #[test]
    fn the_url_names_the_voice_and_the_pcm_rate() {
        let tts = ElevenLabsTts::new(config(16_000)).unwrap();
        assert_eq!(
            tts.url.as_str(),
            "https://api.elevenlabs.io/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/stream?output_format=pcm_16000"
        );
        assert!(!format!("{:?}", tts.config).contains("xi-secret"));
        assert!(ElevenLabsTts::new(config(44_100)).is_err());
    }
}
