//! Wiring: from validated settings to a listening server.
//!
//! [`Application::build`] opens (and migrates) the database, loads or
//! creates the signing keys, connects the shared state, seeds the demo firm
//! when asked, and binds the port (0 in tests, which then read
//! [`Application::port`]). [`Application::run_until_stopped`] serves until
//! the shutdown future resolves, then lets requests in flight and calls in
//! progress finish (draining) before it returns.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hermes_api::AppState;
use hermes_auth::{KeyRing, PasswordHasher, Tokens};
use hermes_cache::SharedState;
use hermes_core::{DisplayName, Email, NewPassword, Role, TenantName, TenantSlug, TimeZone};
use hermes_store::{ConnectOptions, NewTenant, NewUser, Store};
use tokio::net::TcpListener;

use crate::config::Settings;

pub struct Application {
    listener: TcpListener,
    state: AppState,
    settings: Settings,
    background: Vec<tokio::task::JoinHandle<()>>,
    /// The outbox worker, stopped after the last request (an escalation
    /// enqueued by a request in flight is still picked up).
    notifier: hermes_notify::WorkerHandle,
    /// Set when this start created the demo firm.
    pub demo_credentials: Option<DemoCredentials>,
}

#[derive(Debug, Clone)]
pub struct DemoCredentials {
    pub tenant: String,
    pub email: String,
    pub password: String,
}

/// Opens the configured database and brings its schema up to date.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") && settings.database.url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    }
    let opts = ConnectOptions {
        url,
        max_connections: settings.database.max_connections,
        acquire_timeout: Duration::from_secs(settings.database.acquire_timeout_secs),
    };
    let store = hermes_store::connect(&opts)
        .await
        .context("connecting to the database (database.url)")?;
    store
        .migrate()
        .await
        .context("running database migrations")?;
    Ok(store)
}

