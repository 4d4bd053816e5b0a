//! The deadline sweep, `GET /api/v1/deadlines` and the sorted, filtered queue over 1,000,000
//! requests in PostgreSQL.
//!
//! `cargo bench --bench deadlines` with `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` (an admin
//! URL; a fresh database is created and dropped). Options after `--`: `--rows N` (default
//! 1,000,000), `--iterations N` per measurement (default 200).
//!
//! The seed is shaped like a processor's history: 20 tenants, requests received over three
//! years, 96 % closed; the 4 % open ones are spread over the last two months, a few paused.
//! The sweep is measured as it runs in steady state: each pass finds the reminders that fell
//! due since the last one (20 requests a pass here) and writes their events and mail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use inzage::config::Settings;
use inzage::startup::{Application, open_store};
use inzage::state::AppState;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn seed(url: &str, rows: usize) {
    let mut c = PgConnection::establish(url).unwrap();
    let t = Instant::now();
    diesel::sql_query(
        "INSERT INTO tenants (id, slug, name, contact_email, language, id_document_required, created_at) \
         SELECT 'tid-' || i, 't' || lpad(i::text, 2, '0'), 'Tenant ' || i, 'privacy@t' || i || '.example.nl', 'nl', false, now() \
         FROM generate_series(1, 20) AS i",
    )
    .execute(&mut c)
    .unwrap();
    // The seed is one bulk insert: the counting triggers are off meanwhile, and the counts
    // are set from the rows afterwards (what the migration does for existing requests).
    diesel::sql_query("ALTER TABLE requests DISABLE TRIGGER USER")
        .execute(&mut c)
        .unwrap();
    // open: every 25th request (4 %), received within the last 60 days; the rest closed.
    diesel::sql_query(format!(
        "INSERT INTO requests (id, reference, tenant_id, kind, status, channel, language, subject_name, subject_email, \
           subject_email_norm, received_at, received_on, legal_due, promised_due, paused_days, paused_since, \
           identity_pending, due_at, closed_at, next_reminder_at, version, created_at, updated_at) \
         SELECT 'r' || i, 'DSR-' || (2024 + i % 3) || '-' || lpad(i::text, 7, '0'), 'tid-' || (1 + i % 20), \
           (ARRAY['access','rectification','erasure','restriction','portability','objection','automated_decision'])[1 + i % 7], \
           CASE WHEN open THEN (ARRAY['received','forwarded','acknowledged','in_progress'])[1 + (i / 25) % 4] \
                ELSE (ARRAY['completed','completed','completed','refused','withdrawn'])[1 + i % 5] END, \
           'web', 'nl', 'Subject ' || i, 's' || i || '@example.nl', 's' || i || '@example.nl', \
           rec, rec::date, rec::date + 31, rec::date + 28, 0, \
           CASE WHEN open AND i % 200 = 0 THEN rec::date + 3 END, false, \
           rec::date + 28 + time '23:59:59', \
           CASE WHEN open THEN NULL ELSE rec + interval '20 days' END, \
           CASE WHEN open AND i % 200 <> 0 AND rec::date + 19 > current_date THEN rec::date + 19 + time '07:00' END, \
           0, rec, rec \
         FROM (SELECT i, i % 25 = 0 AS open, \
                 CASE WHEN i % 25 = 0 THEN now() - (i % 60) * interval '1 day' - (i % 86400) * interval '1 second' \
                      ELSE now() - (60 + i % 1035) * interval '1 day' - (i % 86400) * interval '1 second' END AS rec \
               FROM generate_series(1, {rows}) AS i) s"
    ))
    .execute(&mut c)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO request_counts (tenant_id, status, kind, shard, n) \
         SELECT COALESCE(tenant_id, ''), status, kind, 0, COUNT(*) FROM requests GROUP BY 1, 2, 3",
    )
    .execute(&mut c)
    .unwrap();
    diesel::sql_query("ALTER TABLE requests ENABLE TRIGGER USER")
        .execute(&mut c)
        .unwrap();
    diesel::sql_query("VACUUM ANALYZE requests")
        .execute(&mut c)
        .unwrap();
    eprintln!(
        "seeded {rows} requests in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(label: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "| {label} | {} | {:.1} | {:.1} | {:.1} |",
        v.len(),
        pct(&v, 0.5),
        pct(&v, 0.95),
        pct(&v, 0.99)
    );
}

