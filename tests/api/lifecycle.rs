//! The lifecycle over HTTP: every action, 409 where the status does not allow it, and one
//! event per change, in order.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};
use inzage::domain::Role;

crate::on_both_backends!(
    a_request_goes_from_received_to_completed,
    actions_not_allowed_now_are_409,
    refusal_extension_and_identity,
    verification_link_confirms_once,
);

fn event_kinds(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_request_goes_from_received_to_completed(backend: Backend) {
    let Some(app) = spawn_app(backend, "lifecycle").await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let controller = app.user(Role::Controller, Some("acme")).await;
    let filed = app.file_as(&support.token, None, json!({})).await;
    let r = filed["reference"].as_str().unwrap();

    let (s, v) = app.act(&support.token, r, "forward", json!({})).await;
    assert_eq!(s, 409, "forward without a tenant: {v}");
    assert_eq!(v["error"]["code"], "invalid_transition");

    let (s, v) = app
        .act(&support.token, r, "assign", json!({"tenant": "nope"}))
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app
        .act(&support.token, r, "assign", json!({"tenant": "acme"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tenant"], "acme");
    assert_eq!(v["status"], "received");

    let (s, v) = app
        .act(&support.token, r, "forward", json!({"note": "voor jullie"}))
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("forwarded")), "{v}");
    let (s, v) = app
        .act(&controller.token, r, "acknowledge", json!({}))
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (200, Some("acknowledged")),
        "{v}"
    );
    let (s, v) = app.act(&controller.token, r, "start", json!({})).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("in_progress")), "{v}");
    let (s, v) = app
        .act(
            &controller.token,
            r,
            "complete",
            json!({"outcome": "copy sent"}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("completed")), "{v}");
    assert_eq!(v["outcome"], "copy sent");
    assert!(v["closed_at"].is_string());
    assert_eq!(v["allowed_actions"], json!([]));

    let (_, d) = app
        .get(&format!("/api/v1/requests/{r}"), Some(&support.token))
        .await;
    assert_eq!(
        event_kinds(&d),
        [
            "received",
            "assigned",
            "forwarded",
            "acknowledged",
            "started",
            "completed"
        ]
    );
    let events = d["events"].as_array().unwrap();
    assert_eq!(events[2]["from_status"], "received");
    assert_eq!(events[2]["to_status"], "forwarded");
    assert_eq!(events[2]["note"], "voor jullie");
    assert_eq!(events[3]["actor"], controller.email);
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "oldest first");

    // closed: nothing more
    for (action, body) in [
        ("withdraw", json!({})),
        ("refuse", json!({"ground": "other", "reason": "x"})),
    ] {
        let (s, v) = app.act(&support.token, r, action, body).await;
        assert_eq!(s, 409, "{action}: {v}");
    }
}

async fn actions_not_allowed_now_are_409(backend: Backend) {
    let Some(app) = spawn_app(backend, "lifecycle_409").await else {
        return;
    };
    app.tenant("acme").await;
    let admin = app.user(Role::Admin, None).await;
    let controller = app.user(Role::Controller, Some("acme")).await;
    let filed = app.file_as(&admin.token, Some("acme"), json!({})).await;
    let r = filed["reference"].as_str().unwrap();
    for (action, body) in [
        ("acknowledge", json!({})),
        ("start", json!({})),
        ("complete", json!({"outcome": "done"})),
        ("identity_confirmed", json!({"method": "passport seen"})),
    ] {
        let (s, v) = app.act(&admin.token, r, action, body).await;
        assert_eq!(s, 409, "{action}: {v}");
        assert_eq!(v["error"]["code"], "invalid_transition");
    }
    // a controller never triages: 403 whatever the status
    let (s, v) = app.act(&controller.token, r, "forward", json!({})).await;
    assert_eq!(s, 403, "{v}");
    // unknown actions and references are 404; a bad body is 422, nothing changes
    assert_eq!(app.act(&admin.token, r, "teleport", json!({})).await.0, 404);
    assert_eq!(
        app.act(&admin.token, "DSR-2026-999999", "start", json!({}))
            .await
            .0,
        404
    );
    assert_eq!(
        app.act(&admin.token, "nonsense", "start", json!({}))
            .await
            .0,
        404
    );
    let (s, _) = app
        .act(&admin.token, r, "refuse", json!({"ground": "excessive"}))
        .await;
    assert_eq!(s, 422);
    let (_, d) = app
        .get(&format!("/api/v1/requests/{r}"), Some(&admin.token))
        .await;
    assert_eq!(event_kinds(&d), ["received"]);
    assert_eq!(
        d["allowed_actions"],
        json!([
            "assign",
            "forward",
            "extend",
            "request_identity",
            "refuse",
            "withdraw"
        ])
    );
}

