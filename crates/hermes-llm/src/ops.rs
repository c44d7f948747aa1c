//! The typed operations the intake agent asks of the model.
//!
//! Each builds one kind of request (a JSON schema, a tool, a stream), runs
//! it under the configured deadline and checks the answer against what was
//! asked before returning it. Anything else is an [`LlmError`], and the
//! caller answers from its local understanding instead.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use futures_util::future::join_all;
use futures_util::stream::BoxStream;
use serde_json::{Map, Value, json};
use tracing::{debug, instrument};

use crate::client::{Deadline, LlmClient};
use crate::error::LlmError;
use crate::prompts::{self, tagged};
use crate::wire::{AssistantMessage, ChatRequest};

/// The label a classification answers when none of the given ones fits.
pub const UNKNOWN: &str = "unknown";

/// At most this many samples per call, whatever is asked: each is a
/// request, and they run at once.
pub const MAX_SAMPLES: usize = 16;

/// The role a party named by the caller plays in the new matter (the same
/// three roles as the conflict check's `NewMatterRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartyRole {
    /// The caller, or whom they call for.
    Client,
    /// The side the matter is against.
    Adverse,
    /// Anyone else involved.
    Related,
}

impl PartyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Client => "client",
            PartyRole::Adverse => "adverse",
            PartyRole::Related => "related",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "client" => Some(PartyRole::Client),
            "adverse" => Some(PartyRole::Adverse),
            "related" => Some(PartyRole::Related),
            _ => None,
        }
    }
}

/// A party the model found in the caller's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedParty {
    pub name: String,
    pub role: PartyRole,
}

/// What shape an intake answer has; it becomes the tool parameter's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// Answered `yes` or `no`.
    YesNo,
    /// As said, or `YYYY-MM-DD` when the caller gave an exact date.
    Date,
    Number,
    Money,
    PersonName,
    OrganizationName,
    Phone,
    Email,
    /// One of these values exactly.
    Choice(Vec<String>),
}

/// One intake question the narrative may answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// The key the answer is returned under; also the tool parameter name,
    /// so keep it to `[A-Za-z0-9_-]`.
    pub id: String,
    pub question: String,
    pub kind: FieldKind,
}

/// Who said a line of a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Caller,
    Agent,
}

/// The longest name accepted from the model; anything longer is not a name.
const MAX_NAME_CHARS: usize = 120;
/// The longest field value accepted from the model.
const MAX_FIELD_CHARS: usize = 500;

impl LlmClient {
    /// Classifies `text` into one of `labels` (`(key, description)`), with
    /// `n_samples` independent samples for the caller to vote on.
    ///
    /// The samples are separate concurrent requests with seeds `seed`,
    /// `seed + 1`, … (many servers ignore `n`), each constrained by a JSON
    /// schema whose `enum` is the keys plus [`UNKNOWN`]. One deadline
    /// covers them all. Element *i* is sample *i*'s key, or `None` when that
    /// sample failed or answered outside the enum. `Err` only when no
    /// sample gave a usable answer.
    ///
    /// Request shape: `response_format.json_schema.name` is
    /// `"classification"`.
    #[instrument(skip_all, fields(op = "classify", n = n_samples))]
    pub async fn classify(
        &self,
        text: &str,
        labels: &[(&str, &str)],
        n_samples: usize,
        temperature: f32,
        seed: u64,
    ) -> Result<Vec<Option<String>>, LlmError> {
        let mut keys: Vec<String> = Vec::new();
        let mut described: Vec<(String, String)> = Vec::new();
        for (key, description) in labels {
            if *key != UNKNOWN && !keys.iter().any(|k| k == key) {
                keys.push((*key).to_owned());
                described.push(((*key).to_owned(), (*description).to_owned()));
            }
        }
        let mut allowed = keys.clone();
        allowed.push(UNKNOWN.to_owned());
        let schema = json!({
            "type": "object",
            "properties": { "label": { "type": "string", "enum": allowed } },
            "required": ["label"],
            "additionalProperties": false,
        });
        let request = ChatRequest::new(
            &self.config().model,
            prompts::classify(&described),
            tagged("caller_text", text),
        )
        .json_schema("classification", schema);
        self.samples(request, n_samples, temperature, seed, |message| {
            let value = json_content(message)?;
            let label = value
                .get("label")
                .and_then(Value::as_str)
                .ok_or_else(|| LlmError::Invalid("no label".into()))?;
            let label = label.trim();
            if allowed.iter().any(|k| k == label) {
                Ok(label.to_owned())
            } else {
                Err(LlmError::Invalid("label outside the enum".into()))
            }
        })
        .await
        .map(|samples| samples.into_iter().map(Result::ok).collect())
    }