async fn time_get(client: &reqwest::Client, url: &str, token: &str, n: usize) -> Vec<Duration> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let _ = r.bytes().await.unwrap();
        v.push(t.elapsed());
    }
    v
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows = arg(&args, "--rows", 1_000_000);
    let n = arg(&args, "--iterations", 200);
    let Some(admin) = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok()
    else {
        eprintln!("SKIPPED: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL admin URL");
        return;
    };
    let name = format!("inzage_bench_deadlines_{}", std::process::id());
    let mut c = PgConnection::establish(&admin).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    let env = std::collections::HashMap::from([
        ("INZAGE_DATABASE_URL".to_owned(), url.clone()),
        ("INZAGE_BIND".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "INZAGE_DATA_DIR".to_owned(),
            dir.path().join("var").display().to_string(),
        ),
        (
            "INZAGE_SECRET_KEY".to_owned(),
            "bench-secret-bench-secret-bench-secret".to_owned(),
        ),
        ("INZAGE_RUN_JOBS".to_owned(), "false".to_owned()),
        (
            "INZAGE_SUPPORT_EMAIL".to_owned(),
            "support@processor.example.nl".to_owned(),
        ),
    ]);
    let settings = Settings::load_from(None, &|k| env.get(k).cloned()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = open_store(&settings).await.unwrap();
        let u = url.clone();
        tokio::task::spawn_blocking(move || seed(&u, rows)).await.unwrap();
        let state = AppState::new(db, settings).unwrap();
        let st = state.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = st.db.conn().unwrap();
            inzage::service::admin::create_user(
                &mut conn,
                inzage::service::admin::UserInput {
                    email: "bench@processor.example.nl".into(),
                    role: inzage::domain::Role::Admin,
                    tenant_slug: None,
                    password: "bench password 123".into(),
                },
            )
            .unwrap();
        })
        .await
        .unwrap();
        let app = Application::build_with(state.clone()).unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let server = tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"email": "bench@processor.example.nl", "password": "bench password 123"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_owned();

        println!("| measurement ({rows} requests) | runs | p50 ms | p95 ms | p99 ms |");
        println!("|---|---:|---:|---:|---:|");
        // warm up
        time_get(&client, &format!("{base}/api/v1/deadlines?within=7d"), &token, 5).await;
        report("GET /api/v1/deadlines?within=7d", time_get(&client, &format!("{base}/api/v1/deadlines?within=7d"), &token, n).await);
        for q in [
            "?per_page=50",
            "?open=true&per_page=50",
            "?kind=erasure&per_page=50",
            "?status=received&tenant=t07&per_page=50",
            "?tenant=t07&kind=erasure&page=3&per_page=50",
            "?overdue=true&per_page=50",
            "?status=completed&tenant=t11&per_page=50",
        ] {
            report(&format!("GET /api/v1/requests{q}"), time_get(&client, &format!("{base}/api/v1/requests{q}"), &token, n).await);
        }

        // the sweep: each pass finds 20 requests whose reminder fell due since the last pass
        let st = state.clone();
        let (busy, idle) = tokio::task::spawn_blocking(move || {
            let mut pg = PgConnection::establish(&url).unwrap();
            let (mut busy, mut idle) = (Vec::new(), Vec::new());
            for pass in 0..n.min(100) {
                diesel::sql_query(format!(
                    "UPDATE requests SET next_reminder_at = now() - interval '1 minute' WHERE id IN \
                     (SELECT id FROM requests WHERE closed_at IS NULL AND paused_since IS NULL AND next_reminder_at IS NOT NULL \
                      AND next_reminder_at > now() ORDER BY id OFFSET {} LIMIT 20)",
                    pass * 20
                ))
                .execute(&mut pg)
                .unwrap();
                let t = Instant::now();
                let r = inzage::jobs::sweep::run(&st, chrono::Utc::now()).unwrap();
                busy.push(t.elapsed());
                assert!(r.requests >= 20, "{r:?}");
                let t = Instant::now();
                inzage::jobs::sweep::run(&st, chrono::Utc::now()).unwrap();
                idle.push(t.elapsed());
            }
            (busy, idle)
        })
        .await
        .unwrap();
        report("deadline sweep, 20 requests due (events, reminders, 2 mails each)", busy);
        report("deadline sweep, nothing due", idle);
        server.abort();
    });
    let _ =
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
}
