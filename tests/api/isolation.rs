//! Tenant isolation: a controller of tenant A learns nothing of tenant B's requests, on
//! every route. Its answers for B's request equal those for a request that does not exist.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};
use inzage::domain::Role;

crate::on_both_backends!(
    a_controller_never_sees_another_tenants_requests,
    every_request_route_hides_another_tenants_request,
);

/// The matrix: every route that names a request, with a body, as a controller of another
/// tenant calls it. Each must answer exactly as for a request that does not exist.
pub const REQUEST_ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/requests/{reference}", ""),
    (
        "POST",
        "/api/v1/requests/{reference}/{action}",
        "(every action, below)",
    ),
    ("GET", "/api/v1/requests/{reference}/bundle", ""),
    ("POST", "/api/v1/requests/{reference}/bundle", "{}"),
    ("GET", "/api/v1/requests/{reference}/identities", ""),
    (
        "POST",
        "/api/v1/requests/{reference}/identities",
        r#"{"kind":"phone","value":"+31 6 12345678"}"#,
    ),
    ("DELETE", "/api/v1/requests/{reference}/identities/{id}", ""),
    ("GET", "/api/v1/requests/{reference}/id_document", ""),
    ("POST", "/api/v1/requests/{reference}/plan", "{}"),
    ("GET", "/api/v1/requests/{reference}/plan/{id}", ""),
    (
        "POST",
        "/api/v1/requests/{reference}/plan/{id}/approve",
        "{}",
    ),
    (
        "POST",
        "/api/v1/requests/{reference}/rectification_disputed",
        r#"{"note":"the subject disputes the correction"}"#,
    ),
    ("GET", "/api/v1/requests/{reference}/certificate", ""),
    ("GET", "/api/v1/requests/{reference}/certificate.html", ""),
];

/// Routes that name a tenant's data without a request in the path, and how a controller of
/// another tenant is kept out (checked in `a_controller_never_sees_another_tenants_requests`
/// or below).
pub const TENANT_ROUTES: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/api/v1/requests",
        "own tenant only; another's 403 whether it exists or not",
    ),
    (
        "POST",
        "/api/v1/requests",
        "staff intake for another tenant: 403",
    ),
    ("GET", "/api/v1/tenants", "own tenant only"),
    ("POST", "/api/v1/tenants", "admin only: 403"),
    ("POST", "/api/v1/users", "admin only: 403"),
    ("GET", "/api/v1/deadlines", "own tenant only"),
    ("GET", "/api/v1/jobs", "admin only: 403"),
    ("POST", "/api/v1/jobs/{id}/retry", "admin only: 403"),
    (
        "GET",
        "/api/v1/tenants/{slug}/grants",
        "another tenant's: 404 like one that does not exist",
    ),
    (
        "POST",
        "/api/v1/tenants/{slug}/grants",
        "another tenant's: 404 like one that does not exist",
    ),
    (
        "DELETE",
        "/api/v1/tenants/{slug}/grants/{id}",
        "another tenant's: 404",
    ),
    (
        "GET",
        "/api/v1/tenants/{slug}/audit",
        "another tenant's: 404 like one that does not exist",
    ),
    (
        "GET",
        "/api/v1/tenants/{slug}/report",
        "another tenant's: 404 like one that does not exist",
    ),
];

/// Routes that name no tenant's data for a staff role: operations, sign-in, and the
/// subject's links, which open one request by a signed token, never by a staff role.
pub const NOT_TENANT_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/openapi.json"),
    // the installation's public signing keys: no tenant's data
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/verify"),
    ("GET", "/api/v1/requests/{reference}/status"),
    ("POST", "/api/v1/requests/{reference}/id_document"),
    ("GET", "/api/v1/bundles/download"),
];

