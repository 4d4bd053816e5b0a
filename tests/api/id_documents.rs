//! ID copies only where a tenant's policy asks for one: the mailed upload link, the page with
//! the KopieID guidance, the upload (type by content, size, state), the audited staff view,
//! deletion in the transaction that records the check, and the 30-day retention.

use chrono::Duration;
use diesel::prelude::*;
use inzage::domain::{Language, Role};
use inzage::service::admin::{TenantInput, create_tenant};
use inzage::store::schema::{audit_log, file_chunks, id_documents, request_events, stored_files};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

crate::on_both_backends!(
    an_id_copy_is_uploaded_viewed_and_deleted_with_the_check,
    no_copy_where_the_policy_does_not_ask,
    closing_and_retention_delete_copies,
);

/// A small but real-looking PDF (the content decides the type, not the name).
const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
];
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn tenant(app: &TestApp, slug: &str, language: Language, id_document_required: bool) {
    let slug = slug.to_owned();
    app.with_conn(move |c| {
        create_tenant(
            c,
            TenantInput {
                slug: slug.clone(),
                name: format!("Tenant {slug}"),
                contact_email: format!("privacy@{slug}.example.nl"),
                language,
                datamap_path: None,
                id_document_required,
                sector: Default::default(),
            },
        )
        .unwrap();
    })
    .await;
}

async fn request_id(app: &TestApp, reference: &str) -> inzage::domain::RequestId {
    let r = reference.to_owned();
    app.with_conn(move |c| {
        inzage::store::requests::RequestRow::find_by_reference(c, &r)
            .unwrap()
            .unwrap()
            .id
    })
    .await
}

/// The payload of the last mail of a kind written for a request.
async fn last_mail(app: &TestApp, reference: &str, template: &str) -> Value {
    let id = request_id(app, reference).await;
    let template = template.to_owned();
    app.with_conn(move |c| {
        let rows = inzage::store::outbox::for_request(c, &id).unwrap();
        let row = rows
            .into_iter()
            .rev()
            .find(|r| r.template == template)
            .unwrap_or_else(|| panic!("no {template} mail"));
        serde_json::from_str(&row.payload).unwrap()
    })
    .await
}

