//! The console in a real browser: Debian's Chromium driven by `tests/browser/console.mjs`
//! (playwright-core and axe-core from `tests/browser/node_modules`). Support signs in, finds a
//! request, assigns and forwards it; the controller follows the mailed link, is returned to
//! the request after signing in, starts it, compiles and downloads the bundle, and refuses
//! another request with a ground; a controller never sees another tenant's request; a form
//! without its CSRF token is refused. Every page is checked with axe-core and screenshotted
//! into `target/screenshots/`. Skipped loudly without Chromium or `npm ci`; failed under CI.

use inzage::domain::Role;
use serde_json::json;

use crate::browser;
use crate::bundles::{datamap, entry, tenant_db, tenant_with_map};
use crate::helpers::{Backend, PASSWORD, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() {
    if !browser::ready("console browser tests", false) {
        return;
    }
    let Some(app) = spawn_app(Backend::Sqlite, "console_browser").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = tenant_db(dir.path());
    tenant_with_map(&app, "acme", &datamap(dir.path(), &db, "acme")).await;
    app.tenant("globex").await;
    let support = app.user(Role::Support, None).await;
    let controller_a = app.user(Role::Controller, Some("acme")).await;
    let _controller_b = app.user(Role::Controller, Some("globex")).await;
    let admin = app.user(Role::Admin, None).await;
    // A job that gave up, for the admin to put back in the queue.
    let dead_job: String = app
        .with_conn(|c| {
            use diesel::prelude::*;
            use inzage::store::schema::jobs;
            let now = chrono::Utc::now().naive_utc();
            inzage::store::jobs::enqueue(
                c,
                &inzage::store::jobs::NewJob {
                    kind: "bundle".into(),
                    payload: json!({"bundle_id": "gone"}),
                    dedupe_key: Some("browser-dead-job".into()),
                    run_after: now + chrono::Duration::days(1),
                    max_attempts: 1,
                },
                now,
            )
            .unwrap();
            diesel::update(jobs::table.filter(jobs::dedupe_key.eq("browser-dead-job")))
                .set((
                    jobs::state.eq("dead"),
                    jobs::attempts.eq(1),
                    jobs::last_error.eq(Some("bundle gone: nothing to compile")),
                ))
                .execute(c)
                .unwrap();
            jobs::table
                .filter(jobs::dedupe_key.eq("browser-dead-job"))
                .select(jobs::id)
                .first(c)
                .unwrap()
        })
        .await;

    // Anna's request, not yet assigned: support assigns and forwards it in the browser.
    let r_forward = app
        .file_as(
            &support.token,
            None,
            json!({"subject": {"name": "Anna de Vries", "email": "anna@example.nl"}}),
        )
        .await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another of acme's, which the controller refuses.
    let r_refuse = app.file_as(&support.token, Some("acme"), json!({})).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    // Globex's, which acme's controller must never see.
    let r_other = app
        .file_as(
            &support.token,
            Some("globex"),
            json!({"subject": {"name": "Gerrit Globex", "email": "gerrit@globex.example"}}),
        )
        .await["reference"]
        .as_str()
        .unwrap()
        .to_owned();

    let bundle_path = dir.path().join("bundle.zip");
    // The link the controller's mail carries (checked against the outbox below, once the
    // browser forwarded the request), on this test server's address.
    let mailed_link = format!("{}/console/requests/{r_forward}", app.address);
    let scenario = json!({
        "password": PASSWORD,
        "support": support.email,
        "controller_a": controller_a.email,
        "tenant_a": "acme",
        "tenant_b": "globex",
        "admin": admin.email,
        "dead_job": dead_job,
        "anna_email": "anna@example.nl",
        "other_email": "gerrit@globex.example",
        "r_forward": r_forward,
        "r_refuse": r_refuse,
        "r_other": r_other,
        "mailed_link": mailed_link,
        "bundle_path": bundle_path,
    });
    browser::run(&app, "console.mjs", scenario).await;

    // The mail to acme's controller links to exactly the page the browser was returned to.
    let payloads = app.mail_payloads(&r_forward).await;
    assert!(
        payloads.iter().any(|(_, p)| p
            .to_string()
            .contains(&format!("/console/requests/{r_forward}"))),
        "the controller's mail links to the console page"
    );

    // The downloaded zip is Anna's bundle: its manifest names the request.
    let zip = std::fs::read(&bundle_path).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    assert_eq!(manifest["format"], "inzage-bundle/1");
    assert!(manifest.to_string().contains(&r_forward), "{manifest}");
    let screenshots = browser::screenshots();
    assert!(screenshots.join("queue-en-phone.png").exists());
    for shot in [
        "overview-en-phone.png",
        "grants-running-nl-desktop.png",
        "audit-en-desktop.png",
        "admin-users-nl-desktop.png",
    ] {
        assert!(screenshots.join(shot).exists(), "{shot}");
    }
}