async fn call(
    app: &crate::helpers::TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if !body.is_empty() {
        req = req
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn every_request_route_hides_another_tenants_request(backend: Backend) {
    let Some(app) = spawn_app(backend, "isolation matrix").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let support = app.user(Role::Support, None).await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let theirs = app.file_as(&support.token, Some("beta"), json!({})).await;
    let theirs = theirs["reference"].as_str().unwrap();
    let unassigned = app.file_as(&support.token, None, json!({})).await;
    let unassigned = unassigned["reference"].as_str().unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    for (method, template, body) in REQUEST_ROUTES {
        if template.ends_with("{action}") {
            continue; // every action: a_controller_never_sees_another_tenants_requests
        }
        let at = |r: &str| template.replace("{reference}", r).replace("{id}", &id);
        let ghost = call(&app, &acme.token, method, &at("DSR-2026-999999"), body).await;
        assert_eq!(ghost.0, 404, "{method} {template}: {:?}", ghost.1);
        for r in [theirs, unassigned] {
            let got = call(&app, &acme.token, method, &at(r), body).await;
            assert_eq!(
                got, ghost,
                "{method} {template} on another tenant's request"
            );
        }
    }
    // tenant-wide routes: another tenant's data stays out of sight
    let (s, v) = app
        .get("/api/v1/deadlines?within=366d", Some(&acme.token))
        .await;
    assert_eq!(s, 200);
    assert!(!v.to_string().contains(theirs), "{v}");
    for (method, path, body) in [
        ("GET", "/api/v1/jobs", ""),
        ("POST", &*format!("/api/v1/jobs/{id}/retry"), "{}"),
        (
            "POST",
            "/api/v1/tenants",
            r#"{"slug":"x1","name":"X","contact_email":"a@b.nl"}"#,
        ),
        (
            "POST",
            "/api/v1/users",
            r#"{"email":"u@b.nl","role":"support","password":"long enough password"}"#,
        ),
    ] {
        assert_eq!(
            call(&app, &acme.token, method, path, body).await.0,
            403,
            "{method} {path}"
        );
    }
    // a controller's intake lands in its own tenant, whatever the body names
    let (s, filed) = app
        .post(
            "/api/v1/requests",
            Some(&acme.token),
            &json!({"tenant": "beta", "kind": "access", "subject": {"name": "B", "email": "b@example.nl"}}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    let r = filed["reference"].as_str().unwrap();
    let (s, v) = app
        .get(&format!("/api/v1/requests/{r}"), Some(&acme.token))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tenant"], "acme", "{v}");
}

fn action_bodies() -> Vec<(&'static str, Value)> {
    vec![
        ("assign", json!({"tenant": "acme"})),
        ("forward", json!({})),
        ("acknowledge", json!({})),
        ("start", json!({})),
        ("extend", json!({"months": 1, "reason": "r"})),
        ("request_identity", json!({"note": "n"})),
        ("identity_confirmed", json!({"method": "m"})),
        ("complete", json!({"outcome": "o"})),
        ("refuse", json!({"ground": "other", "reason": "r"})),
        ("withdraw", json!({})),
    ]
}

async fn a_controller_never_sees_another_tenants_requests(backend: Backend) {
    let Some(app) = spawn_app(backend, "isolation").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let support = app.user(Role::Support, None).await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let theirs = app.file_as(&support.token, Some("beta"), json!({})).await;
    let unassigned = app.file_as(&support.token, None, json!({})).await;
    let ours = app.file_as(&support.token, Some("acme"), json!({})).await;
    let theirs_ref = theirs["reference"].as_str().unwrap();
    let ghost = "DSR-2026-999999";

    let (s, missing) = app
        .get(&format!("/api/v1/requests/{ghost}"), Some(&acme.token))
        .await;
    assert_eq!(s, 404);
    for r in [theirs_ref, unassigned["reference"].as_str().unwrap()] {
        let (s, v) = app
            .get(&format!("/api/v1/requests/{r}"), Some(&acme.token))
            .await;
        assert_eq!((s, &v), (404, &missing), "detail of {r}");
        for (action, body) in action_bodies() {
            let (s, v) = app.act(&acme.token, r, action, body.clone()).await;
            let (_, v_ghost) = app.act(&acme.token, ghost, action, body).await;
            assert_eq!(s, 404, "{action} on {r}: {v}");
            assert_eq!(
                v, v_ghost,
                "{action}: indistinguishable from a missing request"
            );
        }
    }
    // the queue: its own only; asking for another tenant is refused whether it exists or not
    let (s, v) = app.get("/api/v1/requests", Some(&acme.token)).await;
    assert_eq!(s, 200);
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["reference"], ours["reference"]);
    let (s1, v1) = app
        .get("/api/v1/requests?tenant=beta", Some(&acme.token))
        .await;
    let (s2, v2) = app
        .get("/api/v1/requests?tenant=ghost", Some(&acme.token))
        .await;
    assert_eq!((s1, s2), (403, 403));
    assert_eq!(v1, v2);
    let (_, tenants) = app.get("/api/v1/tenants", Some(&acme.token)).await;
    assert!(!tenants.to_string().contains("beta"));
    // another tenant's grants, audit trail and report: as for a tenant that does not exist
    for route in ["grants", "audit", "report"] {
        let (s1, v1) = app
            .get(&format!("/api/v1/tenants/beta/{route}"), Some(&acme.token))
            .await;
        let (s2, v2) = app
            .get(&format!("/api/v1/tenants/ghost/{route}"), Some(&acme.token))
            .await;
        assert_eq!((s1, s2), (404, 404), "{route}");
        assert_eq!(v1, v2, "{route}");
        let (s, _) = app
            .get(&format!("/api/v1/tenants/acme/{route}"), Some(&acme.token))
            .await;
        assert_eq!(s, 200, "{route} of its own tenant");
    }
    let grant = json!({"grantee": "x@example.nl", "hours": 1, "reason": "r"});
    let (s1, v1) = app
        .post("/api/v1/tenants/beta/grants", Some(&acme.token), &grant)
        .await;
    let (s2, v2) = app
        .post("/api/v1/tenants/ghost/grants", Some(&acme.token), &grant)
        .await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(v1, v2);
    let r = app
        .client
        .delete(app.url("/api/v1/tenants/beta/grants/some-id"))
        .bearer_auth(&acme.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // metrics are for operators and carry no tenant; the other tenant's request was untouched
    let (_, d) = app
        .get(
            &format!("/api/v1/requests/{theirs_ref}"),
            Some(&support.token),
        )
        .await;
    assert_eq!(d["status"], "received");
    assert_eq!(d["events"].as_array().unwrap().len(), 1);
}
