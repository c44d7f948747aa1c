//! Conflict-of-interest checking over HTTP: the parties index (manual
//! entries and all-or-nothing CSV imports), fuzzy search, checks that come
//! back clear, potential or conflict with their reasons, and the review
//! queue's rules about who may decide.
//!
//! Why: a missed conflict is a malpractice and ethics problem for the firm,
//! and a half-imported client list silently misses some. So the tests pin
//! that a bad file imports nothing and says which lines are wrong, that a
//! nickname still finds the client, that an index change is seen by the
//! very next check, and that only a signed-in attorney or admin — never
//! staff, a read-only user or an API key — clears a conflict.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

pub const CSV_HEADER: &str =
    "kind,name,aliases,role,date_of_birth,phones,emails,matter_ref,matter_status";

/// POSTs `body` to the import route with `content_type`.
pub async fn import(app: &TestApp, token: &str, content_type: &str, body: &str) -> Response {
    app.client
        .post(app.url("/api/v1/parties/import"))
        .bearer_auth(token)
        .header(CONTENT_TYPE, content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// Adds a party; asserts 201 and returns it.
pub async fn add_party(app: &TestApp, token: &str, body: Value) -> Value {
    let resp = app
        .send(Method::POST, "/api/v1/parties", Some(token), Some(body))
        .await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Runs a conflict check; asserts 200 and returns the answer.
pub async fn check(app: &TestApp, token: &str, parties: Value) -> Value {
    let resp = app
        .send(
            Method::POST,
            "/api/v1/conflicts/check",
            Some(token),
            Some(json!({ "parties": parties })),
        )
        .await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// A check that opens a review (an adverse party who is a former client);
/// returns the review id.
pub async fn open_review(app: &TestApp, token: &str) -> String {
    let former = add_party(
        app,
        token,
        json!({"name": "Gregory Hale", "role": "former_client", "matter_ref": "2019-3", "matter_status": "closed"}),
    )
    .await;
    let answer = check(
        app,
        token,
        json!([{"name": "Jane Doe", "role": "client"}, {"name": "Gregory Hale", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "potential", "{answer}");
    assert_eq!(answer["hits"][0]["party_id"], former["id"]);
    answer["review_id"].as_str().unwrap().to_owned()
}

async fn party_count(app: &TestApp, token: &str) -> usize {
    let mut n = 0;
    let mut after = String::new();
    loop {
        let resp = app
            .get(&format!("/api/v1/parties?limit=200{after}"), token)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let page: Value = resp.json().await.unwrap();
        n += page["parties"].as_array().unwrap().len();
        match page["next_after"].as_str() {
            Some(id) => after = format!("&after={id}"),
            None => return n,
        }
    }
}

fn hits_for(answer: &Value, index: usize) -> Vec<&Value> {
    answer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["party_index"] == index)
        .collect()
}

#[tokio::test]
async fn a_party_is_created_normalised_and_read_back() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let p = add_party(
        &app,
        &staff.access,
        json!({
            "kind": "person", "name": "William Turner", "aliases": ["Bill Turner"],
            "role": "client", "date_of_birth": "1980-04-12", "phones": ["503-555-0100"],
            "emails": ["B.Turner@Example.com"], "matter_ref": "2024-7", "matter_status": "open",
        }),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["kind"], "person");
    assert_eq!(p["name"], "William Turner");
    assert_eq!(p["aliases"], json!(["Bill Turner"]));
    assert_eq!(p["role"], "client");
    assert_eq!(p["date_of_birth"], "1980-04-12");
    assert_eq!(p["phones"], json!(["+15035550100"]));
    assert_eq!(p["emails"], json!(["b.turner@example.com"]));
    assert_eq!(p["matter_ref"], "2024-7");
    assert_eq!(p["matter_status"], "open");
    assert_eq!(p["source"], "manual");
    assert!(p["created_at"].is_string() && p["updated_at"].is_string());

    let path = format!("/api/v1/parties/{id}");
    let got: Value = app.get_json(&path, t).await;
    assert_eq!(got, p);

    // A partial change keeps the rest.
    let resp = app
        .send(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"matter_status": "closed", "date_of_birth": null})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let patched: Value = resp.json().await.unwrap();
    assert_eq!(patched["matter_status"], "closed");
    assert!(patched["date_of_birth"].is_null());
    assert_eq!(patched["name"], "William Turner");
    assert_eq!(patched["phones"], json!(["+15035550100"]));

    // Refusals name the field.
    for (body, field) in [
        (json!({"name": "X", "role": "enemy"}), "role"),
        (json!({"name": " ", "role": "client"}), "name"),
        (
            json!({"name": "X", "role": "client", "kind": "robot"}),
            "kind",
        ),
        (
            json!({"name": "X", "role": "client", "date_of_birth": "2999-01-01"}),
            "date_of_birth",
        ),
        (
            json!({"name": "X", "role": "client", "emails": ["nope"]}),
            "email",
        ),
        (
            json!({"name": "X", "role": "client", "matter_status": "dormant"}),
            "matter_status",
        ),
    ] {
        let resp = app
            .send(Method::POST, "/api/v1/parties", Some(t), Some(body.clone()))
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["error"]["code"], "validation_failed");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(field),
            "{body}: {err}"
        );
    }
    let resp = app
        .send(
            Method::POST,
            "/api/v1/parties",
            Some(t),
            Some(json!({"name": "X", "role": "client", "ssn": "123"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // READ_ONLY may not add parties nor even read the index.
    let (_, ro) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/parties",
            Some(&ro.access),
            Some(json!({"name": "X", "role": "client"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&path, &ro.access).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(party_count(&app, t).await, 1);

    // Deleted: gone.
    let resp = app.send(Method::DELETE, &path, Some(t), None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, t).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(party_count(&app, t).await, 0);
}

async fn csv_import_then_check(app: TestApp) {
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    // Columns in another order than documented, multi-values with `;`.
    let csv = "name,role,matter_ref,matter_status,aliases,phones,emails,date_of_birth,kind\n\
               William Turner,client,2024-7,open,Will Turner;W. Turner,503-555-0100;503-555-0199,wt@example.com,1980-04-12,person\n\
               Acme Holdings LLC,adverse_party,2023-12,open,,,,,organization\n\
               Gregory Hale,former_client,2019-3,closed,,,,,\n";
    let resp = import(&app, t, "text/csv; charset=utf-8", csv).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"imported": 3}));
    assert_eq!(party_count(&app, t).await, 3);

    let page: Value = app.get_json("/api/v1/parties?limit=200", t).await;
    let turner = page["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "William Turner")
        .expect("imported William Turner");
    assert_eq!(turner["source"], "csv_import");
    assert_eq!(turner["aliases"], json!(["Will Turner", "W. Turner"]));
    assert_eq!(turner["phones"], json!(["+15035550100", "+15035550199"]));
    assert_eq!(turner["date_of_birth"], "1980-04-12");
    assert_eq!(turner["kind"], "person");

    // The imported parties are found by the next check.
    let answer = check(
        &app,
        t,
        json!([{"name": "Jane Doe", "role": "client"}, {"name": "William Turner", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "conflict", "{answer}");
    let hit = hits_for(&answer, 1)[0];
    assert_eq!(hit["party_id"], turner["id"]);
    assert_eq!(hit["party_role"], "client");
    assert_eq!(hit["matter_ref"], "2024-7");

    // A file with two bad rows imports nothing and names both lines.
    let broken = format!(
        "{CSV_HEADER}\n\
         person,Nora Quinn,,client,,,,2025-1,open\n\
         person,Oscar Pike,,villain,,,,2025-2,open\n\
         person,Paula Reyes,,adverse_party,,,,2025-3,open\n\
         person,Quentin Shaw,,client,1980-13-45,,,2025-4,open\n\
         person,Rita Vance,,related_party,,,,2025-5,\n"
    );
    let resp = import(&app, t, "text/csv", &broken).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "validation_failed");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("line 3:"), "{msg}");
    assert!(msg.contains("line 5:"), "{msg}");
    for good in ["line 2:", "line 4:", "line 6:"] {
        assert!(!msg.contains(good), "{good} is fine: {msg}");
    }
    assert!(msg.contains("villain") || msg.contains("role"), "{msg}");
    assert!(msg.contains("date_of_birth"), "{msg}");
    assert_eq!(party_count(&app, t).await, 3, "nothing was imported");
    let answer = check(&app, t, json!([{"name": "Nora Quinn", "role": "adverse"}])).await;
    assert_eq!(answer["status"], "clear", "{answer}");

    // Other ways a file is wrong.
    for (bad, what) in [
        (format!("{CSV_HEADER}\n"), "no rows"),
        ("name,colour\nX,red\n".to_owned(), "unknown column"),
        ("name\nX\n".to_owned(), "no role column"),
    ] {
        let resp = import(&app, t, "text/csv", &bad).await;
        assert!(
            matches!(
                resp.status(),
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST
            ),
            "{what}: {}",
            resp.status()
        );
    }
    // Not CSV at all: 415, whatever the body.
    for ct in ["application/json", "text/plain", "multipart/form-data"] {
        let resp = import(&app, t, ct, csv).await;
        assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert_eq!(error_code(resp).await, "unsupported_media_type");
    }
    let resp = app
        .client
        .post(app.url("/api/v1/parties/import"))
        .bearer_auth(t)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(party_count(&app, t).await, 3);

    // Importing needs cases:write.
    let (_, ro) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let resp = import(&app, &ro.access, "text/csv", csv).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // And lands in the other firm's index not at all.
    let bravo = app.admin(&app.bravo).await;
    let answer = check(
        &app,
        &bravo.access,
        json!([{"name": "William Turner", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "clear", "{answer}");
    assert!(answer["hits"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn csv_import_is_all_or_nothing_sqlite() {
    csv_import_then_check(spawn_app().await).await;
}

#[tokio::test]
async fn csv_import_is_all_or_nothing_postgres() {
    if let Some(app) = spawn_app_pg().await {
        csv_import_then_check(app).await;
    }
}

#[tokio::test]
async fn checks_come_back_clear_potential_or_conflict_with_reasons() {
    let app = spawn_app().await;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let t = &staff.access;
    let william = add_party(
        &app,
        t,
        json!({"name": "William Turner", "role": "client", "matter_ref": "2024-7", "matter_status": "open"}),
    )
    .await;
    let gregory = add_party(
        &app,
        t,
        json!({"name": "Gregory Hale", "role": "former_client", "matter_ref": "2019-3", "matter_status": "closed"}),
    )
    .await;
    let victor = add_party(
        &app,
        t,
        json!({"name": "Victor Krum", "role": "adverse_party", "matter_ref": "2024-9", "matter_status": "open"}),
    )
    .await;

    // Nobody known: clear, no review.
    let answer = check(
        &app,
        t,
        json!([{"name": "Nadia Petrov", "role": "client"}, {"name": "Zebulon Quayle", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "clear", "{answer}");
    assert!(answer["review_id"].is_null());
    assert!(
        answer["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["severity"] == "info"),
        "{answer}"
    );

    // The other side is a current client, named by nickname: conflict.
    let answer = check(
        &app,
        t,
        json!([{"name": "Jane Doe", "role": "client"}, {"name": "Bill Turner", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "conflict", "{answer}");
    let review = answer["review_id"].as_str().expect("a review is opened");
    let hits = hits_for(&answer, 1);
    assert_eq!(hits.len(), 1, "{answer}");
    let hit = hits[0];
    assert_eq!(hit["party_id"], william["id"]);
    assert_eq!(hit["matched_name"], "William Turner");
    assert_eq!(hit["party_role"], "client");
    assert_eq!(hit["matter_ref"], "2024-7");
    assert_eq!(hit["matter_status"], "open");
    assert_eq!(hit["severity"], "conflict");
    let score = hit["score"].as_f64().unwrap();
    assert!(score > 0.9 && score <= 1.0, "{score}");
    let reasons: Vec<&str> = hit["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("nickname")),
        "{reasons:?}"
    );
    assert!(
        hit["explanation"].as_str().unwrap().contains("nickname"),
        "{hit}"
    );
    assert!(hit["rule"].as_str().unwrap().contains("1.7"), "{hit}");
    assert!(hits_for(&answer, 0).is_empty(), "{answer}");
    // The review holds the request and the hits.
    let resp = app
        .get(&format!("/api/v1/conflicts/reviews/{review}"), t)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(r["status"], "open");
    assert_eq!(r["severity"], "conflict");
    assert_eq!(r["subject"], "Jane Doe");
    assert_eq!(r["parties"][1]["name"], "Bill Turner");
    assert_eq!(r["hits"][0]["party_id"], william["id"]);

    // The other side is a former client: potential.
    let answer = check(
        &app,
        t,
        json!([{"name": "Jane Doe", "role": "client"}, {"name": "Gregory Hale", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "potential", "{answer}");
    assert!(answer["review_id"].is_string());
    assert_ne!(answer["review_id"], review);
    let hit = hits_for(&answer, 1)[0];
    assert_eq!(hit["party_id"], gregory["id"]);
    assert_eq!(hit["severity"], "potential");
    assert!(hit["rule"].as_str().unwrap().contains("1.9"), "{hit}");

    // The new client is someone the firm is against: conflict.
    let answer = check(&app, t, json!([{"name": "Victor Krum", "role": "client"}])).await;
    assert_eq!(answer["status"], "conflict", "{answer}");
    let hit = hits_for(&answer, 0)[0];
    assert_eq!(hit["party_id"], victor["id"]);
    assert_eq!(hit["party_role"], "adverse_party");
    assert_eq!(hit["severity"], "conflict");

    // A returning client is no conflict.
    let answer = check(
        &app,
        t,
        json!([{"name": "William Turner", "role": "client"}]),
    )
    .await;
    assert_eq!(answer["status"], "clear", "{answer}");
    assert!(answer["review_id"].is_null());

    // Malformed checks.
    for body in [
        json!({"parties": []}),
        json!({"parties": [{"name": "X", "role": "plaintiff"}]}),
        json!({"parties": [{"name": "", "role": "client"}]}),
    ] {
        let resp = app
            .send(
                Method::POST,
                "/api/v1/conflicts/check",
                Some(t),
                Some(body.clone()),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    // READ_ONLY cannot run checks.
    let (_, ro) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/conflicts/check",
            Some(&ro.access),
            Some(json!({"parties": [{"name": "X", "role": "client"}]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Checks are audited.
    let admin = app.admin(&app.alpha).await;
    let page: Value = app
        .get_json(
            "/api/v1/audit?action=conflicts.check&limit=50",
            &admin.access,
        )
        .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 5, "{page}");
}

#[tokio::test]
async fn index_changes_are_seen_by_the_very_next_check() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    let adverse_olivia = json!([{"name": "Jane Doe", "role": "client"}, {"name": "Olivia Benson", "role": "adverse"}]);
    // Warm the index first, so later changes must update it, not build it.
    let answer = check(&app, t, adverse_olivia.clone()).await;
    assert_eq!(answer["status"], "clear", "{answer}");

    let olivia = add_party(
        &app,
        t,
        json!({"name": "Olivia Benson", "role": "client", "matter_ref": "2025-1", "matter_status": "open"}),
    )
    .await;
    let answer = check(&app, t, adverse_olivia.clone()).await;
    assert_eq!(answer["status"], "conflict", "{answer}");
    assert_eq!(hits_for(&answer, 1)[0]["party_id"], olivia["id"]);

    // Her matter closes: she is a former client now.
    let path = format!("/api/v1/parties/{}", olivia["id"].as_str().unwrap());
    let resp = app
        .send(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"matter_status": "closed"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let answer = check(&app, t, adverse_olivia.clone()).await;
    assert_eq!(answer["status"], "potential", "{answer}");

    // Renamed: the old name no longer hits, the new one does.
    let resp = app
        .send(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"name": "Olivia Stabler", "matter_status": "open"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let answer = check(&app, t, adverse_olivia.clone()).await;
    assert_eq!(answer["status"], "clear", "{answer}");
    let answer = check(
        &app,
        t,
        json!([{"name": "Olivia Stabler", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "conflict", "{answer}");

    // Deleted: no hit at all.
    let resp = app.send(Method::DELETE, &path, Some(t), None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let answer = check(
        &app,
        t,
        json!([{"name": "Olivia Stabler", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "clear", "{answer}");
    assert!(answer["hits"].as_array().unwrap().is_empty(), "{answer}");

    // An import is seen at once too.
    let resp = import(
        &app,
        t,
        "text/csv",
        "name,role,matter_status\nOlivia Benson,client,open\n",
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let answer = check(&app, t, adverse_olivia).await;
    assert_eq!(answer["status"], "conflict", "{answer}");
}

#[tokio::test]
async fn fuzzy_search_and_paging() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    let mut csv = format!("{CSV_HEADER}\n");
    csv.push_str("person,William Turner,,client,,,,2024-7,open\n");
    csv.push_str("person,Wilma Turnbull,,client,,,,2024-8,open\n");
    csv.push_str("person,Catherine Smith,,former_client,,,,2020-1,closed\n");
    for i in 0..7 {
        csv.push_str(&format!("person,Filler Person{i},,related_party,,,,,\n"));
    }
    assert_eq!(
        import(&app, t, "text/csv", &csv).await.status(),
        StatusCode::CREATED
    );

    let resp = app.get("/api/v1/parties?query=bill%20turner", t).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let found: Value = resp.json().await.unwrap();
    let parties = found["parties"].as_array().unwrap();
    assert!(!parties.is_empty(), "{found}");
    let best = &parties[0];
    assert_eq!(best["name"], "William Turner", "{found}");
    assert_eq!(best["role"], "client");
    let score = best["score"].as_f64().unwrap();
    assert!(score > 0.78 && score <= 1.0, "{score}");
    let explanation = best["explanation"].as_str().unwrap();
    assert!(explanation.contains("nickname"), "{explanation}");
    assert!(
        parties
            .iter()
            .all(|p| !p["name"].as_str().unwrap().starts_with("Filler")),
        "{found}"
    );
    assert!(found["next_after"].is_null());
    // Ordered best first.
    let scores: Vec<f64> = parties
        .iter()
        .map(|p| p["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // A typo finds her too.
    let found: Value = app
        .get_json("/api/v1/parties?query=Katherine%20Smith", t)
        .await;
    assert_eq!(found["parties"][0]["name"], "Catherine Smith", "{found}");
    // Nobody like that.
    let found: Value = app
        .get_json("/api/v1/parties?query=Zebulon%20Quayle", t)
        .await;
    assert!(found["parties"].as_array().unwrap().is_empty(), "{found}");

    // Without a query: pages.
    let mut seen = std::collections::BTreeSet::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let page: Value = app
            .get_json(&format!("/api/v1/parties?limit=4{after}"), t)
            .await;
        pages += 1;
        for p in page["parties"].as_array().unwrap() {
            assert!(seen.insert(p["id"].as_str().unwrap().to_owned()), "twice");
        }
        match page["next_after"].as_str() {
            Some(id) => after = format!("&after={id}"),
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(seen.len(), 10);
    assert_eq!(pages, 3);

    for bad in ["?limit=0", "?limit=201", "?after=nope", "?colour=red"] {
        let resp = app.get(&format!("/api/v1/parties{bad}"), t).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    // STAFF may search; READ_ONLY may not.
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    assert_eq!(
        app.get("/api/v1/parties?query=turner", &staff.access)
            .await
            .status(),
        StatusCode::OK
    );
    let (_, ro) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    assert_eq!(
        app.get("/api/v1/parties?query=turner", &ro.access)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Another firm's search finds none of it.
    let bravo = app.admin(&app.bravo).await;
    let found: Value = app
        .get_json("/api/v1/parties?query=william%20turner", &bravo.access)
        .await;
    assert!(found["parties"].as_array().unwrap().is_empty(), "{found}");
}

async fn decide(app: &TestApp, token: &str, review: &str, decision: &str) -> Response {
    app.send(
        Method::POST,
        &format!("/api/v1/conflicts/reviews/{review}/decision"),
        Some(token),
        Some(json!({"decision": decision, "note": "Spoke with Gregory; unrelated matter."})),
    )
    .await
}

#[tokio::test]
async fn the_review_queue_and_who_may_decide() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (attorney_id, attorney) = app.user_with_role(&app.alpha, "ATTORNEY").await;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let (_, ro) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let review = open_review(&app, &staff.access).await;

    // Staff and attorneys see the queue; read-only users do not.
    for token in [&staff.access, &attorney.access, &admin.access] {
        let resp = app.get("/api/v1/conflicts/reviews", token).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let list: Value = resp.json().await.unwrap();
        let reviews = list["reviews"].as_array().unwrap();
        assert_eq!(reviews.len(), 1, "{list}");
        assert_eq!(reviews[0]["id"], review.as_str());
        assert_eq!(reviews[0]["status"], "open");
        assert_eq!(reviews[0]["severity"], "potential");
    }
    let resp = app.get("/api/v1/conflicts/reviews", &ro.access).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(resp).await, "forbidden");
    let resp = app
        .get(&format!("/api/v1/conflicts/reviews/{review}"), &ro.access)
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Staff, read-only users and API keys (even an attorney's or admin's)
    // cannot decide.
    let (_, attorney_key) = app.api_key_with_role(&app.alpha, "ATTORNEY").await;
    let (_, admin_key) = app.api_key_with_role(&app.alpha, "ADMIN").await;
    for (who, token) in [
        ("staff", &staff.access),
        ("read-only", &ro.access),
        ("attorney key", &attorney_key),
        ("admin key", &admin_key),
    ] {
        let resp = decide(&app, token, &review, "cleared").await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{who}");
        assert_eq!(error_code(resp).await, "forbidden");
    }
    // An API key can still read the queue (it has conflicts:read).
    assert_eq!(
        app.get("/api/v1/conflicts/reviews", &attorney_key)
            .await
            .status(),
        StatusCode::OK
    );
    // A nonsense decision is refused without deciding.
    let resp = decide(&app, &attorney.access, &review, "maybe").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r: Value = app
        .get_json(
            &format!("/api/v1/conflicts/reviews/{review}"),
            &admin.access,
        )
        .await;
    assert_eq!(r["status"], "open");
    assert!(r["decided_at"].is_null());

    // The attorney clears it.
    let resp = decide(&app, &attorney.access, &review, "cleared").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["review"]["id"], review.as_str());
    assert_eq!(body["review"]["status"], "cleared");
    assert_eq!(body["review"]["decided_by"], attorney_id.as_str());
    assert_eq!(
        body["review"]["decision_note"],
        "Spoke with Gregory; unrelated matter."
    );
    assert!(body["review"]["decided_at"].is_string());
    assert_eq!(body["bookings"], json!([]));

    // Deciding again, either way, is a 409.
    for (token, decision) in [(&attorney.access, "declined"), (&admin.access, "cleared")] {
        let resp = decide(&app, token, &review, decision).await;
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        assert_eq!(error_code(resp).await, "invalid_state");
    }
    let r: Value = app
        .get_json(
            &format!("/api/v1/conflicts/reviews/{review}"),
            &admin.access,
        )
        .await;
    assert_eq!(r["status"], "cleared");

    // The queue by status.
    let open: Value = app
        .get_json("/api/v1/conflicts/reviews?status=open", &staff.access)
        .await;
    assert!(open["reviews"].as_array().unwrap().is_empty(), "{open}");
    let cleared: Value = app
        .get_json("/api/v1/conflicts/reviews?status=cleared", &staff.access)
        .await;
    assert_eq!(cleared["reviews"][0]["id"], review.as_str());

    // An admin declines another one.
    let answer = check(
        &app,
        &staff.access,
        json!([{"name": "Jane Roe", "role": "client"}, {"name": "Gregory Hale", "role": "adverse"}]),
    )
    .await;
    let second = answer["review_id"].as_str().unwrap();
    let resp = decide(&app, &admin.access, second, "declined").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["review"]["status"], "declined");
    assert_eq!(body["review"]["decided_by"], app.alpha.admin_id.as_str());
    let all: Value = app
        .get_json(
            "/api/v1/conflicts/reviews?status=all&limit=10",
            &staff.access,
        )
        .await;
    let all = all["reviews"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["id"], second, "newest first");
    let limited: Value = app
        .get_json(
            "/api/v1/conflicts/reviews?status=all&limit=1",
            &staff.access,
        )
        .await;
    assert_eq!(limited["reviews"].as_array().unwrap().len(), 1);
    for bad in ["?status=pending", "?limit=0", "?limit=201"] {
        let resp = app
            .get(&format!("/api/v1/conflicts/reviews{bad}"), &staff.access)
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    // A missing review.
    let resp = decide(
        &app,
        &admin.access,
        &uuid::Uuid::new_v4().to_string(),
        "cleared",
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Both decisions are audited, by who made them.
    let page: Value = app
        .get_json(
            "/api/v1/audit?action=conflicts.decide&limit=50",
            &admin.access,
        )
        .await;
    let entries = page["entries"].as_array().unwrap();
    let successes: Vec<&Value> = entries
        .iter()
        .filter(|e| e["outcome"] == "success")
        .collect();
    assert_eq!(successes.len(), 2, "{page}");
    assert!(
        successes
            .iter()
            .any(|e| e["actor"]["id"] == attorney_id.as_str())
    );
    assert!(
        successes
            .iter()
            .any(|e| e["actor"]["id"] == app.alpha.admin_id.as_str())
    );
}

/// Rule 1.18: a prospective client's information is protected, so a
/// completed intake's parties join the index (the hook the intake agent
/// calls) and the next check sees them: the other side of that intake
/// calling as a new client is flagged.
#[tokio::test]
async fn intake_parties_join_the_index_as_prospective_clients() {
    use hermes_conflicts::{MatterStatus, Party, PartyKind, PartyRole};

    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let tenant: hermes_core::TenantId = app.alpha.id.parse().unwrap();
    let party = |name: &str, role| Party {
        id: uuid::Uuid::now_v7(),
        kind: PartyKind::Person,
        name: name.into(),
        aliases: vec![],
        role,
        date_of_birth: None,
        phones: vec!["+15035550177".into()],
        emails: vec![],
        matter_ref: None,
        matter_status: Some(MatterStatus::Pending),
    };
    let added = hermes_api::routes::parties::record_intake_parties(
        &app.state,
        tenant,
        vec![
            party("Rosa Delgado", PartyRole::ProspectiveClient),
            party("Victor Hale", PartyRole::AdverseParty),
        ],
        hermes_store::AuditEvent::new(hermes_store::Actor::System, "intake.complete"),
    )
    .await
    .unwrap();
    assert_eq!(added, 2);

    // The intake's caller, now on the other side of a new matter.
    let out = check(
        &app,
        &admin.access,
        json!([{"name": "Victor Hale", "role": "client"}, {"name": "Rosa Delgado", "role": "adverse"}]),
    )
    .await;
    assert_eq!(out["status"], "conflict", "{out}");
    let roles: Vec<&str> = out["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["party_role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"prospective_client"), "{out}");
    assert!(roles.contains(&"adverse_party"), "{out}");
    let listed = app
        .get_json("/api/v1/parties?query=rosa%20delgado", &admin.access)
        .await;
    assert_eq!(listed["parties"][0]["source"], "intake", "{listed}");
}

/// Two nodes sharing PostgreSQL and Redis: a party written on one reaches
/// the other's in-memory index through pub/sub, without a restart, for a
/// single change, a deletion and a CSV import.
#[tokio::test]
async fn party_changes_reach_other_nodes() {
    let Some(redis) = hermes_testkit::redis_url().await else {
        return;
    };
    let Some(db) = hermes_testkit::TestDb::postgres().await else {
        return;
    };
    let prefix = format!("hermes-test-{}:", uuid::Uuid::new_v4().simple());
    let a = spawn_with(db, move |s| {
        s.redis.url = Some(redis);
        s.redis.key_prefix = prefix;
    })
    .await;
    let b = spawn_node(&a, |_| {}).await;
    let admin = a.admin(&a.alpha).await;
    let probe = json!([{"name": "Gregory Vance", "role": "adverse"}]);
    // Node b builds its index now, before the change.
    assert_eq!(
        check(&b, &admin.access, probe.clone()).await["status"],
        "clear"
    );

    // Polls node b until its check answers `want` (pub/sub is prompt, not
    // synchronous).
    async fn eventually(b: &TestApp, token: &str, probe: &Value, want: &str) {
        for _ in 0..100 {
            if check(b, token, probe.clone()).await["status"] == want {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("node b never answered {want}");
    }

    let resp = a
        .send(
            Method::POST,
            "/api/v1/parties",
            Some(&admin.access),
            Some(json!({"name": "Greg Vance", "role": "client", "matter_status": "open"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually(&b, &admin.access, &probe, "conflict").await;

    let resp = a
        .send(
            Method::DELETE,
            &format!("/api/v1/parties/{id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    eventually(&b, &admin.access, &probe, "clear").await;

    let resp = a
        .client
        .post(format!("{}/api/v1/parties/import", a.address))
        .bearer_auth(&admin.access)
        .header(CONTENT_TYPE, "text/csv")
        .body("name,role\nGregory Vance,former_client\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    eventually(&b, &admin.access, &probe, "potential").await;
}

/// Without a working event bus (here: two nodes with no Redis at all), the
/// periodic reconciliation is what brings a node's index up to date: a new
/// party is re-applied, a deleted one forces a rebuild.
#[tokio::test]
async fn reconciliation_catches_changes_whose_events_were_lost() {
    let Some(db) = hermes_testkit::TestDb::postgres().await else {
        return;
    };
    let a = spawn_with(db, |_| {}).await;
    let b = spawn_node(&a, |_| {}).await;
    let admin = a.admin(&a.alpha).await;
    let probe = json!([{"name": "Gregory Vance", "role": "adverse"}]);
    assert_eq!(
        check(&b, &admin.access, probe.clone()).await["status"],
        "clear"
    );

    let resp = a
        .send(
            Method::POST,
            "/api/v1/parties",
            Some(&admin.access),
            Some(json!({"name": "Greg Vance", "role": "client"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Node b heard nothing.
    assert_eq!(
        check(&b, &admin.access, probe.clone()).await["status"],
        "clear"
    );
    hermes_api::reconcile_conflict_indexes(&b.state).await;
    assert_eq!(
        check(&b, &admin.access, probe.clone()).await["status"],
        "conflict"
    );

    let resp = a
        .send(
            Method::DELETE,
            &format!("/api/v1/parties/{id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        check(&b, &admin.access, probe.clone()).await["status"],
        "conflict"
    );
    hermes_api::reconcile_conflict_indexes(&b.state).await;
    assert_eq!(check(&b, &admin.access, probe).await["status"], "clear");
}

/// The open queue comes oldest first (who has waited longest) and pages
/// with `after`, so no review is out of reach however long the queue.
#[tokio::test]
async fn the_review_queue_pages_oldest_first() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/parties",
            Some(&admin.access),
            Some(json!({"name": "Gregory Vance", "role": "former_client"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mut ids = Vec::new();
    for client in ["Ann Lee", "Bo Chan", "Cy Diaz"] {
        let out = check(
            &app,
            &admin.access,
            json!([{"name": client, "role": "client"}, {"name": "Gregory Vance", "role": "adverse"}]),
        )
        .await;
        ids.push(out["review_id"].as_str().unwrap().to_owned());
    }
    let first = app
        .get_json("/api/v1/conflicts/reviews?limit=2", &admin.access)
        .await;
    let got: Vec<&str> = first["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[0].as_str(), ids[1].as_str()]);
    assert_eq!(first["reviews"][0]["subject"], "Ann Lee");
    let after = first["next_after"].as_str().unwrap();
    let second = app
        .get_json(
            &format!("/api/v1/conflicts/reviews?limit=2&after={after}"),
            &admin.access,
        )
        .await;
    assert_eq!(second["reviews"].as_array().unwrap().len(), 1);
    assert_eq!(second["reviews"][0]["id"], ids[2].as_str());
    assert!(second["next_after"].is_null());
    let newest = app
        .get_json(
            "/api/v1/conflicts/reviews?order=newest&limit=1",
            &admin.access,
        )
        .await;
    assert_eq!(newest["reviews"][0]["id"], ids[2].as_str());
    let resp = app
        .get("/api/v1/conflicts/reviews?order=sideways", &admin.access)
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}
