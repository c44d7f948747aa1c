//! Rate limits and their headers.
//!
//! Buckets are counters in the shared state (in-process, or Redis so every
//! node counts together): per client IP for anonymous routes, per user or
//! API key and per tenant for authenticated ones. Responses carry
//! `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and
//! `RateLimit-Policy` (IETF draft-ietf-httpapi-ratelimit-headers) for the
//! tightest bucket involved; a refused request also gets `Retry-After`.
//!
//! If the shared state is unreachable the request is let through and the
//! failure logged and counted: a Redis outage must not take the firm's
//! phones down with it. Lockouts fail the same way; passwords are still
//! argon2-hashed, so a short window without lockout is not an open door.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client::ClientInfo;
use crate::error::ApiError;

use crate::state::{AppState, Quota};

/// A bucket's state after this request was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub quota: Quota,
    pub count: u64,
    pub resets_in: Duration,
}

impl Usage {
    pub fn allowed(&self) -> bool {
        self.count <= self.quota.limit
    }

    pub fn remaining(&self) -> u64 {
        self.quota.limit.saturating_sub(self.count)
    }

    /// Adds the `RateLimit-*` headers describing this bucket.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let reset = self.resets_in.as_secs_f64().ceil() as u64;
        headers.insert("ratelimit-limit", HeaderValue::from(self.quota.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining()));
        headers.insert("ratelimit-reset", HeaderValue::from(reset));
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{};w={}",
            self.quota.limit,
            self.quota.window.as_secs()
        )) {
            headers.insert("ratelimit-policy", v);
        }
    }
}

/// Counts a request against `bucket:id`. `None` when the shared state is
/// unavailable (fail open, see the module docs).
pub async fn hit(state: &AppState, bucket: &'static str, id: &str, quota: Quota) -> Option<Usage> {
    let key = format!("rl:{bucket}:{id}");
    match state.shared.hit(&key, quota.window).await {
        Ok(c) => {
            let usage = Usage {
                quota,
                count: c.count,
                resets_in: c.resets_in,
            };
            if !usage.allowed() {
                metrics::counter!("hermes_rate_limited_total", "bucket" => bucket).increment(1);
            }
            Some(usage)
        }
        Err(e) => {
            metrics::counter!("hermes_shared_state_errors_total").increment(1);
            tracing::warn!(error = %e, bucket, "rate limiter unavailable; allowing request");
            None
        }
    }
}

/// The bucket to report: a refused one if any, else the one with the least
/// room left.
pub fn tightest(usages: impl IntoIterator<Item = Option<Usage>>) -> Option<Usage> {
    usages
        .into_iter()
        .flatten()
        .min_by_key(|u| (u.allowed(), u.remaining()))
}

/// Middleware for anonymous routes: one bucket per client IP.
async fn per_ip(
    state: &AppState,
    bucket: &'static str,
    quota: Quota,
    req: Request,
    next: Next,
) -> Response {
    let ip = req
        .extensions()
        .get::<ClientInfo>()
        .map(ClientInfo::ip_key)
        .unwrap_or_default();
    let usage = hit(state, bucket, &ip, quota).await;
    let mut response = match usage {
        Some(u) if !u.allowed() => ApiError::TooManyRequests {
            retry_after: u.resets_in,
            message: "too many requests from this address; slow down",
        }
        .into_response(),
        _ => next.run(req).await,
    };
    if let Some(u) = usage {
        u.write_headers(response.headers_mut());
    }
    response
}

/// Login and refresh: the tight per-IP budget (10 a minute by default).
pub async fn auth_routes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let quota = state.config.auth_quota;
    per_ip(&state, "auth", quota, req, next).await
}

/// Other anonymous routes (JWKS, OpenAPI, docs).
pub async fn anonymous_routes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let quota = state.config.anonymous_quota;
    per_ip(&state, "anon", quota, req, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(limit: u64, count: u64) -> Usage {
        Usage {
            quota: Quota::per_minute(limit),
            count,
            resets_in: Duration::from_millis(1500),
        }
    }

    #[test]
    fn remaining_never_underflows() {
        assert_eq!(u(10, 3).remaining(), 7);
        assert_eq!(u(10, 12).remaining(), 0);
        assert!(u(10, 10).allowed());
        assert!(!u(10, 11).allowed());
    }

    #[test]
    fn tightest_prefers_refusals_then_least_room() {
        let picked = tightest([Some(u(100, 5)), Some(u(10, 9)), None]).unwrap();
        assert_eq!(picked.quota.limit, 10);
        let picked = tightest([Some(u(10, 2)), Some(u(100, 101))]).unwrap();
        assert_eq!(picked.quota.limit, 100);
        assert!(tightest([None, None]).is_none());
    }

    #[test]
    fn headers_round_up_reset() {
        let mut h = HeaderMap::new();
        u(10, 3).write_headers(&mut h);
        assert_eq!(h["ratelimit-limit"], "10");
        assert_eq!(h["ratelimit-remaining"], "7");
        assert_eq!(h["ratelimit-reset"], "2");
        assert_eq!(h["ratelimit-policy"], "10;w=60");
    }
}
