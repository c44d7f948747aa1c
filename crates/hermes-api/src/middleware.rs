//! HTTP hygiene applied to every response: request ids, a tracing span and
//! metrics per request, security headers, and JSON bodies for every error.
//!
//! Order (outermost first): `request_context` → `json_errors` →
//! `security_headers` → routes. The request id is therefore known to every
//! log line and set on every response, including the ones produced by the
//! layers inside it.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::client::ClientInfo;
use crate::state::AppState;

pub const REQUEST_ID: &str = "x-request-id";

/// The id of the current request, as an extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A caller-supplied id is kept when it is short and plain, so a request can
/// be followed across nginx and HERMES; anything else is replaced, so log
/// lines cannot be forged through it.
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Request id, span, access log and request metrics.
pub async fn request_context(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status();
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    let method_label = method_label(&method);
    metrics::counter!(
        "hermes_http_requests_total",
        "method" => method_label,
        "route" => route.clone(),
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!(
        "hermes_http_request_duration_seconds",
        "method" => method_label,
        "route" => route
    )
    .record(elapsed.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// A fixed set of method labels, so a client cannot create series with
/// made-up methods.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The API answers JSON only, and frames nothing: lock everything down.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The interactive docs page loads its own scripts and styles from this
/// origin (Swagger UI sets inline styles, never inline scripts).
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// The dashboard and the test phone: their own scripts, styles and
/// WebSocket, recordings played from blobs the page fetched with its
/// token, and the microphone (see the permissions policy below); no inline
/// scripts, no inline styles.
const WEB_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; media-src 'self' blob:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let path = req.uri().path();
    let web =
        path == "/" || path == "/phone" || path.starts_with("/phone/") || path.starts_with("/app/");
    let https = req
        .extensions()
        .get::<ClientInfo>()
        .is_some_and(|c| c.https);
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs {
            DOCS_CSP
        } else if web {
            WEB_CSP
        } else {
            API_CSP
        }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), geolocation=(), microphone=(self)"),
    );
    if https || state.config.force_hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !docs && !h.contains_key(header::CACHE_CONTROL) {
        // Responses carry tokens and personal data: never cache them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Replaces any non-JSON error body (unknown route, wrong method, timeout,
/// a framework rejection) with the API's JSON error shape, keeping the
/// status and headers such as `Allow` and `Retry-After`.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let replacement = crate::error::generic(status);
    let (new_parts, body) = replacement.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(ct) = new_parts.headers.get(header::CONTENT_TYPE) {
        parts.headers.insert(header::CONTENT_TYPE, ct.clone());
    }
    Response::from_parts(parts, body)
}

/// The 404 for unknown routes.
pub async fn not_found() -> Response {
    crate::error::generic(StatusCode::NOT_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_filtered() {
        assert!(acceptable("abc-123_x.y:z"));
        assert!(acceptable(&uuid::Uuid::new_v4().to_string()));
        assert!(!acceptable(""));
        assert!(!acceptable("a b"));
        assert!(!acceptable("line\nbreak"));
        assert!(!acceptable(&"x".repeat(129)));
    }
}
