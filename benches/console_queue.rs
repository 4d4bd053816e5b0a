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

use std::time::{Duration, Instant};

use inzage::domain::Role;

#[path = "support/pg_server.rs"]
mod pg_server;
use pg_server::{BenchDb, Options, PASSWORD, Server, Shape, report, seed, settings};

/// The queue's shape: channels web 70 %, e-mail 15 %, letter 8 %, phone 5 %, API 2 %; no
/// reminder pending.
const SHAPE: Shape = Shape {
    reference_number: "lpad(i::text, greatest(6, length(i::text)), '0')",
    channel: "CASE WHEN i % 100 < 70 THEN 'web' WHEN i % 100 < 85 THEN 'email' \
        WHEN i % 100 < 93 THEN 'letter' WHEN i % 100 < 98 THEN 'phone' ELSE 'api' END",
    next_reminder_at: "NULL",
};

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
    let Options {
        rows,
        iterations: n,
    } = Options::from_args();
    // Only the overview's lines (after a change to it).
    let overview_only = std::env::args().any(|a| a == "--overview-only");
    let Some(db) = BenchDb::create("queue") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(&db.url, dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut worst: f64 = 0.0;
    rt.block_on(async {
        let u = db.url.clone();
        let (server, _) = Server::start(
            settings,
            move || seed(&u, rows, &SHAPE),
            &[
                ("support@processor.example.nl", Role::Support, None),
                ("privacy@t07.example.nl", Role::Controller, Some("t07")),
            ],
        )
        .await;
        let base = server.base.clone();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let support = sign_in(&client, &base, "support@processor.example.nl", PASSWORD).await;
        let controller = sign_in(&client, &base, "privacy@t07.example.nl", PASSWORD).await;

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
        server.stop();
    });
    println!("\nworst p95 of the queue: {worst:.1} ms (target < 100 ms)");
    db.drop_database();
}
