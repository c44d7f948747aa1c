//! The `hermes` command line.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use hermes_core::{DisplayName, Email, NewPassword, Role, TenantName, TenantSlug, TimeZone};
use hermes_store::{Actor, AuditEvent, NewTenant, NewUser};

use crate::config::Settings;
use crate::startup::{Application, hash_password, open_store};

#[derive(Debug, Parser)]
#[command(
    name = "hermes",
    version,
    about = "HERMES: the AI receptionist for law firms"
)]
pub struct Cli {
    /// TOML configuration file (default: $HERMES_CONFIG, else ./hermes.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrates the database first).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage firms.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the JWT signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Talk to a firm's intake agent in the terminal.
    Chat {
        /// The firm's slug.
        #[arg(long)]
        tenant: String,
        /// Say each line of FILE in turn (blank lines and `#` comments
        /// skipped) and print the resulting intake as JSON.
        #[arg(long, value_name = "FILE")]
        script: Option<PathBuf>,
    },
    /// Back up the database and the keys (signing and data-at-rest) into
    /// one file; safe while the server runs. The file is as secret as the
    /// data directory.
    Backup {
        /// A file to create, or a directory to write
        /// `hermes-<time>.tar` into; default: `backup.dir`.
        #[arg(long, value_name = "FILE_OR_DIR")]
        output: Option<PathBuf>,
    },
    /// Replace the database with a backup and add its keys to the key
    /// files. Stop every server first; the backup is checked completely
    /// before anything is changed.
    Restore {
        /// The backup (`hermes backup`'s file).
        file: PathBuf,
        /// Restore even though the database looks in use.
        #[arg(long)]
        force: bool,
        /// Only check the backup; change nothing.
        #[arg(long, conflicts_with = "force")]
        check: bool,
    },
    /// Call a running HERMES as Twilio (or Telnyx) would, with a
    /// synthetic caller (espeak-ng) reading a script; prints the report as
    /// JSON.
    Simulate {
        /// The firm's slug (its Twilio auth token signs the webhooks).
        #[arg(long)]
        tenant: String,
        /// Play Telnyx instead of Twilio, signing its webhooks with the
        /// Ed25519 seed (base64, 32 bytes) in FILE; the firm's
        /// `telnyx_public_key` must be that key's public key.
        #[arg(long, value_name = "FILE")]
        telnyx_key: Option<PathBuf>,
        /// `say:`, `interrupt:`, `press:`, `wait:` and `hangup` lines.
        #[arg(long, value_name = "FILE")]
        script: PathBuf,
        /// The server; default: this configuration's listen address.
        #[arg(long)]
        url: Option<String>,
        /// The caller's number.
        #[arg(long, default_value = "+15035550142")]
        from: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a firm and its first administrator. The admin's password is
    /// read from $HERMES_ADMIN_PASSWORD, or generated and printed once.
    Create(TenantCreate),
    /// List firms.
    List,
    /// Change a firm's plan (free: 100 answered calls a month;
    /// professional: unlimited; enterprise: unlimited, several offices).
    Plan {
        /// The firm's slug.
        #[arg(long)]
        tenant: String,
        /// free, professional or enterprise.
        plan: String,
    },
}

#[derive(Debug, Args)]
pub struct TenantCreate {
    /// Short name used at sign-in (letters, digits, hyphens).
    #[arg(long)]
    pub slug: String,
    /// The firm's name as spoken.
    #[arg(long)]
    pub name: String,
    /// IANA time zone, e.g. America/Chicago.
    #[arg(long)]
    pub time_zone: String,
    #[arg(long)]
    pub admin_email: String,
    #[arg(long, default_value = "Administrator")]
    pub admin_name: String,
    /// free (100 answered calls a month), professional or enterprise.
    #[arg(long, default_value = "free")]
    pub plan: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user to a firm. The password is read from $HERMES_USER_PASSWORD,
    /// or generated and printed once.
    Create(UserCreate),
}

#[derive(Debug, Args)]
pub struct UserCreate {
    /// The firm's slug.
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// ADMIN, ATTORNEY, STAFF or READ_ONLY.
    #[arg(long)]
    pub role: String,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check a firm's audit hash chain; exits 1 if it was tampered with.
    Verify {
        /// The firm's slug.
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a new signing key. Running servers pick it up within
    /// `auth.key_reload_secs`; tokens signed with the previous key stay
    /// valid until they expire.
    Rotate,
}

/// The password from `var`, or a generated one (and whether it was).
fn password_from_env(var: &str) -> anyhow::Result<(NewPassword, bool)> {
    match std::env::var(var) {
        Ok(p) => Ok((
            NewPassword::parse(&p).with_context(|| format!("${var}"))?,
            false,
        )),
        Err(_) => Ok((hermes_auth::generate_password(), true)),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let settings = Settings::load(cli.config.as_deref())?;
    crate::telemetry::init(&settings.log);
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let store = open_store(&settings).await?;
            store.close().await;
            println!("database is up to date");
            Ok(0)
        }
        Command::Tenant(TenantCommand::Create(args)) => tenant_create(settings, args).await,
        Command::Tenant(TenantCommand::List) => {
            let store = open_store(&settings).await?;
            for t in store.list_tenants().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.slug,
                    t.id,
                    t.time_zone,
                    t.plan,
                    t.name.as_ref()
                );
            }
            store.close().await;
            Ok(0)
        }
        Command::Tenant(TenantCommand::Plan { tenant, plan }) => {
            tenant_plan(settings, &tenant, &plan).await
        }
        Command::User(UserCommand::Create(args)) => user_create(settings, args).await,
        Command::Audit(AuditCommand::Verify { tenant }) => audit_verify(settings, &tenant).await,
        Command::Chat { tenant, script } => {
            crate::chat::run(settings, &tenant, script.as_deref()).await
        }
        Command::Simulate {
            tenant,
            telnyx_key,
            script,
            url,
            from,
        } => {
            crate::simulate::cli(settings, &tenant, &script, url, from, telnyx_key.as_deref()).await
        }
        Command::Backup { output } => {
            let w = crate::backup::create(&settings, output.as_deref()).await?;
            let rows: i64 = w.manifest.tables.values().sum();
            println!("backup written to {} ({} bytes)", w.path.display(), w.bytes);
            println!(
                "  {} database, schema {}, {} tables, {rows} rows",
                w.manifest.backend,
                w.manifest.schema_version,
                w.manifest.tables.len()
            );
            println!(
                "  with the signing keys and the data-at-rest keys: keep it as secret as the data directory"
            );
            Ok(0)
        }
        Command::Restore { file, force, check } => {
            if check {
                let m = crate::backup::verify(&file).await?;
                println!(
                    "{} is a sound backup of a {} database taken {} (schema {}, {} rows)",
                    file.display(),
                    m.backend,
                    m.created_at,
                    m.schema_version,
                    m.tables.values().sum::<i64>()
                );
                return Ok(0);
            }
            let r = crate::backup::restore(&settings, &file, force).await?;
            println!(
                "restored the backup taken {} ({} rows{})",
                r.manifest.created_at,
                r.manifest.tables.values().sum::<i64>(),
                if r.counts_checked {
                    ", every table's count checked"
                } else {
                    "; counts not checked: set backup.database_url"
                }
            );
            if r.keys_added > 0 {
                println!(
                    "  added {} keys from the backup to the key files",
                    r.keys_added
                );
            }
            println!("  start the servers again (they migrate the schema if it is older)");
            Ok(0)
        }
        Command::Keys(KeysCommand::Rotate) => {
            let dir = settings.keys_dir();
            let kid = hermes_auth::KeyRing::rotate(&dir)?;
            println!("new signing key {kid} in {}", dir.display());
            Ok(0)
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<i32> {
    let app = Application::build(settings).await?;
    let url = app.url();
    if let Some(demo) = &app.demo_credentials {
        // Printed to stdout once, not logged: logs are often shipped
        // elsewhere, and this password is a secret.
        println!();
        println!("  Demo firm created. Sign in with:");
        println!("    tenant:   {}", demo.tenant);
        println!("    email:    {}", demo.email);
        println!("    password: {}", demo.password);
        println!("  This password is shown only this once.");
    }
    println!();
    println!("  HERMES is listening on {url}");
    println!("  Dashboard: {url}/");
    println!("  API docs: {url}/api/docs");
    println!("  Test phone (talk to the agent from this browser): {url}/phone");
    println!();
    tracing::info!(%url, "listening");
    // The first SIGTERM (or Ctrl-C) drains: calls in progress finish, up
    // to `server.drain_secs`. A second one means "now": the process exits
    // at once, like SIGKILL (an operator's choice; calls are cut).
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = first_tx.send(());
        shutdown_signal().await;
        tracing::warn!("a second stop signal: exiting without waiting for calls");
        std::process::exit(1);
    });
    app.run_until_stopped(async move {
        let _ = first_rx.await;
    })
    .await?;
    Ok(0)
}

