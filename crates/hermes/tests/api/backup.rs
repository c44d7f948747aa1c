//! Backups and restores with the real binary: a firm with data of every
//! kind is backed up while its server runs, changed, restored, and served
//! again — on SQLite (in place, with the key files lost in between) and on
//! PostgreSQL (into a fresh database and an empty data directory, as on a
//! new machine). Then the scheduled backups and their pruning, and the
//! retention of transcripts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hermes::config::Settings;
use hermes_store::maintenance::{self, TableCounts};
use hermes_testkit::TestDb;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::conflicts::add_party;
use crate::firm_settings::all_week;
use crate::helpers::*;
use crate::intake::{book_a_divorce_consultation, say, start};
use crate::scheduling::calendar;

const TOKEN_BEFORE: &str = "tw-auth-token-before-0001";
const TOKEN_AFTER: &str = "tw-auth-token-after-9999";

/// `hermes …` with this configuration (and nothing inherited).
fn hermes(settings: &Settings, admin_url: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hermes"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HERMES_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG")
        .env("HERMES_DATA_DIR", &settings.data_dir)
        .env("HERMES_DATABASE__URL", settings.database_url())
        .env("HERMES_LOG__LEVEL", "warn");
    if let Some(url) = admin_url {
        cmd.env("HERMES_BACKUP__DATABASE_URL", url);
    }
    cmd
}

