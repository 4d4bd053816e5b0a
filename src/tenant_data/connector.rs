//! Connections to tenant databases: PostgreSQL, MySQL/MariaDB and SQLite through diesel,
//! chosen by the URL's scheme, always read-only.
//!
//! Owns opening a connection, the read-only snapshot, reading the catalog and running the
//! queries that [`sql`](super::sql) generates, one statement per table. Read-only by construction (processing
//! agreement art. 7.5: the processor hands over a copy, it changes nothing):
//! - PostgreSQL: `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, one snapshot per system;
//! - MySQL/MariaDB: `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` at REPEATABLE READ;
//! - SQLite: opened with `mode=ro`, `PRAGMA query_only`, and one read transaction.
//!
//! The session itself is made read-only as well (PostgreSQL `default_transaction_read_only`,
//! MySQL `SET SESSION TRANSACTION READ ONLY`), so not even a statement outside the snapshot
//! could write.
//!
//! The transaction is rolled back at the end (there is nothing to commit). No error message
//! leaving this module holds the URL, its password or a bound value.

use diesel::connection::SimpleConnection;
use diesel::mysql::{Mysql, MysqlConnection};
use diesel::pg::{Pg, PgConnection};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, QueryableByName, RunQueryDsl};

use super::TenantDataError;
use super::sql::{
    Bind, CatalogColumn, Dialect, KeyKind, TableQuery, mysql_column, pg_column, sqlite_column,
};

/// One row: the key as text (to check the order) and the row as JSON text.
#[derive(Debug, QueryableByName)]
pub struct PageRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub k: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub r: Option<String>,
}

/// One key of the subject's rows (MySQL reads the keys first).
#[derive(Debug, QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Nullable<Text>)]
    k: Option<String>,
}

/// Why reading a table stopped: the database failed, or the row handler refused a row.
#[derive(Debug)]
pub enum ReadError {
    Db(diesel::result::Error),
    /// The primary key cannot order the rows (NULL, duplicate, too large).
    Key(&'static str),
    Stop(TenantDataError),
}

/// The key problems [`ReadError::Key`] names.
pub const NULL_KEY: &str =
    "the primary key has NULL values; the export needs a unique, non-null key";
pub const DUPLICATE_KEY: &str =
    "the primary key has duplicate values; the export needs a unique key";
pub const WIDE_KEY: &str = "an integer primary key does not fit in 64 bits";

impl From<diesel::result::Error> for ReadError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

impl From<TenantDataError> for ReadError {
    fn from(e: TenantDataError) -> Self {
        Self::Stop(e)
    }
}

/// The subject's keys of one table, in key order (MySQL reads them before the rows).
enum Keys {
    Integer(Vec<i64>),
    Text(Vec<String>),
}

impl Keys {
    fn new(kind: &KeyKind) -> Self {
        match kind {
            KeyKind::Integer => Self::Integer(Vec::new()),
            KeyKind::Text { .. } => Self::Text(Vec::new()),
        }
    }

    fn push(&mut self, k: &str) -> Result<(), ReadError> {
        match self {
            Self::Integer(v) => v.push(k.parse().map_err(|_| ReadError::Key(WIDE_KEY))?),
            Self::Text(v) => v.push(k.to_owned()),
        }
        Ok(())
    }

    fn len(&self) -> usize {
        match self {
            Self::Integer(v) => v.len(),
            Self::Text(v) => v.len(),
        }
    }

    /// Up to `n` keys from `start`, to bind.
    fn binds(&self, start: usize, n: usize) -> Vec<Bind> {
        let end = start.saturating_add(n).min(self.len());
        match self {
            Self::Integer(v) => v[start.min(end)..end]
                .iter()
                .map(|k| Bind::Int(*k))
                .collect(),
            Self::Text(v) => v[start.min(end)..end]
                .iter()
                .map(|k| Bind::Text(k.clone()))
                .collect(),
        }
    }
}

/// The cursor a PostgreSQL table is read through (one at a time, closed after each table).
const CURSOR: &str = "inzage_rows";

#[derive(QueryableByName)]
struct PgCatalogRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    type_name: String,
}

#[derive(QueryableByName)]
struct MysqlCatalogRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = BigInt)]
    dt_precision: i64,
}

