//! Bundles over HTTP against the real server: compile as a job, poll, download by the signed
//! link (an event on the request), who may and may not, a tenant database that is down
//! (failed, then retried), retention, and `inzage export`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::{Connection, RunQueryDsl, SqliteConnection, connection::SimpleConnection};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app, test_env};
use inzage::domain::{Language, Role};
use inzage::service::admin::TenantInput;

crate::on_both_backends!(
    a_bundle_is_compiled_polled_and_downloaded,
    only_those_who_may_reach_the_data_get_a_bundle,
    a_tenant_database_that_is_down_fails_then_is_retried,
    bundles_past_retention_are_removed,
    the_export_command_writes_the_same_bundle,
    identifiers_staff_add_are_used_by_the_bundle,
);

/// A small tenant database (SQLite) with two subjects whose addresses look alike.
pub(crate) fn tenant_db(dir: &Path) -> PathBuf {
    let path = dir.join("shop.db");
    let mut c = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    c.batch_execute(
        "CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL, password_hash TEXT);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id), total NUMERIC, note TEXT);
         INSERT INTO members VALUES (1, ' Anna@Example.NL ', 'Anna de Vries', 'argon2-secret'),
                                    (2, 'hanna@example.nl', 'Hanna Smit', 'argon2-other');
         INSERT INTO orders VALUES (10, 1, 12.5, 'eerste, \"gewone\" bestelling'), (11, 1, 0.1, '=HYPERLINK(''http://evil.example'')'), (12, 2, 99, 'niet van Anna');",
    )
    .unwrap();
    path
}

pub(crate) fn datamap(dir: &Path, db: &Path, slug: &str) -> PathBuf {
    let path = dir.join(format!("{slug}.toml"));
    std::fs::write(
        &path,
        format!(
            r#"tenant = "{slug}"

[[systems]]
name = "shop"
url = "sqlite://{}"
description = "Webshop"

[[systems.tables]]
name = "members"
primary_key = "id"
identity = {{ email = "email" }}
exclude = ["password_hash"]
category = "Contact details"
purposes = ["Membership administration"]
retention = "Two years after membership ends"
source = "The subject"

[[systems.tables]]
name = "orders"
primary_key = "id"
follows = [{{ column = "member_id", table = "members", references = "id" }}]
category = "Orders"
purposes = ["Delivering orders"]
recipients = ["PostNL (delivery)"]
"#,
            db.display()
        ),
    )
    .unwrap();
    path
}

/// A tenant whose data map points at `db`.
pub(crate) async fn tenant_with_map(app: &TestApp, slug: &str, map: &Path) {
    app.create_tenant(TenantInput {
        slug: slug.to_owned(),
        name: format!("Tenant {slug}"),
        contact_email: format!("privacy@{slug}.example.nl"),
        language: Language::Nl,
        datamap_path: Some(map.display().to_string()),
        id_document_required: false,
        sector: Default::default(),
    })
    .await;
}

/// Files a request for Anna as support and assigns it to `tenant`.
async fn anna_request(app: &TestApp, support: &str, tenant: &str) -> String {
    let filed = app
        .file_as(
            support,
            Some(tenant),
            json!({"subject": {"name": "Anna de Vries", "email": "anna@example.nl"}}),
        )
        .await;
    filed["reference"].as_str().unwrap().to_owned()
}

/// Asks for the request's bundle (`POST …/bundle`).
pub(crate) async fn ask_bundle(app: &TestApp, token: &str, reference: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/requests/{reference}/bundle"),
        Some(token),
        &json!({}),
    )
    .await
}

