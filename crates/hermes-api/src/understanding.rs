//! What the agent may use besides its local extractors: a language model
//! (and, when loaded, the sentence-embedding model), gathered into
//! `Readings` for the dialogue engine to vote on.
//!
//! Everything here is optional and bounded: with nothing configured the
//! agent runs on the local path alone; with a model configured, each turn
//! spends at most `turn_budget` gathering readings, and any error or
//! timeout means "no reading" — the caller hears no difference. The model
//! never decides: the engine takes its readings as votes (see
//! `hermes_intake::reasoning`), and a rephrased reply is used only when it
//! keeps every fact of the draft and passes the output guardrail, and
//! never for a line the policy must say verbatim.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hermes_intake::dialogue::{Engine, Readings, Wants};
use hermes_intake::guardrail::{self, Verdict};
use hermes_intake::practice;
use hermes_intake::questions::AnswerKind;
use hermes_intake::reasoning::Reading;
use hermes_intake::record::{Speaker, Turn};
use hermes_llm::{FieldKind, FieldSpec, LlmClient, PartyRole, UNKNOWN};

/// How the agent uses a language model.
#[derive(Clone)]
pub struct LlmAgent {
    pub client: LlmClient,
    /// Independent samples per decision (votes).
    pub samples: usize,
    /// Sampling temperature for those votes (above zero, or they agree by
    /// construction).
    pub temperature: f32,
    /// The most a turn waits for readings, all operations together.
    pub turn_budget: Duration,
    /// Rephrase the agent's replies naturally (never protected lines).
    pub phrase: bool,
}

/// The optional understanding the agent has. `Default`: none, the local
/// path only.
#[derive(Clone, Default)]
pub struct Understanding {
    pub llm: Option<Arc<LlmAgent>>,
    /// The sentence-embedding model, once loaded (in the background at
    /// start: it takes a second or two, and nobody should wait for it).
    pub semantic: Arc<OnceLock<Arc<Semantic>>>,
}

/// The embedding model and the practice-area exemplars, embedded once;
/// each firm's own areas are added on first use and kept.
pub struct Semantic {
    embedder: hermes_embed::Embedder,
    standard: hermes_embed::AreaIndex,
    firms: Mutex<HashMap<FirmAreas, Arc<hermes_embed::AreaIndex>>>,
}

/// A firm's practice areas: (key, display name), in its order.
type FirmAreas = Vec<(String, String)>;

/// At least this blended score makes the model's pick a reading: the
/// same bar as a keyword reading (the caller confirms either way).
const SEMANTIC_READING: f32 = 0.3;

impl Semantic {
    /// Loads the model from `dir` and embeds the exemplars (blocking: a
    /// second or two; run it off the async threads).
    pub fn load(dir: &std::path::Path) -> Result<Semantic, hermes_embed::EmbedError> {
        let embedder = hermes_embed::Embedder::load(dir)?;
        let standard = hermes_embed::AreaIndex::standard(&embedder)?;
        Ok(Semantic {
            embedder,
            standard,
            firms: Mutex::new(HashMap::new()),
        })
    }

    /// The practice area the words are about, blending the model with the
    /// keyword scores (blocking: ~10–20 ms of CPU).
    pub fn practice_area(&self, areas: &[(String, String)], text: &str) -> Option<String> {
        let index = self.index_for(areas)?;
        let semantic = index
            .scores(&self.embedder, text)
            .map_err(|e| tracing::warn!(error = %e, "embedding failed; keywords only"))
            .ok()?;
        let keyword: Vec<(String, f32)> = practice::classify(text)
            .into_iter()
            .map(|a| (a.key.to_owned(), a.score))
            .collect();
        hermes_embed::combine(&keyword, &semantic)
            .into_iter()
            .next()
            .filter(|(_, score)| *score >= SEMANTIC_READING)
            .map(|(k, _)| k)
    }

    fn index_for(&self, areas: &[(String, String)]) -> Option<Arc<hermes_embed::AreaIndex>> {
        let key = areas.to_vec();
        if let Some(i) = self.firms.lock().ok()?.get(&key) {
            return Some(i.clone());
        }
        let index = Arc::new(self.standard.with_areas(&self.embedder, areas).ok()?);
        let mut firms = self.firms.lock().ok()?;
        if firms.len() > 1000 {
            firms.clear(); // bounded: area lists are few; never grow forever
        }
        firms.insert(key, index.clone());
        Some(index)
    }
}

const URGENCY_LABELS: [(&str, &str); 4] = [
    ("routine", "no time pressure"),
    (
        "soon",
        "something must happen within weeks: a court date or deadline within a month",
    ),
    (
        "urgent",
        "today: someone arrested or detained, a hearing within a week, a deadline or sale or lockout in days",
    ),
    (
        "emergency",
        "danger now: violence, threats, someone at risk of harm",
    ),
];

