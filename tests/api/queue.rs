//! GET /api/v1/requests: filters, paging, soonest deadline first.

use serde_json::json;

use crate::helpers::{Backend, spawn_app};
use inzage::domain::Role;

crate::on_both_backends!(the_queue_filters_pages_and_sorts);

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
        "?tenant=ghost",
        "?due_before=soon",
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/requests{bad}"), Some(&support.token))
            .await;
        assert_eq!(s, 422, "{bad}: {v}");
    }
}
