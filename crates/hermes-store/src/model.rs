//! Rows as domain types, and what callers hand in to create or change them.
//!
//! These are storage-level types: the HTTP layer keeps its own serializable
//! copies (DTOs) so the wire format can evolve separately.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use hermes_core::{
    ApiKeyId, DisplayName, Email, Plan, RefreshFamilyId, Role, TenantId, TenantName, TenantSlug,
    TimeZone, UserId,
};

/// The current time at the precision both backends store (microseconds),
/// so a value written and read back compares equal and hashes the same.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: TenantName,
    pub time_zone: TimeZone,
    pub plan: Plan,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: TenantSlug,
    pub name: TenantName,
    pub time_zone: TimeZone,
    pub plan: Plan,
}

/// A change to a tenant's profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    pub name: Option<TenantName>,
    pub time_zone: Option<TimeZone>,
    /// Changed by the operator (`hermes tenant plan`), never by the firm.
    pub plan: Option<Plan>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    /// An argon2id PHC string; the store never sees a password.
    pub password_hash: String,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<DisplayName>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

impl UserPatch {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.role.is_none()
            && self.active.is_none()
            && self.password_hash.is_none()
    }
}

/// A refresh token as stored: only its hash.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub hash: String,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq)]
pub enum RotateOutcome {
    /// The token was live; it is now spent and `next` is the live one.
    Rotated { user: User, family: RefreshFamilyId },
    /// The token had been spent before: someone replayed it. The family is
    /// now revoked.
    Reused {
        user: UserId,
        family: RefreshFamilyId,
    },
    /// Unknown, expired, of a revoked family or of an inactive user.
    Invalid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, shown so people can tell keys apart.
    pub prefix: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub role: Role,
    pub hash: String,
    pub prefix: String,
    pub created_by: Option<UserId>,
}

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    ApiKey(ApiKeyId),
    /// The `hermes` CLI or the server itself (seeding, background jobs).
    System,
    /// Someone not yet signed in (a failed login).
    Anonymous,
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::User(_) => "user",
            Actor::ApiKey(_) => "api_key",
            Actor::System => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    pub fn id(&self) -> Option<String> {
        match self {
            Actor::User(id) => Some(id.to_string()),
            Actor::ApiKey(id) => Some(id.to_string()),
            Actor::System | Actor::Anonymous => None,
        }
    }

    pub(crate) fn from_parts(kind: &str, id: Option<&str>) -> Option<Self> {
        match (kind, id) {
            ("user", Some(id)) => id.parse().ok().map(Actor::User),
            ("api_key", Some(id)) => id.parse().ok().map(Actor::ApiKey),
            ("system", None) => Some(Actor::System),
            ("anonymous", None) => Some(Actor::Anonymous),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = hermes_core::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "success" => Ok(Outcome::Success),
            "failure" => Ok(Outcome::Failure),
            "denied" => Ok(Outcome::Denied),
            _ => Err(hermes_core::ParseError::new(
                "outcome",
                "must be success, failure or denied",
            )),
        }
    }
}

/// One row of a tenant's audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Outcome,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Which audit entries to list. Pages go backwards from `before_seq`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub outcome: Option<Outcome>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before_seq: Option<i64>,
    pub limit: u32,
}
