//! The production front: Debian's nginx with the shipped configuration
//! (deploy/nginx/hermes.conf, unchanged) and a certificate from a test CA,
//! in front of two real `hermes serve` processes on one PostgreSQL
//! database and the machine's Redis, sharing their signing keys.
//!
//! Everything goes through nginx over TLS, as a client on the internet
//! would: the HTTP→HTTPS redirect, sign-in and the API, live updates,
//! nginx's own rate limit on sign-in, failover when a node is killed
//! mid-traffic, a revoked token on both nodes, an escalation email sent
//! once by two outbox workers; and (`local_stack_nginx_…`, on the real
//! speech engines, run alone with the other real-time tests) a Twilio
//! media-stream call and a browser call, the latter surviving its node's
//! SIGTERM until it hangs up.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hermes_testkit::TestDb;
use hermes_testkit::notify::{SmtpServer, free_port};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::PASSWORD;

const SLUG: &str = "alpha";
const ADMIN: &str = "admin@alpha.example";
const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "f00dfeedfacecafe9876543210fedcba";
/// HERMES's Content-Security-Policy for the API (middleware.rs).
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

// --------------------------------------------------------------- the stack --

/// Debian's nginx (scripts/debian.sh --tests installs it).
fn nginx_binary() -> PathBuf {
    let found = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("nginx is not installed (scripts/debian.sh --tests installs Debian's package)")
    })
}

/// The shipped configuration.
fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nginx")
}

/// A test CA, and a certificate it signed for 127.0.0.1 and localhost:
/// writes nginx's certificate chain and key into `dir`, returns the TLS
/// configuration of a client that trusts that CA and nothing else.
fn certificates(dir: &Path) -> Arc<rustls::ClientConfig> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "HERMES nginx test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = leaf.signed_by(&key, &ca).unwrap();
    std::fs::write(
        dir.join("fullchain.pem"),
        format!("{}{}", cert.pem(), ca.pem()),
    )
    .unwrap();
    std::fs::write(dir.join("privkey.pem"), key.serialize_pem()).unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// `hermes` with no inherited HERMES_* settings (the node's come from its
/// file) and its log at `info`.
fn hermes() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hermes"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HERMES_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

/// One `hermes serve` process.
struct Node {
    name: &'static str,
    port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Node {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().and_then(Child::id).expect("running")
    }

    async fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = hermes()
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawning hermes serve");
        self.child = Some(child);
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = http.get(self.url("/readyz")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("node {} exited ({status}):\n{}", self.name, self.log());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("node {} never became ready:\n{}", self.name, self.log());
    }

    /// Waits until this node's log says its speech engines have loaded.
    async fn engines_loaded(&self) {
        for _ in 0..1200 {
            let log = self.log();
            if log.contains("local speech engines loaded") {
                return;
            }
            assert!(
                !log.contains("no local speech engines"),
                "node {}: the local speech engines did not load (run scripts/models.sh):\n{log}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "node {}: speech engines still loading after 2 minutes",
            self.name
        );
    }

    fn signal(&self, signal: &str) {
        let ok = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal} node {}", self.name);
    }

    /// SIGKILL: the node dies mid-whatever, as a crashed machine would.
    async fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }

    /// Waits up to `within` for the process to exit.
    async fn exited_within(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut().expect("started");
        let status = tokio::time::timeout(within, child.wait()).await.ok()?;
        self.child = None;
        Some(status.unwrap())
    }

    fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// This node's Prometheus exposition, asked directly (not through
    /// nginx, which refuses it).
    async fn metrics(&self) -> String {
        let resp = reqwest::get(self.url("/metrics")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    }
}

/// The sum of a metric's samples whose labels contain every one of
/// `labels` (`key="value"` strings).
fn metric(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// nginx (master and workers), stopped gracefully on drop so no worker
/// outlives the test holding its ports.
struct Nginx {
    child: Child,
    pid: u32,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        for _ in 0..100 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.start_kill();
    }
}

struct Options {
    local_engines: bool,
    smtp: bool,
}

