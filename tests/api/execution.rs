//! Carrying out erasure, rectification and restriction over HTTP against real tenant
//! databases — SQLite, PostgreSQL and MariaDB — with the fixture's several subjects: the plan
//! counted by a rolled-back dry run, the controller's approval, the job, exactly the subject's
//! rows changed (look-alikes untouched byte for byte), `keep` tables named with their reason,
//! a failure half-way rolled back and retried, art. 18(3) and art. 19 mails.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::tenant_dbs::{ANNA_NAME, TenantBackend, TenantDb, fixture_map_toml_with, fixture_sql};
use inzage::domain::{Language, Role};
use inzage::service::admin::TenantInput;
use inzage::tenant_data::connector::TenantConnection;
use inzage::tenant_data::exec_sql::{NO_RULE_REASON, REDACTED};
use inzage::tenant_data::{
    DataMap, ExportOptions, RowSink, SubjectIdentities, SystemMap, TableMap, export_subject_with,
};

// Each with a SQLite store against each tenant backend.
crate::on_tenant_backends!(
    async:
    erasure_changes_exactly_the_subjects_rows_as_planned,
    a_cascade_is_left_to_the_database_and_counted,
    a_failure_half_way_leaves_the_system_as_it_was_and_the_retry_completes,
    rectification_changes_only_the_listed_columns_of_the_subjects_rows,
    restriction_is_set_and_lifted_after_the_subject_is_told,
);

const KEEP_REASON: &str = "Membership register: kept 7 years (art. 52 AWR)";
const SPORTBOND: &str = "privacy@sportbond.example";

/// The fixture's map with what erasure, rectification and restriction do.
fn exec_map_toml(slug: &str, systems: &[(&str, &str)], restriction: bool) -> String {
    fixture_map_toml_with(slug, systems, |table| match table {
        "people" => format!(
            "exclude = [\"password_hash\"]\n\
             recipients = [\"Payment provider\"]\n\
             on_erasure = {{ mask = {{ email = \"hash\", phone = \"null\", name = \"redact\", note = \"null\" }} }}\n\
             rectifiable = [\"name\", \"nickname\"]\n{}",
            if restriction {
                "restriction = { column = \"restricted\", value = true }\n"
            } else {
                ""
            }
        ),
        "memberships" => format!("on_erasure = \"keep\"\nkeep_reason = \"{KEEP_REASON}\"\n"),
        "teams" => String::new(),
        "orders" => format!(
            "on_erasure = \"delete\"\nrecipients = [{{ name = \"Sportbond\", email = \"{SPORTBOND}\" }}]\n"
        ),
        _ => "on_erasure = \"delete\"\n".to_owned(),
    })
}

/// Collects every exported row as one line of the database's own JSON values.
#[derive(Default)]
struct Rows(BTreeMap<String, Vec<String>>, String);

