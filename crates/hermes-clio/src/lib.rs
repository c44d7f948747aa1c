//! Clio Manage, API v4: what HERMES needs to be a good Clio citizen.
//!
//! - [`Region`]: Clio runs four separate regions (US, EU, CA, AU), each on
//!   its own host; a firm's account lives in exactly one.
//! - [`oauth`]: the authorization-code flow — the authorize URL, the code
//!   exchange, refresh, deauthorization.
//! - [`Client`]: requests as Clio wants them — `{"data": …}` envelopes,
//!   the `fields` parameter, cursor paging through `meta.paging.next`,
//!   `X-API-VERSION` pinned — and as Clio's limits allow: one limiter per
//!   token obeying `X-RateLimit-*` and `Retry-After`, retries with backoff
//!   on 5xx and timeouts, and every failure mapped into [`ClioError`].
//! - [`webhook`]: the `X-Hook-Secret` handshake and `X-Hook-Signature`
//!   checks.
//!
//! No storage here: tokens come in and go out sealed by the caller
//! (hermes-api), so this crate can be tested against Prism serving Clio's
//! published OpenAPI document and against a stateful fake.

mod client;
mod error;
pub mod oauth;
mod region;
pub mod webhook;

pub use client::{Client, ClientConfig, Page, RateLimiter};
pub use error::ClioError;
pub use region::Region;

/// The API version every request pins (`X-API-VERSION`): the published
/// document's default, so what Prism validates is what Clio answers.
pub const API_VERSION: &str = "4.0.13";
