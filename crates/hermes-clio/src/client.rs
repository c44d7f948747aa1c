//! Requests to Clio's API, the way Clio wants them and as its limits
//! allow.
//!
//! Retries: a GET, PATCH or DELETE is safe to send again, so 5xx answers,
//! timeouts and dropped connections are retried with exponential backoff.
//! A POST is retried only when Clio cannot have acted on it (429, or a
//! connection that never opened): a POST that timed out may have created
//! the record, and only the caller — who can look for it first — may send
//! it again.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode, header::HeaderMap};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::error::{ClioError, message_of};

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The API's base, e.g. `https://app.clio.com/api/v4`.
    pub base: String,
    /// Per request.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first backoff; it doubles each retry.
    pub backoff: Duration,
    /// The longest a request waits inline for the rate limit to reset;
    /// beyond it, [`ClioError::RateLimited`] and the caller schedules.
    pub max_wait: Duration,
}

impl ClientConfig {
    pub fn new(base: impl Into<String>) -> Self {
        ClientConfig {
            base: base.into().trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// One per access token (Clio limits each token): shared by every task
/// using it. It learns the budget from `X-RateLimit-Remaining` and
/// `X-RateLimit-Reset`, and a 429's `Retry-After` stops everyone until
/// then, not just the request that met it.
#[derive(Debug, Default)]
pub struct RateLimiter {
    state: tokio::sync::Mutex<LimitState>,
}

#[derive(Debug, Default)]
struct LimitState {
    /// Nothing may be sent before this.
    closed_until: Option<Instant>,
}

impl RateLimiter {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Waits for a turn, at most `max_wait`; `Err(wait)` when longer.
    async fn admit(&self, max_wait: Duration) -> Result<(), Duration> {
        let until = self.state.lock().await.closed_until;
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                let wait = until - now;
                if wait > max_wait {
                    return Err(wait);
                }
                tokio::time::sleep_until(until).await;
            }
        }
        Ok(())
    }

    /// Reads the limit headers of an answer.
    async fn observe(&self, status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let wait = if status == StatusCode::TOO_MANY_REQUESTS {
            // Retry-After in seconds; without one, a conservative second.
            Some(Duration::from_secs(number("retry-after").unwrap_or(1)))
        } else if number("x-ratelimit-remaining") == Some(0) {
            // The budget is spent: wait for its reset (a Unix time).
            number("x-ratelimit-reset").map(|reset| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                Duration::from_secs(reset.saturating_sub(now).max(1))
            })
        } else {
            None
        };
        if let Some(wait) = wait {
            let until = Instant::now() + wait;
            let mut s = self.state.lock().await;
            s.closed_until = Some(s.closed_until.map_or(until, |u| u.max(until)));
        }
        wait
    }
}

/// One page of a list and where the next begins.
#[derive(Debug)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// `meta.paging.next`: the next page's full URL.
    pub next: Option<String>,
}

