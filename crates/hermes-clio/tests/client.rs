//! The client against Clio's published API (Prism, validating every
//! request) and against a stateful fake for what Prism cannot show:
//! paging across pages, 429 with Retry-After, 5xx, timeouts, 401.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use hermes_clio::{Client, ClientConfig, ClioError, RateLimiter};
use secrecy::SecretString;
use serde_json::{Value, json};

fn client(base: &str) -> Client {
    let mut config = ClientConfig::new(base);
    config.timeout = Duration::from_millis(300);
    config.backoff = Duration::from_millis(20);
    Client::new(
        reqwest::Client::new(),
        config,
        SecretString::from("token-1"),
        RateLimiter::new(),
    )
}

#[derive(Clone, Default)]
struct Fake {
    base: Arc<std::sync::OnceLock<String>>,
    hits: Arc<AtomicUsize>,
    seen: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl Fake {
    fn hit(&self, headers: &HeaderMap) -> usize {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let version = headers
            .get("x-api-version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        self.seen.lock().unwrap().push((auth, version));
        self.hits.fetch_add(1, Ordering::SeqCst) + 1
    }
}

async fn contacts(
    State(f): State<Fake>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> impl IntoResponse {
    f.hit(&headers);
    // Five contacts, two a page, cursor by the last id.
    let after: u64 = q
        .get("page_token")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let ids: Vec<u64> = (after + 1..=5).take(2).collect();
    let next = ids.last().filter(|last| **last < 5).map(|last| {
        format!(
            "{}/contacts.json?page_token={last}&fields=id,name",
            f.base.get().unwrap()
        )
    });
    let data: Vec<Value> = ids
        .iter()
        .map(|i| json!({"id": i, "name": format!("C{i}")}))
        .collect();
    axum::Json(json!({"data": data, "meta": {"paging": {"next": next}, "records": 5}}))
}

async fn flaky(State(f): State<Fake>, headers: HeaderMap) -> impl IntoResponse {
    if f.hit(&headers) <= 2 {
        (StatusCode::SERVICE_UNAVAILABLE, "down").into_response()
    } else {
        axum::Json(json!({"data": {"id": 9}})).into_response()
    }
}

async fn limited(State(f): State<Fake>, headers: HeaderMap) -> impl IntoResponse {
    if f.hit(&headers) == 1 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            axum::Json(json!({"error": {"type": "RateLimited", "message": "slow down"}})),
        )
            .into_response()
    } else {
        axum::Json(json!({"data": {"id": 1}})).into_response()
    }
}

async fn slow(State(f): State<Fake>, headers: HeaderMap) -> impl IntoResponse {
    f.hit(&headers);
    tokio::time::sleep(Duration::from_secs(2)).await;
    axum::Json(json!({"data": {"id": 1}}))
}

async fn expired(State(f): State<Fake>, headers: HeaderMap) -> impl IntoResponse {
    f.hit(&headers);
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"error": {"message": "expired"}})),
    )
}

async fn fake() -> (String, Fake) {
    let f = Fake::default();
    let app = Router::new()
        .route("/contacts.json", get(contacts))
        .route("/flaky.json", get(flaky).post(flaky))
        .route("/limited.json", get(limited))
        .route("/slow.json", get(slow).post(slow))
        .route("/expired.json", get(expired))
        .with_state(f.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    f.base.set(base.clone()).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, f)
}

