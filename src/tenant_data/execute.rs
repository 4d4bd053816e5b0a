//! Running one system's plan against its database: the dry run (rolled back) and the
//! execution (committed), the same statements both times.
//!
//! One write transaction per system. First the subject's rows of every table that others
//! follow (and of every table that is only counted) are counted with a locking read, parents
//! first: from then on nobody can change them or add rows under them until the transaction
//! ends, so the counts are the rows that are there at execution, including rows that arrived
//! since the plan was made. Then each table is changed, children before parents, in batches:
//!
//! - deletes: the key that ends the next batch of n (in key order, after the last batch's)
//!   is read, then the database deletes the subject's rows in that key range itself; keyset
//!   ranges, so rows already deleted are never walked past again, and no more than one key
//!   passes through inzage a batch;
//! - updates (mask, rectify, restrict, lift): the next n keys (and the old values a hash mask
//!   or a rectification needs) are read in key order with `FOR UPDATE`, then updated by key
//!   (`… WHERE key IN (…)`); inzage holds one batch of keys at a time.
//!
//! Either way memory does not depend on the subject's rows.
//!
//! Batches bound each statement (its locks, the server's memory for it, the time between
//! progress reports), not the transaction: a system is changed all or nothing, so a failure
//! half-way leaves it exactly as it was and the retry starts from the beginning. The price is
//! that the whole of one system's change is one transaction (undo log, WAL, journal grow
//! with the subject's rows in that system); chunked commits would bound that too but leave a
//! system half-erased on a failure, which the certificate could not honestly describe.
//! Never holds personal data in an error: messages are scrubbed of the URL, its password and
//! the subject's identities.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::connector::{TenantConnection, scrub, url_password};
use super::datamap::SystemMap;
use super::exec_sql::{
    self, NewValue, Op, SetTo, TableStep, batch_end, delete_range, is_followed, keys_batch,
    lock_count, update_keys,
};
use super::sql::{CatalogColumn, Needles};
use super::{ExportOptions, TenantDataError};
use crate::domain::certificate::TableAction;

/// Rows deleted by one statement.
pub const DELETE_BATCH: usize = 200_000;
/// Rows updated by one statement (each key is a bound value: SQLite takes at most 32,766).
pub const UPDATE_BATCH: usize = 5_000;

/// How a plan runs.
pub struct ExecOptions<'a> {
    pub delete_batch: usize,
    pub update_batch: usize,
    /// `env:` values for the systems' URLs.
    pub export: &'a ExportOptions,
    /// The keyed one-way hash of `mask = "hash"` (hex), from the installation's secret.
    pub mask_hash: &'a dyn Fn(&str) -> String,
}

/// What one table's step did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableResult {
    pub table: String,
    pub action: TableAction,
    pub rows: u64,
    pub columns: Vec<String>,
    pub reason: Option<String>,
    /// Rectification: per corrected column, the SHA-256 (hex) of each old value in key order
    /// (None for NULL): proof of what was replaced without keeping it.
    pub old_sha256: BTreeMap<String, Vec<Option<String>>>,
}

/// How the system's transaction ends.
pub enum Finish<'a> {
    /// The dry run: everything is rolled back.
    Rollback,
    /// The execution: the hook runs with the results just before the commit (to record them
    /// as being committed); an error from it rolls back.
    Commit(&'a mut dyn FnMut(&[TableResult]) -> Result<(), String>),
}

