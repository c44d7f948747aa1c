//! A stateful fake of Clio for the tests: its OAuth token endpoint, and
//! the Manage API v4 records HERMES reads and writes (contacts, matters,
//! calendar entries, notes, communications, tasks, users, practice
//! areas), kept in memory with Clio's envelopes and cursor pagination.
//!
//! It exists for what a validating mock (Prism) cannot do: remember what
//! was created (so a test can count duplicates), page through a list,
//! and fail on purpose — a status, a 429 with `Retry-After`, an answer
//! that comes only after the client has given up although the write was
//! done (a timeout whose request reached Clio), a token that expires.
//! Requests are checked for shape the way Clio would (the `{"data": …}`
//! envelope, a bearer token it issued); the request *schemas* are Prism's
//! job.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// A failure to serve instead of (or after) doing a request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status with an error body, doing nothing.
    Status(u16),
    /// 429 with `Retry-After: secs`, doing nothing.
    RateLimited { secs: u64 },
    /// Do the request, then answer only after `delay` (longer than the
    /// client waits): the write happened, the caller never learns it.
    AnswerLate { delay: Duration },
}

#[derive(Debug, Default)]
pub struct World {
    /// Records by resource (`contacts`, `matters`, …).
    pub records: HashMap<String, Vec<Value>>,
    next_id: i64,
    /// Faults to serve, in order, for requests whose `METHOD /path`
    /// starts with the key's text (e.g. `POST /api/v4/matters`).
    pub faults: VecDeque<(String, Fault)>,
    /// Every API request: `METHOD /path?query`.
    pub requests: Vec<String>,
    /// Access tokens Clio accepts now.
    pub tokens: Vec<String>,
    /// Refresh tokens Clio accepts now.
    pub refresh_tokens: Vec<String>,
    /// `expires_in` of issued access tokens.
    pub expires_in: i64,
    issued: u32,
    /// Records per page of a list.
    pub page_size: usize,
    /// A validating mock (Prism serving Clio's published document) that
    /// sees a copy of every API request; the fake still answers.
    pub validator: Option<String>,
    /// What the validator answered to each copy: (`METHOD /path`, status).
    pub validated: Vec<(String, u16)>,
    /// The inbox lead token of the firm's Clio Grow account.
    pub grow_token: Option<String>,
    /// Webhooks whose handshake succeeded: id → (model, url, secret).
    pub webhooks: HashMap<i64, (String, String, String)>,
}

/// A running fake Clio.
#[derive(Clone)]
pub struct FakeClio {
    /// Where it listens: what `clio.host` points at.
    pub base_url: String,
    pub world: Arc<Mutex<World>>,
}

impl FakeClio {
    /// A fake whose every API request is also sent to `validator` (Prism
    /// on Clio's published document) and checked there: the fake's state
    /// drives the conversation, the published document judges each
    /// request. (Prism alone cannot play a whole sync: it cannot even
    /// generate some of the document's responses.)
    pub async fn start_validated(validator: &str) -> std::io::Result<Self> {
        let fake = Self::start().await?;
        fake.world.lock().unwrap().validator = Some(validator.trim_end_matches('/').to_owned());
        Ok(fake)
    }

    /// The requests the validator refused (any 4xx: a violation, a path
    /// or method the document does not have) or could not be asked.
    pub fn refused(&self) -> Vec<(String, u16)> {
        self.world
            .lock()
            .unwrap()
            .validated
            .iter()
            .filter(|(_, s)| *s == 0 || (400..500).contains(s))
            .cloned()
            .collect()
    }

    pub async fn start() -> std::io::Result<Self> {
        let world = Arc::new(Mutex::new(World {
            next_id: 1000,
            expires_in: 2_592_000,
            page_size: 200,
            ..Default::default()
        }));
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route("/oauth/deauthorize", post(deauthorize))
            .route("/api/v4/users/who_am_i.json", get(who_am_i))
            .route("/inbox_leads", post(inbox_lead))
            .route("/api/v4/{resource}", get(list).post(create))
            .route(
                "/api/v4/{resource}/{file}",
                axum::routing::patch(update).delete(remove),
            )
            .with_state(world.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeClio { base_url, world })
    }