struct Stack {
    dir: tempfile::TempDir,
    /// The HTTPS base URL, through nginx.
    base: String,
    https_port: u16,
    http_port: u16,
    client: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
    nodes: Vec<Node>,
    smtp: Option<SmtpServer>,
    // Dropped last: nginx, then the database.
    _nginx: Nginx,
    _db: TestDb,
}

/// Four distinct free ports.
fn ports() -> [u16; 4] {
    loop {
        let p = [free_port(), free_port(), free_port(), free_port()];
        let mut sorted = p.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() == 4 {
            return p;
        }
    }
}

impl Stack {
    /// nginx and two nodes; `None` (skip) only outside CI when PostgreSQL,
    /// Redis or the SMTP server is missing.
    async fn start(opts: Options) -> Option<Stack> {
        let nginx = nginx_binary();
        let db = TestDb::postgres().await?;
        let redis = hermes_testkit::redis_url().await?;
        let smtp = match opts.smtp {
            true => Some(SmtpServer::start().await?),
            false => None,
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let [http_port, https_port, port_a, port_b] = ports();
        let base = format!("https://127.0.0.1:{https_port}");

        // nginx's tree: the main file and this deployment's three files,
        // beside the shipped configuration, linked unchanged.
        let conf = root.join("nginx");
        let site = conf.join("hermes");
        std::fs::create_dir_all(&site).unwrap();
        let tls = certificates(&conf);
        std::os::unix::fs::symlink(deploy_dir().join("hermes.conf"), site.join("hermes.conf"))
            .unwrap();
        std::fs::write(
            site.join("upstream.conf"),
            format!(
                "server 127.0.0.1:{port_a} max_fails=1 fail_timeout=10s;\n\
                 server 127.0.0.1:{port_b} max_fails=1 fail_timeout=10s;\n"
            ),
        )
        .unwrap();
        let log = conf.join("access.log");
        std::fs::write(
            site.join("server-http.conf"),
            format!(
                "listen 127.0.0.1:{http_port};\nserver_name localhost;\naccess_log {} hermes;\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::write(
            site.join("server-https.conf"),
            format!(
                "listen 127.0.0.1:{https_port} ssl http2;\nserver_name localhost;\n\
                 ssl_certificate {0}/fullchain.pem;\nssl_certificate_key {0}/privkey.pem;\n\
                 access_log {1} hermes;\n",
                conf.display(),
                log.display()
            ),
        )
        .unwrap();
        let temp = conf.join("temp");
        std::fs::create_dir_all(&temp).unwrap();
        std::fs::write(
            conf.join("nginx.conf"),
            format!(
                "worker_processes 1;\n\
                 pid {0}/nginx.pid;\n\
                 error_log {0}/error.log info;\n\
                 events {{ worker_connections 512; }}\n\
                 http {{\n\
                 \x20   default_type application/octet-stream;\n\
                 \x20   client_body_temp_path {1}/body;\n\
                 \x20   proxy_temp_path {1}/proxy;\n\
                 \x20   fastcgi_temp_path {1}/fastcgi;\n\
                 \x20   uwsgi_temp_path {1}/uwsgi;\n\
                 \x20   scgi_temp_path {1}/scgi;\n\
                 \x20   include hermes/hermes.conf;\n\
                 }}\n",
                conf.display(),
                temp.display()
            ),
        )
        .unwrap();
        // Run as root, nginx's workers drop to an unprivileged user: they
        // must be able to reach their temporary files.
        {
            use std::os::unix::fs::PermissionsExt;
            for d in [&root, &conf] {
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let nginx_args = |extra: &[&str]| {
            let mut cmd = Command::new(&nginx);
            cmd.arg("-p")
                .arg(&conf)
                .arg("-c")
                .arg(conf.join("nginx.conf"))
                .arg("-e")
                .arg(conf.join("error.log"))
                .args(extra);
            cmd
        };
        let checked = nginx_args(&["-t"]).output().await.unwrap();
        let said = String::from_utf8_lossy(&checked.stderr);
        assert!(
            checked.status.success() && said.contains("test is successful"),
            "nginx -t refused the shipped configuration:\n{said}"
        );

        // The nodes: one database, one Redis (a prefix of their own), one
        // key directory and one data-at-rest key file; nginx is their
        // only trusted proxy, and its URL their public one.
        let prefix = format!("hermes-nginx-{}:", uuid::Uuid::new_v4().simple());
        let smtp_toml = smtp.as_ref().map_or(String::new(), |s| {
            format!(
                "[notify.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
                 from = \"HERMES <alerts@hermes.example>\"\n",
                s.port
            )
        });
        let mut nodes = Vec::new();
        for (name, port) in [("a", port_a), ("b", port_b)] {
            let data = root.join(format!("node-{name}"));
            std::fs::create_dir_all(&data).unwrap();
            let config = root.join(format!("node-{name}.toml"));
            std::fs::write(
                &config,
                format!(
                    r#"data_dir = "{data}"
[server]
bind = "127.0.0.1:{port}"
public_url = "{base}"
trusted_proxies = ["127.0.0.1/32"]
shutdown_grace_secs = 5
[database]
url = "{db}"
max_connections = 6
[redis]
url = "{redis}"
key_prefix = "{prefix}"
[auth]
keys_dir = "{root}/keys"
[rate_limit]
auth_per_minute = 10000
anonymous_per_minute = 10000
principal_per_minute = 100000
tenant_per_minute = 100000
[agent]
embedding = false
models_dir = "{models}"
[voice]
local_engines = {engines}
public_url = "{base}"
secrets_file = "{root}/secret.keys"
stt_threads = 1
[notify]
poll_ms = 200
{smtp_toml}"#,
                    data = data.display(),
                    db = db.url(),
                    root = root.display(),
                    models = crate::helpers::models_dir().display(),
                    engines = opts.local_engines,
                ),
            )
            .unwrap();
            nodes.push(Node {
                name,
                port,
                config,
                log: root.join(format!("node-{name}.log")),
                child: None,
            });
        }

        // The firm, made as an operator would (this also migrates).
        let made = hermes()
            .arg("--config")
            .arg(&nodes[0].config)
            .args(["tenant", "create", "--slug", SLUG, "--name", "Alpha Law"])
            .args(["--time-zone", "America/Chicago", "--admin-email", ADMIN])
            .env("HERMES_ADMIN_PASSWORD", PASSWORD)
            .output()
            .await
            .unwrap();
        assert!(
            made.status.success(),
            "tenant create: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        // One after the other: the first makes the keys the second loads.
        for node in &mut nodes {
            node.start().await;
        }

        let child = nginx_args(&["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nginx");
        let pid = child.id().unwrap();
        let nginx = Nginx { child, pid };
        let client = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut up = false;
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await
                && r.status() == StatusCode::OK
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            up,
            "nginx did not answer on {base}:\n{}",
            std::fs::read_to_string(conf.join("error.log")).unwrap_or_default()
        );
        Some(Stack {
            dir,
            base,
            https_port,
            http_port,
            client,
            tls,
            nodes,
            smtp,
            _nginx: nginx,
            _db: db,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// Signs the admin in through nginx: the access token.
    async fn sign_in(&self) -> String {
        let resp = self
            .send(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"tenant": SLUG, "email": ADMIN, "password": PASSWORD})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn get_json(&self, path: &str, bearer: &str) -> Value {
        let resp = self.send(Method::GET, path, Some(bearer), None).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        resp.json().await.unwrap()
    }

    /// A WebSocket through nginx (wss, trusting the test CA only).
    async fn websocket(&self, url: &str) -> Socket {
        let connector = tokio_tungstenite::Connector::Rustls(self.tls.clone());
        let (ws, _) =
            tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(connector))
                .await
                .unwrap_or_else(|e| panic!("connecting {url}: {e}"));
        ws
    }

    fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nginx/access.log")).unwrap_or_default()
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nginx/error.log")).unwrap_or_default()
    }

    /// The node holding calls right now, by its own gauge.
    async fn node_with_a_call(&self) -> usize {
        for _ in 0..50 {
            for (i, node) in self.nodes.iter().enumerate() {
                if metric(&node.metrics().await, "hermes_calls_active", &[]) >= 1.0 {
                    return i;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no node reports a call in progress");
    }
}

// ------------------------------------------------------------- the API ----

/// What a text-channel caller says, each line made unique per
/// conversation so it can be found in its intake afterwards.
const TEXT_LINES: &[&str] = &["yes", "my name is Maria Lopez", "L-O-P-E-Z"];

/// A conversation driven through nginx, and the lines it got a 2xx for.
struct Conversation {
    said: Vec<String>,
}

/// What the clients saw while a node died.
#[derive(Default)]
struct Traffic {
    reads_ok: usize,
    /// Idempotent requests that failed: must stay empty (nginx retries
    /// them on the other node).
    reads_failed: Vec<String>,
    /// Non-idempotent requests that failed (and were sent again).
    writes_failed: Vec<String>,
    writes_ok: usize,
    conversations: Vec<Conversation>,
}

/// A POST through nginx, sent again until it gets a 2xx (at most 20
/// times); each failure is recorded.
async fn post_until_ok(
    client: &reqwest::Client,
    url: &str,
    body: Option<Value>,
    failed: &mut Vec<String>,
) -> Value {
    for _ in 0..20 {
        let mut req = client.post(url);
        if let Some(b) = &body {
            req = req.json(b);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => return r.json().await.unwrap(),
            Ok(r) => failed.push(format!("POST {}: {}", redact(url), r.status())),
            Err(e) => failed.push(format!("POST {}: {e}", redact(url))),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("POST {} kept failing: {failed:#?}", redact(url));
}

/// A conversation URL without its token.
fn redact(url: &str) -> String {
    match url.split_once("/conversations/") {
        Some((head, tail)) => format!(
            "{head}/conversations/-/{}",
            tail.split_once('/').map_or("", |t| t.1)
        ),
        None => url.to_owned(),
    }
}

/// Text conversations, one after another, until `stop`.
async fn converse(
    client: reqwest::Client,
    base: String,
    k: usize,
    stop: Arc<AtomicBool>,
) -> Traffic {
    let mut t = Traffic::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) && n < 40 {
        let started = post_until_ok(
            &client,
            &format!("{base}/api/v1/tenants/{SLUG}/conversations"),
            None,
            &mut t.writes_failed,
        )
        .await;
        t.writes_ok += 1;
        let token = started["conversation_id"].as_str().unwrap().to_owned();
        let mut said = Vec::new();
        for (i, line) in TEXT_LINES.iter().enumerate() {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let text = format!("{line} (ref {k}-{n}-{i})");
            post_until_ok(
                &client,
                &format!("{base}/api/v1/conversations/{token}/messages"),
                Some(json!({"text": text})),
                &mut t.writes_failed,
            )
            .await;
            t.writes_ok += 1;
            said.push(text);
        }
        t.conversations.push(Conversation { said });
        n += 1;
    }
    t
}

/// Reads (GET: idempotent), paced, until `stop`.
async fn read(
    client: reqwest::Client,
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
) -> Traffic {
    let mut t = Traffic::default();
    while !stop.load(Ordering::Relaxed) {
        for path in [
            "/api/v1/me",
            "/api/v1/intakes?limit=5",
            "/api/v1/calls?limit=5",
        ] {
            match client
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
            {
                Ok(r) if r.status() == StatusCode::OK => t.reads_ok += 1,
                Ok(r) => t.reads_failed.push(format!("GET {path}: {}", r.status())),
                Err(e) => t.reads_failed.push(format!("GET {path}: {e}")),
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
    t
}

/// Every intake's transcript, as text, read through the API.
async fn transcripts(stack: &Stack, token: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let path = match &before {
            Some(b) => format!("/api/v1/intakes?limit=200&before={b}"),
            None => "/api/v1/intakes?limit=200".to_owned(),
        };
        let page = stack.get_json(&path, token).await;
        for i in page["intakes"].as_array().unwrap() {
            let id = i["id"].as_str().unwrap();
            let one = stack
                .get_json(&format!("/api/v1/intakes/{id}"), token)
                .await;
            out.push(one["record"]["transcript"].to_string());
            // Within nginx's API rate (20 a second).
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
        match page["next_before"].as_str() {
            Some(b) => before = Some(b.to_owned()),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_fronts_two_nodes_with_failover_one_revocation_and_one_outbox() {
    let Some(mut stack) = Stack::start(Options {
        local_engines: false,
        smtp: true,
    })
    .await
    else {
        return;
    };

    // Plain HTTP is sent to HTTPS, path and query kept.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = plain
        .get(format!(
            "http://127.0.0.1:{}/api/v1/me?from=plain-http",
            stack.http_port
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        resp.headers()["location"],
        "https://127.0.0.1/api/v1/me?from=plain-http"
    );

    // Sign-in and the API over TLS. HERMES saw the TLS (nginx said so,
    // and HERMES believes nginx): HSTS, once; its own CSP, once.
    let token = stack.sign_in().await;
    let resp = stack
        .send(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert_eq!(h.get_all("strict-transport-security").iter().count(), 1);
    assert_eq!(h.get_all("content-security-policy").iter().count(), 1);
    assert_eq!(h["content-security-policy"], API_CSP);
    assert_eq!(h.get_all("x-content-type-options").iter().count(), 1);
    assert!(h.contains_key("x-request-id"), "{h:?}");
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["email"], ADMIN, "{me}");

    // Requests reach both nodes (each counts its own).
    for _ in 0..20 {
        let resp = stack
            .send(Method::GET, "/api/v1/me", Some(&token), None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    for node in &stack.nodes {
        let served = metric(
            &node.metrics().await,
            "hermes_http_requests_total",
            &["route=\"/api/v1/me\"", "status=\"200\""],
        );
        assert!(served >= 1.0, "node {} served no request", node.name);
    }

    // /metrics is not public: refused by nginx, in HERMES's error shape;
    // each node answers it on its own port (above).
    let resp = stack.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(!resp.headers().contains_key("x-request-id"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden", "{body}");

    // Text responses are compressed; live events are not, and arrive as
    // they happen, from whichever node they happened on.
    let resp = stack
        .client
        .get(stack.url("/api/v1/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let mut events = stack
        .client
        .get(stack.url("/api/v1/events"))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    assert!(
        events.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(!events.headers().contains_key("content-encoding"));
    // (The stream's node subscribed before it answered: the event below,
    // published by whichever node takes the POST, reaches it via Redis.)
    let resp = stack
        .send(
            Method::POST,
            &format!("/api/v1/tenants/{SLUG}/conversations"),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mut seen = String::new();
    let got_event = tokio::time::timeout(Duration::from_secs(15), async {
        while !seen.contains("event: intake") {
            match events.chunk().await.unwrap() {
                Some(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                None => return false,
            }
        }
        true
    })
    .await;
    assert!(
        matches!(got_event, Ok(true)),
        "no live event through nginx: {seen:?}"
    );
    drop(events);

    // HERMES believes X-Forwarded-For from nginx only, and nginx replaces
    // whatever a client sends: a forged address is not recorded.
    let resp = stack
        .client
        .post(stack.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"tenant": SLUG, "email": ADMIN, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let audit = stack
        .get_json("/api/v1/audit?action=auth.login", &token)
        .await;
    let entries = audit["entries"].as_array().unwrap();
    assert!(entries.len() >= 2, "{audit:#}");
    for e in entries {
        assert_eq!(e["ip"], "127.0.0.1", "{e:#}");
    }

    // A token signed out through nginx is refused by both nodes at once.
    let session = stack.sign_in().await;
    for node in &stack.nodes {
        let resp = reqwest::Client::new()
            .get(node.url("/api/v1/me"))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "node {}", node.name);
    }
    let resp = stack
        .send(Method::POST, "/api/v1/auth/logout", Some(&session), None)
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    for node in &stack.nodes {
        let resp = reqwest::Client::new()
            .get(node.url("/api/v1/me"))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::UNAUTHORIZED,
            "node {} still takes a revoked token",
            node.name
        );
    }

    // An escalation: the outbox job is sent once, though both nodes'
    // workers poll every 200 ms.
    let resp = stack
        .send(
            Method::PUT,
            "/api/v1/settings/escalation",
            Some(&token),
            Some(json!({"contacts": [
                {"name": "Dana Whitfield", "phone": "+15035550111", "email": "dana@alpha.example"},
            ]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let started: Value = stack
        .send(
            Method::POST,
            &format!("/api/v1/tenants/{SLUG}/conversations"),
            None,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let conversation = started["conversation_id"].as_str().unwrap();
    let mut replies = Vec::new();
    for line in crate::intake::DIVORCE_OPENING[..8]
        .iter()
        .copied()
        .chain(["my son was arrested last night and he's in jail"])
    {
        let resp = stack
            .send(
                Method::POST,
                &format!("/api/v1/conversations/{conversation}/messages"),
                None,
                Some(json!({"text": line})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{line}");
        let body: Value = resp.json().await.unwrap();
        replies.push(body["reply"].as_str().unwrap_or_default().to_owned());
    }
    assert!(
        replies.iter().any(|r| r.contains("urgent")),
        "the agent did not flag it: {replies:#?}"
    );
    let smtp = stack.smtp.as_ref().unwrap();
    let mail = smtp.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(mail.len(), 1, "no escalation email arrived");
    // Long enough for each worker to poll a dozen more times.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.messages().len(), 1, "the job ran more than once");
    let jobs = stack.get_json("/api/v1/notifications", &token).await;
    let jobs = jobs["notifications"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:#?}");
    assert_eq!(jobs[0]["status"], "sent");
    assert_eq!(jobs[0]["attempts"], 1);

    // A node dies (SIGKILL) in the middle of steady traffic.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(read(
        stack.client.clone(),
        stack.base.clone(),
        token.clone(),
        stop.clone(),
    ));
    let writers: Vec<_> = (0..2)
        .map(|k| {
            tokio::spawn(converse(
                stack.client.clone(),
                stack.base.clone(),
                k,
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stack.nodes[1].kill().await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::Relaxed);
    let reads = reader.await.unwrap();
    let mut writes = Traffic::default();
    for w in writers {
        let t = w.await.unwrap();
        writes.writes_ok += t.writes_ok;
        writes.writes_failed.extend(t.writes_failed);
        writes.conversations.extend(t.conversations);
    }
    eprintln!(
        "failover: {} reads answered, {} failed; {} writes answered, {} failed and sent again: {:#?}",
        reads.reads_ok,
        reads.reads_failed.len(),
        writes.writes_ok,
        writes.writes_failed.len(),
        writes.writes_failed
    );
    assert!(reads.reads_ok > 20, "too little traffic to mean anything");
    assert!(
        reads.reads_failed.is_empty(),
        "idempotent requests failed although a node was up: {:#?}",
        reads.reads_failed
    );
    assert!(writes.conversations.len() >= 2);
    // The dead node was tried and passed over (not merely avoided).
    let moved_on = stack
        .error_log()
        .lines()
        .filter(|l| {
            l.contains("while connecting to upstream")
                || l.contains("upstream prematurely closed")
                || l.contains("while reading response header from upstream")
        })
        .count();
    eprintln!("failover: nginx logged {moved_on} failed attempts on the dead node");
    assert!(moved_on >= 1, "{}", stack.error_log());
    // Every line that was answered is in its conversation's intake.
    let all = transcripts(&stack, &token).await;
    for c in &writes.conversations {
        let intake = all
            .iter()
            .find(|t| t.contains(&c.said[0]))
            .unwrap_or_else(|| panic!("no intake has {:?}", c.said[0]));
        for line in &c.said {
            assert!(intake.contains(line), "{line:?} is missing from {intake}");
        }
    }

    // Sign-in is limited by nginx before it costs a node an argon2 hash:
    // 429 in HERMES's error shape, from nginx (no request id of HERMES's).
    let mut limited = 0;
    for _ in 0..30 {
        let resp = stack
            .client
            .post(stack.url("/api/v1/auth/login"))
            .json(&json!({"tenant": SLUG, "email": ADMIN, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        match resp.status() {
            StatusCode::OK => assert!(resp.headers().contains_key("x-request-id")),
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert!(!resp.headers().contains_key("x-request-id"));
                assert_eq!(resp.headers()["retry-after"], "10");
                assert_eq!(resp.headers()["content-security-policy"], API_CSP);
                let body: Value = resp.json().await.unwrap();
                assert_eq!(body["error"]["code"], "rate_limited", "{body}");
                assert!(body["error"]["message"].is_string());
            }
            other => panic!("login answered {other}"),
        }
    }
    assert!(limited >= 10, "only {limited} of 30 rapid sign-ins limited");
    let error_log = stack.error_log();
    assert!(
        error_log.contains("limiting requests") && error_log.contains("zone \"hermes_auth\""),
        "{error_log}"
    );

    // The access log has no query strings and no conversation tokens.
    let resp = stack
        .send(Method::GET, "/healthz?code=secret-oauth-code", None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let log = stack.access_log();
    assert!(log.contains("GET /healthz "), "{log}");
    assert!(log.contains("/api/v1/conversations/-/messages"), "{log}");
    assert!(!log.contains("secret-oauth-code"), "{log}");
    assert!(!log.contains("plain-http"), "{log}");
    assert!(!log.contains("hcv_"), "a conversation token was logged");
}

// ----------------------------------------------------------------- calls ----

/// Silence on a telephone line (μ-law).
const ULAW_SILENCE: [u8; 160] = [0xFF; 160];

/// A Twilio call through nginx: the signed webhook, then the media stream
/// over wss at the URL the TwiML names; the caller stays silent, hears
/// `loud_frames` frames of the agent's greeting and hangs up.
async fn twilio_call(stack: &Stack, loud_frames: usize) {
    let twilio = hermes::simulate::Provider::Twilio {
        auth_token: AUTH_TOKEN.into(),
    };
    let call_sid = twilio.call_sid();
    let form: Vec<(String, String)> = [
        ("CallSid", call_sid.as_str()),
        ("AccountSid", ACCOUNT_SID),
        ("From", "+15035550142"),
        ("To", "+15035550100"),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let resp = twilio
        .post(&stack.client, &stack.base, SLUG, "incoming", &form)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let twiml = resp.text().await.unwrap();
    let (url, params) = hermes::simulate::parse_twiml(&twiml).unwrap();
    // The stream comes back through nginx, over TLS.
    assert_eq!(
        url,
        format!(
            "wss://127.0.0.1:{}/voice/twilio/{SLUG}/stream",
            stack.https_port
        )
    );
    let mut ws = stack.websocket(&url).await;
    let stream_sid = twilio.stream_id();
    for m in hermes::simulate::stream_opening(&stream_sid, ACCOUNT_SID, &call_sid, params) {
        ws.send(Message::Text(m.into())).await.unwrap();
    }
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut seq = 1u64;
    let mut loud = 0usize;
    let heard = tokio::time::timeout(Duration::from_secs(90), async {
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    seq += 1;
                    let media = twilio.media(&stream_sid, seq, seq - 1, seq * 20, &ULAW_SILENCE);
                    ws.send(Message::Text(media.into())).await.unwrap();
                }
                msg = ws.next() => {
                    let Some(Ok(Message::Text(t))) = msg else {
                        panic!("the stream ended before the agent spoke: {msg:?}");
                    };
                    match hermes::simulate::provider::read(&t) {
                        hermes::simulate::provider::Heard::Media(pcm)
                            if pcm.iter().any(|s| s.unsigned_abs() > 300) =>
                        {
                            loud += 1;
                            if loud >= loud_frames {
                                return;
                            }
                        }
                        hermes::simulate::provider::Heard::Mark(name) => {
                            // Played at once, as far as the agent knows.
                            ws.send(Message::Text(twilio.mark(&stream_sid, &name).into())).await.unwrap();
                        }
                        _ => {}
                    }
                }
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "heard only {loud} frames of the agent");
    // The caller hangs up; Twilio reports the call completed.
    ws.send(Message::Text(
        twilio.stop(&stream_sid, ACCOUNT_SID, &call_sid).into(),
    ))
    .await
    .unwrap();
    let _ = ws.close(None).await;
    let mut done = form.clone();
    for (k, v) in done.iter_mut() {
        if k == "CallStatus" {
            *v = "completed".into();
        }
    }
    let resp = twilio
        .post(&stack.client, &stack.base, SLUG, "status", &done)
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
}

/// The firm's newest call of `provider`, once its record is complete.
async fn ended_call(stack: &Stack, token: &str, provider: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        let calls = stack.get_json("/api/v1/calls", token).await;
        if let Some(c) = calls["calls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["provider"] == provider)
        {
            if c["status"] == "ended" && c["outcome"].is_string() {
                return c.clone();
            }
            last = c.clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the {provider} call was not recorded as ended: {last:#}");
}

/// The next text message of a browser call, as JSON; counts the audio
/// frames passed on the way in `frames`.
async fn browser_json(ws: &mut Socket, frames: &mut usize) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("the call went quiet")
            .expect("the call ended")
            .expect("the socket failed");
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Binary(_) => *frames += 1,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_stack_nginx_carries_calls_and_a_call_outlives_its_nodes_sigterm() {
    let Some(mut stack) = Stack::start(Options {
        local_engines: true,
        smtp: false,
    })
    .await
    else {
        return;
    };
    for node in &stack.nodes {
        node.engines_loaded().await;
    }
    let token = stack.sign_in().await;
    let resp = stack
        .send(
            Method::PUT,
            "/api/v1/settings/telephony",
            Some(&token),
            Some(json!({
                "provider": "twilio",
                "numbers": ["+15035550100"],
                "twilio_account_sid": ACCOUNT_SID,
                "twilio_auth_token": AUTH_TOKEN,
            })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // A phone call, Twilio's way, through nginx.
    twilio_call(&stack, 25).await;
    let call = ended_call(&stack, &token, "twilio").await;
    assert_eq!(call["outcome"], "abandoned", "{call:#}");

    // The browser phone through nginx: the agent speaks first.
    let mut ws = stack
        .websocket(&format!(
            "wss://127.0.0.1:{}/voice/browser",
            stack.https_port
        ))
        .await;
    ws.send(Message::Text(
        json!({"type": "start", "token": token}).to_string().into(),
    ))
    .await
    .unwrap();
    let mut frames = 0;
    let started = browser_json(&mut ws, &mut frames).await;
    assert_eq!(started["type"], "started", "{started}");
    loop {
        let m = browser_json(&mut ws, &mut frames).await;
        if m["type"] == "transcript" && m["speaker"] == "agent" {
            let line = m["text"].as_str().unwrap().to_lowercase();
            assert!(line.contains("not a lawyer"), "{line}");
            break;
        }
    }

    // Its node is told to stop (SIGTERM) mid-call.
    let holder = stack.node_with_a_call().await;
    let other = 1 - holder;
    stack.nodes[holder].signal("TERM");
    // It takes no new connection (nginx moves on to the other node)...
    let addr = format!("127.0.0.1:{}", stack.nodes[holder].port);
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "a draining node still accepts connections");
    for _ in 0..5 {
        let resp = stack
            .send(Method::GET, "/api/v1/me", Some(&token), None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // ...but the call goes on: the agent is still talking.
    let before = frames;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while frames < before + 50 {
        assert!(tokio::time::Instant::now() < deadline, "the call stalled");
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("the call went quiet after SIGTERM")
            .expect("the call was cut by SIGTERM")
            .expect("the socket failed after SIGTERM");
        if matches!(msg, Message::Binary(_)) {
            frames += 1;
        }
    }
    assert!(
        stack.nodes[holder].running(),
        "the node exited under a call in progress:\n{}",
        stack.nodes[holder].log()
    );

    // The caller hangs up: the node finishes the call's record and exits.
    ws.send(Message::Text(json!({"type": "hangup"}).to_string().into()))
        .await
        .unwrap();
    let status = stack.nodes[holder]
        .exited_within(Duration::from_secs(60))
        .await
        .unwrap_or_else(|| panic!("the node did not exit after its last call ended"));
    assert!(status.success(), "{status}");
    let log = stack.nodes[holder].log();
    assert!(log.contains("the last call has ended"), "{log}");
    // Its record is complete, as the other node (and the dashboard) sees it.
    let call = ended_call(&stack, &token, "browser").await;
    assert_eq!(call["outcome"], "abandoned", "{call:#}");
    assert!(stack.nodes[other].running());
}
