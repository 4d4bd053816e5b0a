//! `inzage datamap check FILE [--connect]`: validates a data map and, with `--connect`, that
//! every table and column it names exists in the tenant's databases.
//!
//! Exit codes (README, "Command line"): 0 the map is fine; 2 the map has a problem (the file, or a table
//! or column the database does not have); 1 a system could not be reached (and the map has no
//! problem found so far). Never prints a URL.

use std::path::Path;

use super::CliError;
use crate::tenant_data::{DataMap, ExportOptions, check_connect};

pub fn check(file: &Path, connect: bool) -> Result<(), CliError> {
    let map = DataMap::load(file).map_err(|e| CliError::Usage(e.to_string()))?;
    let counts = format!(
        "{} system{}, {} table{}",
        map.systems.len(),
        if map.systems.len() == 1 { "" } else { "s" },
        map.table_count(),
        if map.table_count() == 1 { "" } else { "s" },
    );
    if !connect {
        println!("{}: ok ({counts})", file.display());
        return Ok(());
    }
    let report = check_connect(&map, &ExportOptions::default());
    let mut lines: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{}: {p}", file.display()))
        .collect();
    lines.extend(
        report
            .unreachable
            .iter()
            .map(|e| format!("{}: {e}", file.display())),
    );
    if !report.problems.is_empty() {
        Err(CliError::Usage(lines.join("\n")))
    } else if !report.unreachable.is_empty() {
        Err(CliError::Runtime(lines.join("\n")))
    } else {
        println!("{}: ok ({counts})", file.display());
        Ok(())
    }
}
