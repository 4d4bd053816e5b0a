//! The findings of the security review (issue "Security hardening"), each held by a test
//! against the real server.

use std::time::Duration;

use inzage::domain::Role;
use serde_json::json;

use crate::helpers::{
    Backend, PASSWORD, free_port, fresh_store, spawn_app, start_server, wait_healthy,
};

crate::on_both_backends!(
    every_api_answer_is_no_store_and_nosniff,
    names_with_bidi_controls_are_refused_at_intake,
    a_failed_confirmation_leaves_the_link_usable,
    the_per_address_limit_sees_through_tags_and_case,
    failed_sign_ins_wait_longer_and_longer,
    a_flood_of_wrong_passwords_does_not_starve_staff,
);

/// The store, its WAL and shared memory, the data dir, the mail dir and the mail files
/// (which carry verification links) are the owner's only, as `inzage serve` creates them.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_and_mail_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let store = fresh_store(Backend::Sqlite, "file modes").unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start_server(&store, port);
    wait_healthy(&client, &base).await;
    let r = client
        .post(format!("{base}/api/v1/requests"))
        .json(&json!({"kind": "access", "subject": {"name": "Anna de Vries", "email": "anna@example.nl"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let var = store.dir.path().join("var");
    let mail = var.join("mail");
    let mut eml = Vec::new();
    for _ in 0..200 {
        eml = std::fs::read_dir(&mail)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if !eml.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!eml.is_empty(), "the confirmation mail was written");
    let db = store.dir.path().join("inzage.db");
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let mut files = vec![
        db.clone(),
        db.with_extension("db-wal"),
        db.with_extension("db-shm"),
    ];
    files.extend(eml);
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    for d in [&var, &mail] {
        assert_eq!(mode(d), 0o700, "{}", d.display());
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

async fn every_api_answer_is_no_store_and_nosniff(backend: Backend) {
    let Some(app) = spawn_app(backend, "api headers").await else {
        return;
    };
    let intake = json!({"kind": "access", "subject": {"name": "Anna", "email": "anna@example.nl"}});
    let calls = [
        app.client.post(app.url("/api/v1/requests")).json(&intake), // 201
        app.client
            .post(app.url("/api/v1/requests"))
            .json(&json!({})), // 422
        app.client.post(app.url("/api/v1/requests")).body("{"),     // 400
        app.client.get(app.url("/api/v1/requests")),                // 401
        app.client
            .get(app.url("/api/v1/requests/DSR-2026-000001/status?token=x")), // 401
        app.client.get(app.url("/api/v1/no/such/route")),           // 404
        app.client.get(app.url("/api/v1/openapi.json")),            // 200
        app.client.get(app.url("/api/v1/verify")),                  // 422
    ];
    for call in calls {
        let r = call.send().await.unwrap();
        let what = format!("{} {}", r.status(), r.url());
        assert_eq!(r.headers()["cache-control"], "no-store", "{what}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{what}");
    }
}

async fn names_with_bidi_controls_are_refused_at_intake(backend: Backend) {
    let Some(app) = spawn_app(backend, "bidi").await else {
        return;
    };
    for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
        let body = json!({"kind": "access", "subject": {"name": format!("Anna{c}seirV ed"), "email": "anna@example.nl"}});
        let (s, v) = app.post("/api/v1/requests", None, &body).await;
        assert_eq!(s, 422, "{c:?}: {v}");
        assert!(v["error"]["fields"]["subject.name"].is_string(), "{v}");
    }
    app.file(None, "anna@example.nl").await;
}

/// The verification link is spent in the transaction that confirms the request: when the
/// confirmation fails (here a trigger refuses the update), the link still works afterwards.
async fn a_failed_confirmation_leaves_the_link_usable(backend: Backend) {
    use diesel::RunQueryDsl;
    let Some(app) = spawn_app(backend, "verify in one transaction").await else {
        return;
    };
    let filed = app.file(None, "anna@example.nl").await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let id = app
        .with_conn(move |c| {
            inzage::store::requests::RequestRow::find_by_reference(c, &reference)
                .unwrap()
                .unwrap()
                .id
        })
        .await;
    let (token, _) = app
        .state
        .tokens
        .issue_link(
            inzage::auth::token::Purpose::Verify,
            id.as_str(),
            chrono::Utc::now(),
            chrono::Duration::days(7),
        )
        .unwrap();
    let (break_it, mend_it): (&[&str], &[&str]) = match backend {
        Backend::Sqlite => (
            &[
                "CREATE TRIGGER no_update BEFORE UPDATE ON requests BEGIN SELECT RAISE(ABORT, 'injected'); END",
            ],
            &["DROP TRIGGER no_update"],
        ),
        Backend::Postgres => (
            &[
                "CREATE FUNCTION no_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$",
                "CREATE TRIGGER no_update BEFORE UPDATE ON requests FOR EACH ROW EXECUTE FUNCTION no_update()",
            ],
            &[
                "DROP TRIGGER no_update ON requests",
                "DROP FUNCTION no_update()",
            ],
        ),
    };
    let run = |sql: &'static [&'static str]| {
        app.with_conn(move |c| {
            for q in sql {
                diesel::sql_query(*q).execute(c).unwrap();
            }
        })
    };
    run(break_it).await;
    let (s, _) = app
        .get(&format!("/api/v1/verify?token={token}"), None)
        .await;
    assert!(s >= 500, "the confirmation failed: {s}");
    run(mend_it).await;
    let (s, v) = app
        .get(&format!("/api/v1/verify?token={token}"), None)
        .await;
    assert_eq!(s, 200, "the link was not burnt by the failure: {v}");
    assert_eq!(v["status"], "received");
    let (s, v) = app
        .get(&format!("/api/v1/verify?token={token}"), None)
        .await;
    assert_eq!((s, &v["error"]["code"]), (410, &json!("link_used")));
}

/// `victim+1@`, `Victim@` reach one mailbox: they share one allowance. A quoted local part
/// and an address the mail transport cannot send to are refused at intake.
async fn the_per_address_limit_sees_through_tags_and_case(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app_with(
        backend,
        "canonical e-mail",
        &[("INZAGE_RATE_LIMIT_PER_EMAIL", "2")],
    )
    .await
    else {
        return;
    };
    let body = |email: &str| json!({"kind": "access", "subject": {"name": "Anna", "email": email}});
    for email in ["victim@example.nl", "Victim+1@Example.NL"] {
        let (s, v) = app.post("/api/v1/requests", None, &body(email)).await;
        assert_eq!(s, 201, "{email}: {v}");
    }
    for email in [
        "victim+2@example.nl",
        "VICTIM@example.nl",
        "victim+x+y@EXAMPLE.nl",
    ] {
        let (s, v) = app.post("/api/v1/requests", None, &body(email)).await;
        assert_eq!(
            (s, &v["error"]["code"]),
            (429, &json!("rate_limited")),
            "{email}"
        );
    }
    for email in [
        "\"victim\"@example.nl",
        "\"vic tim\"@example.nl",
        "victim@exämple.nl",
        "vïctim@example.nl",
    ] {
        let (s, v) = app.post("/api/v1/requests", None, &body(email)).await;
        assert_eq!(s, 422, "{email}: {v}");
        assert!(v["error"]["fields"]["subject.email"].is_string(), "{v}");
    }
    app.file(None, "other@example.nl").await;
}

async fn login_status(app: &crate::helpers::TestApp, email: &str, pw: &str) -> (u16, Option<u64>) {
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": pw}))
        .send()
        .await
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (r.status().as_u16(), retry)
}

/// Failed sign-ins are throttled per account and per client IP with growing waits: 429 and
/// `Retry-After`, even for the right password while a wait runs.
async fn failed_sign_ins_wait_longer_and_longer(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app_with(
        backend,
        "login throttle",
        &[
            ("INZAGE_LOGIN_FAILURES_PER_ACCOUNT", "3"),
            ("INZAGE_LOGIN_FAILURES_PER_IP", "8"),
        ],
    )
    .await
    else {
        return;
    };
    let staff = app.user(Role::Support, None).await;
    for _ in 0..4 {
        assert_eq!(
            login_status(&app, &staff.email, "wrong password!!").await,
            (401, None)
        );
    }
    // the fourth failure started a wait of 1 s: the right password waits too
    assert_eq!(
        login_status(&app, &staff.email, PASSWORD).await,
        (429, Some(1))
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        login_status(&app, &staff.email, "wrong password!!").await.0,
        401
    );
    assert_eq!(
        login_status(&app, &staff.email.to_uppercase(), PASSWORD).await,
        (429, Some(2)),
        "the wait doubled; the address's case does not matter"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(login_status(&app, &staff.email, PASSWORD).await.0, 200);
    // per client IP: failures spread over many accounts add up (5 so far from this IP)
    for i in 0..4 {
        let (s, _) = login_status(&app, &format!("nobody{i}@example.nl"), "wrong password!!").await;
        assert_eq!(s, 401);
    }
    let (s, retry) = login_status(&app, "nobody9@example.nl", "wrong password!!").await;
    assert_eq!(
        (s, retry),
        (429, Some(1)),
        "after the ninth failure from one IP, a wait"
    );
    let r = app.client.get(app.metrics_url()).send().await.unwrap();
    let text = r.text().await.unwrap();
    assert!(
        text.contains(r#"inzage_rate_limited_total{limit="login_account"}"#),
        "{text}"
    );
}

/// Parallel wrong-password sign-ins hold no store connection while argon2 runs and take at
/// most `INZAGE_PASSWORD_CHECKS` cores: a staff request meanwhile stays fast. (Before, 96
/// such loops pushed a staff request from 3 ms to 9.6 s.)
async fn a_flood_of_wrong_passwords_does_not_starve_staff(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app_with(
        backend,
        "login flood",
        &[
            ("INZAGE_DB_POOL_SIZE", "4"),
            ("INZAGE_PASSWORD_CHECKS", "1"),
        ],
    )
    .await
    else {
        return;
    };
    let staff = app.user(Role::Support, None).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut flood = Vec::new();
    for i in 0..48 {
        let (client, url, stop) = (
            app.client.clone(),
            app.url("/api/v1/auth/login"),
            stop.clone(),
        );
        let email = staff.email.clone();
        flood.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = json!({"email": if i % 2 == 0 { email.clone() } else { format!("x{i}@example.nl") }, "password": "wrong password!!"});
                if client.post(&url).json(&body).send().await.is_err() {
                    break;
                }
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = std::time::Instant::now();
        let (s, _) = app.get("/api/v1/requests", Some(&staff.token)).await;
        assert_eq!(s, 200);
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut tries = 0;
    for t in flood {
        tries += t.await.unwrap();
    }
    assert!(tries >= 48, "the flood ran ({tries} tries)");
    assert!(
        slowest < Duration::from_millis(1500),
        "a staff request took {slowest:?} during the flood"
    );
}

/// `/metrics` (counts over every tenant) lives on its own listener (`INZAGE_METRICS_BIND`,
/// loopback by default); the main listener answers it only with `INZAGE_METRICS_TOKEN`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_public() {
    let app = spawn_app(Backend::Sqlite, "metrics").await.unwrap();
    app.file(None, "anna@example.nl").await;
    let r = app.client.get(app.metrics_url()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("inzage_requests"));
    let (s, v) = app.get("/metrics", None).await;
    assert_eq!((s, &v["error"]["code"]), (404, &json!("not_found")));
    let (s, _) = app
        .get("/metrics", Some("test-secret-test-secret-test-secret-0123"))
        .await;
    assert_eq!(s, 404, "no token configured: not here at all");
    // the metrics listener serves nothing else
    let r = app
        .client
        .get(format!("{}/api/v1/requests", app.metrics_address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let token = "metrics-token-metrics-token-metrics-token";
    let app = crate::helpers::spawn_app_with(
        Backend::Sqlite,
        "metrics token",
        &[("INZAGE_METRICS_TOKEN", token)],
    )
    .await
    .unwrap();
    app.file(None, "anna@example.nl").await;
    assert_eq!(app.get("/metrics", None).await.0, 401);
    assert_eq!(app.get("/metrics", Some("wrong")).await.0, 401);
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("inzage_requests"));
}

/// The router's routes, read from `http::configure` (method, full path).
fn router_routes() -> std::collections::BTreeSet<(String, String)> {
    let src = include_str!("../../src/http/mod.rs");
    let start = src
        .find("pub fn configure(")
        .expect("configure in src/http/mod.rs");
    let end = start + src[start..].find("\n}\n").expect("end of configure");
    let body = &src[start..end];
    let scope = body.find("web::scope(\"/api/v1\")");
    let mut routes = std::collections::BTreeSet::new();
    for (at, _) in body.match_indices(".route(") {
        let rest = &body[at..];
        let open = rest.find('"').unwrap() + 1;
        let path = &rest[open..open + rest[open..].find('"').unwrap()];
        let web = rest.find("web::").unwrap() + 5;
        let method = &rest[web..web + rest[web..].find('(').unwrap()];
        let prefix = if scope.is_some_and(|s| at > s) {
            "/api/v1"
        } else {
            ""
        };
        routes.insert((method.to_uppercase(), format!("{prefix}{path}")));
    }
    assert!(routes.len() > 20, "{routes:?}");
    routes
}

/// One table cannot drift from another: every route of the router is in the OpenAPI document
/// (and the document lists no route the router lacks), and every route is in the tenant
/// isolation matrix (`tests/api/isolation.rs`) or named there as touching no tenant's data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_documented_and_in_the_isolation_matrix() {
    let app = spawn_app(Backend::Sqlite, "route table").await.unwrap();
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if method != "parameters" {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routes = router_routes();
    assert_eq!(
        routes, documented,
        "the router and the OpenAPI document differ"
    );
    let isolation: std::collections::BTreeSet<(String, String)> = crate::isolation::REQUEST_ROUTES
        .iter()
        .chain(crate::isolation::TENANT_ROUTES)
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(
            crate::isolation::NOT_TENANT_ROUTES
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    let missing: Vec<_> = routes.difference(&isolation).collect();
    assert!(
        missing.is_empty(),
        "not in the isolation matrix: {missing:?}"
    );
    let stale: Vec<_> = isolation.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "in the isolation matrix but not a route: {stale:?}"
    );
    // every status a route answers is documented: at least the layers' own
    let ops = &doc["paths"]["/api/v1/requests/{reference}/identities"]["post"]["responses"];
    for status in ["400", "401", "403", "404", "413", "422", "503"] {
        assert!(ops.get(status).is_some(), "{status}: {ops}");
    }
}

/// Unknown methods answer 405 with `Allow`; HEAD works wherever GET does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_methods_answer_405_and_head_works() {
    let app = spawn_app(Backend::Sqlite, "methods").await.unwrap();
    let staff = app.user(Role::Support, None).await;
    for (method, path, allow) in [
        ("TRACE", "/api/v1/requests", "GET, HEAD, POST"),
        ("DELETE", "/api/v1/tenants", "GET, HEAD, POST"),
        ("PUT", "/api/v1/requests/DSR-2026-000001", "GET, HEAD"),
        ("GET", "/api/v1/requests/DSR-2026-000001/assign", "POST"),
        ("POST", "/healthz", "GET, HEAD"),
        ("PATCH", "/api/v1/auth/login", "POST"),
        (
            "DELETE",
            "/api/v1/requests/DSR-2026-000001/status",
            "GET, HEAD",
        ),
    ] {
        let r = app
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(path),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method} {path}");
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "method_not_allowed");
    }
    let r = app
        .client
        .request(reqwest::Method::TRACE, app.url("/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for (path, token) in [
        ("/healthz", None),
        ("/api/v1/openapi.json", None),
        ("/api/v1/requests", Some(&staff.token)),
        ("/api/v1/deadlines", Some(&staff.token)),
    ] {
        let mut req = app.client.head(app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "HEAD {path}");
        assert!(r.headers().contains_key("content-type"), "HEAD {path}");
        assert!(
            r.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
    assert_eq!(
        app.client
            .head(app.url("/api/v1/requests"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
