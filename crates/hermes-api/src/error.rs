//! The API's one error type.
//!
//! Every failure a handler or extractor can produce is an [`ApiError`], and
//! every `ApiError` becomes `{"error": {"code", "message"}}` with the right
//! status. Codes are stable machine names; messages are for people and never
//! contain secrets or another tenant's data. Server-side failures answer an
//! opaque 500/503 and log the cause (with the request id, via the span).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hermes_core::{ParseError, Permission};
use hermes_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad JSON, a wrong field): 400.
    #[error("{0}")]
    BadRequest(String),
    /// The body is not in a format the route takes: 415.
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// The body is over the configured limit: 413.
    #[error("request body too large")]
    PayloadTooLarge,
    /// A field failed validation: 422, naming the field.
    #[error("{0}")]
    Invalid(#[from] ParseError),
    /// A value in the JSON body failed its type's validation while being
    /// parsed: 422, with the path to it.
    #[error("invalid request body: {0}")]
    InvalidBody(String),
    /// No valid credentials: 401. The reason is logged, never returned.
    #[error("authentication required")]
    Unauthenticated(&'static str),
    /// Login failed: 401 with one message for every cause.
    #[error("invalid tenant, email or password")]
    BadCredentials,
    /// Authenticated but not allowed: 403.
    #[error("this requires the {} permission", .0.as_str())]
    Forbidden(Permission),
    /// Allowed to the role, but not on the firm's plan: 403
    /// `plan_required`, saying which plan has it.
    #[error("{0}")]
    PlanRequired(String),
    /// Not found in the caller's tenant (which is also what another
    /// tenant's resource looks like): 404.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409 with a stable code.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 429, with `Retry-After`.
    #[error("{message}")]
    TooManyRequests {
        retry_after: Duration,
        message: &'static str,
    },
    /// A dependency (database, Redis) is unreachable: 503.
    #[error("service temporarily unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// A bug or an unexpected failure: 500.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unauthenticated`, `forbidden`,
    /// `not_found`, `validation_failed`, `rate_limited`.
    #[schema(example = "not_found")]
    pub code: String,
    /// What went wrong, for people.
    #[schema(example = "user not found")]
    pub message: String,
}

impl ApiError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    /// Maps a store error, naming what was not found: for
    /// `.map_err(ApiError::store_for("user"))`.
    pub fn store_for(what: &'static str) -> impl FnOnce(StoreError) -> ApiError {
        move |e| match e {
            StoreError::NotFound => ApiError::NotFound(what),
            e => e.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) | ApiError::InvalidBody(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated(_) | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::PlanRequired(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Invalid(_) | ApiError::InvalidBody(_) => "validation_failed",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::BadCredentials => "invalid_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::PlanRequired(_) => "plan_required",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict { code, .. } => code,
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("resource"),
            StoreError::Conflict(what) => ApiError::Conflict {
                code: "already_exists",
                message: format!("{what} already exists"),
            },
            StoreError::SlotTaken => ApiError::Conflict {
                code: "slot_taken",
                message: "that time is no longer available; choose another slot".into(),
            },
            StoreError::Rejected(message) => ApiError::Conflict {
                code: "slot_unavailable",
                message,
            },
            StoreError::ReviewDeclined => ApiError::Conflict {
                code: "conflict_declined",
                message: "the conflict review was declined; the firm cannot book this matter"
                    .into(),
            },
            StoreError::InUse(message) => ApiError::Conflict {
                code: "in_use",
                message: message.into(),
            },
            StoreError::InvalidState(message) => ApiError::Conflict {
                code: "invalid_state",
                message,
            },
            StoreError::Stale => ApiError::Conflict {
                code: "stale",
                message: "the record changed at the same time; send the request again".into(),
            },
            StoreError::LastAdmin => ApiError::Conflict {
                code: "last_admin",
                message: "the firm must keep at least one active administrator".into(),
            },
            e if e.is_unavailable() => ApiError::Unavailable(e.into()),
            e => ApiError::Internal(e.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            ApiError::Unavailable(e) => tracing::warn!(error = ?e, "dependency unavailable"),
            ApiError::Unauthenticated(reason) => tracing::debug!(reason, "unauthenticated"),
            _ => {}
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
            },
        };
        let mut resp = (status, Json(body)).into_response();
        match &self {
            ApiError::TooManyRequests { retry_after, .. } => {
                let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            ApiError::Unauthenticated(_) | ApiError::BadCredentials => {
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"hermes\""),
                );
            }
            _ => {}
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Generic bodies for statuses produced outside any handler (unknown route,
/// wrong method, a timeout, a body over the limit), so that every error the
/// API sends is JSON.
pub fn generic(status: StatusCode) -> Response {
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "method not allowed here"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "request body too large"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "send a JSON body with Content-Type: application/json",
        ),
        s if s.is_server_error() => ("internal", "internal error"),
        _ => ("error", "request failed"),
    };
    (
        status,
        Json(ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }),
    )
        .into_response()
}
