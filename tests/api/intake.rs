//! POST /api/v1/requests: validation, limits, idempotency, the staff variant.

use serde_json::json;

use crate::helpers::{Backend, spawn_app};
use inzage::domain::Role;

crate::on_both_backends!(
    a_public_intake_is_filed_and_awaits_verification,
    every_invalid_field_is_named,
    malformed_json_is_400_and_oversized_bodies_413,
    the_same_idempotency_key_and_body_give_the_same_request,
    staff_enter_letters_with_the_day_they_arrived,
);

async fn a_public_intake_is_filed_and_awaits_verification(backend: Backend) {
    let Some(app) = spawn_app(backend, "intake").await else {
        return;
    };
    app.tenant("acme").await;
    let v = app.file(Some("acme"), "anna@example.nl").await;
    let reference = v["reference"].as_str().unwrap();
    assert!(
        reference.starts_with("DSR-20") && reference.len() == 15,
        "{reference}"
    );
    assert_eq!(v["status"], "awaiting_verification");
    for key in ["received_at", "due_at"] {
        assert!(v[key].is_string(), "{key} missing: {v}");
    }
    // The status link comes only by mail: the mailbox proves the subject.
    assert!(v.get("status_url").is_none(), "{v}");
    assert!(!v.to_string().contains("token="), "{v}");
    for key in ["legal", "promised", "paused_days"] {
        assert!(!v["deadline"][key].is_null(), "deadline.{key} missing: {v}");
    }
    assert!(v["deadline"]["extended"].is_null());
    // due_at is the end of a day in Europe/Amsterdam
    let due = v["due_at"].as_str().unwrap();
    assert!(
        due.contains("T23:59:59") && (due.ends_with("+01:00") || due.ends_with("+02:00")),
        "{due}"
    );

    // The mailed status link works for the subject, and only for this request.
    let (status, view) = app
        .get(&app.mailed_status_path(reference).await, None)
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["reference"], reference);
    assert_eq!(view["history"][0]["kind"], "received");
    assert!(
        view.get("subject").is_none(),
        "no personal data in the public view"
    );

    // A second request gets the next number, without a tenant too.
    let w = app.file(None, "bram@example.nl").await;
    assert_ne!(w["reference"], v["reference"]);
}