    /// Adds a record as if someone had made it in Clio; returns its id.
    pub fn seed(&self, resource: &str, mut record: Value) -> i64 {
        let mut w = self.world.lock().unwrap();
        w.next_id += 1;
        let id = w.next_id;
        record["id"] = json!(id);
        derive(resource, &mut record);
        w.records
            .entry(resource.to_owned())
            .or_default()
            .push(record);
        id
    }

    /// The records of a resource now.
    pub fn records(&self, resource: &str) -> Vec<Value> {
        self.world
            .lock()
            .unwrap()
            .records
            .get(resource)
            .cloned()
            .unwrap_or_default()
    }

    /// Serves `fault` to the next request starting with `prefix`
    /// (`"POST /api/v4/matters"`).
    pub fn fail(&self, prefix: &str, fault: Fault) {
        self.world
            .lock()
            .unwrap()
            .faults
            .push_back((prefix.to_owned(), fault));
    }

    /// The API requests seen, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.world.lock().unwrap().requests.clone()
    }

    /// Delivers a change of `model` to the webhook for it, signed as
    /// Clio signs; the status HERMES answered (`None`: no such webhook).
    pub async fn deliver(&self, model: &str, event: &str, data: Value) -> Option<u16> {
        let (id, url, secret) = {
            let w = self.world.lock().unwrap();
            let (id, (_, url, secret)) = w.webhooks.iter().find(|(_, (m, _, _))| m == model)?;
            (*id, url.clone(), secret.clone())
        };
        let body = json!({"data": data, "meta": {"event": event, "webhook_id": id}}).to_string();
        let signature = hermes_clio_sign(secret.as_bytes(), body.as_bytes());
        Some(self.post_to(&url, body, Some(&signature)).await)
    }

    /// The URL of the webhook for `model`, once confirmed.
    pub fn webhook_url(&self, model: &str) -> Option<String> {
        let w = self.world.lock().unwrap();
        w.webhooks
            .values()
            .find(|(m, _, _)| m == model)
            .map(|(_, url, _)| url.clone())
    }

    /// POSTs `body` to `url` with an `X-Hook-Signature` (or none): what a
    /// forger could send. Returns the status.
    pub async fn post_to(&self, url: &str, body: String, signature: Option<&str>) -> u16 {
        let mut req = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = signature {
            req = req.header("x-hook-signature", s);
        }
        req.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    }

    /// Clio forgets every token (the firm revoked the app).
    pub fn revoke_all(&self) {
        let mut w = self.world.lock().unwrap();
        w.tokens.clear();
        w.refresh_tokens.clear();
    }
}

/// Fields Clio computes from what was posted.
fn derive(resource: &str, r: &mut Value) {
    match resource {
        "contacts.json" => {
            if let Some(e) = r["email_addresses"][0]["address"].as_str() {
                r["primary_email_address"] = json!(e);
            }
            if let Some(p) = r["phone_numbers"][0]["number"].as_str() {
                r["primary_phone_number"] = json!(p);
            }
            if r["name"].is_null() {
                let n = format!(
                    "{} {}",
                    r["first_name"].as_str().unwrap_or_default(),
                    r["last_name"].as_str().unwrap_or_default()
                );
                r["name"] = json!(n.trim());
            }
        }
        "matters.json" => {
            if let Some(c) = r["client"]["id"].as_i64() {
                r["client_id"] = json!(c);
            }
        }
        _ => {}
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"type": "Error", "message": message}})),
    )
        .into_response()
}