#[derive(QueryableByName)]
struct SqliteCatalogRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    type_name: String,
}

/// An open, read-only connection to one tenant database.
pub enum TenantConnection {
    Pg(PgConnection),
    Mysql(MysqlConnection),
    Sqlite(SqliteConnection),
}

/// Removes `secrets` (the URL, its password, bound values) from a database's message.
pub fn scrub(message: &str, secrets: &[&str]) -> String {
    let mut out = message.trim().to_owned();
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 3).collect();
    // Longest first, so a URL goes before the password inside it.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets {
        out = out.replace(s, "…");
    }
    out
}

/// The password of a `scheme://user:password@host/…` URL, if it has one.
pub fn url_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    userinfo
        .split_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty())
}

/// `sqlite://PATH` → a read-only SQLite URI (`file:PATH?mode=ro`), with the characters a URI
/// gives meaning to escaped.
pub fn sqlite_readonly_uri(url: &str) -> Option<String> {
    let path = url.strip_prefix("sqlite://")?;
    if path.is_empty() {
        return None;
    }
    let mut escaped = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => escaped.push_str("%25"),
            '?' => escaped.push_str("%3f"),
            '#' => escaped.push_str("%23"),
            c => escaped.push(c),
        }
    }
    // `file:/abs` would be fine too, but `file:` + `//x` would name a host.
    let prefix = if escaped.starts_with('/') {
        "file://"
    } else {
        "file:"
    };
    Some(format!("{prefix}{escaped}?mode=ro"))
}

/// libpq waits for an unreachable host as long as the kernel does; a tenant database that is
/// down should fail the export soon, and the job retries it.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&connect_timeout=10")
    } else {
        format!("{url}?connect_timeout=10")
    }
}

macro_rules! load_page {
    ($conn:expr, $db:ty, $sql:expr, $binds:expr) => {{
        let mut q = diesel::sql_query($sql).into_boxed::<$db>();
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind::<Text, _>(s.clone()),
                Bind::Int(i) => q.bind::<BigInt, _>(*i),
            };
        }
        q.load::<PageRow>($conn)
    }};
}

macro_rules! bound {
    ($db:ty, $sql:expr, $binds:expr) => {{
        let mut q = diesel::sql_query($sql).into_boxed::<$db>();
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind::<Text, _>(s.clone()),
                Bind::Int(i) => q.bind::<BigInt, _>(*i),
            };
        }
        q
    }};
}

/// Why a tenant database could not be opened. The database's own message may hold the URL and
/// its password, so it is kept as text scrubbed of both, never as the error itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the URL must start with postgres://, postgresql://, mysql:// or sqlite://")]
    UnknownScheme,
    #[error("sqlite:// needs a path")]
    SqliteWithoutPath,
    /// The database refused the connection (message scrubbed).
    #[error("{0}")]
    Refused(String),
    /// The session could not be made read-only (message scrubbed).
    #[error("cannot make the session read-only: {0}")]
    ReadOnly(String),
}

impl TenantConnection {
    /// Connects to a resolved URL and makes the session read-only; the error message is
    /// already scrubbed of the URL.
    pub fn open(url: &str) -> Result<Self, OpenError> {
        let secrets: Vec<&str> = [Some(url), url_password(url)]
            .into_iter()
            .flatten()
            .collect();
        let fail = |e: &dyn std::fmt::Display| scrub(&e.to_string(), &secrets);
        let refused = |e: diesel::ConnectionError| OpenError::Refused(fail(&e));
        let mut conn = match Dialect::from_url(url) {
            Some(Dialect::Postgres) => PgConnection::establish(&with_connect_timeout(url))
                .map(Self::Pg)
                .map_err(refused)?,
            Some(Dialect::Mysql) => MysqlConnection::establish(url)
                .map(Self::Mysql)
                .map_err(refused)?,
            Some(Dialect::Sqlite) => {
                let uri = sqlite_readonly_uri(url).ok_or(OpenError::SqliteWithoutPath)?;
                SqliteConnection::establish(&uri)
                    .map(Self::Sqlite)
                    .map_err(refused)?
            }
            None => return Err(OpenError::UnknownScheme),
        };
        conn.read_only_session()
            .map_err(|e| OpenError::ReadOnly(fail(&e)))?;
        Ok(conn)
    }