async fn every_invalid_field_is_named(backend: Backend) {
    let Some(app) = spawn_app(backend, "intake_validation").await else {
        return;
    };
    let cases = [
        (
            json!({"kind": "access", "subject": {"name": "A", "email": "not-an-address"}}),
            "subject.email",
        ),
        (
            json!({"kind": "access", "subject": {"name": "x".repeat(201), "email": "a@example.nl"}}),
            "subject.name",
        ),
        (
            json!({"kind": "access", "subject": {"name": "", "email": "a@example.nl"}}),
            "subject.name",
        ),
        (
            json!({"kind": "inzage", "subject": {"name": "A", "email": "a@example.nl"}}),
            "kind",
        ),
        (
            json!({"subject": {"name": "A", "email": "a@example.nl"}}),
            "kind",
        ),
        (
            json!({"kind": "access", "details": "x".repeat(10_001), "subject": {"name": "A", "email": "a@example.nl"}}),
            "details",
        ),
        (
            json!({"kind": "access", "language": "de", "subject": {"name": "A", "email": "a@example.nl"}}),
            "language",
        ),
        (
            json!({"kind": "access", "subject": {"name": "A", "email": "a@example.nl", "phone": "call me"}}),
            "subject.phone",
        ),
        (json!({"kind": "access"}), "subject"),
        (
            json!({"kind": "access", "subject": {"name": "A", "email": "a@example.nl"}, "received_at": "2026-01-01"}),
            "received_at",
        ),
        (
            json!({"kind": "access", "subject": {"name": "A", "email": "a@example.nl"}, "channel": "letter"}),
            "channel",
        ),
        (
            json!({"kind": 5, "subject": {"name": "A", "email": "a@example.nl"}}),
            "kind",
        ),
    ];
    for (body, field) in cases {
        let (status, v) = app.post("/api/v1/requests", None, &body).await;
        assert_eq!(status, 422, "{field}: {v}");
        assert_eq!(v["error"]["code"], "validation_failed");
        assert!(
            v["error"]["fields"][field].is_string(),
            "{field} not named: {v}"
        );
    }
    // exactly 10,000 characters of details is fine
    let body = json!({"kind": "erasure", "details": "é".repeat(10_000), "subject": {"name": "A", "email": "a@example.nl"}});
    assert_eq!(app.post("/api/v1/requests", None, &body).await.0, 201);
    // nothing invalid was stored
    let count = app
        .with_conn(|c| {
            use diesel::prelude::*;
            inzage::store::schema::requests::table
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(count, 1);
}

async fn malformed_json_is_400_and_oversized_bodies_413(backend: Backend) {
    let Some(app) = spawn_app(backend, "intake_limits").await else {
        return;
    };
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .header("content-type", "application/json")
        .body("{\"kind\": \"access\", ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "malformed_body");

    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .body("[1, 2]")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let big = json!({"kind": "access", "details": "x".repeat(70 * 1024), "subject": {"name": "A", "email": "a@example.nl"}});
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "payload_too_large");

    // A chunked body without a length is cut off at the limit too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

async fn the_same_idempotency_key_and_body_give_the_same_request(backend: Backend) {
    let Some(app) = spawn_app(backend, "intake_idempotency").await else {
        return;
    };
    let body =
        json!({"kind": "portability", "subject": {"name": "Anna", "email": "anna@example.nl"}});
    let send = |key: &'static str, body: serde_json::Value| {
        let req = app
            .client
            .post(app.url("/api/v1/requests"))
            .header("Idempotency-Key", key)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            (
                r.status().as_u16(),
                r.headers().get("idempotent-replayed").is_some(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    // Several at once with one key: one request, every answer names it.
    let answers = futures_util::future::join_all((0..5).map(|_| send("key-1", body.clone()))).await;
    let first = answers[0].2["reference"].clone();
    for (status, _, v) in &answers {
        assert_eq!(*status, 201, "{v}");
        assert_eq!(v["reference"], first);
    }
    assert_eq!(
        answers.iter().filter(|a| !a.1).count(),
        1,
        "exactly one was not a replay"
    );
    // Same key, other body: refused, nothing stored.
    let other = json!({"kind": "erasure", "subject": {"name": "Anna", "email": "anna@example.nl"}});
    let (status, _, v) = send("key-1", other).await;
    assert_eq!(status, 422, "{v}");
    assert!(v["error"]["fields"]["Idempotency-Key"].is_string());
    // Another key: another request.
    let (_, _, v) = send("key-2", body.clone()).await;
    assert_ne!(v["reference"], first);
    let count = app
        .with_conn(|c| {
            use diesel::prelude::*;
            inzage::store::schema::requests::table
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(count, 2);
}

async fn staff_enter_letters_with_the_day_they_arrived(backend: Backend) {
    let Some(app) = spawn_app(backend, "intake_staff").await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let arrived = (chrono::Utc::now() - chrono::Duration::days(10)).date_naive();
    let v = app
        .file_as(
            &support.token,
            Some("acme"),
            json!({"received_at": arrived.to_string(), "channel": "letter"}),
        )
        .await;
    assert_eq!(v["status"], "received");
    assert!(
        v["received_at"]
            .as_str()
            .unwrap()
            .starts_with(&arrived.to_string()),
        "{v}"
    );
    let (_, detail) = app
        .get(
            &format!("/api/v1/requests/{}", v["reference"].as_str().unwrap()),
            Some(&support.token),
        )
        .await;
    assert_eq!(detail["channel"], "letter");
    assert_eq!(detail["tenant"], "acme");
    assert_eq!(detail["events"][0]["actor"], support.email);
    // A controller files for its own tenant whatever the body says.
    app.tenant("other").await;
    let controller = app.user(Role::Controller, Some("acme")).await;
    let v = app
        .file_as(&controller.token, Some("other"), json!({}))
        .await;
    let (_, detail) = app
        .get(
            &format!("/api/v1/requests/{}", v["reference"].as_str().unwrap()),
            Some(&controller.token),
        )
        .await;
    assert_eq!(detail["tenant"], "acme");
    // Staff may not date a request in the future.
    let (status, v) = app
        .post("/api/v1/requests", Some(&support.token), &json!({"kind": "access", "received_at": "2999-01-01", "subject": {"name": "A", "email": "a@example.nl"}}))
        .await;
    assert_eq!(status, 422, "{v}");
}
