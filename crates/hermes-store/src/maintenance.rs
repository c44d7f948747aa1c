//! Database-level operations for backups and restores: whole-database
//! snapshots, checks and row counts, outside the tenant-scoped API.
//!
//! These are the only functions of the crate that look at a database as a
//! whole (every table, every tenant), which is what a backup must do. They
//! open connections of their own from a URL rather than borrowing a
//! [`crate::Store`]'s pools: `hermes backup` runs next to a live server,
//! a restore runs with no server at all, and on PostgreSQL the dump needs
//! a role that bypasses row-level security, which the application's role
//! must not be (see `postgres.rs`).
//!
//! - SQLite: [`sqlite_snapshot`] writes a consistent copy with `VACUUM
//!   INTO` on a read-only connection (WAL: the server's writer is never
//!   blocked), [`sqlite_check`] runs `PRAGMA integrity_check` and
//!   `foreign_key_check` on a file, [`sqlite_in_use`] tells whether another
//!   process has the database open.
//! - PostgreSQL: [`PgSnapshot`] holds a repeatable-read transaction whose
//!   snapshot `pg_dump --snapshot` dumps, so the row counts taken here are
//!   exactly the dump's; [`pg_inspect`] reports what a restore must know.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteLockingMode};
use sqlx::{ConnectOptions as _, Connection};

use crate::{Backend, Result, StoreError};

/// Rows per table, by table name.
pub type TableCounts = BTreeMap<String, i64>;

/// The newest migration this build knows: a backup made by a newer HERMES
/// cannot be restored by this one.
pub fn latest_schema_version(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &crate::sqlite::MIGRATOR,
        Backend::Postgres => &crate::postgres::MIGRATOR,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

fn sqlite_options(url: &str) -> Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(5)))
}

/// The database file an `sqlite:` URL names.
pub fn sqlite_path(url: &str) -> Result<std::path::PathBuf> {
    Ok(sqlite_options(url)?.get_filename().to_owned())
}

/// Writes a consistent copy of the SQLite database at `url` to `dest`
/// (which must not exist). Safe while the server runs: the copy is made
/// on a read-only connection inside one read transaction.
pub async fn sqlite_snapshot(url: &str, dest: &Path) -> Result<()> {
    let mut conn = sqlite_options(url)?.read_only(true).connect().await?;
    let result = sqlx::query("VACUUM INTO $1")
        .bind(dest.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    result?;
    Ok(())
}

/// What [`sqlite_check`] found in a sound database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteFile {
    /// The newest migration applied to it.
    pub schema_version: i64,
    pub tables: TableCounts,
}

/// Checks that `path` is a sound HERMES database: `PRAGMA integrity_check`
/// says `ok`, no foreign key points nowhere, and it has been migrated.
/// Opened read-only and immutable, so the file is never changed.
pub async fn sqlite_check(path: &Path) -> Result<SqliteFile> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .create_if_missing(false);
    let mut conn = opts.connect().await?;
    let result = sqlite_check_on(&mut conn).await;
    let _ = conn.close().await;
    result
}

async fn sqlite_check_on(conn: &mut SqliteConnection) -> Result<SqliteFile> {
    let corrupt = |reason: String| StoreError::Corrupt {
        table: "(database)",
        reason,
    };
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await?;
    if problems != ["ok"] {
        return Err(corrupt(format!(
            "integrity check failed: {}",
            problems.join("; ")
        )));
    }
    let dangling = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    if !dangling.is_empty() {
        return Err(corrupt(format!(
            "{} rows refer to rows that do not exist",
            dangling.len()
        )));
    }
    let schema_version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&mut *conn)
            .await
            .map_err(|_| corrupt("not a HERMES database (no migrations table)".into()))?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = TableCounts::new();
    for name in names {
        let rows: i64 = sqlx::query_scalar(count_sql(&name))
            .fetch_one(&mut *conn)
            .await?;
        tables.insert(name, rows);
    }
    Ok(SqliteFile {
        schema_version: schema_version.unwrap_or(0),
        tables,
    })
}

/// `SELECT COUNT(*) FROM "<table>"` for a name the catalog returned
/// (quoted, so any name is safe).
fn count_sql(table: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM \"{}\"",
        table.replace('"', "\"\"")
    ))
}

