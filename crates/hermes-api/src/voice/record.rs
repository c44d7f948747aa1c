//! After a call: its record (outcome, intake, per-turn timings), its
//! recording (only with the caller's consent, sealed, kept for the firm's
//! retention period), the retention sweeps (recordings, and the words of
//! transcripts), and where a warm transfer goes (each provider places it
//! its own way).

use chrono::Utc;
use hermes_core::TenantId;
use hermes_store::{Actor, AuditEvent, CallProgress, CallRow, RecordingRow};
use uuid::Uuid;

use super::session::CallOutcome;
use crate::live::{self, LiveEvent};
use crate::state::AppState;

/// The sealing context of a call's recording: bound to tenant and call.
pub fn recording_context(tenant: TenantId, call: Uuid) -> String {
    format!("{tenant}/recording/{call}")
}

/// 16-bit PCM mono WAV.
pub fn wav(samples: &[i16], rate: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    {
        let mut w = hound::WavWriter::new(&mut out, spec).expect("writing to memory");
        for s in samples {
            w.write_sample(*s).expect("writing to memory");
        }
        w.finalize().expect("writing to memory");
    }
    out.into_inner()
}

/// The call's media has started flowing: it reads as in progress.
pub async fn answered(state: &AppState, tenant: TenantId, call: Uuid) {
    let progress = CallProgress {
        status: "in_progress".into(),
        turns: serde_json::Value::Null,
        ..Default::default()
    };
    if let Err(e) = state
        .store
        .scoped(tenant)
        .update_call(call, &progress)
        .await
    {
        tracing::warn!(error = %e, %call, "could not mark a call in progress");
    }
    live::publish(
        state,
        tenant,
        LiveEvent::Call {
            id: call,
            status: "in_progress".into(),
        },
    );
}

/// Writes the call's end: outcome, intake, timings, and the recording
/// when the caller consented and the firm records.
pub async fn finish(
    state: &AppState,
    tenant: TenantId,
    call: Uuid,
    outcome: CallOutcome,
    rate: u32,
) {
    let store = state.store.scoped(tenant);
    // The recording goes in first, so that a call read as ended already
    // has its recording (the dashboard and the tests poll for "ended").
    let firm = super::firm_voice(state, tenant).await;
    if let (Some(samples), Some(true), true) =
        (outcome.recording, outcome.recording_consent, firm.recording)
    {
        let duration_ms = samples.len() as i64 * 1000 / i64::from(rate);
        let sealed = state
            .secrets
            .seal(&recording_context(tenant, call), &wav(&samples, rate));
        let now = Utc::now();
        let row = RecordingRow {
            call_id: call,
            format: format!("audio/wav;rate={rate}"),
            sealed,
            duration_ms,
            created_at: now,
            expires_at: now + chrono::Duration::days(i64::from(firm.retention_days)),
        };
        if let Err(e) = store.put_recording(&row).await {
            tracing::error!(error = %e, %call, "could not store a call's recording");
        }
    }
    let progress = CallProgress {
        status: "ended".into(),
        outcome: Some(outcome.outcome.clone()),
        recording_consent: outcome.recording_consent,
        intake_id: outcome.intake_id,
        turns: serde_json::to_value(&outcome.turns).unwrap_or_default(),
        ended_at: Some(Utc::now()),
    };
    if let Err(e) = store.update_call(call, &progress).await {
        tracing::error!(error = %e, %call, "could not record the end of a call");
    }
    live::publish(
        state,
        tenant,
        LiveEvent::Call {
            id: call,
            status: "ended".into(),
        },
    );
    metrics::counter!("hermes_calls_ended_total", "outcome" => outcome.outcome.clone())
        .increment(1);
}

/// Deletes every firm's recordings whose retention has run out; the
/// binary runs it hourly.
pub async fn sweep_recordings(state: &AppState) -> u64 {
    let Ok(tenants) = state.store.list_tenants().await else {
        return 0;
    };
    let mut n = 0;
    for t in tenants {
        match state
            .store
            .scoped(t.id)
            .delete_expired_recordings(
                Utc::now(),
                AuditEvent::new(Actor::System, "recording.expire"),
            )
            .await
        {
            Ok(k) => n += k,
            Err(e) => {
                tracing::warn!(tenant = %t.id, error = %e, "could not delete expired recordings")
            }
        }
    }
    n
}

/// How many intakes one transaction of the transcript sweep rewrites: a
/// firm's backlog (the first sweep after retention was shortened) goes in
/// several short transactions, not one that holds SQLite's writer.
const TRANSCRIPT_BATCH: u32 = 200;

