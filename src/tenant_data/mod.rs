//! Connected tenant databases: data maps, subject discovery and row streaming per backend
//! (PostgreSQL, MySQL/MariaDB, SQLite, chosen by URL scheme).
//!
//! Owns reading a tenant's own databases, read-only, with queries generated from the data
//! map (identifiers quoted, values bound), never from user text. An export writes nowhere but
//! into the [`RowSink`] it is given: the bundle layer decides what becomes of the rows. The
//! one write path is [`execute`]: an approved plan (rectification, erasure, restriction, on
//! the controller's instruction) and its rolled-back dry run, with statements from
//! [`exec_sql`].
//!
//! Why it exists: on a controller's instruction the processor hands over a copy of all
//! personal data of one person plus an overview of every system holding it (processing
//! agreement art. 7.5/7.6; GDPR art. 15(3) and 20). The types and signatures here are the
//! contract with `bundle`.
//!
//! Layout: [`datamap`] reads `exports/<tenant>.toml`, [`validate`] checks it, [`sql`] generates
//! the queries (pure), [`connector`] runs them per backend, [`demo`] makes the demo tenant's
//! database.

pub mod connector;
pub mod datamap;
pub mod demo;
pub mod exec_sql;
pub mod execute;
pub mod sql;
pub mod validate;

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use connector::{PageRow, ReadError, TenantConnection, scrub, url_password};
use sql::{CatalogColumn, Needles};

pub use datamap::{
    DataMap, DataMapError, ErasureRule, FlagValue, Follow, Label, Mask, Recipient, Restriction,
    SystemMap, TableMap,
};

/// Who the rows are about: the request's identities (docs/api.md, "Data maps": e-mail always; phone and
/// customer id when staff add them). E-mail matches case-insensitively and trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectIdentities {
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub customer_ids: Vec<String>,
}

/// Where the subject's rows go, table by table (the bundle writer implements it).
///
/// Tables come one at a time: `begin_table`, any number of `row`s, `end_table`. A sink error
/// stops the export and is returned as [`TenantDataError::Sink`].
pub trait RowSink {
    /// A table starts. `columns` are the exported columns in table order (excluded ones
    /// are never among them).
    fn begin_table(
        &mut self,
        system: &SystemMap,
        table: &TableMap,
        columns: &[String],
    ) -> std::io::Result<()>;
    /// One row: its values in `columns` order, each as the database rendered it in JSON
    /// (numbers keep their exact digits, booleans are `true`/`false`, NULL is `null`).
    fn row(&mut self, values: &[&RawValue]) -> std::io::Result<()>;
    /// The table is done; `rows` were written.
    fn end_table(&mut self, rows: u64) -> std::io::Result<()>;
}

/// Why an export stopped. Never holds personal data or a connection URL.
#[derive(Debug, thiserror::Error)]
pub enum TenantDataError {
    #[error(transparent)]
    DataMap(#[from] DataMapError),
    /// The system's database could not be reached.
    #[error("system {system}: cannot connect: {message}")]
    Connect { system: String, message: String },
    /// A query failed (a missing table or column, a dropped connection).
    #[error("system {system}, table {table}: {message}")]
    Query {
        system: String,
        table: String,
        message: String,
    },
    /// The sink could not take a row.
    #[error("writing the export failed: {0}")]
    Sink(#[source] std::io::Error),
}

/// What an export found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub tables: usize,
    pub rows: u64,
}

/// Rows held at a time (a PostgreSQL `FETCH`; MySQL and SQLite hand over one row at a time):
/// memory stays flat however many rows a subject has.
pub const DEFAULT_PAGE_SIZE: usize = 5000;

/// The smallest batch (the tests read with tiny batches to cross many batch boundaries).
pub const MIN_PAGE_SIZE: usize = 2;

/// How an export runs. `Default` is what production uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// Rows held at a time (at least [`MIN_PAGE_SIZE`]).
    pub page_size: usize,
    /// Values for `env:VAR` URLs, looked up before the process environment (a running
    /// process cannot change its own environment safely; the demo uses this).
    pub vars: BTreeMap<String, String>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            page_size: DEFAULT_PAGE_SIZE,
            vars: BTreeMap::new(),
        }
    }
}

impl ExportOptions {
    /// The system's connection URL, `env:VAR` resolved; an unset variable is a connection
    /// failure of that system (the map is fine, the environment is not).
    pub fn resolve_url(&self, system: &SystemMap) -> Result<String, TenantDataError> {
        system
            .resolve_url_with(&|var| self.vars.get(var).cloned())
            .map_err(|e| TenantDataError::Connect {
                system: system.name.clone(),
                message: e
                    .message
                    .strip_prefix(&format!("system {}: ", system.name))
                    .unwrap_or(&e.message)
                    .to_owned(),
            })
    }
}