    /// The parties named in `text`, once per sample (seeds `seed`, `seed +
    /// 1`, …, concurrently, one deadline). A sample that failed or broke
    /// the schema is left out, so there may be fewer than `n_samples`
    /// lists; `Err` when there are none. An empty list is a sample that
    /// found nobody named.
    ///
    /// Request shape: `response_format.json_schema.name` is `"parties"`.
    #[instrument(skip_all, fields(op = "extract_parties", n = n_samples))]
    pub async fn extract_parties(
        &self,
        text: &str,
        n_samples: usize,
        temperature: f32,
        seed: u64,
    ) -> Result<Vec<Vec<ExtractedParty>>, LlmError> {
        let schema = json!({
            "type": "object",
            "properties": {
                "parties": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": { "type": "string" },
                            "role": { "type": "string", "enum": ["client", "adverse", "related"] },
                        },
                        "required": ["name", "role"],
                        "additionalProperties": false,
                    },
                },
            },
            "required": ["parties"],
            "additionalProperties": false,
        });
        let request = ChatRequest::new(
            &self.config().model,
            prompts::extract_parties(),
            tagged("caller_text", text),
        )
        .json_schema("parties", schema);
        let samples = self
            .samples(request, n_samples, temperature, seed, parse_parties)
            .await?;
        Ok(samples.into_iter().filter_map(Result::ok).collect())
    }

    /// Answers to `questions` found in a free-form `narrative`, by id, via
    /// a forced call of the `record_fields` tool whose parameters are the
    /// question ids. Ids the model invents are dropped, as are values of
    /// the wrong shape (a `Choice` outside its options, an object) and
    /// empty ones. An empty map is a valid answer: the narrative answered
    /// nothing. No questions, no request.
    ///
    /// Request shape: one tool, `record_fields`, forced by `tool_choice`.
    #[instrument(skip_all, fields(op = "extract_fields", questions = questions.len()))]
    pub async fn extract_fields(
        &self,
        narrative: &str,
        questions: &[FieldSpec],
    ) -> Result<BTreeMap<String, String>, LlmError> {
        if questions.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut properties = Map::new();
        for q in questions {
            properties.insert(q.id.clone(), field_schema(q));
        }
        let tool = json!({
            "type": "function",
            "function": {
                "name": "record_fields",
                "description": "Record the answers the caller's account gives to the intake questions. Include only the questions it answers.",
                "parameters": {
                    "type": "object",
                    "properties": properties,
                    "additionalProperties": false,
                },
            },
        });
        let mut request = ChatRequest::new(
            &self.config().model,
            prompts::extract_fields(),
            tagged("caller_text", narrative),
        );
        request.temperature = Some(0.0);
        request.max_tokens = self.config().max_tokens;
        request.tools = Some(vec![tool]);
        request.tool_choice = Some(json!({
            "type": "function",
            "function": { "name": "record_fields" },
        }));
        let message = self
            .complete(&request, Deadline::after(self.config().request_timeout))
            .await?;
        let calls: Vec<Value> = message
            .tool_calls
            .iter()
            .flatten()
            .filter(|call| call.function.name == "record_fields")
            .filter_map(|call| call.function.arguments())
            .collect();
        if calls.is_empty() {
            return Err(LlmError::Invalid("no record_fields call".into()));
        }
        let mut fields = BTreeMap::new();
        for arguments in calls {
            let Value::Object(arguments) = arguments else {
                return Err(LlmError::Invalid(
                    "record_fields arguments not an object".into(),
                ));
            };
            for (id, value) in arguments {
                let Some(spec) = questions.iter().find(|q| q.id == id) else {
                    debug!("dropped an argument that names no question");
                    continue;
                };
                if let Some(value) = field_value(&spec.kind, &value) {
                    fields.insert(id, value);
                }
            }
        }
        Ok(fields)
    }

    /// A short neutral summary of a conversation for the reviewing
    /// attorney.
    ///
    /// Request shape: no tools, no `response_format`, not streamed.
    #[instrument(skip_all, fields(op = "summarise", lines = transcript.len()))]
    pub async fn summarise(&self, transcript: &[(Speaker, &str)]) -> Result<String, LlmError> {
        let mut lines = String::new();
        for (speaker, text) in transcript {
            let who = match speaker {
                Speaker::Caller => "Caller",
                Speaker::Agent => "Receptionist",
            };
            lines.push_str(&format!("{who}: {}\n", text.trim()));
        }
        let mut request = ChatRequest::new(
            &self.config().model,
            prompts::summarise(),
            tagged("caller_text", &lines),
        );
        request.temperature = Some(0.0);
        request.max_tokens = self.config().max_tokens;
        let message = self
            .complete(&request, Deadline::after(self.config().request_timeout))
            .await?;
        non_empty(message.content)
    }

    /// `draft` rephrased to sound natural, streamed and assembled under the
    /// first-token and total deadlines. The text is returned as the model
    /// wrote it (trimmed): checking it is the guardrail's job, and the
    /// agent must pass it through the guardrail before it is said.
    ///
    /// Request shape: `"stream": true`, the draft between `<draft>` tags.
    #[instrument(skip_all, fields(op = "phrase"))]
    pub async fn phrase(&self, draft: &str, context: &str) -> Result<String, LlmError> {
        let mut pieces = self.phrase_stream(draft, context);
        let mut text = String::new();
        while let Some(piece) = pieces.next().await {
            text.push_str(&piece?);
        }
        non_empty(Some(text))
    }

    /// [`phrase`](Self::phrase) as the pieces of text arrive, for a voice
    /// pipeline that starts speaking before the end. The same deadlines
    /// apply; the stream ends early with an error when one passes.
    pub fn phrase_stream(
        &self,
        draft: &str,
        context: &str,
    ) -> BoxStream<'static, Result<String, LlmError>> {
        let mut user = tagged("draft", draft);
        if !context.trim().is_empty() {
            user.push('\n');
            user.push_str(&tagged("context", context));
        }
        let mut request = ChatRequest::new(&self.config().model, prompts::phrase(), user);
        request.temperature = Some(0.3);
        request.max_tokens = self.config().max_tokens;
        let config = self.config();
        self.stream_text(
            request,
            Deadline::after(config.first_token_timeout),
            Deadline::after(config.stream_timeout),
        )
    }

    /// Runs `request` `n_samples` times at once (seed, seed + 1, …) under
    /// one deadline and parses each answer. `Err` (the first error) only
    /// when no sample parsed.
    async fn samples<T>(
        &self,
        request: ChatRequest,
        n_samples: usize,
        temperature: f32,
        seed: u64,
        parse: impl Fn(AssistantMessage) -> Result<T, LlmError>,
    ) -> Result<Vec<Result<T, LlmError>>, LlmError> {
        let n = n_samples.clamp(1, MAX_SAMPLES);
        let deadline = Deadline::after(self.config().request_timeout);
        let requests: Vec<ChatRequest> = (0..n)
            .map(|i| {
                let mut r = request.clone();
                r.temperature = Some(temperature);
                r.seed = Some(seed.wrapping_add(i as u64));
                r.max_tokens = self.config().max_tokens;
                r
            })
            .collect();
        let answers = join_all(requests.iter().map(|r| self.complete(r, deadline))).await;
        let parsed: Vec<Result<T, LlmError>> = answers
            .into_iter()
            .map(|answer| answer.and_then(&parse))
            .collect();
        if parsed.iter().any(Result::is_ok) {
            let failed = parsed.iter().filter(|p| p.is_err()).count();
            if failed > 0 {
                debug!(failed, "some samples gave no usable answer");
            }
            return Ok(parsed);
        }
        match parsed.into_iter().find_map(Result::err) {
            Some(e) => Err(e),
            None => Err(LlmError::Invalid("no samples".into())),
        }
    }
}

