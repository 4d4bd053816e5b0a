//! Data maps (`exports/<tenant>.toml`, CONTRACT.md "Data maps"): where one tenant's personal
//! data lives, parsed into a typed, validated graph.
//!
//! INTERFACE STUB: the types are final (add fields, don't rename); parsing and validation
//! arrive with the tenant-data work.

use std::collections::BTreeMap;
use std::path::Path;

use crate::domain::IdentityKind;

/// One tenant's data map: its systems (databases) and their tables.
#[derive(Debug, Clone, PartialEq)]
pub struct DataMap {
    /// The tenant's slug (`tenant = "demo"`).
    pub tenant: String,
    /// The file it was read from, for error messages (`exports/demo.toml`).
    pub file: String,
    pub systems: Vec<SystemMap>,
}

/// One database of the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemMap {
    /// Short name, used in bundle paths (`data/<system>/<table>.json`).
    pub name: String,
    /// As written in the map: `postgres://…`, `mysql://…`, `sqlite://PATH` or `env:VAR`.
    /// Resolve with [`SystemMap::resolve_url`]; never log it (it may hold a password).
    pub url: String,
    /// Shown in the overview of systems.
    pub description: String,
    pub tables: Vec<TableMap>,
}

/// One table of a system and what the bundle says about its data (art. 15(1)).
#[derive(Debug, Clone, PartialEq)]
pub struct TableMap {
    pub name: String,
    pub primary_key: String,
    /// Identity type → column; a table with any is a root table.
    pub identity: BTreeMap<IdentityKind, String>,
    /// Columns never exported.
    pub exclude: Vec<String>,
    /// Default category of its columns.
    pub category: Option<String>,
    /// Per-column categories.
    pub columns: BTreeMap<String, String>,
    pub purposes: Vec<String>,
    pub retention: Option<String>,
    pub source: Option<String>,
    pub recipients: Vec<String>,
    /// Rows reached from rows of other tables of the same system.
    pub follows: Vec<Follow>,
}

/// `follows = [{ column = "member_id", table = "members", references = "id" }]`: a row of this
/// table belongs to the subject if `column` equals `references` of a subject's row of `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    pub column: String,
    pub table: String,
    pub references: String,
}

/// A data map that cannot be used; the message names the file, system, table and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DataMapError {
    pub message: String,
}

impl DataMap {
    /// Reads and validates a data map file.
    pub fn load(path: &Path) -> Result<Self, DataMapError> {
        let text = std::fs::read_to_string(path).map_err(|e| DataMapError {
            message: format!("{}: cannot read: {e}", path.display()),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates a data map; `file` names it in errors.
    pub fn parse(_text: &str, file: &str) -> Result<Self, DataMapError> {
        Err(DataMapError {
            message: format!("{file}: data maps are not supported yet"),
        })
    }

    pub fn system(&self, name: &str) -> Option<&SystemMap> {
        self.systems.iter().find(|s| s.name == name)
    }

    /// How many tables a full export walks (for progress).
    pub fn table_count(&self) -> usize {
        self.systems.iter().map(|s| s.tables.len()).sum()
    }
}

impl SystemMap {
    /// The connection URL, with `env:VAR` read from the environment.
    pub fn resolve_url(&self) -> Result<String, DataMapError> {
        match self.url.strip_prefix("env:") {
            Some(var) => std::env::var(var).map_err(|_| DataMapError {
                message: format!(
                    "system {}: the environment variable {var} is not set",
                    self.name
                ),
            }),
            None => Ok(self.url.clone()),
        }
    }
}
