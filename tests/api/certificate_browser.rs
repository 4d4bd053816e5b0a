//! The execution certificate page in a real browser: Debian's Chromium driven by
//! `tests/browser/certificate.mjs` (playwright-core and axe-core from `tests/browser/node_modules`),
//! axe-core in Dutch and English at two widths, screenshots into `target/screenshots/`.
//! Skipped loudly without Chromium or `npm ci`; failed under CI.

use std::path::{Path, PathBuf};
use std::process::Command;

use inzage::domain::Role;
use serde_json::json;

use crate::helpers::{Backend, spawn_app};

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Whether the browser can run here; a loud skip, or a failure under CI.
fn ready() -> bool {
    let missing: Vec<&str> = [
        (!Path::new(CHROMIUM).exists()).then_some("chromium (apt-get install chromium)"),
        (!browser_dir().join("node_modules/playwright-core").exists())
            .then_some("tests/browser/node_modules (cd tests/browser && npm ci)"),
        Command::new("node")
            .arg("--version")
            .output()
            .is_err()
            .then_some("node"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "the certificate page's browser test needs {} under CI",
        missing.join(", ")
    );
    eprintln!(
        "SKIPPED certificate page browser test: missing {}",
        missing.join(", ")
    );
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_certificate_page_passes_axe_in_both_languages() {
    if !ready() {
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
        "base": app.address,
        "chromium": CHROMIUM,
        "screenshots": Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"),
        "token": acme.token,
        "reference": reference,
    });
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("certificate.mjs")
            .current_dir(browser_dir())
            .env("SCENARIO", scenario.to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(out.status.success(), "certificate page failed:\n{stderr}");
}
