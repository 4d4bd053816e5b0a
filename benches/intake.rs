//! Intake throughput and latency against the raw limit of the store.
//!
//! `cargo bench --bench intake` (PostgreSQL from `BENCH_DATABASE_URL`, else
//! `TEST_DATABASE_URL`, else SQLite only). Options after `--`: `--seconds N` per run (default 10).
//!
//! For each store: the raw limit (one request and its first event inserted by a plain diesel
//! loop, one transaction each, from 32 threads), then `POST /api/v1/requests` over HTTP at
//! concurrency 1, 8 and 32 against the real server, with p50/p99 latency. On PostgreSQL, in
//! the same run, two pgbench baselines with 32 clients, one transaction per intake, each the
//! three rows an intake writes (the request, its event, its mail):
//! - **minimal**: into three tables with a primary key only (no secondary index, no foreign
//!   key, no trigger), in a database of their own: the least a durable intake can cost;
//! - **full schema**: into inzage's own tables (every index, the counting trigger).
//!
//! Prints a Markdown table and the ratio of intake at concurrency 32 to the minimal write.
//!
//! The mail goes out as a deployment sends it: over SMTP, to a sink inside this process
//! (accepts and discards; a relay on another machine costs inzage the same), with the outbox
//! sender running (`INZAGE_RUN_JOBS=false` measures the request path alone).
//!
//! The HTTP load comes from `wrk` (a separate process, as pgbench is for the raw limit;
//! `apt-get install wrk`), else from a client inside this process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use inzage::config::Settings;
use inzage::domain::{EventKind, Language, RequestKind, Status};
use inzage::startup::{Application, open_store};
use inzage::state::AppState;
use inzage::store::events::{EventActor, NewEvent};
use inzage::store::requests::NewRequest;
use inzage::store::{Db, new_id, now, write_tx};

struct Run {
    label: String,
    rate: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
}

fn new_row(i: u64) -> (NewRequest, NewEvent) {
    let at = now();
    let day = at.date();
    let id = inzage::domain::RequestId::generate();
    let request = NewRequest {
        id: id.clone(),
        reference: format!("RAW-{}", new_id()),
        tenant_id: None,
        kind: RequestKind::Access,
        status: Status::AwaitingVerification,
        channel: "web".into(),
        language: Language::Nl,
        subject_name: format!("Bench Subject {i}"),
        subject_email: format!("bench{i}@example.nl"),
        subject_email_norm: format!("bench{i}@example.nl"),
        subject_phone: None,
        details: None,
        received_at: at,
        received_on: day,
        legal_due: day,
        promised_due: day,
        extended_due: None,
        paused_days: 0,
        paused_since: Some(day),
        identity_pending: false,
        due_at: at,
        next_reminder_at: None,
        version: 0,
        created_at: at,
        updated_at: at,
    };
    let mut event = NewEvent::new(&id, &EventActor::subject(), EventKind::Received, at);
    event.to_status = Some(Status::AwaitingVerification);
    event.public = true;
    (request, event)
}

