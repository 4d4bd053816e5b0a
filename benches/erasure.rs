//! Erasure against the raw limit: a subject with N rows spread over three systems
//! (PostgreSQL, MariaDB, SQLite), erased by inzage's execution code (`tenant_data::execute`,
//! the code the `execution` job runs: lock, then batched deletes, one transaction per system)
//! in a child process whose peak memory is read from /proc, against the same DELETEs run by
//! the databases' own clients (`psql`, `mariadb`, `sqlite3`), one transaction per system.
//!
//! `cargo bench --bench erasure` with `TEST_DATABASE_URL` (PostgreSQL admin URL) and
//! `TEST_MYSQL_URL` (MariaDB); options after `--`: `--rows N[,N…]` (default 1000000). Fresh
//! databases are created, seeded twice (once for each side) and dropped. Prints a Markdown
//! table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use inzage::tenant_data::exec_sql::{Operation, plan_system};
use inzage::tenant_data::execute::{DELETE_BATCH, ExecOptions, Finish, UPDATE_BATCH, run_system};
use inzage::tenant_data::sql::Needles;
use inzage::tenant_data::{DataMap, ExportOptions, SubjectIdentities};
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

[[systems.tables]]
name = "members"
primary_key = "id"
identity = {{ email = "email" }}
on_erasure = "delete"

[[systems.tables]]
name = "activities"
primary_key = "id"
follows = [{{ column = "member_id", table = "members", references = "id" }}]
on_erasure = "delete"
"#
        ));
    }
    std::fs::write(path, toml).unwrap();
}

const RAW_DELETE: &str = "BEGIN; \
    DELETE FROM activities WHERE member_id IN (SELECT id FROM members WHERE lower(trim(email)) = 'anna@example.nl'); \
    DELETE FROM members WHERE lower(trim(email)) = 'anna@example.nl'; COMMIT;";

fn run_ok(cmd: &mut Command) {
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
}

/// The raw limit: each database's own client runs the two DELETEs in one transaction.
fn raw_limit(pg: &str, my_db: &str, lite: &Path) -> Duration {
    let start = Instant::now();
    run_ok(Command::new("psql").arg(pg).arg("-qc").arg(RAW_DELETE));
    eprintln!("  raw pg done at {:.2} s", start.elapsed().as_secs_f64());
    run_ok(Command::new("mariadb").args([
        "-h",
        "127.0.0.1",
        "-P",
        "3306",
        "-u",
        "root",
        "-D",
        my_db,
        "-e",
        RAW_DELETE,
    ]));
    eprintln!("  raw maria done at {:.2} s", start.elapsed().as_secs_f64());
    run_ok(Command::new("sqlite3").arg(lite).arg(RAW_DELETE));
    start.elapsed()
}

/// The child: erases the subject in every system of the map, as the job does.
fn child(map: &str) {
    let map = DataMap::load(Path::new(map)).unwrap();
    let needles = Needles::from_subject(&SubjectIdentities {
        emails: vec![SUBJECT.to_owned()],
        ..Default::default()
    });
    let export = ExportOptions::default();
    let hash = |v: &str| v.to_owned();
    let options = ExecOptions {
        delete_batch: DELETE_BATCH,
        update_batch: UPDATE_BATCH,
        export: &export,
        mask_hash: &hash,
    };
    let mut rows = 0;
    for system in &map.systems {
        let steps = plan_system(system, &Operation::Erase);
        let t = Instant::now();
        let mut hook = |_: &[_]| Ok(());
        let results = run_system(
            system,
            &steps,
            &needles,
            &options,
            Finish::Commit(&mut hook),
            &mut |_| {},
        )
        .unwrap();
        rows += results.iter().map(|r| r.rows).sum::<u64>();
        eprintln!(
            "  inzage {} {:.2} s",
            system.name,
            t.elapsed().as_secs_f64()
        );
    }
    println!("{rows}");
}

/// Runs the child and returns its time, peak resident memory (KiB, VmHWM) and rows deleted.
fn inzage(map: &Path) -> (Duration, u64, u64) {
    let start = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("ERASURE_BENCH_CHILD", map)
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
        "child: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let rows = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    (elapsed, peak, rows)
}

