//! The chat-completions wire format, as much of it as HERMES uses.
//!
//! Requests are typed. Responses are read leniently: servers that call
//! themselves OpenAI-compatible differ in the fields they omit (`created`,
//! `usage`, `id`), so only what is used is required, and a tool call's
//! `arguments` are accepted as a JSON string (the specification) or as an
//! object (some Ollama versions).

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
}

impl ChatRequest {
    pub fn new(model: &str, system: String, user: String) -> Self {
        ChatRequest {
            model: model.to_owned(),
            messages: vec![Message::system(system), Message::user(user)],
            temperature: None,
            seed: None,
            max_tokens: None,
            stream: false,
            response_format: None,
            tools: None,
            tool_choice: None,
        }
    }

    /// `response_format` asking for JSON that fits `schema` (structured
    /// outputs; vLLM, llama.cpp and Ollama accept the same shape).
    pub fn json_schema(mut self, name: &str, schema: Value) -> Self {
        self.response_format = Some(serde_json::json!({
            "type": "json_schema",
            "json_schema": { "name": name, "strict": true, "schema": schema },
        }));
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

impl Message {
    pub fn system(content: String) -> Self {
        Message {
            role: "system",
            content,
        }
    }
    pub fn user(content: String) -> Self {
        Message {
            role: "user",
            content,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ChatCompletion {
    pub choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    pub message: AssistantMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AssistantMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Debug, Deserialize)]
pub struct ToolCall {
    pub function: FunctionCall,
}

#[derive(Debug, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// A JSON string per the specification; some servers send the object.
    #[serde(default)]
    pub arguments: Value,
}

impl FunctionCall {
    /// The arguments as a JSON value, whichever way they were sent.
    pub fn arguments(&self) -> Option<Value> {
        match &self.arguments {
            Value::String(s) => serde_json::from_str(s).ok(),
            Value::Null => None,
            other => Some(other.clone()),
        }
    }
}

/// One `data:` event of a streamed completion.
#[derive(Debug, Deserialize)]
pub struct ChatChunk {
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// vLLM and others report a failure after the headers as an event
    /// carrying an `error` object.
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct ChunkChoice {
    #[serde(default)]
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Delta {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
}