/// The answer of a fault that refuses the request (`None`: it does not).
fn refusal(fault: Fault) -> Option<Response> {
    match fault {
        Fault::Status(s) => Some(error(
            StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "injected failure",
        )),
        Fault::RateLimited { secs } => Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                axum::Json(json!({"error": {"message": "slow down"}})),
            )
                .into_response(),
        ),
        Fault::AnswerLate { .. } => None,
    }
}

fn take_fault(w: &mut World, method: &Method, path: &str) -> Option<Fault> {
    let line = format!("{method} {path}");
    let at = w.faults.iter().position(|(p, _)| line.starts_with(p))?;
    w.faults.remove(at).map(|(_, f)| f)
}

fn authorized(w: &World, headers: &HeaderMap) -> bool {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    w.tokens.iter().any(|t| t == bearer)
}

async fn token(
    State(w): State<Arc<Mutex<World>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut w = w.lock().unwrap();
    let ok = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => form.get("code").map(String::as_str) == Some("good-code"),
        Some("refresh_token") => form
            .get("refresh_token")
            .is_some_and(|r| w.refresh_tokens.contains(r)),
        _ => false,
    };
    if !ok {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant", "error_description": "not valid"})),
        )
            .into_response();
    }
    w.issued += 1;
    let access = format!("at-{}", w.issued);
    w.tokens.push(access.clone());
    let mut body =
        json!({"access_token": access, "token_type": "bearer", "expires_in": w.expires_in});
    if form.get("grant_type").map(String::as_str) == Some("authorization_code") {
        let refresh = format!("rt-{}", w.issued);
        w.refresh_tokens.push(refresh.clone());
        body["refresh_token"] = json!(refresh);
    }
    axum::Json(body).into_response()
}

async fn deauthorize(State(w): State<Arc<Mutex<World>>>, headers: HeaderMap) -> StatusCode {
    let mut w = w.lock().unwrap();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    w.tokens.retain(|t| *t != bearer);
    StatusCode::OK
}

