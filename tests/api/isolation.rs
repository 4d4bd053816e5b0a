//! Tenant isolation: a controller of tenant A learns nothing of tenant B's requests, on
//! every route. Its answers for B's request equal those for a request that does not exist.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};
use inzage::domain::Role;

crate::on_both_backends!(a_controller_never_sees_another_tenants_requests);

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
