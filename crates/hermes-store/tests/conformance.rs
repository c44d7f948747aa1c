//! The storage conformance suite: every test runs against SQLite and against
//! the machine's PostgreSQL (as an ordinary role, so row-level security is
//! live). Each test gets a fresh, migrated database.

use std::sync::Arc;

use chrono::Duration;
use hermes_core::{DisplayName, Email, Role, TenantName, TenantSlug, TimeZone, UserId};
use hermes_store::model::now;
use hermes_store::*;
use hermes_testkit::TestDb;

struct Ctx {
    db: TestDb,
    store: Arc<dyn Store>,
}

async fn open(db: TestDb) -> Ctx {
    let store = hermes_store::connect(&ConnectOptions::new(db.url()))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    Ctx { db, store }
}

fn new_tenant(slug: &str) -> NewTenant {
    NewTenant {
        slug: TenantSlug::parse(slug).unwrap(),
        name: TenantName::parse(&format!("{slug} LLP")).unwrap(),
        time_zone: TimeZone::parse("America/Chicago").unwrap(),
        plan: hermes_core::Plan::Professional,
    }
}

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("Test Person").unwrap(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

fn ev(action: &'static str) -> AuditEvent {
    AuditEvent::new(Actor::System, action)
}

async fn tenant(ctx: &Ctx, slug: &str) -> (Tenant, User) {
    ctx.store
        .create_tenant(
            &new_tenant(slug),
            &new_user("admin@example.com", Role::Admin),
        )
        .await
        .unwrap()
}

fn token(hash: &str, valid_for: Duration) -> NewRefreshToken {
    NewRefreshToken {
        hash: hash.into(),
        expires_at: now() + valid_for,
    }
}

// ---------------------------------------------------------------------------

async fn migrations_are_idempotent(ctx: Ctx) {
    ctx.store.migrate().await.unwrap();
    ctx.store.migrate().await.unwrap();
    ctx.store.ping().await.unwrap();
}

async fn tenants_are_created_with_their_admin(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "smith-jones").await;
    assert_eq!(t.slug.as_ref(), "smith-jones");
    assert_eq!(admin.tenant_id, t.id);
    assert_eq!(admin.role, Role::Admin);
    assert!(admin.active);

    let by_slug = ctx
        .store
        .tenant_by_slug(&t.slug)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(by_slug, t);
    assert_eq!(ctx.store.tenant_by_id(t.id).await.unwrap(), Some(t.clone()));
    assert!(
        ctx.store
            .tenant_by_slug(&TenantSlug::parse("nobody").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let dup = ctx
        .store
        .create_tenant(
            &new_tenant("smith-jones"),
            &new_user("x@example.com", Role::Admin),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict("slug"))), "{dup:?}");

    tenant(&ctx, "acme").await;
    let slugs: Vec<String> = ctx
        .store
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.slug.to_string())
        .collect();
    assert_eq!(slugs, vec!["acme", "smith-jones"]);

    // The creation is audited in the new tenant's log.
    let log = ctx
        .store
        .scoped(t.id)
        .list_audit(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "tenant.create");
}

