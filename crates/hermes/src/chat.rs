//! `hermes chat`: talk to a firm's intake agent in the terminal, or run a
//! scripted conversation and print the intake it leaves behind.
//!
//! The chat runs the very agent the text channel runs (`hermes_api::agent`)
//! against the configured database, in this process: the same firm
//! settings, parties index, calendar and question sets, and the intake is
//! saved turn by turn like any other (channel `text`). That makes it the
//! quickest way for a firm to try its settings, and for a developer to
//! replay a conversation exactly.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, bail};
use hermes_core::TenantSlug;
use hermes_intake::dialogue::{Engine, Event};
use hermes_store::{Actor, AuditEvent};
use uuid::Uuid;

use crate::config::Settings;
use crate::startup::Application;

/// Runs a chat. With `script`, each non-empty line that does not start
/// with `#` is said in turn (the conversation is shown on stderr) and the
/// intake is printed on stdout as JSON; a script that ends before the
/// conversation does hangs up, leaving an `abandoned` intake. Without it,
/// lines are read from stdin until the conversation ends or stdin closes.
pub async fn run(mut settings: Settings, slug: &str, script: Option<&Path>) -> anyhow::Result<i32> {
    let slug = TenantSlug::parse(slug).context("--tenant")?;
    let lines: Option<Vec<String>> = match script {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect(),
        ),
        None => None,
    };
    // The agent's state, without serving HTTP: any free local port.
    settings.server.bind = "127.0.0.1:0".parse().expect("a socket address");
    let app = Application::build(settings).await?;
    let state = app.state().clone();
    let Some(tenant) = state.store.tenant_by_slug(&slug).await? else {
        bail!("no firm with slug {:?}", slug.as_ref());
    };
    // As the whole firm (not one of its offices).
    let firm = hermes_api::agent::firm_for(&state, tenant.id, chrono::Utc::now(), None).await?;
    let id = Uuid::now_v7();
    let mut engine = Engine::new(firm).with_seed(hermes_api::agent::seed_of(id));
    state
        .store
        .scoped(tenant.id)
        .create_intake(
            id,
            "text",
            None,
            &hermes_api::agent::update_of(&engine)?,
            AuditEvent::new(Actor::System, "intake.start")
                .details(serde_json::json!({"channel": "text", "via": "cli"})),
        )
        .await?;
    let scripted = lines.is_some();
    // Scripted runs keep stdout for the JSON.
    let show = |who: &str, text: &str| {
        if scripted {
            eprintln!("{who}: {text}");
        } else {
            println!("{who}: {text}");
        }
    };
    let mut turn =
        hermes_api::agent::drive(&state, tenant.id, id, &mut engine, Event::Start, 0).await?;
    for r in &turn.replies {
        show("agent", r);
    }
    let mut script = lines.unwrap_or_default().into_iter();
    let stdin = std::io::stdin();
    while !turn.done {
        let line = if scripted {
            script.next()
        } else {
            print!("you: ");
            std::io::stdout().flush()?;
            let mut l = String::new();
            (stdin.lock().read_line(&mut l)? > 0).then(|| l.trim().to_owned())
        };
        let event = match line {
            Some(l) if l.is_empty() => continue,
            Some(l) => {
                if scripted {
                    show("caller", &l);
                }
                Event::caller(l)
            }
            None => Event::HungUp,
        };
        turn = hermes_api::agent::drive(&state, tenant.id, id, &mut engine, event, turn.version)
            .await?;
        for r in &turn.replies {
            show("agent", r);
        }
    }
    let row = state
        .store
        .scoped(tenant.id)
        .intake(id)
        .await?
        .context("the intake vanished")?;
    if scripted {
        let out = serde_json::json!({
            "id": row.id,
            "channel": row.channel,
            "status": row.status,
            "urgency": row.urgency,
            "practice_area": row.practice_area,
            "caller_name": row.caller_name,
            "record": row.document,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("(conversation ended: intake {id}, status {})", row.status);
    }
    state.store.close().await;
    Ok(0)
}