async fn who_am_i(
    State(world): State<Arc<Mutex<World>>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    validate(&world, Method::GET, &uri, &headers, None).await;
    let w = world.lock().unwrap();
    if !authorized(&w, &headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    axum::Json(
        json!({"data": {"id": 7, "name": "Pat Admin", "email": "pat@alpha.example",
                               "account_owner": true, "roles": ["Admin"], "enabled": true}}),
    )
    .into_response()
}

/// Sends a copy of an API request to the validator, if there is one, and
/// records its verdict.
async fn validate(
    world: &Arc<Mutex<World>>,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Option<String>,
) {
    let Some(base) = world.lock().unwrap().validator.clone() else {
        return;
    };
    let path = uri.path().trim_start_matches("/api/v4");
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let method =
        reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = reqwest::Client::new().request(method.clone(), format!("{base}{path}{query}"));
    for name in ["authorization", "x-api-version", "content-type", "accept"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            req = req.header(name, v);
        }
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let status = req.send().await.map(|r| r.status().as_u16()).unwrap_or(0);
    world
        .lock()
        .unwrap()
        .validated
        .push((format!("{method} {path}"), status));
}

/// Whether `record` passes the list's filters.
fn matches(resource: &str, r: &Value, q: &HashMap<String, String>) -> bool {
    let text = |k: &str| r[k].as_str().unwrap_or_default().to_lowercase();
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    for (k, v) in q {
        let ok = match k.as_str() {
            "query" => {
                let v = v.to_lowercase();
                let d = digits(&v);
                ["name", "primary_email_address", "description", "subject"]
                    .iter()
                    .any(|k| text(k).contains(&v))
                    || (!d.is_empty() && digits(&text("primary_phone_number")).contains(&d))
            }
            "name" if resource == "practice_areas.json" => text("name") == v.to_lowercase(),
            "client_id" => r["client_id"].as_i64().map(|i| i.to_string()) == Some(v.clone()),
            "matter_id" => r["matter"]["id"].as_i64().map(|i| i.to_string()) == Some(v.clone()),
            "calendar_id" => {
                r["calendar_owner"]["id"].as_i64().map(|i| i.to_string()) == Some(v.clone())
            }
            "type" => r["type"].as_str() == Some(v.as_str()),
            "created_since" => {
                let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
                match (at(r["created_at"].as_str().unwrap_or_default()), at(v)) {
                    (Some(created), Some(since)) => created >= since,
                    _ => false,
                }
            }
            "external_property_value" => {
                let name = q.get("external_property_name").cloned().unwrap_or_default();
                r["external_properties"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == json!(name) && p["value"] == json!(v))
                })
            }
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

async fn list(
    State(world): State<Arc<Mutex<World>>>,
    Path(resource): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    validate(&world, Method::GET, &uri, &headers, None).await;
    let mut w = world.lock().unwrap();
    w.requests.push(format!("GET {uri}"));
    if !authorized(&w, &headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    if let Some(refusal) = take_fault(&mut w, &Method::GET, uri.path()).and_then(refusal) {
        return refusal;
    }
    let mut filters = q.clone();
    // (`external_property_name` stays: its value's filter reads it.)
    for k in ["fields", "limit", "page_token", "order"] {
        filters.remove(k);
    }
    let all: Vec<Value> = w
        .records
        .get(&resource)
        .map(|rs| {
            rs.iter()
                .filter(|r| matches(&resource, r, &filters))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let size = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(w.page_size)
        .min(w.page_size)
        .max(1);
    let from: usize = q
        .get("page_token")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let page: Vec<Value> = all.iter().skip(from).take(size).cloned().collect();
    let mut meta = json!({"records": all.len()});
    if from + size < all.len() {
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &q {
            if k != "page_token" {
                next.append_pair(k, v);
            }
        }
        next.append_pair("page_token", &(from + size).to_string());
        meta["paging"] = json!({"next": format!("http://{host}{}?{}", uri.path(), next.finish())});
    }
    axum::Json(json!({"data": page, "meta": meta})).into_response()
}

async fn create(
    State(world): State<Arc<Mutex<World>>>,
    Path(resource): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: String,
) -> Response {
    validate(&world, Method::POST, &uri, &headers, Some(body.clone())).await;
    let late = {
        let mut w = world.lock().unwrap();
        w.requests.push(format!("POST {uri}"));
        if !authorized(&w, &headers) {
            return error(StatusCode::UNAUTHORIZED, "invalid token");
        }
        match take_fault(&mut w, &Method::POST, uri.path()) {
            Some(Fault::AnswerLate { delay }) => Some(delay),
            Some(fault) => return refusal(fault).expect("a refusal"),
            None => None,
        }
    };
    let Ok(Value::Object(mut envelope)) = serde_json::from_str::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "the body is not a JSON object");
    };
    let Some(mut data) = envelope.remove("data").filter(Value::is_object) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "data is required");
    };
    let id = {
        let mut w = world.lock().unwrap();
        w.next_id += 1;
        let id = w.next_id;
        data["id"] = json!(id);
        data["created_at"] = json!(chrono_now());
        derive(&resource, &mut data);
        w.records
            .entry(resource.clone())
            .or_default()
            .push(data.clone());
        id
    };
    if resource == "webhooks.json" {
        handshake(&world, id, &data).await;
    }
    if let Some(delay) = late {
        tokio::time::sleep(delay).await;
    }
    (StatusCode::CREATED, axum::Json(json!({"data": {"id": id}}))).into_response()
}

/// Clio Grow's lead inbox: the token must be the firm's, the required
/// fields present; kept under `inbox_leads`.
async fn inbox_lead(State(w): State<Arc<Mutex<World>>>, body: String) -> Response {
    let mut w = w.lock().unwrap();
    w.requests.push("POST /inbox_leads".into());
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "not JSON");
    };
    if w.grow_token.is_none() || v["inbox_lead_token"].as_str() != w.grow_token.as_deref() {
        return error(StatusCode::UNAUTHORIZED, "unknown inbox lead token");
    }
    let lead = &v["inbox_lead"];
    for field in [
        "from_first",
        "from_last",
        "from_message",
        "referring_url",
        "from_source",
    ] {
        if lead[field].as_str().is_none_or(str::is_empty) {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("{field} is required"),
            );
        }
    }
    w.records
        .entry("inbox_leads".into())
        .or_default()
        .push(lead.clone());
    (StatusCode::CREATED, axum::Json(json!({"inbox_lead": lead}))).into_response()
}