struct Dbs {
    pg_url: String,
    my_url: String,
    my_db: String,
    lite: std::path::PathBuf,
}

fn seed(pg_admin: &str, my_admin: &str, dir: &Path, name: &str, per_system: i64) -> Dbs {
    let mut pg = PgConnection::establish(pg_admin).unwrap();
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut pg)
        .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut pg)
        .unwrap();
    let pg_url = format!("{}/{name}", pg_admin.rsplit_once('/').unwrap().0);
    let mut my = mysql::Conn::new(mysql::Opts::from_url(my_admin).unwrap()).unwrap();
    my.query_drop(format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    my.query_drop(format!("CREATE DATABASE {name}")).unwrap();
    let my_url = format!("{}/{name}", my_admin.rsplit_once('/').unwrap().0);
    let lite = dir.join(format!("{name}.db"));
    let mut c = PgConnection::establish(&pg_url).unwrap();
    seed_sql("pg", per_system, |s| c.batch_execute(s).unwrap());
    c.batch_execute("ANALYZE").unwrap();
    let mut c = mysql::Conn::new(mysql::Opts::from_url(&my_url).unwrap()).unwrap();
    seed_sql("mysql", per_system, |s| c.query_drop(s).unwrap());
    c.query_drop("ANALYZE TABLE members, activities").unwrap();
    let mut c = SqliteConnection::establish(&lite.to_string_lossy()).unwrap();
    c.batch_execute("BEGIN").unwrap();
    seed_sql("sqlite", per_system, |s| c.batch_execute(s).unwrap());
    c.batch_execute("COMMIT; ANALYZE").unwrap();
    Dbs {
        pg_url,
        my_url,
        my_db: name.to_owned(),
        lite,
    }
}

fn drop_dbs(pg_admin: &str, my_admin: &str, name: &str) {
    let mut pg = PgConnection::establish(pg_admin).unwrap();
    let _ =
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut pg);
    let mut my = mysql::Conn::new(mysql::Opts::from_url(my_admin).unwrap()).unwrap();
    let _ = my.query_drop(format!("DROP DATABASE IF EXISTS {name}"));
}

fn main() {
    if let Ok(map) = std::env::var("ERASURE_BENCH_CHILD") {
        child(&map);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<i64> = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000_000]);
    let pg_admin = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .expect("TEST_DATABASE_URL (PostgreSQL admin URL)");
    let my_admin = std::env::var("TEST_MYSQL_URL").expect("TEST_MYSQL_URL (MariaDB)");
    let mut table = Vec::new();
    for &rows in &sizes {
        let per_system = rows / 3;
        let dir = tempfile::tempdir().unwrap();
        let pid = std::process::id();
        let (raw_name, our_name) = (
            format!("inzage_erase_raw_{pid}"),
            format!("inzage_erase_ours_{pid}"),
        );
        let t = Instant::now();
        let raw_dbs = seed(&pg_admin, &my_admin, dir.path(), &raw_name, per_system);
        let ours = seed(&pg_admin, &my_admin, dir.path(), &our_name, per_system);
        eprintln!(
            "seeded 2 × {rows} rows in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let raw = raw_limit(&raw_dbs.pg_url, &raw_dbs.my_db, &raw_dbs.lite);
        let map = dir.path().join("bench.toml");
        datamap(&map, &ours.pg_url, &ours.my_url, &ours.lite);
        let (elapsed, peak, deleted) = inzage(&map);
        table.push((rows, raw, elapsed, peak, deleted));
        drop_dbs(&pg_admin, &my_admin, &raw_name);
        drop_dbs(&pg_admin, &my_admin, &our_name);
    }
    println!(
        "| subject rows | raw DELETEs (psql + mariadb + sqlite3) | inzage erasure | ratio | peak RSS | rows deleted |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for (rows, raw, ours, peak, deleted) in table {
        println!(
            "| {rows} | {:.2} s | {:.2} s | {:.2} | {:.1} MiB | {deleted} |",
            raw.as_secs_f64(),
            ours.as_secs_f64(),
            ours.as_secs_f64() / raw.as_secs_f64(),
            peak as f64 / 1024.0
        );
    }
}
