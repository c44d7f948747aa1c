//! PostgreSQL: for several nodes, or a firm that wants its usual database.
//!
//! Tenant isolation is enforced twice here. The tenant-scoped handle writes
//! `tenant_id = $1` into every statement, and every transaction it opens
//! first binds the tenant with `SELECT set_config('hermes.tenant_id', $1,
//! true)`, which the row-level-security policies of every tenant table
//! compare against (see the migration). The setting is transaction-local,
//! so a pooled connection never carries one tenant's scope into another
//! request.

use hermes_core::TenantId;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::{Backend, ConnectOptions, PoolStats, Result};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    max: u32,
}

impl PgStore {
    pub async fn connect(opts: &ConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(opts.acquire_timeout)
            .connect(&opts.url)
            .await?;
        let bypasses: Option<bool> = sqlx::query_scalar(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_optional(&pool)
        .await?;
        if bypasses == Some(true) {
            tracing::warn!(
                "connected to PostgreSQL as a superuser or BYPASSRLS role: row-level security \
                 does not apply to it. Run HERMES as an ordinary role (see DEPLOYMENT.md)"
            );
        }
        Ok(Self {
            pool,
            max: opts.max_connections,
        })
    }

    pub(crate) async fn migrate_impl(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub(crate) async fn ping_impl(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(crate) fn pool_stats_impl(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.max,
        }
    }

    pub(crate) async fn close_impl(&self) {
        self.pool.close().await;
    }

    pub(crate) const BACKEND: Backend = Backend::Postgres;

    pub(crate) async fn global_read_tx(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    pub(crate) async fn global_write_tx(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    pub(crate) async fn bind_tenant(
        tx: &mut Transaction<'static, Postgres>,
        tenant: TenantId,
    ) -> Result<()> {
        sqlx::query("SELECT set_config('hermes.tenant_id', $1, true)")
            .bind(tenant.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub fn scoped_handle(&self, tenant: TenantId) -> PgTenant {
        PgTenant {
            store: self.clone(),
            tenant,
        }
    }

    /// A transaction with no tenant bound, for tests that prove row-level
    /// security hides every tenant's rows from it.
    pub async fn unscoped_transaction(&self) -> Result<Transaction<'static, Postgres>> {
        self.global_read_tx().await
    }
}

/// A [`PgStore`] bound to one tenant.
#[derive(Clone)]
pub struct PgTenant {
    store: PgStore,
    tenant: TenantId,
}

impl PgTenant {
    /// A transaction bound to this tenant, for tests that issue SQL the
    /// store would never write (such as a query with no tenant filter) and
    /// check that row-level security still confines it.
    pub async fn raw_transaction(&self) -> Result<Transaction<'static, Postgres>> {
        self.read_tx().await
    }
}

crate::sql::impl_backend!(store = PgStore, scoped = PgTenant, db = Postgres);
crate::firm_sql::impl_firm_backend!(scoped = PgTenant, db = Postgres);
crate::intake_sql::impl_intake_backend!(scoped = PgTenant, db = Postgres);
crate::call_sql::impl_call_backend!(scoped = PgTenant, db = Postgres);
crate::clio_sql::impl_clio_backend!(scoped = PgTenant, db = Postgres);
crate::outbox_sql::impl_outbox_backend!(
    store = PgStore,
    scoped = PgTenant,
    db = Postgres,
    lock = "FOR UPDATE SKIP LOCKED"
);