async fn upload(
    app: &TestApp,
    path: &str,
    body: Vec<u8>,
    content_type: &str,
    accept: Option<&str>,
) -> (u16, String) {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

fn multipart(boundary: &str, filename: &str, declared_type: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{filename}\"\r\nContent-Type: {declared_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

async fn staff_get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn counts(app: &TestApp) -> (i64, i64) {
    app.with_conn(|c| {
        let files: i64 = stored_files::table
            .filter(stored_files::purpose.eq("id_document"))
            .count()
            .get_result(c)
            .unwrap();
        let chunks: i64 = file_chunks::table.count().get_result(c).unwrap();
        (files, chunks)
    })
    .await
}

fn files_on_disk(app: &TestApp) -> usize {
    std::fs::read_dir(app.store.dir.path().join("var/files"))
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn an_id_copy_is_uploaded_viewed_and_deleted_with_the_check(backend: Backend) {
    let Some(app) = spawn_app(backend, "id_copy_flow").await else {
        return;
    };
    tenant(&app, "strict", Language::Nl, true).await;
    tenant(&app, "other", Language::Nl, false).await;
    let support = app.user(Role::Support, None).await;
    let controller = app.user(Role::Controller, Some("strict")).await;
    let stranger = app.user(Role::Controller, Some("other")).await;
    let filed = app
        .file_as(&support.token, Some("strict"), json!({"language": "en"}))
        .await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/requests/{reference}/id_document");

    // Before anyone asks, there is nothing to see or upload.
    assert_eq!(staff_get(&app, &path, &support.token).await.status(), 404);

    let (s, v) = app
        .act(
            &support.token,
            &reference,
            "request_identity",
            json!({"note": "Please upload a masked copy of your passport.", "id_copy": true,
                   "reason": "The address you wrote from differs from the one we know."}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mail = last_mail(&app, &reference, "identity_request").await;
    assert_eq!(mail["id_copy"], true);
    let upload_url = mail["upload_url"].as_str().unwrap().to_owned();
    assert!(upload_url.contains(&path), "{upload_url}");
    assert_ne!(upload_url, mail["status_url"].as_str().unwrap());
    let link = app.local(&upload_url);
    let link_path = link.trim_start_matches(&app.address).to_owned();

    // The page: English (the request's language), the KopieID guidance and a form.
    let r = app
        .client
        .get(&link)
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let page = r.text().await.unwrap();
    // The page says why this copy is needed (the reason staff recorded).
    assert!(
        page.contains("The address you wrote from differs from the one we know."),
        "{page}"
    );
    for needle in [
        "<html lang=\"en\">",
        "KopieID",
        "citizen service number (BSN",
        "MRZ",
        "document number",
        "your photo",
        "enctype=\"multipart/form-data\"",
        "name=\"document\"",
        &reference,
    ] {
        assert!(page.contains(needle), "{needle} missing from the page");
    }
    // The same page in Dutch for a Dutch request is tested through the mail flow; here the
    // status token does not open it, nor another request's path.
    let status_token = app
        .mailed_status_path(&reference)
        .await
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    let (s, _) = upload(
        &app,
        &format!("{path}?token={status_token}"),
        PDF.to_vec(),
        "application/pdf",
        None,
    )
    .await;
    assert_eq!(s, 401, "a status token is not an upload token");

    // Wrong type (by content, whatever the name and header say), too large, empty.
    let (s, body) = upload(
        &app,
        &link_path,
        b"MZ\x90\x00 an exe".to_vec(),
        "application/pdf",
        None,
    )
    .await;
    assert_eq!(s, 422, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "validation_failed");
    assert!(v["error"]["fields"]["document"].is_string());
    let gif = multipart(
        "b0undary",
        "passport.pdf",
        "application/pdf",
        b"GIF89a\x01\x00",
    );
    let (s, _) = upload(
        &app,
        &link_path,
        gif,
        "multipart/form-data; boundary=b0undary",
        None,
    )
    .await;
    assert_eq!(s, 422);
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (s, body) = upload(&app, &link_path, big, "application/pdf", None).await;
    assert_eq!(s, 413, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["code"],
        "payload_too_large"
    );
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (s, body) = upload(
        &app,
        &link_path,
        multipart("b0undary", "big.pdf", "application/pdf", &big),
        "multipart/form-data; boundary=b0undary",
        None,
    )
    .await;
    assert_eq!(s, 413, "a form's file over 10 MiB: {body}");
    let (s, _) = upload(
        &app,
        &link_path,
        b"--b0undary\r\nno headers".to_vec(),
        "multipart/form-data; boundary=b0undary",
        None,
    )
    .await;
    assert_eq!(s, 400, "a form that is not well formed");
    let (s, _) = upload(&app, &link_path, Vec::new(), "application/pdf", None).await;
    assert_eq!(s, 422);
    assert_eq!(
        counts(&app).await.0,
        0,
        "nothing stored for refused uploads"
    );

    // A raw PDF body: stored, encrypted.
    let (s, body) = upload(
        &app,
        &link_path,
        PDF.to_vec(),
        "application/octet-stream",
        None,
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "received");
    assert_eq!(v["content_type"], "application/pdf");
    assert_eq!(v["size_bytes"], PDF.len());
    assert_eq!(counts(&app).await.0, 1);
    if backend == Backend::Sqlite {
        let dir = app.store.dir.path().join("var/files");
        for f in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(f.unwrap().path()).unwrap();
            assert!(
                !bytes.windows(8).any(|w| w == b"%PDF-1.7"),
                "stored in clear"
            );
        }
    }

    // Then the form's multipart upload (a browser): the page says thank you, and the new copy
    // replaces the first.
    let form = multipart("----formboundary42", "scan.png", "image/png", PNG);
    let (s, page) = upload(
        &app,
        &link_path,
        form,
        "multipart/form-data; boundary=----formboundary42",
        Some(BROWSER),
    )
    .await;
    assert_eq!(s, 200);
    assert!(page.contains("We have received the copy"), "{page}");
    assert_eq!(counts(&app).await.0, 1, "the earlier copy is replaced");

    // Staff view it: support only under the controller's access grant, the tenant's controller;
    // another tenant's controller gets 404.
    let r = staff_get(&app, &path, &support.token).await;
    assert_eq!(
        r.status(),
        403,
        "an ID copy is tenant data: a grant is needed"
    );
    let (s, g) = app
        .post(
            "/api/v1/tenants/strict/grants",
            Some(&controller.token),
            &json!({"grantee": support.email, "hours": 1, "reason": "check the ID copy"}),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    let r = staff_get(&app, &path, &support.token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let r = staff_get(&app, &path, &controller.token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let r = staff_get(&app, &path, &stranger.token).await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    assert_eq!(staff_get(&app, &path, "not-a-token").await.status(), 401);

    // Every view is in the audit log and on the request, naming who looked.
    let id = request_id(&app, &reference).await;
    let rid = id.clone();
    let (audits, viewed): (Vec<String>, i64) = app
        .with_conn(move |c| {
            let audits = audit_log::table
                .filter(audit_log::request_id.eq(&rid))
                .filter(audit_log::action.eq("id_document_viewed"))
                .select(audit_log::actor_label)
                .load(c)
                .unwrap();
            let viewed = request_events::table
                .filter(request_events::request_id.eq(&rid))
                .filter(request_events::kind.eq("id_document_viewed"))
                .count()
                .get_result(c)
                .unwrap();
            (audits, viewed)
        })
        .await;
    assert_eq!(
        audits,
        vec![support.email.clone(), controller.email.clone()]
    );
    assert_eq!(viewed, 2);

    // The check is recorded: the copy is gone in the same transaction; only who, when and how remain.
    let method = "compared the masked passport copy with the name on file";
    let (s, v) = app
        .act(
            &controller.token,
            &reference,
            "identity_confirmed",
            json!({"method": method}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["identity"]["checked_by"], controller.email.as_str());
    assert_eq!(v["identity"]["method"], method);
    assert!(v["identity"]["checked_at"].is_string());
    assert_eq!(counts(&app).await, (0, 0));
    if backend == Backend::Sqlite {
        assert_eq!(files_on_disk(&app), 0, "the bytes are removed");
    }
    let rid = id.clone();
    let rows: Vec<(Option<String>, String, i64, bool)> = app
        .with_conn(move |c| {
            id_documents::table
                .filter(id_documents::request_id.eq(&rid))
                .select((
                    id_documents::file_id,
                    id_documents::content_type,
                    id_documents::size_bytes,
                    id_documents::deleted_at.is_not_null(),
                ))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row, (None, String::new(), 0, true));
    }
    let kinds: Vec<String> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"id_document_uploaded".to_owned()));
    assert!(kinds.contains(&"id_document_deleted".to_owned()));
    let reasons: Vec<String> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "id_document_deleted")
        .map(|e| e["data"]["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(reasons, ["replaced", "identity_checked"]);

    // Nothing to view any more, and no more uploads: 409, the page says no copy is needed.
    assert_eq!(staff_get(&app, &path, &support.token).await.status(), 404);
    let (s, body) = upload(&app, &link_path, PDF.to_vec(), "application/pdf", None).await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["code"],
        "id_document_not_expected"
    );
    let r = app
        .client
        .get(&link)
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("No copy of an identity document is needed")
    );
}

async fn no_copy_where_the_policy_does_not_ask(backend: Backend) {
    let Some(app) = spawn_app(backend, "id_copy_not_asked").await else {
        return;
    };
    tenant(&app, "relaxed", Language::Nl, false).await;
    let support = app.user(Role::Support, None).await;
    let filed = app
        .file_as(&support.token, Some("relaxed"), json!({}))
        .await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let (s, _) = app
        .act(
            &support.token,
            &reference,
            "request_identity",
            json!({"note": "Please reply from the address you gave us."}),
        )
        .await;
    assert_eq!(s, 200);
    let mail = last_mail(&app, &reference, "identity_request").await;
    assert_eq!(mail["id_copy"], false);
    assert!(mail["upload_url"].is_null());

    // Even with a valid upload token the service takes no copy: the policy does not ask one.
    let id = request_id(&app, &reference).await;
    let (token, _) = app
        .state
        .tokens
        .issue_link(
            inzage::auth::token::Purpose::IdDocument,
            id.as_str(),
            chrono::Utc::now(),
            Duration::days(30),
        )
        .unwrap();
    let path = format!("/api/v1/requests/{reference}/id_document?token={token}");
    let (s, _) = upload(&app, &path, PDF.to_vec(), "application/pdf", None).await;
    assert_eq!(s, 409);
    let r = app
        .client
        .get(app.url(&path))
        .header("accept", BROWSER)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"nl\">"),
        "the request's language"
    );
    assert!(page.contains("geen kopie"), "{page}");
    // The token opens only its own request; a broken or missing one is a clear page, not a 500.
    let other = app
        .file_as(&support.token, Some("relaxed"), json!({}))
        .await;
    let wrong = format!(
        "/api/v1/requests/{}/id_document?token={token}",
        other["reference"].as_str().unwrap()
    );
    assert_eq!(
        upload(&app, &wrong, PDF.to_vec(), "application/pdf", None)
            .await
            .0,
        404
    );
    for (path, status) in [
        (
            format!("/api/v1/requests/{reference}/id_document?token=garbage"),
            401,
        ),
        (format!("/api/v1/requests/{reference}/id_document"), 401),
        (
            "/api/v1/requests/not-a-reference/id_document?token=x".to_owned(),
            401,
        ),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .header("accept", BROWSER)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert!(r.text().await.unwrap().contains("Deze link klopt niet"));
    }
    assert_eq!(counts(&app).await.0, 0);
}

async fn closing_and_retention_delete_copies(backend: Backend) {
    let Some(app) = spawn_app(backend, "id_copy_retention").await else {
        return;
    };
    tenant(&app, "strict", Language::Nl, true).await;
    let support = app.user(Role::Support, None).await;
    let mut links = Vec::new();
    for _ in 0..3 {
        let filed = app.file_as(&support.token, Some("strict"), json!({})).await;
        let reference = filed["reference"].as_str().unwrap().to_owned();
        app.act(
            &support.token,
            &reference,
            "request_identity",
            json!({"note": "Upload a masked copy, please.", "id_copy": true, "reason": "No other means."}),
        )
        .await;
        let mail = last_mail(&app, &reference, "identity_request").await;
        let link = app.local(mail["upload_url"].as_str().unwrap());
        let link = link.trim_start_matches(&app.address).to_owned();
        let (s, body) = upload(&app, &link, PDF.to_vec(), "application/pdf", None).await;
        assert_eq!(s, 201, "{body}");
        links.push(reference);
    }
    assert_eq!(counts(&app).await.0, 3);

    // Closing the request (here: withdrawn) deletes its copy in the same transaction.
    let (s, _) = app
        .act(&support.token, &links[0], "withdraw", json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(counts(&app).await.0, 2);

    // A copy uploaded 31 days ago goes, whatever its request's state; a younger one stays.
    let old = request_id(&app, &links[1]).await;
    app.with_conn(move |c| {
        diesel::update(id_documents::table.filter(id_documents::request_id.eq(&old)))
            .set(id_documents::uploaded_at.eq(inzage::store::now() - Duration::days(31)))
            .execute(c)
            .unwrap();
    })
    .await;
    // A stray ID copy file (an upload that died before it was recorded), two hours old.
    let files = app.state.files.clone();
    let stray = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut w = files
            .create(inzage::store::files::FilePurpose::IdDocument)
            .unwrap();
        w.write_all(PDF).unwrap();
        w.finish().unwrap().id
    })
    .await
    .unwrap();
    let s = stray.clone();
    app.with_conn(move |c| {
        diesel::update(stored_files::table.find(&s))
            .set(stored_files::created_at.eq(inzage::store::now() - Duration::hours(2)))
            .execute(c)
            .unwrap();
    })
    .await;
    assert_eq!(counts(&app).await.0, 3);

    let state = app.state.clone();
    let report = tokio::task::spawn_blocking(move || {
        inzage::jobs::retention::id_documents(&state, chrono::Utc::now()).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(report.expired, 1, "{report:?}");
    assert_eq!(report.stray_files, 1, "{report:?}");
    assert_eq!(counts(&app).await.0, 1, "only the young copy stays");
    if backend == Backend::Sqlite {
        assert_eq!(files_on_disk(&app), 1);
    }
    let (s, v) = app
        .get(
            &format!("/api/v1/requests/{}", links[1]),
            Some(&support.token),
        )
        .await;
    assert_eq!(s, 200);
    let deleted = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "id_document_deleted")
        .unwrap();
    assert_eq!(deleted["data"]["reason"], "retention");
    assert_eq!(deleted["actor"], "inzage");
    assert_eq!(
        v["identity"]["pending"], true,
        "the question itself stays open"
    );

    // Running it again finds nothing more.
    let state = app.state.clone();
    let report = tokio::task::spawn_blocking(move || {
        inzage::jobs::retention::id_documents(&state, chrono::Utc::now()).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(report, Default::default());
}
