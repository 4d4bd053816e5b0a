//! What `benches/deadlines.rs` and `benches/console_queue.rs` share: a fresh PostgreSQL
//! database seeded in bulk with a processor's history of requests, the real server on it with
//! its staff, the command-line options and the latency table.
//!
//! Included by each of them with `#[path = "support/pg_server.rs"] mod pg_server;` (a file
//! below `benches/support/` is not a bench target of its own).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use inzage::config::Settings;
use inzage::domain::Role;
use inzage::service::admin::{UserInput, create_user};
use inzage::startup::{Application, open_store};
use inzage::state::AppState;

/// The password of every user the bench makes.
pub const PASSWORD: &str = "bench password 123";

/// The options after `--` both benches take: `--rows N` (default 1,000,000) and
/// `--iterations N` per measurement (default 200).
pub struct Options {
    pub rows: usize,
    pub iterations: usize,
}

impl Options {
    pub fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        Self {
            rows: arg(&args, "--rows", 1_000_000),
            iterations: arg(&args, "--iterations", 200),
        }
    }
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A fresh database on the PostgreSQL server, dropped by [`BenchDb::drop_database`].
pub struct BenchDb {
    admin: PgConnection,
    name: String,
    pub url: String,
}

impl BenchDb {
    /// `inzage_bench_{what}_{pid}` on the server of `BENCH_DATABASE_URL` or
    /// `TEST_DATABASE_URL`; `None` (and a loud skip) without either.
    pub fn create(what: &str) -> Option<Self> {
        let Some(admin) = std::env::var("BENCH_DATABASE_URL")
            .or_else(|_| std::env::var("TEST_DATABASE_URL"))
            .ok()
        else {
            eprintln!(
                "SKIPPED: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL admin URL"
            );
            return None;
        };
        let name = format!("inzage_bench_{what}_{}", std::process::id());
        let mut c = PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        Some(Self {
            admin: c,
            name,
            url,
        })
    }

    pub fn drop_database(mut self) {
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut self.admin);
    }
}

/// The server's settings on `url`: no job workers (the bench runs what it measures itself).
pub fn settings(url: &str, dir: &std::path::Path) -> Settings {
    let env = HashMap::from([
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
        ("INZAGE_RUN_JOBS".to_owned(), "false".to_owned()),
        (
            "INZAGE_SUPPORT_EMAIL".to_owned(),
            "support@processor.example.nl".to_owned(),
        ),
    ]);
    Settings::load_from(None, &|k| env.get(k).cloned()).unwrap()
}

/// What sets one bench's requests apart, as SQL expressions over the row number `i`, whether
/// it is `open` and when it was received (`rec`).
pub struct Shape {
    /// The digits of the reference (after `DSR-{year}-`).
    pub reference_number: &'static str,
    pub channel: &'static str,
    pub next_reminder_at: &'static str,
}

/// Seeds `rows` requests shaped like a processor's history: 20 tenants (`t01` … `t20`),
/// received over three years, 96 % closed; the open 4 % (every 25th) within the last 60
/// days, every 200th of those paused.
pub fn seed(url: &str, rows: usize, shape: &Shape) {
    let Shape {
        reference_number,
        channel,
        next_reminder_at,
    } = shape;
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
    diesel::sql_query(format!(
        "INSERT INTO requests (id, reference, tenant_id, kind, status, channel, language, subject_name, subject_email, \
           subject_email_norm, received_at, received_on, legal_due, promised_due, paused_days, paused_since, \
           identity_pending, due_at, closed_at, next_reminder_at, version, created_at, updated_at) \
         SELECT 'r' || i, 'DSR-' || (2024 + i % 3) || '-' || {reference_number}, 'tid-' || (1 + i % 20), \
           (ARRAY['access','rectification','erasure','restriction','portability','objection','automated_decision'])[1 + i % 7], \
           CASE WHEN open THEN (ARRAY['received','forwarded','acknowledged','in_progress'])[1 + (i / 25) % 4] \
                ELSE (ARRAY['completed','completed','completed','refused','withdrawn'])[1 + i % 5] END, \
           {channel}, \
           'nl', 'Subject ' || i, 's' || i || '@example.nl', 's' || i || '@example.nl', \
           rec, rec::date, rec::date + 31, rec::date + 28, 0, \
           CASE WHEN open AND i % 200 = 0 THEN rec::date + 3 END, false, \
           rec::date + 28 + time '23:59:59', \
           CASE WHEN open THEN NULL ELSE rec + interval '20 days' END, \
           {next_reminder_at}, 0, rec, rec \
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

/// The running server: its address and its task.
pub struct Server {
    pub base: String,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Opens the store (migrating it), seeds it, makes the staff users `(email, role,
    /// tenant)` with [`PASSWORD`], and starts the server; with the state it shares.
    pub async fn start(
        settings: Settings,
        seed: impl FnOnce() + Send + 'static,
        users: &[(&str, Role, Option<&str>)],
    ) -> (Self, AppState) {
        let db = open_store(&settings).await.unwrap();
        tokio::task::spawn_blocking(seed).await.unwrap();
        let state = AppState::new(db, settings).unwrap();
        let st = state.clone();
        let users: Vec<UserInput> = users
            .iter()
            .map(|(email, role, tenant)| UserInput {
                email: (*email).into(),
                role: *role,
                tenant_slug: tenant.map(str::to_owned),
                password: PASSWORD.into(),
            })
            .collect();
        tokio::task::spawn_blocking(move || {
            let mut conn = st.db.conn().unwrap();
            for user in users {
                create_user(&mut conn, user).unwrap();
            }
        })
        .await
        .unwrap();
        let app = Application::build_with(state.clone()).unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let task = tokio::spawn(app.run_until_stopped());
        (Self { base, task }, state)
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Prints one line of the latency table (`| label | runs | p50 | p95 | p99 |`, ms); its p95.
pub fn report(label: &str, mut v: Vec<Duration>) -> f64 {
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
