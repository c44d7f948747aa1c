//! The wire format: what the API sends and receives.
//!
//! **API Boundary:** these types, and only these, are serialized. Domain and
//! storage types carry no `Serialize`, so renaming a field inside HERMES
//! cannot silently change the public API, and nothing (a password hash, a
//! key hash) leaks into a response by being added to a struct.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role within a firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    Attorney,
    Staff,
    ReadOnly,
}

impl From<hermes_core::Role> for Role {
    fn from(r: hermes_core::Role) -> Self {
        match r {
            hermes_core::Role::Admin => Role::Admin,
            hermes_core::Role::Attorney => Role::Attorney,
            hermes_core::Role::Staff => Role::Staff,
            hermes_core::Role::ReadOnly => Role::ReadOnly,
        }
    }
}

impl From<Role> for hermes_core::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => hermes_core::Role::Admin,
            Role::Attorney => hermes_core::Role::Attorney,
            Role::Staff => hermes_core::Role::Staff,
            Role::ReadOnly => hermes_core::Role::ReadOnly,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tenant {
    pub id: String,
    #[schema(example = "demo")]
    pub slug: String,
    #[schema(example = "Demo Law Group")]
    pub name: String,
    #[schema(example = "America/Chicago")]
    pub time_zone: String,
}

impl From<&hermes_store::Tenant> for Tenant {
    fn from(t: &hermes_store::Tenant) -> Self {
        Self {
            id: t.id.to_string(),
            slug: t.slug.to_string(),
            name: t.name.as_ref().to_owned(),
            time_zone: t.time_zone.name().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    #[schema(example = "ana.lopez@example.com")]
    pub email: String,
    #[schema(example = "Ana Lopez")]
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&hermes_store::User> for User {
    fn from(u: &hermes_store::User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.to_string(),
            name: u.display_name.as_ref().to_owned(),
            role: u.role.into(),
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, to tell keys apart.
    #[schema(example = "hk_…Xk3f9a")]
    pub prefix: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&hermes_store::ApiKey> for ApiKey {
    fn from(k: &hermes_store::ApiKey) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name.clone(),
            role: k.role.into(),
            prefix: k.prefix.clone(),
            created_by: k.created_by.map(|u| u.to_string()),
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// `user`, `api_key`, `system` or `anonymous`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTarget {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the tenant's chain, from 1.
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    #[schema(example = "auth.login")]
    pub action: String,
    pub target: Option<AuditTarget>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&hermes_store::AuditEntry> for AuditEntry {
    fn from(e: &hermes_store::AuditEntry) -> Self {
        Self {
            seq: e.seq,
            at: e.at,
            actor: AuditActor {
                kind: e.actor.kind().to_owned(),
                id: e.actor.id(),
            },
            action: e.action.clone(),
            target: e.target_type.as_ref().map(|t| AuditTarget {
                kind: t.clone(),
                id: e.target_id.clone(),
            }),
            outcome: e.outcome.as_str().to_owned(),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            details: e.details.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}