/// Resolves on SIGTERM (service managers, container runtimes) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn tenant_create(settings: Settings, args: TenantCreate) -> anyhow::Result<i32> {
    let tenant = NewTenant {
        slug: TenantSlug::parse(&args.slug).context("--slug")?,
        name: TenantName::parse(&args.name).context("--name")?,
        time_zone: TimeZone::parse(&args.time_zone).context("--time-zone")?,
        plan: args.plan.parse().context("--plan")?,
    };
    let email = Email::parse(&args.admin_email).context("--admin-email")?;
    let name = DisplayName::parse(&args.admin_name).context("--admin-name")?;
    let (password, generated) = password_from_env("HERMES_ADMIN_PASSWORD")?;
    let store = open_store(&settings).await?;
    let admin = NewUser {
        email: email.clone(),
        display_name: name,
        role: Role::Admin,
        password_hash: hash_password(&settings, password.clone()).await?,
    };
    let result = store.create_tenant(&tenant, &admin).await;
    store.close().await;
    match result {
        Ok((t, _)) => {
            println!("created firm {} ({}) on the {} plan", t.slug, t.id, t.plan);
            println!("admin: {email}");
            if generated {
                println!("password: {}", password.expose());
                println!("(shown only this once)");
            }
            Ok(0)
        }
        Err(hermes_store::StoreError::Conflict(_)) => {
            bail!("a firm with slug {:?} already exists", args.slug)
        }
        Err(e) => Err(e.into()),
    }
}

