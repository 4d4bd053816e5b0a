//! The service's own store: diesel over SQLite (embedded default) or PostgreSQL (production),
//! behind one `MultiConnection`, an r2d2 pool, and embedded per-backend migrations.
//!
//! Every blocking diesel call runs on tokio's blocking pool through [`Db::run`], never on an
//! actix worker. A state change writes its row, its event and any outbox mail or job in one
//! transaction ([`write_tx`]); on SQLite that transaction takes the write lock up front.

pub mod audit;
pub mod bundles;
pub mod completions;
pub mod console_sessions;
pub mod erasures;
pub mod events;
pub mod execution;
pub mod files;
pub mod grants;
pub mod id_documents;
pub mod identities;
pub mod intake;
pub mod jobs;
pub mod outbox;
pub mod reminders;
pub mod requests;
pub mod schema;
pub mod signing;
pub mod sql_text;
pub mod tenants;
pub mod tokens;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tracing::Instrument;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database the store runs on, read from the URL's scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::Config(
                    "sqlite:// needs a path, e.g. sqlite://inzage.db".into(),
                ));
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err(StoreError::Config(
                "INZAGE_DATABASE_URL must start with sqlite:// or postgres://".into(),
            ))
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The directory next to which a SQLite store keeps its files; None for PostgreSQL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(p) => Some(p),
            Self::Postgres(_) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("{0}")]
    Config(String),
    #[error("a blocking task failed: {0}")]
    Task(String),
}

impl StoreError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Query(diesel::result::Error::NotFound))
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            Self::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// r2d2 manager choosing the connection type by URL scheme (the derive's own `establish`
/// would try variants in order, and SQLite accepts any path).
#[derive(Debug)]
pub struct ConnectionManager {
    backend: Backend,
}

/// Creates an empty file readable by its owner only, unless it exists already.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

fn establish(backend: &Backend) -> Result<DbConnection, r2d2::Error> {
    match backend {
        Backend::Postgres(url) => PgConnection::establish(url)
            .map(DbConnection::Postgresql)
            .map_err(r2d2::Error::ConnectionError),
        Backend::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                .map_err(r2d2::Error::ConnectionError)?;
            // WAL lets readers run beside the one writer; FULL makes a commit survive power
            // loss, not only a crash: an accepted request is never lost.
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
            ))
            .map_err(r2d2::Error::QueryError)?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        establish(&self.backend)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// The store: a pool and the backend it talks to. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// Reference numbers this process took from the store ahead (PostgreSQL), per year.
    references: std::sync::Arc<std::sync::Mutex<requests::ReferenceBlocks>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend.name())
            .finish()
    }
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any constant will do: instances starting at once take turns migrating.
const MIGRATION_LOCK_KEY: i64 = 0x696e_7a61_6765;

impl Db {
    /// Opens the pool. Does not migrate; call [`Db::migrate`] (serve and `inzage migrate` do).
    pub fn connect(url: &str, pool_size: u32) -> StoreResult<Self> {
        let backend = Backend::from_url(url)?;
        if let Backend::Sqlite(path) = &backend
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
        if let Backend::Sqlite(path) = &backend {
            // SQLite gives its -wal and -shm files the database file's mode: create it 0600.
            create_private_file(path).map_err(|e| {
                StoreError::Config(format!("cannot create {}: {e}", path.display()))
            })?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            // No eager background connects: a one-shot command may exit at once, and a thread
            // inside libpq while the process exits can crash it.
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(10))
            // Connections are opened on demand: a store that is down fails the first call
            // (and /readyz), not the construction.
            .build_unchecked(ConnectionManager {
                backend: backend.clone(),
            });
        Ok(Self {
            pool,
            backend,
            references: Default::default(),
        })
    }

