//! `[voice.openai]`, `[voice.deepgram]`, `[voice.elevenlabs]`: the cloud
//! speech providers this node offers its firms. Each one configured is
//! registered as an engine by that name beside `local`; a firm picks one
//! in its telephony settings (`speech: {stt, tts}`), and its calls keep
//! the local engines behind it. Keys come from the environment like the
//! other secrets (`HERMES_VOICE__OPENAI__API_KEY`, …) and are never
//! printed.

use std::sync::Arc;
use std::time::Duration;

use hermes_api::voice::cloud::{Account, deepgram, elevenlabs, openai};
use hermes_api::voice::speech::{SpeechToText, TextToSpeech};
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// A provider's API key: text in the configuration, never printed.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "(unset)"
        } else {
            "[redacted]"
        })
    }
}

impl ApiKey {
    /// The key itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn account(&self, base_url: &str, timeout_ms: u64) -> Account {
        Account::new(base_url, self.0.clone(), Duration::from_millis(timeout_ms))
    }
}

/// OpenAI's audio API (or a server that speaks it), as the `openai`
/// recogniser and synthesiser.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OpenAiSpeech {
    pub base_url: String,
    pub api_key: ApiKey,
    pub stt_model: String,
    pub tts_model: String,
    pub tts_voice: String,
    pub timeout_ms: u64,
}

impl Default for OpenAiSpeech {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com/v1".into(),
            api_key: ApiKey::default(),
            stt_model: "gpt-4o-mini-transcribe".into(),
            tts_model: "gpt-4o-mini-tts".into(),
            tts_voice: "alloy".into(),
            timeout_ms: 5000,
        }
    }
}

/// Deepgram's live streaming, as the `deepgram` recogniser.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DeepgramSpeech {
    pub base_url: String,
    pub api_key: ApiKey,
    pub model: String,
    pub timeout_ms: u64,
}

impl Default for DeepgramSpeech {
    fn default() -> Self {
        Self {
            base_url: "wss://api.deepgram.com".into(),
            api_key: ApiKey::default(),
            model: "nova-3".into(),
            timeout_ms: 5000,
        }
    }
}

/// ElevenLabs' streaming synthesis, as the `elevenlabs` synthesiser.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ElevenLabsSpeech {
    pub base_url: String,
    pub api_key: ApiKey,
    pub voice_id: String,
    pub model_id: String,
    pub sample_rate: u32,
    pub timeout_ms: u64,
}

impl Default for ElevenLabsSpeech {
    fn default() -> Self {
        Self {
            base_url: "https://api.elevenlabs.io".into(),
            api_key: ApiKey::default(),
            voice_id: String::new(),
            model_id: "eleven_flash_v2_5".into(),
            sample_rate: 16_000,
            timeout_ms: 5000,
        }
    }
}

/// The three, as `[voice]` holds them.
pub struct Providers<'a> {
    pub openai: Option<&'a OpenAiSpeech>,
    pub deepgram: Option<&'a DeepgramSpeech>,
    pub elevenlabs: Option<&'a ElevenLabsSpeech>,
}

impl Providers<'_> {
    /// Rules the types cannot express, naming the key. Building the
    /// clients checks the URLs and keys as the requests will use them.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, msg: &str| Err(ConfigError(format!("voice.{key}: {msg}")));
        let required = |section: &str, fields: &[(&str, &str)], timeout_ms: u64| {
            for (name, value) in fields {
                if value.trim().is_empty() {
                    let hint = if *name == "api_key" {
                        format!(
                            "must be set (HERMES_VOICE__{}__API_KEY)",
                            section.to_ascii_uppercase()
                        )
                    } else {
                        "must not be empty".to_owned()
                    };
                    return err(&format!("{section}.{name}"), &hint);
                }
            }
            if timeout_ms == 0 {
                return err(&format!("{section}.timeout_ms"), "must be greater than 0");
            }
            Ok(())
        };
        if let Some(o) = self.openai {
            required(
                "openai",
                &[
                    ("api_key", &o.api_key.0),
                    ("stt_model", &o.stt_model),
                    ("tts_model", &o.tts_model),
                    ("tts_voice", &o.tts_voice),
                ],
                o.timeout_ms,
            )?;
        }
        if let Some(d) = self.deepgram {
            required(
                "deepgram",
                &[("api_key", &d.api_key.0), ("model", &d.model)],
                d.timeout_ms,
            )?;
        }
        if let Some(e) = self.elevenlabs {
            required(
                "elevenlabs",
                &[
                    ("api_key", &e.api_key.0),
                    ("voice_id", &e.voice_id),
                    ("model_id", &e.model_id),
                ],
                e.timeout_ms,
            )?;
            if !elevenlabs::RATES.contains(&e.sample_rate) {
                return err(
                    "elevenlabs.sample_rate",
                    "must be 8000, 16000, 22050 or 24000",
                );
            }
        }
        self.engines().map(|_| ())
    }

    /// The configured providers as engines, named `openai`, `deepgram`
    /// and `elevenlabs`.
    #[allow(clippy::type_complexity)]
    pub fn engines(
        &self,
    ) -> Result<(Vec<Arc<dyn SpeechToText>>, Vec<Arc<dyn TextToSpeech>>), ConfigError> {
        let bad = |section: &str, e: hermes_api::voice::speech::SpeechError| {
            ConfigError(format!("voice.{section}: {e}"))
        };
        let mut stt: Vec<Arc<dyn SpeechToText>> = Vec::new();
        let mut tts: Vec<Arc<dyn TextToSpeech>> = Vec::new();
        if let Some(o) = self.openai {
            let (s, t) = openai::engines(openai::OpenAiConfig {
                account: o.api_key.account(&o.base_url, o.timeout_ms),
                stt_model: o.stt_model.clone(),
                tts_model: o.tts_model.clone(),
                tts_voice: o.tts_voice.clone(),
            })
            .map_err(|e| bad("openai", e))?;
            stt.push(Arc::new(s));
            tts.push(Arc::new(t));
        }
        if let Some(d) = self.deepgram {
            let s = deepgram::DeepgramStt::new(deepgram::DeepgramConfig {
                account: d.api_key.account(&d.base_url, d.timeout_ms),
                model: d.model.clone(),
            })
            .map_err(|e| bad("deepgram", e))?;
            stt.push(Arc::new(s));
        }
        if let Some(e) = self.elevenlabs {
            let t = elevenlabs::ElevenLabsTts::new(elevenlabs::ElevenLabsConfig {
                account: e.api_key.account(&e.base_url, e.timeout_ms),
                voice_id: e.voice_id.clone(),
                model_id: e.model_id.clone(),
                sample_rate: e.sample_rate,
            })
            .map_err(|err| bad("elevenlabs", err))?;
            tts.push(Arc::new(t));
        }
        Ok((stt, tts))
    }
}

impl From<&str> for ApiKey {
    fn from(s: &str) -> Self {
        ApiKey(s.to_owned())
    }
}
