//! Test support shared by the crates' integration tests.
//!
//! - [`TestDb`]: a fresh, empty database per test: an SQLite file in a
//!   temporary directory, or a new PostgreSQL database on the machine's
//!   server, owned by an ordinary (non-superuser) role so that row-level
//!   security applies exactly as in production. Dropped with the value.
//! - [`redis_url`]: the machine's Redis.
//! - [`fake_llm`]: a scripted OpenAI-compatible chat-completions server on
//!   127.0.0.1:0 (replies, delays, errors, hangs, dropped connections), for
//!   the language-model client's tests and end-to-end tests of the agent.
//! - [`notify`]: a validating Twilio mock (Prism) and a real SMTP server.
//! - [`voice`]: fast speech engines that really listen (pilot tones).
//! - [`fake_speech`]: Deepgram, OpenAI audio and ElevenLabs fakes that
//!   listen for those pilot tones and speak tones, with failures on demand.
//!
//! PostgreSQL and Redis are expected on this machine kind. When one is
//! missing, tests that need it are skipped, except under CI (`CI` set) or
//! the test script (`HERMES_REQUIRE_SERVICES` set), where a missing service
//! is a failure: a suite that silently skips its
//! PostgreSQL half must not pass.

pub mod clio;
pub mod fake_llm;
pub mod fake_speech;
pub mod notify;
pub mod voice;

use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// Superuser connection used only to create and drop test databases and
/// to tamper with rows behind the application's back.
pub fn pg_admin_url() -> String {
    std::env::var("HERMES_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn redis_url_raw() -> String {
    std::env::var("HERMES_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The ordinary role test databases belong to and the application uses.
pub const APP_ROLE: &str = "hermes_test_app";

/// Whether missing services are failures (under CI, or when the test
/// script has checked they are up) rather than reasons to skip.
pub fn services_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("HERMES_REQUIRE_SERVICES").is_some()
}

pub(crate) fn unavailable(what: &str, why: &str) {
    if services_required() {
        panic!("{what} is required under CI but unavailable: {why}");
    }
    eprintln!("skipping: {what} unavailable ({why})");
}

/// The machine's Redis URL if it answers; see the crate docs for CI.
pub async fn redis_url() -> Option<String> {
    let url = redis_url_raw();
    let hostport = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .to_owned();
    match tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(&hostport),
    )
    .await
    {
        Ok(Ok(_)) => Some(url),
        Ok(Err(e)) => {
            unavailable("Redis", &e.to_string());
            None
        }
        Err(_) => {
            unavailable("Redis", "connect timed out");
            None
        }
    }
}

pub enum TestDb {
    Sqlite { dir: tempfile::TempDir, url: String },
    Postgres { name: String, url: String },
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("hermes.db").display());
        TestDb::Sqlite { dir, url }
    }

    /// A new database on the machine's PostgreSQL, or `None` (skip) when
    /// it is unreachable outside CI.
    pub async fn postgres() -> Option<Self> {
        let admin = pg_admin_url();
        let mut conn =
            match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&admin)).await
            {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    unavailable("PostgreSQL", &e.to_string());
                    return None;
                }
                Err(_) => {
                    unavailable("PostgreSQL", "connect timed out");
                    return None;
                }
            };
        // Several test processes may race to create the role; losing the
        // race is fine.
        let created = sqlx::raw_sql(
            "CREATE ROLE hermes_test_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
        )
        .execute(&mut conn)
        .await;
        if let Err(e) = created {
            let dup = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42710" || c == "23505");
            assert!(dup, "could not create test role: {e}");
        }
        let name = format!("hermes_t_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} OWNER {APP_ROLE}"
        )))
        .execute(&mut conn)
        .await
        .expect("create test database");
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let host = base
            .rsplit_once('@')
            .map(|(_, h)| h)
            .unwrap_or("127.0.0.1:5432");
        let url = format!("postgres://{APP_ROLE}@{host}/{name}");
        Some(TestDb::Postgres { name, url })
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }

    /// A directory that lives as long as the database (keys, exports).
    pub fn scratch_dir(&self) -> Option<&std::path::Path> {
        match self {
            TestDb::Sqlite { dir, .. } => Some(dir.path()),
            TestDb::Postgres { .. } => None,
        }
    }

    /// Runs SQL as a superuser (PostgreSQL) or directly on the file
    /// (SQLite), bypassing the application: for tests that tamper with
    /// rows or break the database.
    pub async fn execute_as_admin(&self, sql: &str) {
        match self {
            TestDb::Sqlite { url, .. } => {
                let mut c = sqlx::sqlite::SqliteConnection::connect(url)
                    .await
                    .expect("open sqlite");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .expect("admin sql");
            }
            TestDb::Postgres { name, .. } => {
                let admin = pg_admin_url();
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                let mut c = PgConnection::connect(&format!("{base}/{name}"))
                    .await
                    .expect("admin connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .expect("admin sql");
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name, .. } = self {
            let name = name.clone();
            // Drop runs inside a Tokio runtime that may be shutting down;
            // use a private one on a plain thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(mut c) = PgConnection::connect(&pg_admin_url()).await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs each named `async fn(Ctx)` of a store test file against SQLite
/// and against PostgreSQL (skipped outside CI when it is missing), as
/// `sqlite::name` and `postgres::name`. The calling file provides
/// `async fn open(TestDb) -> Ctx` and the test functions at its root.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::open($crate::TestDb::sqlite()).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::TestDb::postgres().await else { return };
                    super::$name(super::open(db).await).await;
                }
            )*
        }
    };
}
