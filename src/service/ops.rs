//! What `/metrics` reports about the store: requests per status and kind, jobs per state and
//! kind, the outbox.

use crate::error::AppResult;
use crate::store::outbox::OutboxStats;
use crate::store::{DbConnection, jobs, now, outbox, requests};

/// The counts behind the gauges of `/metrics`.
pub struct Counts {
    /// (status, kind, n)
    pub requests: Vec<(String, String, i64)>,
    /// (state, kind, n)
    pub jobs: Vec<(String, String, i64)>,
    pub outbox: OutboxStats,
}

pub fn counts(conn: &mut DbConnection) -> AppResult<Counts> {
    Ok(Counts {
        requests: requests::counts_by_status_and_kind(conn)?,
        jobs: jobs::counts(conn)?,
        outbox: outbox::stats(conn, now())?,
    })
}
