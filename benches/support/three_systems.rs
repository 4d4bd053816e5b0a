//! What `benches/bundle.rs` and `benches/erasure.rs` share: one subject's rows spread over three
//! fresh tenant systems (PostgreSQL, MariaDB, SQLite), their data map, the command-line
//! options and the clients and child processes they time.
//!
//! Included by each of them with `#[path = "support/three_systems.rs"] mod three_systems;`
//! (a file below `benches/support/` is not a bench target of its own).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use mysql::prelude::Queryable;

pub const SUBJECT: &str = "anna@example.nl";
/// Members per system: the subject and others whose rows must not come along.
const MEMBERS: i64 = 50;

/// `--rows N[,N…]` after `--`, else `default`.
pub fn sizes(default: &[i64]) -> Vec<i64> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// The PostgreSQL and MariaDB admin URLs (`BENCH_DATABASE_URL` or `TEST_DATABASE_URL`, and
/// `TEST_MYSQL_URL`).
pub fn admin_urls() -> (String, String) {
    let pg_admin = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .expect("TEST_DATABASE_URL (PostgreSQL admin URL)");
    let my_admin = std::env::var("TEST_MYSQL_URL").expect("TEST_MYSQL_URL (MariaDB)");
    (pg_admin, my_admin)
}

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

/// Three fresh systems of one name: PostgreSQL and MariaDB databases, a SQLite file.
pub struct Dbs {
    pub name: String,
    pub pg_url: String,
    pub my_url: String,
    pub lite: PathBuf,
}

impl Dbs {
    /// Creates the databases `name` (dropping any left over) and `dir/{name}.db`, and seeds
    /// each with the subject's `per_system` rows among other members'. PostgreSQL's
    /// statistics are brought up to date after the seed; MariaDB's and SQLite's too with
    /// `analyze_all`.
    pub fn seed(
        (pg_admin, my_admin): (&str, &str),
        dir: &Path,
        name: &str,
        per_system: i64,
        analyze_all: bool,
    ) -> Self {
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
        if analyze_all {
            c.query_drop("ANALYZE TABLE members, activities").unwrap();
        }
        let mut c = SqliteConnection::establish(&lite.to_string_lossy()).unwrap();
        c.batch_execute("BEGIN").unwrap();
        seed_sql("sqlite", per_system, |s| c.batch_execute(s).unwrap());
        c.batch_execute("COMMIT").unwrap();
        if analyze_all {
            c.batch_execute("ANALYZE").unwrap();
        }
        Self {
            name: name.to_owned(),
            pg_url,
            my_url,
            lite,
        }
    }

    /// Drops the PostgreSQL and MariaDB databases (the SQLite file goes with its folder).
    pub fn drop_all(&self, (pg_admin, my_admin): (&str, &str)) {
        let name = &self.name;
        let mut pg = PgConnection::establish(pg_admin).unwrap();
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut pg);
        let mut my = mysql::Conn::new(mysql::Opts::from_url(my_admin).unwrap()).unwrap();
        let _ = my.query_drop(format!("DROP DATABASE IF EXISTS {name}"));
    }

    /// Writes the data map of the three systems (`pg`, `maria`, `lite`) to `path`:
    /// `members` found by the subject's address, `activities` following them. `system`
    /// gives a system's own keys from its name; `members` and `activities` are the keys the
    /// bench adds to those tables.
    pub fn datamap(
        &self,
        path: &Path,
        system: impl Fn(&str) -> String,
        members: &str,
        activities: &str,
    ) {
        let mut toml = String::from("tenant = \"bench\"\n");
        for (name, url) in [
            ("pg", self.pg_url.clone()),
            ("maria", self.my_url.clone()),
            ("lite", format!("sqlite://{}", self.lite.display())),
        ] {
            let system = system(name);
            toml.push_str(&format!(
                r#"
[[systems]]
name = "{name}"
url = "{url}"
{system}
[[systems.tables]]
name = "members"
primary_key = "id"
identity = {{ email = "email" }}
{members}
[[systems.tables]]
name = "activities"
primary_key = "id"
follows = [{{ column = "member_id", table = "members", references = "id" }}]
{activities}"#
            ));
        }
        std::fs::write(path, toml).unwrap();
    }
}

/// The MariaDB client on the test server's database `db`; the caller adds its options.
pub fn mariadb(db: &str) -> Command {
    let mut cmd = Command::new("mariadb");
    cmd.args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "-D", db]);
    cmd
}

/// Runs a client to its end, which must succeed; its time.
pub fn run_ok(cmd: &mut Command) -> Duration {
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

/// Runs a child process with its output piped, reading its peak resident memory (KiB,
/// VmHWM) from /proc while it runs: its time, its peak and what it wrote.
pub fn watch_peak(cmd: &mut Command) -> (Duration, u64, Output) {
    let start = Instant::now();
    let mut child = cmd
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
    (elapsed, peak, child.wait_with_output().unwrap())
}
