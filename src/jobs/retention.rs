//! Hourly retention: ID copies older than 30 days, bundles past their retention period, the
//! personal fields of requests closed longer than the retention period.
//!
//! Each kind has its own function called from [`run`]; all are idempotent, so a job that
//! died half-way is simply run again.

use chrono::{DateTime, Utc};

use super::JobError;
use super::bundle::BundleJobError;
use crate::service::id_documents::{RetentionReport, enforce_retention};
use crate::state::AppState;

pub fn run(state: &AppState) -> Result<(), JobError> {
    id_documents(state, Utc::now())?;
    bundles(state)?;
    requests(state, Utc::now())?;
    Ok(())
}

/// Erases the personal fields of requests closed longer than `INZAGE_REQUEST_RETENTION_DAYS`
/// ago (GDPR art. 5(1)(e)); the anonymous record stays.
pub fn requests(state: &AppState, now: DateTime<Utc>) -> Result<usize, JobError> {
    let mut conn = state.db.conn()?;
    let erased = crate::service::retention::erase_closed_requests(
        &mut conn,
        now,
        state.settings.request_retention_days,
    )?;
    tracing::info!(erased, "request retention done");
    Ok(erased)
}

/// Removes the files of bundles past their retention period (`INZAGE_BUNDLE_RETENTION_DAYS`,
/// GDPR art. 5(1)(e)): the bundle row stays, as `expired`, for the request's history.
pub fn bundles(state: &AppState) -> Result<usize, BundleJobError> {
    let removed = crate::jobs::bundle::expire(state)?;
    tracing::info!(removed, "bundle retention done");
    Ok(removed)
}

/// Deletes every ID copy uploaded more than 30 days before `now`, whatever its request's state
/// (GDPR art. 5(1)(e); EDPB Guidelines 01/2022 §§58-79), copies still held for requests that
/// no longer wait for identity, and ID copy files a crash left unrecorded.
pub fn id_documents(state: &AppState, now: DateTime<Utc>) -> Result<RetentionReport, JobError> {
    let report = enforce_retention(state, now)?;
    tracing::info!(
        expired = report.expired,
        not_needed = report.not_needed,
        stray_files = report.stray_files,
        "ID copy retention done"
    );
    Ok(report)
}