#[tokio::test]
async fn every_page_is_followed_with_the_token_and_the_pinned_version() {
    let (base, f) = fake().await;
    let all: Vec<Value> = client(&base)
        .all("/contacts.json", "id,name", &[])
        .await
        .unwrap();
    let ids: Vec<u64> = all.iter().map(|c| c["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    let seen = f.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "three pages");
    for (auth, version) in seen {
        assert_eq!(auth, "Bearer token-1");
        assert_eq!(version, hermes_clio::API_VERSION);
    }
}

#[tokio::test]
async fn a_next_page_on_another_host_is_refused_not_followed() {
    let (base, f) = fake().await;
    let c = client(&base);
    let err = c
        .next_page::<Value>("https://evil.example/api/v4/contacts.json?page_token=2")
        .await
        .unwrap_err();
    assert!(matches!(err, ClioError::Decode(_)), "{err}");
    assert_eq!(f.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_for_reads() {
    let (base, f) = fake().await;
    let v: Value = client(&base).get("/flaky.json", "id", &[]).await.unwrap();
    assert_eq!(v["id"], 9);
    assert_eq!(f.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_post_that_met_a_server_error_is_not_sent_again() {
    let (base, f) = fake().await;
    let err = client(&base)
        .post::<Value>("/flaky.json", "id", json!({"name": "x"}))
        .await
        .unwrap_err();
    assert!(matches!(err, ClioError::Server { status: 503 }), "{err}");
    assert_eq!(f.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let (base, f) = fake().await;
    let started = std::time::Instant::now();
    let v: Value = client(&base).get("/limited.json", "id", &[]).await.unwrap();
    assert_eq!(v["id"], 1);
    assert_eq!(f.hits.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_longer_than_the_caller_waits_is_reported_with_its_wait() {
    let (base, _f) = fake().await;
    let mut config = ClientConfig::new(&base);
    config.max_wait = Duration::from_millis(100);
    let c = Client::new(
        reqwest::Client::new(),
        config,
        SecretString::from("t"),
        RateLimiter::new(),
    );
    let err = c
        .get::<Value>("/limited.json", "id", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClioError::RateLimited { retry_after } if retry_after == Duration::from_secs(1)),
        "{err}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn timeouts_retry_reads_but_never_a_post() {
    let (base, f) = fake().await;
    let c = client(&base);
    let err = c.get::<Value>("/slow.json", "id", &[]).await.unwrap_err();
    assert!(matches!(err, ClioError::Timeout), "{err}");
    assert_eq!(
        f.hits.load(Ordering::SeqCst),
        4,
        "first try and three retries"
    );
    f.hits.store(0, Ordering::SeqCst);
    let err = c
        .post::<Value>("/slow.json", "id", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, ClioError::Timeout), "{err}");
    assert_eq!(f.hits.load(Ordering::SeqCst), 1, "it may have reached Clio");
}

#[tokio::test]
async fn an_expired_token_is_unauthorized_at_once() {
    let (base, f) = fake().await;
    let err = client(&base)
        .get::<Value>("/expired.json", "id", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, ClioError::Unauthorized));
    assert_eq!(f.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn requests_pass_validation_against_clios_published_api() {
    let Some(clio) = hermes_testkit::notify::ClioMock::start().await else {
        return;
    };
    let c = client(&clio.base_url);
    let me: Value = c
        .get(
            "/users/who_am_i.json",
            "id,name,email,subscription_type",
            &[],
        )
        .await
        .expect("who_am_i passes");
    assert!(me.is_object());
    let page = c
        .page::<Value>(
            "/contacts.json",
            "id,name,type",
            &[("query", "Jane Doe".into()), ("limit", "200".into())],
        )
        .await
        .expect("contacts search passes");
    let _ = page.data;
    let created: Value = c
        .post(
            "/contacts.json",
            "id,name",
            json!({"type": "Person", "name": "Jane Doe", "first_name": "Jane", "last_name": "Doe",
                   "phone_numbers": [{"name": "Mobile", "number": "+15035550142", "default_number": true}]}),
        )
        .await
        .expect("a contact passes");
    assert!(created.is_object());
    assert_eq!(clio.violations(), Vec::<String>::new());
    // And a request that breaks the document is refused, as Clio would,
    // and Prism says why.
    let err = c
        .post::<Value>("/contacts.json", "id", json!({"type": "Alien"}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClioError::Rejected { status: 422, .. }),
        "{err}"
    );
    let found = clio.violations();
    assert!(found.iter().any(|v| v.contains("'name'")), "{found:?}");
}
