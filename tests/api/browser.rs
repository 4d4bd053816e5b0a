//! Running a page's scenario in a real browser: Debian's Chromium driven by a script in
//! `tests/browser/` (playwright-core and axe-core from `tests/browser/node_modules`), which
//! reads its scenario (JSON) from `SCENARIO` and writes its screenshots into
//! `target/screenshots/`. Used by `certificate_browser`, `console_browser` and
//! `subject_browser`; the scripts share `tests/browser/common.mjs`. Skipped loudly without
//! Chromium, node or `npm ci`; failed under CI.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::helpers::TestApp;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Where the scripts write their screenshots.
pub fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// Whether `what` (e.g. "console browser tests") can run here: Chromium, node and the
/// scripts' packages, and with `smtp_sink` the mail tests' SMTP server (aiosmtpd). Without
/// them a loud skip, or a failure under CI.
pub fn ready(what: &str, smtp_sink: bool) -> bool {
    let missing: Vec<&str> = [
        (!Path::new(CHROMIUM).exists()).then_some("chromium (apt-get install chromium)"),
        (!browser_dir().join("node_modules/playwright-core").exists())
            .then_some("tests/browser/node_modules (cd tests/browser && npm ci)"),
        Command::new("node")
            .arg("--version")
            .output()
            .is_err()
            .then_some("node"),
        (smtp_sink
            && !Command::new("python3")
                .args(["-c", "import aiosmtpd"])
                .status()
                .is_ok_and(|s| s.success()))
        .then_some("aiosmtpd (pip install aiosmtpd)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "{what}: missing {} under CI",
        missing.join(", ")
    );
    eprintln!("SKIPPED {what}: missing {}", missing.join(", "));
    false
}

/// Runs `tests/browser/{script}` against `app` with `scenario` (a JSON object, to which the
/// server's address, Chromium's path and the screenshot folder are added) and fails the
/// test with the script's output unless it passes.
pub async fn run(app: &TestApp, script: &str, mut scenario: Value) {
    scenario["base"] = app.address.clone().into();
    scenario["chromium"] = CHROMIUM.into();
    scenario["screenshots"] = screenshots().display().to_string().into();
    let name = script.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&name)
            .current_dir(browser_dir())
            .env("SCENARIO", scenario.to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    println!("{}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(out.status.success(), "{script} failed:\n{stderr}");
}