/// The message's content as JSON, tolerating a Markdown code fence around
/// it (some local models add one even under a schema).
fn json_content(message: AssistantMessage) -> Result<Value, LlmError> {
    let content = message
        .content
        .ok_or_else(|| LlmError::Invalid("no content".into()))?;
    let mut text = content.trim();
    if let Some(rest) = text.strip_prefix("```") {
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        text = rest.strip_suffix("```").unwrap_or(rest).trim();
    }
    serde_json::from_str(text).map_err(|_| LlmError::Invalid("content is not JSON".into()))
}

fn parse_parties(message: AssistantMessage) -> Result<Vec<ExtractedParty>, LlmError> {
    let value = json_content(message)?;
    let list = value
        .get("parties")
        .and_then(Value::as_array)
        .ok_or_else(|| LlmError::Invalid("no parties list".into()))?;
    let mut parties: Vec<ExtractedParty> = Vec::new();
    for item in list {
        let name = item.get("name").and_then(Value::as_str).map(str::trim);
        let role = item
            .get("role")
            .and_then(Value::as_str)
            .and_then(|r| PartyRole::parse(r.trim()));
        match (name, role) {
            (Some(name), Some(role))
                if !name.is_empty() && name.chars().count() <= MAX_NAME_CHARS =>
            {
                let party = ExtractedParty {
                    name: name.to_owned(),
                    role,
                };
                if !parties.contains(&party) {
                    parties.push(party);
                }
            }
            _ => return Err(LlmError::Invalid("a party does not fit the schema".into())),
        }
    }
    Ok(parties)
}

