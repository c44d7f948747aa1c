//! Plans and quotas end to end: a Free firm's 101st phone call of the
//! month is answered — the caller is never turned away — as a message, the
//! firm's admins are emailed (a real SMTP server receives it), and
//! `GET /api/v1/usage` shows the plan and the calls over its allowance.

use std::time::Duration;

use hermes::simulate::Step;
use hermes_api::auth::Invalidation;
use hermes_core::{Plan, TenantId};
use hermes_store::{Actor, AuditEvent, NewCall, TenantPatch};
use hermes_testkit::TestDb;
use hermes_testkit::notify::SmtpServer;
use serde_json::json;

use crate::helpers::*;
use crate::voice::{ended_call, install_engines, intake, says, simulation, telephony};

/// Moves a firm to `plan` as `hermes tenant plan` does, and drops this
/// node's cached copy of the firm (other nodes' copies expire within the
/// cache's seconds).
pub(crate) async fn set_plan(app: &TestApp, firm: &Firm, plan: Plan) {
    let id: TenantId = firm.id.parse().unwrap();
    app.state
        .store
        .scoped(id)
        .update_tenant(
            &TenantPatch {
                plan: Some(plan),
                ..Default::default()
            },
            AuditEvent::new(Actor::System, "tenant.plan"),
        )
        .await
        .unwrap();
    app.state.invalidate(Invalidation::Tenant(id)).await;
}

/// `n` phone calls already answered this month (recorded as the webhook
/// records them; only their count matters here).
async fn calls_this_month(app: &TestApp, firm: &Firm, n: usize) {
    let store = app.state.store.scoped(firm.id.parse().unwrap());
    for i in 0..n {
        let id = uuid::Uuid::now_v7();
        let call = store
            .create_call(&NewCall {
                id,
                provider: "twilio".into(),
                provider_call_id: format!("CA{i:032}"),
                from_number: Some("+15035550199".into()),
                to_number: Some("+15035550100".into()),
                metered: true,
            })
            .await
            .unwrap();
        assert_eq!(call.month_ordinal, Some(i as u64 + 1));
    }
}

const MESSAGE_CALL: [&str; 10] = [
    "yes",
    "my name is Maria Lopez",
    "L-O-P-E-Z",
    "five oh three five five five zero one zero zero",
    "yes",
    "no",
    "yes",
    "for myself",
    "I would like to talk to someone about a divorce",
    "no that's all",
];

#[tokio::test]
async fn the_101st_call_of_a_free_firm_is_answered_as_a_message_and_the_admins_are_told() {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let app = spawn_with(TestDb::sqlite(), |s| {
        s.notify.smtp = Some(hermes_notify::SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(smtp.port),
            tls: hermes_notify::SmtpTls::None,
            username: None,
            password: None,
            from: "HERMES <alerts@hermes.example>".into(),
        });
    })
    .await;
    let admin = telephony(&app, &app.alpha, json!({})).await;
    set_plan(&app, &app.alpha, Plan::Free).await;
    calls_this_month(&app, &app.alpha, 100).await;
    let usage = app.get_json("/api/v1/usage", &admin).await;
    assert_eq!(
        usage["plan"],
        json!({"name": "free", "calls_included": 100})
    );
    assert_eq!(usage["metered_calls"], 100, "{usage:#}");
    assert_eq!(usage["calls_over_allowance"], 0, "{usage:#}");
    assert!(smtp.messages().is_empty(), "nobody is told at 100 of 100");

    // The 101st call: answered, disclosures and consent as always, then a
    // message instead of the intake.
    install_engines(&app, &MESSAGE_CALL, 15);
    let steps: Vec<Step> = says(&MESSAGE_CALL);
    let report = simulation(&app, &app.alpha, &MESSAGE_CALL)
        .run(&steps)
        .await
        .unwrap();
    assert!(report.agent_hung_up, "{report:#?}");
    let call = ended_call(&app, &admin).await;
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    let record = &i["record"];
    assert_eq!(record["message_only"], true, "{record:#}");
    assert_eq!(record["fields"]["name"]["value"], "Maria Lopez");
    assert_eq!(record["fields"]["phone"]["value"], "+15035550100");
    assert_eq!(
        record["fields"]["message"]["value"],
        "I would like to talk to someone about a divorce"
    );
    assert_eq!(i["status"], "needs_review", "staff call the caller back");
    assert!(record["booking"].is_null() && record["conflict"].is_null());
    let said: Vec<String> = record["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["speaker"] == "agent")
        .map(|t| t["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(said[0].contains("not a lawyer"), "{said:#?}");
    assert!(
        said.iter().any(|s| s.contains("pass on to the firm")),
        "{said:#?}"
    );

    // Every active admin is emailed, once.
    let mail = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mail.len(), 1, "{mail:#?}");
    assert!(
        mail[0].contains(&format!("To: {}", app.alpha.admin_email)),
        "{}",
        mail[0]
    );
    assert!(
        mail[0].contains("Subject: HERMES: this month's calls are being taken as messages"),
        "{}",
        mail[0]
    );
    let audit = app
        .get_json("/api/v1/audit?action=plan.allowance_used", &admin)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit:#}");

    let usage = app.get_json("/api/v1/usage", &admin).await;
    assert_eq!(usage["metered_calls"], 101, "{usage:#}");
    assert_eq!(usage["calls_over_allowance"], 1, "{usage:#}");

    // Telling the admins again this month sends nothing more (a 102nd
    // call asks the same way).
    hermes_api::quota::tell_admins(
        &app.state,
        app.alpha.id.parse().unwrap(),
        Plan::Free,
        &hermes_api::quota::this_month(),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn only_phone_calls_are_metered_and_unlimited_plans_never_take_messages() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    calls_this_month(&app, &app.alpha, 3).await;
    // The browser test phone is the firm trying its agent: not metered.
    let store = app.state.store.scoped(app.alpha.id.parse().unwrap());
    let id = uuid::Uuid::now_v7();
    let test_call = store
        .create_call(&NewCall {
            id,
            provider: "browser".into(),
            provider_call_id: id.to_string(),
            from_number: None,
            to_number: None,
            metered: false,
        })
        .await
        .unwrap();
    assert_eq!(test_call.month_ordinal, None);
    let usage = app.get_json("/api/v1/usage", &admin.access).await;
    assert_eq!(usage["calls"], 4, "{usage:#}");
    assert_eq!(usage["metered_calls"], 3, "{usage:#}");
    assert_eq!(
        usage["plan"],
        json!({"name": "professional", "calls_included": null})
    );
    assert_eq!(usage["calls_over_allowance"], 0);
    // Another firm's calls are its own.
    let bravo = app.admin(&app.bravo).await;
    let usage = app.get_json("/api/v1/usage", &bravo.access).await;
    assert_eq!(usage["metered_calls"], 0, "{usage:#}");
    for plan in [Plan::Professional, Plan::Enterprise] {
        assert!(!hermes_api::quota::message_only(plan, Some(1_000)));
    }
}
