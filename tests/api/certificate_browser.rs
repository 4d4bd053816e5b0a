//! The execution certificate page in a real browser: Debian's Chromium driven by
//! `tests/browser/certificate.mjs` (playwright-core and axe-core from `tests/browser/node_modules`),
//! axe-core in Dutch and English at two widths, screenshots into `target/screenshots/`.
//! Skipped loudly without Chromium or `npm ci`; failed under CI.

use inzage::domain::Role;
use serde_json::json;

use crate::browser;
use crate::helpers::{Backend, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_certificate_page_passes_axe_in_both_languages() {
    if !browser::ready("certificate page browser test", false) {
        return;
    }
    let Some(app) = spawn_app(Backend::Sqlite, "certificate_browser").await else {
        return;
    };
    app.tenant("acme").await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let filed = app.file_as(&acme.token, Some("acme"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    crate::certificates::issue(&app, &reference, "plan-1").await;
    let scenario = json!({
        "token": acme.token,
        "reference": reference,
    });
    browser::run(&app, "certificate.mjs", scenario).await;
}