    /// The reference numbers taken ahead (see [`requests::next_reference_from`]).
    pub fn reference_blocks(&self) -> &std::sync::Mutex<requests::ReferenceBlocks> {
        &self.references
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// A pooled connection for synchronous callers (the CLI, job threads).
    pub fn conn(&self) -> StoreResult<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking store work off the async workers, inside the caller's tracing span.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(StoreError::from)?;
            f(&mut conn)
        })
        .instrument(tracing::Span::current())
        .await
        .map_err(|e| E::from(StoreError::Task(e.to_string())))?
    }

    /// Applies pending migrations; on PostgreSQL under an advisory lock so that several
    /// instances starting together do not race.
    pub fn migrate(&self) -> StoreResult<usize> {
        let mut conn =
            establish(&self.backend).map_err(|e| StoreError::Migration(e.to_string()))?;
        let migrated = |r: Result<Vec<_>, _>| {
            r.map(|v: Vec<_>| v.len())
                .map_err(|e: Box<dyn std::error::Error + Send + Sync>| {
                    StoreError::Migration(e.to_string())
                })
        };
        match &mut conn {
            DbConnection::Postgresql(pg) => {
                diesel::sql_query("SELECT pg_advisory_lock($1)")
                    .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
                    .execute(pg)?;
                let result = migrated(pg.run_pending_migrations(POSTGRES_MIGRATIONS));
                diesel::sql_query("SELECT pg_advisory_unlock($1)")
                    .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
                    .execute(pg)?;
                result
            }
            DbConnection::Sqlite(lite) => migrated(lite.run_pending_migrations(SQLITE_MIGRATIONS)),
        }
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        self.run(|conn: &mut DbConnection| conn.ping().map_err(StoreError::from))
            .await
    }
}

impl DbConnection {
    fn ping(&mut self) -> diesel::QueryResult<()> {
        self.batch_execute("SELECT 1")
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgresql(_))
    }
}

use diesel::RunQueryDsl;

/// SQLite has one writer at a time; its busy handler makes a waiting writer sleep in steps of
/// up to 100 ms, so under load some writers starve for a second. Writers of this process queue
/// on this lock instead and SQLite's own lock is free when they get it. (One process per
/// SQLite store: README, "Architecture"; other processes — `inzage` commands — still meet the busy handler.)
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// Whether this thread holds [`SQLITE_WRITER`] (a write transaction never waits for itself).
    static HOLDS_SQLITE_WRITER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Holds [`SQLITE_WRITER`] for this thread until dropped.
struct SqliteWriterGuard {
    _guard: Option<std::sync::MutexGuard<'static, ()>>,
}

impl SqliteWriterGuard {
    fn acquire() -> Self {
        if HOLDS_SQLITE_WRITER.with(std::cell::Cell::get) {
            return Self { _guard: None };
        }
        // A panic while holding it leaves nothing half-written (the transaction rolls back).
        let guard = SQLITE_WRITER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        HOLDS_SQLITE_WRITER.with(|h| h.set(true));
        Self {
            _guard: Some(guard),
        }
    }
}

impl Drop for SqliteWriterGuard {
    fn drop(&mut self) {
        if self._guard.is_some() {
            HOLDS_SQLITE_WRITER.with(|h| h.set(false));
        }
    }
}

/// A write transaction. On SQLite it begins `IMMEDIATE`, taking the write lock before the
/// first read, so two writers never deadlock upgrading a read lock (which `busy_timeout`
/// cannot resolve), and the writers of this process queue in turn ([`SQLITE_WRITER`]). On
/// PostgreSQL it is an ordinary transaction.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if let DbConnection::Sqlite(lite) = conn {
        let _writer = SqliteWriterGuard::acquire();
        AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?;
        let result = f(conn);
        let DbConnection::Sqlite(lite) = conn else {
            return result;
        };
        return match result {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(lite)?;
                Ok(value)
            }
            Err(e) => match AnsiTransactionManager::rollback_transaction(lite) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
                Err(rollback) => Err(rollback.into()),
            },
        };
    }
    conn.transaction(f)
}

/// Writes a consistent copy of a SQLite store to `dest` (`VACUUM INTO`: one read
/// transaction, so writers carry on meanwhile). PostgreSQL has pg_dump for this.
pub fn snapshot_into(conn: &mut DbConnection, dest: &Path) -> StoreResult<()> {
    match conn {
        DbConnection::Sqlite(lite) => {
            diesel::sql_query("VACUUM INTO $1")
                .bind::<diesel::sql_types::Text, _>(dest.to_string_lossy().into_owned())
                .execute(lite)?;
            Ok(())
        }
        DbConnection::Postgresql(_) => Err(StoreError::Config(
            "a snapshot file is for SQLite stores; use pg_dump".into(),
        )),
    }
}

/// Now, in UTC, to the microsecond (what PostgreSQL keeps), so both backends agree.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A fresh random id (a UUID v4) for rows whose ids have no type of their own; requests,
/// tenants and users take `RequestId::generate()` and its kin, which make the same.
pub use crate::domain::ids::new_id;
