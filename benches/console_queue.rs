//! The console's queue page (`GET /console/`, `POST /console/search`) over 1,000,000 requests
//! in PostgreSQL, rendered by the real server for a signed-in browser session.
//!
//! `cargo bench --bench console_queue` with `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` (an
//! admin URL; a fresh database is created, seeded with one `INSERT … SELECT generate_series`,
//! and dropped). Options after `--`: `--rows N` (default 1,000,000), `--iterations N` per
//! measurement (default 200), `--overview-only` (only the overview's lines). Target (issue
//! 14): p95 under 100 ms for every line of the queue; the overview is measured for the record.
//!
//! The seed is shaped like a processor's history (as `benches/deadlines.rs`): 20 tenants,
//! three years, 96 % closed, the open 4 % in the last two months; channels web 70 %, e-mail
//! 15 %, letter 8 %, phone 5 %, API 2 %; every subject a distinct address.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
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
    // One bulk insert with the counting triggers off; the counts are set from the rows after.
    diesel::sql_query("ALTER TABLE requests DISABLE TRIGGER USER")
        .execute(&mut c)
        .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO requests (id, reference, tenant_id, kind, status, channel, language, subject_name, subject_email, \
           subject_email_norm, received_at, received_on, legal_due, promised_due, paused_days, paused_since, \
           identity_pending, due_at, closed_at, next_reminder_at, version, created_at, updated_at) \
         SELECT 'r' || i, 'DSR-' || (2024 + i % 3) || '-' || lpad(i::text, greatest(6, length(i::text)), '0'), 'tid-' || (1 + i % 20), \
           (ARRAY['access','rectification','erasure','restriction','portability','objection','automated_decision'])[1 + i % 7], \
           CASE WHEN open THEN (ARRAY['received','forwarded','acknowledged','in_progress'])[1 + (i / 25) % 4] \
                ELSE (ARRAY['completed','completed','completed','refused','withdrawn'])[1 + i % 5] END, \
           CASE WHEN i % 100 < 70 THEN 'web' WHEN i % 100 < 85 THEN 'email' WHEN i % 100 < 93 THEN 'letter' \
                WHEN i % 100 < 98 THEN 'phone' ELSE 'api' END, \
           'nl', 'Subject ' || i, 's' || i || '@example.nl', 's' || i || '@example.nl', \
           rec, rec::date, rec::date + 31, rec::date + 28, 0, \
           CASE WHEN open AND i % 200 = 0 THEN rec::date + 3 END, false, \
           rec::date + 28 + time '23:59:59', \
           CASE WHEN open THEN NULL ELSE rec + interval '20 days' END, \
           NULL, 0, rec, rec \
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

fn report(label: &str, mut v: Vec<Duration>) -> f64 {
    v.sort();
    let p95 = pct(&v, 0.95);
    println!(
        "| {label} | {} | {:.1} | {:.1} | {:.1} |",
        v.len(),
        pct(&v, 0.5),
        p95,
        pct(&v, 0.99)
    );
    p95
}

