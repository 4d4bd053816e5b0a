//! Hourly retention: ID copies older than 30 days, bundles past their retention period.
//!
//! INTERFACE STUB: arrives with the ID copy and bundle work.

use crate::state::AppState;

pub fn run(_state: &AppState) -> Result<(), String> {
    Ok(())
}
