//! The subject's pages in a real browser: Debian's Chromium driven by
//! `tests/browser/subject.mjs` (playwright-core and axe-core from `tests/browser/node_modules`),
//! with mail through a real SMTP server (`tests/support/smtp_sink.py`). A subject files a
//! request on the form, follows the mailed confirmation link, opens the status page from the
//! receipt; answers a question on another request, withdraws a third, and downloads a
//! released bundle with the mailed code. Every page is checked with axe-core and screenshotted
//! into `target/screenshots/` (both languages, desktop and phone width). Skipped loudly without
//! Chromium, aiosmtpd or `npm ci`; failed under CI.

use inzage::domain::Role;
use serde_json::{Value, json};

use crate::browser;
use crate::bundles::{ask_bundle, datamap, entry, tenant_db, tenant_with_map, wait_bundle};
use crate::helpers::{Backend, spawn_app_with};
use crate::mail::Sink;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subject_pages_work_in_a_real_browser() {
    if !browser::ready("subject browser tests", true) {
        return;
    }
    let sink = Sink::start(0, &[]);
    let smtp = sink.url();
    let Some(app) = spawn_app_with(
        Backend::Sqlite,
        "subject_browser",
        &[
            ("INZAGE_SMTP_URL", &smtp),
            ("INZAGE_MAIL_FROM", "Inzage <inzage@example.nl>"),
            ("INZAGE_PROCESSOR_NAME", "Hostbedrijf B.V."),
        ],
    )
    .await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = tenant_db(dir.path());
    tenant_with_map(&app, "acme", &datamap(dir.path(), &db, "acme")).await;
    app.with_conn(|c| inzage::service::admin::set_listed(c, "acme", true).unwrap())
        .await;
    let admin = app.user(Role::Admin, None).await;
    let file = |email: &'static str| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            app.file_as(
                &token,
                Some("acme"),
                json!({"subject": {"name": "Anna de Vries", "email": email}}),
            )
            .await["reference"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    // A request with a question from staff.
    let question = "Wat is uw lidnummer bij de club?";
    let r_question = file("vraag@example.nl").await;
    let (s, v) = app
        .act(
            &admin.token,
            &r_question,
            "request_identity",
            json!({"note": question}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // One the subject withdraws.
    let r_withdraw = file("intrekken@example.nl").await;
    // One completed with its bundle released (Anna is in the tenant database).
    let r_release = file("anna@example.nl").await;
    for action in ["forward", "acknowledge", "start"] {
        let (s, v) = app.act(&admin.token, &r_release, action, json!({})).await;
        assert_eq!(s, 200, "{action}: {v}");
    }
    assert_eq!(ask_bundle(&app, &admin.token, &r_release).await.0, 202);
    assert_eq!(
        wait_bundle(&app, &admin.token, &r_release).await["status"],
        "ready"
    );
    let (s, v) = app
        .act(
            &admin.token,
            &r_release,
            "complete",
            json!({"outcome": "Hierbij uw gegevens.", "release_bundle": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let bundle_path = dir.path().join("released.zip");
    let scenario = json!({
        "sink": sink.dir(),
        "tenant": "acme",
        "contact": "privacy@acme.example.nl",
        "anna": "nieuw@example.nl",
        "question": question,
        "question_email": "vraag@example.nl",
        "withdraw_email": "intrekken@example.nl",
        "release_email": "anna@example.nl",
        "bundle_path": bundle_path,
    });
    browser::run(&app, "subject.mjs", scenario).await;

    // What staff see: the answer, the withdrawal, the subject's download.
    let detail = |r: String| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            let (s, v) = app
                .get(&format!("/api/v1/requests/{r}"), Some(&token))
                .await;
            assert_eq!(s, 200, "{v}");
            v
        }
    };
    let kinds = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = detail(r_question).await;
    assert!(kinds(&q).contains(&"answered".to_owned()), "{q}");
    assert_eq!(q["deadline"]["paused"], false);
    assert_eq!(detail(r_withdraw).await["status"], "withdrawn");
    let rel = detail(r_release.clone()).await;
    assert!(
        kinds(&rel).contains(&"bundle_downloaded".to_owned()),
        "{rel}"
    );
    // The downloaded zip is the request's bundle.
    let zip = std::fs::read(&bundle_path).unwrap();
    let manifest = String::from_utf8(entry(&zip, "manifest.json")).unwrap();
    assert!(manifest.contains(&r_release), "{manifest}");
    assert!(
        browser::screenshots()
            .join("subject-form-nl-phone.png")
            .exists()
    );
}
