//! The SQL, written once and compiled for both backends.
//!
//! SQLite and PostgreSQL differ in column types, not in the statements this
//! crate needs: both take `$n` parameters, `RETURNING`, `ON CONFLICT`, and
//! sqlx encodes `Uuid`, `DateTime<Utc>` and `bool` natively on each. So the
//! [`impl_backend!`] macro below holds every statement, and each backend
//! module supplies only its transactions (`global_read_tx`,
//! `global_write_tx`, `bind_tenant`) and its pool chores. A statement that
//! one day needs a dialect of its own moves to a method of that name on both
//! backend types.
//!
//! Times: on SQLite sqlx stores `DateTime<Utc>` as RFC 3339 text with 0, 3
//! or 6 fractional digits and a `+00:00` suffix. Such strings sort in time
//! order (`+` sorts before every digit and `.`), which the range filters
//! below rely on; the conformance suite checks it.

use chrono::{DateTime, Utc};
use hermes_core::{
    ApiKeyId, DisplayName, Email, Role, TenantId, TenantName, TenantSlug, TimeZone, UserId,
};
use uuid::Uuid;

use crate::StoreError;
use crate::model::{Actor, ApiKey, AuditEntry, Tenant, User};

fn corrupt(table: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        reason: reason.to_string(),
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    id: Uuid,
    slug: String,
    name: String,
    time_zone: String,
    plan: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;

    fn try_from(r: TenantRow) -> Result<Self, StoreError> {
        Ok(Tenant {
            id: TenantId::from_uuid(r.id),
            slug: TenantSlug::parse(&r.slug).map_err(|e| corrupt("tenants", e))?,
            name: TenantName::parse(&r.name).map_err(|e| corrupt("tenants", e))?,
            time_zone: TimeZone::parse(&r.time_zone).map_err(|e| corrupt("tenants", e))?,
            plan: r.plan.parse().map_err(|e| corrupt("tenants", e))?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    tenant_id: Uuid,
    id: Uuid,
    email: String,
    display_name: String,
    role: String,
    active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: UserId::from_uuid(r.id),
            tenant_id: TenantId::from_uuid(r.tenant_id),
            email: Email::parse(&r.email).map_err(|e| corrupt("users", e))?,
            display_name: DisplayName::parse(&r.display_name).map_err(|e| corrupt("users", e))?,
            role: r.role.parse::<Role>().map_err(|e| corrupt("users", e))?,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeyRow {
    tenant_id: Uuid,
    id: Uuid,
    name: String,
    role: String,
    key_prefix: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(ApiKey {
            id: ApiKeyId::from_uuid(r.id),
            tenant_id: TenantId::from_uuid(r.tenant_id),
            name: r.name,
            role: r.role.parse::<Role>().map_err(|e| corrupt("api_keys", e))?,
            prefix: r.key_prefix,
            created_by: r.created_by.map(UserId::from_uuid),
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    seq: i64,
    at: DateTime<Utc>,
    actor_type: String,
    actor_id: Option<String>,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    outcome: String,
    ip: Option<String>,
    user_agent: Option<String>,
    details: String,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    /// The entry and the details text exactly as stored (which is what
    /// its hash covers).
    pub(crate) fn into_entry(self) -> Result<(AuditEntry, String), StoreError> {
        let actor = Actor::from_parts(&self.actor_type, self.actor_id.as_deref())
            .ok_or_else(|| corrupt("audit_log", format!("bad actor at seq {}", self.seq)))?;
        let outcome = self
            .outcome
            .parse()
            .map_err(|e| corrupt("audit_log", format!("seq {}: {e}", self.seq)))?;
        // A row whose details are no longer JSON was tampered with; keep it
        // listable (as a string) so verification can report it.
        let details = serde_json::from_str(&self.details)
            .unwrap_or_else(|_| serde_json::Value::String(self.details.clone()));
        Ok((
            AuditEntry {
                seq: self.seq,
                at: self.at,
                actor,
                action: self.action,
                target_type: self.target_type,
                target_id: self.target_id,
                outcome,
                ip: self.ip,
                user_agent: self.user_agent,
                details,
                prev_hash: self.prev_hash,
                hash: self.hash,
            },
            self.details,
        ))
    }
}

pub(crate) fn unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `SELECT <the columns of a row type> FROM <its table> <rest>` as one
/// `&'static str` (sqlx takes static SQL), so each row type's column list
/// is written once, next to nothing else.
macro_rules! select {
    (tenant, $rest:literal) => {
        concat!(
            "SELECT id, slug, name, time_zone, plan, created_at FROM tenants ",
            $rest
        )
    };
    (user, $rest:literal) => {
        concat!(
            "SELECT tenant_id, id, email, display_name, role, active, created_at, updated_at ",
            "FROM users ",
            $rest
        )
    };
    (user_with_hash, $rest:literal) => {
        concat!(
            "SELECT tenant_id, id, email, display_name, role, active, created_at, updated_at, ",
            "password_hash FROM users ",
            $rest
        )
    };
    (api_key, $rest:literal) => {
        concat!(
            "SELECT tenant_id, id, name, role, key_prefix, created_by, created_at, revoked_at ",
            "FROM api_keys ",
            $rest
        )
    };
    (audit, $rest:literal) => {
        concat!(
            "SELECT seq, at, actor_type, actor_id, action, target_type, target_id, outcome, ",
            "ip, user_agent, details, prev_hash, hash FROM audit_log ",
            $rest
        )
    };
}

pub(crate) use select;

/// Implements [`crate::Store`] for `$store` and [`crate::TenantStore`] for
/// `$scoped` (a struct with fields `store: $store` and `tenant: TenantId`)
/// over the sqlx database `$db`. See the module docs.
macro_rules! impl_backend {
    (store = $store:ty, scoped = $scoped:ident, db = $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use hermes_core::{ApiKeyId, Email, RefreshFamilyId, Role, TenantId, TenantSlug, UserId};
            use sqlx::Transaction;
            use uuid::Uuid;

            use $crate::audit::{self, AuditEvent, ChainReport};
            use $crate::model::*;
            use $crate::sql::{select, unique_violation, ApiKeyRow, AuditRow, TenantRow, UserRow};
            use $crate::{Backend, PoolStats, Result, Store, StoreError, TenantStore};

            type Tx = Transaction<'static, $db>;

            const SELECT_USER_BY_ID: &str = select!(user, "WHERE tenant_id = $1 AND id = $2");

            impl $scoped {
                async fn read_tx(&self) -> Result<Tx> {
                    let mut tx = self.store.global_read_tx().await?;
                    <$store>::bind_tenant(&mut tx, self.tenant).await?;
                    Ok(tx)
                }

                /// Every write transaction of a tenant first locks its
                /// tenant row (a no-op update). Writes of one firm are thus
                /// serialized, which keeps the audit chain linear and makes
                /// check-then-write rules such as "keep one admin" safe
                /// under concurrency. A firm's write rate is far below what
                /// this costs.
                async fn write_tx(&self) -> Result<Tx> {
                    let mut tx = self.store.global_write_tx().await?;
                    <$store>::bind_tenant(&mut tx, self.tenant).await?;
                    let locked = sqlx::query("UPDATE tenants SET audit_seq = audit_seq WHERE id = $1")
                        .bind(self.tenant.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                    if locked.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(tx)
                }

                async fn audit_in(&self, tx: &mut Tx, ev: AuditEvent) -> Result<AuditEntry> {
                    let (seq, prev): (i64, String) = sqlx::query_as(
                        "UPDATE tenants SET audit_seq = audit_seq + 1 WHERE id = $1 \
                         RETURNING audit_seq, audit_head",
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_one(&mut **tx)
                    .await?;
                    let at = now();
                    let details = ev.details.to_string();
                    let hash = audit::entry_hash(
                        &self.tenant,
                        &prev,
                        seq,
                        at,
                        &ev.actor,
                        ev.action,
                        ev.target_type,
                        ev.target_id.as_deref(),
                        ev.outcome,
                        ev.ip.as_deref(),
                        ev.user_agent.as_deref(),
                        &details,
                    );
                    sqlx::query(
                        "INSERT INTO audit_log (tenant_id, seq, at, actor_type, actor_id, action, \
                         target_type, target_id, outcome, ip, user_agent, details, prev_hash, hash) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(seq)
                    .bind(at)
                    .bind(ev.actor.kind())
                    .bind(ev.actor.id())
                    .bind(ev.action)
                    .bind(ev.target_type)
                    .bind(ev.target_id.clone())
                    .bind(ev.outcome.as_str())
                    .bind(ev.ip.clone())
                    .bind(ev.user_agent.clone())
                    .bind(details.clone())
                    .bind(prev.clone())
                    .bind(hash.clone())
                    .execute(&mut **tx)
                    .await?;
                    sqlx::query("UPDATE tenants SET audit_head = $2 WHERE id = $1")
                        .bind(self.tenant.as_uuid())
                        .bind(hash.clone())
                        .execute(&mut **tx)
                        .await?;
                    Ok(AuditEntry {
                        seq,
                        at,
                        actor: ev.actor,
                        action: ev.action.to_owned(),
                        target_type: ev.target_type.map(str::to_owned),
                        target_id: ev.target_id,
                        outcome: ev.outcome,
                        ip: ev.ip,
                        user_agent: ev.user_agent,
                        details: ev.details,
                        prev_hash: prev,
                        hash,
                    })
                }

                async fn user_in(&self, tx: &mut Tx, id: UserId) -> Result<Option<User>> {
                    let row: Option<UserRow> = sqlx::query_as(SELECT_USER_BY_ID)
                        .bind(self.tenant.as_uuid())
                        .bind(id.as_uuid())
                        .fetch_optional(&mut **tx)
                        .await?;
                    row.map(User::try_from).transpose()
                }

                /// Refuses a change that would leave no active admin.
                async fn ensure_other_admin(&self, tx: &mut Tx, except: UserId) -> Result<()> {
                    let others: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'ADMIN' \
                         AND active = TRUE AND id <> $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(except.as_uuid())
                    .fetch_one(&mut **tx)
                    .await?;
                    if others == 0 {
                        return Err(StoreError::LastAdmin);
                    }
                    Ok(())
                }

                /// Ends every live session of `user`; returns them.
                async fn revoke_families_of(&self, tx: &mut Tx, user: UserId) -> Result<Vec<RefreshFamilyId>> {
                    let ids: Vec<Uuid> = sqlx::query_scalar(
                        "UPDATE refresh_families SET revoked_at = $3 \
                         WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(user.as_uuid())
                    .bind(now())
                    .fetch_all(&mut **tx)
                    .await?;
                    Ok(ids.into_iter().map(RefreshFamilyId::from_uuid).collect())
                }

                /// Revokes the live API keys `user` created whose role is
                /// above `cap` (all of them when `cap` is `None`): a key must
                /// not outlive its creator's standing. Each revocation is
                /// audited as done by whoever changed the user.
                async fn revoke_keys_created_by(
                    &self,
                    tx: &mut Tx,
                    user: UserId,
                    cap: Option<Role>,
                    by: &AuditEvent,
                ) -> Result<()> {
                    let keys: Vec<ApiKeyRow> = sqlx::query_as(select!(
                        api_key,
                        "WHERE tenant_id = $1 AND created_by = $2 AND revoked_at IS NULL"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(user.as_uuid())
                    .fetch_all(&mut **tx)
                    .await?;
                    for key in keys {
                        let key = ApiKey::try_from(key)?;
                        if cap.is_some_and(|c| key.role.rank() <= c.rank()) {
                            continue;
                        }
                        sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2")
                            .bind(self.tenant.as_uuid())
                            .bind(key.id.as_uuid())
                            .bind(now())
                            .execute(&mut **tx)
                            .await?;
                        let mut ev = AuditEvent::new(by.actor, "api_key.revoke")
                            .client(by.ip.clone(), by.user_agent.clone())
                            .details(serde_json::json!({
                                "reason": "its creator was deactivated, demoted or deleted",
                                "creator": user.to_string(),
                            }));
                        ev = ev.target("api_key", key.id);
                        self.audit_in(tx, ev).await?;
                    }
                    Ok(())
                }

                async fn insert_refresh_token(
                    &self,
                    tx: &mut Tx,
                    family: RefreshFamilyId,
                    token: &NewRefreshToken,
                ) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO refresh_tokens (tenant_id, token_hash, family_id, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(token.hash.clone())
                    .bind(family.as_uuid())
                    .bind(now())
                    .bind(token.expires_at)
                    .execute(&mut **tx)
                    .await?;
                    Ok(())
                }
            }

            #[async_trait]
            impl Store for $store {
                fn backend(&self) -> Backend {
                    <$store>::BACKEND
                }

                async fn migrate(&self) -> Result<()> {
                    self.migrate_impl().await
                }

                async fn ping(&self) -> Result<()> {
                    self.ping_impl().await
                }

                fn pool_stats(&self) -> PoolStats {
                    self.pool_stats_impl()
                }

                async fn close(&self) {
                    self.close_impl().await
                }

                async fn create_tenant(&self, new: &NewTenant, admin: &NewUser) -> Result<(Tenant, User)> {
                    let id = TenantId::new();
                    let created_at = now();
                    let mut tx = self.global_write_tx().await?;
                    let inserted = sqlx::query(
                        "INSERT INTO tenants (id, slug, name, time_zone, plan, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id.as_uuid())
                    .bind(new.slug.as_ref())
                    .bind(new.name.as_ref())
                    .bind(new.time_zone.name())
                    .bind(new.plan.as_str())
                    .bind(created_at)
                    .execute(&mut *tx)
                    .await;
                    match inserted {
                        Err(e) if unique_violation(&e) => return Err(StoreError::Conflict("slug")),
                        other => {
                            other?;
                        }
                    }
                    <$store>::bind_tenant(&mut tx, id).await?;
                    let scoped = self.scoped_handle(id);
                    let user_id = UserId::new();
                    sqlx::query(
                        "INSERT INTO users (tenant_id, id, email, display_name, role, password_hash, active, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7)",
                    )
                    .bind(id.as_uuid())
                    .bind(user_id.as_uuid())
                    .bind(admin.email.as_ref())
                    .bind(admin.display_name.as_ref())
                    .bind(admin.role.as_str())
                    .bind(admin.password_hash.clone())
                    .bind(created_at)
                    .execute(&mut *tx)
                    .await?;
                    let ev = AuditEvent::new(Actor::System, "tenant.create")
                        .target("tenant", id)
                        .details(serde_json::json!({
                            "slug": new.slug.as_ref(),
                            "admin_user_id": user_id.to_string(),
                        }));
                    scoped.audit_in(&mut tx, ev).await?;
                    let user = scoped
                        .user_in(&mut tx, user_id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    let tenant = Tenant {
                        id,
                        slug: new.slug.clone(),
                        name: new.name.clone(),
                        time_zone: new.time_zone,
                        plan: new.plan,
                        created_at,
                    };
                    Ok((tenant, user))
                }

                async fn tenant_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>> {
                    let mut tx = self.global_read_tx().await?;
                    let row: Option<TenantRow> = sqlx::query_as(
                        select!(tenant, "WHERE slug = $1"),
                    )
                    .bind(slug.as_ref())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    row.map(Tenant::try_from).transpose()
                }

                async fn tenant_by_id(&self, id: TenantId) -> Result<Option<Tenant>> {
                    let mut tx = self.global_read_tx().await?;
                    let row: Option<TenantRow> = sqlx::query_as(
                        select!(tenant, "WHERE id = $1"),
                    )
                    .bind(id.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    row.map(Tenant::try_from).transpose()
                }

                async fn list_tenants(&self) -> Result<Vec<Tenant>> {
                    let mut tx = self.global_read_tx().await?;
                    let rows: Vec<TenantRow> = sqlx::query_as(
                        select!(tenant, "ORDER BY slug"),
                    )
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(Tenant::try_from).collect()
                }

                fn scoped(&self, tenant: TenantId) -> Box<dyn TenantStore> {
                    Box::new(self.scoped_handle(tenant))
                }
            }

            #[async_trait]
            impl TenantStore for $scoped {
                fn tenant_id(&self) -> TenantId {
                    self.tenant
                }

                async fn update_tenant(&self, patch: &TenantPatch, audit: AuditEvent) -> Result<Tenant> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "UPDATE tenants SET name = COALESCE($2, name), time_zone = COALESCE($3, time_zone), \
                         plan = COALESCE($4, plan) WHERE id = $1",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(patch.name.as_ref().map(|n| n.as_ref().to_owned()))
                    .bind(patch.time_zone.map(|z| z.name()))
                    .bind(patch.plan.map(|p| p.as_str()))
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("tenant", self.tenant)).await?;
                    let row: TenantRow = sqlx::query_as(
                        select!(tenant, "WHERE id = $1"),
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Tenant::try_from(row)
                }

                async fn create_user(&self, new: &NewUser, audit: AuditEvent) -> Result<User> {
                    let mut tx = self.write_tx().await?;
                    let id = UserId::new();
                    let inserted = sqlx::query(
                        "INSERT INTO users (tenant_id, id, email, display_name, role, password_hash, active, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id.as_uuid())
                    .bind(new.email.as_ref())
                    .bind(new.display_name.as_ref())
                    .bind(new.role.as_str())
                    .bind(new.password_hash.clone())
                    .bind(now())
                    .execute(&mut *tx)
                    .await;
                    match inserted {
                        Err(e) if unique_violation(&e) => return Err(StoreError::Conflict("email")),
                        other => {
                            other?;
                        }
                    }
                    self.audit_in(&mut tx, audit.target("user", id)).await?;
                    let user = self.user_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(user)
                }

                async fn user(&self, id: UserId) -> Result<Option<User>> {
                    let mut tx = self.read_tx().await?;
                    let user = self.user_in(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(user)
                }

                async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>> {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        #[sqlx(flatten)]
                        user: UserRow,
                        password_hash: String,
                    }
                    let mut tx = self.read_tx().await?;
                    let row: Option<Row> = sqlx::query_as(
                        select!(user_with_hash, "WHERE tenant_id = $1 AND email = $2"),
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(email.as_ref())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    row.map(|r| Ok((User::try_from(r.user)?, r.password_hash))).transpose()
                }

                async fn list_users(&self) -> Result<Vec<User>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<UserRow> = sqlx::query_as(
                        select!(user, "WHERE tenant_id = $1 ORDER BY email"),
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(User::try_from).collect()
                }

                async fn update_user(
                    &self,
                    id: UserId,
                    patch: &UserPatch,
                    audit: AuditEvent,
                ) -> Result<(User, Vec<RefreshFamilyId>)> {
                    let mut tx = self.write_tx().await?;
                    let current = self.user_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    let role = patch.role.unwrap_or(current.role);
                    let active = patch.active.unwrap_or(current.active);
                    let was_admin = current.active && current.role == Role::Admin;
                    if was_admin && !(active && role == Role::Admin) {
                        self.ensure_other_admin(&mut tx, id).await?;
                    }
                    let display_name = patch
                        .display_name
                        .as_ref()
                        .unwrap_or(&current.display_name)
                        .as_ref()
                        .to_owned();
                    sqlx::query(
                        "UPDATE users SET display_name = $3, role = $4, active = $5, \
                         password_hash = COALESCE($6, password_hash), updated_at = $7 \
                         WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id.as_uuid())
                    .bind(display_name)
                    .bind(role.as_str())
                    .bind(active)
                    .bind(patch.password_hash.clone())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    // Sessions live on only while the user's standing is
                    // what it was when they signed in.
                    let deactivated = current.active && !active;
                    // (A role change needs no new sign-in: every request is
                    // authorised with the user's current role.)
                    let ended = if deactivated || patch.password_hash.is_some() {
                        self.revoke_families_of(&mut tx, id).await?
                    } else {
                        Vec::new()
                    };
                    if deactivated {
                        self.revoke_keys_created_by(&mut tx, id, None, &audit).await?;
                    } else if role.rank() < current.role.rank() {
                        self.revoke_keys_created_by(&mut tx, id, Some(role), &audit).await?;
                    }
                    self.audit_in(&mut tx, audit.target("user", id)).await?;
                    let user = self.user_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok((user, ended))
                }

                async fn delete_user(&self, id: UserId, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    let current = self.user_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    if current.active && current.role == Role::Admin {
                        self.ensure_other_admin(&mut tx, id).await?;
                    }
                    self.revoke_keys_created_by(&mut tx, id, None, &audit).await?;
                    sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
                        .bind(self.tenant.as_uuid())
                        .bind(id.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                    self.audit_in(&mut tx, audit.target("user", id)).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn start_session(
                    &self,
                    user: UserId,
                    token: &NewRefreshToken,
                    audit: AuditEvent,
                ) -> Result<RefreshFamilyId> {
                    let mut tx = self.write_tx().await?;
                    let family = RefreshFamilyId::new();
                    sqlx::query(
                        "INSERT INTO refresh_families (tenant_id, id, user_id, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(family.as_uuid())
                    .bind(user.as_uuid())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    self.insert_refresh_token(&mut tx, family, token).await?;
                    self.audit_in(&mut tx, audit.target("session", family)).await?;
                    tx.commit().await?;
                    Ok(family)
                }

                async fn rotate_refresh_token(
                    &self,
                    presented: &str,
                    next: &NewRefreshToken,
                    at: DateTime<Utc>,
                    audit: AuditEvent,
                ) -> Result<RotateOutcome> {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        family_id: Uuid,
                        user_id: Uuid,
                        expires_at: DateTime<Utc>,
                        used_at: Option<DateTime<Utc>>,
                        revoked_at: Option<DateTime<Utc>>,
                    }
                    // Look before locking: a flood of made-up tokens must not
                    // queue up behind the tenant's write lock.
                    let mut rtx = self.read_tx().await?;
                    let known: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(presented)
                    .fetch_one(&mut *rtx)
                    .await?;
                    rtx.commit().await?;
                    if known == 0 {
                        return Ok(RotateOutcome::Invalid);
                    }
                    let mut tx = self.write_tx().await?;
                    let row: Option<Row> = sqlx::query_as(
                        "SELECT t.family_id, f.user_id, t.expires_at, t.used_at, f.revoked_at \
                         FROM refresh_tokens t JOIN refresh_families f \
                           ON f.tenant_id = t.tenant_id AND f.id = t.family_id \
                         WHERE t.tenant_id = $1 AND t.token_hash = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(presented)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(row) = row else {
                        return Ok(RotateOutcome::Invalid);
                    };
                    let family = RefreshFamilyId::from_uuid(row.family_id);
                    let user_id = UserId::from_uuid(row.user_id);
                    if row.used_at.is_some() {
                        // Replay of a spent token: whoever holds the family's
                        // live token may be a thief, or the victim. End it.
                        sqlx::query(
                            "UPDATE refresh_families SET revoked_at = $3 \
                             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
                        )
                        .bind(self.tenant.as_uuid())
                        .bind(family.as_uuid())
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        // Whoever presented it is unknown (thief or victim):
                        // anonymous actor, the session as target.
                        let mut ev = audit.details(serde_json::json!({"user": user_id.to_string()}));
                        ev.action = "auth.refresh_reuse";
                        ev.actor = Actor::Anonymous;
                        ev.outcome = Outcome::Denied;
                        self.audit_in(&mut tx, ev.target("session", family)).await?;
                        tx.commit().await?;
                        return Ok(RotateOutcome::Reused { user: user_id, family });
                    }
                    if row.revoked_at.is_some() || row.expires_at <= at {
                        return Ok(RotateOutcome::Invalid);
                    }
                    let Some(user) = self.user_in(&mut tx, user_id).await? else {
                        return Ok(RotateOutcome::Invalid);
                    };
                    if !user.active {
                        return Ok(RotateOutcome::Invalid);
                    }
                    sqlx::query(
                        "UPDATE refresh_tokens SET used_at = $3 WHERE tenant_id = $1 AND token_hash = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(presented)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    self.insert_refresh_token(&mut tx, family, next).await?;
                    let mut ev = audit;
                    ev.action = "auth.refresh";
                    ev.actor = Actor::User(user_id);
                    self.audit_in(&mut tx, ev.target("session", family)).await?;
                    tx.commit().await?;
                    Ok(RotateOutcome::Rotated { user, family })
                }

                async fn end_session(
                    &self,
                    family: Option<RefreshFamilyId>,
                    jti: &str,
                    jti_expires_at: DateTime<Utc>,
                    audit: AuditEvent,
                ) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    if let Some(family) = family {
                        sqlx::query(
                            "UPDATE refresh_families SET revoked_at = $3 \
                             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
                        )
                        .bind(self.tenant.as_uuid())
                        .bind(family.as_uuid())
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                    }
                    sqlx::query(
                        "INSERT INTO revoked_tokens (tenant_id, jti, expires_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (jti) DO NOTHING",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(jti)
                    .bind(jti_expires_at)
                    .execute(&mut *tx)
                    .await?;
                    // Housekeeping: a revocation is pointless once the token
                    // has expired anyway.
                    sqlx::query("DELETE FROM revoked_tokens WHERE tenant_id = $1 AND expires_at < $2")
                        .bind(self.tenant.as_uuid())
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                    let ev = match family {
                        Some(f) => audit.target("session", f),
                        None => audit,
                    };
                    self.audit_in(&mut tx, ev).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn is_access_token_revoked(
                    &self,
                    jti: &str,
                    session: Option<RefreshFamilyId>,
                ) -> Result<bool> {
                    let mut tx = self.read_tx().await?;
                    let jtis: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM revoked_tokens WHERE tenant_id = $1 AND jti = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(jti)
                    .fetch_one(&mut *tx)
                    .await?;
                    let sessions: i64 = match session {
                        Some(family) => {
                            sqlx::query_scalar(
                                "SELECT COUNT(*) FROM refresh_families \
                                 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NOT NULL",
                            )
                            .bind(self.tenant.as_uuid())
                            .bind(family.as_uuid())
                            .fetch_one(&mut *tx)
                            .await?
                        }
                        None => 0,
                    };
                    tx.commit().await?;
                    Ok(jtis + sessions > 0)
                }

                async fn active_revocations(&self, at: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>)>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT jti, expires_at FROM revoked_tokens WHERE tenant_id = $1 AND expires_at > $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(at)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(rows)
                }

                async fn recently_ended_sessions(
                    &self,
                    since: DateTime<Utc>,
                ) -> Result<Vec<(RefreshFamilyId, DateTime<Utc>)>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<(Uuid, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT id, revoked_at FROM refresh_families \
                         WHERE tenant_id = $1 AND revoked_at IS NOT NULL AND revoked_at > $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(since)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(rows
                        .into_iter()
                        .map(|(id, at)| (RefreshFamilyId::from_uuid(id), at))
                        .collect())
                }

                async fn create_api_key(&self, key: &NewApiKey, audit: AuditEvent) -> Result<ApiKey> {
                    let mut tx = self.write_tx().await?;
                    let id = ApiKeyId::new();
                    sqlx::query(
                        "INSERT INTO api_keys (tenant_id, id, name, role, key_hash, key_prefix, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id.as_uuid())
                    .bind(key.name.clone())
                    .bind(key.role.as_str())
                    .bind(key.hash.clone())
                    .bind(key.prefix.clone())
                    .bind(key.created_by.map(|u| *u.as_uuid()))
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("api_key", id)).await?;
                    let row: ApiKeyRow = sqlx::query_as(
                        select!(api_key, "WHERE tenant_id = $1 AND id = $2"),
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id.as_uuid())
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    ApiKey::try_from(row)
                }

                async fn api_key(&self, id: ApiKeyId) -> Result<Option<ApiKey>> {
                    let mut tx = self.read_tx().await?;
                    let row: Option<ApiKeyRow> = sqlx::query_as(
                        select!(api_key, "WHERE tenant_id = $1 AND id = $2"),
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    row.map(ApiKey::try_from).transpose()
                }

                async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>> {
                    let mut tx = self.read_tx().await?;
                    let row: Option<ApiKeyRow> = sqlx::query_as(
                        select!(api_key, "WHERE tenant_id = $1 AND key_hash = $2"),
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    row.map(ApiKey::try_from).transpose()
                }

                async fn list_api_keys(&self) -> Result<Vec<ApiKey>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<ApiKeyRow> = sqlx::query_as(
                        select!(api_key, "WHERE tenant_id = $1 ORDER BY created_at"),
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(ApiKey::try_from).collect()
                }

                async fn revoke_api_key(&self, id: ApiKeyId, audit: AuditEvent) -> Result<ApiKey> {
                    let mut tx = self.write_tx().await?;
                    let updated = sqlx::query(
                        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id.as_uuid())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    if updated.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(&mut tx, audit.target("api_key", id)).await?;
                    let row: ApiKeyRow = sqlx::query_as(
                        select!(api_key, "WHERE tenant_id = $1 AND id = $2"),
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id.as_uuid())
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    ApiKey::try_from(row)
                }

                async fn append_audit(&self, audit: AuditEvent) -> Result<AuditEntry> {
                    let mut tx = self.write_tx().await?;
                    let entry = self.audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(entry)
                }

                async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<AuditRow> = sqlx::query_as(
                        select!(audit, "WHERE tenant_id = $1 \
                           AND ($2 IS NULL OR action = $2) \
                           AND ($3 IS NULL OR actor_id = $3) \
                           AND ($4 IS NULL OR outcome = $4) \
                           AND ($5 IS NULL OR at >= $5) \
                           AND ($6 IS NULL OR at < $6) \
                           AND ($7 IS NULL OR seq < $7) \
                         ORDER BY seq DESC LIMIT $8"),
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(filter.action.clone())
                    .bind(filter.actor_id.clone())
                    .bind(filter.outcome.map(|o| o.as_str()))
                    .bind(filter.since)
                    .bind(filter.until)
                    .bind(filter.before_seq)
                    .bind(i64::from(filter.limit))
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(|r| r.into_entry().map(|(e, _)| e)).collect()
                }

                async fn verify_audit_chain(&self) -> Result<ChainReport> {
                    let mut tx = self.read_tx().await?;
                    let (head_seq, head_hash): (i64, String) =
                        sqlx::query_as("SELECT audit_seq, audit_head FROM tenants WHERE id = $1")
                            .bind(self.tenant.as_uuid())
                            .fetch_optional(&mut *tx)
                            .await?
                            .ok_or(StoreError::NotFound)?;
                    let rows: Vec<AuditRow> = sqlx::query_as(
                        select!(audit, "WHERE tenant_id = $1 AND seq <= $2 ORDER BY seq"),
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(head_seq)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    let entries = rows
                        .into_iter()
                        .map(AuditRow::into_entry)
                        .collect::<Result<Vec<_>>>()?;
                    Ok(audit::verify(&self.tenant, &entries, head_seq, &head_hash))
                }
            }
        };
    };
}

pub(crate) use impl_backend;
