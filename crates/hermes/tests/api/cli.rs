//! The `hermes` binary itself: embedded defaults, the demo firm, commands,
//! configuration errors, graceful shutdown, and what reaches the logs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::PASSWORD;

fn hermes(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hermes"));
    cmd.current_dir(cwd);
    // Start from a clean slate: no inherited HERMES_* settings.
    for (k, _) in std::env::vars() {
        if k.starts_with("HERMES_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

struct Server {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    url: String,
    printed: Vec<String>,
}

impl Server {
    /// Starts `hermes serve` and waits for the line with its URL.
    fn start(mut cmd: Command) -> Server {
        let mut child = cmd
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut printed = Vec::new();
        let url = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no URL printed; stderr:\n{}", stderr.lock().unwrap()));
            printed.push(line.clone());
            if let Some(rest) = line.trim().strip_prefix("HERMES is listening on ") {
                break rest.trim().to_owned();
            }
        };
        Server {
            child,
            stdout: rx,
            stderr,
            url,
            printed,
        }
    }

    fn printed_value(&self, label: &str) -> Option<String> {
        self.printed
            .iter()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
    }

    /// SIGTERM, then the exit status.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                let _ = self.stdout.try_recv();
                return (status, self.stderr.lock().unwrap().clone());
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn login(url: &str, tenant: &str, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"tenant": tenant, "email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn embedded_defaults_start_with_a_demo_firm() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hermes(dir.path());
    // Everything default, except a free port so tests can run side by side.
    cmd.env("HERMES_SERVER__BIND", "127.0.0.1:0");
    let server = Server::start(cmd);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let tenant = server
        .printed_value("tenant:")
        .expect("demo tenant printed");
    let email = server.printed_value("email:").expect("demo email printed");
    let password = server
        .printed_value("password:")
        .expect("demo password printed");
    assert_eq!(tenant, "demo");

    let resp = login(&server.url, &tenant, &email, &password).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let me: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/me", server.url))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["tenant"]["slug"], "demo");
    assert_eq!(me["role"], "ADMIN");

    // The demo firm is ready to try: consultations can be offered and a
    // conflict check finds its sample client.
    let token = body["access_token"].as_str().unwrap();
    let client = reqwest::Client::new();
    let offers: Value = client
        .get(format!(
            "{}/api/v1/availability/offers?practice_area=family",
            server.url
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(offers["options"].as_array().unwrap().len(), 3, "{offers}");
    let check: Value = client
        .post(format!("{}/api/v1/conflicts/check", server.url))
        .bearer_auth(token)
        .json(&serde_json::json!({"parties": [{"name": "Bill Turner", "role": "adverse"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["status"], "conflict", "{check}");

    // Everything lives under ./data: SQLite in WAL mode, a private key.
    let data = dir.path().join("data");
    assert!(data.join("hermes.db").is_file());
    assert!(
        data.join("hermes.db-wal").exists(),
        "SQLite is not in WAL mode"
    );
    let key = std::fs::read_dir(data.join("keys"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(data.join("hermes.db"))
                .unwrap()
                .permissions()
                .mode()
                & 0o077,
            0,
            "the database must not be readable by other users"
        );
    }
    let (status, _) = server.terminate();
    assert!(status.success(), "{status:?}");

    // A second start keeps the firm and does not print a password again.
    let mut cmd = hermes(dir.path());
    cmd.env("HERMES_SERVER__BIND", "127.0.0.1:0");
    let again = Server::start(cmd);
    assert!(again.printed_value("password:").is_none());
    assert_eq!(
        login(&again.url, &tenant, &email, &password).await.status(),
        StatusCode::OK
    );
    let (status, _) = again.terminate();
    assert!(status.success());
}

#[tokio::test]
async fn logs_never_contain_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hermes(dir.path());
    cmd.env("HERMES_SERVER__BIND", "127.0.0.1:0")
        .env("HERMES_LOG__FORMAT", "json")
        .env("RUST_LOG", "trace");
    let server = Server::start(cmd);
    let password = server.printed_value("password:").unwrap();
    let resp = login(&server.url, "demo", "admin@demo.example", &password).await;
    let tokens: Value = resp.json().await.unwrap();
    let client = reqwest::Client::new();
    let refreshed: Value = client
        .post(format!("{}/api/v1/auth/refresh", server.url))
        .json(&json!({"refresh_token": tokens["refresh_token"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    client
        .get(format!("{}/api/v1/me", server.url))
        .bearer_auth(refreshed["access_token"].as_str().unwrap())
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    login(
        &server.url,
        "demo",
        "admin@demo.example",
        "a wrong guess here",
    )
    .await;
    let (_, logs) = server.terminate();
    assert!(logs.contains("trace-me-123"), "request ids are logged");
    assert!(
        logs.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "JSON logs"
    );
    for secret in [
        password.as_str(),
        "a wrong guess here",
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
        refreshed["access_token"].as_str().unwrap(),
        refreshed["refresh_token"].as_str().unwrap(),
        "admin@demo.example",
    ] {
        assert!(
            !logs.contains(secret),
            "a secret reached the logs: {secret:.12}…"
        );
    }
}

#[tokio::test]
async fn tenant_and_user_commands() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = hermes(dir.path());
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&["migrate"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(
        &[
            "tenant",
            "create",
            "--slug",
            "smith-jones",
            "--name",
            "Smith & Jones",
            "--time-zone",
            "America/New_York",
            "--admin-email",
            "boss@sj.example",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("generated password printed")
        .to_owned();

    let out = run(
        &[
            "tenant",
            "create",
            "--slug",
            "chosen",
            "--name",
            "Chosen",
            "--time-zone",
            "UTC",
            "--admin-email",
            "a@chosen.example",
        ],
        &[("HERMES_ADMIN_PASSWORD", PASSWORD)],
    );
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("password:"),
        "no password printed when chosen"
    );

    let out = run(
        &[
            "user",
            "create",
            "--tenant",
            "smith-jones",
            "--email",
            "para@sj.example",
            "--name",
            "Para Legal",
            "--role",
            "STAFF",
        ],
        &[("HERMES_USER_PASSWORD", PASSWORD)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Bad input: clear message naming the argument, exit code 2.
    for (args, needle) in [
        (
            vec![
                "tenant",
                "create",
                "--slug",
                "smith-jones",
                "--name",
                "X",
                "--time-zone",
                "UTC",
                "--admin-email",
                "x@x.example",
            ],
            "already exists",
        ),
        (
            vec![
                "tenant",
                "create",
                "--slug",
                "ok-slug",
                "--name",
                "X",
                "--time-zone",
                "CST",
                "--admin-email",
                "x@x.example",
            ],
            "--time-zone",
        ),
        (
            vec![
                "tenant",
                "create",
                "--slug",
                "Bad Slug",
                "--name",
                "X",
                "--time-zone",
                "UTC",
                "--admin-email",
                "x@x.example",
            ],
            "--slug",
        ),
        (
            vec![
                "user",
                "create",
                "--tenant",
                "nobody",
                "--email",
                "a@b.example",
                "--name",
                "A",
                "--role",
                "STAFF",
            ],
            "no firm",
        ),
        (
            vec![
                "user",
                "create",
                "--tenant",
                "chosen",
                "--email",
                "a@b.example",
                "--name",
                "A",
                "--role",
                "OWNER",
            ],
            "--role",
        ),
    ] {
        let out = run(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }

    let out = run(&["tenant", "list"], &[]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(list.contains("smith-jones") && list.contains("chosen"));

    // Plans: the operator moves a firm; a bad plan is named.
    let out = run(
        &["tenant", "plan", "--tenant", "smith-jones", "enterprise"],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("on the enterprise plan (was free)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(&["tenant", "plan", "--tenant", "smith-jones", "gold"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan"));

    // The accounts work against a server on the same data.
    let mut cmd = hermes(dir.path());
    cmd.env("HERMES_SERVER__BIND", "127.0.0.1:0");
    let server = Server::start(cmd);
    assert!(
        server.printed_value("password:").is_none(),
        "no demo firm when firms exist"
    );
    assert_eq!(
        login(&server.url, "smith-jones", "boss@sj.example", &generated)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&server.url, "chosen", "a@chosen.example", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&server.url, "smith-jones", "para@sj.example", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    // An Enterprise firm with an office cannot be moved off Enterprise
    // until the office is gone.
    let boss: Value = login(&server.url, "smith-jones", "boss@sj.example", &generated)
        .await
        .json()
        .await
        .unwrap();
    let resp = reqwest::Client::new()
        .put(format!("{}/api/v1/settings/offices", server.url))
        .bearer_auth(boss["access_token"].as_str().unwrap())
        .json(&json!({"offices": [{
            "key": "boston", "name": "Boston", "time_zone": "America/New_York",
            "phone_numbers": ["+16175550100"],
            "hours": {"weekly": {}, "after_hours": "take_message"},
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let (status, _) = server.terminate();
    assert!(status.success());
    let out = run(
        &["tenant", "plan", "--tenant", "smith-jones", "professional"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 office(s)"), "{stderr}");
    let out = run(&["tenant", "list"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("enterprise"));
}

#[tokio::test]
async fn configuration_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (env, needle) in [
        (("HERMES_SERVER__BIND", "not-an-address"), "server.bind"),
        (("HERMES_DATABASE__URL", "mysql://x"), "database.url"),
        (
            ("HERMES_RATE_LIMIT__AUTH_PER_MINUTE", "-3"),
            "rate_limit.auth_per_minute",
        ),
        (("HERMES_SERVR__BIND", "127.0.0.1:0"), "servr"),
    ] {
        let out = hermes(dir.path())
            .env(env.0, env.1)
            .arg("serve")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{env:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{env:?}: {stderr}");
    }
    std::fs::write(
        dir.path().join("bad.toml"),
        "[server]\nbody_limit_bytes = \"big\"\n",
    )
    .unwrap();
    let out = hermes(dir.path())
        .args(["--config", "bad.toml", "serve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.body_limit_bytes"));
    assert!(
        !dir.path().join("data").exists(),
        "nothing created on a bad configuration"
    );
}

#[tokio::test]
async fn serves_on_postgres() {
    let Some(db) = hermes_testkit::TestDb::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hermes(dir.path());
    cmd.env("HERMES_SERVER__BIND", "127.0.0.1:0")
        .env("HERMES_DATABASE__URL", db.url())
        .env("HERMES_DEMO__SEED", "true");
    let server = Server::start(cmd);
    let password = server
        .printed_value("password:")
        .expect("demo seeded on an empty PostgreSQL");
    assert_eq!(
        login(&server.url, "demo", "admin@demo.example", &password)
            .await
            .status(),
        StatusCode::OK
    );
    let ready: Value = reqwest::get(format!("{}/readyz", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    let (status, _) = server.terminate();
    assert!(status.success());
    // No SQLite file was made on the side.
    assert!(!dir.path().join("data/hermes.db").exists());
}

#[test]
fn a_scripted_chat_prints_the_intake_it_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("call.txt");
    std::fs::write(
        &script,
        "# a caller with a hearing tomorrow\n\
         yes\n\
         my name is Maria Lopez\n\
         L-O-P-E-Z\n\
         five oh three, five five five, zero one zero zero\n\
         yes\n\
         no\n\
         yes\n\
         myself\n\
         \n\
         I have a custody hearing tomorrow and no lawyer\n\
         yes\n\
         what should I tell the police?\n",
    )
    .unwrap();
    // The embedded defaults (the demo firm) in an empty directory.
    let out = hermes(dir.path())
        .args(["chat", "--tenant", "demo", "--script"])
        .arg(&script)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // stdout is the intake alone, as JSON; the conversation is on stderr.
    let intake: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert!(
        stderr.contains("agent: Thank you for calling Demo Law Group"),
        "{stderr}"
    );
    assert!(stderr.contains("caller: L-O-P-E-Z"), "{stderr}");
    assert!(
        !stderr.contains("a caller whose son"),
        "comments are not said"
    );
    assert_eq!(intake["channel"], "text");
    assert_eq!(intake["caller_name"], "Maria Lopez");
    assert_eq!(intake["practice_area"], "family", "{stderr}");
    assert_eq!(intake["urgency"], "urgent");
    let record = &intake["record"];
    assert_eq!(record["fields"]["phone"]["value"], "+15035550100");
    // The script ended mid-call: a hang-up, everything kept.
    assert_eq!(intake["status"], "abandoned");
    assert!(
        record["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["text"] == "what should I tell the police?")
    );
    assert!(stderr.contains("can't give legal advice"), "{stderr}");

    // Unknown firm: a clear error, non-zero exit.
    let out = hermes(dir.path())
        .args(["chat", "--tenant", "nobody-here", "--script"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no firm with slug"));
}

#[test]
fn an_interactive_chat_reads_the_terminal_until_the_caller_leaves() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = hermes(dir.path())
        .args(["chat", "--tenant", "demo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Two answers, then the terminal closes: the caller has gone.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"yes\nMaria Lopez\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("agent: Thank you for calling Demo Law Group"),
        "{stdout}"
    );
    assert!(stdout.contains("you: agent: Thank you."), "{stdout}");
    assert!(
        stdout.contains("Could you spell your last name"),
        "{stdout}"
    );
    assert!(stdout.contains("status abandoned"), "{stdout}");
}
