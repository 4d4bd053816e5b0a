//! Connections to tenant databases: PostgreSQL and SQLite through diesel, MySQL/MariaDB
//! through the pure-Rust `mysql` driver (no system client library), chosen by the URL's
//! scheme: read-only for exports, read-write only for carrying out an approved plan.
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
//!
//! The one exception, [`TenantConnection::open_for_writing`], serves the execution of a plan
//! (rectification, erasure, restriction: GDPR art. 16-18 on the controller's instruction,
//! processing agreement 3.7, 7.5(ii)-(iii)) and its dry run: a read-write session whose
//! write transaction ([`TenantConnection::begin_write`]) is committed or rolled back by the
//! caller, running only the statements [`exec_sql`](super::exec_sql) generates.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::{Pg, PgConnection};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use mysql::prelude::Queryable;

use super::TenantDataError;
use super::sql::{
    Bind, CatalogColumn, Dialect, TableQuery, mysql_column, pg_column, sqlite_column,
};

/// One row: the key as text (to check the order) and the row as JSON text.
#[derive(Debug, QueryableByName)]
pub struct PageRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub k: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub r: Option<String>,
}

/// A tenant database's error, whichever driver reported it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Diesel(#[from] diesel::result::Error),
    #[error(transparent)]
    Mysql(#[from] mysql::Error),
    /// A value the driver could not hand over as text (the value itself is never named).
    #[error("{0}")]
    Value(&'static str),
}

/// Why reading a table stopped: the database failed, or the row handler refused a row.
#[derive(Debug)]
pub enum ReadError {
    Db(DbError),
    /// The primary key cannot order the rows (NULL, duplicate, too large).
    Key(&'static str),
    Stop(TenantDataError),
}

/// The key problems [`ReadError::Key`] names.
pub const NULL_KEY: &str =
    "the primary key has NULL values; the export needs a unique, non-null key";
pub const DUPLICATE_KEY: &str =
    "the primary key has duplicate values; the export needs a unique key";

impl From<DbError> for ReadError {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

impl From<diesel::result::Error> for ReadError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

impl From<mysql::Error> for ReadError {
    fn from(e: mysql::Error) -> Self {
        Self::Db(e.into())
    }
}

impl From<TenantDataError> for ReadError {
    fn from(e: TenantDataError) -> Self {
        Self::Stop(e)
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
struct SqliteCatalogRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    type_name: String,
}

/// An open, read-only connection to one tenant database.
pub enum TenantConnection {
    Pg(PgConnection),
    Mysql(mysql::Conn),
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

/// How long connecting to a MySQL/MariaDB server may take (as `connect_timeout` for libpq).
const MYSQL_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `mysql://` URL in the `mysql` driver's terms. The TLS parameters of the MySQL client
/// library are understood as well, so a data map written for it keeps working:
/// `ssl_mode=disabled` (no TLS), `required` (TLS, the certificate not checked),
/// `verify_ca` (TLS, the certificate checked against the roots), `verify_identity` (also the
/// host name); `ssl_ca=PATH` adds a root certificate. `preferred` (TLS only if the server
/// offers it) cannot be had with this driver and is refused rather than silently downgraded.
/// Without `ssl_mode` the driver's own parameters apply (no TLS unless one asks for it).
fn mysql_opts(url: &str) -> Result<mysql::Opts, String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = Vec::new();
    let mut timeout_given = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "ssl_mode" => match value.to_ascii_lowercase().as_str() {
                "disabled" => {}
                "required" => params.extend([
                    "danger_accept_invalid_certs=true".to_owned(),
                    "danger_skip_domain_validation=true".to_owned(),
                ]),
                "verify_ca" => params.push("danger_skip_domain_validation=true".to_owned()),
                "verify_identity" => {
                    params.push("danger_skip_domain_validation=false".to_owned());
                }
                "preferred" => {
                    return Err(
                        "ssl_mode=preferred is not supported: use ssl_mode=required, \
                                verify_ca, verify_identity or disabled"
                            .to_owned(),
                    );
                }
                _ => {
                    return Err(
                        "ssl_mode must be disabled, required, verify_ca or verify_identity"
                            .to_owned(),
                    );
                }
            },
            "ssl_ca" => params.push(format!("root_cert_path={value}")),
            _ => {
                timeout_given |= key == "tcp_connect_timeout_ms";
                params.push(pair.to_owned());
            }
        }
    }
    let rewritten = if params.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", params.join("&"))
    };
    let opts = mysql::Opts::from_url(&rewritten).map_err(|e| e.to_string())?;
    if timeout_given {
        return Ok(opts);
    }
    Ok(mysql::OptsBuilder::from_opts(opts)
        .tcp_connect_timeout(Some(MYSQL_CONNECT_TIMEOUT))
        .into())
}

/// The values in placeholder order, as the `mysql` driver binds them.
fn mysql_params(binds: &[Bind]) -> mysql::Params {
    if binds.is_empty() {
        return mysql::Params::Empty;
    }
    mysql::Params::Positional(
        binds
            .iter()
            .map(|b| match b {
                Bind::Text(s) => mysql::Value::Bytes(s.clone().into_bytes()),
                Bind::Int(i) => mysql::Value::Int(*i),
                Bind::Null => mysql::Value::NULL,
            })
            .collect(),
    )
}

/// Column `i` of a MySQL row as text (NULL is None). The driver's own conversion error
/// names the value, so it is replaced: no value may reach a message.
fn mysql_text(row: &mut mysql::Row, i: usize) -> Result<Option<String>, DbError> {
    match row.take_opt::<Option<String>, usize>(i) {
        Some(Ok(v)) => Ok(v),
        Some(Err(_)) => Err(DbError::Value(
            "the database sent a value that is not UTF-8 text",
        )),
        None => Err(DbError::Value(
            "the database sent fewer columns than asked for",
        )),
    }
}

/// A MySQL row of the export (`k`, `r`).
fn mysql_page_row(row: mysql::Result<mysql::Row>) -> Result<PageRow, DbError> {
    let mut row = row?;
    Ok(PageRow {
        k: mysql_text(&mut row, 0)?,
        r: mysql_text(&mut row, 1)?,
    })
}

macro_rules! load_page {
    ($conn:expr, $db:ty, $sql:expr, $binds:expr) => {{
        let mut q = diesel::sql_query($sql).into_boxed::<$db>();
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind::<Text, _>(s.clone()),
                Bind::Int(i) => q.bind::<BigInt, _>(*i),
                Bind::Null => q.bind::<Nullable<Text>, _>(None::<String>),
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
                Bind::Null => q.bind::<Nullable<Text>, _>(None::<String>),
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
        Self::connect(
            url,
            |url| sqlite_readonly_uri(url).ok_or(OpenError::SqliteWithoutPath),
            Self::read_only_session,
            OpenError::ReadOnly,
        )
    }

    /// Connects to a resolved URL (SQLite: to what `sqlite` makes of it) and prepares the
    /// session with `setup` (its failure made into an error by `setup_failed`); every error
    /// message is scrubbed of the URL.
    fn connect(
        url: &str,
        sqlite: impl FnOnce(&str) -> Result<String, OpenError>,
        setup: impl FnOnce(&mut Self) -> Result<(), DbError>,
        setup_failed: fn(String) -> OpenError,
    ) -> Result<Self, OpenError> {
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
            Some(Dialect::Mysql) => {
                mysql::Conn::new(mysql_opts(url).map_err(|e| OpenError::Refused(fail(&e)))?)
                    .map(Self::Mysql)
                    .map_err(|e| OpenError::Refused(fail(&e)))?
            }
            Some(Dialect::Sqlite) => SqliteConnection::establish(&sqlite(url)?)
                .map(Self::Sqlite)
                .map_err(refused)?,
            None => return Err(OpenError::UnknownScheme),
        };
        setup(&mut conn).map_err(|e| setup_failed(fail(&e)))?;
        Ok(conn)
    }

    /// Every transaction of the session read-only, also outside the export's snapshot. Run on
    /// its own: on PostgreSQL a SET inside a transaction that is rolled back is undone.
    fn read_only_session(&mut self) -> Result<(), DbError> {
        match self {
            Self::Pg(c) => {
                c.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")?
            }
            // MariaDB commits implicitly before DDL, even inside a READ ONLY transaction; a
            // read-only session refuses the DDL. Times (TIMESTAMP columns) come out in UTC and
            // text as utf8mb4, whatever the server's defaults.
            Self::Mysql(c) => c.query_drop(
                "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; \
                 SET time_zone = '+00:00'; SET character_set_client = 'utf8mb4'; \
                 SET character_set_connection = 'utf8mb4'; SET character_set_results = 'utf8mb4'",
            )?,
            Self::Sqlite(c) => {
                c.batch_execute("PRAGMA query_only = ON; PRAGMA busy_timeout = 10000")?
            }
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Pg(_) => Dialect::Postgres,
            Self::Mysql(_) => Dialect::Mysql,
            Self::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Starts the read-only snapshot every table of the system is read in.
    pub fn begin_snapshot(&mut self) -> Result<(), DbError> {
        match self {
            // Times with a zone come out in UTC, whatever the server's default.
            // The rows are read through a cursor to the end: plan for all of them, not for
            // the first few (the default fraction, 0.1, favours fast-start plans).
            Self::Pg(c) => c.batch_execute(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL TIME ZONE 'UTC'; \
                 SET LOCAL cursor_tuple_fraction = 1.0",
            )?,
            Self::Mysql(c) => {
                c.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")?
            }
            Self::Sqlite(c) => c.batch_execute("BEGIN DEFERRED")?,
        }
        Ok(())
    }

    /// Ends the snapshot. Nothing was written, so it is rolled back.
    pub fn end_snapshot(&mut self) -> Result<(), DbError> {
        match self {
            Self::Pg(c) => c.batch_execute("ROLLBACK")?,
            Self::Mysql(c) => c.query_drop("ROLLBACK")?,
            Self::Sqlite(c) => c.batch_execute("ROLLBACK")?,
        }
        Ok(())
    }

    /// The table's columns in table order, or None when there is no such table (or view).
    pub fn columns(&mut self, table: &str) -> Result<Option<Vec<CatalogColumn>>, DbError> {
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
            Self::Mysql(c) => {
                let rows = c.exec_iter(
                    "SELECT CAST(COLUMN_NAME AS CHAR) AS name, CAST(DATA_TYPE AS CHAR) AS data_type, \
                     CAST(COLUMN_TYPE AS CHAR) AS column_type, \
                     CAST(COALESCE(DATETIME_PRECISION, 0) AS CHAR) AS dt_precision \
                     FROM information_schema.COLUMNS \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                    (table,),
                )?;
                let mut cols = Vec::new();
                for row in rows {
                    let mut row = row?;
                    let mut text = |i| -> Result<String, DbError> {
                        Ok(mysql_text(&mut row, i)?.unwrap_or_default())
                    };
                    let (name, data_type, column_type) = (text(0)?, text(1)?, text(2)?);
                    let precision = text(3)?.parse().unwrap_or(0);
                    cols.push(mysql_column(&name, &data_type, &column_type, precision));
                }
                cols
            }
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
    /// PostgreSQL through a cursor (`FETCH batch`), SQLite stepping the statement, MySQL
    /// reading the result off the connection row by row (the `mysql` driver streams it; the
    /// server waits while a row is handled). Each way runs the subject's query once.
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
                let rows = c.exec_iter(q.rows.as_str(), mysql_params(&q.binds))?;
                for row in rows {
                    each(mysql_page_row(row)?)?;
                }
            }
        }
        Ok(())
    }

    /// Connects to a resolved URL for carrying out a plan: a read-write session (SQLite opened
    /// read-write, with its foreign keys enforced so `ON DELETE CASCADE` works). The error
    /// message is scrubbed of the URL.
    pub fn open_for_writing(url: &str) -> Result<Self, OpenError> {
        Self::connect(
            url,
            |url| {
                let path = url
                    .strip_prefix("sqlite://")
                    .filter(|p| !p.is_empty())
                    .ok_or(OpenError::SqliteWithoutPath)?;
                // A missing file is an error, not a new empty database.
                if !std::path::Path::new(path).exists() {
                    return Err(OpenError::Refused(
                        "the database file does not exist".into(),
                    ));
                }
                Ok(path.to_owned())
            },
            Self::write_session,
            OpenError::Refused,
        )
    }

    /// A session for writing: times in UTC, text as utf8mb4 (MariaDB), foreign keys enforced
    /// (SQLite).
    fn write_session(&mut self) -> Result<(), DbError> {
        match self {
            Self::Pg(c) => c.batch_execute("SET TIME ZONE 'UTC'")?,
            Self::Mysql(c) => c.query_drop(
                "SET time_zone = '+00:00'; SET character_set_client = 'utf8mb4'; \
                 SET character_set_connection = 'utf8mb4'; \
                 SET character_set_results = 'utf8mb4'",
            )?,
            Self::Sqlite(c) => {
                c.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000")?
            }
        }
        Ok(())
    }

    /// Starts the write transaction a system's plan runs in: READ COMMITTED on PostgreSQL and
    /// MySQL (every statement sees the rows committed before it, so rows that arrived since
    /// the plan are included; the locking reads keep them from changing meanwhile), and
    /// `BEGIN IMMEDIATE` on SQLite (the database's write lock from the start: no other writer
    /// until the end).
    pub fn begin_write(&mut self) -> Result<(), DbError> {
        match self {
            Self::Pg(c) => c.batch_execute(
                "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SET LOCAL lock_timeout = '60s'",
            )?,
            Self::Mysql(c) => c.query_drop(
                "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION READ WRITE",
            )?,
            Self::Sqlite(c) => c.batch_execute("BEGIN IMMEDIATE")?,
        }
        Ok(())
    }

    pub fn commit(&mut self) -> Result<(), DbError> {
        match self {
            Self::Pg(c) => c.batch_execute("COMMIT")?,
            Self::Mysql(c) => c.query_drop("COMMIT")?,
            Self::Sqlite(c) => c.batch_execute("COMMIT")?,
        }
        Ok(())
    }

    pub fn rollback(&mut self) -> Result<(), DbError> {
        self.end_snapshot()
    }

    /// Runs a statement that changes rows and returns how many it changed.
    pub fn execute(&mut self, sql: &str, binds: &[Bind]) -> Result<u64, DbError> {
        let n = match self {
            Self::Pg(c) => bound!(Pg, sql, binds).execute(c)? as u64,
            Self::Sqlite(c) => bound!(Sqlite, sql, binds).execute(c)? as u64,
            Self::Mysql(c) => {
                c.exec_drop(sql, mysql_params(binds))?;
                c.affected_rows()
            }
        };
        Ok(n)
    }

    /// Runs a `SELECT COUNT(*) AS n …` and returns n.
    pub fn count(&mut self, sql: &str, binds: &[Bind]) -> Result<u64, DbError> {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let n = match self {
            Self::Pg(c) => bound!(Pg, sql, binds).get_result::<N>(c)?.n,
            Self::Sqlite(c) => bound!(Sqlite, sql, binds).get_result::<N>(c)?.n,
            Self::Mysql(c) => {
                let row: Option<mysql::Row> = c.exec_first(sql, mysql_params(binds))?;
                let mut row = row.ok_or(DbError::Value("COUNT returned no row"))?;
                row.take_opt::<i64, usize>(0)
                    .and_then(Result::ok)
                    .ok_or(DbError::Value("COUNT returned no number"))?
            }
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Runs one query that returns rows (`k`, `r`) and holds them all.
    pub fn page(&mut self, sql: &str, binds: &[Bind]) -> Result<Vec<PageRow>, DbError> {
        Ok(match self {
            Self::Pg(c) => load_page!(c, Pg, sql, binds)?,
            Self::Mysql(c) => c
                .exec_iter(sql, mysql_params(binds))?
                .map(mysql_page_row)
                .collect::<Result<_, _>>()?,
            Self::Sqlite(c) => load_page!(c, Sqlite, sql, binds)?,
        })
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
    fn mysql_urls_take_the_client_library_tls_modes() {
        let tls = |u: &str| mysql_opts(u).map(|o| o.get_ssl_opts().cloned());
        assert!(tls("mysql://u:p@h/db").unwrap().is_none());
        assert!(tls("mysql://u:p@h/db?ssl_mode=disabled").unwrap().is_none());
        let required = tls("mysql://u:p@h/db?ssl_mode=REQUIRED").unwrap().unwrap();
        assert!(required.accept_invalid_certs() && required.skip_domain_validation());
        let ca = tls("mysql://u:p@h/db?ssl_mode=verify_ca&ssl_ca=/etc/ca.pem")
            .unwrap()
            .unwrap();
        assert!(!ca.accept_invalid_certs() && ca.skip_domain_validation());
        assert_eq!(
            ca.root_cert_path(),
            Some(std::path::Path::new("/etc/ca.pem"))
        );
        let identity = tls("mysql://u:p@h/db?ssl_mode=verify_identity")
            .unwrap()
            .unwrap();
        assert!(!identity.accept_invalid_certs() && !identity.skip_domain_validation());
        // No silent downgrade: what cannot be had is refused.
        assert!(mysql_opts("mysql://u:p@h/db?ssl_mode=preferred").is_err());
        assert!(mysql_opts("mysql://u:p@h/db?ssl_mode=maybe").is_err());
        // A connect timeout unless the URL sets one.
        assert_eq!(
            mysql_opts("mysql://h/db")
                .unwrap()
                .get_tcp_connect_timeout(),
            Some(MYSQL_CONNECT_TIMEOUT)
        );
        assert_eq!(
            mysql_opts("mysql://h/db?tcp_connect_timeout_ms=500")
                .unwrap()
                .get_tcp_connect_timeout(),
            Some(Duration::from_millis(500))
        );
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
