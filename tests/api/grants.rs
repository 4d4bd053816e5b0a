//! Access grants: given by the tenant's controller (or admin) to one support user for 1-24
//! hours with a reason, revocable at once, checked at every call; mails when given and when
//! first used; a grant for one tenant gives nothing on another.

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};
use inzage::domain::Role;

crate::on_both_backends!(
    grants_are_given_used_and_revoked,
    a_grant_that_ended_a_second_ago_denies
);

async fn give(app: &TestApp, token: &str, slug: &str, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/v1/tenants/{slug}/grants"),
        Some(token),
        &body,
    )
    .await
}

async fn add_phone(app: &TestApp, token: &str, reference: &str, phone: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/requests/{reference}/identities"),
        Some(token),
        &json!({"kind": "phone", "value": phone}),
    )
    .await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app
        .client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[derive(diesel::QueryableByName, Debug)]
struct Mail {
    #[diesel(sql_type = diesel::sql_types::Text)]
    recipient: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    payload: String,
}

async fn grant_mails(app: &TestApp) -> Vec<Mail> {
    app.with_conn(|c| {
        diesel::sql_query(
            "SELECT recipient, payload FROM outbox WHERE template = 'grant_notice' ORDER BY created_at, id",
        )
        .load::<Mail>(c)
        .unwrap()
    })
    .await
}

fn code(v: &Value) -> Option<&str> {
    v["error"]["code"].as_str()
}

