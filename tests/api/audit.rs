//! The audit trail: written for staff reads and changes, read by the tenant's controller and
//! admin (JSON and CSV), verified by `inzage audit verify`, which finds an entry altered
//! directly in the database; two instances on one PostgreSQL keep one unbroken chain.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use diesel::RunQueryDsl;
use serde_json::json;

use crate::helpers::{
    Backend, TestApp, free_port, spawn_app, start_server, test_env, wait_healthy,
};
use inzage::domain::Role;

crate::on_both_backends!(
    the_trail_is_read_by_its_controller_and_verified,
    admin_changes_through_the_api_are_audited
);

const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Runs `inzage` with this environment: (exit code, stdout + stderr).
fn cli(env: &HashMap<String, String>, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args(args)
        .envs(env)
        .stdin(Stdio::null())
        .output()
        .expect("run inzage");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Runs `inzage` against the app's store, off the async workers.
async fn cli_async(app: &TestApp, args: &'static [&'static str]) -> (i32, String) {
    let env = test_env(&app.store, &[]);
    tokio::task::spawn_blocking(move || cli(&env, args))
        .await
        .unwrap()
}

async fn the_trail_is_read_by_its_controller_and_verified(backend: Backend) {
    let Some(app) = spawn_app(backend, "audit_trail").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let support = app.user(Role::Support, None).await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let beta = app.user(Role::Controller, Some("beta")).await;
    let r = app.file_as(&support.token, Some("acme"), json!({})).await;
    let r = r["reference"].as_str().unwrap().to_owned();

    // reads and changes by staff
    let (s, _) = app
        .get(&format!("/api/v1/requests/{r}"), Some(&support.token))
        .await;
    assert_eq!(s, 200);
    let (s, v) = app.act(&support.token, &r, "forward", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = app
        .get(&format!("/api/v1/requests/{r}"), Some(&acme.token))
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .get(
            &format!("/api/v1/requests/{r}/identities"),
            Some(&acme.token),
        )
        .await;
    assert_eq!(s, 200);

    // the controller reads its trail: a chain, oldest first
    let (s, trail) = app
        .get("/api/v1/tenants/acme/audit", Some(&acme.token))
        .await;
    assert_eq!(s, 200, "{trail}");
    let items = trail["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            // support entered the request (a change by staff)
            "request_filed",
            "request_viewed",
            "request_forward",
            // the action's answer is the request itself: a read too
            "request_viewed",
            "request_viewed",
            "identities_viewed"
        ]
    );
    assert_eq!(trail["total"], 6);
    let mut prev = ZEROS.to_owned();
    for (i, e) in items.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
        assert_eq!(e["prev_hash"], prev.as_str(), "{e}");
        assert_eq!(e["tenant"], "acme");
        assert_eq!(e["request"], r.as_str());
        assert_eq!(e["ip"], "127.0.0.1");
        prev = e["hash"].as_str().unwrap().to_owned();
    }
    assert_eq!(items[0]["actor"]["email"], support.email.as_str());
    assert_eq!(items[0]["role"], "support");
    assert!(items[0]["grant"].is_null());
    assert_eq!(items[4]["role"], "controller");

    // filters and pages
    let (_, v) = app
        .get(
            &format!("/api/v1/tenants/acme/audit?actor={}", support.email),
            Some(&acme.token),
        )
        .await;
    assert_eq!(v["total"], 4, "{v}");
    let (_, v) = app
        .get(
            "/api/v1/tenants/acme/audit?page=2&per_page=1",
            Some(&acme.token),
        )
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["seq"], 2);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let (_, v) = app
        .get(
            &format!("/api/v1/tenants/acme/audit?from={tomorrow}"),
            Some(&acme.token),
        )
        .await;
    assert_eq!(v["total"], 0);
    let (s, v) = app
        .get("/api/v1/tenants/acme/audit?from=soon", Some(&acme.token))
        .await;
    assert_eq!(s, 422);
    assert!(v["error"]["fields"]["from"].is_string());

    // as CSV
    let res = app
        .client
        .get(app.url("/api/v1/tenants/acme/audit?format=csv"))
        .bearer_auth(&acme.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,at,actor_id,actor_email,role,action"));
    assert_eq!(lines.len(), 7, "{csv}");

    // only the tenant's controller and admin
    let (s, _) = app
        .get("/api/v1/tenants/acme/audit", Some(&support.token))
        .await;
    assert_eq!(s, 403);
    let (s1, v1) = app
        .get("/api/v1/tenants/acme/audit", Some(&beta.token))
        .await;
    let (s2, v2) = app
        .get("/api/v1/tenants/ghost/audit", Some(&beta.token))
        .await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(v1, v2);
    let (s, _) = app.get("/api/v1/tenants/acme/audit", None).await;
    assert_eq!(s, 401);

    // anyone holding the store can verify it
    let (code, out) = cli_async(&app, &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("acme: audit chain intact: 6 entries"), "{out}");
    let (code, out) = cli_async(&app, &["audit", "verify", "--tenant", "acme"]).await;
    assert_eq!(code, 0, "{out}");
    let (code, _) = cli_async(&app, &["audit", "verify", "--tenant", "ghost"]).await;
    assert_eq!(code, 2);

    // append-only: on PostgreSQL the database itself refuses UPDATE and DELETE
    let postgres = app.state.db.is_postgres();
    if postgres {
        let refused = app
            .with_conn(|c| {
                let update = diesel::sql_query("UPDATE audit_log SET action = 'x'").execute(c);
                let delete = diesel::sql_query("DELETE FROM audit_log").execute(c);
                (update.is_err(), delete.is_err())
            })
            .await;
        assert_eq!(refused, (true, true));
    }

    // one entry altered behind the service's back: verify names the tenant and the entry
    app.with_conn(move |c| {
        let tamper = "UPDATE audit_log SET actor_label = 'someone-else@example.nl' \
                      WHERE seq = 3 AND tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')";
        if postgres {
            diesel::sql_query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(c)
                .unwrap();
            diesel::sql_query(tamper).execute(c).unwrap();
            diesel::sql_query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
                .execute(c)
                .unwrap();
        } else {
            diesel::sql_query(tamper).execute(c).unwrap();
        }
    })
    .await;
    let (code, out) = cli_async(&app, &["audit", "verify"]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("acme"), "{out}");
    assert!(out.contains("seq 3"), "{out}");
    // the controller sees the same row as it now stands
    let (_, trail) = app
        .get("/api/v1/tenants/acme/audit", Some(&acme.token))
        .await;
    assert_eq!(
        trail["items"][2]["actor"]["email"],
        "someone-else@example.nl"
    );
}

