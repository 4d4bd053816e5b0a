//! Compiling a bundle (exportpakket): the zip handed to the controller with a copy of every
//! row of one subject plus an overview of every system holding it (processing agreement
//! art. 7.5/7.6; GDPR art. 15(1) and (3), art. 20(1)). Layout (docs/api.md, "Bundles"):
//!
//! ```text
//! manifest.json                 request, controller, every system and table, counts, SHA-256s
//! data/<system>/<table>.json    a JSON array of row objects, values keeping their types
//! data/<system>/<table>.csv     the same rows, UTF-8, header row
//! LEESMIJ.html / README.html    the art. 15(1) items and the overview, in Dutch and English
//! ```
//!
//! The zip is written straight into any `Write` (the encrypted file storage, or a file for
//! `inzage export`) while rows stream from the tenant databases: memory does not grow with the
//! subject's data. Owns the bundle's format; must not read databases itself (that is
//! `tenant_data`) nor know where the zip is kept.

mod manifest;
mod pipe;
mod spool;
mod summary;
mod writer;

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};

pub use manifest::{MANIFEST_FORMAT, Manifest};
pub use writer::{BundleWriter, FileEntry, neutralise};

use crate::domain::RequestKind;
use crate::tenant_data::{
    DataMap, ExportOptions, SubjectIdentities, TenantDataError, export_subject_with,
};

/// What the bundle says about the request and its controller.
#[derive(Debug, Clone)]
pub struct BundleMeta {
    pub reference: String,
    pub kind: RequestKind,
    pub received_at: DateTime<Utc>,
    pub controller_slug: String,
    pub controller_name: String,
    pub controller_email: String,
    /// The processor compiling it on the controller's instruction.
    pub processor: String,
    pub generated_at: DateTime<Utc>,
}

/// How far a compilation is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub tables_done: usize,
    pub tables_total: usize,
    pub rows: u64,
}

/// A finished bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSummary {
    pub tables: usize,
    pub rows: u64,
    /// Bytes of the zip.
    pub size_bytes: u64,
    /// SHA-256 of the zip, hex.
    pub sha256: String,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    TenantData(#[from] TenantDataError),
    #[error("writing the bundle failed: {0}")]
    Write(#[from] std::io::Error),
}

/// Compiles the subject's bundle from every system of `map` into `out`. `spool_dir` holds
/// the (encrypted, unlinked) temporary copy of one table's CSV while its JSON is written.
/// `progress` is called after every table and every few thousand rows.
#[allow(clippy::too_many_arguments)]
pub fn compile<W: Write + Send + 'static>(
    map: &DataMap,
    meta: &BundleMeta,
    subject: &SubjectIdentities,
    options: &ExportOptions,
    spool_dir: &Path,
    out: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<(BundleSummary, W), BundleError> {
    let mut writer = BundleWriter::new(out, spool_dir, meta, map.table_count(), progress)?;
    export_subject_with(map, subject, &mut writer, options)?;
    Ok(writer.finish(map, subject)?)
}