async fn open_shared(settings: &Settings) -> anyhow::Result<Arc<dyn SharedState>> {
    Ok(match &settings.redis.url {
        Some(url) => Arc::new(
            hermes_cache::redis::RedisState::connect(url, &settings.redis.key_prefix)
                .await
                .context("connecting to Redis (redis.url)")?,
        ),
        None => Arc::new(hermes_cache::memory::MemoryState::new()),
    })
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        let keys = Arc::new(
            KeyRing::open_or_create(&settings.keys_dir()).context("loading signing keys")?,
        );
        let tokens = Tokens::new(keys.clone(), settings.token_config());
        let passwords = PasswordHasher::new(settings.password_params())?;
        let shared = open_shared(&settings).await?;
        let understanding = hermes_api::understanding::Understanding {
            llm: match &settings.agent.llm {
                Some(l) => Some(Arc::new(l.agent()?)),
                None => None,
            },
            semantic: Default::default(),
        };
        if settings.agent.embedding {
            let dir = settings.agent.embedding_model_dir();
            let slot = understanding.semantic.clone();
            tokio::task::spawn_blocking(move || {
                match hermes_api::understanding::Semantic::load(&dir) {
                    Ok(model) => {
                        let _ = slot.set(Arc::new(model));
                        tracing::info!(dir = %dir.display(), "embedding model loaded");
                    }
                    Err(e) => tracing::warn!(
                        error = %e, dir = %dir.display(),
                        "no embedding model: practice areas by keywords only (run scripts/models.sh)"
                    ),
                }
            });
        }
        let mut senders = notification_senders(&settings)?;
        let wake = Arc::new(tokio::sync::Notify::new());
        let state = AppState::new(
            store,
            tokens,
            passwords,
            shared,
            settings.api_config(),
            understanding,
        )
        .with_notifications(hermes_api::escalation::Notifications {
            sms: senders.sms.is_some(),
            email: senders.email.is_some(),
            wake: wake.clone(),
        })
        .with_secrets(
            hermes_auth::SecretBox::open_or_create(&settings.secrets_file())
                .context("loading the data-at-rest keys")?,
        )
        .with_clio(hermes_api::clio::Clio::new(
            settings
                .clio
                .config(&settings.public_url(settings.server.bind)),
        ))
        .with_voice({
            // The cloud providers need no loading: known at once, and
            // added to the local engines when those have loaded.
            let (stt, tts) = settings.voice.cloud().engines()?;
            // Recordings in progress spool (sealed) beside the data.
            let spool = settings.data_dir.join("spool");
            std::fs::create_dir_all(&spool)
                .with_context(|| format!("creating spool directory {}", spool.display()))?;
            let mut config = settings.voice.voice_config();
            config.spool_dir = Some(spool);
            hermes_api::voice::Voice::new(config).with_extra_engines(stt, tts)
        });
        if settings.voice.local_engines {
            let voice = state.voice.clone();
            let dir = settings.agent.models_dir.clone();
            let threads = settings.voice.stt_threads;
            tokio::task::spawn_blocking(move || {
                match hermes_api::voice::local::load(&dir, threads) {
                    Ok(engines) => {
                        voice.set_engines(engines);
                        tracing::info!(dir = %dir.display(), "local speech engines loaded");
                    }
                    Err(e) => tracing::error!(
                        error = %e, dir = %dir.display(),
                        "no local speech engines: calls cannot be answered (run scripts/models.sh)"
                    ),
                }
            });
        }

        let warmed = hermes_api::warm_revocations(&state)
            .await
            .context("loading token revocations")?;
        tracing::debug!(warmed, "token revocations loaded");

        let demo_credentials = if settings.seed_demo() {
            seed_demo(&state).await?
        } else {
            None
        };

        let mut background = vec![hermes_api::auth::spawn_invalidation_listener(&state)];
        // Revocations that could not be shared when they happened (Redis
        // briefly down) reach every node within a minute.
        let rewarm = state.clone();
        background.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = hermes_api::warm_revocations(&rewarm).await {
                    tracing::warn!(error = %e, "could not refresh revocations");
                }
            }
        }));
        // Conflict checks answer from memory: build each firm's index now,
        // in the background, so the first caller does not wait for it.
        let warm = state.clone();
        background.push(tokio::spawn(async move {
            hermes_api::warm_conflict_indexes(&warm).await;
            // A party change whose event was lost (Redis down) reaches
            // this node's index within a minute.
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                hermes_api::reconcile_conflict_indexes(&warm).await;
            }
        }));
        // The agent's patterns compile once, now, not in a caller's turn.
        background.push(tokio::spawn(async {
            let _ = tokio::task::spawn_blocking(hermes_intake::warm).await;
        }));
        // Text conversations whose caller went silent end as `abandoned`.
        let sweep = state.clone();
        let idle = Duration::from_secs(settings.agent.idle_minutes * 60);
        background.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let ended = hermes_api::routes::conversations::sweep_idle(&sweep, idle).await;
                if ended > 0 {
                    tracing::info!(ended, "idle text conversations ended");
                }
            }
        }));
        // Recordings past the firm's retention period are deleted, and so
        // are the words of transcripts (the intake's fields stay).
        let retention = state.clone();
        let every = Duration::from_secs(settings.voice.retention_sweep_minutes.max(1) * 60);
        background.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let deleted = hermes_api::voice::record::sweep_recordings(&retention).await;
                if deleted > 0 {
                    tracing::info!(deleted, "expired recordings deleted");
                }
                let forgotten = hermes_api::voice::record::sweep_transcripts(&retention).await;
                if forgotten > 0 {
                    tracing::info!(intakes = forgotten, "expired transcripts deleted");
                }
            }
        }));
        // Scheduled backups (`[backup]`; one node per period).
        if let Some(task) = crate::backup::spawn_scheduler(&settings, state.shared.clone()) {
            background.push(task);
        }
        let reload_every = Duration::from_secs(settings.auth.key_reload_secs);
        background.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(reload_every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = keys.reload() {
                    tracing::error!(error = %e, "could not reload signing keys");
                }
            }
        }));

        // The firm's Clio in the conflict check: an incremental sync of
        // every connected firm each `clio.sync_minutes` (queued once per
        // period whichever node queues it first; webhooks bring changes
        // in between).
        if settings.clio.client_id.is_some() {
            let clio = state.clone();
            let every = Duration::from_secs(settings.clio.sync_minutes.max(1) * 60);
            background.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    hermes_api::clio::queue_incremental_syncs(&clio, every).await;
                }
            }));
        }
        senders.clio = Some(Arc::new(hermes_api::clio_sync::ClioSync {
            state: state.clone(),
        }));

        // Bound before the worker starts, so a failed start leaves no
        // worker behind.
        let listener = TcpListener::bind(settings.server.bind)
            .await
            .with_context(|| format!("binding {} (server.bind)", settings.server.bind))?;
        state
            .clio
            .set_public_url(&settings.public_url(listener.local_addr()?));

        // Escalation notifications: delivers the outbox (this node's
        // enqueues wake it at once; it polls for the rest).
        let notifier = hermes_notify::Worker::new(
            state.store.clone(),
            senders,
            hermes_notify::WorkerConfig {
                poll: Duration::from_millis(settings.notify.poll_ms),
                retry: settings.notify.retry_policy(),
                ..Default::default()
            },
            wake,
        )
        .spawn();

        Ok(Self {
            listener,
            state,
            settings,
            background,
            notifier,
            demo_credentials,
        })
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    pub fn url(&self) -> String {
        self.settings.public_url(self.local_addr())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains (see
    /// [`hermes_api::drain`]): stops accepting connections, so a proxy
    /// sends new work to other nodes; marks the node draining (`/readyz`
    /// answers 503, live-update streams end); waits up to
    /// `server.shutdown_grace_secs` for requests in flight and then up to
    /// `server.drain_secs` for the calls in progress, which run on
    /// upgraded connections the HTTP server no longer tracks; and only
    /// then stops the background tasks and the outbox worker (a call's
    /// escalation is still delivered) and closes the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = hermes_api::router(self.state.clone());
        let grace = Duration::from_secs(self.settings.server.shutdown_grace_secs);
        let drain = self.state.drain.clone();
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            drain.begin();
            tracing::info!(
                calls = drain.calls(),
                "shutting down: accepting no new connections; finishing requests and calls in progress"
            );
            let _ = stopping_tx.send(());
        });
        let result = tokio::select! {
            r = server => r.context("serving HTTP"),
            _ = async {
                let _ = stopping_rx.await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!("requests still running after the shutdown grace period; stopping anyway");
                Ok(())
            }
        };
        self.state.drain.begin();
        let calls = self.state.drain.calls();
        if calls > 0 {
            let limit = Duration::from_secs(self.settings.server.drain_secs);
            tracing::info!(calls, "waiting for the calls in progress to end");
            match tokio::time::timeout(limit, self.state.drain.idle()).await {
                Ok(()) => tracing::info!("the last call has ended"),
                Err(_) => tracing::warn!(
                    calls = self.state.drain.calls(),
                    "calls still in progress after server.drain_secs; stopping anyway"
                ),
            }
        }
        for task in &self.background {
            task.abort();
        }
        self.notifier.stop(Duration::from_secs(5)).await;
        self.state.store.close().await;
        result
    }
}

