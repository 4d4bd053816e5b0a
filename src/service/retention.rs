//! How long inzage keeps its own records of requests (GDPR art. 5(1)(e), storage limitation).
//!
//! A closed request keeps its personal fields (name, e-mail, phone, details, the identifiers
//! staff added, notes on its events, the contents of its mail) for
//! `INZAGE_REQUEST_RETENTION_DAYS` after closing (three years by default: long enough to show
//! accountability, art. 5(2)); then they are erased and the anonymous record stays (kind,
//! tenant, dates, outcome, ground) for reports and the audit trail. Each erasure is written to
//! the audit log in its own transaction and counted in `/metrics`. Idempotent.

use chrono::{DateTime, Duration, Utc};

use crate::error::AppResult;
use crate::store::{DbConnection, audit, erasures, write_tx};

/// Requests looked at per round.
const BATCH: i64 = 100;

/// Erases the personal fields of every request closed more than `days` days before `now`;
/// returns how many were erased.
pub fn erase_closed_requests(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    days: u32,
) -> AppResult<usize> {
    let cutoff = (now - Duration::days(i64::from(days))).naive_utc();
    let mut erased = 0;
    loop {
        let due = erasures::due(conn, cutoff, BATCH)?;
        if due.is_empty() {
            break;
        }
        for (id, tenant) in &due {
            let done = write_tx(conn, |conn| -> AppResult<bool> {
                let at = crate::store::now();
                if !erasures::erase(conn, id, at)? {
                    return Ok(false);
                }
                audit::record(
                    conn,
                    "system",
                    "inzage",
                    "request_personal_data_erased",
                    tenant.as_ref(),
                    Some(id),
                )?;
                Ok(true)
            })?;
            if done {
                erased += 1;
            }
        }
        if due.len() < usize::try_from(BATCH).unwrap_or(100) {
            break;
        }
    }
    Ok(erased)
}

/// How many closed requests had their personal fields erased, for `/metrics`.
pub fn erasure_count(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(erasures::count(conn)?)
}
