//! The links a subject clicks from a mail answer a browser with a page in the request's
//! language (confirmed, already used, expired, not valid), and API clients with JSON as
//! before. No token, however broken, gets a 500.

use chrono::{Duration, Utc};
use inzage::auth::token::Purpose;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

crate::on_both_backends!(
    the_verification_link_answers_a_browser,
    the_status_link_answers_a_browser,
);

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn page(app: &TestApp, path: &str, language: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(app.url(path)).header("accept", BROWSER);
    if let Some(l) = language {
        req = req.header("accept-language", l);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    if status < 500 && r.status() != 400 {
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        assert!(r.headers().contains_key("content-security-policy"));
    }
    (status, r.text().await.unwrap())
}

async fn verify_url(app: &TestApp, language: &str) -> (String, String) {
    let (s, filed) = app
        .post(
            "/api/v1/requests",
            None,
            &json!({"kind": "access", "language": language,
                    "subject": {"name": "Anna de Vries", "email": "anna@example.nl"}}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let r = reference.clone();
    let payload: Value = app
        .with_conn(move |c| {
            let row = inzage::store::requests::RequestRow::find_by_reference(c, &r)
                .unwrap()
                .unwrap();
            let mail = inzage::store::outbox::for_request(c, &row.id)
                .unwrap()
                .into_iter()
                .find(|m| m.template == "verification_link")
                .unwrap();
            serde_json::from_str(&mail.payload).unwrap()
        })
        .await;
    let url = app.local(payload["verify_url"].as_str().unwrap());
    (reference, url.trim_start_matches(&app.address).to_owned())
}

async fn request_id(app: &TestApp, reference: &str) -> String {
    let r = reference.to_owned();
    app.with_conn(move |c| {
        inzage::store::requests::RequestRow::find_by_reference(c, &r)
            .unwrap()
            .unwrap()
            .id
            .into_inner()
    })
    .await
}

async fn the_verification_link_answers_a_browser(backend: Backend) {
    let Some(app) = spawn_app(backend, "verify_pages").await else {
        return;
    };
    // English request: confirmed, then used.
    let (reference, link) = verify_url(&app, "en").await;
    let (s, body) = page(&app, &link, Some("nl")).await;
    assert_eq!(s, 200);
    assert!(
        body.contains("<html lang=\"en\">"),
        "the request's language wins"
    );
    assert!(body.contains("Your e-mail address is confirmed"));
    assert!(body.contains(&reference));
    assert!(body.contains("/status?token="), "links to the status page");
    let (s, body) = page(&app, &link, None).await;
    assert_eq!(s, 410);
    assert!(body.contains("This link has been used already"));
    // API clients keep the JSON.
    let (s, v) = app.get(&link, None).await;
    assert_eq!(s, 410);
    assert_eq!(v["error"]["code"], "link_used");

    // Dutch request, JSON client first, then the browser sees "already used" in Dutch.
    let (_, link) = verify_url(&app, "nl").await;
    let (s, v) = app.get(&link, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "received");
    let (s, body) = page(&app, &link, Some("en")).await;
    assert_eq!(s, 410);
    assert!(body.contains("<html lang=\"nl\">") && body.contains("Deze link is al gebruikt"));

    // Expired: told so, in the request's language (the signature is ours, only the time ran out).
    let id = request_id(&app, &reference).await;
    let (old, _) = app
        .state
        .tokens
        .issue_link(
            Purpose::Verify,
            &id,
            Utc::now() - Duration::days(8),
            Duration::days(7),
        )
        .unwrap();
    let (s, body) = page(&app, &format!("/api/v1/verify?token={old}"), None).await;
    assert_eq!(s, 410);
    assert!(body.contains("<html lang=\"en\">") && body.contains("This link has expired"));

    // Not ours, or broken in any way: "not valid", in the browser's language; never a 500.
    let other_purpose = app
        .state
        .tokens
        .issue_link(Purpose::Status, &id, Utc::now(), Duration::days(1))
        .unwrap()
        .0;
    let long = "x".repeat(20_000);
    for (token, language, text, status) in [
        ("garbage", None, "Deze link klopt niet", 401),
        (
            "garbage",
            Some("en-GB,en;q=0.9"),
            "This link is not valid",
            401,
        ),
        ("a.b.c", None, "Deze link klopt niet", 401),
        (
            other_purpose.as_str(),
            Some("en"),
            "This link is not valid",
            401,
        ),
        (long.as_str(), None, "Deze link klopt niet", 401),
        ("", None, "Deze link klopt niet", 422),
    ] {
        let (s, body) = page(&app, &format!("/api/v1/verify?token={token}"), language).await;
        assert_eq!(s, status, "{token:.20}");
        assert!(body.contains(text), "{token:.20}: {body}");
    }
    let (s, _) = page(&app, "/api/v1/verify", None).await;
    assert_eq!(s, 422);
    let (s, _) = page(&app, "/api/v1/verify?token=%FF%FE", None).await;
    assert!(s < 500, "{s}");
    let (s, _) = app.get("/api/v1/verify?token=%FF%FE", None).await;
    assert!(s < 500, "{s}");
}

async fn the_status_link_answers_a_browser(backend: Backend) {
    let Some(app) = spawn_app(backend, "status_pages").await else {
        return;
    };
    let (reference, link) = verify_url(&app, "nl").await;
    let id = request_id(&app, &reference).await;
    let (token, _) = app
        .state
        .tokens
        .issue_link(Purpose::Status, &id, Utc::now(), Duration::days(1))
        .unwrap();
    let status = format!("/api/v1/requests/{reference}/status?token={token}");
    let (s, body) = page(&app, &status, None).await;
    assert_eq!(s, 200);
    assert!(body.contains(&format!("Uw verzoek {reference}")));
    assert!(body.contains("wacht op bevestiging van uw e-mailadres"));
    assert!(body.contains("De termijn staat stil"));
    assert!(body.contains("Verzoek ontvangen"));
    app.get(&link, None).await;
    let (s, body) = page(&app, &status, None).await;
    assert_eq!(s, 200);
    assert!(body.contains("E-mailadres bevestigd"));
    assert!(body.contains("Antwoord uiterlijk"));
    // JSON as before.
    let (s, v) = app.get(&status, None).await;
    assert_eq!(s, 200);
    assert_eq!(v["reference"], reference.as_str());
    // Another request's path with this token: not valid, as a page.
    let (s, body) = page(
        &app,
        "/api/v1/requests/DSR-2026-999999/status?token=x",
        Some("en"),
    )
    .await;
    assert_eq!(s, 401);
    assert!(body.contains("This link is not valid"));
    let other = format!("/api/v1/requests/DSR-2026-999999/status?token={token}");
    let (s, _) = page(&app, &other, None).await;
    assert_eq!(s, 404);
}