/// The configured notification channels (`notify.twilio`, `notify.smtp`).
fn notification_senders(settings: &Settings) -> anyhow::Result<hermes_notify::Senders> {
    let n = &settings.notify;
    Ok(hermes_notify::Senders {
        sms: n
            .twilio
            .clone()
            .map(hermes_notify::TwilioSms::new)
            .transpose()
            .context("notify.twilio")?,
        email: n
            .smtp
            .as_ref()
            .map(hermes_notify::SmtpMailer::new)
            .transpose()
            .context("notify.smtp")?,
        // Wired once the app state exists (the sync needs it).
        clio: None,
    })
}

/// Creates the demo firm if the database has no firm at all. Returns the
/// admin's credentials when it did.
async fn seed_demo(state: &AppState) -> anyhow::Result<Option<DemoCredentials>> {
    if !state.store.list_tenants().await?.is_empty() {
        return Ok(None);
    }
    let password = hermes_auth::generate_password();
    let email = "admin@demo.example";
    let hasher = state.passwords.clone();
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || hasher.hash(&pw)).await?;
    let result = state
        .store
        .create_tenant(
            &NewTenant {
                slug: TenantSlug::parse("demo")?,
                name: TenantName::parse("Demo Law Group")?,
                time_zone: TimeZone::parse("America/Chicago")?,
                plan: hermes_core::Plan::Professional,
            },
            &NewUser {
                email: Email::parse(email)?,
                display_name: DisplayName::parse("Demo Admin")?,
                role: Role::Admin,
                password_hash: hash,
            },
        )
        .await;
    match result {
        Ok((tenant, _)) => {
            seed_demo_firm(state, tenant.id).await?;
            Ok(Some(DemoCredentials {
                tenant: "demo".into(),
                email: email.into(),
                password: password.expose().to_owned(),
            }))
        }
        // Another node seeded it first.
        Err(hermes_store::StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Gives the demo firm something to try: three practice areas, two
/// attorneys taking consultations on weekdays, and a small parties index
/// (a current client, a former client, an adverse party) for conflict
/// checks.
async fn seed_demo_firm(state: &AppState, tenant: hermes_core::TenantId) -> anyhow::Result<()> {
    use hermes_conflicts::{MatterStatus, Party, PartyKind, PartyRole};
    use hermes_store::{Actor, AuditEvent, PartySource, SettingsUpdate};

    let store = state.store.scoped(tenant);
    let ev = || AuditEvent::new(Actor::System, "demo.seed");
    let areas: hermes_firm::PracticeAreas = serde_json::from_value(serde_json::json!({"areas": [
        {"key": "family", "consultation_minutes": 30, "free_consultation": true},
        {"key": "personal_injury", "consultation_minutes": 45, "free_consultation": true},
        {"key": "estate_planning", "consultation_minutes": 60, "free_consultation": false},
    ]}))?;
    store
        .put_settings(&SettingsUpdate::PracticeAreas(areas.clone()), ev())
        .await?;
    store
        .put_settings(
            &SettingsUpdate::Hours(hermes_firm::Hours::default_for_new_firm()),
            ev(),
        )
        .await?;
    for (name, email, practice) in [
        (
            "Maria Lopez",
            "maria@demo.example",
            vec!["family", "estate_planning"],
        ),
        (
            "James Okafor",
            "james@demo.example",
            vec!["personal_injury"],
        ),
    ] {
        let attorney: hermes_firm::Attorney = serde_json::from_value(serde_json::json!({
            "name": name,
            "email": email,
            "practice_areas": practice,
            "availability": {
                "monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
                "tuesday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
                "wednesday": [{"start": "09:00", "end": "12:00"}],
                "thursday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
                "friday": [{"start": "09:00", "end": "12:00"}],
            },
        }))?;
        attorney.validate(&areas)?;
        store
            .create_attorney(uuid::Uuid::now_v7(), &attorney, ev())
            .await?;
    }
    let party = |name: &str, role, status| Party {
        id: uuid::Uuid::now_v7(),
        kind: PartyKind::Person,
        name: name.into(),
        aliases: vec![],
        role,
        date_of_birth: None,
        phones: vec![],
        emails: vec![],
        matter_ref: None,
        matter_status: Some(status),
    };
    let parties = [
        party("William Turner", PartyRole::Client, MatterStatus::Open),
        party(
            "Margaret Ellison",
            PartyRole::FormerClient,
            MatterStatus::Closed,
        ),
        party("Gregory Vance", PartyRole::AdverseParty, MatterStatus::Open),
    ];
    store
        .import_parties(&parties, PartySource::Manual, ev())
        .await?;
    Ok(())
}

/// Hashes a password on the blocking pool.
pub async fn hash_password(settings: &Settings, password: NewPassword) -> anyhow::Result<String> {
    let hasher = PasswordHasher::new(settings.password_params())?;
    Ok(tokio::task::spawn_blocking(move || hasher.hash(&password)).await?)
}