    /// Every transaction of the session read-only, also outside the export's snapshot. Run on
    /// its own: on PostgreSQL a SET inside a transaction that is rolled back is undone.
    fn read_only_session(&mut self) -> diesel::QueryResult<()> {
        match self {
            Self::Pg(c) => c.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"),
            // MariaDB commits implicitly before DDL, even inside a READ ONLY transaction; a
            // read-only session refuses the DDL.
            Self::Mysql(c) => c.batch_execute(
                "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            ),
            Self::Sqlite(c) => {
                c.batch_execute("PRAGMA query_only = ON; PRAGMA busy_timeout = 10000")
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Pg(_) => Dialect::Postgres,
            Self::Mysql(_) => Dialect::Mysql,
            Self::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Starts the read-only snapshot every table of the system is read in.
    pub fn begin_snapshot(&mut self) -> diesel::QueryResult<()> {
        match self {
            // Times with a zone come out in UTC, whatever the server's default.
            // The rows are read through a cursor to the end: plan for all of them, not for
            // the first few (the default fraction, 0.1, favours fast-start plans).
            Self::Pg(c) => c.batch_execute(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL TIME ZONE 'UTC'; \
                 SET LOCAL cursor_tuple_fraction = 1.0",
            ),
            Self::Mysql(c) => {
                c.batch_execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            }
            Self::Sqlite(c) => c.batch_execute("BEGIN DEFERRED"),
        }
    }

    /// Ends the snapshot. Nothing was written, so it is rolled back.
    pub fn end_snapshot(&mut self) -> diesel::QueryResult<()> {
        match self {
            Self::Pg(c) => c.batch_execute("ROLLBACK"),
            Self::Mysql(c) => c.batch_execute("ROLLBACK"),
            Self::Sqlite(c) => c.batch_execute("ROLLBACK"),
        }
    }

    /// The table's columns in table order, or None when there is no such table (or view).
    pub fn columns(&mut self, table: &str) -> diesel::QueryResult<Option<Vec<CatalogColumn>>> {
        let cols: Vec<CatalogColumn> = match self {
            // to_regclass resolves the name through the search path, as the queries do.
            Self::Pg(c) => diesel::sql_query(
                "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type_name \
                 FROM pg_catalog.pg_attribute a \
                 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY a.attnum",
            )
            .bind::<Text, _>(Dialect::Postgres.quote(table))
            .load::<PgCatalogRow>(c)?
            .into_iter()
            .map(|r| pg_column(&r.name, &r.type_name))
            .collect(),
            Self::Mysql(c) => diesel::sql_query(
                "SELECT CAST(COLUMN_NAME AS CHAR) AS name, CAST(DATA_TYPE AS CHAR) AS data_type, \
                 CAST(COLUMN_TYPE AS CHAR) AS column_type, \
                 CAST(COALESCE(DATETIME_PRECISION, 0) AS SIGNED) AS dt_precision \
                 FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            )
            .bind::<Text, _>(table)
            .load::<MysqlCatalogRow>(c)?
            .into_iter()
            .map(|r| {
                mysql_column(
                    &r.name,
                    &r.data_type,
                    &r.column_type,
                    u32::try_from(r.dt_precision).unwrap_or(0),
                )
            })
            .collect(),
            Self::Sqlite(c) => diesel::sql_query(
                "SELECT name, type AS type_name FROM pragma_table_info(?) ORDER BY cid",
            )
            .bind::<Text, _>(table)
            .load::<SqliteCatalogRow>(c)?
            .into_iter()
            .map(|r| sqlite_column(&r.name, &r.type_name))
            .collect(),
        };
        Ok((!cols.is_empty()).then_some(cols))
    }

    /// Hands every row of `q` to `each`, in key order, holding at most `batch` rows at a time:
    /// PostgreSQL through a cursor (`FETCH batch`), SQLite stepping the statement, MySQL —
    /// whose client keeps a whole result in memory — reading the keys first and then the
    /// rows of `batch` keys at a time. Each way runs the subject's query once.
    pub fn for_each_row(
        &mut self,
        q: &TableQuery,
        batch: usize,
        each: &mut dyn FnMut(PageRow) -> Result<(), TenantDataError>,
    ) -> Result<(), ReadError> {
        let batch = batch.max(1);
        match self {
            Self::Pg(c) => {
                bound!(
                    Pg,
                    format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR {}", q.rows),
                    &q.binds
                )
                .execute(c)?;
                loop {
                    let page = diesel::sql_query(format!("FETCH {batch} FROM {CURSOR}"))
                        .load::<PageRow>(c)?;
                    let n = page.len();
                    for row in page {
                        each(row)?;
                    }
                    if n < batch {
                        break;
                    }
                }
                c.batch_execute(&format!("CLOSE {CURSOR}"))?;
            }
            Self::Sqlite(c) => {
                let rows = bound!(Sqlite, q.rows.as_str(), &q.binds)
                    .load_iter::<PageRow, diesel::connection::DefaultLoadingMode>(c)?;
                for row in rows {
                    each(row?)?;
                }
            }
            Self::Mysql(c) => {
                // The keys are held compactly (integers as such) while the rows follow.
                let mut keys = Keys::new(&q.key);
                {
                    let rows = bound!(Mysql, q.keys.as_str(), &q.binds)
                        .load_iter::<KeyRow, diesel::connection::DefaultLoadingMode>(c)?;
                    let mut previous: Option<String> = None;
                    for row in rows {
                        let k = row?.k.ok_or(ReadError::Key(NULL_KEY))?;
                        if previous.as_deref() == Some(k.as_str()) {
                            return Err(ReadError::Key(DUPLICATE_KEY));
                        }
                        keys.push(&k)?;
                        previous = Some(k);
                    }
                }
                for start in (0..keys.len()).step_by(batch) {
                    let chunk = keys.binds(start, batch);
                    let page = bound!(Mysql, q.by_keys(chunk.len()), &chunk).load::<PageRow>(c)?;
                    for row in page {
                        each(row)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs one query that returns rows (`k`, `r`) and holds them all.
    pub fn page(&mut self, sql: &str, binds: &[Bind]) -> diesel::QueryResult<Vec<PageRow>> {
        match self {
            Self::Pg(c) => load_page!(c, Pg, sql, binds),
            Self::Mysql(c) => load_page!(c, Mysql, sql, binds),
            Self::Sqlite(c) => load_page!(c, Sqlite, sql, binds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_url_password_and_values() {
        let url = "postgres://app:s3cret@db.internal/app";
        let msg =
            format!("could not connect to {url}: password s3cret rejected for anna@example.nl");
        let out = scrub(
            &msg,
            &[url, url_password(url).unwrap_or(""), "anna@example.nl"],
        );
        assert!(!out.contains("s3cret"), "{out}");
        assert!(!out.contains("anna@"), "{out}");
        assert!(!out.contains("db.internal"), "{out}");
        assert_eq!(url_password("mysql://root@localhost/x"), None);
        assert_eq!(url_password("mysql://root:@localhost/x"), None);
        assert_eq!(url_password("mysql://u:p%40ss@h/x"), Some("p%40ss"));
    }

    #[test]
    fn sqlite_paths_become_read_only_uris() {
        assert_eq!(
            sqlite_readonly_uri("sqlite:///var/lib/app.db").as_deref(),
            Some("file:///var/lib/app.db?mode=ro")
        );
        assert_eq!(
            sqlite_readonly_uri("sqlite://var/app.db").as_deref(),
            Some("file:var/app.db?mode=ro")
        );
        assert_eq!(
            sqlite_readonly_uri("sqlite://a?b#c%d.db").as_deref(),
            Some("file:a%3fb%23c%25d.db?mode=ro")
        );
        assert_eq!(sqlite_readonly_uri("sqlite://"), None);
    }

    #[test]
    fn postgres_urls_get_a_connect_timeout() {
        assert_eq!(
            with_connect_timeout("postgres://h/db"),
            "postgres://h/db?connect_timeout=10"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=require"),
            "postgres://h/db?sslmode=require&connect_timeout=10"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=3"),
            "postgres://h/db?connect_timeout=3"
        );
    }
}