/// Moves a firm to another plan; audited in the firm's log. Takes effect
/// with the next call (the month's count is kept). A firm with offices
/// stays on Enterprise until they are removed.
async fn tenant_plan(settings: Settings, slug: &str, plan: &str) -> anyhow::Result<i32> {
    let slug = TenantSlug::parse(slug).context("--tenant")?;
    let plan: hermes_core::Plan = plan.parse().context("plan")?;
    let store = open_store(&settings).await?;
    let Some(tenant) = store.tenant_by_slug(&slug).await? else {
        store.close().await;
        bail!("no firm with slug {:?}", slug.as_ref());
    };
    // Offices belong to the Enterprise plan: a firm that has some keeps
    // them until its admin removes them (their attorneys are scheduled in
    // the offices' zones; dropping them silently would move every slot).
    if !plan.has_offices() {
        let offices = store.scoped(tenant.id).firm_settings().await;
        let offices = match offices {
            Ok(s) => s.offices.unwrap_or_default(),
            Err(e) => {
                store.close().await;
                return Err(e.into());
            }
        };
        if !offices.is_empty() {
            store.close().await;
            bail!(
                "firm {} has {} office(s), which only the enterprise plan has: remove them first (PUT /api/v1/settings/offices with no offices, after moving their attorneys)",
                slug.as_ref(),
                offices.offices.len()
            );
        }
    }
    let result = store
        .scoped(tenant.id)
        .update_tenant(
            &hermes_store::TenantPatch {
                plan: Some(plan),
                ..Default::default()
            },
            AuditEvent::new(Actor::System, "tenant.plan").details(serde_json::json!({
                "from": tenant.plan.as_str(), "to": plan.as_str(),
            })),
        )
        .await;
    store.close().await;
    let t = result?;
    println!(
        "firm {} is on the {} plan (was {})",
        t.slug, t.plan, tenant.plan
    );
    Ok(0)
}

async fn user_create(settings: Settings, args: UserCreate) -> anyhow::Result<i32> {
    let slug = TenantSlug::parse(&args.tenant).context("--tenant")?;
    let email = Email::parse(&args.email).context("--email")?;
    let name = DisplayName::parse(&args.name).context("--name")?;
    let role: Role = args.role.parse().context("--role")?;
    let (password, generated) = password_from_env("HERMES_USER_PASSWORD")?;
    let store = open_store(&settings).await?;
    let Some(tenant) = store.tenant_by_slug(&slug).await? else {
        store.close().await;
        bail!("no firm with slug {:?}", args.tenant);
    };
    let user = NewUser {
        email: email.clone(),
        display_name: name,
        role,
        password_hash: hash_password(&settings, password.clone()).await?,
    };
    let result = store
        .scoped(tenant.id)
        .create_user(
            &user,
            AuditEvent::new(Actor::System, "user.create").details(serde_json::json!({
                "email": email.to_string(),
                "role": role.as_str(),
                "via": "cli",
            })),
        )
        .await;
    store.close().await;
    match result {
        Ok(u) => {
            println!("created user {} ({}) in {}", u.email, u.id, tenant.slug);
            if generated {
                println!("password: {}", password.expose());
                println!("(shown only this once)");
            }
            Ok(0)
        }
        Err(hermes_store::StoreError::Conflict(_)) => {
            bail!("{email} already exists in {}", tenant.slug)
        }
        Err(e) => Err(e.into()),
    }
}

async fn audit_verify(settings: Settings, slug: &str) -> anyhow::Result<i32> {
    let parsed = TenantSlug::parse(slug).context("--tenant")?;
    let store = open_store(&settings).await?;
    let Some(tenant) = store.tenant_by_slug(&parsed).await? else {
        store.close().await;
        bail!("no firm with slug {slug:?}");
    };
    let report = store.scoped(tenant.id).verify_audit_chain().await?;
    store.close().await;
    if report.is_intact() {
        println!(
            "audit log of {} is intact ({} entries)",
            tenant.slug, report.entries
        );
        Ok(0)
    } else {
        println!(
            "audit log of {} has been TAMPERED WITH ({} entries checked):",
            tenant.slug, report.entries
        );
        for p in &report.problems {
            println!("  - {p}");
        }
        Ok(1)
    }
}