/// Streams every row of the subject from every system of the map into `sink`: root tables
/// by identity columns, then every `follows` table to any depth. Systems and tables come in
/// map order; each table's rows in primary-key order.
pub fn export_subject(
    map: &DataMap,
    subject: &SubjectIdentities,
    sink: &mut dyn RowSink,
) -> Result<ExportSummary, TenantDataError> {
    export_subject_with(map, subject, sink, &ExportOptions::default())
}

/// [`export_subject`] with options (page size, `env:` values).
///
/// Every table of the map gets `begin_table` and `end_table`, also one the subject has no
/// path to (only phone-rooted tables and no phone given): the bundle lists every table with
/// its count. Each system is read in one read-only snapshot.
pub fn export_subject_with(
    map: &DataMap,
    subject: &SubjectIdentities,
    sink: &mut dyn RowSink,
    options: &ExportOptions,
) -> Result<ExportSummary, TenantDataError> {
    // The SQL generator relies on an acyclic, well-named map; one built in code is checked
    // the same way a file is.
    map.validate()?;
    let needles = Needles::from_subject(subject);
    let mut summary = ExportSummary::default();
    for system in &map.systems {
        let url = options.resolve_url(system)?;
        let mut conn = open_system(system, &url)?;
        let mut secrets: Vec<&str> = vec![url.as_str()];
        secrets.extend(url_password(&url));
        secrets.extend(needles.emails.iter().map(String::as_str));
        secrets.extend(needles.phones.iter().map(String::as_str));
        secrets.extend(needles.customer_ids.iter().map(String::as_str));
        let mut reader = SystemReader {
            system,
            conn: &mut conn,
            secrets: &secrets,
        };
        let result = (|| -> Result<(), TenantDataError> {
            for table in &system.tables {
                let rows = reader.export_table(table, &needles, sink, options.page_size)?;
                summary.tables += 1;
                summary.rows += rows;
            }
            Ok(())
        })();
        // Read-only: the rollback only ends the snapshot; its failure changes nothing.
        let _ = conn.end_snapshot();
        result?;
    }
    Ok(summary)
}

fn open_system(system: &SystemMap, url: &str) -> Result<TenantConnection, TenantDataError> {
    let connect = |message: String| TenantDataError::Connect {
        system: system.name.clone(),
        message,
    };
    let mut conn = TenantConnection::open(url).map_err(|e| connect(e.to_string()))?;
    let secrets: Vec<&str> = [Some(url), url_password(url)]
        .into_iter()
        .flatten()
        .collect();
    conn.begin_snapshot().map_err(|e| {
        connect(format!(
            "cannot start a read-only transaction: {}",
            scrub(&e.to_string(), &secrets)
        ))
    })?;
    tracing::debug!(system = %system.name, dialect = conn.dialect().name(), "tenant database open");
    Ok(conn)
}

/// The exported columns of a table and the catalog spelling of its key columns.
struct TableColumns {
    exported: Vec<CatalogColumn>,
    pk: CatalogColumn,
}

struct SystemReader<'a> {
    system: &'a SystemMap,
    conn: &'a mut TenantConnection,
    /// Never to appear in an error: the URL, its password, the subject's values.
    secrets: &'a [&'a str],
}

