//! `inzage datamap check FILE [--connect]`.
//!
//! INTERFACE STUB: arrives with the tenant-data work.

use std::path::Path;

use super::CliError;

pub fn check(file: &Path, _connect: bool) -> Result<(), CliError> {
    crate::tenant_data::DataMap::load(file).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(())
}