async fn refusal_extension_and_identity(backend: Backend) {
    let Some(app) = spawn_app(backend, "lifecycle_rules").await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let filed = app
        .file_as(&support.token, Some("acme"), json!({"kind": "access"}))
        .await;
    let r = filed["reference"].as_str().unwrap();
    let legal_before = filed["deadline"]["legal"].clone();

    // identity asked today: the clock pauses; asked again: 409; confirmed: resumes
    let (s, v) = app
        .act(
            &support.token,
            r,
            "request_identity",
            json!({"note": "stuur uw klantnummer"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["deadline"]["paused"], true);
    assert_eq!(v["identity"]["pending"], true);
    assert_eq!(
        app.act(
            &support.token,
            r,
            "request_identity",
            json!({"note": "nog eens"})
        )
        .await
        .0,
        409
    );
    let (s, v) = app
        .act(
            &support.token,
            r,
            "identity_confirmed",
            json!({"method": "klantnummer klopt"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["deadline"]["paused"], false);
    assert_eq!(
        v["deadline"]["legal"], legal_before,
        "paused 0 days: same deadline"
    );
    assert_eq!(v["identity"]["method"], "klantnummer klopt");
    assert_eq!(v["identity"]["checked_by"], support.email);

    // extension: once, 1 or 2 months, reason required
    assert_eq!(
        app.act(
            &support.token,
            r,
            "extend",
            json!({"months": 3, "reason": "x"})
        )
        .await
        .0,
        422
    );
    assert_eq!(
        app.act(&support.token, r, "extend", json!({"months": 2}))
            .await
            .0,
        422
    );
    let (s, v) = app
        .act(
            &support.token,
            r,
            "extend",
            json!({"months": 2, "reason": "twelve systems"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["deadline"]["extended"].is_string());
    assert_eq!(v["extension"]["months"], 2);
    assert!(
        v["due_at"]
            .as_str()
            .unwrap()
            .starts_with(v["deadline"]["extended"].as_str().unwrap())
    );
    let (s, v) = app
        .act(
            &support.token,
            r,
            "extend",
            json!({"months": 1, "reason": "again"}),
        )
        .await;
    assert_eq!(s, 409, "{v}");

    // an art. 17(3) ground does not answer an access request
    let (s, v) = app
        .act(
            &support.token,
            r,
            "refuse",
            json!({"ground": "erasure_exception_archiving", "reason": "x"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app
        .act(
            &support.token,
            r,
            "refuse",
            json!({"ground": "excessive", "reason": "vijfde verzoek deze maand"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "refused");
    assert_eq!(v["refusal"]["ground"], "excessive");
    let kinds = event_kinds(&v);
    assert_eq!(
        kinds,
        [
            "received",
            "identity_requested",
            "identity_confirmed",
            "extended",
            "refused"
        ]
    );
}

async fn verification_link_confirms_once(backend: Backend) {
    let Some(app) = spawn_app(backend, "verify").await else {
        return;
    };
    let filed = app.file(None, "anna@example.nl").await;
    let id = app
        .with_conn({
            let r = filed["reference"].as_str().unwrap().to_owned();
            move |c| {
                inzage::store::requests::RequestRow::find_by_reference(c, &r)
                    .unwrap()
                    .unwrap()
                    .id
            }
        })
        .await;
    let now = chrono::Utc::now();
    let (token, _) = app
        .state
        .tokens
        .issue_link(
            inzage::auth::token::Purpose::Verify,
            id.as_str(),
            now,
            chrono::Duration::days(7),
        )
        .unwrap();
    let (s, v) = app
        .get(&format!("/api/v1/verify?token={token}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "received");
    let (s, v) = app
        .get(&format!("/api/v1/verify?token={token}"), None)
        .await;
    assert_eq!(s, 410, "{v}");
    assert_eq!(v["error"]["code"], "link_used");
    let (old, _) = app
        .state
        .tokens
        .issue_link(
            inzage::auth::token::Purpose::Verify,
            id.as_str(),
            now - chrono::Duration::days(8),
            chrono::Duration::days(7),
        )
        .unwrap();
    let (s, v) = app.get(&format!("/api/v1/verify?token={old}"), None).await;
    assert_eq!(s, 410, "{v}");
    assert_eq!(v["error"]["code"], "link_expired");
    assert_eq!(app.get("/api/v1/verify?token=garbage", None).await.0, 401);
    assert_eq!(app.get("/api/v1/verify", None).await.0, 422);
}
