//! `/api/v1/settings/telephony`: how a firm's calls reach HERMES — the
//! provider and its numbers, the provider's credentials, the speech
//! engines, recording retention — and who takes a transferred call.
//!
//! Credentials are write-only: `PUT` takes them in clear, the server seals
//! them (AES-256-GCM, bound to the tenant) before they reach the database,
//! and `GET` shows only whether each is set and its last four characters.
//! Reading needs `settings:read`; changing, `integrations:manage`
//! (admins), audited without the secrets.

use axum::extract::State;
use hermes_core::{ParseError, TenantId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// The engines a firm's calls use (names the node has configured); empty
/// means the node's default (the local engines).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpeechChoice {
    #[schema(example = "local")]
    pub stt: Option<String>,
    #[schema(example = "local")]
    pub tts: Option<String>,
}

/// What may be shown of a firm's telephony (no secrets).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Telephony {
    /// `twilio` or `telnyx`.
    #[schema(example = "twilio")]
    pub provider: String,
    /// The firm's numbers on that provider, E.164.
    #[schema(example = json!(["+15035550100"]))]
    pub numbers: Vec<String>,
    /// Twilio's account SID (`AC…`).
    pub twilio_account_sid: Option<String>,
    /// Telnyx's public key for webhook signatures (Mission Control → Keys
    /// & Credentials → Public Key: base64 of 32 bytes). Not a secret: it
    /// only verifies, so it is shown in full, for comparing with the
    /// portal.
    #[serde(default)]
    pub telnyx_public_key: Option<String>,
    /// Where a caller who asks for a person is transferred (E.164); the
    /// on-call escalation contact's phone when empty.
    pub transfer_number: Option<String>,
    pub speech: SpeechChoice,
    /// Whether calls are recorded (always only with the caller's consent).
    pub recording: bool,
    /// Days a recording is kept before it is deleted.
    pub retention_days: u32,
}

impl Default for Telephony {
    fn default() -> Self {
        Telephony {
            provider: "twilio".into(),
            numbers: vec![],
            twilio_account_sid: None,
            telnyx_public_key: None,
            transfer_number: None,
            speech: SpeechChoice::default(),
            recording: true,
            retention_days: 90,
        }
    }
}

/// The sealed part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TelephonySecrets {
    pub twilio_auth_token: Option<String>,
    pub telnyx_api_key: Option<String>,
}

/// `GET` answer: the settings and which secrets are set.
#[derive(Debug, Serialize, ToSchema)]
pub struct TelephonyView {
    #[serde(flatten)]
    pub settings: Telephony,
    /// e.g. `••••a1b2`, or null when not set.
    pub twilio_auth_token: Option<String>,
    pub telnyx_api_key: Option<String>,
}

/// `PUT` body: the settings, plus secrets to set (omit one to keep it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutTelephony {
    pub provider: String,
    #[serde(default)]
    pub numbers: Vec<String>,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<String>,
    pub telnyx_public_key: Option<String>,
    /// Telnyx's API key (`KEY…`), for warm transfers.
    pub telnyx_api_key: Option<String>,
    pub transfer_number: Option<String>,
    #[serde(default)]
    pub speech: SpeechChoice,
    #[serde(default = "yes")]
    pub recording: bool,
    #[serde(default = "ninety")]
    pub retention_days: u32,
}

fn yes() -> bool {
    true
}

fn ninety() -> u32 {
    90
}

fn context(tenant: TenantId) -> String {
    format!("{tenant}/telephony")
}

/// A secret as admins see it: its last four characters.
pub(crate) fn mask(s: &str) -> String {
    let tail: String = s
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("••••{tail}")
}

fn e164(field: &'static str, s: &str) -> Result<String, ParseError> {
    let ok = s.starts_with('+')
        && s.len() >= 8
        && s.len() <= 16
        && s[1..].chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ParseError::new(
            field,
            "must be an E.164 number such as +15035550100",
        ))
    }
}

/// Opens a firm's sealed telephony secrets.
pub fn open_secrets(
    secrets: &hermes_auth::SecretBox,
    tenant: TenantId,
    sealed: &[u8],
) -> ApiResult<TelephonySecrets> {
    let plain = secrets
        .open(&context(tenant), sealed)
        .map_err(ApiError::internal)?;
    serde_json::from_slice(&plain).map_err(ApiError::internal)
}

/// The firm's settings and secrets (defaults and none when never set).
pub async fn load_all(
    state: &AppState,
    tenant: TenantId,
) -> ApiResult<(Telephony, TelephonySecrets)> {
    let Some(row) = state.store.scoped(tenant).voice_settings().await? else {
        return Ok((Telephony::default(), TelephonySecrets::default()));
    };
    let settings: Telephony = serde_json::from_value(row.document).map_err(ApiError::internal)?;
    let secrets = match row.secrets {
        Some(sealed) => open_secrets(&state.secrets, tenant, &sealed)?,
        None => TelephonySecrets::default(),
    };
    Ok((settings, secrets))
}

