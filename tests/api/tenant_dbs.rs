//! Tenant databases for tests: a fresh database per test on SQLite (a temporary file),
//! PostgreSQL (`TEST_DATABASE_URL`) or MariaDB/MySQL (`TEST_MYSQL_URL`), and one small schema
//! with several subjects that the same data map describes on every backend.
//!
//! Reuse: [`tenant_fixture`] gives a database with the schema and rows plus its [`DataMap`];
//! [`fixture_map`] builds one map over several fixture databases (one system each);
//! [`anna`] is the subject the tests ask about and [`anna_expected`] her rows per table.
//!
//! The schema (map order), with who owns what:
//! - `people` (root: email, phone, customer_id = `customer_no`; `password_hash` excluded):
//!   1 Anna (stored as `" Anna@Example.NL "`), 2 `anna@example.nl.evil`, 3 `hanna@example.nl`,
//!   4 `bob@example.nl`. Person 1 holds every type: integers, 12.50 and 0.10, a boolean, a
//!   date, a timestamp, NULL, Unicode, text with commas, quotes and a newline, bytes.
//! - `memberships` (follows people) and `teams` (follows memberships: `id` = `team_id`):
//!   team 1 is shared by Anna, Hanna and the `.evil` address; Anna's export has team 1 once
//!   and only her own memberships.
//! - `orders` (follows people; TEXT key `code`, `ORD-0001` …) and `order_lines` (follows
//!   orders, integer key): two levels, the subjects' rows interleaved in key order, enough
//!   of Anna's to span several pages at a small page size.
//! - `subscriptions` (root: email only): Anna twice (different case and spaces), look-alikes.
//! - `calls` (root: phone only): Anna's phone twice; no rows unless a phone is given.

use std::fmt::Write as _;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use inzage::tenant_data::{DataMap, SubjectIdentities};
use mysql::prelude::Queryable;

use crate::helpers::{PgDatabase, postgres_url, server_url};

/// Which database a tenant system runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantBackend {
    Sqlite,
    Postgres,
    Mariadb,
}

/// The MariaDB/MySQL server for tests (`TEST_MYSQL_URL`); see [`server_url`].
pub fn mysql_url(test: &str) -> Option<String> {
    server_url("TEST_MYSQL_URL", "MariaDB", test)
}

/// A connection to a MariaDB/MySQL server, through the same driver inzage reads with.
pub fn mysql_connect(url: &str) -> mysql::Result<mysql::Conn> {
    mysql::Conn::new(mysql::Opts::from_url(url).map_err(mysql::Error::from)?)
}