impl RowSink for Rows {
    fn begin_table(&mut self, s: &SystemMap, t: &TableMap, _: &[String]) -> std::io::Result<()> {
        self.1 = format!("{}.{}", s.name, t.name);
        self.0.entry(self.1.clone()).or_default();
        Ok(())
    }
    fn row(&mut self, values: &[&RawValue]) -> std::io::Result<()> {
        let line: Vec<&str> = values.iter().map(|v| v.get()).collect();
        self.0.get_mut(&self.1).unwrap().push(line.join("\u{1f}"));
        Ok(())
    }
    fn end_table(&mut self, _: u64) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything the export finds for `email`, per table.
fn rows_of(map: &DataMap, email: &str) -> BTreeMap<String, Vec<String>> {
    let mut sink = Rows::default();
    export_subject_with(
        map,
        &SubjectIdentities {
            emails: vec![email.to_owned()],
            ..Default::default()
        },
        &mut sink,
        &ExportOptions::default(),
    )
    .unwrap();
    sink.0
}

/// The look-alike subjects and an unrelated one: their rows must never change.
const OTHERS: [&str; 3] = ["anna@example.nl.evil", "hanna@example.nl", "bob@example.nl"];

fn others(map: &DataMap) -> Vec<BTreeMap<String, Vec<String>>> {
    OTHERS.iter().map(|e| rows_of(map, e)).collect()
}

fn count(db: &TenantDb, sql: &str) -> u64 {
    let mut c = TenantConnection::open(&db.url).unwrap();
    c.count(sql, &[]).unwrap()
}

/// One text value, read with the tenant's own driver.
fn text(db: &TenantDb, sql: &str) -> Option<String> {
    let mut c = TenantConnection::open(&db.url).unwrap();
    let rows = c.page(sql, &[]).unwrap();
    rows.into_iter().next().and_then(|r| r.r)
}

struct World {
    app: TestApp,
    dbs: Vec<TenantDb>,
    map: DataMap,
    admin: String,
    controller: String,
    _dir: tempfile::TempDir,
}

/// A server with tenant `acme` whose map names `systems` fresh fixture databases on `b`.
async fn world(b: TenantBackend, test: &str, systems: &[&str], restriction: bool) -> Option<World> {
    let mut dbs = Vec::new();
    for _ in systems {
        let db = TenantDb::create(b, test)?;
        db.execute(&fixture_sql(b));
        if restriction {
            db.execute("ALTER TABLE people ADD COLUMN restricted BOOLEAN DEFAULT FALSE");
        }
        dbs.push(db);
    }
    let named: Vec<(&str, &str)> = systems
        .iter()
        .zip(&dbs)
        .map(|(n, d)| (*n, d.url.as_str()))
        .collect();
    let text = exec_map_toml("acme", &named, restriction);
    let map = DataMap::parse(&text, "exports/acme.toml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    std::fs::write(&path, &text).unwrap();
    // Tiny batches: every table crosses several batch boundaries.
    let app = spawn_app_with(Backend::Sqlite, test, &[("INZAGE_EXECUTION_BATCH", "3")]).await?;
    app.create_tenant(TenantInput {
        slug: "acme".into(),
        name: "Acme Sport".into(),
        contact_email: "privacy@acme.example.nl".into(),
        language: Language::Nl,
        datamap_path: Some(path.display().to_string()),
        id_document_required: false,
        sector: Default::default(),
    })
    .await;
    let admin = app.user(Role::Admin, None).await.token;
    let controller = app.user(Role::Controller, Some("acme")).await.token;
    Some(World {
        app,
        dbs,
        map,
        admin,
        controller,
        _dir: dir,
    })
}

impl World {
    async fn request(&self, kind: &str) -> String {
        self.request_with_status(kind).await.0
    }

    /// The reference and the subject's status link.
    async fn request_with_status(&self, kind: &str) -> (String, String) {
        let filed = self
            .app
            .file_as(
                &self.admin,
                Some("acme"),
                json!({"kind": kind, "subject": {"name": "Anna", "email": "anna@example.nl"}}),
            )
            .await;
        let reference = filed["reference"].as_str().unwrap().to_owned();
        // The status link comes only by mail.
        let status = self.app.mailed_status_path(&reference).await;
        let status_url = self.app.url(&status);
        (reference, status_url)
    }

    async fn plan(&self, reference: &str, body: Value) -> (u16, Value) {
        self.app
            .post(
                &format!("/api/v1/requests/{reference}/plan"),
                Some(&self.admin),
                &body,
            )
            .await
    }

    async fn approve(&self, reference: &str, id: &str) -> (u16, Value) {
        self.app
            .post(
                &format!("/api/v1/requests/{reference}/plan/{id}/approve"),
                Some(&self.controller),
                &json!({}),
            )
            .await
    }

    /// Polls the plan until it is done or failed.
    async fn wait(&self, reference: &str, id: &str, until: &[&str]) -> Value {
        for _ in 0..300 {
            let (s, v) = self
                .app
                .get(
                    &format!("/api/v1/requests/{reference}/plan/{id}"),
                    Some(&self.controller),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            if until.contains(&v["state"].as_str().unwrap_or("")) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the plan did not reach {until:?}");
    }

    /// Runs the plan's job now (instead of after its backoff).
    async fn run_job_now(&self, plan_id: &str) {
        let key = format!("execution:{plan_id}");
        self.app
            .with_conn(move |c| {
                use diesel::prelude::*;
                use inzage::store::schema::jobs;
                diesel::update(jobs::table.filter(jobs::dedupe_key.eq(key)))
                    .set(jobs::run_after.eq(inzage::store::now()))
                    .execute(c)
                    .unwrap();
            })
            .await;
    }

    async fn outbox(&self) -> Vec<(String, String, String)> {
        self.app
            .with_conn(|c| {
                use diesel::prelude::*;
                use inzage::store::schema::outbox;
                outbox::table
                    .select((outbox::template, outbox::recipient, outbox::state))
                    .load::<(String, String, String)>(c)
                    .unwrap()
            })
            .await
    }

    async fn events(&self, reference: &str) -> Vec<Value> {
        let (s, v) = self
            .app
            .get(&format!("/api/v1/requests/{reference}"), Some(&self.admin))
            .await;
        assert_eq!(s, 200);
        v["events"].as_array().unwrap().clone()
    }
}

fn table<'a>(plan: &'a Value, system: &str, name: &str) -> &'a Value {
    plan["systems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == system)
        .unwrap()["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {system}.{name} in {plan}"))
}

async fn erasure_changes_exactly_the_subjects_rows_as_planned(b: TenantBackend) {
    let Some(w) = world(b, "exec_erasure", &["app"], false).await else {
        return;
    };
    let db = &w.dbs[0];
    let anna_before = rows_of(&w.map, "anna@example.nl");
    let others_before = others(&w.map);
    let anna_orders = anna_before["app.orders"].len() as u64;
    let anna_lines = anna_before["app.order_lines"].len() as u64;
    assert!(anna_orders > 3 && anna_lines > 3);

    let (r, status_url) = w.request_with_status("erasure").await;
    let (s, plan) = w.plan(&r, json!({})).await;
    assert_eq!(s, 201, "{plan}");
    assert_eq!(plan["state"], "draft");
    assert_eq!(plan["kind"], "erasure");
    let id = plan["id"].as_str().unwrap().to_owned();
    // the dry run's counts, and nothing changed by it
    assert_eq!(table(&plan, "app", "orders")["action"], "delete");
    assert_eq!(table(&plan, "app", "orders")["rows"], anna_orders);
    assert_eq!(table(&plan, "app", "order_lines")["rows"], anna_lines);
    assert_eq!(table(&plan, "app", "subscriptions")["rows"], 2);
    assert_eq!(table(&plan, "app", "calls")["rows"], 0);
    let people = table(&plan, "app", "people");
    assert_eq!(
        (people["action"].as_str(), people["rows"].as_u64()),
        (Some("mask"), Some(1))
    );
    assert_eq!(people["columns"], json!(["email", "name", "note", "phone"]));
    let kept = table(&plan, "app", "memberships");
    assert_eq!(
        (
            kept["action"].as_str(),
            kept["rows"].as_u64(),
            kept["reason"].as_str()
        ),
        (Some("keep"), Some(2), Some(KEEP_REASON))
    );
    assert_eq!(table(&plan, "app", "teams")["reason"], NO_RULE_REASON);
    assert_eq!(
        plan["recipients"],
        json!([{"name": "Sportbond", "email": SPORTBOND}, {"name": "Payment provider"}])
    );
    assert_eq!(rows_of(&w.map, "anna@example.nl"), anna_before);
    assert_eq!(others(&w.map), others_before);

    // support cannot approve; the controller can
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/requests/{r}/plan/{id}/approve"),
            Some(&w.app.user(Role::Support, None).await.token),
            &json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = w.approve(&r, &id).await;
    assert_eq!(s, 202, "{v}");
    let done = w.wait(&r, &id, &["done", "failed"]).await;
    assert_eq!(done["state"], "done", "{done}");
    // executed counts == dry-run counts
    for t in done["systems"][0]["tables"].as_array().unwrap() {
        assert_eq!(t["rows_executed"], t["rows"], "{t}");
    }
    assert_eq!(
        done["systems"][0]["rows_done"].as_u64(),
        Some(anna_orders + anna_lines + 2 + 1)
    );
    assert!(done["certificate_url"].as_str().is_some());

    // exactly Anna's rows went; everyone else's rows are byte for byte the same
    let anna_after = rows_of(&w.map, "anna@example.nl");
    for gone in [
        "app.orders",
        "app.order_lines",
        "app.subscriptions",
        "app.people",
    ] {
        assert!(
            anna_after[gone].is_empty(),
            "{gone}: {:?}",
            anna_after[gone]
        );
    }
    assert_eq!(others(&w.map), others_before);
    // kept tables untouched (memberships follow people, whose row is still there)
    assert_eq!(count(db, "SELECT COUNT(*) AS n FROM memberships"), 6);
    assert_eq!(count(db, "SELECT COUNT(*) AS n FROM teams"), 4);
    assert_eq!(count(db, "SELECT COUNT(*) AS n FROM people"), 4);
    // the masked row
    let cast = |c: &str| match b {
        TenantBackend::Mariadb => format!("CAST({c} AS CHAR)"),
        _ => format!("CAST({c} AS TEXT)"),
    };
    let q = |c: &str| {
        format!(
            "SELECT CAST(id AS {}) AS k, {} AS r FROM people WHERE id = 1",
            if b == TenantBackend::Mariadb {
                "CHAR"
            } else {
                "TEXT"
            },
            cast(c)
        )
    };
    assert_eq!(text(db, &q("name")).as_deref(), Some(REDACTED));
    assert_eq!(text(db, &q("phone")), None);
    assert_eq!(text(db, &q("note")), None);
    let hashed = text(db, &q("email")).unwrap();
    assert_eq!(hashed.len(), 64);
    assert!(hashed.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(text(db, &q("customer_no")).as_deref(), Some("C-001"));

    // art. 19: the recipient with an address is mailed, one event each; the subject gets the
    // report of what was done and what was kept and why
    let mails = w.outbox().await;
    assert!(
        mails
            .iter()
            .any(|(t, to, _)| t == "recipient_notice" && to == SPORTBOND),
        "{mails:?}"
    );
    assert!(
        mails
            .iter()
            .any(|(t, to, _)| t == "execution_report" && to == "anna@example.nl")
    );
    let events = w.events(&r).await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    for k in [
        "execution_planned",
        "execution_approved",
        "execution_done",
        "recipient_notified",
    ] {
        assert!(kinds.contains(&k), "{k} missing: {kinds:?}");
    }
    assert_eq!(
        kinds.iter().filter(|k| **k == "recipient_notified").count(),
        1
    );
    // the subject's report says what was kept and why
    let report = w
        .app
        .with_conn(|c| {
            use diesel::prelude::*;
            use inzage::store::schema::outbox;
            outbox::table
                .filter(outbox::template.eq("execution_report"))
                .select(outbox::payload)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    let message: inzage::mail::MailMessage = serde_json::from_str(&report).unwrap();
    let rendered = message.render(Language::Nl, "inzage").unwrap();
    assert!(rendered.text.contains(KEEP_REASON), "{}", rendered.text);
    assert!(rendered.text.contains("app / orders:"), "{}", rendered.text);
    assert!(
        rendered.text.contains("Payment provider"),
        "{}",
        rendered.text
    );

    // the subject's status page lists the recipients (art. 19, last sentence)
    let status: Value = w
        .app
        .client
        .get(w.app.local(&status_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        status["recipients"],
        json!([{"name": "Sportbond", "notified": true}, {"name": "Payment provider", "notified": false}])
    );
    let page = w
        .app
        .client
        .get(w.app.local(&status_url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Payment provider"), "{page}");

    // the certificate verifies with the published key, and fails when one byte changes
    let cert = w
        .app
        .client
        .get(w.app.url(&format!("/api/v1/requests/{r}/certificate")))
        .bearer_auth(&w.controller)
        .send()
        .await
        .unwrap();
    assert_eq!(cert.status(), 200);
    let jws = cert.text().await.unwrap();
    let (s, jwks) = w.app.get("/.well-known/jwks.json", None).await;
    assert_eq!(s, 200, "{jwks}");
    let keys = inzage::service::jws::keys_of(&jwks).unwrap();
    let (_, certificate) = inzage::service::signing::verify_certificate(jws.trim(), &keys)
        .expect("the certificate verifies with the published key");
    assert_eq!(certificate.plan, id);
    assert_eq!(certificate.request, r);
    let orders = certificate.systems[0]
        .tables
        .iter()
        .find(|t| t.name == "orders")
        .unwrap();
    assert_eq!(orders.rows, anna_orders);
    assert!(
        certificate
            .recipients
            .iter()
            .any(|x| x.name == "Sportbond" && x.notified)
    );
    let mut bytes = jws.trim().as_bytes().to_vec();
    let dot = bytes.iter().position(|b| *b == b'.').unwrap();
    let i = dot + 5;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert!(inzage::service::signing::verify_certificate(&tampered, &keys).is_err());

    // a plan that is done is not run again: its job finds nothing to do
    let (s, v) = w.approve(&r, &id).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("plan_not_draft"))
    );
}

async fn a_failure_half_way_leaves_the_system_as_it_was_and_the_retry_completes(b: TenantBackend) {
    let Some(w) = world(b, "exec_failure", &["first", "second"], false).await else {
        return;
    };
    let r = w.request("erasure").await;
    let (s, plan) = w.plan(&r, json!({})).await;
    assert_eq!(s, 201, "{plan}");
    let id = plan["id"].as_str().unwrap().to_owned();
    // after the plan: a trigger in the second system refuses deleting subscriptions, which
    // come after people are masked and orders deleted in that system's transaction
    let trigger = match b {
        TenantBackend::Sqlite => {
            "CREATE TRIGGER no_del BEFORE DELETE ON subscriptions BEGIN SELECT RAISE(ABORT, 'blocked by test'); END;"
        }
        TenantBackend::Postgres => {
            "CREATE FUNCTION block() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'blocked by test'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER no_del BEFORE DELETE ON subscriptions FOR EACH ROW EXECUTE FUNCTION block();"
        }
        TenantBackend::Mariadb => {
            "CREATE TRIGGER no_del BEFORE DELETE ON subscriptions FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'blocked by test'"
        }
    };
    w.dbs[1].execute(trigger);
    let second_before = rows_of(&w.map, "anna@example.nl")
        .into_iter()
        .filter(|(k, _)| k.starts_with("second."))
        .collect::<BTreeMap<_, _>>();
    // a row that arrives between plan and approval is carried out too, not missed
    w.dbs[0].execute(
        "INSERT INTO subscriptions (id, email, list) VALUES (100, 'Anna@example.nl', 'late')",
    );
    let (s, _) = w.approve(&r, &id).await;
    assert_eq!(s, 202);
    let failed = w.wait(&r, &id, &["failed"]).await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("second") && error.contains("subscriptions"),
        "{error}"
    );
    assert!(!error.contains("anna"), "{error}");
    assert_eq!(failed["systems"][0]["state"], "done");
    assert_eq!(failed["systems"][1]["state"], "pending");
    let first_at = failed["systems"][0]["committed_at"].clone();
    // the second system is exactly as it was: its transaction was rolled back
    let second_now = rows_of(&w.map, "anna@example.nl")
        .into_iter()
        .filter(|(k, _)| k.starts_with("second."))
        .collect::<BTreeMap<_, _>>();
    assert_eq!(second_now, second_before);
    assert!(rows_of(&w.map, "anna@example.nl")["first.orders"].is_empty());

    // the trigger goes, the job runs again: the second system completes, the first is not
    // done twice
    let drop = match b {
        TenantBackend::Postgres => "DROP TRIGGER no_del ON subscriptions",
        _ => "DROP TRIGGER no_del",
    };
    w.dbs[1].execute(drop);
    w.run_job_now(&id).await;
    let done = w.wait(&r, &id, &["done"]).await;
    assert_eq!(done["systems"][0]["committed_at"], first_at);
    for s in done["systems"].as_array().unwrap() {
        for t in s["tables"].as_array().unwrap() {
            let late = u64::from(s["name"] == "first" && t["name"] == "subscriptions");
            assert_eq!(
                t["rows_executed"].as_u64(),
                t["rows"].as_u64().map(|n| n + late),
                "{t}"
            );
        }
    }
    let anna = rows_of(&w.map, "anna@example.nl");
    assert!(anna["second.subscriptions"].is_empty());
    assert!(anna["second.orders"].is_empty());
}

async fn rectification_changes_only_the_listed_columns_of_the_subjects_rows(b: TenantBackend) {
    let Some(w) = world(b, "exec_rectify", &["app"], false).await else {
        return;
    };
    let r = w.request("rectification").await;
    let before = rows_of(&w.map, "anna@example.nl");
    let others_before = others(&w.map);
    // only rectifiable columns, named in the 422
    let (s, v) = w
        .plan(
            &r,
            json!({"changes": [
                {"system": "app", "table": "people", "column": "name", "value": "Anna Jansen"},
                {"system": "app", "table": "people", "column": "email", "value": "x@y.nl"},
                {"system": "crm", "table": "people", "column": "name", "value": "x"},
            ]}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let fields = v["error"]["fields"].as_object().unwrap();
    assert!(
        fields["changes[1]"]
            .as_str()
            .unwrap()
            .contains("not rectifiable")
    );
    assert!(fields.contains_key("changes[2]"));
    assert!(!fields.contains_key("changes[0]"));
    let (s, v) = w.plan(&r, json!({})).await;
    assert_eq!(
        (s, v["error"]["fields"]["changes"].is_string()),
        (422, true),
        "{v}"
    );

    let (s, plan) = w
        .plan(
            &r,
            json!({"changes": [
                {"system": "app", "table": "people", "column": "name", "value": "Anna Jansen"},
                {"system": "app", "table": "people", "column": "nickname", "value": null},
            ]}),
        )
        .await;
    assert_eq!(s, 201, "{plan}");
    assert_eq!(plan["systems"][0]["tables"].as_array().unwrap().len(), 1);
    let t = table(&plan, "app", "people");
    assert_eq!(
        (t["action"].as_str(), t["rows"].as_u64()),
        (Some("update"), Some(1))
    );
    assert_eq!(t["columns"], json!(["name", "nickname"]));
    let id = plan["id"].as_str().unwrap().to_owned();
    // the new values are not in inzage's store in the clear
    let stored = w
        .app
        .with_conn(|c| {
            use diesel::prelude::*;
            use inzage::store::schema::execution_plans;
            execution_plans::table
                .select((execution_plans::systems, execution_plans::sealed_changes))
                .load::<(String, Option<String>)>(c)
                .unwrap()
        })
        .await;
    for (systems, sealed) in &stored {
        assert!(!systems.contains("Jansen"));
        assert!(!sealed.clone().unwrap_or_default().contains("Jansen"));
    }
    let (s, _) = w.approve(&r, &id).await;
    assert_eq!(s, 202);
    let done = w.wait(&r, &id, &["done", "failed"]).await;
    assert_eq!(done["state"], "done", "{done}");
    // only the hash of the old value is kept, and the sealed values are gone
    let changed = &done["result"]["changed"];
    let name = changed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "name")
        .unwrap();
    use sha2::Digest;
    let expected = hex::encode(sha2::Sha256::digest(ANNA_NAME.as_bytes()));
    assert_eq!(name["old_sha256"], json!([expected]));
    let stored = w
        .app
        .with_conn(|c| {
            use diesel::prelude::*;
            use inzage::store::schema::execution_plans;
            execution_plans::table
                .select(execution_plans::sealed_changes)
                .load::<Option<String>>(c)
                .unwrap()
        })
        .await;
    assert!(stored.iter().all(Option::is_none));
    // Anna's people row: name and nickname changed, every other value as it was
    let after = rows_of(&w.map, "anna@example.nl");
    assert_eq!(after.len(), before.len());
    for (table, rows) in &before {
        if table != "app.people" {
            assert_eq!(&after[table], rows, "{table}");
        }
    }
    let old: Vec<&str> = before["app.people"][0].split('\u{1f}').collect();
    let new: Vec<&str> = after["app.people"][0].split('\u{1f}').collect();
    let differs: Vec<usize> = (0..old.len()).filter(|i| old[*i] != new[*i]).collect();
    assert_eq!(differs, vec![4], "only name (nickname was NULL already)");
    assert_eq!(new[4], "\"Anna Jansen\"");
    assert_eq!(others(&w.map), others_before);

    // a disputed correction is recorded on the request
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/requests/{r}/rectification_disputed"),
            Some(&w.controller),
            &json!({"note": "the controller holds the birth date to be right"}),
        )
        .await;
    assert_eq!(s, 204);
    let events = w.events(&r).await;
    assert!(events.iter().any(|e| e["kind"] == "rectification_disputed"));
}

async fn restriction_is_set_and_lifted_after_the_subject_is_told(b: TenantBackend) {
    let Some(w) = world(b, "exec_restrict", &["app"], true).await else {
        return;
    };
    let db = &w.dbs[0];
    let flagged = || {
        count(
            db,
            "SELECT COUNT(*) AS n FROM people WHERE restricted = TRUE",
        )
    };
    let r = w.request("restriction").await;
    let (s, plan) = w.plan(&r, json!({})).await;
    assert_eq!(s, 201, "{plan}");
    assert_eq!(table(&plan, "app", "people")["action"], "restrict");
    assert_eq!(table(&plan, "app", "people")["rows"], 1);
    let id = plan["id"].as_str().unwrap().to_owned();
    let (s, _) = w.approve(&r, &id).await;
    assert_eq!(s, 202);
    w.wait(&r, &id, &["done"]).await;
    assert_eq!(flagged(), 1);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM people WHERE restricted = TRUE AND id = 1"
        ),
        1
    );

    // lifting: art. 18(3): the subject's notice is queued with the approval, and the job
    // lifts only once it was sent
    let (s, plan) = w.plan(&r, json!({"lift": true})).await;
    assert_eq!(s, 201, "{plan}");
    assert_eq!(plan["kind"], "lift");
    assert_eq!(table(&plan, "app", "people")["action"], "lift");
    let id = plan["id"].as_str().unwrap().to_owned();
    let (s, _) = w.approve(&r, &id).await;
    assert_eq!(s, 202);
    let done = w.wait(&r, &id, &["done"]).await;
    assert_eq!(done["state"], "done");
    assert_eq!(flagged(), 0);
    let mails = w.outbox().await;
    assert!(
        mails
            .iter()
            .any(|(t, to, st)| t == "restriction_lift_notice"
                && to == "anna@example.nl"
                && st == "sent"),
        "{mails:?}"
    );
    let kinds: Vec<String> = w
        .events(&r)
        .await
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect();
    let told = kinds
        .iter()
        .position(|k| k == "restriction_lift_notified")
        .unwrap();
    let lifted = kinds.iter().rposition(|k| k == "execution_done").unwrap();
    assert!(told < lifted);
    // erasure does not apply to a restriction request
    let (s, v) = w.plan(&r, json!({"changes": []})).await;
    assert_eq!(s, 422, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_are_refused_where_they_must_be() {
    let Some(w) = world(TenantBackend::Sqlite, "exec_refused", &["app"], false).await else {
        return;
    };
    let app = &w.app;
    // a kind without a plan
    let access = w.request("access").await;
    let (s, v) = w.plan(&access, json!({})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("no_plan_for_kind"))
    );
    // identity not confirmed
    let r = w.request("erasure").await;
    let (s, _) = app
        .act(
            &w.admin,
            &r,
            "request_identity",
            json!({"note": "an invoice number"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = w.plan(&r, json!({})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("identity_unconfirmed"))
    );
    let (s, _) = app
        .act(
            &w.admin,
            &r,
            "identity_confirmed",
            json!({"method": "invoice"}),
        )
        .await;
    assert_eq!(s, 200);
    // a body that does not fit the kind
    let (s, v) = w.plan(&r, json!({"lift": true})).await;
    assert_eq!((s, v["error"]["fields"]["lift"].is_string()), (422, true));
    let (s, v) = w.plan(&r, json!({"lift": "yes"})).await;
    assert_eq!(s, 422, "{v}");
    // support: plan contents only under a grant
    let support = app.user(Role::Support, None).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/requests/{r}/plan"),
            Some(&support.token),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("grant_required"))
    );
    // another tenant's controller: 404
    app.tenant("beta").await;
    let beta = app.user(Role::Controller, Some("beta")).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/requests/{r}/plan"),
            Some(&beta.token),
            &json!({}),
        )
        .await;
    assert_eq!(s, 404);
    // one current plan: a new one supersedes the draft
    let (s, first) = w.plan(&r, json!({})).await;
    assert_eq!(s, 201);
    let first = first["id"].as_str().unwrap().to_owned();
    let (s, second) = w.plan(&r, json!({})).await;
    assert_eq!(s, 201);
    let second = second["id"].as_str().unwrap().to_owned();
    let (_, v) = app
        .get(
            &format!("/api/v1/requests/{r}/plan/{first}"),
            Some(&w.controller),
        )
        .await;
    assert_eq!(v["state"], "superseded");
    let (s, v) = w.approve(&r, &first).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("plan_not_draft"))
    );
    let (s, _) = app
        .get(
            &format!("/api/v1/requests/{r}/plan/{second}"),
            Some(&beta.token),
        )
        .await;
    assert_eq!(s, 404);
    // every staff view of a plan is an audit entry
    let viewed = app
        .with_conn(|c| {
            use diesel::prelude::*;
            use inzage::store::schema::audit_log;
            audit_log::table
                .filter(audit_log::action.eq("plan_viewed"))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert!(viewed >= 1);
    // a closed request
    let (s, _) = app.act(&w.admin, &r, "withdraw", json!({})).await;
    assert_eq!(s, 200);
    let (s, v) = w.plan(&r, json!({})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("request_closed"))
    );
    let (s, v) = w.approve(&r, &second).await;
    assert_eq!(s, 409, "{v}");
}

async fn a_cascade_is_left_to_the_database_and_counted(b: TenantBackend) {
    let Some(db) = TenantDb::create(b, "exec_cascade") else {
        return;
    };
    let (int, text) = match b {
        TenantBackend::Sqlite => ("INTEGER", "TEXT"),
        _ => ("BIGINT", "VARCHAR(200)"),
    };
    db.execute(&format!(
        "CREATE TABLE members (id {int} PRIMARY KEY, email {text} NOT NULL); \
         CREATE TABLE orders (id {int} PRIMARY KEY, member_id {int} NOT NULL REFERENCES members (id) ON DELETE CASCADE, note {text}); \
         INSERT INTO members (id, email) VALUES (1, 'anna@example.nl'), (2, 'anna@example.nl.evil'); \
         INSERT INTO orders (id, member_id, note) VALUES (10, 1, 'a'), (11, 1, 'b'), (12, 2, 'c');"
    ));
    let text = format!(
        r#"tenant = "acme"
[[systems]]
name = "shop"
url = "{}"
[[systems.tables]]
name = "members"
primary_key = "id"
identity = {{ email = "email" }}
on_erasure = "delete"
[[systems.tables]]
name = "orders"
primary_key = "id"
follows = [{{ column = "member_id", table = "members", references = "id" }}]
on_erasure = "cascade"
"#,
        db.url
    );
    let map = DataMap::parse(&text, "exports/acme.toml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    std::fs::write(&path, &text).unwrap();
    let Some(app) = spawn_app_with(Backend::Sqlite, "exec_cascade", &[]).await else {
        return;
    };
    app.create_tenant(TenantInput {
        slug: "acme".into(),
        name: "Acme".into(),
        contact_email: "privacy@acme.example.nl".into(),
        language: Language::En,
        datamap_path: Some(path.display().to_string()),
        id_document_required: false,
        sector: Default::default(),
    })
    .await;
    let admin = app.user(Role::Admin, None).await.token;
    let filed = app
        .file_as(
            &admin,
            Some("acme"),
            json!({"kind": "erasure", "subject": {"name": "Anna", "email": "anna@example.nl"}}),
        )
        .await;
    let r = filed["reference"].as_str().unwrap();
    let (s, plan) = app
        .post(
            &format!("/api/v1/requests/{r}/plan"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(s, 201, "{plan}");
    let orders = table(&plan, "shop", "orders");
    assert_eq!(
        (orders["action"].as_str(), orders["rows"].as_u64()),
        (Some("delete"), Some(2))
    );
    assert!(orders["reason"].as_str().unwrap().contains("CASCADE"));
    let id = plan["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/requests/{r}/plan/{id}/approve"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(s, 202);
    let mut state = Value::Null;
    for _ in 0..300 {
        let (_, v) = app
            .get(&format!("/api/v1/requests/{r}/plan/{id}"), Some(&admin))
            .await;
        if matches!(v["state"].as_str(), Some("done" | "failed")) {
            state = v;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["state"], "done", "{state}");
    // the database's cascade took Anna's orders with her; the look-alike's stay
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM orders"), 1);
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM orders WHERE member_id = 2"),
        1
    );
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM members"), 1);
    assert!(rows_of(&map, "anna@example.nl")["shop.orders"].is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_makes_shows_and_approves_a_plan() {
    use crate::console::{Browser, csrf};
    let Some(w) = world(TenantBackend::Sqlite, "exec_console", &["app"], false).await else {
        return;
    };
    let r = w.request("erasure").await;
    let controller = w.app.user(Role::Controller, Some("acme")).await;
    let path = format!("/console/requests/{r}");
    let mut b = Browser::new(&w.app);
    b.sign_in(&controller.email, "").await;
    let page = b.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Uitvoering"), "{}", page.body);
    assert!(page.body.contains(&format!("action=\"{path}/plan\"")));
    let token = csrf(&page.body);
    // every form carries the CSRF token: without it nothing happens
    let refused = b.post(&format!("{path}/plan"), &[]).await;
    assert_ne!(refused.status, 303);
    let made = b.post(&format!("{path}/plan"), &[("csrf", &token)]).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = b.get(&path).await;
    assert!(
        page.body.contains("Goedkeuren en uitvoeren"),
        "{}",
        page.body
    );
    assert!(page.body.contains(KEEP_REASON));
    let id = page
        .body
        .split(&format!("{path}/plan/"))
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let approved = b
        .post(&format!("{path}/plan/{id}/approve"), &[("csrf", &token)])
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    w.wait(&r, &id, &["done"]).await;
    let page = b.get(&format!("{path}?lang=en")).await;
    assert!(page.body.contains("Carried out"), "{}", page.body);
    assert!(page.body.contains("/certificate.html"));
}
