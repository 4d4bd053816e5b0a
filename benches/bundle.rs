//! Bundle compilation against the raw limit: a subject with N rows spread over three systems
//! (PostgreSQL, MariaDB, SQLite), compiled by `inzage export` (the release binary, one
//! process, peak memory read from /proc), and the same rows dumped by the databases' own
//! clients (`psql \copy … csv`, `mariadb --batch`, `sqlite3 -csv`) plus `zip` of the files.
//!
//! `cargo bench --bench bundle` with `TEST_DATABASE_URL` (PostgreSQL admin URL) and
//! `TEST_MYSQL_URL` (MariaDB); options after `--`: `--rows N[,N…]` (default 100000,1000000).
//! Fresh databases are created and dropped. Prints a Markdown table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use inzage::auth::Principal;
use inzage::config::Settings;
use inzage::domain::{Channel, Language, RequestKind, Role, SubjectEmail, SubjectName};
use inzage::service::admin::{TenantInput, UserInput, create_tenant, create_user, principal_for};
use inzage::service::intake::{Intake, file};
use inzage::startup::open_store;
use inzage::state::AppState;
use mysql::prelude::Queryable;

const SUBJECT: &str = "anna@example.nl";
/// Members per system: the subject and others whose rows must not come along.
const MEMBERS: i64 = 50;

/// The subject's rows in one system: `rows` activities (plus 10 % of other members' rows).
fn activity_sql(i: i64, member: i64, dialect: &str) -> String {
    let ts = match dialect {
        "mysql" => format!("TIMESTAMPADD(SECOND, {i}, '2024-01-01 00:00:00')"),
        "sqlite" => format!("datetime('2024-01-01', '+{i} seconds')"),
        _ => format!("TIMESTAMP '2024-01-01' + INTERVAL '{i} seconds'"),
    };
    // A device token that does not repeat, so the text compresses like real data does.
    let token = (i as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17);
    format!(
        "({i}, {member}, 'login', {}.{:02}, {ts}, 'Ingelogd via de app, apparaat {token:016x}')",
        i % 1000,
        i % 100,
    )
}

fn seed_sql(dialect: &str, rows: i64, mut exec: impl FnMut(&str)) {
    let num = if dialect == "sqlite" {
        "NUMERIC"
    } else {
        "DECIMAL(10,2)"
    };
    let ts = if dialect == "pg" {
        "TIMESTAMP"
    } else {
        "DATETIME"
    };
    exec(&format!(
        "CREATE TABLE members (id BIGINT PRIMARY KEY, email VARCHAR(200) NOT NULL, name VARCHAR(200) NOT NULL, password_hash VARCHAR(200));
         CREATE TABLE activities (id BIGINT PRIMARY KEY, member_id BIGINT NOT NULL, kind VARCHAR(40) NOT NULL, amount {num}, happened_at {ts}, note VARCHAR(200));
         CREATE INDEX activities_member ON activities (member_id);"
    ));
    let mut members = Vec::new();
    for m in 1..=MEMBERS {
        let email = if m == 1 {
            SUBJECT.to_owned()
        } else {
            format!("member{m}@example.nl")
        };
        members.push(format!("({m}, '{email}', 'Member {m}', 'secret')"));
    }
    exec(&format!("INSERT INTO members VALUES {}", members.join(",")));
    let total = rows + rows / 10;
    let mut i = 1;
    while i <= total {
        let end = (i + 5000).min(total + 1);
        let values: Vec<String> = (i..end)
            .map(|k| {
                // every 11th row is another member's
                let member = if k % 11 == 0 {
                    2 + k % (MEMBERS - 1)
                } else {
                    1
                };
                activity_sql(k, member, dialect)
            })
            .collect();
        exec(&format!(
            "INSERT INTO activities VALUES {}",
            values.join(",")
        ));
        i = end;
    }
}

const SUBJECT_ROWS: &str = "SELECT a.* FROM activities a WHERE a.member_id IN \
     (SELECT m.id FROM members m WHERE lower(trim(m.email)) = 'anna@example.nl') ORDER BY a.id";
const SUBJECT_MEMBER: &str =
    "SELECT id, email, name FROM members m WHERE lower(trim(m.email)) = 'anna@example.nl'";

