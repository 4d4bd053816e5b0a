//! The background queue as admins see it: list jobs, put a dead one back.

use crate::error::{AppError, AppResult};
use crate::store::jobs::{self, JobRow};
use crate::store::{DbConnection, now, write_tx};

/// The newest `limit` jobs, optionally of one state (`queued`, `running`, `done`, `dead`).
pub fn list(conn: &mut DbConnection, state: Option<&str>, limit: i64) -> AppResult<Vec<JobRow>> {
    Ok(jobs::list(conn, state, limit)?)
}

/// Puts a dead job back in the queue, in one transaction: 404 for no such job, 409 when it is
/// not dead.
pub fn retry(conn: &mut DbConnection, id: &str) -> AppResult<JobRow> {
    write_tx(conn, |c| {
        jobs::find(c, id)?.ok_or(AppError::NotFound)?;
        if !jobs::retry(c, id, now())? {
            return Err(AppError::Conflict {
                code: "not_dead",
                message: "only a dead job can be retried".to_owned(),
            });
        }
        jobs::find(c, id)?.ok_or(AppError::NotFound)
    })
}