impl SystemReader<'_> {
    fn query_error(&self, table: &TableMap, message: impl std::fmt::Display) -> TenantDataError {
        TenantDataError::Query {
            system: self.system.name.clone(),
            table: table.name.clone(),
            message: scrub(&message.to_string(), self.secrets),
        }
    }

    /// Reads the catalog and checks every column the map names for this table exists: an
    /// `exclude` that matches no column could let the column it meant out, so it stops
    /// the export.
    fn table_columns(&mut self, table: &TableMap) -> Result<TableColumns, TenantDataError> {
        let d = self.conn.dialect();
        let catalog = self
            .conn
            .columns(&table.name)
            .map_err(|e| self.query_error(table, e))?
            .ok_or_else(|| self.query_error(table, "the table does not exist"))?;
        let find = |name: &str| catalog.iter().find(|c| d.same_column(&c.name, name));
        let mut missing = Vec::new();
        let mut need = |what: String, name: &str| {
            if find(name).is_none() {
                missing.push(format!("column {name} ({what}) does not exist"));
            }
        };
        need("primary_key".into(), &table.primary_key);
        for (kind, col) in &table.identity {
            need(format!("identity.{}", kind.as_str()), col);
        }
        for (i, f) in table.follows.iter().enumerate() {
            need(format!("follows[{i}].column"), &f.column);
        }
        for (i, col) in table.exclude.iter().enumerate() {
            need(format!("exclude[{i}]"), col);
        }
        if !missing.is_empty() {
            return Err(self.query_error(table, missing.join("; ")));
        }
        let pk = find(&table.primary_key)
            .cloned()
            .ok_or_else(|| self.query_error(table, "the primary key does not exist"))?;
        let exported = catalog
            .iter()
            .filter(|c| !table.exclude.iter().any(|x| d.same_column(&c.name, x)))
            .cloned()
            .collect();
        Ok(TableColumns { exported, pk })
    }

    fn export_table(
        &mut self,
        table: &TableMap,
        needles: &Needles,
        sink: &mut dyn RowSink,
        page_size: usize,
    ) -> Result<u64, TenantDataError> {
        let d = self.conn.dialect();
        let page_size = page_size.max(MIN_PAGE_SIZE);
        let cols = self.table_columns(table)?;
        let names: Vec<String> = cols.exported.iter().map(|c| c.name.clone()).collect();
        sink.begin_table(self.system, table, &names)
            .map_err(TenantDataError::Sink)?;
        let Some(q) = sql::table_query(d, self.system, table, &cols.exported, &cols.pk, needles)
        else {
            sink.end_table(0).map_err(TenantDataError::Sink)?;
            return Ok(0);
        };
        // One statement per table, read in key order; consecutive keys must differ (a key
        // that is not unique, or NULL, could not order the rows and is refused).
        let ctx = ErrorContext {
            system: &self.system.name,
            table: &table.name,
            secrets: self.secrets,
        };
        let mut rows = 0u64;
        let mut previous: Option<String> = None;
        let mut each = |row: PageRow| -> Result<(), TenantDataError> {
            let k = row.k.ok_or_else(|| ctx.error(connector::NULL_KEY))?;
            if previous.as_deref() == Some(k.as_str()) {
                return Err(ctx.error(connector::DUPLICATE_KEY));
            }
            let json = row
                .r
                .as_deref()
                .ok_or_else(|| ctx.error("the database rendered a row as NULL"))?;
            emit(&ctx, json, q.nested, names.len(), sink)?;
            rows += 1;
            previous = Some(k);
            Ok(())
        };
        self.conn
            .for_each_row(&q, page_size, &mut each)
            .map_err(|e| match e {
                ReadError::Db(e) => ctx.error(e),
                ReadError::Key(message) => ctx.error(message),
                ReadError::Stop(e) => e,
            })?;
        sink.end_table(rows).map_err(TenantDataError::Sink)?;
        tracing::debug!(system = %self.system.name, table = %table.name, rows, "table exported");
        Ok(rows)
    }
}

/// Names the system and table in an error, with the secrets scrubbed.
struct ErrorContext<'a> {
    system: &'a str,
    table: &'a str,
    secrets: &'a [&'a str],
}

impl ErrorContext<'_> {
    fn error(&self, message: impl std::fmt::Display) -> TenantDataError {
        TenantDataError::Query {
            system: self.system.to_owned(),
            table: self.table.to_owned(),
            message: scrub(&message.to_string(), self.secrets),
        }
    }
}

/// Splits the database's JSON array into values (exactly as the database wrote them) and
/// hands them to the sink.
fn emit(
    ctx: &ErrorContext<'_>,
    json: &str,
    nested: bool,
    expected: usize,
    sink: &mut dyn RowSink,
) -> Result<(), TenantDataError> {
    // serde_json's messages give a position, never the text.
    let bad = |e: serde_json::Error| ctx.error(format!("unreadable row JSON: {e}"));
    let values: Vec<&RawValue> = if nested {
        serde_json::from_str::<Vec<Vec<&RawValue>>>(json)
            .map_err(bad)?
            .into_iter()
            .flatten()
            .collect()
    } else {
        serde_json::from_str(json).map_err(bad)?
    };
    if values.len() != expected {
        return Err(ctx.error(format!(
            "a row has {} values, expected {expected}",
            values.len()
        )));
    }
    sink.row(&values).map_err(TenantDataError::Sink)
}

/// What `inzage datamap check --connect` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Problems of the map against the databases (a missing table or column, a query that
    /// the database refuses): fix the map. One line each, naming system and table.
    pub problems: Vec<String>,
    /// Systems that could not be reached (each a [`TenantDataError::Connect`]).
    pub unreachable: Vec<TenantDataError>,
}