impl Understanding {
    /// Readings of the caller's `text` for what the engine `wants`: the
    /// embedding model's practice area (when loaded) and the language
    /// model's readings (when configured, within its turn budget). Empty
    /// on the local path, or when everything failed.
    pub async fn readings(&self, engine: &Engine, text: &str, seed: u64) -> Readings {
        let wants = engine.wants();
        let semantic = async {
            let model = self
                .semantic
                .get()
                .cloned()
                .filter(|_| wants.practice_area)?;
            let areas = engine.firm().areas.clone();
            let text = text.to_owned();
            tokio::task::spawn_blocking(move || model.practice_area(&areas, &text))
                .await
                .ok()
                .flatten()
        };
        let model = async {
            let llm = self.llm.as_ref()?;
            match tokio::time::timeout(llm.turn_budget, gather(llm, engine, &wants, text, seed))
                .await
            {
                Ok(r) => Some(r),
                Err(_) => {
                    metrics::counter!("hermes_llm_fallbacks_total", "why" => "turn_budget")
                        .increment(1);
                    None
                }
            }
        };
        let (area, readings) = tokio::join!(semantic, model);
        let mut readings = readings.unwrap_or_default();
        if let Some(key) = area {
            readings
                .practice_area
                .insert(0, Reading::new("embedding", Some(key)));
        }
        readings
    }

    /// The turn's replies as the caller will hear them: rephrased by the
    /// model when that is on, safe and faithful; else as the engine wrote
    /// them. When rephrased, the transcript's lines of this turn are
    /// replaced by what is actually said.
    pub async fn phrase(&self, engine: &mut Engine, replies: Vec<String>) -> Vec<String> {
        let Some(llm) = self.llm.as_ref().filter(|l| l.phrase) else {
            return replies;
        };
        if replies.is_empty() || replies.iter().any(|r| guardrail::is_protected(r)) {
            return replies;
        }
        let draft = replies.join(" ");
        let context = format!(
            "A law firm's phone assistant, at the step '{}'.",
            engine.stage_name()
        );
        let phrased = match llm.client.phrase(&draft, &context).await {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(error = %e, "phrasing fell back to the draft");
                metrics::counter!("hermes_llm_fallbacks_total", "why" => "phrase").increment(1);
                return replies;
            }
        };
        if !faithful(&draft, &phrased) || guardrail::check_utterance(&phrased) != Verdict::Allow {
            metrics::counter!("hermes_llm_fallbacks_total", "why" => "phrase_rejected")
                .increment(1);
            return replies;
        }
        // The engine logged the draft lines; log what is said instead.
        let t = &mut engine.intake.transcript;
        let n = replies.len();
        let tail_matches = t.len() >= n
            && t[t.len() - n..]
                .iter()
                .zip(&replies)
                .all(|(turn, r)| turn.speaker == Speaker::Agent && &turn.text == r);
        if !tail_matches {
            return replies;
        }
        let at = t[t.len() - n].at;
        t.truncate(t.len() - n);
        t.push(Turn {
            at,
            speaker: Speaker::Agent,
            text: phrased.clone(),
        });
        vec![phrased]
    }

    /// A summary for staff when the model writes one in time; `None` to
    /// keep the local one.
    pub async fn summary(&self, engine: &Engine) -> Option<String> {
        let llm = self.llm.as_ref()?;
        let lines: Vec<(hermes_llm::Speaker, &str)> = engine
            .intake
            .transcript
            .iter()
            .map(|t| {
                let who = match t.speaker {
                    Speaker::Agent => hermes_llm::Speaker::Agent,
                    Speaker::Caller => hermes_llm::Speaker::Caller,
                };
                (who, t.text.as_str())
            })
            .collect();
        match llm.client.summarise(&lines).await {
            Ok(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Ok(_) => None,
            Err(e) => {
                tracing::debug!(error = %e, "summary fell back to the local one");
                metrics::counter!("hermes_llm_fallbacks_total", "why" => "summary").increment(1);
                None
            }
        }
    }
}

