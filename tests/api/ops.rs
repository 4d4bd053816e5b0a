//! Operations: health, readiness, metrics, OpenAPI, JSON errors for unknown routes.

use crate::helpers::{Backend, spawn_app};

crate::on_both_backends!(
    operations_endpoints_answer,
    the_openapi_document_lists_every_route
);

async fn operations_endpoints_answer(backend: Backend) {
    let Some(app) = spawn_app(backend, "ops").await else {
        return;
    };
    assert_eq!(app.get("/healthz", None).await.0, 200);
    let (s, v) = app.get("/readyz", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        v["store"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    app.file(None, "anna@example.nl").await;
    let r = app.client.get(app.metrics_url()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().await.unwrap();
    assert!(
        text.contains(r#"inzage_requests{kind="access",status="awaiting_verification"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("inzage_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains(r#"route="/api/v1/requests""#), "{text}");
    assert!(!text.contains("anna"), "no personal data in metrics");
    // every response carries a request id; unknown routes answer the contract's JSON
    let r = app
        .client
        .get(app.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().contains_key("x-request-id"));
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_found");
}

async fn the_openapi_document_lists_every_route(backend: Backend) {
    let Some(app) = spawn_app(backend, "openapi").await else {
        return;
    };
    let (s, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/requests", "post"),
        ("/api/v1/requests", "get"),
        ("/api/v1/requests/{reference}", "get"),
        ("/api/v1/requests/{reference}/{action}", "post"),
        ("/api/v1/requests/{reference}/status", "get"),
        ("/api/v1/requests/{reference}/id_document", "get"),
        ("/api/v1/requests/{reference}/id_document", "post"),
        ("/api/v1/requests/{reference}/bundle", "post"),
        ("/api/v1/requests/{reference}/bundle", "get"),
        ("/api/v1/requests/{reference}/certificate", "get"),
        ("/api/v1/requests/{reference}/certificate.html", "get"),
        ("/.well-known/jwks.json", "get"),
        ("/api/v1/bundles/download", "get"),
        ("/api/v1/requests/{reference}/plan", "post"),
        ("/api/v1/requests/{reference}/plan/{id}", "get"),
        ("/api/v1/requests/{reference}/plan/{id}/approve", "post"),
        (
            "/api/v1/requests/{reference}/rectification_disputed",
            "post",
        ),
        ("/api/v1/requests/{reference}/identities", "get"),
        ("/api/v1/requests/{reference}/identities", "post"),
        ("/api/v1/requests/{reference}/identities/{id}", "delete"),
        ("/api/v1/deadlines", "get"),
        ("/api/v1/jobs", "get"),
        ("/api/v1/jobs/{id}/retry", "post"),
        ("/api/v1/verify", "get"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/tenants", "get"),
        ("/api/v1/tenants", "post"),
        ("/api/v1/users", "post"),
        ("/api/v1/tenants/{slug}/grants", "post"),
        ("/api/v1/tenants/{slug}/grants", "get"),
        ("/api/v1/tenants/{slug}/grants/{id}", "delete"),
        ("/api/v1/tenants/{slug}/audit", "get"),
        ("/api/v1/tenants/{slug}/report", "get"),
        ("/api/v1/openapi.json", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
}
