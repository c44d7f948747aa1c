//! `spawn_app()`: the real HERMES application on a random port, over real
//! HTTP, with a fresh database (SQLite, or PostgreSQL as an ordinary role)
//! and two firms ("alpha" and "bravo"), each with an admin.

use std::sync::Arc;

use hermes::config::Settings;
use hermes::startup::Application;
use hermes_api::AppState;
use hermes_core::{DisplayName, Email, NewPassword, Role, TenantName, TenantSlug, TimeZone};
use hermes_store::{NewTenant, NewUser};
use hermes_testkit::TestDb;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone)]
pub struct Firm {
    pub slug: String,
    pub id: String,
    pub admin_id: String,
    pub admin_email: String,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub settings: Settings,
    pub data_dir: Arc<tempfile::TempDir>,
    pub alpha: Firm,
    pub bravo: Firm,
    pub db: Arc<TestDb>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Settings for a test: generous limits (tests that check limits set their
/// own), no demo firm, files in a temporary directory.
pub fn test_settings(db: &TestDb, data_dir: &std::path::Path) -> Settings {
    let mut s = Settings {
        data_dir: data_dir.to_owned(),
        ..Settings::default()
    };
    s.server.bind = "127.0.0.1:0".parse().unwrap();
    s.database.url = Some(db.url().to_owned());
    s.database.max_connections = 8;
    s.demo.seed = Some(false);
    // Loading the embedding model takes a second or two and ~100 MB per
    // app; the tests that need it turn it on (see `with_embedding`).
    s.agent.embedding = false;
    // Likewise the local speech engines: voice tests install theirs (see
    // voice.rs), and the local-stack tests turn these on.
    s.voice.local_engines = false;
    // No scheduled backups of test databases (backup.rs tests turn them on).
    s.backup.every_minutes = 0;
    s.rate_limit.auth_per_minute = 10_000;
    s.rate_limit.anonymous_per_minute = 10_000;
    s.rate_limit.principal_per_minute = 100_000;
    s.rate_limit.tenant_per_minute = 100_000;
    s
}

/// The workspace's `models/` (scripts/models.sh), or $HERMES_MODELS_DIR.
pub fn models_dir() -> std::path::PathBuf {
    std::env::var_os("HERMES_MODELS_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"),
        Into::into,
    )
}

/// Settings tweak: the embedding model on.
pub fn with_embedding(s: &mut Settings) {
    s.agent.embedding = true;
    s.agent.models_dir = models_dir();
}

/// Waits until the app's embedding model has loaded (it loads in the
/// background); fails if it never does.
pub async fn embedding_ready(app: &TestApp) {
    for _ in 0..600 {
        if app.state.understanding.semantic.get().is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the embedding model did not load from {} (run scripts/models.sh)",
        models_dir().display()
    );
}

pub async fn spawn_app() -> TestApp {
    spawn_with(TestDb::sqlite(), |_| {}).await
}

/// The same application on the machine's PostgreSQL; `None` (skip) when it
/// is missing outside CI.
pub async fn spawn_app_pg() -> Option<TestApp> {
    let db = TestDb::postgres().await?;
    Some(spawn_with(db, |_| {}).await)
}

pub async fn spawn_with(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    // `HERMES_TEST_LOG=hermes_api=debug` shows the server's log on the
    // test's output (nextest prints it when the test fails).
    if let Ok(filter) = std::env::var("HERMES_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let mut settings = test_settings(&db, data_dir.path());
    tweak(&mut settings);
    let db = Arc::new(db);
    start(settings, db, data_dir).await
}

/// Starts another node on the same database and data directory (the
/// scale-out tests): the same firms, keys and settings as `other`, plus
/// `tweak`.
pub async fn spawn_node(other: &TestApp, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = other.settings.clone();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    tweak(&mut settings);
    let (port, state, shutdown, server) = launch(settings.clone()).await;
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: client(),
        state,
        settings,
        data_dir: other.data_dir.clone(),
        alpha: other.alpha.clone(),
        bravo: other.bravo.clone(),
        db: other.db.clone(),
        shutdown: Some(shutdown),
        server: Some(server),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn launch(
    settings: Settings,
) -> (
    u16,
    AppState,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let app = Application::build(settings).await.expect("build app");
    let port = app.port();
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    (port, state, tx, server)
}

async fn start(settings: Settings, db: Arc<TestDb>, data_dir: Arc<tempfile::TempDir>) -> TestApp {
    let (port, state, shutdown, server) = launch(settings.clone()).await;
    let alpha = create_firm(&state, "alpha", "admin@alpha.example").await;
    let bravo = create_firm(&state, "bravo", "admin@bravo.example").await;
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: client(),
        state,
        settings,
        data_dir,
        alpha,
        bravo,
        db,
        shutdown: Some(shutdown),
        server: Some(server),
    }
}

async fn create_firm(state: &AppState, slug: &str, email: &str) -> Firm {
    let hash = state.passwords.hash(&NewPassword::parse(PASSWORD).unwrap());
    let (tenant, admin) = state
        .store
        .create_tenant(
            &NewTenant {
                slug: TenantSlug::parse(slug).unwrap(),
                name: TenantName::parse(&format!("{slug} law")).unwrap(),
                time_zone: TimeZone::parse("America/Chicago").unwrap(),
                plan: hermes_core::Plan::Professional,
            },
            &NewUser {
                email: Email::parse(email).unwrap(),
                display_name: DisplayName::parse("Admin").unwrap(),
                role: Role::Admin,
                password_hash: hash,
            },
        )
        .await
        .expect("create firm");
    Firm {
        slug: slug.into(),
        id: tenant.id.to_string(),
        admin_id: admin.id.to_string(),
        admin_email: email.into(),
    }
}

/// A signed-in user: the tokens from login.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Gives the server its shutdown signal (what SIGTERM does to the
    /// binary) without waiting for it to stop: it drains.
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Whether the server has stopped (after [`TestApp::signal_shutdown`])
    /// within `within`.
    pub async fn stopped_within(&mut self, within: std::time::Duration) -> bool {
        let Some(server) = self.server.as_mut() else {
            return true;
        };
        match tokio::time::timeout(within, server).await {
            Ok(result) => {
                self.server = None;
                result.expect("the server task").expect("the server");
                true
            }
            Err(_) => false,
        }
    }

    /// Stops the server and waits until it has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    pub async fn login_raw(&self, tenant: &str, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"tenant": tenant, "email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, tenant: &str, email: &str, password: &str) -> Session {
        let resp = self.login_raw(tenant, email, password).await;
        assert_eq!(resp.status(), StatusCode::OK, "login as {email}");
        let body: Value = resp.json().await.unwrap();
        Session {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// `POST /api/v1/auth/refresh` with `token`.
    pub async fn refresh(&self, token: &str) -> Response {
        self.send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": token})),
        )
        .await
    }

    pub async fn admin(&self, firm: &Firm) -> Session {
        self.login(&firm.slug, &firm.admin_email, PASSWORD).await
    }

    /// Creates a user with `role` in `firm` (through the API, as its admin)
    /// and signs them in. Returns the user's id and session.
    pub async fn user_with_role(&self, firm: &Firm, role: &str) -> (String, Session) {
        let admin = self.admin(firm).await;
        let email = format!(
            "{}-{}@{}.example",
            role.to_lowercase(),
            uuid::Uuid::new_v4().simple(),
            firm.slug
        );
        let resp = self
            .send(
                Method::POST,
                "/api/v1/users",
                Some(&admin.access),
                Some(json!({"email": email, "name": "Test User", "role": role, "password": PASSWORD})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let body: Value = resp.json().await.unwrap();
        let id = body["id"].as_str().unwrap().to_owned();
        (id, self.login(&firm.slug, &email, PASSWORD).await)
    }

    /// A user's email, read through the API as the firm's admin.
    pub async fn user_email(&self, firm: &Firm, user_id: &str) -> String {
        let admin = self.admin(firm).await;
        let user: Value = self
            .get(&format!("/api/v1/users/{user_id}"), &admin.access)
            .await
            .json()
            .await
            .unwrap();
        user["email"].as_str().unwrap().to_owned()
    }

    /// Creates an API key with `role` in `firm`; returns (id, key).
    pub async fn api_key_with_role(&self, firm: &Firm, role: &str) -> (String, String) {
        let admin = self.admin(firm).await;
        let resp = self
            .send(
                Method::POST,
                "/api/v1/api-keys",
                Some(&admin.access),
                Some(json!({"name": format!("{role} key"), "role": role})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let body: Value = resp.json().await.unwrap();
        (
            body["id"].as_str().unwrap().to_owned(),
            body["key"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// GET a public JSON document (OpenAPI, JWKS) without credentials.
    pub async fn public_json(&self, path: &str) -> Value {
        let resp = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        resp.json().await.unwrap()
    }

    /// The Prometheus exposition at `/metrics`.
    pub async fn metrics(&self) -> String {
        let resp = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    }

    /// GET `path` and its JSON body, whatever the status (tests assert on
    /// the body; use [`TestApp::get`] to check the status first).
    pub async fn get_json(&self, path: &str, bearer: &str) -> Value {
        self.get(path, bearer).await.json().await.unwrap()
    }

    pub async fn get(&self, path: &str, bearer: &str) -> Response {
        self.send(Method::GET, path, Some(bearer), None).await
    }

    /// The private key currently signing tokens (PEM), read from the key
    /// directory, for tests that forge tokens.
    pub fn signing_key_pem(&self) -> (String, Vec<u8>) {
        let mut files: Vec<_> = std::fs::read_dir(self.settings.keys_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pem"))
            .collect();
        files.sort();
        let newest = files.last().unwrap();
        let name = newest.file_stem().unwrap().to_str().unwrap();
        let kid = name.split_once('-').unwrap().1.to_owned();
        (kid, std::fs::read(newest).unwrap())
    }
}

/// Asserts the API's JSON error shape and returns the code.
pub async fn error_code(resp: Response) -> String {
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("application/json"), "error not JSON: {ct}");
    let body: Value = resp.json().await.unwrap();
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    assert!(
        body["error"]["message"].is_string(),
        "error.message: {body}"
    );
    code
}

/// Claims of a JWT, without verification (tests only).
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn header(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