/// Whether another connection (a running server, a `hermes` command) has
/// the SQLite database at `url` open. Asks for an exclusive lock without
/// waiting: in WAL mode every open connection holds a shared lock, so the
/// request fails while anyone else has the file open. A missing file is
/// not in use.
pub async fn sqlite_in_use(url: &str) -> Result<bool> {
    let opts = sqlite_options(url)?
        .busy_timeout(Duration::ZERO)
        .locking_mode(SqliteLockingMode::Exclusive);
    if !opts.get_filename().exists() {
        return Ok(false);
    }
    let mut conn = match opts.connect().await {
        Ok(c) => c,
        Err(e) if is_busy(&e) => return Ok(true),
        Err(e) => return Err(e.into()),
    };
    let taken = sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await;
    let busy = match taken {
        Ok(_) => {
            sqlx::query("ROLLBACK").execute(&mut conn).await?;
            false
        }
        Err(e) if is_busy(&e) => true,
        Err(e) => return Err(e.into()),
    };
    let _ = conn.close().await;
    Ok(busy)
}

fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// What a PostgreSQL backup or restore needs to know about a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgInspect {
    /// The role is a superuser or has `BYPASSRLS`: it sees every tenant's
    /// rows, as a dump must.
    pub bypasses_rls: bool,
    /// Other sessions connected to this database right now.
    pub other_sessions: i64,
    /// The newest migration applied, if HERMES's schema is there.
    pub schema_version: Option<i64>,
    /// Tables in the current schema.
    pub tables: i64,
}

pub async fn pg_inspect(url: &str) -> Result<PgInspect> {
    let mut conn = PgConnection::connect(url).await?;
    let result = pg_inspect_on(&mut conn).await;
    let _ = conn.close().await;
    result
}

async fn pg_inspect_on(conn: &mut PgConnection) -> Result<PgInspect> {
    let bypasses_rls: bool = sqlx::query_scalar(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut *conn)
    .await?;
    let other_sessions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut *conn)
    .await?;
    let tables: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()")
            .fetch_one(&mut *conn)
            .await?;
    let has_migrations: bool =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    let schema_version: Option<i64> = if has_migrations {
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await?
    } else {
        None
    };
    Ok(PgInspect {
        bypasses_rls,
        other_sessions,
        schema_version,
        tables,
    })
}

/// Rows per table of the current schema, read in one transaction. Needs a
/// role that bypasses row-level security, or the counts of tenant tables
/// are zero.
pub async fn pg_table_counts(url: &str) -> Result<TableCounts> {
    let mut conn = PgConnection::connect(url).await?;
    let mut tx = conn.begin().await?;
    let counts = pg_counts_in(&mut tx).await;
    tx.rollback().await?;
    let _ = conn.close().await;
    counts
}

async fn pg_counts_in(conn: &mut PgConnection) -> Result<TableCounts> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = TableCounts::new();
    for name in names {
        let rows: i64 = sqlx::query_scalar(count_sql(&name))
            .fetch_one(&mut *conn)
            .await?;
        tables.insert(name, rows);
    }
    Ok(tables)
}

/// A moment of a PostgreSQL database held still: a repeatable-read,
/// read-only transaction whose snapshot is exported, so that `pg_dump
/// --snapshot=<id>` dumps exactly what [`PgSnapshot::tables`] counted.
/// The snapshot lives as long as this value; [`PgSnapshot::finish`] ends it.
pub struct PgSnapshot {
    conn: PgConnection,
    /// The exported snapshot's name, for `pg_dump --snapshot`.
    pub id: String,
    pub schema_version: Option<i64>,
    pub tables: TableCounts,
}

impl PgSnapshot {
    /// Opens the snapshot. Refuses a role that does not bypass row-level
    /// security: its dump would silently hold no tenant's rows.
    pub async fn begin(url: &str) -> Result<Self> {
        let mut conn = PgConnection::connect(url).await?;
        let info = pg_inspect_on(&mut conn).await?;
        if !info.bypasses_rls {
            let _ = conn.close().await;
            return Err(StoreError::Rejected(
                "this PostgreSQL role is subject to row-level security, so it cannot read every \
                 firm's rows; back up as a superuser or a BYPASSRLS role (backup.database_url)"
                    .into(),
            ));
        }
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut conn)
            .await?;
        let id: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut conn)
            .await?;
        let tables = pg_counts_in(&mut conn).await?;
        Ok(Self {
            conn,
            id,
            schema_version: info.schema_version,
            tables,
        })
    }

    /// Ends the transaction (and with it the exported snapshot).
    pub async fn finish(mut self) -> Result<()> {
        sqlx::query("COMMIT").execute(&mut self.conn).await?;
        let _ = self.conn.close().await;
        Ok(())
    }
}
