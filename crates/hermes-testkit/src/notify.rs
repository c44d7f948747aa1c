//! The outside services notifications go to, started for real on free
//! ports: Prism serving Twilio's published OpenAPI document (a mock that
//! validates every request against the spec, as the real API would), and
//! an SMTP server (Python's `aiosmtpd`) that writes what it receives to a
//! maildir the test reads.
//!
//! Both are installed by `scripts/test.sh` (`npm ci` in `tools/prism`, the
//! hash-pinned `scripts/requirements-test.txt` in `target/pyenv`). When one
//! is missing the test is skipped, except under CI or
//! `HERMES_REQUIRE_SERVICES`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_for_port(port: u16, child: &mut Child, within: Duration) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited with {status}"));
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("not listening on {port} after {within:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A validating mock of a published OpenAPI document, served by Prism: a
/// request that breaks the document is answered 4xx with the violation
/// (`--errors`), as the real service would refuse it.
pub struct PrismMock {
    child: Child,
    pub base_url: String,
    /// Prism's log (what it validated and found wrong).
    log: tempfile::NamedTempFile,
}

impl PrismMock {
    /// Serves `spec` (`what` names it in messages); `None` (skipped) when
    /// Prism or the document is missing outside CI.
    pub async fn start(spec: PathBuf, what: &str) -> Option<Self> {
        let prism = std::env::var_os("HERMES_PRISM")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("tools/prism/node_modules/.bin/prism"));
        if !prism.exists() {
            crate::unavailable(
                "Prism",
                &format!(
                    "{} missing (run scripts/test.sh, or npm ci in tools/prism)",
                    prism.display()
                ),
            );
            return None;
        }
        if !spec.exists() {
            crate::unavailable(what, &format!("{} missing", spec.display()));
            return None;
        }
        let port = free_port();
        let log = tempfile::NamedTempFile::new().expect("a log file for Prism");
        let mut child = Command::new(&prism)
            .args([
                "mock",
                "--errors",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .arg(&spec)
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("Prism's log"))
            .stderr(log.reopen().expect("Prism's log"))
            .kill_on_drop(true)
            .spawn()
            .expect("spawning Prism");
        if let Err(why) = wait_for_port(port, &mut child, Duration::from_secs(90)).await {
            panic!("Prism did not start: {why}");
        }
        Some(Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log,
        })
    }

    /// Every violation of the document Prism has reported so far (its
    /// answer to such a request is the document's example error, which
    /// does not say what was wrong; its log does).
    pub fn violations(&self) -> Vec<String> {
        std::fs::read_to_string(self.log.path())
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("Violation:") && l.contains("error"))
            .map(|l| {
                l.split_once("Violation:")
                    .map_or(l, |(_, v)| v)
                    .trim()
                    .to_owned()
            })
            .collect()
    }
}

impl Drop for PrismMock {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Twilio's REST API 2010-04-01, mocked by Prism from the published spec.
pub struct TwilioMock;

impl TwilioMock {
    /// The spec: `$HERMES_TWILIO_SPEC`, else `../shared/twilio/…` beside
    /// the project.
    pub fn spec() -> PathBuf {
        std::env::var_os("HERMES_TWILIO_SPEC")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("../shared/twilio/twilio-api-v2010.openapi.json"))
    }

    #[allow(clippy::new_ret_no_self)]
    pub async fn start() -> Option<PrismMock> {
        PrismMock::start(Self::spec(), "Twilio's OpenAPI document").await
    }
}

/// Clio's Manage API v4, mocked by Prism from the published spec (its
/// paths without the `/api/v4` prefix: the base URL stands for it).
pub struct ClioMock;

impl ClioMock {
    /// The spec: `$HERMES_CLIO_SPEC`, else `../shared/clio/…` beside the
    /// project.
    pub fn spec() -> PathBuf {
        std::env::var_os("HERMES_CLIO_SPEC")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("../shared/clio/clio-manage-v4.openapi.json"))
    }

    pub async fn start() -> Option<PrismMock> {
        PrismMock::start(Self::spec(), "Clio's OpenAPI document").await
    }
}

/// A Python with `aiosmtpd`: `$HERMES_TEST_PYTHON`, the venv
/// scripts/test.sh makes, or `python3`.
fn python_with_aiosmtpd() -> Option<PathBuf> {
    [
        std::env::var_os("HERMES_TEST_PYTHON").map(PathBuf::from),
        Some(workspace().join("target/pyenv/bin/python")),
        Some("python3".into()),
    ]
    .into_iter()
    .flatten()
    .find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A real SMTP server keeping every message it accepts in a maildir.
pub struct SmtpServer {
    child: Option<Child>,
    python: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl SmtpServer {
    /// Starts one on a free port.
    pub async fn start() -> Option<Self> {
        let mut s = Self::reserve()?;
        s.up().await;
        Some(s)
    }

    /// Picks a port and a maildir without starting the server yet (for
    /// tests of what happens while it is down); [`SmtpServer::up`] starts it.
    pub fn reserve() -> Option<Self> {
        let Some(python) = python_with_aiosmtpd() else {
            crate::unavailable(
                "aiosmtpd",
                "no Python with it (run scripts/test.sh, or set HERMES_TEST_PYTHON)",
            );
            return None;
        };
        Some(Self {
            child: None,
            python,
            dir: tempfile::tempdir().expect("temporary directory"),
            port: free_port(),
        })
    }

    pub async fn up(&mut self) {
        let mut child = Command::new(&self.python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawning aiosmtpd");
        if let Err(why) = wait_for_port(self.port, &mut child, Duration::from_secs(20)).await {
            panic!("aiosmtpd did not start: {why}");
        }
        self.child = Some(child);
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Every message received so far: headers and body, the body's
    /// quoted-printable encoding (soft line breaks, `=XX`) undone.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir().join(sub)) {
                for e in entries.flatten() {
                    if let Ok(text) = std::fs::read_to_string(e.path()) {
                        out.push(decode_quoted_printable(&text));
                    }
                }
            }
        }
        out
    }

    /// Waits until at least `n` messages arrived (or `within` passed).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let m = self.messages();
            if m.len() >= n || tokio::time::Instant::now() > deadline {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Undoes quoted-printable (RFC 2045 §6.7) well enough for test
/// assertions; applied to the whole message, whose headers have no `=`.
fn decode_quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.start_kill();
        }
    }
}