pub async fn load(state: &AppState, tenant: TenantId) -> ApiResult<Telephony> {
    Ok(load_all(state, tenant).await?.0)
}

/// The firm's telephony.
#[utoipa::path(
    get, path = "/api/v1/settings/telephony", tag = "settings",
    security(("bearer" = ["settings:read"])),
    responses(
        (status = 200, body = TelephonyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn get_telephony(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<TelephonyView>> {
    let (settings, secrets) = load_all(&state, auth.tenant).await?;
    Ok(Json(TelephonyView {
        settings,
        twilio_auth_token: secrets.twilio_auth_token.as_deref().map(mask),
        telnyx_api_key: secrets.telnyx_api_key.as_deref().map(mask),
    }))
}

/// Set the firm's telephony (credentials are sealed; omitted ones kept).
#[utoipa::path(
    put, path = "/api/v1/settings/telephony", tag = "settings",
    security(("bearer" = ["integrations:manage"])),
    request_body = PutTelephony,
    responses(
        (status = 200, body = TelephonyView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn put_telephony(
    auth: Require<perm::ManageIntegrations>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<PutTelephony>,
) -> ApiResult<Json<TelephonyView>> {
    if !matches!(req.provider.as_str(), "twilio" | "telnyx") {
        return Err(ParseError::new("provider", "must be twilio or telnyx").into());
    }
    let mut numbers = Vec::new();
    for n in &req.numbers {
        numbers.push(e164("numbers", n.trim())?);
    }
    let transfer_number = req
        .transfer_number
        .as_deref()
        .map(|n| e164("transfer_number", n.trim()))
        .transpose()?;
    if let Some(sid) = &req.twilio_account_sid
        && !(sid.len() == 34
            && sid.starts_with("AC")
            && sid[2..].chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(
            ParseError::new("twilio_account_sid", "must be AC followed by 32 hex digits").into(),
        );
    }
    for (field, value, max, what) in [
        (
            "twilio_auth_token",
            &req.twilio_auth_token,
            128,
            "the account's auth token",
        ),
        ("telnyx_api_key", &req.telnyx_api_key, 256, "an API key"),
    ] {
        if let Some(v) = value
            && (v.len() < 16 || v.len() > max || v.chars().any(char::is_whitespace))
        {
            let rule = format!("must be {what} (16 to {max} characters, no spaces)");
            return Err(ParseError::new(field, rule).into());
        }
    }
    if let Some(k) = &req.telnyx_public_key
        && hermes_voice::telnyx::PublicKey::parse(k).is_err()
    {
        return Err(ParseError::new(
            "telnyx_public_key",
            "must be the account's public key from Mission Control (base64 of 32 bytes)",
        )
        .into());
    }
    if !(1..=3650).contains(&req.retention_days) {
        return Err(ParseError::new("retention_days", "must be 1 to 3650").into());
    }
    // A name this node does not run would leave the firm's calls on the
    // default without anyone noticing: refused, naming the field.
    for (field, name, known) in [
        ("speech.stt", &req.speech.stt, state.voice.stt_names()),
        ("speech.tts", &req.speech.tts, state.voice.tts_names()),
    ] {
        if let Some(name) = name
            && !known.contains(name)
        {
            return Err(ApiError::BadRequest(format!(
                "{field}: this server has no speech engine by that name (it has: {})",
                known.join(", ")
            )));
        }
    }
    let settings = Telephony {
        provider: req.provider,
        numbers,
        twilio_account_sid: req.twilio_account_sid,
        telnyx_public_key: req.telnyx_public_key.map(|k| k.trim().to_owned()),
        transfer_number,
        speech: req.speech,
        recording: req.recording,
        retention_days: req.retention_days,
    };
    let (_, mut secrets) = load_all(&state, auth.tenant).await?;
    let changed_secrets = req.twilio_auth_token.is_some() || req.telnyx_api_key.is_some();
    if let Some(t) = req.twilio_auth_token {
        secrets.twilio_auth_token = Some(t);
    }
    if let Some(k) = req.telnyx_api_key {
        secrets.telnyx_api_key = Some(k);
    }
    let sealed = changed_secrets.then(|| {
        state.secrets.seal(
            &context(auth.tenant),
            &serde_json::to_vec(&secrets).expect("secrets serialise"),
        )
    });
    let audit = auth
        .audit(&client, "settings.update")
        .details(serde_json::json!({
            "section": "telephony",
            "provider": settings.provider,
            "secrets_changed": changed_secrets,
        }));
    state
        .store
        .scoped(auth.tenant)
        .put_voice_settings(
            &serde_json::to_value(&settings).map_err(ApiError::internal)?,
            sealed.as_deref(),
            audit,
        )
        .await?;
    Ok(Json(TelephonyView {
        settings,
        twilio_auth_token: secrets.twilio_auth_token.as_deref().map(mask),
        telnyx_api_key: secrets.telnyx_api_key.as_deref().map(mask),
    }))
}