/// Connects to every system of a (valid) map and checks that every table and every column it
/// names exists, and that the export query of every table runs (`LIMIT 0`: nothing is read).
/// Every problem is listed; a system that cannot be reached does not stop the others.
pub fn check_connect(map: &DataMap, options: &ExportOptions) -> CheckReport {
    let mut report = CheckReport::default();
    // Values no one has: the queries are only planned.
    let probe = Needles {
        emails: vec!["check@inzage.invalid".into()],
        phones: vec!["+0".into()],
        customer_ids: vec!["0".into()],
    };
    for system in &map.systems {
        let url = match options.resolve_url(system) {
            Ok(u) => u,
            Err(e) => {
                report.unreachable.push(e);
                continue;
            }
        };
        let mut conn = match open_system(system, &url) {
            Ok(c) => c,
            Err(e) => {
                report.unreachable.push(e);
                continue;
            }
        };
        let at = |t: &TableMap| format!("system {}, table {}", system.name, t.name);
        let d = conn.dialect();
        let mut secrets: Vec<&str> = vec![url.as_str()];
        secrets.extend(url_password(&url));
        // Every table's catalog first: follows[].references are columns of other tables.
        let mut catalogs: BTreeMap<&str, Option<Vec<CatalogColumn>>> = BTreeMap::new();
        for t in &system.tables {
            match conn.columns(&t.name) {
                Ok(cols) => {
                    if cols.is_none() {
                        report
                            .problems
                            .push(format!("{}: the table does not exist", at(t)));
                    }
                    catalogs.insert(t.name.as_str(), cols);
                }
                Err(e) => {
                    report.problems.push(format!(
                        "{}: cannot read its columns: {}",
                        at(t),
                        scrub(&e.to_string(), &secrets)
                    ));
                    catalogs.insert(t.name.as_str(), None);
                }
            }
        }
        for t in &system.tables {
            let Some(Some(cols)) = catalogs.get(t.name.as_str()) else {
                continue;
            };
            let has =
                |cols: &[CatalogColumn], n: &str| cols.iter().any(|c| d.same_column(&c.name, n));
            let mut problems = Vec::new();
            let mut need = |key: String, name: &str| {
                if !has(cols, name) {
                    problems.push(format!("{}: {key}: column {name} does not exist", at(t)));
                }
            };
            need("primary_key".into(), &t.primary_key);
            for (kind, col) in &t.identity {
                need(format!("identity.{}", kind.as_str()), col);
            }
            for (i, col) in t.exclude.iter().enumerate() {
                need(format!("exclude[{i}]"), col);
            }
            for col in t.columns.keys() {
                need(format!("columns.{col}"), col);
            }
            for (i, f) in t.follows.iter().enumerate() {
                need(format!("follows[{i}].column"), &f.column);
            }
            if let Some(ErasureRule::Mask(cols)) = &t.on_erasure {
                for col in cols.keys() {
                    need(format!("on_erasure.mask.{col}"), col);
                }
            }
            if let Some(r) = &t.restriction {
                need("restriction.column".into(), &r.column);
            }
            for (i, col) in t.rectifiable.iter().enumerate() {
                need(format!("rectifiable[{i}]"), col);
            }
            for (i, f) in t.follows.iter().enumerate() {
                if let Some(Some(parent)) = catalogs.get(f.table.as_str())
                    && !has(parent, &f.references)
                {
                    problems.push(format!(
                        "{}: follows[{i}].references: column {} does not exist in table {}",
                        at(t),
                        f.references,
                        f.table
                    ));
                }
            }
            if problems.is_empty() {
                // The export query itself (types of follows columns that cannot be compared,
                // a function the database lacks) — planned, not run.
                let exported: Vec<CatalogColumn> = cols
                    .iter()
                    .filter(|c| !t.exclude.iter().any(|x| d.same_column(&c.name, x)))
                    .cloned()
                    .collect();
                let pk = cols.iter().find(|c| d.same_column(&c.name, &t.primary_key));
                if let Some(pk) = pk
                    && let Some(q) = sql::table_query(d, system, t, &exported, pk, &probe)
                {
                    let limit0 = format!("{} LIMIT 0", q.rows);
                    if let Err(e) = conn.page(&limit0, &q.binds) {
                        problems.push(format!(
                            "{}: the export query fails: {}",
                            at(t),
                            scrub(&e.to_string(), &secrets)
                        ));
                    }
                }
            }
            report.problems.extend(problems);
        }
        let _ = conn.end_snapshot();
    }
    report
}