/// A fresh database on the MariaDB/MySQL test server; dropped when the guard goes.
pub struct MysqlDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl MysqlDatabase {
    pub fn create(admin_url: &str) -> Self {
        let name = format!("inzage_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = mysql_connect(admin_url).expect("connect to TEST_MYSQL_URL");
        conn.query_drop(format!(
            "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .expect("create test database");
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for MysqlDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = mysql_connect(&self.admin_url) {
            let _ = conn.query_drop(format!("DROP DATABASE IF EXISTS {}", self.name));
        }
    }
}

enum Guard {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Pg(#[allow(dead_code)] PgDatabase),
    My(#[allow(dead_code)] MysqlDatabase),
}

/// One fresh tenant database; gone (file removed, database dropped) when this goes.
pub struct TenantDb {
    pub backend: TenantBackend,
    /// What a data map's `url` says for it (`sqlite://…`, `postgres://…`, `mysql://…`).
    pub url: String,
    _guard: Guard,
}

impl TenantDb {
    /// An empty database; None when the backend's server is not configured (outside CI).
    pub fn create(backend: TenantBackend, test: &str) -> Option<Self> {
        Some(match backend {
            TenantBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join("tenant.db");
                Self {
                    backend,
                    url: format!("sqlite://{}", path.display()),
                    _guard: Guard::Dir(dir),
                }
            }
            TenantBackend::Postgres => {
                let pg = PgDatabase::create(&postgres_url(test)?);
                Self {
                    backend,
                    url: pg.url.clone(),
                    _guard: Guard::Pg(pg),
                }
            }
            TenantBackend::Mariadb => {
                let my = MysqlDatabase::create(&mysql_url(test)?);
                Self {
                    backend,
                    url: my.url.clone(),
                    _guard: Guard::My(my),
                }
            }
        })
    }

    /// Runs SQL (several statements) with a read-write connection, as the tenant's own app
    /// would.
    pub fn execute(&self, sql: &str) {
        let result = match self.backend {
            TenantBackend::Sqlite => {
                let path = self.url.trim_start_matches("sqlite://");
                SqliteConnection::establish(path)
                    .expect("open sqlite")
                    .batch_execute(sql)
                    .map_err(|e| e.to_string())
            }
            TenantBackend::Postgres => PgConnection::establish(&self.url)
                .expect("connect postgres")
                .batch_execute(sql)
                .map_err(|e| e.to_string()),
            TenantBackend::Mariadb => mysql_connect(&self.url)
                .and_then(|mut c| c.query_drop(sql))
                .map_err(|e| e.to_string()),
        };
        result.unwrap_or_else(|e| panic!("fixture SQL failed on {:?}: {e}", self.backend));
    }
}

/// A tenant database with the fixture schema and rows, and the data map for it (one system,
/// `app`).
pub struct Fixture {
    pub db: TenantDb,
    pub map: DataMap,
}

/// Creates a fresh database on `backend`, fills it with the fixture (see the module docs) and
/// returns it with its data map. None when the backend's server is not configured (outside CI;
/// the skip is printed).
pub fn tenant_fixture(backend: TenantBackend, test: &str) -> Option<Fixture> {
    let db = TenantDb::create(backend, test)?;
    db.execute(&fixture_sql(backend));
    let map = fixture_map(&[("app", &db)]);
    Some(Fixture { db, map })
}

/// The subject the tests ask about: only her e-mail, lower-case and untrimmed differently
/// from how the tables store it.
pub fn anna() -> SubjectIdentities {
    SubjectIdentities {
        emails: vec!["anna@example.nl".to_owned()],
        ..Default::default()
    }
}

/// Anna's phone number (stored with stray spaces in `calls`).
pub const ANNA_PHONE: &str = "+31 6 11111111";

/// The columns of `people` a bundle must show (table order, `password_hash` excluded).
pub const PEOPLE_COLUMNS: [&str; 14] = [
    "id",
    "email",
    "phone",
    "customer_no",
    "name",
    "is_active",
    "balance",
    "credit",
    "born",
    "created_at",
    "note",
    "nickname",
    "avatar",
    "big",
];

/// Person 1's note: commas, both quotes, a semicolon and a newline.
pub const ANNA_NOTE: &str = "She said \"hoi\", it's fine; a, b\nsecond line";
/// Person 1's name: Unicode beyond Latin-1.
pub const ANNA_NAME: &str = "Anna Zoë Ğ 日本";
/// The value of the excluded column for person 1; must never appear in an export.
pub const ANNA_PASSWORD_HASH: &str = "secret-hash-of-anna";

const PEOPLE: [(i64, &str, Option<&str>, &str); 4] = [
    (1, " Anna@Example.NL ", Some(ANNA_PHONE), "C-001"),
    (2, "anna@example.nl.evil", Some("+31 6 33333333"), "C-002"),
    (3, "hanna@example.nl", None, "C-003"),
    (4, "bob@example.nl", Some("+31 6 22222222"), "C-004"),
];

/// (membership id, person, team)
const MEMBERSHIPS: [(i64, i64, i64); 6] = [
    (1, 1, 1),
    (2, 3, 1),
    (3, 1, 2),
    (4, 3, 3),
    (5, 4, 3),
    (6, 2, 1),
];
const TEAMS: [(i64, &str); 4] = [
    (1, "Padel op dinsdag"),
    (2, "Bestuur"),
    (3, "Jeugd"),
    (4, "Veteranen"),
];

/// Owner of order n (1..=ORDERS): three of every four are Anna's, interleaved with others.
const ORDERS: i64 = 40;
fn order_owner(n: i64) -> i64 {
    match n % 8 {
        0 => 3,
        4 => 2,
        6 => 4,
        _ => 1,
    }
}
fn order_code(n: i64) -> String {
    format!("ORD-{n:04}")
}
/// Lines of order n: 1 to 3.
fn order_line_count(n: i64) -> i64 {
    n % 3 + 1
}

const SUBSCRIPTIONS: [(i64, &str, &str); 6] = [
    (1, "anna@example.nl", "nieuws"),
    (2, "hanna@example.nl", "nieuws"),
    (3, "ANNA@example.nl  ", "acties"),
    (4, "anna@example.nl.evil", "nieuws"),
    (5, "xanna@example.nl", "acties"),
    (6, "anna@example.n", "acties"),
];
const CALLS: [(i64, &str, i64); 4] = [
    (1, "+31 6 11111111 ", 5),
    (2, "+31 6 22222222", 7),
    (3, " +31 6 11111111", 3),
    (4, "+31 6 111111110", 1),
];

/// The key values (as JSON text) of Anna's rows per table, in key order, for [`anna`].
pub fn anna_expected() -> Vec<(&'static str, Vec<String>)> {
    let mut orders = Vec::new();
    let mut lines = Vec::new();
    let mut line_id = 0;
    for n in 1..=ORDERS {
        for _ in 0..order_line_count(n) {
            line_id += 1;
            if order_owner(n) == 1 {
                lines.push(line_id.to_string());
            }
        }
        if order_owner(n) == 1 {
            orders.push(format!("\"{}\"", order_code(n)));
        }
    }
    vec![
        ("people", vec!["1".into()]),
        ("memberships", vec!["1".into(), "3".into()]),
        ("teams", vec!["1".into(), "2".into()]),
        ("orders", orders),
        ("order_lines", lines),
        ("subscriptions", vec!["1".into(), "3".into()]),
        ("calls", vec![]),
    ]
}

#[derive(Clone, Copy)]
enum Ty {
    Int,
    Key,
    Text,
    Bool,
    Dec,
    Date,
    Ts,
    Bin,
}

fn ty(b: TenantBackend, t: Ty) -> &'static str {
    use TenantBackend::*;
    match (b, t) {
        (Sqlite, Ty::Int) => "INTEGER",
        (_, Ty::Int) => "BIGINT",
        (Mariadb, Ty::Key) => "VARCHAR(20)",
        (Postgres, Ty::Key) => "VARCHAR(20)",
        (Sqlite, Ty::Key) => "TEXT",
        (Mariadb, Ty::Text) => "VARCHAR(255)",
        (_, Ty::Text) => "TEXT",
        (_, Ty::Bool) => "BOOLEAN",
        (Postgres, Ty::Dec) => "NUMERIC(10,2)",
        (_, Ty::Dec) => "DECIMAL(10,2)",
        (_, Ty::Date) => "DATE",
        (Mariadb, Ty::Ts) => "DATETIME",
        (_, Ty::Ts) => "TIMESTAMP",
        (Postgres, Ty::Bin) => "BYTEA",
        (Mariadb, Ty::Bin) => "VARBINARY(16)",
        (Sqlite, Ty::Bin) => "BLOB",
    }
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn bytes(b: TenantBackend, hex: &str) -> String {
    match b {
        TenantBackend::Postgres => format!("decode('{hex}', 'hex')"),
        _ => format!("X'{hex}'"),
    }
}

fn create_table(b: TenantBackend, name: &str, cols: &[(&str, Ty)]) -> String {
    let cols: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (c, t))| {
            let pk = if i == 0 { " PRIMARY KEY" } else { "" };
            format!("{c} {}{pk}", ty(b, *t))
        })
        .collect();
    format!("CREATE TABLE {name} ({});\n", cols.join(", "))
}

/// The fixture's DDL and rows for one backend. (Test data only: the literals are constants.)
pub fn fixture_sql(b: TenantBackend) -> String {
    use Ty::*;
    let mut sql = String::new();
    sql += &create_table(
        b,
        "people",
        &[
            ("id", Int),
            ("email", Text),
            ("phone", Text),
            ("customer_no", Text),
            ("name", Text),
            ("password_hash", Text),
            ("is_active", Bool),
            ("balance", Dec),
            ("credit", Dec),
            ("born", Date),
            ("created_at", Ts),
            ("note", Text),
            ("nickname", Text),
            ("avatar", Bin),
            ("big", Int),
        ],
    );
    sql += &create_table(
        b,
        "memberships",
        &[
            ("id", Int),
            ("person_id", Int),
            ("team_id", Int),
            ("role", Text),
        ],
    );
    sql += &create_table(b, "teams", &[("id", Int), ("name", Text)]);
    sql += &create_table(
        b,
        "orders",
        &[
            ("code", Key),
            ("person_id", Int),
            ("placed_at", Ts),
            ("total", Dec),
        ],
    );
    sql += &create_table(
        b,
        "order_lines",
        &[
            ("id", Int),
            ("order_code", Key),
            ("product", Text),
            ("qty", Int),
            ("price", Dec),
        ],
    );
    sql += &create_table(
        b,
        "subscriptions",
        &[("id", Int), ("email", Text), ("list", Text)],
    );
    sql += &create_table(
        b,
        "calls",
        &[("id", Int), ("phone", Text), ("minutes", Int)],
    );

    for (id, email, phone, customer) in PEOPLE {
        let anna = id == 1;
        let name = if anna {
            ANNA_NAME.to_owned()
        } else {
            format!("Persoon {id}")
        };
        let note = if anna { lit(ANNA_NOTE) } else { lit("gewoon") };
        let _ = writeln!(
            sql,
            "INSERT INTO people (id, email, phone, customer_no, name, password_hash, is_active, \
             balance, credit, born, created_at, note, nickname, avatar, big) VALUES \
             ({id}, {}, {}, {}, {}, {}, {}, {}, {}, '1990-05-17', '2024-03-01 09:30:00', {note}, \
             NULL, {}, {});",
            lit(email),
            phone.map_or("NULL".to_owned(), lit),
            lit(customer),
            lit(&name),
            lit(if anna {
                ANNA_PASSWORD_HASH
            } else {
                "secret-hash-other"
            }),
            if id == 2 { "FALSE" } else { "TRUE" },
            if anna { "12.50" } else { "1.00" },
            if anna { "0.10" } else { "2.00" },
            bytes(b, if anna { "00ff10" } else { "01" }),
            if anna {
                9_007_199_254_740_993_i64
            } else {
                id * 1000
            },
        );
    }
    for (id, person, group) in MEMBERSHIPS {
        let _ = writeln!(
            sql,
            "INSERT INTO memberships (id, person_id, team_id, role) VALUES ({id}, {person}, {group}, 'lid');"
        );
    }
    for (id, name) in TEAMS {
        let _ = writeln!(
            sql,
            "INSERT INTO teams (id, name) VALUES ({id}, {});",
            lit(name)
        );
    }
    let mut line_id = 0;
    for n in 1..=ORDERS {
        let _ = writeln!(
            sql,
            "INSERT INTO orders (code, person_id, placed_at, total) VALUES ('{}', {}, '2024-04-{:02} 12:00:00', {}.95);",
            order_code(n),
            order_owner(n),
            n % 28 + 1,
            n
        );
        for l in 0..order_line_count(n) {
            line_id += 1;
            let _ = writeln!(
                sql,
                "INSERT INTO order_lines (id, order_code, product, qty, price) VALUES ({line_id}, '{}', 'Product {l}', {}, 4.05);",
                order_code(n),
                l + 1
            );
        }
    }
    for (id, email, list) in SUBSCRIPTIONS {
        let _ = writeln!(
            sql,
            "INSERT INTO subscriptions (id, email, list) VALUES ({id}, {}, '{list}');",
            lit(email)
        );
    }
    for (id, phone, minutes) in CALLS {
        let _ = writeln!(
            sql,
            "INSERT INTO calls (id, phone, minutes) VALUES ({id}, {}, {minutes});",
            lit(phone)
        );
    }
    sql
}

/// The fixture's tables in map order: name, primary key, and how the subject's rows are
/// found (an identity, or following another table).
const FIXTURE_TABLES: [(&str, &str, &str); 7] = [
    (
        "people",
        "id",
        r#"identity = { email = "email", phone = "phone", customer_id = "customer_no" }"#,
    ),
    (
        "memberships",
        "id",
        r#"follows = [{ column = "person_id", table = "people", references = "id" }]"#,
    ),
    (
        "teams",
        "id",
        r#"follows = [{ column = "id", table = "memberships", references = "team_id" }]"#,
    ),
    (
        "orders",
        "code",
        r#"follows = [{ column = "person_id", table = "people", references = "id" }]"#,
    ),
    (
        "order_lines",
        "id",
        r#"follows = [{ column = "order_code", table = "orders", references = "code" }]"#,
    ),
    ("subscriptions", "id", r#"identity = { email = "email" }"#),
    ("calls", "id", r#"identity = { phone = "phone" }"#),
];

/// The data map text of tenant `slug` for `systems` (name, database), one system per
/// database, each with the whole fixture schema; `keys` gives the lines a table adds to its
/// name, key and identity or `follows` (what it holds, what erasure does to it, …), each
/// ending in a newline.
pub fn fixture_map_toml_with(
    slug: &str,
    systems: &[(&str, &str)],
    keys: impl Fn(&str) -> String,
) -> String {
    let mut t = format!("tenant = \"{slug}\"\n");
    for (name, url) in systems {
        let _ = write!(
            t,
            "\n[[systems]]\nname = \"{name}\"\nurl = \"{url}\"\ndescription = \"Fixture database {name}\"\n"
        );
        for (table, key, found) in FIXTURE_TABLES {
            let _ = write!(
                t,
                "\n[[systems.tables]]\nname = \"{table}\"\nprimary_key = \"{key}\"\n{found}\n{}",
                keys(table)
            );
        }
    }
    t
}

/// The fixture's data map text for `systems` (name, database), one system per database, each
/// with the whole fixture schema, described for the subject's export.
pub fn fixture_map_toml(systems: &[(&str, &str)]) -> String {
    fixture_map_toml_with("acme", systems, |table| {
        match table {
            "people" => concat!(
                "exclude = [\"password_hash\"]\n",
                "category = \"Contact details\"\n",
                "columns = { balance = \"Financial data\", credit = \"Financial data\" }\n",
                "purposes = [\"Membership administration\"]\n",
                "retention = \"Two years after membership ends\"\n",
                "source = \"The subject\"\n",
                "recipients = [\"Payment provider\"]\n",
            ),
            "memberships" | "teams" => "category = \"Membership\"\n",
            "orders" | "order_lines" => "category = \"Purchases\"\n",
            "subscriptions" => "category = \"Newsletter\"\n",
            _ => "category = \"Customer service\"\n",
        }
        .to_owned()
    })
}

/// One data map over several fixture databases, `(system name, database)` each (e.g. the
/// same schema on SQLite, PostgreSQL and MariaDB as systems `lite`, `pg` and `maria`).
pub fn fixture_map(systems: &[(&str, &TenantDb)]) -> DataMap {
    let urls: Vec<(&str, &str)> = systems
        .iter()
        .map(|(n, db)| (*n, db.url.as_str()))
        .collect();
    DataMap::parse(&fixture_map_toml(&urls), "exports/acme.toml").expect("fixture map is valid")
}

/// Runs each named test (`fn name(TenantBackend)`) on SQLite, PostgreSQL and MariaDB:
/// `mod sqlite`, `mod postgres`, `mod mariadb`; `async: name, …` for `async fn`s, each on a
/// two-thread runtime. The server variants skip loudly without their URL, and fail under CI.
#[macro_export]
macro_rules! on_tenant_backends {
    (@fn test $backend:ident $name:ident) => {
        #[test]
        fn $name() {
            super::$name($crate::tenant_dbs::TenantBackend::$backend)
        }
    };
    (@fn tokio $backend:ident $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            super::$name($crate::tenant_dbs::TenantBackend::$backend).await
        }
    };
    (@mods $runner:ident $($name:ident),*) => {
        mod sqlite {
            $($crate::on_tenant_backends!(@fn $runner Sqlite $name);)*
        }
        mod postgres {
            $($crate::on_tenant_backends!(@fn $runner Postgres $name);)*
        }
        mod mariadb {
            $($crate::on_tenant_backends!(@fn $runner Mariadb $name);)*
        }
    };
    (async: $($name:ident),* $(,)?) => {
        $crate::on_tenant_backends!(@mods tokio $($name),*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_tenant_backends!(@mods test $($name),*);
    };
}