fn datamap(path: &Path, pg: &str, my: &str, lite: &Path) {
    let mut toml = String::from("tenant = \"bench\"\n");
    for (name, url) in [
        ("pg", pg.to_owned()),
        ("maria", my.to_owned()),
        ("lite", format!("sqlite://{}", lite.display())),
    ] {
        toml.push_str(&format!(
            r#"
[[systems]]
name = "{name}"
url = "{url}"
description = "System {name}"

[[systems.tables]]
name = "members"
primary_key = "id"
identity = {{ email = "email" }}
exclude = ["password_hash"]
category = "Contact details"

[[systems.tables]]
name = "activities"
primary_key = "id"
follows = [{{ column = "member_id", table = "members", references = "id" }}]
category = "Usage"
"#
        ));
    }
    std::fs::write(path, toml).unwrap();
}

fn timed(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

/// The raw limit: the clients dump the subject's rows to CSV, then `zip` packs them.
fn raw_limit(dir: &Path, pg: &str, my: (&str, &str), lite: &Path) -> Duration {
    let out = dir.join("raw");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let start = Instant::now();
    for (table, q) in [("members", SUBJECT_MEMBER), ("activities", SUBJECT_ROWS)] {
        let f = out.join(format!("pg_{table}.csv"));
        timed(
            Command::new("psql")
                .arg(pg)
                .arg("-qc")
                .arg(format!("\\copy ({q}) TO '{}' CSV HEADER", f.display())),
        );
        let f = std::fs::File::create(out.join(format!("maria_{table}.tsv"))).unwrap();
        let status = Command::new("mariadb")
            .args([
                "-h",
                "127.0.0.1",
                "-P",
                "3306",
                "-u",
                "root",
                "--batch",
                "--quick",
                "-D",
                my.1,
                "-e",
                q,
            ])
            .stdout(f)
            .status()
            .unwrap();
        assert!(status.success());
        let f = std::fs::File::create(out.join(format!("lite_{table}.csv"))).unwrap();
        let status = Command::new("sqlite3")
            .args(["-csv", "-header"])
            .arg(lite)
            .arg(q)
            .stdout(f)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let _ = my.0;
    timed(
        Command::new("zip")
            .current_dir(&out)
            .args(["-q", "-r", "../raw.zip", "."]),
    );
    start.elapsed()
}

/// Runs `inzage export` and returns its time and peak resident memory (KiB, VmHWM).
fn export(env: &[(String, String)], reference: &str, out: &Path) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args(["export", "--request", reference, "--out"])
        .arg(out)
        .envs(env.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status)
            && let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("0")
                .parse()
                .unwrap_or(0);
            peak = peak.max(kib);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("  {}", String::from_utf8_lossy(&out.stdout).trim());
    (elapsed, peak)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<i64> = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000]);
    let pg_admin = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .expect("TEST_DATABASE_URL (PostgreSQL admin URL)");
    let my_admin = std::env::var("TEST_MYSQL_URL").expect("TEST_MYSQL_URL (MariaDB)");
    let mut table = Vec::new();
    for &rows in &sizes {
        // each system holds a third of the subject's rows
        let per_system = rows / 3;
        let dir = tempfile::tempdir().unwrap();
        let db = format!("inzage_bundle_bench_{}", std::process::id());
        let mut pg = PgConnection::establish(&pg_admin).unwrap();
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&mut pg)
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {db}"))
            .execute(&mut pg)
            .unwrap();
        let pg_url = format!("{}/{db}", pg_admin.rsplit_once('/').unwrap().0);
        let mut my = mysql::Conn::new(mysql::Opts::from_url(&my_admin).unwrap()).unwrap();
        my.query_drop(format!("DROP DATABASE IF EXISTS {db}"))
            .unwrap();
        my.query_drop(format!("CREATE DATABASE {db}")).unwrap();
        let my_url = format!("{}/{db}", my_admin.rsplit_once('/').unwrap().0);
        let lite = dir.path().join("lite.db");

        let t = Instant::now();
        let mut c = PgConnection::establish(&pg_url).unwrap();
        seed_sql("pg", per_system, |s| c.batch_execute(s).unwrap());
        c.batch_execute("ANALYZE").unwrap();
        let mut c = mysql::Conn::new(mysql::Opts::from_url(&my_url).unwrap()).unwrap();
        seed_sql("mysql", per_system, |s| c.query_drop(s).unwrap());
        let mut c = SqliteConnection::establish(&lite.to_string_lossy()).unwrap();
        c.batch_execute("BEGIN").unwrap();
        seed_sql("sqlite", per_system, |s| c.batch_execute(s).unwrap());
        c.batch_execute("COMMIT").unwrap();
        eprintln!("seeded {rows} rows in {:.1} s", t.elapsed().as_secs_f64());

        let map = dir.path().join("bench.toml");
        datamap(&map, &pg_url, &my_url, &lite);
        let env: Vec<(String, String)> = vec![
            (
                "INZAGE_DATABASE_URL".into(),
                format!("sqlite://{}", dir.path().join("inzage.db").display()),
            ),
            (
                "INZAGE_DATA_DIR".into(),
                dir.path().join("var").display().to_string(),
            ),
            (
                "INZAGE_SECRET_KEY".into(),
                "bench-secret-bench-secret-bench-secret".into(),
            ),
            ("INZAGE_LOG".into(), "error".into()),
        ];
        let reference = {
            let lookup: std::collections::HashMap<String, String> = env.iter().cloned().collect();
            let settings = Settings::load_from(None, &|k| lookup.get(k).cloned()).unwrap();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let store = rt.block_on(open_store(&settings)).unwrap();
            let state = AppState::new(store, settings).unwrap();
            let mut conn = state.db.conn().unwrap();
            create_tenant(
                &mut conn,
                TenantInput {
                    slug: "bench".into(),
                    name: "Bench BV".into(),
                    contact_email: "privacy@bench.example.nl".into(),
                    language: Language::Nl,
                    datamap_path: Some(map.display().to_string()),
                    id_document_required: false,
                    sector: Default::default(),
                },
            )
            .unwrap();
            let admin = create_user(
                &mut conn,
                UserInput {
                    email: "admin@bench.example.nl".into(),
                    role: Role::Admin,
                    tenant_slug: None,
                    password: "bench password bench password".into(),
                },
            )
            .unwrap();
            let staff: Principal = principal_for(&mut conn, &admin.id).unwrap().unwrap();
            let filed = file(
                &mut conn,
                &state,
                Intake {
                    tenant_slug: Some("bench".into()),
                    kind: RequestKind::Portability,
                    name: SubjectName::parse("Anna de Vries").unwrap(),
                    email: SubjectEmail::parse(SUBJECT).unwrap(),
                    phone: None,
                    details: None,
                    language: Language::Nl,
                    channel: Channel::Email,
                    received_at: chrono::Utc::now(),
                    staff: Some(staff),
                    idempotency: None,
                },
            )
            .unwrap();
            filed.request.reference
        };

        let raw = raw_limit(dir.path(), &pg_url, (&my_url, &db), &lite);
        let out = dir.path().join("bundle.zip");
        let (ours, peak_kib) = export(&env, &reference, &out);
        let raw_bytes = std::fs::metadata(dir.path().join("raw.zip")).unwrap().len();
        let our_bytes = std::fs::metadata(&out).unwrap().len();
        table.push((rows, raw, raw_bytes, ours, our_bytes, peak_kib));

        if std::env::var_os("BENCH_KEEP").is_some() {
            // For profiling: keep the databases and print how to run the export again.
            let dir = dir.keep();
            let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            eprintln!(
                "kept {}: {} inzage export --request {reference} --out /tmp/x.zip",
                dir.display(),
                vars.join(" ")
            );
            continue;
        }
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&mut pg)
            .unwrap();
        my.query_drop(format!("DROP DATABASE IF EXISTS {db}"))
            .unwrap();
    }
    println!(
        "| subject rows | raw limit (clients + zip) | raw zip | inzage export | bundle zip | ratio | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (rows, raw, raw_bytes, ours, our_bytes, peak) in table {
        println!(
            "| {rows} | {:.2} s | {:.1} MiB | {:.2} s | {:.1} MiB | {:.2} | {:.1} MiB |",
            raw.as_secs_f64(),
            raw_bytes as f64 / 1048576.0,
            ours.as_secs_f64(),
            our_bytes as f64 / 1048576.0,
            ours.as_secs_f64() / raw.as_secs_f64(),
            peak as f64 / 1024.0
        );
    }
}