/// 200 audited reads at once, spread over two instances on one PostgreSQL database: one
/// unbroken chain, every read in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_keep_one_chain() {
    let Some(app) = spawn_app(Backend::Postgres, "audit_two_instances").await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let r = app.file_as(&support.token, Some("acme"), json!({})).await;
    let r = r["reference"].as_str().unwrap().to_owned();
    let port = free_port();
    let mut other = start_server(&app.store, port);
    let other_base = format!("http://127.0.0.1:{port}");
    wait_healthy(&app.client, &other_base).await;

    let mut reads = tokio::task::JoinSet::new();
    for i in 0..200 {
        let base = if i % 2 == 0 {
            app.address.clone()
        } else {
            other_base.clone()
        };
        let client = app.client.clone();
        let url = format!("{base}/api/v1/requests/{r}");
        let token = support.token.clone();
        reads.spawn(async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .map(|res| res.status().as_u16())
        });
    }
    let mut ok = 0;
    while let Some(res) = reads.join_next().await {
        if res.unwrap().unwrap() == 200 {
            ok += 1;
        }
    }
    other.kill().unwrap();
    other.wait().unwrap();
    assert_eq!(ok, 200);

    let st = app.state.clone();
    let reports = tokio::task::spawn_blocking(move || {
        let mut conn = st.db.conn().unwrap();
        inzage::service::audit::verify(&mut conn, Some("acme")).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].broken.is_none(), "{:?}", reports[0].broken);
    // the staff intake, then every read
    assert_eq!(reports[0].entries, 201, "every read has its entry");
    let (code, out) = cli_async(&app, &["audit", "verify", "--tenant", "acme"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("audit chain intact: 201 entries"), "{out}");
}

/// The API's admin changes leave the same audit entries as the console's: a tenant made with
/// `POST /tenants` opens its chain with `tenant_created`.
async fn admin_changes_through_the_api_are_audited(backend: Backend) {
    let Some(app) = spawn_app(backend, "audit_admin_api").await else {
        return;
    };
    let admin = app.user(Role::Admin, None).await;
    let (s, v) = app
        .post(
            "/api/v1/tenants",
            Some(&admin.token),
            &json!({"slug": "gamma", "name": "Gamma", "contact_email": "privacy@gamma.example"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, trail) = app
        .get("/api/v1/tenants/gamma/audit", Some(&admin.token))
        .await;
    assert_eq!(s, 200, "{trail}");
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions.first(), Some(&"tenant_created"), "{trail}");
}
