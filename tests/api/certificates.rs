//! Execution certificates: the key set at `/.well-known/jwks.json`, key rotation, the
//! certificate routes (JWS and page), and `inzage certificate verify` against the served keys.
//!
//! Until the execution job lands, a certificate is issued by calling the library on the test
//! server's own store (`inzage::service::signing::issue_certificate`), as the job will.

use std::process::Command;

use chrono::Utc;
use inzage::domain::Role;
use inzage::domain::certificate::{
    Certificate, CertifiedActor, CertifiedRecipient, CertifiedSystem, CertifiedTable, TableAction,
};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app, test_env};

crate::on_both_backends!(
    certificate_jwks_has_the_current_key_and_rotation_keeps_the_old,
    certificate_verifies_with_the_cli_against_the_served_keys,
    certificate_routes_answer_404_403_and_audit_each_read,
    certificate_key_is_made_once_by_racing_instances,
);

fn certificate(reference: &str, plan: &str) -> Certificate {
    let at = Utc::now();
    Certificate {
        iss: "http://127.0.0.1:8080".into(),
        request: reference.to_owned(),
        tenant: "acme".into(),
        kind: inzage::domain::RequestKind::Erasure,
        plan: plan.to_owned(),
        approver: CertifiedActor {
            id: "u-1".into(),
            email: "privacy@acme.example.nl".into(),
        },
        executor: "inzage job test".into(),
        issued_at: at,
        systems: vec![CertifiedSystem {
            name: "ledenadministratie".into(),
            tables: vec![
                CertifiedTable {
                    name: "members".into(),
                    action: TableAction::Delete,
                    rows: 3,
                    columns: vec![],
                    reason: None,
                    at,
                },
                CertifiedTable {
                    name: "invoices".into(),
                    action: TableAction::Keep,
                    rows: 2,
                    columns: vec![],
                    reason: Some("Invoices: 7 years (art. 52 AWR)".into()),
                    at,
                },
                CertifiedTable {
                    name: "profiles".into(),
                    action: TableAction::Mask,
                    rows: 1,
                    columns: vec!["phone".into(), "email".into()],
                    reason: None,
                    at,
                },
            ],
        }],
        recipients: vec![
            CertifiedRecipient {
                name: "Sportbond".into(),
                notified: true,
            },
            CertifiedRecipient {
                name: "Betaaldienst".into(),
                notified: false,
            },
        ],
    }
}

/// Issues a certificate for `reference` the way the execution job does: in a transaction
/// on the store, with the master secret the server installed.
pub async fn issue(app: &TestApp, reference: &str, plan: &str) -> String {
    let (reference, plan) = (reference.to_owned(), plan.to_owned());
    app.with_conn(move |conn| {
        let row = inzage::service::queries::request_by_reference(conn, &reference)
            .unwrap()
            .unwrap();
        inzage::store::write_tx(conn, |conn| {
            inzage::service::signing::issue_certificate(
                conn,
                &row.id,
                &certificate(&reference, &plan),
            )
        })
        .unwrap()
    })
    .await
}

/// Runs the binary against the test's store; (exit code, stdout, stderr).
async fn cli(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let env = test_env(&app.store, &[]);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_inzage"))
            .args(&args)
            .envs(env)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    let r = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    r.json().await.unwrap()
}

fn kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn certificate_jwks_has_the_current_key_and_rotation_keeps_the_old(backend: Backend) {
    let Some(app) = spawn_app(backend, "certificate jwks").await else {
        return;
    };
    let set = jwks(&app).await;
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{set}");
    let key = keys[0].as_object().unwrap();
    let mut names: Vec<&str> = key.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x"], "{set}");
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["x"].as_str().unwrap().len(), 43, "32 bytes, base64url");
    // the kid is the RFC 7638 thumbprint of the key
    let x = key["x"].as_str().unwrap();
    let public = inzage::service::jws::public_key(x).unwrap();
    assert_eq!(key["kid"], inzage::service::jws::thumbprint(&public));
    // the document describes exactly this shape (`use`, not a Rust field name)
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let jwk = &doc["components"]["schemas"]["Jwk"]["properties"];
    for name in ["alg", "crv", "kid", "kty", "use", "x"] {
        assert!(jwk.get(name).is_some(), "{name}: {jwk}");
    }
    // the key is made once, not on every call
    assert_eq!(kids(&jwks(&app).await), kids(&set));
    let first = kids(&set).remove(0);

    let (code, out, err) = cli(&app, &["keys", "rotate"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&first) && out.contains("retired"), "{out}");
    let after = kids(&jwks(&app).await);
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.contains(&first), "the retired key stays published");
    let (code, out, _) = cli(&app, &["keys", "list"]).await;
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(out.matches("current").count(), 1, "{out}");
    assert!(!out.contains(x), "the list shows kids, not keys");
}

