//! The vocabulary every other HERMES crate speaks.
//!
//! Raw strings stop at the edge: an HTTP handler or a CLI command parses
//! what it received into one of these newtypes, and from then on the value
//! is known to be valid. Nothing here does I/O or can block, so it is tested
//! exhaustively in place.
//!
//! # Layout
//! - [`ids`]: typed UUIDs (`TenantId`, `UserId`, …) so a user id can never be
//!   passed where a tenant id is expected.
//! - [`tenant`]: a firm's slug, name and IANA time zone.
//! - [`user`]: email addresses, display names and new-password policy.
//! - [`phone`]: phone numbers in one comparable form (E.164).
//! - [`rbac`]: the four roles and the one permission table the API enforces.

pub mod ids;
pub mod phone;
pub mod plan;
pub mod rbac;
pub mod tenant;
pub mod user;

pub use ids::{ApiKeyId, RefreshFamilyId, TenantId, UserId};
pub use phone::E164;
pub use plan::Plan;
pub use rbac::{Permission, Role};
pub use tenant::{TenantName, TenantSlug, TimeZone};
pub use user::{DisplayName, Email, NewPassword};

/// Why a raw value was refused. The message is safe to show to the person
/// who typed the value: it names the field and the rule, never echoes secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ParseError {
    pub field: &'static str,
    pub reason: String,
}

impl ParseError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
