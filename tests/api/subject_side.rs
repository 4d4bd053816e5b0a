//! The subject's side (issue 15): the request form at `/t/{slug}` and `/`, the public intake
//! without a status link, unknown organisations filed without a tenant, the status page that
//! withdraws and answers, and completion with `result` and `release_bundle` whose bundle the
//! subject downloads with a mailed code.

use std::time::Duration;

use inzage::domain::Role;
use serde_json::{Value, json};

use crate::bundles::{ask_bundle, datamap, tenant_db, tenant_with_map, wait_bundle};
use crate::helpers::{Backend, SECRET, TestApp, spawn_app};

crate::on_both_backends!(
    an_unknown_organisation_is_filed_without_a_tenant,
    the_form_files_through_the_api_intake,
    the_subject_answers_a_question_and_withdraws,
    complete_answers_with_a_result_and_releases_the_bundle,
);

/// `inzage tenant add --listed` puts the tenant on the form at `/`; without it, not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_add_listed_puts_the_tenant_on_the_general_form() {
    let store = crate::helpers::fresh_store(Backend::Sqlite, "tenant_listed").unwrap();
    let env = crate::helpers::test_env(&store, &[]);
    for (slug, listed) in [("acme", true), ("beta", false)] {
        let mut args = vec![
            "tenant",
            "add",
            "--slug",
            slug,
            "--name",
            slug,
            "--contact-email",
            "privacy@example.nl",
        ];
        if listed {
            args.push("--listed");
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_inzage"))
            .args(&args)
            .envs(&env)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let settings =
        inzage::config::Settings::load_from(None, &|k| env.get(k).cloned()).expect("settings");
    let db = inzage::startup::open_store(&settings).await.unwrap();
    let listed = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().unwrap();
        inzage::service::queries::listed_tenants(&mut conn).unwrap()
    })
    .await
    .unwrap();
    let slugs: Vec<&str> = listed.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(slugs, ["acme"]);
}

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// A page as a browser gets it: (status, form cookie, body).
async fn page(app: &TestApp, path: &str) -> (u16, Option<String>, String) {
    let r = app
        .client
        .get(app.url(path))
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let cookie = form_cookie(&r);
    if status != 404 {
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert!(r.headers().contains_key("content-security-policy"));
    }
    (status, cookie, r.text().await.unwrap())
}

fn form_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("inzage_form="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

/// Posts a form with the form cookie; (status, location, body).
async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> (u16, Option<String>, String, Option<String>) {
    let mut req = app
        .client
        .post(app.url(path))
        .header("accept", BROWSER)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(urlencoded(fields));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("inzage_form={c}"));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let ct = r
        .headers()
        .get("content-type")
        .map(|c| c.to_str().unwrap().to_owned());
    let body = if ct.as_deref() == Some("application/zip") {
        format!("ZIP {} bytes", r.bytes().await.unwrap().len())
    } else {
        r.text().await.unwrap()
    };
    (status, location, body, ct)
}