async fn certificate_verifies_with_the_cli_against_the_served_keys(backend: Backend) {
    let Some(app) = spawn_app(backend, "certificate verify").await else {
        return;
    };
    app.tenant("acme").await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let filed = app.file_as(&acme.token, Some("acme"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let signed = issue(&app, &reference, "plan-1").await;
    assert_eq!(signed.split('.').count(), 3, "{signed}");

    let r = app
        .client
        .get(app.url(&format!("/api/v1/requests/{reference}/certificate")))
        .bearer_auth(&acme.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/jose");
    let served = r.text().await.unwrap();
    assert_eq!(served, signed);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("certificate.jws");
    std::fs::write(&file, &served).unwrap();
    let file = file.to_string_lossy().into_owned();
    let jwks_url = app.url("/.well-known/jwks.json");
    let (code, out, err) = cli(&app, &["certificate", "verify", &file, "--jwks", &jwks_url]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&reference), "{out}");
    assert!(out.contains("tenant:    acme"), "{out}");
    assert!(out.contains("kind:      erasure"), "{out}");
    assert!(out.contains("members: delete 3 rows"), "{out}");
    assert!(
        out.contains("invoices: keep 2 rows (kept: Invoices: 7 years"),
        "{out}"
    );
    assert!(
        out.contains("profiles: mask 1 row (columns phone, email)"),
        "{out}"
    );
    // a key set file does the same; so do the store's own keys
    let set_file = dir.path().join("jwks.json");
    std::fs::write(&set_file, jwks(&app).await.to_string()).unwrap();
    let set_file = set_file.to_string_lossy().into_owned();
    let (code, _, err) = cli(&app, &["certificate", "verify", &file, "--jwks", &set_file]).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(&app, &["certificate", "verify", &file]).await;
    assert_eq!(code, 0, "{err}");

    // one byte changed, anywhere: exit 1 with why
    let bad = dir.path().join("bad.jws");
    for at in [10, served.len() / 2, served.len() - 3] {
        let mut bytes = served.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        std::fs::write(&bad, &bytes).unwrap();
        let (code, out, err) = cli(
            &app,
            &[
                "certificate",
                "verify",
                &bad.to_string_lossy(),
                "--jwks",
                &jwks_url,
            ],
        )
        .await;
        assert_eq!(code, 1, "byte {at}: {out}");
        assert!(err.contains("does NOT verify"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    std::fs::write(&bad, "not a certificate").unwrap();
    let (code, _, err) = cli(
        &app,
        &[
            "certificate",
            "verify",
            &bad.to_string_lossy(),
            "--jwks",
            &set_file,
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("malformed"), "{err}");
    // a key set without the certificate's key: unknown kid
    std::fs::write(&set_file, r#"{"keys":[]}"#).unwrap();
    let (code, _, err) = cli(&app, &["certificate", "verify", &file, "--jwks", &set_file]).await;
    assert_eq!(code, 1);
    assert!(err.contains("unknown key id"), "{err}");

    // after a rotation the old certificate still verifies; a new one names the new key
    let old_kid = inzage::service::jws::kid_of(&signed).unwrap();
    let (code, _, err) = cli(&app, &["keys", "rotate"]).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(&app, &["certificate", "verify", &file, "--jwks", &jwks_url]).await;
    assert_eq!(code, 0, "a retired key still verifies: {err}");
    let second = issue(&app, &reference, "plan-2").await;
    assert_ne!(inzage::service::jws::kid_of(&second).unwrap(), old_kid);
    let r = app
        .client
        .get(app.url(&format!("/api/v1/requests/{reference}/certificate")))
        .bearer_auth(&acme.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), second, "the latest certificate");
}

async fn certificate_routes_answer_404_403_and_audit_each_read(backend: Backend) {
    let Some(app) = spawn_app(backend, "certificate routes").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let beta = app.user(Role::Controller, Some("beta")).await;
    let support = app.user(Role::Support, None).await;
    let admin = app.user(Role::Admin, None).await;
    let with = app.file_as(&acme.token, Some("acme"), json!({})).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let without = app.file_as(&acme.token, Some("acme"), json!({})).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    issue(&app, &with, "plan-1").await;

    for route in ["certificate", "certificate.html"] {
        // none yet: 404 not_found, like a missing request
        let (s, v) = app
            .get(
                &format!("/api/v1/requests/{without}/{route}"),
                Some(&acme.token),
            )
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{v}"
        );
        // another tenant's controller: as for a request that does not exist
        let (s1, v1) = app
            .get(
                &format!("/api/v1/requests/{with}/{route}"),
                Some(&beta.token),
            )
            .await;
        let (s2, v2) = app
            .get(
                &format!("/api/v1/requests/DSR-2026-999999/{route}"),
                Some(&beta.token),
            )
            .await;
        assert_eq!((s1, s2), (404, 404));
        assert_eq!(v1, v2);
        // no token
        let (s, _) = app
            .get(&format!("/api/v1/requests/{with}/{route}"), None)
            .await;
        assert_eq!(s, 401);
        // support without a running grant
        let (s, v) = app
            .get(
                &format!("/api/v1/requests/{with}/{route}"),
                Some(&support.token),
            )
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (403, Some("grant_required")),
            "{v}"
        );
        let (s, _) = app
            .get(
                &format!("/api/v1/requests/{with}/{route}"),
                Some(&admin.token),
            )
            .await;
        assert_eq!(s, 200, "admin");
    }
    // with a grant, support reads it
    let (s, v) = app
        .post(
            "/api/v1/tenants/acme/grants",
            Some(&acme.token),
            &json!({"grantee": support.email, "hours": 1, "reason": "ticket 7: check the certificate"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let r = app
        .client
        .get(app.url(&format!("/api/v1/requests/{with}/certificate")))
        .bearer_auth(&support.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // the page, in Dutch by default and in English when asked
    let page = |lang: Option<&str>, accept: Option<&str>| {
        let mut url = app.url(&format!("/api/v1/requests/{with}/certificate.html"));
        if let Some(l) = lang {
            url.push_str(&format!("?lang={l}"));
        }
        let mut req = app.client.get(url).bearer_auth(&acme.token);
        if let Some(a) = accept {
            req = req.header("accept-language", a);
        }
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            r.text().await.unwrap()
        }
    };
    let nl = page(None, None).await;
    assert!(nl.contains("Verklaring van uitvoering"), "{nl}");
    assert!(nl.contains("<html lang=\"nl\""));
    assert!(nl.contains(&with));
    assert!(nl.contains("Tenant acme (acme)"), "{nl}");
    assert!(nl.contains("verwijderd"));
    assert!(nl.contains("Invoices: 7 years (art. 52 AWR)"));
    assert!(nl.contains("phone, email"));
    assert!(nl.contains("privacy@acme.example.nl"));
    assert!(nl.contains("Betaaldienst"));
    assert!(nl.contains("inzage certificate verify certificate.jws --jwks"));
    assert!(nl.contains("/.well-known/jwks.json"));
    assert!(!nl.contains("<script"), "no inline script");
    let en = page(Some("en"), None).await;
    assert!(en.contains("Certificate of execution"), "{en}");
    assert!(en.contains("<html lang=\"en\""));
    assert!(en.contains("deleted") && en.contains("kept (not erased)"));
    let en = page(None, Some("en-GB,en;q=0.9")).await;
    assert!(en.contains("Certificate of execution"));

    // every read is an audit entry of the tenant's trail
    let (s, trail) = app
        .get("/api/v1/tenants/acme/audit", Some(&acme.token))
        .await;
    assert_eq!(s, 200);
    let viewed: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "certificate_viewed")
        .collect();
    // admin twice, support once, acme's three pages
    assert!(viewed.len() >= 6, "{trail}");
    assert!(
        viewed
            .iter()
            .any(|e| e["grant"].is_string() && e["actor"]["email"] == support.email.as_str()),
        "support's read names its grant: {trail}"
    );
}

/// Instances that need the first key at once (each its own connection, as on one shared
/// PostgreSQL) end up with one key, and every one of them uses it. A rotation under another
/// master secret (the old one lost) warns and makes a key that the new secret opens.
async fn certificate_key_is_made_once_by_racing_instances(backend: Backend) {
    let Some(app) = spawn_app(backend, "certificate key race").await else {
        return;
    };
    let racers = 4;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(racers));
    let mut handles = Vec::new();
    for _ in 0..racers {
        let (db, barrier) = (app.state.db.clone(), barrier.clone());
        handles.push(std::thread::spawn(move || {
            let mut conn = db.conn().unwrap();
            barrier.wait();
            inzage::service::signing::ensure_key(&mut conn, crate::helpers::SECRET.as_bytes())
                .unwrap()
        }));
    }
    let made: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(made.iter().all(|k| k == &made[0]), "{made:?}");
    assert_eq!(kids_of_store(&app).await, vec![made[0].clone()]);

    let env = test_env(
        &app.store,
        &[(
            "INZAGE_SECRET_KEY",
            "another-secret-another-secret-0123456789",
        )],
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_inzage"))
            .args(["keys", "rotate"])
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("could not be opened"), "{err}");
    let after = kids(&jwks(&app).await);
    assert_eq!(after.len(), 2);
    assert!(after.contains(&made[0]), "the old key stays published");
}

async fn kids_of_store(app: &TestApp) -> Vec<String> {
    app.with_conn(|conn| {
        inzage::service::signing::keys(conn)
            .unwrap()
            .into_iter()
            .map(|k| k.kid)
            .collect()
    })
    .await
}