/// Deletes the words of every firm's transcripts older than the firm's
/// retention period (`retention_days` of its telephony settings, the same
/// period as its recordings), from text and voice intakes alike; the
/// binary runs it with the recordings sweep. What the agent extracted
/// (fields, parties, urgency, the summary, the booking) stays: that is the
/// firm's record of the enquiry; the raw words go. Returns how many
/// intakes lost their transcript.
pub async fn sweep_transcripts(state: &AppState) -> u64 {
    let Ok(tenants) = state.store.list_tenants().await else {
        return 0;
    };
    let mut n = 0;
    for t in tenants {
        let days = super::firm_voice(state, t.id).await.retention_days;
        let before = Utc::now() - chrono::Duration::days(i64::from(days));
        let store = state.store.scoped(t.id);
        loop {
            match store
                .expire_transcripts(
                    before,
                    forget_words,
                    TRANSCRIPT_BATCH,
                    AuditEvent::new(Actor::System, "transcript.expire"),
                )
                .await
            {
                Ok(k) => {
                    n += k;
                    if k < u64::from(TRANSCRIPT_BATCH) {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(tenant = %t.id, error = %e, "could not delete expired transcripts");
                    break;
                }
            }
        }
    }
    n
}

/// Empties the text of every line of an intake record's transcript,
/// keeping who spoke and when: the fields' `source_turn` and the traces'
/// `turn` still point at a line, which now says nothing.
pub fn forget_words(document: &mut serde_json::Value) {
    if let Some(lines) = document
        .get_mut("transcript")
        .and_then(serde_json::Value::as_array_mut)
    {
        for line in lines {
            if let Some(text) = line.get_mut("text") {
                *text = serde_json::Value::String(String::new());
            }
        }
    }
}

/// What the person taking a transfer hears first: who is calling and
/// about what, in a few words (the rest is in the dashboard).
pub async fn briefing(state: &AppState, tenant: TenantId, call: Uuid) -> String {
    let store = state.store.scoped(tenant);
    let intake = match store.call(call).await {
        Ok(Some(CallRow {
            intake_id: Some(i), ..
        })) => store.intake(i).await.ok().flatten(),
        _ => None,
    };
    let Some(row) = intake else {
        return "A caller asked to speak with someone at the firm.".into();
    };
    let name = row.caller_name.unwrap_or_else(|| "a caller".into());
    let area = row
        .practice_area
        .map(|a| format!(" about a {} matter", a.replace('_', " ")))
        .unwrap_or_default();
    let urgent = if matches!(row.urgency.as_str(), "urgent" | "emergency") {
        " It may be urgent."
    } else {
        ""
    };
    format!(
        "Transferring {name}{area}, who asked to speak with someone.{urgent} Connecting you now."
    )
}

/// Where a caller who asked for a person goes, and what the provider
/// needs to put them through.
pub struct TransferTarget {
    /// The firm's transfer number, or the on-call contact's phone.
    pub number: String,
    pub secrets: super::settings::TelephonySecrets,
    pub slug: String,
}

impl TransferTarget {
    /// The credential the provider's REST call needs (`what`, for the
    /// error when the firm has not set it).
    pub fn secret(
        &self,
        pick: fn(&super::settings::TelephonySecrets) -> &Option<String>,
        what: &str,
    ) -> Result<String, hermes_notify::SendError> {
        pick(&self.secrets)
            .clone()
            .ok_or_else(|| hermes_notify::SendError::permanent(format!("the firm has no {what}")))
    }

    /// The `<Dial>` (TwiML and TeXML alike): the person, `whisper` played
    /// to them first when given, and a caller nobody answers for hears
    /// that they will be called back.
    pub fn dial(&self, call: &CallRow, whisper: Option<&str>) -> String {
        hermes_voice::twiml::dial(
            &self.number,
            call.to_number.as_deref(),
            whisper,
            25,
            "I'm sorry, nobody could take your call right now. Someone from the firm will call you back as soon as possible. Goodbye.",
        )
    }
}

/// The firm's transfer number, else the escalation contact on call now
/// (the first contact when nobody is); `None` when the firm has neither.
async fn transfer_target(state: &AppState, tenant: TenantId) -> Option<TransferTarget> {
    let (firm, secrets) = super::settings::load_all(state, tenant).await.ok()?;
    let t = state.tenant(tenant).await.ok()?;
    let number = match firm.transfer_number {
        Some(n) => Some(n),
        None => {
            let contacts = state
                .store
                .scoped(tenant)
                .firm_settings()
                .await
                .ok()
                .and_then(|s| s.escalation)
                .unwrap_or_default();
            let (chosen, _) =
                crate::escalation::recipients(&contacts, t.time_zone.tz(), Utc::now());
            chosen.first().map(|c| c.phone.to_string())
        }
    };
    let Some(number) = number else {
        tracing::warn!(%tenant, "a caller asked for a person but the firm has no transfer number or contact");
        return None;
    };
    Some(TransferTarget {
        number,
        secrets,
        slug: t.slug.as_ref().to_owned(),
    })
}

/// Places a transfer the provider's way (`place`: its REST call, given
/// where the caller goes), counts and logs it; whether it was placed.
pub async fn transfer<F, Fut>(state: &AppState, tenant: TenantId, place: F) -> bool
where
    F: FnOnce(TransferTarget) -> Fut,
    Fut: std::future::Future<Output = Result<(), hermes_notify::SendError>>,
{
    let Some(target) = transfer_target(state, tenant).await else {
        return false;
    };
    match place(target).await {
        Ok(()) => {
            metrics::counter!("hermes_call_transfers_total", "result" => "dialled").increment(1);
            true
        }
        Err(e) => {
            metrics::counter!("hermes_call_transfers_total", "result" => "failed").increment(1);
            tracing::error!(%tenant, error = %e.message, "a warm transfer failed");
            false
        }
    }
}