/// Clio's handshake, before it answers the request that created the
/// webhook: the secret to the webhook's URL, which must echo it.
async fn handshake(world: &Arc<Mutex<World>>, id: i64, data: &Value) {
    let url = data["url"].as_str().unwrap_or_default().to_owned();
    let model = data["model"].as_str().unwrap_or_default().to_owned();
    let secret = format!("{}", uuid::Uuid::new_v4().simple());
    let answer = reqwest::Client::new()
        .post(&url)
        .header("x-hook-secret", &secret)
        .header("content-type", "application/json")
        .body(json!({"data": {"id": id}}).to_string())
        .send()
        .await;
    let echoed = answer.as_ref().is_ok_and(|r| {
        r.status().is_success()
            && r.headers()
                .get("x-hook-secret")
                .and_then(|v| v.to_str().ok())
                == Some(secret.as_str())
    });
    if echoed {
        world
            .lock()
            .unwrap()
            .webhooks
            .insert(id, (model, url, secret));
    }
}

/// `X-Hook-Signature` of `body` under `secret`: HMAC-SHA256, hex.
fn hermes_clio_sign(secret: &[u8], body: &[u8]) -> String {
    hermes_clio::webhook::sign(secret, body)
}

fn record_id(file: &str) -> Option<i64> {
    file.strip_suffix(".json")?.parse().ok()
}

async fn update(
    State(world): State<Arc<Mutex<World>>>,
    Path((resource, file)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: String,
) -> Response {
    validate(&world, Method::PATCH, &uri, &headers, Some(body.clone())).await;
    let mut w = world.lock().unwrap();
    w.requests.push(format!("PATCH {uri}"));
    if !authorized(&w, &headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    let (Some(id), Ok(Value::Object(mut envelope))) =
        (record_id(&file), serde_json::from_str::<Value>(&body))
    else {
        return error(StatusCode::BAD_REQUEST, "bad request");
    };
    let Some(Value::Object(changes)) = envelope.remove("data") else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "data is required");
    };
    let key = format!("{resource}.json");
    let Some(record) = w
        .records
        .get_mut(&key)
        .and_then(|rs| rs.iter_mut().find(|r| r["id"] == json!(id)))
    else {
        return error(StatusCode::NOT_FOUND, "no such record");
    };
    for (k, v) in changes {
        record[k] = v;
    }
    axum::Json(json!({"data": {"id": id}})).into_response()
}

async fn remove(
    State(world): State<Arc<Mutex<World>>>,
    Path((resource, file)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    validate(&world, Method::DELETE, &uri, &headers, None).await;
    let mut w = world.lock().unwrap();
    w.requests.push(format!("DELETE {uri}"));
    if !authorized(&w, &headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    let Some(id) = record_id(&file) else {
        return error(StatusCode::BAD_REQUEST, "bad request");
    };
    let key = format!("{resource}.json");
    let before = w.records.get(&key).map_or(0, Vec::len);
    if let Some(rs) = w.records.get_mut(&key) {
        rs.retain(|r| r["id"] != json!(id));
    }
    if resource == "webhooks" {
        w.webhooks.remove(&id);
    }
    if w.records.get(&key).map_or(0, Vec::len) == before {
        return error(StatusCode::NOT_FOUND, "no such record");
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Now, as Clio writes timestamps.
fn chrono_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
