//! `manifest.json`: what the bundle holds and where it came from — the request, the
//! controller, every system and table of the data map with its row count and the art. 15(1)
//! items (purposes, categories, recipients, retention, source), and a SHA-256 per file.

use std::collections::BTreeSet;

use chrono::SecondsFormat;
use serde::Serialize;

use super::BundleMeta;
use super::writer::{FileEntry, TableRecord};
use crate::tenant_data::{DataMap, SubjectIdentities, TableMap};

/// The manifest's format, so a reader can tell future layouts apart.
pub const MANIFEST_FORMAT: &str = "inzage-bundle/1";

/// The overview of systems (processing agreement art. 7.6): the data map joined with what
/// was written per table. Shared by the manifest and the readable summaries.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub systems: Vec<SystemOverview>,
    pub total_rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SystemOverview {
    pub name: String,
    pub description: String,
    pub tables: Vec<TableOverview>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableOverview {
    pub name: String,
    pub rows: u64,
    /// Every category of its exported columns (the default and the per-column ones).
    pub categories: Vec<String>,
    pub columns: Vec<ColumnOverview>,
    pub purposes: Vec<String>,
    pub retention: Option<String>,
    pub source: Option<String>,
    pub recipients: Vec<String>,
    pub files: TableFiles,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnOverview {
    pub name: String,
    pub category: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableFiles {
    pub json: String,
    pub csv: String,
}

fn table_overview(table: &TableMap, record: Option<&TableRecord>) -> TableOverview {
    let columns: Vec<ColumnOverview> = record
        .map(|r| r.columns.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| ColumnOverview {
            name: c.clone(),
            category: table
                .columns
                .get(c)
                .cloned()
                .or_else(|| table.category.clone()),
        })
        .collect();
    let mut categories: BTreeSet<String> =
        columns.iter().filter_map(|c| c.category.clone()).collect();
    if columns.is_empty()
        && let Some(c) = &table.category
    {
        categories.insert(c.clone());
    }
    TableOverview {
        name: table.name.clone(),
        rows: record.map_or(0, |r| r.rows),
        categories: categories.into_iter().collect(),
        columns,
        purposes: table.purposes.clone(),
        retention: table.retention.clone(),
        source: table.source.clone(),
        recipients: table.recipient_names(),
        files: TableFiles {
            json: record.map(|r| r.json_path.clone()).unwrap_or_default(),
            csv: record.map(|r| r.csv_path.clone()).unwrap_or_default(),
        },
    }
}

impl Overview {
    pub(super) fn new(map: &DataMap, records: &[TableRecord]) -> Self {
        let systems: Vec<SystemOverview> = map
            .systems
            .iter()
            .map(|s| SystemOverview {
                name: s.name.clone(),
                description: s.description.clone(),
                tables: s
                    .tables
                    .iter()
                    .map(|t| {
                        let record = records
                            .iter()
                            .find(|r| r.system == s.name && r.table == t.name);
                        table_overview(t, record)
                    })
                    .collect(),
            })
            .collect();
        let total_rows = records.iter().map(|r| r.rows).sum();
        Self {
            systems,
            total_rows,
        }
    }
}

impl Overview {
    /// The same overview with the map's texts in `language` (a text the map gave as
    /// `{ nl, en }`; any other reads as written), for the readable summary in that language.
    pub(super) fn in_language(&self, map: &DataMap, language: crate::domain::Language) -> Self {
        let l = |t: &String| map.label(t, language).to_owned();
        let mut out = self.clone();
        for s in &mut out.systems {
            for t in &mut s.tables {
                t.categories = t.categories.iter().map(l).collect();
                t.purposes = t.purposes.iter().map(l).collect();
                t.retention = t.retention.as_ref().map(l);
                t.source = t.source.as_ref().map(l);
                for c in &mut t.columns {
                    c.category = c.category.as_ref().map(l);
                }
            }
        }
        out
    }
}

#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    pub format: &'static str,
    pub request: ManifestRequest<'a>,
    pub controller: ManifestController<'a>,
    /// The processor that compiled the bundle on the controller's instruction.
    pub processor: &'a str,
    pub generated_at: String,
    /// The identifiers by which the subject's rows were found.
    pub identities: ManifestIdentities<'a>,
    pub systems: &'a [SystemOverview],
    pub totals: Totals,
    /// Every other file of the bundle with its size and SHA-256 (the manifest cannot list
    /// its own hash).
    pub files: &'a [FileEntry],
}

#[derive(Debug, Serialize)]
pub struct ManifestRequest<'a> {
    pub reference: &'a str,
    pub kind: &'static str,
    /// The GDPR article of the right exercised.
    pub article: &'static str,
    pub received_at: String,
}

#[derive(Debug, Serialize)]
pub struct ManifestController<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub contact_email: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ManifestIdentities<'a> {
    pub email: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub phone: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub customer_id: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub systems: usize,
    pub tables: usize,
    pub rows: u64,
}

impl<'a> Manifest<'a> {
    pub(super) fn new(
        meta: &'a BundleMeta,
        subject: &'a SubjectIdentities,
        overview: &'a Overview,
        files: &'a [FileEntry],
    ) -> Self {
        Self {
            format: MANIFEST_FORMAT,
            request: ManifestRequest {
                reference: &meta.reference,
                kind: meta.kind.as_str(),
                article: meta.kind.article(),
                received_at: meta.received_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            },
            controller: ManifestController {
                slug: &meta.controller_slug,
                name: &meta.controller_name,
                contact_email: &meta.controller_email,
            },
            processor: &meta.processor,
            generated_at: meta.generated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            identities: ManifestIdentities {
                email: &subject.emails,
                phone: &subject.phones,
                customer_id: &subject.customer_ids,
            },
            systems: &overview.systems,
            totals: Totals {
                systems: overview.systems.len(),
                tables: overview.systems.iter().map(|s| s.tables.len()).sum(),
                rows: overview.total_rows,
            },
            files,
        }
    }
}