fn field_schema(q: &FieldSpec) -> Value {
    let hint = match &q.kind {
        FieldKind::YesNo => {
            return json!({ "type": "string", "enum": ["yes", "no"], "description": q.question });
        }
        FieldKind::Choice(options) => {
            return json!({ "type": "string", "enum": options, "description": q.question });
        }
        FieldKind::Text => "",
        FieldKind::Date => " (as the caller said it, or YYYY-MM-DD when they gave an exact date)",
        FieldKind::Number => " (a number)",
        FieldKind::Money => " (an amount of money, as said)",
        FieldKind::PersonName => " (a person's name, as said)",
        FieldKind::OrganizationName => " (an organisation's name, as said)",
        FieldKind::Phone => " (a phone number)",
        FieldKind::Email => " (an email address)",
    };
    json!({ "type": "string", "description": format!("{}{hint}", q.question) })
}

/// A tool argument as the answer string, or `None` when it is empty or the
/// wrong shape for its question.
fn field_value(kind: &FieldKind, value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        _ => return None,
    };
    if text.is_empty() || text.chars().count() > MAX_FIELD_CHARS {
        return None;
    }
    match kind {
        FieldKind::YesNo => {
            let lower = text.to_ascii_lowercase();
            matches!(lower.as_str(), "yes" | "no").then_some(lower)
        }
        FieldKind::Choice(options) => options.iter().find(|o| **o == text).cloned(),
        _ => Some(text),
    }
}

fn non_empty(content: Option<String>) -> Result<String, LlmError> {
    match content.map(|c| c.trim().to_owned()) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(LlmError::Invalid("empty text".into())),
    }
}
