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
use inzage::domain::Role;

#[path = "support/pg_server.rs"]
mod pg_server;
use pg_server::{BenchDb, Options, PASSWORD, Server, Shape, report, seed, settings};

/// The deadline list's shape: every open request but the paused has a reminder pending (19
/// days after receipt, 07:00), so the sweep has work.
const SHAPE: Shape = Shape {
    reference_number: "lpad(i::text, 7, '0')",
    channel: "'web'",
    next_reminder_at: "CASE WHEN open AND i % 200 <> 0 AND rec::date + 19 > current_date \
        THEN rec::date + 19 + time '07:00' END",
};

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
    let Options {
        rows,
        iterations: n,
    } = Options::from_args();
    let Some(db) = BenchDb::create("deadlines") else {
        return;
    };
    let url = db.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(&url, dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let u = url.clone();
        let (server, state) = Server::start(
            settings,
            move || seed(&u, rows, &SHAPE),
            &[("bench@processor.example.nl", Role::Admin, None)],
        )
        .await;
        let base = server.base.clone();
        let client = reqwest::Client::new();
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"email": "bench@processor.example.nl", "password": PASSWORD}))
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
        server.stop();
    });
    db.drop_database();
}
