//! SQLite: the embedded default.
//!
//! One file in WAL mode, so readers never wait for the writer. SQLite allows
//! one writer at a time; instead of letting several pooled connections race
//! for the write lock (and fail with `SQLITE_BUSY` when a read-then-write
//! transaction loses), all writes go through a dedicated one-connection pool
//! and start with `BEGIN IMMEDIATE`. Reads use a separate pool of read-only
//! connections. `busy_timeout` still covers the rare second process (the
//! `hermes` CLI run next to a live server).

use std::str::FromStr;
use std::time::Duration;

use hermes_core::TenantId;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::{Backend, ConnectOptions, PoolStats, Result};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
    max_readers: u32,
}

impl SqliteStore {
    pub async fn connect(opts: &ConnectOptions) -> Result<Self> {
        let base = SqliteConnectOptions::from_str(&opts.url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: durable against a process crash, and a
            // power cut can lose only the last transactions, never corrupt.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));

        let filename = base.get_filename().to_owned();
        let in_memory = opts.url.contains(":memory:") || opts.url.contains("mode=memory");
        if !in_memory {
            if let Some(dir) = filename.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
            }
            create_private(&filename)?;
        }

        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(base.clone())
            .await?;
        // An in-memory database exists once per connection: it cannot be
        // shared between two pools, so it gets the writer for reads too.
        let (read, max_readers) = if in_memory {
            (write.clone(), 1)
        } else {
            let readers = opts.max_connections.max(1);
            let pool = SqlitePoolOptions::new()
                .max_connections(readers)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(base.read_only(true))
                .await?;
            (pool, readers)
        };
        Ok(Self {
            write,
            read,
            max_readers,
        })
    }

    pub(crate) async fn migrate_impl(&self) -> Result<()> {
        MIGRATOR.run(&self.write).await?;
        Ok(())
    }

    pub(crate) async fn ping_impl(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub(crate) fn pool_stats_impl(&self) -> PoolStats {
        PoolStats {
            size: self.read.size() + self.write.size(),
            idle: (self.read.num_idle() + self.write.num_idle()) as u32,
            max: self.max_readers + 1,
        }
    }

    pub(crate) async fn close_impl(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    pub(crate) const BACKEND: Backend = Backend::Sqlite;

    pub(crate) async fn global_read_tx(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.read.begin().await?)
    }

    pub(crate) async fn global_write_tx(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// SQLite has no row-level security: scoping rests on the tenant-scoped
    /// handle alone.
    pub(crate) async fn bind_tenant(
        _tx: &mut Transaction<'static, Sqlite>,
        _tenant: TenantId,
    ) -> Result<()> {
        Ok(())
    }

    pub fn scoped_handle(&self, tenant: TenantId) -> SqliteTenant {
        SqliteTenant {
            store: self.clone(),
            tenant,
        }
    }
}

/// Creates the database file readable by its owner only: it holds password
/// hashes and everything callers tell the firm. SQLite gives the `-wal` and
/// `-shm` files the same permissions as the database.
fn create_private(path: &std::path::Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(sqlx::Error::Io(e).into()),
    }
}

/// A [`SqliteStore`] bound to one tenant.
#[derive(Clone)]
pub struct SqliteTenant {
    store: SqliteStore,
    tenant: TenantId,
}

crate::sql::impl_backend!(store = SqliteStore, scoped = SqliteTenant, db = Sqlite);
crate::firm_sql::impl_firm_backend!(scoped = SqliteTenant, db = Sqlite);
crate::intake_sql::impl_intake_backend!(scoped = SqliteTenant, db = Sqlite);
crate::call_sql::impl_call_backend!(scoped = SqliteTenant, db = Sqlite);
crate::clio_sql::impl_clio_backend!(scoped = SqliteTenant, db = Sqlite);
crate::outbox_sql::impl_outbox_backend!(
    store = SqliteStore,
    scoped = SqliteTenant,
    db = Sqlite,
    lock = ""
);