/// Clio's API for one connection (one access token).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    token: SecretString,
    limiter: Arc<RateLimiter>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.config.base)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(
        http: reqwest::Client,
        config: ClientConfig,
        token: SecretString,
        limiter: Arc<RateLimiter>,
    ) -> Self {
        Client {
            http,
            config: Arc::new(config),
            token,
            limiter,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base, path)
    }

    /// `GET path` with `fields` and `query`: the envelope's `data`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        fields: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClioError> {
        let body = self
            .send(Method::GET, &self.url(path), fields, query, None)
            .await?;
        data(body)
    }

    /// One page of a list.
    pub async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        fields: &str,
        query: &[(&str, String)],
    ) -> Result<Page<T>, ClioError> {
        let body = self
            .send(Method::GET, &self.url(path), fields, query, None)
            .await?;
        page(body)
    }

    /// The page `meta.paging.next` named (it carries its own query).
    pub async fn next_page<T: DeserializeOwned>(&self, next: &str) -> Result<Page<T>, ClioError> {
        // The token goes only where it came from.
        if !next.starts_with(&format!("{}/", self.config.base)) {
            return Err(ClioError::Decode(format!(
                "the next page {next:?} is not on {}",
                self.config.base
            )));
        }
        let body = self.send(Method::GET, next, "", &[], None).await?;
        page(body)
    }

    /// Every page of a list, in order.
    pub async fn all<T: DeserializeOwned>(
        &self,
        path: &str,
        fields: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, ClioError> {
        let mut p = self.page::<T>(path, fields, query).await?;
        let mut all = std::mem::take(&mut p.data);
        while let Some(next) = p.next.take() {
            p = self.next_page(&next).await?;
            all.append(&mut p.data);
        }
        Ok(all)
    }

    /// `POST path` with `{"data": data}`: the created record.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        fields: &str,
        data: serde_json::Value,
    ) -> Result<T, ClioError> {
        self.write(Method::POST, path, fields, data).await
    }

    /// `PATCH path` with `{"data": data}`: the updated record.
    pub async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        fields: &str,
        data: serde_json::Value,
    ) -> Result<T, ClioError> {
        self.write(Method::PATCH, path, fields, data).await
    }

    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        fields: &str,
        data: serde_json::Value,
    ) -> Result<T, ClioError> {
        let body = self
            .send(method, &self.url(path), fields, &[], Some(envelope(data)))
            .await?;
        crate::client::data(body)
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<(), ClioError> {
        self.send(Method::DELETE, &self.url(path), "", &[], None)
            .await
            .map(|_| ())
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        fields: &str,
        query: &[(&str, String)],
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, ClioError> {
        let idempotent = method != Method::POST;
        let mut attempt = 0;
        loop {
            if let Err(wait) = self.limiter.admit(self.config.max_wait).await {
                return Err(ClioError::RateLimited { retry_after: wait });
            }
            let mut req = self
                .http
                .request(method.clone(), url)
                .bearer_auth(self.token.expose_secret())
                .header("X-API-VERSION", crate::API_VERSION)
                .header(reqwest::header::ACCEPT, "application/json")
                .timeout(self.config.timeout);
            if !fields.is_empty() {
                req = req.query(&[("fields", fields)]);
            }
            if !query.is_empty() {
                req = req.query(query);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let backoff = self.config.backoff * 2u32.saturating_pow(attempt);
            let retry = attempt < self.config.retries;
            attempt += 1;
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let never_sent = e.is_connect();
                    let err = ClioError::from_reqwest(e);
                    if retry && (idempotent || never_sent) && err.is_transient() {
                        tracing::debug!(error = %err, %url, "retrying a Clio request");
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = resp.status();
            let wait = self.limiter.observe(status, resp.headers()).await;
            let text = resp.text().await.map_err(ClioError::from_reqwest)?;
            if status.is_success() {
                if text.trim().is_empty() {
                    return Ok(serde_json::Value::Null);
                }
                return serde_json::from_str(&text).map_err(|e| ClioError::Decode(e.to_string()));
            }
            match status.as_u16() {
                429 => {
                    let wait = wait.unwrap_or(Duration::from_secs(1));
                    if retry && wait <= self.config.max_wait {
                        // admit() sleeps until the limiter reopens.
                        continue;
                    }
                    return Err(ClioError::RateLimited { retry_after: wait });
                }
                401 => return Err(ClioError::Unauthorized),
                403 => return Err(ClioError::Forbidden(message_of(&text))),
                404 => return Err(ClioError::NotFound),
                s if s >= 500 => {
                    if retry && idempotent {
                        tracing::debug!(status = s, %url, "retrying a Clio request");
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                    return Err(ClioError::Server { status: s });
                }
                s => {
                    return Err(ClioError::Rejected {
                        status: s,
                        message: message_of(&text),
                    });
                }
            }
        }
    }
}

fn envelope(data: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "data": data })
}

fn data<T: DeserializeOwned>(mut body: serde_json::Value) -> Result<T, ClioError> {
    let data = body
        .get_mut("data")
        .map(serde_json::Value::take)
        .ok_or_else(|| ClioError::Decode("no \"data\" in the answer".into()))?;
    serde_json::from_value(data).map_err(|e| ClioError::Decode(e.to_string()))
}

fn page<T: DeserializeOwned>(body: serde_json::Value) -> Result<Page<T>, ClioError> {
    let next = body
        .pointer("/meta/paging/next")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(Page {
        data: data(body)?,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_and_pages_are_read() {
        let p: Page<serde_json::Value> = page(serde_json::json!({
            "data": [{"id": 1}, {"id": 2}],
            "meta": {"paging": {"next": "https://app.clio.com/api/v4/contacts.json?page_token=x"}, "records": 3}
        }))
        .unwrap();
        assert_eq!(p.data.len(), 2);
        assert!(p.next.unwrap().ends_with("page_token=x"));
        let last: Page<serde_json::Value> =
            page(serde_json::json!({"data": [], "meta": {"paging": {}}})).unwrap();
        assert!(last.next.is_none());
        assert!(matches!(
            data::<serde_json::Value>(serde_json::json!({"error": "x"})),
            Err(ClioError::Decode(_))
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_closes_the_limiter_for_everyone_until_retry_after() {
        let limiter = RateLimiter::new();
        let mut h = HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        let wait = limiter.observe(StatusCode::TOO_MANY_REQUESTS, &h).await;
        assert_eq!(wait, Some(Duration::from_secs(7)));
        // Longer than a caller will wait inline: told so.
        assert_eq!(
            limiter.admit(Duration::from_secs(5)).await,
            Err(Duration::from_secs(7))
        );
        let start = Instant::now();
        limiter.admit(Duration::from_secs(60)).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(7));
        // Open again.
        let start = Instant::now();
        limiter.admit(Duration::ZERO).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_budget_waits_for_its_reset() {
        let limiter = RateLimiter::new();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", (now + 30).to_string().parse().unwrap());
        let wait = limiter.observe(StatusCode::OK, &h).await.unwrap();
        assert!(wait >= Duration::from_secs(29) && wait <= Duration::from_secs(30));
        let mut ok = HeaderMap::new();
        ok.insert("x-ratelimit-remaining", "41".parse().unwrap());
        assert_eq!(limiter.observe(StatusCode::OK, &ok).await, None);
    }
}
