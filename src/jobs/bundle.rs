//! Compiling one request's bundle.
//!
//! INTERFACE STUB: arrives with the bundle work.

use crate::state::AppState;
use crate::store::jobs::JobRow;

pub fn run(_state: &AppState, _job: &JobRow) -> Result<(), String> {
    Err("bundles are not supported yet".to_owned())
}
