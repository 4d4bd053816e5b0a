//! Hourly housekeeping: forget finished jobs after a week and spent tokens once expired.

use chrono::Duration;

use crate::state::AppState;
use crate::store::{jobs, now, tokens};

pub fn run(state: &AppState) -> Result<(), String> {
    let mut conn = state.db.conn().map_err(|e| e.to_string())?;
    let pruned =
        jobs::prune_done(&mut conn, now() - Duration::days(7)).map_err(|e| e.to_string())?;
    let spent = tokens::prune(&mut conn).map_err(|e| e.to_string())?;
    tracing::info!(
        pruned_jobs = pruned,
        pruned_tokens = spent,
        "maintenance done"
    );
    Ok(())
}