/// Runs `steps` (from [`exec_sql::plan_system`]) on `system` for the subject.
pub fn run_system(
    system: &SystemMap,
    steps: &[TableStep],
    needles: &Needles,
    options: &ExecOptions<'_>,
    finish: Finish<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<TableResult>, TenantDataError> {
    let url = options.export.resolve_url(system)?;
    let mut secrets: Vec<&str> = vec![url.as_str()];
    secrets.extend(url_password(&url));
    secrets.extend(needles.emails.iter().map(String::as_str));
    secrets.extend(needles.phones.iter().map(String::as_str));
    secrets.extend(needles.customer_ids.iter().map(String::as_str));
    let connect = |message: String| TenantDataError::Connect {
        system: system.name.clone(),
        message,
    };
    let mut conn = TenantConnection::open_for_writing(&url).map_err(|e| connect(e.to_string()))?;
    conn.begin_write().map_err(|e| {
        connect(format!(
            "cannot start a transaction: {}",
            scrub(&e.to_string(), &secrets)
        ))
    })?;
    let mut runner = Runner {
        system,
        conn: &mut conn,
        secrets: &secrets,
        needles,
        options,
    };
    let result = runner.run(steps, progress);
    match (result, finish) {
        (Ok(results), Finish::Rollback) => {
            conn.rollback()
                .map_err(|e| runner_error(system, "", &e, &secrets))?;
            Ok(results)
        }
        (Ok(results), Finish::Commit(hook)) => {
            if let Err(message) = hook(&results) {
                let _ = conn.rollback();
                return Err(TenantDataError::Query {
                    system: system.name.clone(),
                    table: String::new(),
                    message: format!("not committed: {message}"),
                });
            }
            conn.commit()
                .map_err(|e| runner_error(system, "", &e, &secrets))?;
            Ok(results)
        }
        (Err(e), _) => {
            // Whatever the failure, nothing of this system is kept.
            let _ = conn.rollback();
            Err(e)
        }
    }
}

fn runner_error(
    system: &SystemMap,
    table: &str,
    e: &dyn std::fmt::Display,
    secrets: &[&str],
) -> TenantDataError {
    TenantDataError::Query {
        system: system.name.clone(),
        table: table.to_owned(),
        message: scrub(&e.to_string(), secrets),
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

struct Runner<'a> {
    system: &'a SystemMap,
    conn: &'a mut TenantConnection,
    secrets: &'a [&'a str],
    needles: &'a Needles,
    options: &'a ExecOptions<'a>,
}

impl Runner<'_> {
    fn error(&self, table: &str, e: impl std::fmt::Display) -> TenantDataError {
        runner_error(self.system, table, &e, self.secrets)
    }

    fn run(
        &mut self,
        steps: &[TableStep],
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vec<TableResult>, TenantDataError> {
        let d = self.conn.dialect();
        // Lock and count, parents first (steps are children first).
        let mut counted: BTreeMap<&str, u64> = BTreeMap::new();
        for step in steps.iter().rev() {
            let table = self
                .system
                .table(&step.table)
                .ok_or_else(|| self.error(&step.table, "the table is not in the data map"))?;
            if !(is_followed(self.system, table) || step.op == Op::Count) {
                continue;
            }
            let n = match lock_count(d, self.system, table, self.needles) {
                Some(s) => self
                    .conn
                    .count(&s.sql, &s.binds)
                    .map_err(|e| self.error(&step.table, e))?,
                None => 0,
            };
            counted.insert(step.table.as_str(), n);
        }
        let mut done = 0u64;
        let mut results = Vec::with_capacity(steps.len());
        for step in steps {
            let table = self
                .system
                .table(&step.table)
                .ok_or_else(|| self.error(&step.table, "the table is not in the data map"))?;
            let mut result = TableResult {
                table: step.table.clone(),
                action: step.action,
                rows: 0,
                columns: step.columns.clone(),
                reason: step.reason.clone(),
                old_sha256: BTreeMap::new(),
            };
            match &step.op {
                Op::Count => {
                    result.rows = counted.get(step.table.as_str()).copied().unwrap_or(0);
                }
                Op::Delete => {
                    let catalog = self.catalog(&step.table)?;
                    let pk = self.column(&catalog, &step.table, &table.primary_key)?;
                    let base = done;
                    result.rows = self.delete_rows(table, &pk, &mut |n| progress(base + n))?;
                    done += result.rows;
                }
                Op::Set(sets) => {
                    let catalog = self.catalog(&step.table)?;
                    let pk = self.column(&catalog, &step.table, &table.primary_key)?;
                    let mut columns = Vec::new();
                    for (name, to) in sets {
                        columns.push((self.column(&catalog, &step.table, name)?, to));
                    }
                    let rectify = step.action == TableAction::Update;
                    let (rows, hashes) =
                        self.set_rows(table, &pk, &columns, rectify, &mut |n| progress(done + n))?;
                    result.rows = rows;
                    done += rows;
                    if rectify {
                        result.old_sha256 = hashes;
                    }
                }
            }
            results.push(result);
        }
        Ok(results)
    }

    fn catalog(&mut self, table: &str) -> Result<Vec<CatalogColumn>, TenantDataError> {
        self.conn
            .columns(table)
            .map_err(|e| self.error(table, e))?
            .ok_or_else(|| self.error(table, "the table does not exist"))
    }

    fn column(
        &self,
        catalog: &[CatalogColumn],
        table: &str,
        name: &str,
    ) -> Result<CatalogColumn, TenantDataError> {
        let d = self.conn.dialect();
        catalog
            .iter()
            .find(|c| d.same_column(&c.name, name))
            .cloned()
            .ok_or_else(|| self.error(table, format!("column {name} does not exist")))
    }

    /// Deletes the subject's rows batch by batch in key order: the key that ends the next
    /// batch is read (one row), then the subject's rows up to it are deleted by the database
    /// (`… WHERE <subject> AND key > last AND key <= end`). No lock beyond the DELETE's own is
    /// needed: it counts what it deleted. Returns the rows deleted.
    fn delete_rows(
        &mut self,
        table: &super::TableMap,
        pk: &CatalogColumn,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, TenantDataError> {
        let d = self.conn.dialect();
        let batch = self.options.delete_batch.max(1);
        let mut rows = 0u64;
        let mut after: Option<String> = None;
        loop {
            let Some(end) = batch_end(
                d,
                self.system,
                table,
                pk,
                self.needles,
                after.as_deref(),
                batch,
            ) else {
                return Ok(0); // the subject has no path to this table
            };
            let page = self
                .conn
                .page(&end.sql, &end.binds)
                .map_err(|e| self.error(&table.name, e))?;
            let upto = match page.into_iter().next() {
                Some(row) => Some(
                    row.k
                        .ok_or_else(|| self.error(&table.name, super::connector::NULL_KEY))?,
                ),
                None => None,
            };
            let Some(del) = delete_range(
                d,
                self.system,
                table,
                pk,
                self.needles,
                after.as_deref(),
                upto.as_deref(),
            ) else {
                return Ok(rows);
            };
            rows += self
                .conn
                .execute(&del.sql, &del.binds)
                .map_err(|e| self.error(&table.name, e))?;
            progress(rows);
            match upto {
                Some(k) => after = Some(k),
                None => return Ok(rows),
            }
        }
    }

    /// Sets columns of the subject's rows batch by batch in key order; returns the rows set
    /// and, per column, the hashes of the old values.
    #[allow(clippy::type_complexity)]
    fn set_rows(
        &mut self,
        table: &super::TableMap,
        pk: &CatalogColumn,
        columns: &[(CatalogColumn, &SetTo)],
        keep_hashes: bool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(u64, BTreeMap<String, Vec<Option<String>>>), TenantDataError> {
        let d = self.conn.dialect();
        let batch = self.options.update_batch.max(1);
        let read: Vec<String> = columns.iter().map(|(c, _)| c.name.clone()).collect();
        let per_row = columns.iter().any(|(_, to)| matches!(to, SetTo::Hash));
        let mut hashes: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        let mut rows = 0u64;
        let mut after: Option<String> = None;
        while let Some(s) = keys_batch(
            d,
            self.system,
            table,
            pk,
            &read,
            self.needles,
            after.as_deref(),
            batch,
            true,
        ) {
            let page = self
                .conn
                .page(&s.sql, &s.binds)
                .map_err(|e| self.error(&table.name, e))?;
            let n = page.len();
            let mut keys = Vec::with_capacity(n);
            let mut olds = Vec::with_capacity(n);
            for row in page {
                let k = row
                    .k
                    .ok_or_else(|| self.error(&table.name, super::connector::NULL_KEY))?;
                let old: Vec<Option<String>> =
                    serde_json::from_str(row.r.as_deref().unwrap_or("[]"))
                        .map_err(|e| self.error(&table.name, format!("unreadable row: {e}")))?;
                keys.push(k);
                olds.push(old);
            }
            if keep_hashes {
                for old in &olds {
                    for (i, (c, _)) in columns.iter().enumerate() {
                        let h = old.get(i).cloned().flatten().map(|v| sha256_hex(&v));
                        hashes.entry(c.name.clone()).or_default().push(h);
                    }
                }
            }
            if per_row {
                for (key, old) in keys.iter().zip(&olds) {
                    let sets: Vec<(&CatalogColumn, NewValue)> = columns
                        .iter()
                        .enumerate()
                        .map(|(i, (c, to))| {
                            let v = match to {
                                SetTo::Value(v) => v.clone(),
                                SetTo::Hash => match old.get(i).cloned().flatten() {
                                    Some(v) => NewValue::Text((self.options.mask_hash)(&v)),
                                    None => NewValue::Null,
                                },
                            };
                            (c, v)
                        })
                        .collect();
                    let u = update_keys(d, &table.name, pk, &sets, std::slice::from_ref(key));
                    self.conn
                        .execute(&u.sql, &u.binds)
                        .map_err(|e| self.error(&table.name, e))?;
                }
            } else if !keys.is_empty() {
                let sets: Vec<(&CatalogColumn, NewValue)> = columns
                    .iter()
                    .map(|(c, to)| match to {
                        SetTo::Value(v) => (c, v.clone()),
                        SetTo::Hash => (c, NewValue::Null),
                    })
                    .collect();
                let u = update_keys(d, &table.name, pk, &sets, &keys);
                self.conn
                    .execute(&u.sql, &u.binds)
                    .map_err(|e| self.error(&table.name, e))?;
            }
            rows += n as u64;
            progress(rows);
            after = keys.pop();
            if n < batch {
                break;
            }
        }
        Ok((rows, hashes))
    }
}

/// Plans and dry-runs (rolled back) every system of `map` for `op`; the result per system.
pub fn dry_run(
    map: &super::DataMap,
    op: &exec_sql::Operation,
    needles: &Needles,
    options: &ExecOptions<'_>,
) -> Result<Vec<(String, Vec<TableResult>)>, TenantDataError> {
    map.validate()?;
    let mut out = Vec::new();
    for system in &map.systems {
        let steps = exec_sql::plan_system(system, op);
        if steps.is_empty() {
            continue;
        }
        let results = run_system(
            system,
            &steps,
            needles,
            options,
            Finish::Rollback,
            &mut |_| {},
        )?;
        out.push((system.name.clone(), results));
    }
    Ok(out)
}
