//! The browser test phone, in a real browser: headless Chromium (Debian's)
//! driven by playwright-core (tools/browser), its fake microphone playing
//! an espeak-ng caller, talking to the agent on the local speech stack.

use std::path::Path;
use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_page_is_served_under_a_strict_csp() {
    let app = spawn_app().await;
    for path in [
        "/phone",
        "/phone/phone.js",
        "/phone/phone.css",
        "/app/call.js",
        "/app/capture.js",
        // The dashboard, under the same policy.
        "/",
        "/app/app.js",
        "/app/app.css",
    ] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let csp = resp.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(
            resp.headers()["permissions-policy"]
                .to_str()
                .unwrap()
                .contains("microphone=(self)")
        );
    }
    let missing = app
        .client
        .get(app.url("/phone/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// espeak-ng saying `text` after `lead_ms` of silence, as a WAV file (at
/// the telephone's 8 kHz: the browser resamples it for the page).
pub(crate) fn caller_wav(dir: &Path, lead_ms: u32, text: &str) -> std::path::PathBuf {
    use hermes::simulate::{CallerVoice, Espeak};
    let voice = Espeak {
        voice: "en-us+f3".into(),
        words_per_minute: 150,
    };
    let mut samples = vec![0i16; (8 * lead_ms) as usize];
    samples.extend(
        voice
            .speak(0, text)
            .expect("espeak-ng (scripts/debian.sh installs it)"),
    );
    samples.extend(vec![0i16; 16_000]);
    let path = dir.join("caller.wav");
    std::fs::write(&path, hermes_api::voice::record::wav(&samples, 8_000)).unwrap();
    path
}

#[tokio::test]
async fn a_caller_talks_to_the_agent_from_chromium() {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/browser");
    assert!(
        tools.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in {} (scripts/test.sh runs npm ci there)",
        tools.display()
    );
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.voice.local_engines = true;
        s.agent.models_dir = models_dir();
    })
    .await;
    assert!(
        app.state.voice.wait_for_engines().await.is_some(),
        "the local speech engines did not load from {} (run scripts/models.sh)",
        models_dir().display()
    );
    let admin = app.admin(&app.alpha).await;
    let dir = tempfile::tempdir().unwrap();
    let wav = caller_wav(dir.path(), 1500, "My name is Maria Lopez.");
    let out = tokio::process::Command::new("node")
        .arg(tools.join("phone-call.mjs"))
        .args(["--url", &app.address, "--tenant", &app.alpha.slug])
        .args(["--email", &app.alpha.admin_email, "--password", PASSWORD])
        .arg("--wav")
        .arg(&wav)
        .args(["--until", "maria|lopez", "--timeout", "90"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("running node");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no report from the browser: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "the caller was not heard: {report:#}");
    // A working page logs no errors and violates no CSP.
    assert_eq!(report["problems"], serde_json::json!([]), "{report:#}");
    let transcript = report["transcript"].as_array().unwrap();
    // The agent spoke first: the disclosure, live on the page.
    assert_eq!(transcript[0]["speaker"], "agent", "{report:#}");
    let first = transcript[0]["text"].as_str().unwrap().to_lowercase();
    assert!(first.contains("not a lawyer"), "{first}");

    // The call is on record, as the browser's, with its intake.
    let mut call = Value::Null;
    for _ in 0..100 {
        let calls = app.get_json("/api/v1/calls", &admin.access).await;
        call = calls["calls"][0].clone();
        // The stream writes the outcome last (the provider may say "ended"
        // first).
        if call["status"] == "ended" && call["outcome"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(call["provider"], "browser", "{call:#}");
    assert_eq!(call["status"], "ended", "{call:#}");
    let intake = app
        .get_json(
            &format!("/api/v1/intakes/{}", call["intake_id"].as_str().unwrap()),
            &admin.access,
        )
        .await;
    let said = intake["record"]["transcript"].to_string().to_lowercase();
    assert!(said.contains("lopez") || said.contains("maria"), "{said}");
}
