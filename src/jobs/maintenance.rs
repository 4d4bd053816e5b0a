//! Hourly housekeeping: forget finished jobs after a week and spent tokens once expired, and
//! remove stored files never finished after a day (with any bytes a crash left without a row).

use chrono::Duration;

use super::JobError;
use crate::state::AppState;
use crate::store::{jobs, now, tokens};

/// How long an unfinished file may stay (a bundle being compiled is written well within it).
pub const INCOMPLETE_FILE_TTL_HOURS: i64 = 24;

pub fn run(state: &AppState) -> Result<(), JobError> {
    let mut conn = state.db.conn()?;
    let pruned = jobs::prune_done(&mut conn, now() - Duration::days(7))?;
    let spent = tokens::prune(&mut conn)?;
    drop(conn);
    let files = state
        .files
        .sweep(now() - Duration::hours(INCOMPLETE_FILE_TTL_HOURS))?;
    tracing::info!(
        pruned_jobs = pruned,
        pruned_tokens = spent,
        incomplete_files = files.incomplete,
        orphan_files = files.orphans,
        "maintenance done"
    );
    Ok(())
}