async fn users_are_unique_per_tenant(ctx: Ctx) {
    let (a, _) = tenant(&ctx, "firm-a").await;
    let (b, _) = tenant(&ctx, "firm-b").await;
    let sa = ctx.store.scoped(a.id);
    let sb = ctx.store.scoped(b.id);
    let u = sa
        .create_user(&new_user("Ana@Example.com", Role::Staff), ev("user.create"))
        .await
        .unwrap();
    assert_eq!(u.email.as_ref(), "ana@example.com");
    let dup = sa
        .create_user(&new_user("ana@example.com", Role::Staff), ev("user.create"))
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict("email"))), "{dup:?}");
    // The same address may exist in another firm.
    sb.create_user(
        &new_user("ana@example.com", Role::Attorney),
        ev("user.create"),
    )
    .await
    .unwrap();

    let (found, hash) = sa
        .user_credentials(&Email::parse("ana@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, u);
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(sa.list_users().await.unwrap().len(), 2);
}

async fn tenant_scope_hides_other_tenants(ctx: Ctx) {
    let (a, admin_a) = tenant(&ctx, "firm-a").await;
    let (b, _) = tenant(&ctx, "firm-b").await;
    let sb = ctx.store.scoped(b.id);
    assert_eq!(sb.user(admin_a.id).await.unwrap(), None);
    assert!(
        sb.user_credentials(&admin_a.email)
            .await
            .unwrap()
            .is_some_and(|(u, _)| u.tenant_id == b.id)
    );
    let patch = UserPatch {
        display_name: Some(DisplayName::parse("Hijacked").unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        sb.update_user(admin_a.id, &patch, ev("user.update")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        sb.delete_user(admin_a.id, ev("user.delete")).await,
        Err(StoreError::NotFound)
    ));
    let key = ctx
        .store
        .scoped(a.id)
        .create_api_key(
            &NewApiKey {
                name: "zapier".into(),
                role: Role::Staff,
                hash: "hash-a".into(),
                prefix: "hk_…abc".into(),
                created_by: Some(admin_a.id),
            },
            ev("api_key.create"),
        )
        .await
        .unwrap();
    assert_eq!(sb.api_key(key.id).await.unwrap(), None);
    assert_eq!(sb.api_key_by_hash("hash-a").await.unwrap(), None);
    assert!(matches!(
        sb.revoke_api_key(key.id, ev("api_key.revoke")).await,
        Err(StoreError::NotFound)
    ));
    // Nothing of B's side effects leaked into A.
    assert_eq!(
        ctx.store
            .scoped(a.id)
            .user(admin_a.id)
            .await
            .unwrap()
            .unwrap()
            .display_name
            .as_ref(),
        "Test Person"
    );
    // A scope for a tenant that does not exist cannot write.
    let ghost = ctx.store.scoped(hermes_core::TenantId::new());
    assert!(matches!(
        ghost
            .create_user(&new_user("g@example.com", Role::Admin), ev("user.create"))
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn updates_apply_and_keep_an_admin(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let s = ctx.store.scoped(t.id);

    // The only admin can be renamed, not demoted, deactivated or deleted.
    let renamed = s
        .update_user(
            admin.id,
            &UserPatch {
                display_name: Some(DisplayName::parse("Boss").unwrap()),
                ..Default::default()
            },
            ev("user.update"),
        )
        .await
        .unwrap()
        .0;
    assert_eq!(renamed.display_name.as_ref(), "Boss");
    assert!(renamed.updated_at >= admin.updated_at);
    for patch in [
        UserPatch {
            role: Some(Role::Staff),
            ..Default::default()
        },
        UserPatch {
            active: Some(false),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            s.update_user(admin.id, &patch, ev("user.update")).await,
            Err(StoreError::LastAdmin)
        ));
    }
    assert!(matches!(
        s.delete_user(admin.id, ev("user.delete")).await,
        Err(StoreError::LastAdmin)
    ));

    // An inactive admin does not count.
    let second = s
        .create_user(
            &new_user("second@example.com", Role::Admin),
            ev("user.create"),
        )
        .await
        .unwrap();
    s.update_user(
        second.id,
        &UserPatch {
            active: Some(false),
            ..Default::default()
        },
        ev("user.update"),
    )
    .await
    .unwrap();
    assert!(matches!(
        s.delete_user(admin.id, ev("user.delete")).await,
        Err(StoreError::LastAdmin)
    ));

    // With another active admin, the first may step down.
    s.update_user(
        second.id,
        &UserPatch {
            active: Some(true),
            ..Default::default()
        },
        ev("user.update"),
    )
    .await
    .unwrap();
    let demoted = s
        .update_user(
            admin.id,
            &UserPatch {
                role: Some(Role::Attorney),
                password_hash: Some("$argon2id$new".into()),
                ..Default::default()
            },
            ev("user.update"),
        )
        .await
        .unwrap()
        .0;
    assert_eq!(demoted.role, Role::Attorney);
    let (_, hash) = s.user_credentials(&admin.email).await.unwrap().unwrap();
    assert_eq!(hash, "$argon2id$new");

    s.delete_user(admin.id, ev("user.delete")).await.unwrap();
    assert_eq!(s.user(admin.id).await.unwrap(), None);
    assert!(matches!(
        s.delete_user(admin.id, ev("user.delete")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.delete_user(second.id, ev("user.delete")).await,
        Err(StoreError::LastAdmin)
    ));
}

async fn refresh_tokens_rotate_and_reuse_revokes_the_family(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let s = ctx.store.scoped(t.id);
    let family = s
        .start_session(admin.id, &token("r1", Duration::days(30)), ev("auth.login"))
        .await
        .unwrap();

    let out = s
        .rotate_refresh_token("r1", &token("r2", Duration::days(30)), now(), ev("x"))
        .await
        .unwrap();
    assert_eq!(
        out,
        RotateOutcome::Rotated {
            user: admin.clone(),
            family
        }
    );
    let out = s
        .rotate_refresh_token("r2", &token("r3", Duration::days(30)), now(), ev("x"))
        .await
        .unwrap();
    assert!(matches!(out, RotateOutcome::Rotated { .. }));

    // r1 again: a replay. The family dies, r3 with it.
    let out = s
        .rotate_refresh_token("r1", &token("r4", Duration::days(30)), now(), ev("x"))
        .await
        .unwrap();
    assert_eq!(
        out,
        RotateOutcome::Reused {
            user: admin.id,
            family
        }
    );
    let out = s
        .rotate_refresh_token("r3", &token("r5", Duration::days(30)), now(), ev("x"))
        .await
        .unwrap();
    assert_eq!(out, RotateOutcome::Invalid);

    let actions: Vec<String> = s
        .list_audit(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            "auth.refresh_reuse",
            "auth.refresh",
            "auth.refresh",
            "auth.login",
            "tenant.create"
        ]
    );

    // Unknown and other tenants' tokens are invalid.
    assert_eq!(
        s.rotate_refresh_token("nope", &token("r6", Duration::days(1)), now(), ev("x"))
            .await
            .unwrap(),
        RotateOutcome::Invalid
    );
}

async fn expired_revoked_and_inactive_sessions_are_invalid(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let s = ctx.store.scoped(t.id);
    let staff = s
        .create_user(
            &new_user("staff@example.com", Role::Staff),
            ev("user.create"),
        )
        .await
        .unwrap();

    s.start_session(
        staff.id,
        &token("old", Duration::seconds(-1)),
        ev("auth.login"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.rotate_refresh_token("old", &token("n1", Duration::days(1)), now(), ev("x"))
            .await
            .unwrap(),
        RotateOutcome::Invalid
    );

    let fam = s
        .start_session(
            staff.id,
            &token("live", Duration::days(1)),
            ev("auth.login"),
        )
        .await
        .unwrap();
    s.end_session(
        Some(fam),
        "jti-1",
        now() + Duration::minutes(15),
        ev("auth.logout"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.rotate_refresh_token("live", &token("n2", Duration::days(1)), now(), ev("x"))
            .await
            .unwrap(),
        RotateOutcome::Invalid
    );
    assert!(s.is_access_token_revoked("jti-1", None).await.unwrap());
    assert!(!s.is_access_token_revoked("jti-2", None).await.unwrap());
    // Any token of the ended session counts as revoked too.
    assert!(s.is_access_token_revoked("jti-2", Some(fam)).await.unwrap());
    let ended = s
        .recently_ended_sessions(now() - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(ended.iter().map(|(f, _)| *f).collect::<Vec<_>>(), vec![fam]);
    let active = s.active_revocations(now()).await.unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].0, "jti-1");
    assert!(
        s.active_revocations(now() + Duration::minutes(20))
            .await
            .unwrap()
            .is_empty()
    );

    // Deactivating a user ends their sessions, and says which.
    let s3 = s
        .start_session(staff.id, &token("s3", Duration::days(1)), ev("auth.login"))
        .await
        .unwrap();
    let (_, ended) = s
        .update_user(
            staff.id,
            &UserPatch {
                active: Some(false),
                ..Default::default()
            },
            ev("user.update"),
        )
        .await
        .unwrap();
    // (Every family still marked live ends: also the one whose token had
    // expired.)
    assert!(ended.contains(&s3), "{ended:?}");
    assert_eq!(
        s.rotate_refresh_token("s3", &token("n3", Duration::days(1)), now(), ev("x"))
            .await
            .unwrap(),
        RotateOutcome::Invalid
    );

    // A rename or a role change does not (requests use the current role);
    // a new password does.
    s.create_user(
        &new_user("second@example.com", Role::Admin),
        ev("user.create"),
    )
    .await
    .unwrap();
    s.start_session(admin.id, &token("a1", Duration::days(1)), ev("auth.login"))
        .await
        .unwrap();
    let (_, ended) = s
        .update_user(
            admin.id,
            &UserPatch {
                display_name: Some(DisplayName::parse("Renamed").unwrap()),
                role: Some(Role::Attorney),
                ..Default::default()
            },
            ev("user.update"),
        )
        .await
        .unwrap();
    assert!(ended.is_empty());
    assert!(matches!(
        s.rotate_refresh_token("a1", &token("a2", Duration::days(1)), now(), ev("x"))
            .await
            .unwrap(),
        RotateOutcome::Rotated { .. }
    ));

    // Deleting a user deletes their sessions.
    s.delete_user(staff.id, ev("user.delete")).await.unwrap();
}

async fn api_keys_lifecycle(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let s = ctx.store.scoped(t.id);
    let k = s
        .create_api_key(
            &NewApiKey {
                name: "intake form".into(),
                role: Role::Staff,
                hash: "h1".into(),
                prefix: "hk_…abcdef".into(),
                created_by: Some(admin.id),
            },
            ev("api_key.create"),
        )
        .await
        .unwrap();
    assert_eq!(k.role, Role::Staff);
    assert_eq!(k.created_by, Some(admin.id));
    assert!(k.revoked_at.is_none());
    assert_eq!(s.api_key_by_hash("h1").await.unwrap(), Some(k.clone()));
    assert_eq!(s.api_key(k.id).await.unwrap(), Some(k.clone()));
    assert_eq!(s.list_api_keys().await.unwrap(), vec![k.clone()]);

    let revoked = s.revoke_api_key(k.id, ev("api_key.revoke")).await.unwrap();
    let at = revoked.revoked_at.expect("revoked");
    let again = s.revoke_api_key(k.id, ev("api_key.revoke")).await.unwrap();
    assert_eq!(again.revoked_at, Some(at), "revocation time is kept");
    assert!(matches!(
        s.revoke_api_key(hermes_core::ApiKeyId::new(), ev("api_key.revoke"))
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn api_keys_do_not_outlive_their_creator(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "firm").await;
    let s = ctx.store.scoped(t.id);
    let second = s
        .create_user(
            &new_user("second@example.com", Role::Admin),
            ev("user.create"),
        )
        .await
        .unwrap();
    let key = |name: &str, role: Role, hash: &str| NewApiKey {
        name: name.into(),
        role,
        hash: hash.into(),
        prefix: "hk_…".into(),
        created_by: Some(second.id),
    };
    let admin_key = s
        .create_api_key(&key("a", Role::Admin, "ha"), ev("api_key.create"))
        .await
        .unwrap();
    let staff_key = s
        .create_api_key(&key("s", Role::Staff, "hs"), ev("api_key.create"))
        .await
        .unwrap();
    let ro_key = s
        .create_api_key(&key("r", Role::ReadOnly, "hr"), ev("api_key.create"))
        .await
        .unwrap();

    // Demoted to STAFF: keys above STAFF are revoked, the others stay.
    s.update_user(
        second.id,
        &UserPatch {
            role: Some(Role::Staff),
            ..Default::default()
        },
        AuditEvent::new(Actor::System, "user.update"),
    )
    .await
    .unwrap();
    let revoked = |k: &ApiKey| {
        let s = &s;
        let id = k.id;
        async move { s.api_key(id).await.unwrap().unwrap().revoked_at.is_some() }
    };
    assert!(revoked(&admin_key).await);
    assert!(!revoked(&staff_key).await);
    assert!(!revoked(&ro_key).await);

    // Deleted: the rest go too, each revocation audited.
    s.delete_user(second.id, ev("user.delete")).await.unwrap();
    assert!(revoked(&staff_key).await);
    assert!(revoked(&ro_key).await);
    let revocations = s
        .list_audit(&AuditFilter {
            action: Some("api_key.revoke".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(revocations.len(), 3);
    assert!(s.verify_audit_chain().await.unwrap().is_intact());
}

async fn audit_log_filters_and_pages(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let s = ctx.store.scoped(t.id);
    let before = now();
    for i in 0..5 {
        s.append_audit(
            AuditEvent::new(Actor::User(admin.id), "auth.login")
                .outcome(if i % 2 == 0 {
                    Outcome::Success
                } else {
                    Outcome::Failure
                })
                .client(Some("10.0.0.1".into()), Some("curl/8".into()))
                .details(serde_json::json!({"i": i})),
        )
        .await
        .unwrap();
    }
    s.append_audit(AuditEvent::new(Actor::Anonymous, "auth.login").outcome(Outcome::Failure))
        .await
        .unwrap();

    let all = s
        .list_audit(&AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    assert_eq!(all[1].details, serde_json::json!({"i": 4}));
    assert_eq!(all[1].ip.as_deref(), Some("10.0.0.1"));

    let failures = s
        .list_audit(&AuditFilter {
            outcome: Some(Outcome::Failure),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failures.len(), 3);

    let by_actor = s
        .list_audit(&AuditFilter {
            actor_id: Some(admin.id.to_string()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_actor.len(), 5);

    let page1 = s
        .list_audit(&AuditFilter {
            action: Some("auth.login".into()),
            limit: 4,
            ..Default::default()
        })
        .await
        .unwrap();
    let page2 = s
        .list_audit(&AuditFilter {
            action: Some("auth.login".into()),
            limit: 4,
            before_seq: Some(page1.last().unwrap().seq),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page1.len() + page2.len(), 6);
    assert!(page2.iter().all(|e| e.seq < page1.last().unwrap().seq));

    // Time filters (on SQLite these compare RFC 3339 text).
    let since = s
        .list_audit(&AuditFilter {
            since: Some(before),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(since.len(), 6, "tenant.create predates `before`");
    let until = s
        .list_audit(&AuditFilter {
            until: Some(before),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(until.len(), 1);
    let none = s
        .list_audit(&AuditFilter {
            since: Some(now() + Duration::seconds(1)),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn audit_chain_verifies_and_catches_tampering(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let s = ctx.store.scoped(t.id);
    for _ in 0..4 {
        s.append_audit(AuditEvent::new(Actor::User(admin.id), "auth.login"))
            .await
            .unwrap();
    }
    let report = s.verify_audit_chain().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.entries, 5);

    ctx.db
        .execute_as_admin("UPDATE audit_log SET outcome = 'failure' WHERE seq = 3")
        .await;
    let report = s.verify_audit_chain().await.unwrap();
    assert!(!report.is_intact());
    assert!(
        report.problems.iter().any(|p| p.contains("entry 3")),
        "{:?}",
        report.problems
    );
}

async fn audit_chain_catches_deleted_rows(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let (other, _) = tenant(&ctx, "other").await;
    let s = ctx.store.scoped(t.id);
    for _ in 0..4 {
        s.append_audit(AuditEvent::new(Actor::User(admin.id), "auth.login"))
            .await
            .unwrap();
    }
    ctx.db
        .execute_as_admin("DELETE FROM audit_log WHERE seq = 5")
        .await;
    let report = s.verify_audit_chain().await.unwrap();
    assert!(
        report.problems.iter().any(|p| p.contains("head")),
        "{:?}",
        report.problems
    );
    // The other tenant's chain is its own and intact... until its first
    // entry is removed.
    let so = ctx.store.scoped(other.id);
    assert!(so.verify_audit_chain().await.unwrap().is_intact());
}

async fn concurrent_writes_keep_the_chain_linear(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = ctx.store.clone();
        tasks.push(tokio::spawn(async move {
            let s = store.scoped(t.id);
            if i % 3 == 0 {
                s.create_user(
                    &new_user(&format!("u{i}@example.com"), Role::Staff),
                    AuditEvent::new(Actor::User(admin.id), "user.create"),
                )
                .await
                .map(|_| ())
            } else {
                s.append_audit(AuditEvent::new(Actor::User(admin.id), "auth.login"))
                    .await
                    .map(|_| ())
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let report = ctx.store.scoped(t.id).verify_audit_chain().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.entries, 25);
}

async fn concurrent_demotions_keep_one_admin(ctx: Ctx) {
    let (t, first) = tenant(&ctx, "firm").await;
    let s = ctx.store.scoped(t.id);
    let second = s
        .create_user(&new_user("two@example.com", Role::Admin), ev("user.create"))
        .await
        .unwrap();
    let demote = |id: UserId| {
        let store = ctx.store.clone();
        async move {
            store
                .scoped(t.id)
                .update_user(
                    id,
                    &UserPatch {
                        role: Some(Role::Staff),
                        ..Default::default()
                    },
                    ev("user.update"),
                )
                .await
        }
    };
    let (a, b) = tokio::join!(demote(first.id), demote(second.id));
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one demotion may succeed: {a:?} {b:?}"
    );
    let admins = s
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.role == Role::Admin && u.active)
        .count();
    assert_eq!(admins, 1);
}

// ---------------------------------------------------------------------------
// The firm issue: settings, attorneys, parties, reviews, bookings.

fn attorney_doc(name: &str) -> hermes_firm::Attorney {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "practice_areas": ["family"],
        "availability": {"monday": [{"start": "09:00", "end": "17:00"}]},
    }))
    .unwrap()
}

fn at(h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2030, 1, 7, h, m, 0).unwrap()
}

fn booking(
    attorney: uuid::Uuid,
    start: chrono::DateTime<chrono::Utc>,
    status: BookingStatus,
) -> NewBooking {
    NewBooking {
        id: uuid::Uuid::now_v7(),
        attorney_id: attorney,
        practice_area: "family".into(),
        starts_at: start,
        ends_at: start + Duration::minutes(30),
        // A 15-minute buffer after the meeting.
        blocked_until: start + Duration::minutes(45),
        status,
        hold_expires_at: (status == BookingStatus::Held).then(|| start - Duration::days(1)),
        conflict_review_id: None,
        contact: BookingContact::default(),
    }
}

fn no_check(_: &[Booking]) -> Result<(), String> {
    Ok(())
}

fn party(name: &str, role: hermes_conflicts::PartyRole) -> hermes_conflicts::Party {
    hermes_conflicts::Party {
        id: uuid::Uuid::now_v7(),
        kind: hermes_conflicts::PartyKind::Person,
        name: name.into(),
        aliases: vec!["Alias One".into()],
        role,
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1980, 4, 12),
        phones: vec!["+15035550100".into()],
        emails: vec!["x@example.com".into()],
        matter_ref: Some("2024-7".into()),
        matter_status: Some(hermes_conflicts::MatterStatus::Open),
    }
}

async fn firm_settings_and_attorneys_round_trip(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "alpha").await;
    let s = ctx.store.scoped(t.id);
    assert_eq!(s.firm_settings().await.unwrap(), FirmSettings::default());
    let hours = hermes_firm::Hours::default_for_new_firm();
    let got = s
        .put_settings(&SettingsUpdate::Hours(hours.clone()), ev("settings.update"))
        .await
        .unwrap();
    assert_eq!(got.hours.as_ref(), Some(&hours));
    assert!(got.profile.is_none());
    let areas: hermes_firm::PracticeAreas = serde_json::from_value(serde_json::json!(
        {"areas": [{"key": "family", "consultation_minutes": 30, "free_consultation": true}]}
    ))
    .unwrap();
    let got = s
        .put_settings(
            &SettingsUpdate::PracticeAreas(areas.clone()),
            ev("settings.update"),
        )
        .await
        .unwrap();
    assert_eq!(got.practice_areas.as_ref(), Some(&areas));
    assert_eq!(got.hours.as_ref(), Some(&hours), "other sections stay");
    let offices: hermes_firm::Offices = serde_json::from_value(serde_json::json!({"offices": [{
        "key": "seattle", "name": "Seattle", "time_zone": "America/Los_Angeles",
        "phone_numbers": ["+12065550100"], "hours": hours,
    }]}))
    .unwrap();
    let got = s
        .put_settings(
            &SettingsUpdate::Offices(offices.clone()),
            ev("settings.update"),
        )
        .await
        .unwrap();
    assert_eq!(got.offices.as_ref(), Some(&offices));
    assert_eq!(s.firm_settings().await.unwrap().offices, Some(offices));
    assert_eq!(
        got.practice_areas.as_ref(),
        Some(&areas),
        "other sections stay"
    );

    let id = uuid::Uuid::now_v7();
    let a = s
        .create_attorney(id, &attorney_doc("Maria Lopez"), ev("attorney.create"))
        .await
        .unwrap();
    assert_eq!(a.attorney.name, "Maria Lopez");
    let mut changed = attorney_doc("Maria Lopez-Smith");
    changed.buffer_minutes = 30;
    let a2 = s
        .update_attorney(id, &changed, ev("attorney.update"))
        .await
        .unwrap();
    assert_eq!(a2.attorney.buffer_minutes, 30);
    assert_eq!(s.list_attorneys().await.unwrap().len(), 1);

    // Another firm sees none of it.
    let (other, _) = tenant(&ctx, "bravo").await;
    let o = ctx.store.scoped(other.id);
    assert!(o.attorney(id).await.unwrap().is_none());
    assert!(o.list_attorneys().await.unwrap().is_empty());
    assert!(matches!(
        o.update_attorney(id, &changed, ev("x")).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(o.firm_settings().await.unwrap(), FirmSettings::default());

    // An attorney with bookings cannot be deleted; one without can.
    s.create_booking(
        &booking(id, at(10, 0), BookingStatus::Confirmed),
        at(8, 0),
        &no_check,
        ev("booking.create"),
    )
    .await
    .unwrap();
    assert!(matches!(
        s.delete_attorney(id, ev("attorney.delete")).await,
        Err(StoreError::InUse(_))
    ));
    let spare = uuid::Uuid::now_v7();
    s.create_attorney(spare, &attorney_doc("Spare"), ev("attorney.create"))
        .await
        .unwrap();
    s.delete_attorney(spare, ev("attorney.delete"))
        .await
        .unwrap();
    assert!(s.attorney(spare).await.unwrap().is_none());
    assert!(s.verify_audit_chain().await.unwrap().is_intact());
}

async fn bookings_never_overlap(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "alpha").await;
    let s = ctx.store.scoped(t.id);
    let a = uuid::Uuid::now_v7();
    s.create_attorney(a, &attorney_doc("A"), ev("attorney.create"))
        .await
        .unwrap();
    let b = uuid::Uuid::now_v7();
    s.create_attorney(b, &attorney_doc("B"), ev("attorney.create"))
        .await
        .unwrap();
    let now = at(8, 0);
    let first = s
        .create_booking(
            &booking(a, at(10, 0), BookingStatus::Confirmed),
            now,
            &no_check,
            ev("b"),
        )
        .await
        .unwrap();
    // The check is a no-op here: the database alone refuses overlaps,
    // including the buffer after a meeting.
    for (h, m) in [(10, 0), (9, 45), (10, 15), (10, 30)] {
        let r = s
            .create_booking(
                &booking(a, at(h, m), BookingStatus::Confirmed),
                now,
                &no_check,
                ev("b"),
            )
            .await;
        assert!(matches!(r, Err(StoreError::SlotTaken)), "{h}:{m} {r:?}");
    }
    // Back to back with the buffer respected, and another attorney at the
    // same time, are fine.
    s.create_booking(
        &booking(a, at(10, 45), BookingStatus::Tentative),
        now,
        &no_check,
        ev("b"),
    )
    .await
    .unwrap();
    s.create_booking(
        &booking(b, at(10, 0), BookingStatus::Confirmed),
        now,
        &no_check,
        ev("b"),
    )
    .await
    .unwrap();
    // A caller-side rule refusal is reported as such.
    let refuse = |_: &[Booking]| Err("closed that day".to_owned());
    let r = s
        .create_booking(
            &booking(a, at(15, 0), BookingStatus::Confirmed),
            now,
            &refuse,
            ev("b"),
        )
        .await;
    assert!(
        matches!(r, Err(StoreError::Rejected(ref m)) if m == "closed that day"),
        "{r:?}"
    );
    // The check sees the attorney's other reservations.
    let seen = std::sync::Mutex::new(0);
    let count = |others: &[Booking]| {
        *seen.lock().unwrap() = others.len();
        Ok(())
    };
    s.create_booking(
        &booking(a, at(13, 0), BookingStatus::Confirmed),
        now,
        &count,
        ev("b"),
    )
    .await
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), 2);
    // Cancelling frees the time; rescheduling onto a taken slot is refused.
    let moved = s
        .create_booking(
            &booking(a, at(14, 0), BookingStatus::Confirmed),
            now,
            &no_check,
            ev("b"),
        )
        .await
        .unwrap();
    s.update_booking(first.id, &BookingChange::Cancel, now, &no_check, ev("c"))
        .await
        .unwrap();
    let again = s
        .create_booking(
            &booking(a, at(10, 0), BookingStatus::Confirmed),
            now,
            &no_check,
            ev("b"),
        )
        .await
        .unwrap();
    let onto = BookingChange::Reschedule {
        attorney_id: a,
        starts_at: at(10, 0),
        ends_at: at(10, 30),
        blocked_until: at(10, 45),
    };
    assert!(matches!(
        s.update_booking(moved.id, &onto, now, &no_check, ev("r"))
            .await,
        Err(StoreError::SlotTaken)
    ));
    let free = BookingChange::Reschedule {
        attorney_id: a,
        starts_at: at(16, 0),
        ends_at: at(16, 30),
        blocked_until: at(16, 45),
    };
    let r = s
        .update_booking(moved.id, &free, now, &no_check, ev("r"))
        .await
        .unwrap();
    assert_eq!((r.starts_at, r.sequence), (at(16, 0), 1));
    assert!(matches!(
        s.update_booking(first.id, &BookingChange::Cancel, now, &no_check, ev("c"))
            .await,
        Err(StoreError::InvalidState(_))
    ));
    assert_eq!(again.status, BookingStatus::Confirmed);

    // Paging by (start, id) visits every row once, in order.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let filter = BookingFilter {
            after,
            limit: 2,
            ..Default::default()
        };
        let page = s.list_bookings(&filter, now).await.unwrap();
        seen.extend(page.iter().map(|b| (b.starts_at, b.id)));
        match page.last() {
            Some(last) if page.len() == 2 => after = Some((last.starts_at, last.id)),
            _ => break,
        }
    }
    let all = s
        .list_bookings(
            &BookingFilter {
                limit: 100,
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        seen,
        all.iter().map(|b| (b.starts_at, b.id)).collect::<Vec<_>>()
    );
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    let cancelled = BookingFilter {
        status: Some(BookingStatus::Cancelled),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.list_bookings(&cancelled, now).await.unwrap().len(), 1);
}

async fn concurrent_bookings_of_one_slot_yield_one(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "alpha").await;
    let a = uuid::Uuid::now_v7();
    ctx.store
        .scoped(t.id)
        .create_attorney(a, &attorney_doc("A"), ev("attorney.create"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = ctx.store.clone();
            tokio::spawn(async move {
                // Slightly different starts: overlaps, not only equal rows.
                let start = at(10, 0) + Duration::minutes(i % 3 * 5);
                store
                    .scoped(t.id)
                    .create_booking(
                        &booking(a, start, BookingStatus::Confirmed),
                        at(8, 0),
                        &no_check,
                        ev("b"),
                    )
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::SlotTaken) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    let active = ctx
        .store
        .scoped(t.id)
        .busy(at(0, 0), at(23, 0), at(8, 0))
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
}

async fn holds_expire(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "alpha").await;
    let s = ctx.store.scoped(t.id);
    let a = uuid::Uuid::now_v7();
    s.create_attorney(a, &attorney_doc("A"), ev("attorney.create"))
        .await
        .unwrap();
    let t0 = at(8, 0);
    let mut hold = booking(a, at(10, 0), BookingStatus::Held);
    hold.hold_expires_at = Some(t0 + Duration::minutes(5));
    let hold = s
        .create_booking(&hold, t0, &no_check, ev("hold"))
        .await
        .unwrap();
    assert!(hold.is_active_at(t0));
    // While it lives, nobody else gets the slot.
    let r = s
        .create_booking(
            &booking(a, at(10, 0), BookingStatus::Confirmed),
            t0 + Duration::minutes(1),
            &no_check,
            ev("b"),
        )
        .await;
    assert!(matches!(r, Err(StoreError::SlotTaken)));
    assert_eq!(s.busy(at(0, 0), at(23, 0), t0).await.unwrap().len(), 1);
    // After it lapses, availability no longer counts it, the slot can be
    // booked, and the hold cannot.
    let later = t0 + Duration::minutes(6);
    assert!(s.busy(at(0, 0), at(23, 0), later).await.unwrap().is_empty());
    let from_hold = BookingChange::FromHold {
        conflict_review_id: None,
        contact: BookingContact::default(),
    };
    assert!(matches!(
        s.update_booking(hold.id, &from_hold, later, &no_check, ev("b"))
            .await,
        Err(StoreError::InvalidState(_))
    ));
    s.create_booking(
        &booking(a, at(10, 0), BookingStatus::Confirmed),
        later,
        &no_check,
        ev("b"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.booking(hold.id).await.unwrap().unwrap().status,
        BookingStatus::Expired
    );

    // A live hold becomes a booking.
    let mut hold2 = booking(a, at(12, 0), BookingStatus::Held);
    hold2.hold_expires_at = Some(later + Duration::minutes(5));
    let hold2 = s
        .create_booking(&hold2, later, &no_check, ev("hold"))
        .await
        .unwrap();
    let booked = s
        .update_booking(hold2.id, &from_hold, later, &no_check, ev("b"))
        .await
        .unwrap();
    assert_eq!(
        (booked.status, booked.hold_expires_at),
        (BookingStatus::Confirmed, None)
    );
}

fn page(status: Option<ReviewStatus>) -> ReviewPage {
    ReviewPage {
        status,
        oldest_first: true,
        after: None,
        limit: 10,
    }
}

async fn review_decisions_settle_tentative_bookings(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "alpha").await;
    let s = ctx.store.scoped(t.id);
    let a = uuid::Uuid::now_v7();
    s.create_attorney(a, &attorney_doc("A"), ev("attorney.create"))
        .await
        .unwrap();
    let mut reviews = Vec::new();
    for _ in 0..2 {
        let r = s
            .create_review(
                &NewConflictReview {
                    id: uuid::Uuid::now_v7(),
                    severity: "potential",
                    subject: "Jane Doe".into(),
                    request: serde_json::json!([{"name": "Jane Doe", "role": "client"}]),
                    hits: serde_json::json!([]),
                },
                ev("conflicts.check"),
            )
            .await
            .unwrap();
        assert_eq!(r.status, ReviewStatus::Open);
        reviews.push(r);
    }
    let mut bookings = Vec::new();
    for (i, r) in reviews.iter().enumerate() {
        let mut b = booking(a, at(10 + 2 * i as u32, 0), BookingStatus::Tentative);
        b.conflict_review_id = Some(r.id);
        bookings.push(
            s.create_booking(&b, at(8, 0), &no_check, ev("b"))
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        s.list_reviews(&page(Some(ReviewStatus::Open)))
            .await
            .unwrap()
            .len(),
        2
    );
    let (cleared, changed) = s
        .decide_review(
            reviews[0].id,
            ReviewStatus::Cleared,
            Some("no real conflict"),
            admin.id,
            ev("conflicts.decide"),
        )
        .await
        .unwrap();
    assert_eq!(cleared.status, ReviewStatus::Cleared);
    assert_eq!(cleared.decided_by, Some(admin.id));
    assert_eq!(cleared.decision_note.as_deref(), Some("no real conflict"));
    assert_eq!(changed.len(), 1);
    assert_eq!(
        (changed[0].id, changed[0].status),
        (bookings[0].id, BookingStatus::Confirmed)
    );
    let (_, changed) = s
        .decide_review(
            reviews[1].id,
            ReviewStatus::Declined,
            None,
            admin.id,
            ev("conflicts.decide"),
        )
        .await
        .unwrap();
    assert_eq!(changed[0].status, BookingStatus::Cancelled);
    assert!(matches!(
        s.decide_review(
            reviews[1].id,
            ReviewStatus::Cleared,
            None,
            admin.id,
            ev("conflicts.decide")
        )
        .await,
        Err(StoreError::InvalidState(_))
    ));
    assert!(
        s.list_reviews(&page(Some(ReviewStatus::Open)))
            .await
            .unwrap()
            .is_empty()
    );
    let all = s.list_reviews(&page(None)).await.unwrap();
    assert_eq!(all.len(), 2);
    // Oldest first pages forward from a cursor; newest first backwards.
    let first = s
        .list_reviews(&ReviewPage {
            limit: 1,
            ..page(None)
        })
        .await
        .unwrap();
    assert_eq!(first[0].id, reviews[0].id);
    let next = s
        .list_reviews(&ReviewPage {
            limit: 1,
            after: Some(first[0].id),
            ..page(None)
        })
        .await
        .unwrap();
    assert_eq!(next[0].id, reviews[1].id);
    let newest = s
        .list_reviews(&ReviewPage {
            oldest_first: false,
            limit: 5,
            ..page(None)
        })
        .await
        .unwrap();
    assert_eq!(
        newest.iter().map(|r| r.id).collect::<Vec<_>>(),
        [reviews[1].id, reviews[0].id]
    );
    // Another firm cannot see or decide them, nor book against them.
    let (other, other_admin) = tenant(&ctx, "bravo").await;
    let o = ctx.store.scoped(other.id);
    assert!(o.review(reviews[0].id).await.unwrap().is_none());
    assert!(matches!(
        o.decide_review(
            reviews[0].id,
            ReviewStatus::Declined,
            None,
            other_admin.id,
            ev("x")
        )
        .await,
        Err(StoreError::NotFound)
    ));
}

async fn parties_import_all_or_nothing(ctx: Ctx) {
    use hermes_conflicts::PartyRole;
    let (t, _) = tenant(&ctx, "alpha").await;
    let s = ctx.store.scoped(t.id);
    let one = s
        .create_party(
            &party("William Turner", PartyRole::Client),
            PartySource::Manual,
            ev("party.create"),
        )
        .await
        .unwrap();
    assert_eq!(one.party.aliases, ["Alias One"]);
    assert_eq!(one.party.phones, ["+15035550100"]);
    assert_eq!(one.source, PartySource::Manual);
    let batch = vec![
        party("A", PartyRole::AdverseParty),
        party("B", PartyRole::FormerClient),
    ];
    assert_eq!(
        s.import_parties(&batch, PartySource::CsvImport, ev("party.import"))
            .await
            .unwrap(),
        2
    );
    // A batch with a row that cannot be written leaves nothing behind.
    let bad = vec![party("C", PartyRole::Client), batch[0].clone()];
    assert!(
        s.import_parties(&bad, PartySource::CsvImport, ev("party.import"))
            .await
            .is_err()
    );
    assert_eq!(s.all_parties().await.unwrap().len(), 3);
    assert_eq!(s.party_count().await.unwrap(), 3);
    let before_update = now();
    assert!(
        s.parties_changed_since(before_update)
            .await
            .unwrap()
            .is_empty()
    );
    let mut p = one.party.clone();
    p.role = PartyRole::FormerClient;
    p.matter_status = Some(hermes_conflicts::MatterStatus::Closed);
    p.date_of_birth = None;
    let u = s.update_party(&p, ev("party.update")).await.unwrap();
    assert_eq!(
        (u.party.role, u.party.date_of_birth),
        (PartyRole::FormerClient, None)
    );
    let page = s.list_parties(None, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    let rest = s.list_parties(Some(page[1].party.id), 2).await.unwrap();
    assert_eq!(rest.len(), 1);
    s.delete_party(one.party.id, ev("party.delete"))
        .await
        .unwrap();
    assert!(matches!(
        s.delete_party(one.party.id, ev("party.delete")).await,
        Err(StoreError::NotFound)
    ));
    let (other, _) = tenant(&ctx, "bravo").await;
    assert!(
        ctx.store
            .scoped(other.id)
            .all_parties()
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.verify_audit_chain().await.unwrap().is_intact());
}

async fn intakes_are_saved_turn_by_turn(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "alpha").await;
    let s = ctx.store.scoped(t.id);
    let update = |status: &str, live: bool, turns: usize| IntakeUpdate {
        status: status.into(),
        urgency: "routine".into(),
        practice_area: Some("family".into()),
        caller_name: Some("Maria Lopez".into()),
        document: serde_json::json!({ "transcript": vec!["hello"; turns] }),
        conversation: live.then(|| serde_json::json!({ "stage": "name" })),
        jobs: Vec::new(),
    };
    let id = uuid::Uuid::now_v7();
    let row = s
        .create_intake(
            id,
            "text",
            Some("abc"),
            &update("in_progress", true, 1),
            ev("intake.start"),
        )
        .await
        .unwrap();
    assert_eq!(
        (row.channel.as_str(), row.status.as_str()),
        ("text", "in_progress")
    );
    assert_eq!(row.version, 0);
    let row = s
        .save_intake_turn(id, &update("in_progress", true, 2), 0)
        .await
        .unwrap();
    assert_eq!(row.document["transcript"].as_array().unwrap().len(), 2);
    assert!(row.conversation.is_some());
    assert_eq!(row.version, 1);
    // A checkpoint checks the version but does not move it.
    let row = s
        .checkpoint_intake_turn(id, &update("in_progress", true, 2), 1)
        .await
        .unwrap();
    assert_eq!(row.version, 1);
    assert!(matches!(
        s.checkpoint_intake_turn(id, &update("in_progress", true, 2), 0)
            .await,
        Err(StoreError::Stale)
    ));
    // A turn computed from the old state is refused: it would drop turn 2.
    assert!(matches!(
        s.save_intake_turn(id, &update("in_progress", true, 2), 0)
            .await,
        Err(StoreError::Stale)
    ));
    // The last turn ends the conversation; nothing can be appended after.
    let row = s
        .save_intake_turn(id, &update("completed", false, 3), 1)
        .await
        .unwrap();
    assert!(row.conversation.is_none());
    assert!(matches!(
        s.save_intake_turn(id, &update("in_progress", true, 4), 2)
            .await,
        Err(StoreError::InvalidState(_))
    ));
    // Staff may still correct the record (audited).
    let fixed = s
        .correct_intake(id, &update("completed", false, 3), ev("intake.correct"))
        .await
        .unwrap();
    assert_eq!(fixed.status, "completed");
    let other = uuid::Uuid::now_v7();
    s.create_intake(
        other,
        "voice",
        None,
        &update("in_progress", true, 1),
        ev("intake.start"),
    )
    .await
    .unwrap();
    let all = s
        .list_intakes(&IntakeFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        [other, id],
        "newest first"
    );
    let done = IntakeFilter {
        status: Some("completed".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.list_intakes(&done).await.unwrap().len(), 1);
    let page = IntakeFilter {
        before: Some(other),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.list_intakes(&page).await.unwrap()[0].id, id);
    let (b, _) = tenant(&ctx, "bravo").await;
    let o = ctx.store.scoped(b.id);
    assert!(o.intake(id).await.unwrap().is_none());
    assert!(matches!(
        o.save_intake_turn(other, &update("in_progress", true, 2), 0)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(s.verify_audit_chain().await.unwrap().is_intact());
}

/// Many turns computed from the same state, saved at once: exactly one
/// wins; the others are told to retry instead of silently overwriting it.
async fn concurrent_turns_on_one_conversation_never_lose_a_turn(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "alpha").await;
    let s = ctx.store.scoped(t.id);
    let update = |n: usize| IntakeUpdate {
        status: "in_progress".into(),
        urgency: "routine".into(),
        practice_area: None,
        caller_name: None,
        document: serde_json::json!({ "turn": n }),
        conversation: Some(serde_json::json!({ "stage": "name" })),
        jobs: Vec::new(),
    };
    let id = uuid::Uuid::now_v7();
    s.create_intake(id, "text", None, &update(0), ev("intake.start"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for n in 1..=12 {
        let s = ctx.store.scoped(t.id);
        tasks.push(tokio::spawn(async move {
            s.save_intake_turn(id, &update(n), 0).await
        }));
    }
    let mut won = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(row) => won.push((n + 1, row)),
            Err(StoreError::Stale) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one turn is saved");
    let (n, row) = &won[0];
    assert_eq!(row.version, 1);
    let now = s.intake(id).await.unwrap().unwrap();
    assert_eq!(now.document["turn"], *n);
}

async fn question_sets_are_per_tenant_documents(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "alpha").await;
    let (b, _) = tenant(&ctx, "bravo").await;
    let s = ctx.store.scoped(t.id);
    assert!(s.question_sets().await.unwrap().is_empty());
    let doc = serde_json::json!({ "practice_area": "family", "questions": 1 });
    let row = s
        .put_question_set("family", &doc, ev("question_set.put"))
        .await
        .unwrap();
    assert_eq!(row.document, doc);
    let doc2 = serde_json::json!({ "practice_area": "family", "questions": 2 });
    s.put_question_set("family", &doc2, ev("question_set.put"))
        .await
        .unwrap();
    s.put_question_set("employment", &doc, ev("question_set.put"))
        .await
        .unwrap();
    let all = s.question_sets().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|r| r.practice_area.as_str())
            .collect::<Vec<_>>(),
        ["employment", "family"]
    );
    assert_eq!(all[1].document, doc2, "replaced, not duplicated");
    let o = ctx.store.scoped(b.id);
    assert!(o.question_sets().await.unwrap().is_empty());
    assert!(matches!(
        o.delete_question_set("family", ev("question_set.delete"))
            .await,
        Err(StoreError::NotFound)
    ));
    s.delete_question_set("family", ev("question_set.delete"))
        .await
        .unwrap();
    assert_eq!(s.question_sets().await.unwrap().len(), 1);
    assert!(s.verify_audit_chain().await.unwrap().is_intact());
}

// ---------------------------------------------------------------------------

async fn clio_connections_and_single_use_oauth_states(ctx: Ctx) {
    let (t, admin) = tenant(&ctx, "firm").await;
    let (other, _) = tenant(&ctx, "other").await;
    let s = ctx.store.scoped(t.id);
    let user = *admin.id.as_uuid();
    let state = |hash: &str, valid: Duration| OAuthStateRow {
        state_hash: hash.into(),
        user_id: user,
        region: "eu".into(),
        created_at: now(),
        expires_at: now() + valid,
    };
    s.put_oauth_state(&state("h1", Duration::minutes(10)), ev("clio.authorize"))
        .await
        .unwrap();
    s.put_oauth_state(&state("old", Duration::seconds(-1)), ev("clio.authorize"))
        .await
        .unwrap();
    // Another firm cannot take it; taking it twice gives it once.
    assert!(
        ctx.store
            .scoped(other.id)
            .take_oauth_state("h1", now())
            .await
            .unwrap()
            .is_none()
    );
    let taken = s.take_oauth_state("h1", now()).await.unwrap().unwrap();
    assert_eq!((taken.user_id, taken.region.as_str()), (user, "eu"));
    assert!(s.take_oauth_state("h1", now()).await.unwrap().is_none());
    // An expired one is not honoured.
    assert!(s.take_oauth_state("old", now()).await.unwrap().is_none());

    assert!(s.clio_connection().await.unwrap().is_none());
    let at = now();
    let conn = ClioConnectionRow {
        region: "eu".into(),
        tokens: vec![1, 2, 3],
        expires_at: at + Duration::hours(1),
        status: "connected".into(),
        clio_user: serde_json::json!({"id": 7, "name": "Pat Admin", "warnings": []}),
        connected_by: user,
        connected_at: at,
        updated_at: at,
    };
    s.put_clio_connection(&conn, ev("clio.connect"))
        .await
        .unwrap();
    let got = s.clio_connection().await.unwrap().unwrap();
    assert_eq!(got.tokens, vec![1, 2, 3]);
    assert_eq!(got.clio_user["name"], "Pat Admin");
    assert!(
        ctx.store
            .scoped(other.id)
            .clio_connection()
            .await
            .unwrap()
            .is_none()
    );
    s.mark_clio_needs_reconnect(ev("clio.refresh_failed"))
        .await
        .unwrap();
    assert_eq!(
        s.clio_connection().await.unwrap().unwrap().status,
        "needs_reconnect"
    );
    s.update_clio_tokens(&[9], at + Duration::hours(2), ev("clio.refresh"))
        .await
        .unwrap();
    let got = s.clio_connection().await.unwrap().unwrap();
    assert_eq!((got.tokens, got.status.as_str()), (vec![9], "connected"));
    assert!(
        s.delete_clio_connection(ev("clio.disconnect"))
            .await
            .unwrap()
    );
    assert!(
        !s.delete_clio_connection(ev("clio.disconnect"))
            .await
            .unwrap()
    );
    assert!(matches!(
        s.update_clio_tokens(&[9], at, ev("clio.refresh")).await,
        Err(StoreError::NotFound)
    ));
    // Every step is in the audit log, and the chain holds.
    let audited = s
        .list_audit(&AuditFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    for action in [
        "clio.authorize",
        "clio.connect",
        "clio.refresh_failed",
        "clio.refresh",
        "clio.disconnect",
    ] {
        assert!(audited.iter().any(|e| e.action == action), "{action}");
    }
    assert!(s.verify_audit_chain().await.unwrap().is_intact());
}

/// A finished intake's Clio sync: queued with the intake's final save (or
/// not at all), found by its key, its steps recorded per intake and
/// tenant; the Clio mirror replaced and updated; parties from one source
/// replaced without touching the others.
async fn clio_sync_steps_mirror_and_sourced_parties(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "firm").await;
    let (other, _) = tenant(&ctx, "other").await;
    let s = ctx.store.scoped(t.id);
    let o = ctx.store.scoped(other.id);
    let update = |status: &str, live: bool, jobs: Vec<NewOutboxJob>| IntakeUpdate {
        status: status.into(),
        urgency: "routine".into(),
        practice_area: None,
        caller_name: None,
        document: serde_json::json!({}),
        conversation: live.then(|| serde_json::json!({ "stage": "name" })),
        jobs,
    };
    let id = uuid::Uuid::now_v7();
    s.create_intake(
        id,
        "text",
        None,
        &update("in_progress", true, vec![]),
        ev("intake.start"),
    )
    .await
    .unwrap();
    let job = |key: &str| NewOutboxJob {
        kind: OutboxKind::Clio,
        dedupe_key: key.into(),
        payload: serde_json::json!({ "intake_id": id }),
    };
    // A save that fails (stale version) queues nothing.
    assert!(matches!(
        s.save_intake_turn(id, &update("completed", false, vec![job("k")]), 7)
            .await,
        Err(StoreError::Stale)
    ));
    assert!(s.outbox_job_by_key("k").await.unwrap().is_none());
    s.save_intake_turn(id, &update("completed", false, vec![job("k")]), 0)
        .await
        .unwrap();
    let queued = s.outbox_job_by_key("k").await.unwrap().expect("queued");
    assert_eq!(queued.kind, OutboxKind::Clio);
    assert_eq!(queued.status, OutboxStatus::Pending);
    assert!(o.outbox_job_by_key("k").await.unwrap().is_none());

    assert!(s.clio_sync_steps(id).await.unwrap().is_empty());
    s.put_clio_sync_step(id, "matter", "failed", None, Some("timeout"))
        .await
        .unwrap();
    s.put_clio_sync_step(id, "contact", "done", Some(41), None)
        .await
        .unwrap();
    s.put_clio_sync_step(id, "matter", "done", Some(42), None)
        .await
        .unwrap();
    let steps = s.clio_sync_steps(id).await.unwrap();
    let got: Vec<(&str, &str, Option<i64>)> = steps
        .iter()
        .map(|r| (r.step.as_str(), r.status.as_str(), r.clio_id))
        .collect();
    assert_eq!(
        got,
        [("contact", "done", Some(41)), ("matter", "done", Some(42))]
    );
    assert!(o.clio_sync_steps(id).await.unwrap().is_empty());
    // Another firm cannot record steps on this firm's intake.
    assert!(
        o.put_clio_sync_step(id, "note", "done", Some(1), None)
            .await
            .is_err()
    );

    let row = |kind: &str, id: i64, name: &str| ClioMirrorRow {
        kind: kind.into(),
        clio_id: id,
        data: serde_json::json!({ "id": id, "name": name }),
    };
    let since = now();
    s.replace_clio_mirror(&[row("contact", 1, "A"), row("matter", 2, "M")], since)
        .await
        .unwrap();
    s.update_clio_mirror(
        &[row("contact", 1, "A2"), row("contact", 3, "C")],
        &[("matter".into(), 2)],
        None,
    )
    .await
    .unwrap();
    let mirror = s.clio_mirror().await.unwrap();
    let names: Vec<(&str, i64, &str)> = mirror
        .iter()
        .map(|r| (r.kind.as_str(), r.clio_id, r.data["name"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("contact", 1, "A2"), ("contact", 3, "C")]);
    let state = s.clio_index_state().await.unwrap().unwrap();
    assert!(state.full_synced_at.is_some());
    assert_eq!(
        state.synced_since.map(|t| t.timestamp_millis()),
        Some(since.timestamp_millis())
    );
    assert!(o.clio_mirror().await.unwrap().is_empty());
    assert!(o.clio_index_state().await.unwrap().is_none());
    // A full sync replaces everything.
    s.replace_clio_mirror(&[row("matter", 9, "N")], now())
        .await
        .unwrap();
    assert_eq!(s.clio_mirror().await.unwrap().len(), 1);

    use hermes_conflicts::PartyRole;
    s.create_party(
        &party("Manual Mary", PartyRole::Client),
        PartySource::Manual,
        ev("party.create"),
    )
    .await
    .unwrap();
    let clio = |name: &str| party(name, PartyRole::AdverseParty);
    s.replace_parties_from(
        PartySource::Clio,
        &[clio("Old One"), clio("Kept")],
        ev("clio.sync"),
    )
    .await
    .unwrap();
    s.replace_parties_from(
        PartySource::Clio,
        &[clio("Kept"), clio("New One")],
        ev("clio.sync"),
    )
    .await
    .unwrap();
    let mut names: Vec<String> = s
        .all_parties()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    names.sort();
    assert_eq!(names, ["Kept", "Manual Mary", "New One"]);
    assert!(o.all_parties().await.unwrap().is_empty());

    // Webhooks: found by their token's hash, within the firm only.
    let hook = ClioWebhookRow {
        model: "contact".into(),
        token_hash: "th1".into(),
        clio_id: None,
        secret: None,
        status: "pending".into(),
        expires_at: now() + Duration::days(30),
        created_at: now(),
        updated_at: now(),
    };
    s.put_clio_webhook(&hook).await.unwrap();
    s.put_clio_webhook(&ClioWebhookRow {
        clio_id: Some(9),
        secret: Some(vec![1, 2, 3]),
        status: "active".into(),
        ..hook.clone()
    })
    .await
    .unwrap();
    let found = s.clio_webhook_by_token("th1").await.unwrap().unwrap();
    assert_eq!((found.clio_id, found.status.as_str()), (Some(9), "active"));
    assert_eq!(found.secret.as_deref(), Some(&[1u8, 2, 3][..]));
    assert!(o.clio_webhook_by_token("th1").await.unwrap().is_none());
    assert_eq!(s.clio_webhooks().await.unwrap().len(), 1);
    s.delete_clio_webhooks().await.unwrap();
    assert!(s.clio_webhooks().await.unwrap().is_empty());

    // Grow: one inbox per firm, replaced, removed.
    assert!(s.clio_grow().await.unwrap().is_none());
    s.put_clio_grow("us", b"sealed-1", ev("clio_grow.configure"))
        .await
        .unwrap();
    s.put_clio_grow("eu", b"sealed-2", ev("clio_grow.configure"))
        .await
        .unwrap();
    let g = s.clio_grow().await.unwrap().unwrap();
    assert_eq!(
        (g.region.as_str(), g.token.as_slice()),
        ("eu", &b"sealed-2"[..])
    );
    assert!(o.clio_grow().await.unwrap().is_none());
    assert!(s.delete_clio_grow(ev("clio_grow.remove")).await.unwrap());
    assert!(!s.delete_clio_grow(ev("clio_grow.remove")).await.unwrap());

    // An attorney's Clio calendar as busy time: replaced per sync, found
    // by overlap, the firm's own attorneys only.
    let maria = uuid::Uuid::now_v7();
    s.create_attorney(maria, &attorney_doc("Maria Lopez"), ev("attorney.create"))
        .await
        .unwrap();
    let t0 = now();
    let h = |n: i64| t0 + Duration::hours(n);
    s.replace_external_busy(maria, "clio", &[(h(1), h(2)), (h(5), h(6))])
        .await
        .unwrap();
    s.replace_external_busy(maria, "clio", &[(h(1), h(2)), (h(8), h(9))])
        .await
        .unwrap();
    let got: Vec<_> = s
        .external_busy(h(0), h(24))
        .await
        .unwrap()
        .into_iter()
        .map(|b| (b.attorney_id, (b.starts_at - t0).num_hours()))
        .collect();
    assert_eq!(got, [(maria, 1), (maria, 8)]);
    assert_eq!(s.external_busy(h(2), h(8)).await.unwrap().len(), 0);
    assert!(o.external_busy(h(0), h(24)).await.unwrap().is_empty());
    assert!(matches!(
        o.replace_external_busy(maria, "clio", &[(h(1), h(2))])
            .await,
        Err(StoreError::NotFound)
    ));
}

/// The test's stand-in for the API's redaction: the store is handed the
/// function and does not know the document's shape.
fn blank_lines(doc: &mut serde_json::Value) {
    for line in doc["transcript"].as_array_mut().into_iter().flatten() {
        line["text"] = serde_json::json!("");
    }
}

async fn transcripts_expire_after_retention(ctx: Ctx) {
    let (t, _) = tenant(&ctx, "alpha").await;
    let (other, _) = tenant(&ctx, "bravo").await;
    let intake = |live: bool| IntakeUpdate {
        status: if live { "in_progress" } else { "completed" }.into(),
        urgency: "routine".into(),
        practice_area: Some("family".into()),
        caller_name: Some("Maria Lopez".into()),
        document: serde_json::json!({
            "transcript": [
                {"at": "2025-01-01T00:00:00Z", "speaker": "agent", "text": "Who am I speaking with?"},
                {"at": "2025-01-01T00:00:05Z", "speaker": "caller", "text": "Maria Lopez, about my divorce"},
            ],
            "fields": {"name": {"value": "Maria Lopez", "confidence": 1.0, "source_turn": 1, "flagged": false}},
            "summary": "Maria Lopez called about a family matter.",
        }),
        conversation: live.then(|| serde_json::json!({ "stage": "name" })),
        jobs: Vec::new(),
    };
    let s = ctx.store.scoped(t.id);
    let ended = uuid::Uuid::now_v7();
    let live = uuid::Uuid::now_v7();
    s.create_intake(ended, "voice", None, &intake(false), ev("intake.start"))
        .await
        .unwrap();
    s.create_intake(live, "text", None, &intake(true), ev("intake.start"))
        .await
        .unwrap();
    let theirs = uuid::Uuid::now_v7();
    ctx.store
        .scoped(other.id)
        .create_intake(theirs, "text", None, &intake(false), ev("intake.start"))
        .await
        .unwrap();

    // Nothing is older than a cutoff in the past.
    let past = now() - Duration::days(1);
    let n = s
        .expire_transcripts(past, blank_lines, 100, ev("transcript.expire"))
        .await
        .unwrap();
    assert_eq!(n, 0);

    // With the cutoff ahead, the ended intake loses its words, the live
    // one and the other firm's keep theirs.
    let ahead = now() + Duration::days(1);
    let n = s
        .expire_transcripts(ahead, blank_lines, 100, ev("transcript.expire"))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let row = s.intake(ended).await.unwrap().unwrap();
    let lines = row.document["transcript"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "who spoke and when stay");
    assert!(lines.iter().all(|l| l["text"] == ""), "{lines:?}");
    assert_eq!(lines[1]["speaker"], "caller");
    assert_eq!(row.document["fields"]["name"]["value"], "Maria Lopez");
    assert_eq!(
        row.document["summary"],
        "Maria Lopez called about a family matter."
    );
    assert_eq!(row.caller_name.as_deref(), Some("Maria Lopez"));
    let row = s.intake(live).await.unwrap().unwrap();
    assert_eq!(
        row.document["transcript"][1]["text"],
        "Maria Lopez, about my divorce"
    );
    let row = ctx
        .store
        .scoped(other.id)
        .intake(theirs)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.document["transcript"][1]["text"],
        "Maria Lopez, about my divorce"
    );

    // Each intake is done once; audited once per batch, and the chain holds.
    let n = s
        .expire_transcripts(ahead, blank_lines, 100, ev("transcript.expire"))
        .await
        .unwrap();
    assert_eq!(n, 0);
    let entries = s
        .list_audit(&AuditFilter {
            action: Some("transcript.expire".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].details["intakes"], 1);
    assert!(s.verify_audit_chain().await.unwrap().is_intact());

    // A backlog goes in batches of `limit`.
    for _ in 0..3 {
        s.create_intake(
            uuid::Uuid::now_v7(),
            "text",
            None,
            &intake(false),
            ev("intake.start"),
        )
        .await
        .unwrap();
    }
    let ahead = now() + Duration::days(1);
    let first = s
        .expire_transcripts(ahead, blank_lines, 2, ev("transcript.expire"))
        .await
        .unwrap();
    let second = s
        .expire_transcripts(ahead, blank_lines, 2, ev("transcript.expire"))
        .await
        .unwrap();
    assert_eq!((first, second), (2, 1));
}

hermes_testkit::conformance!(
    transcripts_expire_after_retention,
    clio_sync_steps_mirror_and_sourced_parties,
    clio_connections_and_single_use_oauth_states,
    concurrent_turns_on_one_conversation_never_lose_a_turn,
    question_sets_are_per_tenant_documents,
    migrations_are_idempotent,
    tenants_are_created_with_their_admin,
    users_are_unique_per_tenant,
    tenant_scope_hides_other_tenants,
    updates_apply_and_keep_an_admin,
    refresh_tokens_rotate_and_reuse_revokes_the_family,
    expired_revoked_and_inactive_sessions_are_invalid,
    api_keys_lifecycle,
    api_keys_do_not_outlive_their_creator,
    audit_log_filters_and_pages,
    audit_chain_verifies_and_catches_tampering,
    audit_chain_catches_deleted_rows,
    concurrent_writes_keep_the_chain_linear,
    concurrent_demotions_keep_one_admin,
    firm_settings_and_attorneys_round_trip,
    bookings_never_overlap,
    concurrent_bookings_of_one_slot_yield_one,
    holds_expire,
    review_decisions_settle_tentative_bookings,
    parties_import_all_or_nothing,
    intakes_are_saved_turn_by_turn,
);

// ---------------------------------------------------------------------------
// Row-level security (PostgreSQL only): the second wall.

async fn pg_store(db: &TestDb) -> hermes_store::postgres::PgStore {
    let store = hermes_store::postgres::PgStore::connect(&ConnectOptions::new(db.url()))
        .await
        .unwrap();
    use hermes_store::Store as _;
    store.migrate().await.unwrap();
    store
}

#[tokio::test]
async fn rls_confines_a_query_that_forgets_its_tenant_filter() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = pg_store(&db).await;
    use hermes_store::Store as _;
    let (a, _) = store
        .create_tenant(
            &new_tenant("firm-a"),
            &new_user("a@example.com", Role::Admin),
        )
        .await
        .unwrap();
    let (b, _) = store
        .create_tenant(
            &new_tenant("firm-b"),
            &new_user("b@example.com", Role::Admin),
        )
        .await
        .unwrap();
    store
        .scoped(b.id)
        .create_user(&new_user("b2@example.com", Role::Staff), ev("user.create"))
        .await
        .unwrap();

    // A scoped transaction running SQL with no tenant filter at all.
    let mut tx = store.scoped_handle(a.id).raw_transaction().await.unwrap();
    let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM users ORDER BY email")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(emails, vec!["a@example.com"]);
    let audit_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(audit_rows, 1, "only A's tenant.create entry");
    // Writing a row for another tenant is refused by WITH CHECK.
    let sneaky = sqlx::query(
        "INSERT INTO revoked_tokens (tenant_id, jti, expires_at) VALUES ($1, 'x', now())",
    )
    .bind(b.id.as_uuid())
    .execute(&mut *tx)
    .await;
    assert!(sneaky.is_err(), "RLS must refuse a row of another tenant");
    drop(tx);

    // Other tenants' rows cannot be updated or deleted through A's scope.
    let mut tx = store.scoped_handle(a.id).raw_transaction().await.unwrap();
    let touched = sqlx::query("UPDATE users SET display_name = 'x'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(touched, 1);
    let deleted = sqlx::query("DELETE FROM audit_log")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(deleted, 1);
    tx.rollback().await.unwrap();

    // With no tenant bound at all, nothing is visible.
    let mut tx = store.unscoped_transaction().await.unwrap();
    for table in [
        "users",
        "refresh_families",
        "refresh_tokens",
        "revoked_tokens",
        "api_keys",
        "audit_log",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!(n, 0, "{table} visible without a tenant");
    }
}

#[tokio::test]
async fn rls_policies_are_forced_on_every_tenant_table() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = pg_store(&db).await;
    let mut tx = store.unscoped_transaction().await.unwrap();
    // Every table with a tenant_id column has RLS enabled and forced.
    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' \
         WHERE c.relkind = 'r' \
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id') \
           AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert!(
        unprotected.is_empty(),
        "tables without forced RLS: {unprotected:?}"
    );
}
