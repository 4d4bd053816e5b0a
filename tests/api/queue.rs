//! GET /api/v1/requests: filters, paging, soonest deadline first.

use serde_json::json;

use crate::helpers::{Backend, spawn_app};
use inzage::domain::Role;

crate::on_both_backends!(
    the_queue_filters_pages_and_sorts,
    totals_from_the_counts_match_counting_the_requests,
);

async fn the_queue_filters_pages_and_sorts(backend: Backend) {
    let Some(app) = spawn_app(backend, "queue").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let support = app.user(Role::Support, None).await;
    let today = chrono::Utc::now().date_naive();
    // received 30, 20 and 10 days ago; the oldest is overdue
    let mut refs = Vec::new();
    for (days, tenant, kind) in [
        (10, "acme", "erasure"),
        (30, "beta", "access"),
        (20, "acme", "access"),
    ] {
        let received = (today - chrono::Duration::days(days)).to_string();
        let v = app
            .file_as(
                &support.token,
                Some(tenant),
                json!({"received_at": received, "kind": kind}),
            )
            .await;
        refs.push(v["reference"].as_str().unwrap().to_owned());
    }
    let get = |q: &'static str| {
        let app = &app;
        let token = support.token.clone();
        async move {
            let (s, v) = app.get(&format!("/api/v1/requests{q}"), Some(&token)).await;
            assert_eq!(s, 200, "{q}: {v}");
            let items: Vec<String> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["reference"].as_str().unwrap().to_owned())
                .collect();
            (items, v["total"].as_i64().unwrap())
        }
    };
    let (all, total) = get("").await;
    assert_eq!(total, 3);
    assert_eq!(
        all,
        [refs[1].clone(), refs[2].clone(), refs[0].clone()],
        "soonest deadline first"
    );
    assert_eq!(
        get("?tenant=acme").await.0,
        [refs[2].clone(), refs[0].clone()]
    );
    assert_eq!(get("?kind=erasure").await.0, [refs[0].clone()]);
    assert_eq!(get("?overdue=true").await.0, [refs[1].clone()]);
    assert_eq!(get("?status=received").await.1, 3);
    assert_eq!(get("?status=forwarded,completed").await.1, 0);
    let (page2, total) = get("?per_page=2&page=2").await;
    assert_eq!((page2.len(), total), (1, 3));
    let due_before = (today + chrono::Duration::days(15)).to_string();
    let (_, v) = app
        .get(
            &format!("/api/v1/requests?due_before={due_before}"),
            Some(&support.token),
        )
        .await;
    assert_eq!(v["total"], 2);
    let (_, v) = app.get("/api/v1/requests", Some(&support.token)).await;
    let first = &v["items"][0];
    assert_eq!(first["overdue"], true);
    assert!(
        first.get("subject").is_none(),
        "the queue shows no personal data"
    );
    for bad in [
        "?status=lost",
        "?kind=x",
        "?per_page=0",
        "?overdue=maybe",
        "?due_before=soon",
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/requests{bad}"), Some(&support.token))
            .await;
        assert_eq!(s, 422, "{bad}: {v}");
    }
    // A tenant without requests, known or not, is a filter that matches nothing.
    let (s, v) = app
        .get("/api/v1/requests?tenant=ghost", Some(&support.token))
        .await;
    assert_eq!((s, v["total"].as_i64()), (200, Some(0)), "{v}");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");
}

/// The queue's `total` comes from counts that triggers keep; after intakes, assignments,
/// transitions and closings every filter's total equals counting the requests themselves.
async fn totals_from_the_counts_match_counting_the_requests(backend: Backend) {
    let Some(app) = spawn_app(backend, "queue_totals").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let support = app.user(Role::Support, None).await;
    let mut refs = Vec::new();
    for (tenant, kind) in [
        (Some("acme"), "erasure"),
        (Some("beta"), "access"),
        (None, "access"),
        (Some("acme"), "access"),
        (None, "portability"),
    ] {
        let v = app
            .file_as(&support.token, tenant, json!({"kind": kind}))
            .await;
        refs.push(v["reference"].as_str().unwrap().to_owned());
    }
    app.file(Some("beta"), "public@example.nl").await;
    let act = |r: usize, action: &'static str, body: serde_json::Value| {
        let (app, token, r) = (&app, support.token.clone(), refs[r].clone());
        async move {
            let (s, v) = app.act(&token, &r, action, body).await;
            assert_eq!(s, 200, "{action}: {v}");
        }
    };
    act(2, "assign", json!({"tenant": "beta"})).await;
    act(0, "forward", json!({})).await;
    act(
        1,
        "refuse",
        json!({"ground": "manifestly_unfounded", "reason": "test"}),
    )
    .await;
    act(3, "withdraw", json!({})).await;

    let queries = [
        "",
        "?open=true",
        "?tenant=acme",
        "?tenant=beta",
        "?kind=access",
        "?kind=erasure",
        "?status=received",
        "?status=forwarded,refused",
        "?status=awaiting_verification",
        "?tenant=beta&kind=access&open=true",
        "?status=withdrawn&tenant=acme",
    ];
    for q in queries {
        let sep = if q.is_empty() { "?" } else { "&" };
        let (s, v) = app
            .get(
                &format!("/api/v1/requests{q}{sep}per_page=200"),
                Some(&support.token),
            )
            .await;
        assert_eq!(s, 200, "{q}: {v}");
        let listed = v["items"].as_array().unwrap().len() as i64;
        assert_eq!(
            v["total"].as_i64().unwrap(),
            listed,
            "{q}: the total counts what is listed"
        );
    }
    let (_, v) = app.get("/api/v1/requests", Some(&support.token)).await;
    assert_eq!(v["total"], 6);
}
