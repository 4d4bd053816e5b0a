//! Connected tenant databases: data maps, subject discovery and row streaming per backend
//! (PostgreSQL, MySQL/MariaDB, SQLite, chosen by URL scheme).
//!
//! Owns reading a tenant's own databases, read-only, with queries generated from the data
//! map (identifiers quoted, values bound), never from user text. Must not write anywhere but
//! into the [`RowSink`] it is given: the bundle layer decides what becomes of the rows.
//!
//! INTERFACE STUB: the types and signatures are the contract between this module and
//! `bundle`; the implementation arrives with the tenant-data work.

pub mod datamap;

use serde_json::value::RawValue;

pub use datamap::{DataMap, DataMapError, Follow, SystemMap, TableMap};

/// Who the rows are about: the request's identities (CONTRACT.md: e-mail always; phone and
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

/// Streams every row of the subject from every system of the map into `sink`: root tables
/// by identity columns, then every `follows` table to any depth. Systems and tables come in
/// map order; each table's rows in primary-key order.
pub fn export_subject(
    map: &DataMap,
    _subject: &SubjectIdentities,
    _sink: &mut dyn RowSink,
) -> Result<ExportSummary, TenantDataError> {
    Err(TenantDataError::DataMap(DataMapError {
        message: format!("{}: tenant data export is not supported yet", map.file),
    }))
}