/// Runs the command; (exit code, stdout, stderr).
fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().expect("run hermes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A superuser's URL for a test database (PostgreSQL), which sees every
/// firm's rows.
fn admin_url(db: &TestDb) -> Option<String> {
    match db {
        TestDb::Postgres { name, .. } => {
            let admin = hermes_testkit::pg_admin_url();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            Some(format!("{base}/{name}"))
        }
        TestDb::Sqlite { .. } => None,
    }
}

/// Rows per table, read behind the application's back (a snapshot of the
/// SQLite file, or a superuser on PostgreSQL).
async fn counts(db: &TestDb) -> TableCounts {
    match admin_url(db) {
        Some(url) => maintenance::pg_table_counts(&url).await.unwrap(),
        None => {
            let dir = tempfile::tempdir().unwrap();
            let copy = dir.path().join("copy.db");
            maintenance::sqlite_snapshot(db.url(), &copy).await.unwrap();
            maintenance::sqlite_check(&copy).await.unwrap().tables
        }
    }
}

/// What the firm looks like through the API, for comparing before/after.
async fn view(client: &reqwest::Client, base: &str, token: &str) -> Value {
    let mut out = json!({});
    for path in [
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/parties?limit=200",
        "/api/v1/intakes",
        "/api/v1/attorneys",
        "/api/v1/settings/telephony",
        "/api/v1/settings/hours",
        "/api/v1/audit?limit=200",
    ] {
        let resp = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        out[path] = resp.json().await.unwrap();
    }
    out
}

struct Filled {
    admin: Session,
    staff_email: String,
    party: String,
    booking: String,
}

/// A firm with data of every kind: settings, an attorney, users, an API
/// key, parties, an intake with its booking from a whole text
/// conversation, a sealed credential, and the audit chain of all that.
async fn fill(app: &TestApp) -> Filled {
    let cal = calendar(app, &app.alpha).await;
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/hours",
            Some(&cal.admin.access),
            Some(json!({"weekly": all_week("00:00", "23:30"), "after_hours": "book"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (staff_id, _) = app.user_with_role(&app.alpha, "STAFF").await;
    let staff_email = app.user_email(&app.alpha, &staff_id).await;
    app.api_key_with_role(&app.alpha, "READ_ONLY").await;
    let party = add_party(
        app,
        &cal.admin.access,
        json!({"name": "Gregory Hale", "role": "former_client", "matter_ref": "2019-3", "matter_status": "closed"}),
    )
    .await;
    let (token, opening) = start(app, &app.alpha.slug).await;
    let mut said = vec![opening];
    let script = crate::intake::DIVORCE_OPENING;
    assert!(book_a_divorce_consultation(app, &token, &script, &mut said).await);
    let intakes = app.get_json("/api/v1/intakes", &cal.admin.access).await;
    let booking = intakes["intakes"][0]["record"]["booking"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    set_twilio_token(app, &cal.admin.access, TOKEN_BEFORE).await;
    // Bravo has data too: a restore brings back every firm.
    let bravo = app.admin(&app.bravo).await;
    add_party(
        app,
        &bravo.access,
        json!({"name": "Olivia Brandt", "role": "client"}),
    )
    .await;
    Filled {
        admin: cal.admin,
        staff_email,
        party: party["id"].as_str().unwrap().to_owned(),
        booking,
    }
}

async fn set_twilio_token(app: &TestApp, token: &str, auth_token: &str) {
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/telephony",
            Some(token),
            Some(json!({
                "provider": "twilio",
                "numbers": ["+15035550100"],
                "twilio_account_sid": "AC0123456789abcdef0123456789abcdef",
                "twilio_auth_token": auth_token,
            })),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
}

/// Changes and deletions after the backup, which the restore must undo.
async fn change(app: &TestApp, f: &Filled) {
    let token = &f.admin.access;
    let resp = app
        .send(
            Method::DELETE,
            &format!("/api/v1/parties/{}", f.party),
            Some(token),
            None,
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    app.user_with_role(&app.alpha, "ATTORNEY").await;
    set_twilio_token(app, token, TOKEN_AFTER).await;
    let (t, _) = start(app, &app.bravo.slug).await;
    let (status, _) = say(app, &t, "yes").await;
    assert_eq!(status, StatusCode::OK);
}

/// A server on `settings` (no firms created: they come from the backup).
struct Served {
    base: String,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn serve(settings: Settings) -> Served {
    let app = hermes::startup::Application::build(settings)
        .await
        .expect("build the restored server");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    Served {
        base,
        client: reqwest::Client::new(),
        stop,
        task,
    }
}

impl Served {
    async fn login(&self, tenant: &str, email: &str) -> Option<String> {
        let resp = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"tenant": tenant, "email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        if resp.status() != StatusCode::OK {
            return None;
        }
        let body: Value = resp.json().await.unwrap();
        Some(body["access_token"].as_str().unwrap().to_owned())
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The masked credential as the API shows it: only readable if the sealed
/// value opened.
fn mask(secret: &str) -> String {
    format!("••••{}", &secret[secret.len() - 4..])
}

/// Backup → change → restore → serve, and compare. `target` is where the
/// restore goes (`None`: in place).
async fn round_trip(app: TestApp, target: Option<(TestDb, tempfile::TempDir)>) {
    let filled = fill(&app).await;
    let db = app.db.clone();
    let data_dir = app.data_dir.clone();
    let admin = admin_url(&db);
    let before = view(&app.client, &app.address, &filled.admin.access).await;
    let before_counts = counts(&db).await;
    assert_eq!(
        before["/api/v1/settings/telephony"]["twilio_auth_token"],
        mask(TOKEN_BEFORE)
    );

    // The backup, taken while the server runs.
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = {
        let mut cmd = hermes(&app.settings, admin.as_deref());
        cmd.args(["backup", "--output"]).arg(out.path());
        run(cmd)
    };
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("keep it as secret"), "{stdout}");
    let file: PathBuf = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "tar"))
        .expect("a backup file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup holds keys");
    }
    let manifest = hermes::backup::verify(&file).await.unwrap();
    assert_eq!(
        manifest.tables, before_counts,
        "the backup counted every row"
    );
    assert!(manifest.parts.iter().any(|p| p.name == "secret.keys"));
    assert!(manifest.parts.iter().any(|p| p.name.starts_with("keys/")));

    change(&app, &filled).await;
    assert_ne!(counts(&db).await, before_counts, "the changes changed rows");

    // A restore refuses while a server has the database open.
    if target.is_none() {
        let mut cmd = hermes(&app.settings, admin.as_deref());
        cmd.arg("restore").arg(&file);
        let (code, _, stderr) = run(cmd);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("in use"), "{stderr}");
    }
    let mut settings = app.settings.clone();
    app.stop().await;

    // Where the restore goes, and what is lost before it.
    let target_db = match target {
        None => {
            // The data directory's keys are lost: only the backup has them.
            std::fs::remove_file(data_dir.path().join("secret.keys")).unwrap();
            std::fs::remove_dir_all(data_dir.path().join("keys")).unwrap();
            db.clone()
        }
        Some((fresh, dir)) => {
            settings.database.url = Some(fresh.url().to_owned());
            settings.data_dir = dir.path().to_owned();
            // Kept alive by the leak below for the rest of the test.
            std::mem::forget(dir);
            std::sync::Arc::new(fresh)
        }
    };
    let target_admin = admin_url(&target_db);
    let (code, stdout, stderr) = {
        let mut cmd = hermes(&settings, target_admin.as_deref());
        cmd.arg("restore").arg(&file);
        run(cmd)
    };
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("every table's count checked"), "{stdout}");
    assert_eq!(counts(&target_db).await, before_counts, "every row is back");

    // Served again: the same firm, the sealed credential opens, people
    // sign in, the audit chain holds.
    let served = serve(settings.clone()).await;
    let token = served
        .login(&app_alpha_slug(), "admin@alpha.example")
        .await
        .expect("the admin signs in");
    assert!(
        served
            .login(&app_alpha_slug(), &filled.staff_email)
            .await
            .is_some(),
        "the staff member signs in"
    );
    let after = view(&served.client, &served.base, &token).await;
    assert_eq!(
        after["/api/v1/settings/telephony"]["twilio_auth_token"],
        mask(TOKEN_BEFORE),
        "the credential sealed before the backup opens"
    );
    for path in [
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/parties?limit=200",
        "/api/v1/intakes",
        "/api/v1/attorneys",
        "/api/v1/settings/hours",
    ] {
        assert_eq!(after[path], before[path], "{path}");
    }
    let resp = served
        .client
        .get(format!(
            "{}/api/v1/bookings/{}",
            served.base, filled.booking
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "the booking is back");
    // The audit log is the backup's (plus this login's entries).
    let old: Vec<&Value> = before["/api/v1/audit?limit=200"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let new: Vec<&Value> = after["/api/v1/audit?limit=200"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| old.iter().any(|o| o["seq"] == e["seq"]))
        .collect();
    assert_eq!(new, old);
    // An access token issued before the backup still verifies: the
    // signing keys came back with it.
    let resp = served
        .client
        .get(format!("{}/api/v1/me", served.base))
        .bearer_auth(&filled.admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    served.stop().await;

    let mut cmd = hermes(&settings, None);
    cmd.args(["audit", "verify", "--tenant", "alpha"]);
    let (code, stdout, stderr) = run(cmd);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("intact"), "{stdout}");
    drop(db);
}

fn app_alpha_slug() -> String {
    "alpha".into()
}

#[tokio::test]
async fn sqlite_round_trip_loses_nothing() {
    let app = spawn_app().await;
    round_trip(app, None).await;
}

#[tokio::test]
async fn postgres_round_trip_into_a_new_database_loses_nothing() {
    let Some(app) = spawn_app_pg().await else {
        return;
    };
    let Some(fresh) = TestDb::postgres().await else {
        return;
    };
    round_trip(app, Some((fresh, tempfile::tempdir().unwrap()))).await;
}

#[tokio::test]
async fn postgres_backup_needs_a_role_that_sees_every_row() {
    let Some(app) = spawn_app_pg().await else {
        return;
    };
    // The application's own role is subject to row-level security: its
    // dump would hold no firm's rows, so the backup refuses.
    let out = tempfile::tempdir().unwrap();
    let mut cmd = hermes(&app.settings, None);
    cmd.args(["backup", "--output"]).arg(out.path());
    let (code, _, stderr) = run(cmd);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("backup.database_url"), "{stderr}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_damaged_backup_is_refused_before_anything_changes() {
    let app = spawn_app().await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("b.tar");
    let mut cmd = hermes(&app.settings, None);
    cmd.args(["backup", "--output"]).arg(&file);
    let (code, _, stderr) = run(cmd);
    assert_eq!(code, 0, "{stderr}");
    // Refuses to overwrite.
    let mut cmd = hermes(&app.settings, None);
    cmd.args(["backup", "--output"]).arg(&file);
    let (code, _, stderr) = run(cmd);
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"), "{stderr}");

    // One byte flipped in the middle (inside the database copy).
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x5a;
    let bad = out.path().join("bad.tar");
    std::fs::write(&bad, &bytes).unwrap();
    let before = counts(&app.db).await;
    let settings = app.settings.clone();
    let db = app.db.clone();
    app.stop().await;
    let mut cmd = hermes(&settings, None);
    cmd.arg("restore").arg(&bad);
    let (code, _, stderr) = run(cmd);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("damaged"), "{stderr}");
    let mut cmd = hermes(&settings, None);
    cmd.args(["restore", "--check"]).arg(&bad);
    assert_eq!(run(cmd).0, 2);
    assert_eq!(counts(&db).await, before, "nothing was touched");
    // Not a backup at all.
    let junk = out.path().join("junk.tar");
    std::fs::write(&junk, b"hello").unwrap();
    let mut cmd = hermes(&settings, None);
    cmd.arg("restore").arg(&junk);
    let (code, _, stderr) = run(cmd);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a HERMES backup"), "{stderr}");
}

#[tokio::test]
async fn scheduled_backups_are_taken_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    // Three old backups: the newest is older than the interval, so the
    // server takes one at once (it was down when one was due), then keeps
    // two.
    let old: Vec<PathBuf> = (1..=3)
        .map(|d| {
            let at = "2024-01-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
                + chrono::Duration::days(d);
            let p = dir.path().join(hermes::backup::file_name(at));
            std::fs::write(&p, b"an old backup").unwrap();
            p
        })
        .collect();
    std::fs::write(dir.path().join("README"), b"not a backup").unwrap();
    let backups = dir.path().to_owned();
    let app = spawn_with(TestDb::sqlite(), move |s| {
        s.backup.dir = Some(backups);
        s.backup.every_minutes = 1;
        s.backup.keep = 2;
    })
    .await;
    let fresh = wait_for(dir.path(), |names| {
        let ours: Vec<_> = names
            .iter()
            .filter(|n| n.starts_with("hermes-") && n.ends_with(".tar"))
            .collect();
        ours.len() == 2 && ours.iter().any(|n| !n.starts_with("hermes-2024"))
    })
    .await;
    let newest = fresh
        .iter()
        .filter(|n| n.ends_with(".tar") && !n.starts_with("hermes-2024"))
        .max()
        .unwrap();
    assert!(!old[0].exists() && !old[1].exists(), "{fresh:?}");
    assert!(old[2].exists(), "the newest old one is kept: {fresh:?}");
    assert!(dir.path().join("README").exists());
    let manifest = hermes::backup::verify(&dir.path().join(newest))
        .await
        .unwrap();
    assert_eq!(manifest.backend, "sqlite");
    assert!(
        manifest.tables.contains_key("tenants"),
        "{:?}",
        manifest.tables
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("hermes_backups_total{result=\"ok\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("hermes_backup_last_success_timestamp_seconds"));
}

/// Two nodes sharing PostgreSQL and Redis: each period's backup is taken
/// by one of them, never both.
#[tokio::test]
async fn one_node_takes_each_scheduled_backup() {
    let Some(redis) = hermes_testkit::redis_url().await else {
        return;
    };
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let admin = admin_url(&db).unwrap();
    let prefix = format!("hermes-test-{}:", uuid::Uuid::new_v4().simple());
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let tweak = |dir: PathBuf| {
        let (redis, prefix, admin) = (redis.clone(), prefix.clone(), admin.clone());
        move |s: &mut Settings| {
            s.redis.url = Some(redis);
            s.redis.key_prefix = prefix;
            s.backup.database_url = Some(admin);
            s.backup.dir = Some(dir);
            s.backup.every_minutes = 1;
        }
    };
    let a = spawn_with(db, tweak(dir_a.path().to_owned())).await;
    let b = spawn_node(&a, tweak(dir_b.path().to_owned())).await;
    // Both started with no backup at all, so both found one due at once.
    let periods = || -> Vec<i64> {
        [dir_a.path(), dir_b.path()]
            .iter()
            .flat_map(|d| std::fs::read_dir(d).unwrap())
            .filter_map(|e| hermes::backup::taken_at(&e.unwrap().file_name().to_string_lossy()))
            .map(|t| t.timestamp() / 60)
            .collect()
    };
    for _ in 0..100 {
        if !periods().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Time for the other node to have taken one too, if it wrongly would.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let taken = periods();
    assert!(!taken.is_empty(), "no node took a backup");
    let mut distinct = taken.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        taken.len(),
        "a period backed up twice: {taken:?}"
    );
    drop((a, b));
}

/// Polls `dir` until `done` holds for its file names (30 s at most).
async fn wait_for(dir: &Path, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..300 {
        names = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if done(&names) {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never got there: {names:?}", dir.display());
}

// --- retention of transcripts -------------------------------------------

async fn transcripts_expire(app: TestApp) {
    let admin = app.admin(&app.alpha).await;
    // The firm keeps recordings and transcripts for 30 days.
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/telephony",
            Some(&admin.access),
            Some(json!({"provider": "twilio", "retention_days": 30})),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    // Two conversations that ended: one 40 days ago, one today.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (token, _) = start(&app, &app.alpha.slug).await;
        for line in ["yes", "my name is Maria Lopez"] {
            let (status, body) = say(&app, &token, line).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let resp = app
            .send(
                Method::POST,
                &format!("/api/v1/conversations/{token}/end"),
                None,
                None,
            )
            .await;
        assert!(resp.status().is_success());
        let list = app.get_json("/api/v1/intakes", &admin.access).await;
        ids.push(list["intakes"][0]["id"].as_str().unwrap().to_owned());
    }
    let old = &ids[0];
    let stamp = if app.db.is_postgres() {
        "now() - interval '40 days'".to_owned()
    } else {
        let at = chrono::Utc::now() - chrono::Duration::days(40);
        format!("'{}'", at.to_rfc3339())
    };
    let id_literal = if app.db.is_postgres() {
        format!("'{old}'::uuid")
    } else {
        format!("X'{}'", old.replace('-', ""))
    };
    app.db
        .execute_as_admin(&format!(
            "UPDATE intakes SET created_at = {stamp} WHERE id = {id_literal}"
        ))
        .await;

    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/api/v1/intakes/{id}"))
        .collect();
    let read = |i: usize| app.get_json(&paths[i], &admin.access);
    let was = read(0).await;
    assert!(was.to_string().contains("my name is Maria Lopez"), "{was}");

    let done = hermes_api::voice::record::sweep_transcripts(&app.state).await;
    assert_eq!(done, 1);
    let gone = read(0).await;
    let lines = gone["record"]["transcript"].as_array().unwrap();
    assert_eq!(
        lines.len(),
        was["record"]["transcript"].as_array().unwrap().len()
    );
    assert!(lines.iter().all(|l| l["text"] == ""), "{lines:?}");
    assert!(!gone.to_string().contains("my name is"), "{gone}");
    // The firm's record stays.
    assert_eq!(gone["caller_name"], was["caller_name"]);
    assert_eq!(gone["record"]["fields"], was["record"]["fields"]);
    assert_eq!(gone["status"], was["status"]);
    let kept = read(1).await;
    assert!(
        kept.to_string().contains("my name is Maria Lopez"),
        "{kept}"
    );
    // Audited, once; a second sweep has nothing to do.
    let audit = app
        .get_json("/api/v1/audit?action=transcript.expire", &admin.access)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(
        hermes_api::voice::record::sweep_transcripts(&app.state).await,
        0
    );
}

#[tokio::test]
async fn transcripts_past_retention_lose_their_words_sqlite() {
    transcripts_expire(spawn_app().await).await;
}

#[tokio::test]
async fn transcripts_past_retention_lose_their_words_postgres() {
    let Some(app) = spawn_app_pg().await else {
        return;
    };
    transcripts_expire(app).await;
}
