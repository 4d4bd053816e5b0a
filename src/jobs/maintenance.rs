//! Hourly housekeeping: forget finished jobs after a week and spent tokens once expired, and
//! remove stored files never finished after a day (with any bytes a crash left without a row).

use chrono::Duration;

use crate::state::AppState;
use crate::store::{jobs, now, tokens};

/// How long an unfinished file may stay (a bundle being compiled is written well within it).
pub const INCOMPLETE_FILE_TTL_HOURS: i64 = 24;

pub fn run(state: &AppState) -> Result<(), String> {
    let mut conn = state.db.conn().map_err(|e| e.to_string())?;
    let pruned =
        jobs::prune_done(&mut conn, now() - Duration::days(7)).map_err(|e| e.to_string())?;
    let spent = tokens::prune(&mut conn).map_err(|e| e.to_string())?;
    drop(conn);
    let files = state
        .files
        .sweep(now() - Duration::hours(INCOMPLETE_FILE_TTL_HOURS))
        .map_err(|e| e.to_string())?;
    tracing::info!(
        pruned_jobs = pruned,
        pruned_tokens = spent,
        incomplete_files = files.incomplete,
        orphan_files = files.orphans,
        "maintenance done"
    );
    Ok(())
}