async fn gather(llm: &LlmAgent, engine: &Engine, wants: &Wants, text: &str, seed: u64) -> Readings {
    let labels = area_labels(engine);
    let label_refs: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, d)| (k.as_str(), d.as_str()))
        .collect();
    let (n, temp) = (llm.samples, llm.temperature);
    let area = async {
        if !wants.practice_area {
            return Vec::new();
        }
        match llm.client.classify(text, &label_refs, n, temp, seed).await {
            Ok(votes) => samples("llm", votes),
            Err(e) => fallback("practice_area", e),
        }
    };
    let urgency = async {
        if !wants.urgency {
            return Vec::new();
        }
        match llm
            .client
            .classify(text, &URGENCY_LABELS, n, temp, seed.wrapping_add(1000))
            .await
        {
            Ok(votes) => samples("llm", votes),
            Err(e) => fallback("urgency", e),
        }
    };
    let party = async {
        if !wants.party {
            return Vec::new();
        }
        match llm
            .client
            .extract_parties(text, n, temp, seed.wrapping_add(2000))
            .await
        {
            Ok(lists) => lists
                .into_iter()
                .enumerate()
                .map(|(i, list)| {
                    let name = list
                        .into_iter()
                        .find(|p| p.role != PartyRole::Client)
                        .map(|p| p.name);
                    Reading::new(format!("llm#{i}"), name)
                })
                .collect(),
            Err(e) => fallback("party", e),
        }
    };
    let fields = async {
        let Some(q) = &wants.field else {
            return Default::default();
        };
        let spec = FieldSpec {
            id: q.id.clone(),
            question: q.prompt.clone(),
            kind: field_kind(&q.kind),
        };
        match llm.client.extract_fields(text, &[spec]).await {
            Ok(f) => f,
            Err(e) => fallback("fields", e),
        }
    };
    let (practice_area, urgency, party, fields) = tokio::join!(area, urgency, party, fields);
    Readings {
        practice_area,
        party,
        urgency,
        fields,
    }
}

/// The firm's areas, and the standard ones it does not take (so a matter
/// the firm declines is recognised as such, not forced into a wrong area).
fn area_labels(engine: &Engine) -> Vec<(String, String)> {
    let firm = engine.firm();
    let mut labels: Vec<(String, String)> = firm
        .areas
        .iter()
        .map(|(k, name)| (k.clone(), name.clone()))
        .collect();
    for k in practice::STANDARD_AREAS {
        if !labels.iter().any(|(l, _)| l == k) {
            labels.push((k.to_owned(), practice::matter_phrase(k)));
        }
    }
    labels
}

fn samples(source: &str, votes: Vec<Option<String>>) -> Vec<Reading> {
    votes
        .into_iter()
        .enumerate()
        .map(|(i, v)| Reading::new(format!("{source}#{i}"), v.filter(|v| v != UNKNOWN)))
        .collect()
}

fn fallback<T: Default>(what: &'static str, e: hermes_llm::LlmError) -> T {
    tracing::debug!(error = %e, what, "the model gave no reading; local path only");
    metrics::counter!("hermes_llm_fallbacks_total", "why" => what).increment(1);
    T::default()
}

fn field_kind(k: &AnswerKind) -> FieldKind {
    match k {
        AnswerKind::Text => FieldKind::Text,
        AnswerKind::YesNo => FieldKind::YesNo,
        AnswerKind::Date => FieldKind::Date,
        AnswerKind::Number => FieldKind::Number,
        AnswerKind::Money => FieldKind::Money,
        AnswerKind::PersonName => FieldKind::PersonName,
        AnswerKind::OrganizationName => FieldKind::OrganizationName,
        AnswerKind::Phone => FieldKind::Phone,
        AnswerKind::Email => FieldKind::Email,
        AnswerKind::Choice(o) => FieldKind::Choice(o.clone()),
    }
}

/// Whether `phrased` keeps the draft's facts: every number, and every
/// capitalised word that is not the first of a sentence (names, weekdays,
/// months, time zones), and is not much longer.
fn faithful(draft: &str, phrased: &str) -> bool {
    if phrased.trim().is_empty() || phrased.len() > draft.len() * 2 + 40 {
        return false;
    }
    let mut sentence_start = true;
    for raw in draft.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let fact = word.chars().any(|c| c.is_ascii_digit())
            || (!sentence_start
                && word.chars().next().is_some_and(char::is_uppercase)
                && word != "I");
        if fact && !word.is_empty() && !phrased.contains(word) {
            return false;
        }
        sentence_start = raw.ends_with(['.', '?', '!']);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::faithful;

    #[test]
    fn a_rephrasing_must_keep_every_number_and_name() {
        let draft = "I have Tuesday, December 1st at 10 in the morning, Central time. Which works best for you?";
        assert!(faithful(
            draft,
            "How about Tuesday, December 1st at 10 in the morning, Central time? Does that suit you?"
        ));
        assert!(!faithful(
            draft,
            "How about Wednesday, December 1st at 10 in the morning, Central time?"
        ));
        assert!(!faithful(
            draft,
            "How about Tuesday, December 2nd at 10 in the morning, Central time?"
        ));
        assert!(!faithful(draft, ""));
        assert!(!faithful("Okay.", &"very long ".repeat(20)));
    }
}