/// The same rows, one transaction each, from `threads` threads for `secs` seconds.
fn raw_diesel(db: &Db, threads: usize, secs: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (db, done) = (db.clone(), done.clone());
            std::thread::spawn(move || {
                let mut conn = db.conn().unwrap();
                let mut i = (t as u64) << 32;
                while Instant::now() < deadline {
                    let (request, event) = new_row(i);
                    write_tx(&mut conn, |c| -> Result<(), inzage::store::StoreError> {
                        request.insert(c)?;
                        event.insert(c)
                    })
                    .unwrap();
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / secs as f64
}

/// One intake's three rows (request, event, mail) in one transaction, as pgbench runs it.
/// Every request its own address, as real intakes have (an index on one repeated value costs
/// less than on random ones).
const PGBENCH_INTAKE: &str = "\\set n random(1, 1000000000)\n\
     BEGIN;\n\
     INSERT INTO requests (id, reference, kind, status, channel, language, subject_name, subject_email, subject_email_norm, received_at, received_on, legal_due, promised_due, paused_days, paused_since, identity_pending, due_at, version, created_at, updated_at) \
     VALUES (gen_random_uuid()::text, 'PGB-' || gen_random_uuid(), 'access', 'awaiting_verification', 'web', 'nl', 'Bench Subject', 'b' || :n || '@example.nl', 'b' || :n || '@example.nl', now(), current_date, current_date, current_date, 0, current_date, false, now(), 0, now(), now()) RETURNING quote_literal(id) AS id \\gset\n\
     INSERT INTO request_events (request_id, at, actor_kind, actor_label, kind, to_status, public, data) VALUES (:id, now(), 'subject', 'subject', 'received', 'awaiting_verification', true, '{\"channel\":\"web\",\"kind\":\"access\",\"tenant\":null}');\n\
     INSERT INTO outbox (id, request_id, template, recipient, language, payload, message_id, state, attempts, next_attempt_at, created_at) VALUES (gen_random_uuid()::text, :id, 'verify_email', 'b' || :n || '@example.nl', 'nl', '{\"name\":\"Bench Subject\",\"reference\":\"DSR-2026-000001\",\"kind\":\"access\",\"verify_url\":\"https://inzage.example.nl/v/0123456789abcdef0123456789abcdef0123456789abcdef\"}', '<' || gen_random_uuid() || '@inzage>', 'pending', 0, now(), now());\n\
     COMMIT;\n";

/// The minimal schema for [`PGBENCH_INTAKE`]: the same columns, a primary key each, nothing
/// else.
const MINIMAL_SCHEMA: &str = "\
    CREATE TABLE requests (id TEXT PRIMARY KEY, reference TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, channel TEXT NOT NULL, language TEXT NOT NULL, subject_name TEXT NOT NULL, subject_email TEXT NOT NULL, subject_email_norm TEXT NOT NULL, received_at TIMESTAMP NOT NULL, received_on DATE NOT NULL, legal_due DATE NOT NULL, promised_due DATE NOT NULL, paused_days INTEGER NOT NULL, paused_since DATE, identity_pending BOOLEAN NOT NULL, due_at TIMESTAMP NOT NULL, version INTEGER NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);\
    CREATE TABLE request_events (id BIGSERIAL PRIMARY KEY, request_id TEXT NOT NULL, at TIMESTAMP NOT NULL, actor_kind TEXT NOT NULL, actor_label TEXT NOT NULL, kind TEXT NOT NULL, to_status TEXT, public BOOLEAN NOT NULL, data TEXT);\
    CREATE TABLE outbox (id TEXT PRIMARY KEY, request_id TEXT, template TEXT NOT NULL, recipient TEXT NOT NULL, language TEXT NOT NULL, payload TEXT NOT NULL, message_id TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TIMESTAMP NOT NULL, created_at TIMESTAMP NOT NULL);";

/// pgbench, 32 clients, one intake's rows per transaction.
fn raw_pgbench(url: &str, secs: u64) -> Option<f64> {
    let script = std::env::temp_dir().join(format!("inzage-bench-{}.sql", std::process::id()));
    std::fs::write(&script, PGBENCH_INTAKE).ok()?;
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-c", "32", "-j", "2", "-T", &secs.to_string(), "-f"])
        .arg(&script)
        .arg(url)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| {
            l.trim_start_matches("tps = ")
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
}

/// [`raw_pgbench`] against [`MINIMAL_SCHEMA`] in a fresh database on the same server.
fn minimal_pgbench(admin: &str, secs: u64) -> Option<f64> {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};
    let name = format!("inzage_bench_minimal_{}", std::process::id());
    let mut c = diesel::PgConnection::establish(admin).ok()?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut c)
        .ok()?;
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .ok()?;
    let url = format!("{}/{name}", admin.rsplit_once('/')?.0);
    diesel::PgConnection::establish(&url)
        .ok()?
        .batch_execute(MINIMAL_SCHEMA)
        .ok()?;
    let tps = raw_pgbench(&url, secs);
    let _ =
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    tps
}

/// An SMTP server on 127.0.0.1 that accepts every message and discards it (what a relay on
/// another machine looks like to inzage). Returns its port and the messages accepted.
async fn smtp_sink() -> (u16, Arc<AtomicU64>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut line = String::new();
                let mut in_data = false;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let reply: &[u8] = if in_data {
                        if line != ".\r\n" {
                            continue;
                        }
                        in_data = false;
                        count.fetch_add(1, Ordering::Relaxed);
                        b"250 2.0.0 queued\r\n"
                    } else {
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 OK\r\n",
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, accepted)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

/// The HTTP load from wrk, a separate process (as pgbench is for the raw limit), with a Lua
/// script that gives every request its own address.
fn wrk_load(base: &str, concurrency: usize, secs: u64) -> Option<Run> {
    let script = std::env::temp_dir().join(format!("inzage-intake-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        r#"counter = 0
request = function()
  counter = counter + 1
  local body = '{"kind":"access","subject":{"name":"Bench Subject","email":"b' .. counter .. 'x' .. math.random(1, 1000000000) .. '@example.nl"}}'
  return wrk.format("POST", "/api/v1/requests", {["Content-Type"] = "application/json"}, body)
end
"#,
    )
    .ok()?;
    let threads = concurrency.min(2).to_string();
    let out = std::process::Command::new("wrk")
        .args([
            "-t",
            &threads,
            "-c",
            &concurrency.to_string(),
            "-d",
            &format!("{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(base)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "intake answered errors under load:\n{text}"
    );
    let ms = |label: &str| -> Option<f64> {
        let v = text
            .lines()
            .find(|l| l.trim_start().starts_with(label))?
            .split_whitespace()
            .nth(1)?
            .to_owned();
        if let Some(x) = v.strip_suffix("ms") {
            x.parse().ok()
        } else if let Some(x) = v.strip_suffix("us") {
            x.parse::<f64>().ok().map(|x| x / 1000.0)
        } else {
            v.strip_suffix('s')?.parse::<f64>().ok().map(|x| x * 1000.0)
        }
    };
    let rate = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(Run {
        label: format!("HTTP intake (wrk), concurrency {concurrency}"),
        rate,
        p50_ms: ms("50%"),
        p99_ms: ms("99%"),
    })
}

async fn http_load(base: &str, concurrency: usize, secs: u64) -> Run {
    let b = base.to_owned();
    if let Some(run) = tokio::task::spawn_blocking(move || wrk_load(&b, concurrency, secs))
        .await
        .unwrap()
    {
        return run;
    }
    eprintln!("wrk not found (apt-get install wrk): the load comes from this process");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let (client, url) = (client.clone(), format!("{base}/api/v1/requests"));
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let body = serde_json::json!({"kind": "access", "subject": {"name": format!("Bench {w} {i}"), "email": format!("b{w}x{i}@example.nl")}});
                    let t = Instant::now();
                    let r = client.post(&url).json(&body).send().await.unwrap();
                    assert_eq!(r.status(), 201);
                    let _ = r.bytes().await;
                    lat.push(t.elapsed());
                    i += 1;
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    Run {
        label: format!("HTTP intake, concurrency {concurrency}"),
        rate: all.len() as f64 / secs as f64,
        p50_ms: Some(percentile(&all, 0.50)),
        p99_ms: Some(percentile(&all, 0.99)),
    }
}

fn settings(url: &str, dir: &std::path::Path, smtp_port: u16) -> Settings {
    let env = std::collections::HashMap::from([
        (
            "INZAGE_SMTP_URL".to_owned(),
            format!("smtp://127.0.0.1:{smtp_port}"),
        ),
        ("INZAGE_DATABASE_URL".to_owned(), url.to_owned()),
        ("INZAGE_BIND".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "INZAGE_DATA_DIR".to_owned(),
            dir.join("var").display().to_string(),
        ),
        (
            "INZAGE_SECRET_KEY".to_owned(),
            "bench-secret-bench-secret-bench-secret".to_owned(),
        ),
        ("INZAGE_LOG".to_owned(), "error".to_owned()),
        // The benchmark files thousands of public requests from 127.0.0.1.
        ("INZAGE_RATE_LIMIT_PER_IP".to_owned(), "0".to_owned()),
        ("INZAGE_RATE_LIMIT_PER_EMAIL".to_owned(), "0".to_owned()),
        (
            "INZAGE_RUN_JOBS".to_owned(),
            std::env::var("INZAGE_RUN_JOBS").unwrap_or_else(|_| "true".to_owned()),
        ),
        (
            "INZAGE_DB_POOL_SIZE".to_owned(),
            std::env::var("INZAGE_DB_POOL_SIZE").unwrap_or_else(|_| "16".to_owned()),
        ),
    ]);
    Settings::load_from(None, &|k| env.get(k).cloned()).unwrap()
}

async fn bench_store(
    name: &str,
    url: &str,
    admin: Option<&str>,
    dir: &std::path::Path,
    secs: u64,
) -> Vec<Run> {
    let (smtp_port, mails) = smtp_sink().await;
    let s = settings(url, dir, smtp_port);
    let db = open_store(&s).await.unwrap();
    let mut runs = Vec::new();
    // Its own pool: one connection per thread, for the whole run.
    let raw_db = Db::connect(url, 32).unwrap();
    let raw = tokio::task::spawn_blocking(move || raw_diesel(&raw_db, 32, secs))
        .await
        .unwrap();
    runs.push(Run {
        label: "raw: diesel loop, 32 threads, 1 tx per row pair".into(),
        rate: raw,
        p50_ms: None,
        p99_ms: None,
    });
    if let Some(admin) = admin.filter(|_| name == "postgres") {
        let a = admin.to_owned();
        if let Some(tps) = tokio::task::spawn_blocking(move || minimal_pgbench(&a, secs))
            .await
            .unwrap()
        {
            runs.push(Run {
                label: MINIMAL.into(),
                rate: tps,
                p50_ms: None,
                p99_ms: None,
            });
        }
        let u = url.to_owned();
        if let Some(tps) = tokio::task::spawn_blocking(move || raw_pgbench(&u, secs))
            .await
            .unwrap()
        {
            runs.push(Run {
                label: "raw: pgbench, 32 clients, request + event + mail, full schema".into(),
                rate: tps,
                p50_ms: None,
                p99_ms: None,
            });
        }
    }
    // The raw runs leave rows the server must not meet: open requests the one-off deadline
    // recomputation would rewrite and mail with no readable payload that the sender would
    // work through, both during the measured runs. The HTTP runs start from empty tables.
    clear_intakes(&db);
    let store = db.clone();
    let state = AppState::new(db, s).unwrap();
    let groups = state.metrics.intake_group.clone();
    let app = Application::build_with(state).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    for c in [1, 8, 32] {
        runs.push(http_load(&base, c, secs).await);
    }
    // The mail the intakes queued: how fast the sender works the backlog off once the load
    // stops (a flood of intakes takes the cores; mail follows after).
    let before = pending_mail(&store).await;
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let after = pending_mail(&store).await;
    runs.push(Run {
        label: format!("outbox sender after the load, SMTP ({before} mails waiting)"),
        rate: (before - after) as f64 / t.elapsed().as_secs_f64(),
        p50_ms: None,
        p99_ms: None,
    });
    server.abort();
    eprintln!(
        "{name}: {} public intakes in {} commits (group commit: {:.1} per commit on average)",
        groups.get_sample_sum(),
        groups.get_sample_count(),
        groups.get_sample_sum() / (groups.get_sample_count().max(1) as f64)
    );
    eprintln!(
        "{name}: {} mails accepted by the SMTP sink",
        mails.load(Ordering::Relaxed)
    );
    runs
}

/// Mail not yet sent.
async fn pending_mail(db: &Db) -> i64 {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    use inzage::store::schema::outbox;
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().unwrap();
        outbox::table
            .filter(outbox::state.eq("pending"))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap()
}

/// Empties what intakes write, so the server starts as on a fresh installation.
fn clear_intakes(db: &Db) {
    use diesel::RunQueryDsl;
    let mut conn = db.conn().unwrap();
    let statements: &[&str] = if db.is_postgres() {
        &[
            "TRUNCATE requests, request_events, outbox, idempotency_keys, request_counts, reminders CASCADE",
        ]
    } else {
        &[
            "DELETE FROM request_events",
            "DELETE FROM outbox",
            "DELETE FROM idempotency_keys",
            "DELETE FROM reminders",
            "DELETE FROM requests",
            "DELETE FROM request_counts",
        ]
    };
    for sql in statements {
        diesel::sql_query(*sql).execute(&mut *conn).unwrap();
    }
}

const MINIMAL: &str = "minimal: pgbench, 32 clients, request + event + mail, primary keys only";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(10u64);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let only = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|i| args.get(i + 1))
            .cloned();
        let mut report = Vec::new();
        if only.as_deref().is_none_or(|o| o == "sqlite") {
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            report.push((
                "sqlite",
                bench_store("sqlite", &url, None, dir.path(), secs).await,
            ));
        }
        let pg = std::env::var("BENCH_DATABASE_URL")
            .or_else(|_| std::env::var("TEST_DATABASE_URL"))
            .ok();
        if let Some(admin) = pg.filter(|_| only.as_deref().is_none_or(|o| o == "postgres")) {
            use diesel::{Connection, RunQueryDsl};
            let name = format!("inzage_bench_{}", std::process::id());
            let mut c = diesel::PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut c)
                .unwrap();
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .unwrap();
            let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
            report.push((
                "postgres",
                bench_store("postgres", &url, Some(&admin), dir.path(), secs).await,
            ));
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut c)
                .unwrap();
        } else {
            eprintln!("SKIPPED PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL");
        }
        println!("| store | run | rows or requests/s | p50 ms | p99 ms |");
        println!("|---|---|---:|---:|---:|");
        for (store, runs) in &report {
            for r in runs {
                let ms =
                    |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into());
                println!(
                    "| {store} | {} | {:.0} | {} | {} |",
                    r.label,
                    r.rate,
                    ms(r.p50_ms),
                    ms(r.p99_ms)
                );
            }
            let raw = runs
                .iter()
                .filter(|r| r.label.starts_with("raw"))
                .map(|r| r.rate)
                .fold(0.0, f64::max);
            if let Some(c32) = runs.iter().find(|r| r.label.ends_with("concurrency 32")) {
                if let Some(min) = runs.iter().find(|r| r.label == MINIMAL) {
                    println!(
                        "| {store} | ratio intake(32) / minimal write | {:.2} | | |",
                        c32.rate / min.rate
                    );
                }
                println!(
                    "| {store} | ratio intake(32) / best raw on the full schema | {:.2} | | |",
                    c32.rate / raw
                );
            }
        }
    });
}