/// A signed-in browser: the session cookie and the form token.
struct Session {
    cookie: String,
    csrf: String,
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", inzage::http::console::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

async fn sign_in(client: &reqwest::Client, base: &str, email: &str, password: &str) -> Session {
    let r = client
        .get(format!("{base}/console/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = cookies(&r).join("; ");
    let token = hidden(&r.text().await.unwrap(), "csrf");
    let r = client
        .post(format!("{base}/console/login"))
        .header("cookie", &login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "console sign-in");
    let cookie = cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("inzage_console="))
        .unwrap();
    let page = client
        .get(format!("{base}/console/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Session {
        csrf: hidden(&page, "csrf"),
        cookie,
    }
}

async fn time_page(client: &reqwest::Client, s: &Session, url: &str, n: usize) -> Vec<Duration> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = client
            .get(url)
            .header("cookie", &s.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let body = r.bytes().await.unwrap();
        assert!(!body.is_empty());
        v.push(t.elapsed());
    }
    v
}

async fn time_search(
    client: &reqwest::Client,
    s: &Session,
    url: &str,
    term: &str,
    expect: u16,
    n: usize,
) -> Vec<Duration> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = client
            .post(url)
            .header("cookie", &s.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("csrf", s.csrf.as_str()), ("q", term)]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expect, "search {term}");
        let _ = r.bytes().await.unwrap();
        v.push(t.elapsed());
    }
    v
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows = arg(&args, "--rows", 1_000_000);
    let n = arg(&args, "--iterations", 200);
    // Only the overview's lines (after a change to it).
    let overview_only = args.iter().any(|a| a == "--overview-only");
    let Some(admin) = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok()
    else {
        eprintln!("SKIPPED: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL admin URL");
        return;
    };
    let name = format!("inzage_bench_queue_{}", std::process::id());
    let mut c = PgConnection::establish(&admin).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    let env = HashMap::from([
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
    let mut worst: f64 = 0.0;
    rt.block_on(async {
        let db = open_store(&settings).await.unwrap();
        let u = url.clone();
        tokio::task::spawn_blocking(move || seed(&u, rows))
            .await
            .unwrap();
        let state = AppState::new(db, settings).unwrap();
        let st = state.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = st.db.conn().unwrap();
            for (email, role, tenant) in [
                (
                    "support@processor.example.nl",
                    inzage::domain::Role::Support,
                    None,
                ),
                (
                    "privacy@t07.example.nl",
                    inzage::domain::Role::Controller,
                    Some("t07"),
                ),
            ] {
                inzage::service::admin::create_user(
                    &mut conn,
                    inzage::service::admin::UserInput {
                        email: email.into(),
                        role,
                        tenant_slug: tenant.map(str::to_owned),
                        password: "bench password 123".into(),
                    },
                )
                .unwrap();
            }
        })
        .await
        .unwrap();
        let app = Application::build_with(state.clone()).unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let server = tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let support = sign_in(
            &client,
            &base,
            "support@processor.example.nl",
            "bench password 123",
        )
        .await;
        let controller = sign_in(
            &client,
            &base,
            "privacy@t07.example.nl",
            "bench password 123",
        )
        .await;

        println!("| measurement ({rows} requests) | runs | p50 ms | p95 ms | p99 ms |");
        println!("|---|---:|---:|---:|---:|");
        time_page(&client, &support, &format!("{base}/console/"), 5).await;
        let queue_pages = if overview_only {
            Vec::new()
        } else {
            vec![
                ("support", &support, ""),
                ("support", &support, "?status=received"),
                ("support", &support, "?status=completed"),
                ("support", &support, "?tenant=t07"),
                ("support", &support, "?tenant=t07&kind=erasure&page=3"),
                ("support", &support, "?open=true"),
                ("support", &support, "?overdue=true"),
                ("support", &support, "?channel=letter"),
                ("support", &support, "?channel=web"),
                ("support", &support, "?channel=phone&open=true"),
                ("support", &support, "?page=80"),
                ("support", &support, "?channel=letter&tenant=t07"),
                ("support", &support, "?overdue=true&channel=email"),
                ("controller t07", &controller, ""),
                ("controller t07", &controller, "?open=true"),
                ("controller t07", &controller, "?channel=letter"),
            ]
        };
        for (who, s, q) in queue_pages {
            let v = time_page(&client, s, &format!("{base}/console/{q}"), n).await;
            worst = worst.max(report(&format!("{who}: GET /console/{q}"), v));
        }
        let search = format!("{base}/console/search");
        // A reference opens its request (303); an address lists that subject's requests.
        let searches = if overview_only {
            Vec::new()
        } else {
            vec![
                ("support", &support, "DSR-2025-123457", 303),
                ("support", &support, "s123457@example.nl", 200),
                ("support", &support, "nobody@example.nl", 200),
                ("controller t07", &controller, "s123466@example.nl", 200),
            ]
        };
        for (who, s, term, status) in searches {
            let v = time_search(&client, s, &search, term, status, n).await;
            worst = worst.max(report(&format!("{who}: search {term}"), v));
        }
        // Not part of the queue's target: the overview reads every request of the period.
        println!("| **overview (not the queue's target)** | | | | |");
        for (who, s, q) in [
            ("support, all tenants, 12 weeks", &support, ""),
            ("support, all tenants, 52 weeks", &support, "?from=LAST52"),
            ("controller t07, 12 weeks", &controller, ""),
        ] {
            let q = q.replace(
                "LAST52",
                &(chrono::Utc::now().date_naive() - chrono::Duration::weeks(52)).to_string(),
            );
            let v = time_page(
                &client,
                s,
                &format!("{base}/console/overview{q}"),
                n.min(50),
            )
            .await;
            report(&format!("{who}: GET /console/overview{q}"), v);
        }
        server.abort();
    });
    println!("\nworst p95 of the queue: {worst:.1} ms (target < 100 ms)");
    let _ =
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
}
