//! `inzage export --request REF --out FILE.zip`.
//!
//! INTERFACE STUB: arrives with the bundle work.

use std::path::Path;

use super::CliError;
use crate::state::AppState;

pub fn run(_state: &AppState, _reference: &str, _out: &Path) -> Result<(), CliError> {
    Err(CliError::Runtime("export is not supported yet".to_owned()))
}