async fn grants_are_given_used_and_revoked(backend: Backend) {
    let Some(app) = spawn_app(backend, "grants").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let support = app.user(Role::Support, None).await;
    let other_support = app.user(Role::Support, None).await;
    let admin = app.user(Role::Admin, None).await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let beta = app.user(Role::Controller, Some("beta")).await;
    let ours = app.file_as(&support.token, Some("acme"), json!({})).await;
    let ours = ours["reference"].as_str().unwrap().to_owned();
    let theirs = app.file_as(&support.token, Some("beta"), json!({})).await;
    let theirs = theirs["reference"].as_str().unwrap().to_owned();

    // without a grant: metadata yes, tenant data no
    let (s, _) = app
        .get(&format!("/api/v1/requests/{ours}"), Some(&support.token))
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .get(
            &format!("/api/v1/requests/{ours}/identities"),
            Some(&support.token),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = add_phone(&app, &support.token, &ours, "+31 6 11111111").await;
    assert_eq!((s, code(&v)), (403, Some("grant_required")), "{v}");
    let (s, v) = app
        .get(
            &format!("/api/v1/requests/{ours}/bundle"),
            Some(&support.token),
        )
        .await;
    assert_eq!((s, code(&v)), (403, Some("grant_required")), "{v}");

    // who may give one
    let body =
        json!({"grantee": support.email, "hours": 1, "reason": "ticket 4711: bundle is empty"});
    let (s, _) = give(&app, &support.token, "acme", body.clone()).await;
    assert_eq!(s, 403, "support cannot grant itself");
    let (s1, v1) = give(&app, &beta.token, "acme", body.clone()).await;
    let (s2, v2) = give(&app, &beta.token, "ghost", body.clone()).await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(v1, v2, "another tenant is indistinguishable from none");

    // what a grant must be
    for (bad, field) in [
        (
            json!({"grantee": acme.email, "hours": 1, "reason": "r"}),
            "grantee",
        ),
        (
            json!({"grantee": "nobody@example.nl", "hours": 1, "reason": "r"}),
            "grantee",
        ),
        (
            json!({"grantee": support.email, "hours": 0, "reason": "r"}),
            "hours",
        ),
        (
            json!({"grantee": support.email, "hours": 25, "reason": "r"}),
            "hours",
        ),
        (json!({"grantee": support.email, "reason": "r"}), "hours"),
        (json!({"grantee": support.email, "hours": 1}), "reason"),
        (
            json!({"grantee": support.email, "hours": 1, "reason": "  "}),
            "reason",
        ),
    ] {
        let (s, v) = give(&app, &acme.token, "acme", bad.clone()).await;
        assert_eq!(s, 422, "{bad}: {v}");
        assert!(v["error"]["fields"][field].is_string(), "{bad}: {v}");
    }
    assert!(grant_mails(&app).await.is_empty());

    // given: 201, and a mail to the grantee and to the controller
    let (s, g) = give(&app, &acme.token, "acme", body.clone()).await;
    assert_eq!(s, 201, "{g}");
    assert_eq!(g["grantee"], support.email.as_str());
    assert_eq!(g["granted_by"], acme.email.as_str());
    assert_eq!(g["reason"], "ticket 4711: bundle is empty");
    assert!(g["revoked_at"].is_null());
    let created = chrono::DateTime::parse_from_rfc3339(g["created_at"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(g["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::Duration::hours(1));
    let grant_id = g["id"].as_str().unwrap().to_owned();
    let mails = grant_mails(&app).await;
    let mut to: Vec<&str> = mails.iter().map(|m| m.recipient.as_str()).collect();
    to.sort_unstable();
    let mut want = vec![support.email.as_str(), "privacy@acme.example.nl"];
    want.sort_unstable();
    assert_eq!(to, want);

    // used: the controller hears of the first use only
    let (s, v) = add_phone(&app, &support.token, &ours, "+31 6 11111111").await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = add_phone(&app, &support.token, &ours, "+31 6 22222222").await;
    assert_eq!(s, 201);
    let mails = grant_mails(&app).await;
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert_eq!(mails[2].recipient, "privacy@acme.example.nl");
    assert!(
        mails[2].payload.contains("first_use"),
        "{}",
        mails[2].payload
    );
    let (_, list) = app
        .get("/api/v1/tenants/acme/grants", Some(&acme.token))
        .await;
    assert!(list["items"][0]["first_used_at"].is_string(), "{list}");

    // every call the grant allowed names it in the audit trail
    let (s, trail) = app
        .get("/api/v1/tenants/acme/audit", Some(&acme.token))
        .await;
    assert_eq!(s, 200, "{trail}");
    let added: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "identity_added")
        .collect();
    assert_eq!(added.len(), 2, "{trail}");
    for e in added {
        assert_eq!(e["grant"], grant_id.as_str());
        assert_eq!(e["role"], "support");
        assert_eq!(e["actor"]["email"], support.email.as_str());
        assert_eq!(e["request"], ours.as_str());
        assert_eq!(e["ip"], "127.0.0.1");
    }

    // it is one user's, for one tenant
    let (s, v) = add_phone(&app, &other_support.token, &ours, "+31 6 33333333").await;
    assert_eq!((s, code(&v)), (403, Some("grant_required")));
    let (s, v) = add_phone(&app, &support.token, &theirs, "+31 6 33333333").await;
    assert_eq!(
        (s, code(&v)),
        (403, Some("grant_required")),
        "a grant for acme gives nothing on beta"
    );
    let (s, _) = app
        .get("/api/v1/tenants/beta/grants", Some(&support.token))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .get("/api/v1/tenants/acme/grants", Some(&beta.token))
        .await;
    assert_eq!(s, 404);

    // revoked: denied at once
    let path = format!("/api/v1/tenants/acme/grants/{grant_id}");
    let (s, _) = delete(&app, &beta.token, &path).await;
    assert_eq!(s, 404);
    let (s, _) = delete(&app, &support.token, &path).await;
    assert_eq!(s, 403);
    let (s, _) = delete(&app, &acme.token, &path).await;
    assert_eq!(s, 204);
    let (s, v) = add_phone(&app, &support.token, &ours, "+31 6 44444444").await;
    assert_eq!((s, code(&v)), (403, Some("grant_required")), "{v}");
    let (s, _) = delete(&app, &acme.token, &path).await;
    assert_eq!(s, 204, "revoking twice is no error");
    let (s, _) = delete(&app, &acme.token, "/api/v1/tenants/acme/grants/nope").await;
    assert_eq!(s, 404);
    let (s, list) = app
        .get("/api/v1/tenants/acme/grants", Some(&acme.token))
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0]["revoked_at"].is_string(), "{list}");

    // an admin may give one too
    let (s, g) = give(&app, &admin.token, "acme", body).await;
    assert_eq!(s, 201, "{g}");
    assert_eq!(g["granted_by"], admin.email.as_str());
    let (s, _) = add_phone(&app, &support.token, &ours, "+31 6 44444444").await;
    assert_eq!(s, 201);
}

async fn set_expiry(app: &TestApp, at: chrono::NaiveDateTime) {
    app.with_conn(move |c| {
        diesel::sql_query("UPDATE access_grants SET expires_at = $1")
            .bind::<diesel::sql_types::Timestamp, _>(at)
            .execute(c)
            .unwrap();
    })
    .await;
}

async fn a_grant_that_ended_a_second_ago_denies(backend: Backend) {
    let Some(app) = spawn_app(backend, "grant_expiry").await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let r = app.file_as(&support.token, Some("acme"), json!({})).await;
    let r = r["reference"].as_str().unwrap().to_owned();
    let (s, v) = give(
        &app,
        &acme.token,
        "acme",
        json!({"grantee": support.email, "hours": 24, "reason": "migration check"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = add_phone(&app, &support.token, &r, "+31 6 11111111").await;
    assert_eq!(s, 201);

    // it ended a second ago: denied
    set_expiry(&app, inzage::store::now() - chrono::Duration::seconds(1)).await;
    let (s, v) = add_phone(&app, &support.token, &r, "+31 6 22222222").await;
    assert_eq!((s, code(&v)), (403, Some("grant_required")), "{v}");

    // it runs for three more seconds, then ends on its own
    set_expiry(&app, inzage::store::now() + chrono::Duration::seconds(3)).await;
    let (s, v) = add_phone(&app, &support.token, &r, "+31 6 22222222").await;
    assert_eq!(s, 201, "{v}");
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let (s, v) = add_phone(&app, &support.token, &r, "+31 6 33333333").await;
    assert_eq!((s, code(&v)), (403, Some("grant_required")), "{v}");
}