/// Polls the bundle until it is no longer queued or running.
pub(crate) async fn wait_bundle(app: &TestApp, token: &str, reference: &str) -> Value {
    for _ in 0..200 {
        let (s, v) = app
            .get(&format!("/api/v1/requests/{reference}/bundle"), Some(token))
            .await;
        assert_eq!(s, 200, "{v}");
        if !matches!(v["status"].as_str(), Some("queued" | "running")) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the bundle did not finish");
}

/// Follows a download link, with a staff token (the link alone opens nothing).
async fn download(app: &TestApp, link: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = app.client.get(app.local(link));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

/// The entry `name` of a zip.
pub(crate) fn entry(zip: &[u8], name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut f = archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the zip"));
    let mut out = Vec::new();
    f.read_to_end(&mut out).unwrap();
    out
}

fn event_kinds(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_bundle_is_compiled_polled_and_downloaded(backend: Backend) {
    let Some(app) = spawn_app(backend, "bundle_flow").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let map = datamap(dir.path(), &tenant_db(dir.path()), "shop");
    tenant_with_map(&app, "shop", &map).await;
    let support = app.user(Role::Support, None).await;
    let controller = app.user(Role::Controller, Some("shop")).await;
    let r = anna_request(&app, &support.token, "shop").await;

    let (s, v) = ask_bundle(&app, &controller.token, &r).await;
    assert_eq!(s, 202, "{v}");
    assert!(
        matches!(v["status"].as_str(), Some("queued" | "running")),
        "{v}"
    );
    // asking again while it runs answers the same bundle
    let (s, _) = ask_bundle(&app, &controller.token, &r).await;
    assert_eq!(s, 202);

    let v = wait_bundle(&app, &controller.token, &r).await;
    assert_eq!(v["status"], "ready", "{v}");
    assert_eq!(v["progress"]["tables_done"], 2);
    assert_eq!(v["progress"]["tables_total"], 2);
    assert_eq!(v["progress"]["rows"], 3);
    let link = v["download_url"].as_str().unwrap();
    assert!(v["expires_at"].is_string());

    // a forwarded link alone opens nothing: it needs the session of the user it was issued to
    let (s, _) = download(&app, link, None).await;
    assert_eq!(s, 401);
    let (s, _) = download(&app, link, Some(&support.token)).await;
    assert_eq!(s, 403, "another user's token does not open it either");
    let (s, zip) = download(&app, link, Some(&controller.token)).await;
    assert_eq!(s, 200);
    assert_eq!(v["size_bytes"], zip.len() as u64);
    let members: Vec<Value> =
        serde_json::from_slice(&entry(&zip, "data/shop/members.json")).unwrap();
    assert_eq!(members.len(), 1, "only Anna, not Hanna: {members:?}");
    assert_eq!(members[0]["name"], "Anna de Vries");
    assert!(
        members[0].get("password_hash").is_none(),
        "an excluded column never appears"
    );
    let orders: Vec<Value> = serde_json::from_slice(&entry(&zip, "data/shop/orders.json")).unwrap();
    assert_eq!(
        orders
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [10, 11]
    );
    let csv = String::from_utf8(entry(&zip, "data/shop/orders.csv")).unwrap();
    assert!(csv.starts_with("id,member_id,total,note\n"), "{csv}");
    assert!(
        csv.contains("\"eerste, \"\"gewone\"\" bestelling\""),
        "{csv}"
    );
    // a cell a spreadsheet would run as a formula is neutralised; the JSON keeps it exact
    assert!(
        csv.contains("11,1,0.1,'=HYPERLINK('http://evil.example')\n"),
        "{csv}"
    );
    assert_eq!(orders[1]["note"], "=HYPERLINK('http://evil.example')");
    let manifest: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    assert_eq!(manifest["request"]["reference"], r.as_str());
    assert_eq!(manifest["controller"]["slug"], "shop");
    assert_eq!(manifest["totals"]["rows"], 3);
    assert_eq!(
        manifest["systems"][0]["tables"][1]["recipients"],
        json!(["PostNL (delivery)"])
    );
    let leesmij = String::from_utf8(entry(&zip, "LEESMIJ.html")).unwrap();
    assert!(leesmij.contains("Autoriteit Persoonsgegevens"));
    assert!(leesmij.contains("Webshop"));

    // the download is on the request's history, with who downloaded it
    let (_, d) = app
        .get(&format!("/api/v1/requests/{r}"), Some(&support.token))
        .await;
    let kinds = event_kinds(&d);
    for k in ["bundle_requested", "bundle_ready", "bundle_downloaded"] {
        assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
    }
    let downloaded = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "bundle_downloaded")
        .unwrap();
    assert_eq!(
        downloaded["actor"],
        controller.email.as_str(),
        "{downloaded}"
    );

    // a link that was tampered with or is of another purpose opens nothing
    let (s, _) = download(&app, &format!("{link}x"), Some(&controller.token)).await;
    assert_eq!(s, 401);
    let (s, _) = download(
        &app,
        "http://x/api/v1/bundles/download?token=",
        Some(&controller.token),
    )
    .await;
    assert_eq!(s, 422);
}

async fn only_those_who_may_reach_the_data_get_a_bundle(backend: Backend) {
    let Some(app) = spawn_app(backend, "bundle_access").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let map = datamap(dir.path(), &tenant_db(dir.path()), "shop");
    tenant_with_map(&app, "shop", &map).await;
    app.tenant("other").await;
    let support = app.user(Role::Support, None).await;
    let admin = app.user(Role::Admin, None).await;
    let stranger = app.user(Role::Controller, Some("other")).await;
    let r = anna_request(&app, &support.token, "shop").await;
    let path = format!("/api/v1/requests/{r}/bundle");

    // support reaches tenant data only through the controller's access grant
    let (s, v) = app.post(&path, Some(&support.token), &json!({})).await;
    assert_eq!(s, 403, "{v}");
    // another tenant's controller does not learn the request exists
    let (s, _) = app.post(&path, Some(&stranger.token), &json!({})).await;
    assert_eq!(s, 404);
    let (s, _) = app.get(&path, Some(&stranger.token)).await;
    assert_eq!(s, 404);
    // nobody signed in
    let (s, _) = app.post(&path, None, &json!({})).await;
    assert_eq!(s, 401);
    // no bundle yet
    let (s, _) = app.get(&path, Some(&admin.token)).await;
    assert_eq!(s, 404);

    // not while identity information is awaited (art. 12(6))
    let (s, v) = app
        .act(
            &admin.token,
            &r,
            "request_identity",
            json!({"note": "a copy of a recent invoice"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.post(&path, Some(&admin.token), &json!({})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("bundle_not_allowed")),
        "{v}"
    );
    let (s, _) = app
        .act(
            &admin.token,
            &r,
            "identity_confirmed",
            json!({"method": "invoice number matched"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = app.post(&path, Some(&admin.token), &json!({})).await;
    assert_eq!(s, 202, "{v}");

    // not for a public intake before the e-mail address is confirmed
    let public = app.file(Some("shop"), "anna@example.nl").await;
    let p = public["reference"].as_str().unwrap();
    let (s, v) = ask_bundle(&app, &admin.token, p).await;
    assert_eq!(s, 409, "{v}");

    // not for a tenant without a data map, nor for an unassigned request
    let other = anna_request(&app, &support.token, "other").await;
    let (s, v) = ask_bundle(&app, &admin.token, &other).await;
    assert_eq!(s, 409, "{v}");
    let unassigned = app.file_as(&support.token, None, json!({})).await;
    let u = unassigned["reference"].as_str().unwrap();
    let (s, v) = ask_bundle(&app, &admin.token, u).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("no_tenant")),
        "{v}"
    );

    // a download link issued to the admin is refused once the admin is disabled
    let v = wait_bundle(&app, &admin.token, &r).await;
    let link = v["download_url"].as_str().unwrap().to_owned();
    let id = admin.email.clone();
    app.with_conn(move |c| {
        diesel::sql_query("UPDATE users SET disabled = TRUE WHERE email = $1")
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)
            .unwrap();
    })
    .await;
    let (s, _) = download(&app, &link, Some(&admin.token)).await;
    assert_eq!(s, 401);
}

async fn a_tenant_database_that_is_down_fails_then_is_retried(backend: Backend) {
    let Some(app) = spawn_app(backend, "bundle_retry").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let later = dir.path().join("later");
    std::fs::create_dir_all(&later).unwrap();
    // the data map points at a database that is not there (yet)
    let missing = later.join("shop.db");
    let map = datamap(dir.path(), &missing, "shop");
    tenant_with_map(&app, "shop", &map).await;
    let admin = app.user(Role::Admin, None).await;
    let r = anna_request(&app, &admin.token, "shop").await;
    let (s, _) = ask_bundle(&app, &admin.token, &r).await;
    assert_eq!(s, 202);
    let v = wait_bundle(&app, &admin.token, &r).await;
    assert_eq!(v["status"], "failed", "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("shop"),
        "the error names the system: {error}"
    );
    assert!(
        !error.contains("anna"),
        "no personal data in the error: {error}"
    );
    // the job keeps the whole chain of causes, outermost first (recorded just after the
    // bundle's own failure)
    let mut last_error = Value::Null;
    for _ in 0..100 {
        let (_, jobs) = app.get("/api/v1/jobs", Some(&admin.token)).await;
        last_error = jobs
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["kind"] == "bundle")
            .map(|j| j["last_error"].clone())
            .unwrap_or_default();
        if last_error.is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let last_error = last_error.as_str().unwrap_or_default();
    assert!(
        last_error.starts_with("bundle: system shop: cannot connect"),
        "{last_error}"
    );
    assert!(!last_error.contains("anna"), "{last_error}");
    let v = wait_bundle(&app, &admin.token, &r).await;
    assert!(v["retry_at"].is_string(), "it will be tried again: {v}");
    assert_eq!(v["attempts"], 1);

    // the database comes up; the retry (brought forward) succeeds
    std::fs::rename(tenant_db(dir.path()), &missing).unwrap();
    app.with_conn(|c| {
        diesel::sql_query("UPDATE jobs SET run_after = created_at WHERE kind = 'bundle'")
            .execute(c)
            .unwrap();
    })
    .await;
    let mut v = Value::Null;
    for _ in 0..100 {
        v = wait_bundle(&app, &admin.token, &r).await;
        if v["status"] == "ready" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(v["status"], "ready", "{v}");
    assert_eq!(v["attempts"], 2);
    assert!(v.get("error").is_none(), "{v}");
}

async fn bundles_past_retention_are_removed(backend: Backend) {
    let Some(app) = spawn_app(backend, "bundle_retention").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let map = datamap(dir.path(), &tenant_db(dir.path()), "shop");
    tenant_with_map(&app, "shop", &map).await;
    let admin = app.user(Role::Admin, None).await;
    let r = anna_request(&app, &admin.token, "shop").await;
    ask_bundle(&app, &admin.token, &r).await;
    let v = wait_bundle(&app, &admin.token, &r).await;
    let link = v["download_url"].as_str().unwrap().to_owned();

    app.with_conn(|c| {
        diesel::sql_query("UPDATE bundles SET expires_at = created_at")
            .execute(c)
            .unwrap();
    })
    .await;
    // a link to a bundle past its retention opens nothing, even before the file is gone
    let (s, _) = download(&app, &link, Some(&admin.token)).await;
    assert_eq!(s, 410);
    let st = app.state.clone();
    let removed = tokio::task::spawn_blocking(move || inzage::jobs::bundle::expire(&st).unwrap())
        .await
        .unwrap();
    assert_eq!(removed, 1);
    let (_, v) = app
        .get(&format!("/api/v1/requests/{r}/bundle"), Some(&admin.token))
        .await;
    assert_eq!(v["status"], "expired");
    assert!(v.get("download_url").is_none());
    let files: i64 = app
        .with_conn(|c| {
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::sql_query("SELECT COUNT(*) AS n FROM stored_files")
                .get_result::<N>(c)
                .unwrap()
                .n
        })
        .await;
    assert_eq!(files, 0, "the encrypted file is deleted");
}

async fn the_export_command_writes_the_same_bundle(backend: Backend) {
    let Some(app) = spawn_app(backend, "bundle_export").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let map = datamap(dir.path(), &tenant_db(dir.path()), "shop");
    tenant_with_map(&app, "shop", &map).await;
    let admin = app.user(Role::Admin, None).await;
    let r = anna_request(&app, &admin.token, "shop").await;
    let out = dir.path().join("anna.zip");
    let env = test_env(&app.store, &[]);
    let run = |args: Vec<String>| {
        let env = env.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_inzage"))
                    .args(&args)
                    .envs(env)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let o = run(vec![
        "export".into(),
        "--request".into(),
        r.clone(),
        "--out".into(),
        out.display().to_string(),
    ])
    .await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("3 rows"));
    let zip = std::fs::read(&out).unwrap();
    let members: Vec<Value> =
        serde_json::from_slice(&entry(&zip, "data/shop/members.json")).unwrap();
    assert_eq!(members.len(), 1);
    assert!(!dir.path().join("anna.zip.partial").exists());
    let (_, d) = app
        .get(&format!("/api/v1/requests/{r}"), Some(&admin.token))
        .await;
    assert!(event_kinds(&d).contains(&"bundle_exported".to_owned()));

    // bad input: exit 2
    let o = run(vec![
        "export".into(),
        "--request".into(),
        "DSR-2026-999999".into(),
        "--out".into(),
        out.display().to_string(),
    ])
    .await;
    assert_eq!(o.status.code(), Some(2));
    let o = run(vec![
        "export".into(),
        "--request".into(),
        "nonsense".into(),
        "--out".into(),
        out.display().to_string(),
    ])
    .await;
    assert_eq!(o.status.code(), Some(2));
}

async fn identifiers_staff_add_are_used_by_the_bundle(backend: Backend) {
    let Some(app) = spawn_app(backend, "bundle_identities").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("calls.db");
    let mut c = SqliteConnection::establish(&db.to_string_lossy()).unwrap();
    c.batch_execute(
        "CREATE TABLE calls (id INTEGER PRIMARY KEY, phone TEXT NOT NULL, minutes INTEGER);
         INSERT INTO calls VALUES (1, '+31 6 11111111', 3), (2, '+31 6 22222222', 9), (3, ' +31 6 11111111 ', 4);",
    )
    .unwrap();
    let map = dir.path().join("calls.toml");
    std::fs::write(
        &map,
        format!(
            "tenant = \"calls\"\n[[systems]]\nname = \"pbx\"\nurl = \"sqlite://{}\"\ndescription = \"Telephone exchange\"\n\
             [[systems.tables]]\nname = \"calls\"\nprimary_key = \"id\"\nidentity = {{ phone = \"phone\" }}\n",
            db.display()
        ),
    )
    .unwrap();
    tenant_with_map(&app, "calls", &map).await;
    app.tenant("other").await;
    let support = app.user(Role::Support, None).await;
    let admin = app.user(Role::Admin, None).await;
    let stranger = app.user(Role::Controller, Some("other")).await;
    let r = anna_request(&app, &support.token, "calls").await;
    let path = format!("/api/v1/requests/{r}/identities");

    // validation, isolation
    let (s, v) = app
        .post(
            &path,
            Some(&support.token),
            &json!({"kind": "phone", "value": "call me"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"]["fields"]["value"].is_string());
    let (s, _) = app
        .post(
            &path,
            Some(&support.token),
            &json!({"kind": "shoe_size", "value": "42"}),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = app
        .post(
            &path,
            Some(&stranger.token),
            &json!({"kind": "phone", "value": "+31 6 11111111"}),
        )
        .await;
    assert_eq!(
        s, 404,
        "another tenant's controller does not learn the request exists"
    );

    // an identifier widens the bundle: support adds one only under the controller's grant
    let (s, v) = app
        .post(
            &path,
            Some(&support.token),
            &json!({"kind": "phone", "value": "+31 6 11111111"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("grant_required"))
    );
    let controller = app.user(Role::Controller, Some("calls")).await;
    let (s, v) = app
        .post(
            "/api/v1/tenants/calls/grants",
            Some(&controller.token),
            &json!({"grantee": support.email, "hours": 2, "reason": "subject called about a phone number"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    // without the phone number the bundle finds nothing in the phone-rooted table
    ask_bundle(&app, &admin.token, &r).await;
    let v = wait_bundle(&app, &admin.token, &r).await;
    assert_eq!(v["progress"]["rows"], 0, "{v}");

    let (s, added) = app
        .post(
            &path,
            Some(&support.token),
            &json!({"kind": "phone", "value": " +31 6 11111111 "}),
        )
        .await;
    assert_eq!(s, 201, "{added}");
    assert_eq!(added["value"], "+31 6 11111111");
    let (s, v) = app
        .post(
            &path,
            Some(&support.token),
            &json!({"kind": "phone", "value": "+31 6 11111111"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("identity_exists"))
    );
    let (_, d) = app
        .get(&format!("/api/v1/requests/{r}"), Some(&support.token))
        .await;
    assert_eq!(d["identities"][0]["kind"], "phone");
    assert!(event_kinds(&d).contains(&"identity_added".to_owned()));

    ask_bundle(&app, &admin.token, &r).await;
    let v = wait_bundle(&app, &admin.token, &r).await;
    assert_eq!(v["status"], "ready", "{v}");
    assert_eq!(
        v["progress"]["rows"], 2,
        "both of Anna's calls, not the other number's: {v}"
    );
    let (_, zip) = download(
        &app,
        v["download_url"].as_str().unwrap(),
        Some(&admin.token),
    )
    .await;
    let manifest: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    assert_eq!(manifest["identities"]["phone"], json!(["+31 6 11111111"]));

    // removed again
    let id = added["id"].as_str().unwrap();
    let r2 = app
        .client
        .delete(app.url(&format!("{path}/{id}")))
        .bearer_auth(&support.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r2.status(), 204);
    let (_, v) = app.get(&path, Some(&support.token)).await;
    assert_eq!(v["items"], json!([]));
}
