//! The intake record: everything the caller said and what the agent made
//! of it, saved after every turn so that a crash loses nothing already
//! said.
//!
//! Each field keeps its value, how sure the agent is of it, and the turn it
//! came from, so staff can see why the agent believed it and correct it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::reasoning::Trace;
use crate::urgency::{Triage, Urgency};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    InProgress,
    Completed,
    /// The caller went silent or hung up; everything said so far is kept.
    Abandoned,
    /// A person must look: a potential conflict, fields the agent could not
    /// get, a caller who asked for a person.
    NeedsReview,
    /// The firm does not handle the matter; the caller was referred.
    Declined,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Agent,
    Caller,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub at: DateTime<Utc>,
    pub speaker: Speaker,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub value: String,
    /// 0 to 1.
    pub confidence: f32,
    /// Index into the transcript of the caller turn it came from.
    pub source_turn: usize,
    /// The agent could not get it after two tries, or a person should
    /// check it.
    pub flagged: bool,
}

/// A party of the matter, for the conflict check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterParty {
    pub name: String,
    /// `client`, `adverse` or `related`.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictOutcome {
    /// `clear`, `potential` or `conflict`.
    pub status: String,
    pub review_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRecord {
    pub id: String,
    pub spoken: String,
    pub tentative: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intake {
    pub status: IntakeStatus,
    pub transcript: Vec<Turn>,
    /// By field id: `name`, `phone`, `email`, `voicemail_ok`, `for_whom`,
    /// then the practice area's question ids.
    pub fields: BTreeMap<String, Field>,
    pub practice_area: Option<String>,
    pub parties: Vec<MatterParty>,
    pub urgency: Urgency,
    pub triage: Option<Triage>,
    pub conflict: Option<ConflictOutcome>,
    pub booking: Option<BookingRecord>,
    /// Recording consent as the caller answered it (`None`: not asked yet).
    pub recording_consent: Option<bool>,
    /// Why a person should look, in plain words.
    pub review_notes: Vec<String>,
    /// Every decision taken by vote or plan, with its inputs: why the agent
    /// believed what it did (see `reasoning`).
    #[serde(default)]
    pub traces: Vec<Trace>,
    /// A short summary for staff, written when the conversation ends.
    #[serde(default)]
    pub summary: Option<String>,
    /// Taken as a message (name, number, a line on what it is about)
    /// rather than a whole intake: the firm's plan had no calls left this
    /// month. Staff call the caller back to take the intake.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub message_only: bool,
    /// The office the caller reached (its key), at a firm with several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
}

impl Default for Intake {
    fn default() -> Self {
        Intake {
            status: IntakeStatus::InProgress,
            transcript: Vec::new(),
            fields: BTreeMap::new(),
            practice_area: None,
            parties: Vec::new(),
            urgency: Urgency::Routine,
            triage: None,
            conflict: None,
            booking: None,
            recording_consent: None,
            review_notes: Vec::new(),
            traces: Vec::new(),
            summary: None,
            message_only: false,
            office: None,
        }
    }
}

impl Intake {
    pub fn field(&self, id: &str) -> Option<&str> {
        self.fields.get(id).map(|f| f.value.as_str())
    }

    /// A plain summary for staff from the recorded fields alone (an LLM,
    /// when configured, may write a better one; this is the fallback).
    pub fn local_summary(&self) -> String {
        let mut s = Vec::new();
        let who = self
            .field("name")
            .filter(|n| !n.is_empty())
            .unwrap_or("An unnamed caller");
        let mut first = who.to_owned();
        if let Some(p) = self.field("phone").filter(|p| !p.is_empty()) {
            first.push_str(&format!(" (callback {p})"));
        }
        match &self.practice_area {
            Some(a) => first.push_str(&format!(" called about a {} matter", a.replace('_', " "))),
            None => first.push_str(" called"),
        }
        s.push(first);
        if let Some(t) = &self.triage
            && !t.reasons.is_empty()
        {
            let reasons: Vec<String> = t
                .reasons
                .iter()
                .map(|r| {
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| match v {
                            serde_json::Value::String(s) => Some(s),
                            serde_json::Value::Object(m) => m.keys().next().cloned(),
                            _ => None,
                        })
                        .unwrap_or_default()
                        .replace('_', " ")
                })
                .collect();
            s.push(format!(
                "Urgency: {} ({})",
                serde_json::to_value(t.level)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                reasons.join(", ")
            ));
        }
        if let Some(c) = &self.conflict {
            s.push(format!("Conflict check: {}", c.status));
        }
        if let Some(b) = &self.booking {
            s.push(format!(
                "Consultation: {}{}",
                b.spoken,
                if b.tentative { " (tentative)" } else { "" }
            ));
        }
        let flagged: Vec<&str> = self
            .fields
            .iter()
            .filter(|(_, f)| f.flagged)
            .map(|(k, _)| k.as_str())
            .collect();
        if !flagged.is_empty() {
            s.push(format!("To check: {}", flagged.join(", ")));
        }
        if !self.review_notes.is_empty() {
            s.push(format!("For review: {}", self.review_notes.join("; ")));
        }
        s.join(". ") + "."
    }
}
