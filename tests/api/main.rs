//! One integration-test binary: the real server over HTTP, on SQLite and on PostgreSQL.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod tenant_dbs;

mod audit;
mod auth;
mod backup;
mod browser;
mod bundle_backends;
mod bundles;
mod certificate_browser;
mod certificates;
mod cli;
mod console;
mod console_browser;
mod deadlines;
mod durability;
mod execution;
mod files;
mod grants;
mod hardening;
mod id_documents;
mod instances;
mod intake;
mod intake_group;
mod isolation;
mod jobs;
mod legal;
mod lifecycle;
mod mail;
mod mail_e2e;
mod ops;
mod outbox;
mod queue;
mod rate_limit;
mod report;
mod schema;
mod subject_browser;
mod subject_pages;
mod subject_side;
mod tenant_data;