fn urlencoded(fields: &[(&str, &str)]) -> String {
    let e = inzage::http::console::encode;
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", e(k), e(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn detail(app: &TestApp, token: &str, reference: &str) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/requests/{reference}"), Some(token))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn an_unknown_organisation_is_filed_without_a_tenant(backend: Backend) {
    let Some(app) = spawn_app(backend, "subject_unknown_tenant").await else {
        return;
    };
    app.tenant("acme").await;
    let admin = app.user(Role::Admin, None).await;
    // Public: an unknown slug is no error (that would list the processor's customers).
    let (s, v) = app
        .post(
            "/api/v1/requests",
            None,
            &json!({"kind": "access", "tenant": "sportclub-x",
                    "subject": {"name": "Anna", "email": "anna@example.nl"}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert!(v.get("status_url").is_none(), "{v}");
    let reference = v["reference"].as_str().unwrap();
    let d = detail(&app, &admin.token, reference).await;
    assert!(d["tenant"].is_null(), "{d}");
    assert!(
        d.to_string().contains("sportclub-x"),
        "support sees what was named: {d}"
    );
    // Staff still get the field error: they pick from the tenants they see.
    let (s, v) = app
        .post(
            "/api/v1/requests",
            Some(&admin.token),
            &json!({"kind": "access", "tenant": "sportclub-x",
                    "subject": {"name": "Anna", "email": "anna@example.nl"}}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"]["fields"]["tenant"].is_string());
}

async fn the_form_files_through_the_api_intake(backend: Backend) {
    let Some(app) = spawn_app(backend, "subject_form").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("hidden").await;
    app.with_conn(|c| inzage::service::admin::set_listed(c, "acme", true).unwrap())
        .await;

    // /t/acme: the organisation's form, every right explained, the API's field names.
    let (s, cookie, body) = page(&app, "/t/acme").await;
    assert_eq!(s, 200);
    let cookie = cookie.expect("a form token cookie");
    assert!(body.contains("Tenant acme") && body.contains("<html lang=\"nl\">"));
    for kind in [
        "access",
        "rectification",
        "erasure",
        "restriction",
        "portability",
        "objection",
        "automated_decision",
    ] {
        assert!(body.contains(&format!("value=\"{kind}\"")), "{kind}");
    }
    for name in [
        "kind", "name", "email", "phone", "details", "language", "csrf",
    ] {
        assert!(body.contains(&format!("name=\"{name}\"")), "{name}");
    }
    assert!(body.contains("artikel 15 AVG") && body.contains("artikel 22 AVG"));
    let (s, _, en) = page(&app, "/t/acme?lang=en").await;
    assert_eq!(s, 200);
    assert!(en.contains("<html lang=\"en\">") && en.contains("Article 17 GDPR"));

    // Without its token a post is refused, and nothing is filed.
    let fields = [
        ("kind", "access"),
        ("name", "Anna de Vries"),
        ("email", "anna@example.nl"),
        ("csrf", cookie.as_str()),
    ];
    let (s, _, _, _) = post_form(&app, "/t/acme", None, &fields).await;
    assert_eq!(s, 403);
    // Another site's post is refused too, even with the token.
    let r = app
        .client
        .post(app.url("/t/acme"))
        .header("cookie", format!("inzage_form={cookie}"))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(urlencoded(&fields))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Errors sit next to their fields, in the page's language, with the values kept.
    let (s, _, body, _) = post_form(
        &app,
        "/t/acme",
        Some(&cookie),
        &[
            ("name", "Anna de Vries"),
            ("email", "not-an-address"),
            ("csrf", &cookie),
        ],
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("id=\"email-error\"") && body.contains("email-error\""));
    assert!(body.contains("aria-describedby=\"email-hint email-error\""));
    assert!(body.contains("id=\"kind-error\""));
    assert!(body.contains("Vul een geldig e-mailadres in"));
    assert!(body.contains("value=\"Anna de Vries\""));

    // Filed: the page names the reference, carries no status link; the mail goes out.
    let (s, _, body, _) = post_form(&app, "/t/acme?lang=en", Some(&cookie), &fields).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Check your mailbox"), "{body}");
    assert!(!body.contains("token="), "no status link on the page");
    let reference = body
        .split("DSR-")
        .nth(1)
        .map(|r| format!("DSR-{}", &r[..11]))
        .unwrap();
    let admin = app.user(Role::Admin, None).await;
    let d = detail(&app, &admin.token, &reference).await;
    assert_eq!(d["tenant"], "acme");
    assert_eq!(d["status"], "awaiting_verification");
    assert_eq!(d["channel"], "web");
    let mails = app.mail_payloads(&reference).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, "verification_link");

    // `/` lists only listed tenants; a name in free text files without a tenant.
    let (s, cookie, body) = page(&app, "/").await;
    assert_eq!(s, 200);
    assert!(body.contains("value=\"acme\"") && !body.contains("value=\"hidden\""));
    let cookie = cookie.unwrap();
    let (s, _, body, _) = post_form(
        &app,
        "/",
        Some(&cookie),
        &[
            ("tenant", "other"),
            ("tenant_other", "Sportclub X"),
            ("kind", "erasure"),
            ("name", "Bram"),
            ("email", "bram@example.nl"),
            ("language", "en"),
            ("csrf", &cookie),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let reference = body
        .split("DSR-")
        .nth(1)
        .map(|r| format!("DSR-{}", &r[..11]))
        .unwrap();
    let d = detail(&app, &admin.token, &reference).await;
    assert!(d["tenant"].is_null());
    assert_eq!(d["language"], "en");
    assert!(d.to_string().contains("Sportclub X"));

    // An organisation we do not know: a page pointing to the general form.
    let (s, _, body) = page(&app, "/t/nobody").await;
    assert_eq!(s, 404);
    assert!(body.contains("href=\"/?lang=nl\""));
}

async fn status_page(app: &TestApp, path: &str) -> (String, String, String) {
    let (s, cookie, body) = page(app, path).await;
    assert_eq!(s, 200, "{body}");
    let token = path
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    (cookie.unwrap(), token.to_owned(), body)
}

async fn the_subject_answers_a_question_and_withdraws(backend: Backend) {
    let Some(app) = spawn_app(backend, "subject_status_actions").await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let filed = app.file_as(&support.token, Some("acme"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let (s, v) = app
        .act(
            &support.token,
            &reference,
            "request_identity",
            json!({"note": "Wat is uw lidnummer?"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["deadline"]["paused"], true, "{v}");
    let path = app.mailed_status_path(&reference).await;
    let (cookie, token, body) = status_page(&app, &path).await;
    assert!(body.contains("Wat is uw lidnummer?") && body.contains("name=\"answer\""));
    let base = format!("/status/{reference}");

    // An empty answer is an error in place; a real one resumes the clock.
    let (s, _, body, _) = post_form(
        &app,
        &format!("{base}/answer"),
        Some(&cookie),
        &[("token", &token), ("csrf", &cookie), ("answer", "  ")],
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("id=\"answer-error\""));
    // A status link of another request does not open this one.
    let (s, _, _, _) = post_form(
        &app,
        "/status/DSR-2026-999999/answer",
        Some(&cookie),
        &[("token", &token), ("csrf", &cookie), ("answer", "42")],
    )
    .await;
    assert_eq!(s, 404);
    let (s, location, _, _) = post_form(
        &app,
        &format!("{base}/answer"),
        Some(&cookie),
        &[
            ("token", &token),
            ("csrf", &cookie),
            ("answer", "Lidnummer 4711"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    assert!(location.unwrap().contains("done=answered"));
    let d = detail(&app, &support.token, &reference).await;
    assert_eq!(
        d["deadline"]["paused"], false,
        "the answer resumes the clock: {d}"
    );
    let answered = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "answered")
        .expect("an answered event");
    assert_eq!(answered["note"], "Lidnummer 4711");
    // Staff still record the check.
    let (s, v) = app
        .act(
            &support.token,
            &reference,
            "identity_confirmed",
            json!({"method": "lidnummer klopt"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // Withdraw: first the question, then done; without the form token nothing happens.
    let (s, _, _, _) = post_form(
        &app,
        &format!("{base}/withdraw"),
        None,
        &[("token", &token), ("csrf", &cookie), ("confirm", "yes")],
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, body, _) = post_form(
        &app,
        &format!("{base}/withdraw"),
        Some(&cookie),
        &[("token", &token), ("csrf", &cookie)],
    )
    .await;
    assert_eq!(s, 200);
    assert!(body.contains("name=\"confirm\" value=\"yes\""), "{body}");
    assert_eq!(
        detail(&app, &support.token, &reference).await["status"],
        "received"
    );
    let (s, _, _, _) = post_form(
        &app,
        &format!("{base}/withdraw"),
        Some(&cookie),
        &[("token", &token), ("csrf", &cookie), ("confirm", "yes")],
    )
    .await;
    assert_eq!(s, 303);
    let d = detail(&app, &support.token, &reference).await;
    assert_eq!(d["status"], "withdrawn");
    let (_, _, body) = status_page(&app, &path).await;
    assert!(body.contains("ingetrokken") && !body.contains("name=\"answer\""));
}

/// A request of `kind` for acme, filed by support and started by admin.
async fn started(app: &TestApp, admin: &str, support: &str, kind: &str) -> String {
    let reference = app
        .file_as(
            support,
            Some("acme"),
            json!({"kind": kind, "subject": {"name": "Anna de Vries", "email": "anna@example.nl"}}),
        )
        .await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    for action in ["forward", "acknowledge", "start"] {
        let (s, v) = app.act(admin, &reference, action, json!({})).await;
        assert_eq!(s, 200, "{action}: {v}");
    }
    reference
}

/// The newest download code mail of a request, as stored.
async fn code_mail(app: &TestApp, reference: &str) -> Value {
    app.mail_payloads(reference)
        .await
        .into_iter()
        .rev()
        .find(|(t, _)| t == "download_code")
        .unwrap()
        .1
}

async fn complete_answers_with_a_result_and_releases_the_bundle(backend: Backend) {
    let Some(app) = spawn_app(backend, "subject_release").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = tenant_db(dir.path());
    tenant_with_map(&app, "acme", &datamap(dir.path(), &db, "acme")).await;
    let admin = app.user(Role::Admin, None).await;
    let support = app.user(Role::Support, None).await;

    // no_data: an answer, and its mail says so without a word of refusal.
    let r = started(&app, &admin.token, &support.token, "access").await;
    let (s, v) = app
        .act(
            &admin.token,
            &r,
            "complete",
            json!({"outcome": "Wij hebben in alle systemen gezocht.", "result": "no_data"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, mail) = app
        .mail_payloads(&r)
        .await
        .into_iter()
        .rev()
        .find(|(t, _)| t == "completion")
        .unwrap();
    assert_eq!(mail["no_data"], true);
    let m: inzage::mail::MailMessage = serde_json::from_value(mail).unwrap();
    let text = m
        .render(inzage::domain::Language::Nl, "inzage")
        .unwrap()
        .text;
    assert!(text.contains("geen persoonsgegevens over u verwerkt") && !text.contains("afgewezen"));

    // Bad completions: a result we do not know, a release for erasure, a release without a
    // ready bundle.
    let r = started(&app, &admin.token, &support.token, "erasure").await;
    let (s, v) = app
        .act(
            &admin.token,
            &r,
            "complete",
            json!({"outcome": "x", "result": "maybe"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"]["fields"]["result"].is_string());
    let (s, v) = app
        .act(
            &admin.token,
            &r,
            "complete",
            json!({"outcome": "x", "release_bundle": true}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"]["fields"]["release_bundle"].is_string());
    let r = started(&app, &admin.token, &support.token, "access").await;
    let (s, v) = app
        .act(
            &admin.token,
            &r,
            "complete",
            json!({"outcome": "x", "release_bundle": true}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "bundle_not_ready");

    // With a ready bundle: released; support without a grant may not hand it out.
    let (s, v) = ask_bundle(&app, &admin.token, &r).await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(wait_bundle(&app, &admin.token, &r).await["status"], "ready");
    let (s, v) = app
        .act(
            &support.token,
            &r,
            "complete",
            json!({"outcome": "x", "release_bundle": true}),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = app
        .act(
            &admin.token,
            &r,
            "complete",
            json!({"outcome": "Uw gegevens staan klaar.", "result": "done", "release_bundle": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // The status page offers the download behind a mailed code.
    let path = app.mailed_status_path(&r).await;
    let (cookie, token, body) = status_page(&app, &path).await;
    assert!(body.contains("id=\"download\""), "{body}");
    assert!(!body.contains("name=\"code\""), "no code asked yet");
    let base = format!("/status/{r}");
    let form = |extra: Vec<(&'static str, String)>| {
        let mut f = vec![("token", token.clone()), ("csrf", cookie.clone())];
        f.extend(extra);
        f
    };
    let post = |p: String, f: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, &p, Some(&cookie), &fields).await
        }
    };
    // Before a code is asked, no code opens it.
    let (s, _, _, _) = post(
        format!("{base}/download"),
        form(vec![("code", "123456".into())]),
    )
    .await;
    assert_eq!(s, 422);
    let (s, loc, _, _) = post(format!("{base}/code"), form(vec![])).await;
    assert_eq!(s, 303, "{loc:?}");
    let payload = code_mail(&app, &r).await;
    assert!(
        payload.get("code").is_none(),
        "the stored mail holds no code: {payload}"
    );
    let code =
        inzage::crypto::download_code(SECRET.as_bytes(), payload["code_id"].as_str().unwrap());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    // Five wrong tries, then the code is dead, even the right one.
    for left in (0..5).rev() {
        let (s, _, body, _) = post(
            format!("{base}/download"),
            form(vec![("code", wrong.into())]),
        )
        .await;
        assert_eq!(s, 422);
        if left > 0 {
            assert!(body.contains(&format!("nog {left} keer")), "{left}: {body}");
        } else {
            assert!(
                body.contains("Vraag hieronder een nieuwe code aan"),
                "{body}"
            );
        }
    }
    let (s, _, _, _) = post(
        format!("{base}/download"),
        form(vec![("code", code.clone())]),
    )
    .await;
    assert_eq!(s, 422, "a dead code stays dead");
    // A new code; the right one streams the zip and is an event the controller sees.
    let (s, _, _, _) = post(format!("{base}/code"), form(vec![])).await;
    assert_eq!(s, 303);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let payload = code_mail(&app, &r).await;
    let code =
        inzage::crypto::download_code(SECRET.as_bytes(), payload["code_id"].as_str().unwrap());
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let (s, _, body, ct) = post(format!("{base}/download"), form(vec![("code", spaced)])).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(ct.as_deref(), Some("application/zip"));
    assert!(body.starts_with("ZIP ") && body != "ZIP 0 bytes");
    let d = detail(&app, &admin.token, &r).await;
    let downloads: Vec<&Value> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "bundle_downloaded")
        .collect();
    assert_eq!(downloads.len(), 1, "{d}");
    assert!(
        d["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "download_code_sent")
    );
    // Codes are kept only as hashes.
    let rows: Vec<String> = app
        .with_conn(|c| {
            use diesel::prelude::*;
            inzage::store::schema::download_codes::table
                .select(inzage::store::schema::download_codes::code_hash)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|h| h.len() == 64 && *h != code));
}
