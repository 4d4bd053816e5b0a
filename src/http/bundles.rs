//! Bundle routes: compile (`POST …/{reference}/bundle`), progress and link
//! (`GET …/{reference}/bundle`), and the signed download (`GET /api/v1/bundles/download`),
//! streamed from the encrypted file storage without holding the file in memory.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Staff, link_error, reference_path, token_param};
use super::file_body::file_body;
use super::views::local;
use crate::auth::token::Purpose;
use crate::error::{AppError, AppResult};
use crate::service::bundles::{BundleState, bundle_state, open_download, request_bundle};
use crate::service::views::{BundleRow, FilePurpose, JobRow};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub tables_done: i32,
    pub tables_total: i32,
    pub rows: i64,
}

/// A bundle as staff see it (docs/api.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleView {
    /// `queued`, `running`, `ready`, `failed` (the last try; see `retry_at`) or `expired`.
    pub status: String,
    pub progress: ProgressView,
    /// A signed link that expires (at `expires_at`); every download is an event on the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<FixedOffset>>,
    /// Why the last try failed (names the system and table, never personal data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When a failed bundle is tried again (absent when it will not be).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<FixedOffset>>,
    /// Tries so far.
    pub attempts: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// SHA-256 of the zip, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub requested_at: DateTime<FixedOffset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<FixedOffset>>,
    /// Until when the bundle is kept (its retention period).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_until: Option<DateTime<FixedOffset>>,
}

impl BundleView {
    fn of(b: &BundleRow, job: Option<&JobRow>, download: Option<(String, DateTime<Utc>)>) -> Self {
        let retry_at = job
            .filter(|j| j.state == "queued" && b.status == "failed")
            .map(|j| local(j.run_after));
        let (download_url, expires_at) = match download {
            Some((url, until)) => (Some(url), Some(local(until.naive_utc()))),
            None => (None, None),
        };
        Self {
            status: b.status.clone(),
            progress: ProgressView {
                tables_done: b.tables_done,
                tables_total: b.tables_total,
                rows: b.row_count,
            },
            download_url,
            expires_at,
            error: b.error.clone(),
            retry_at,
            attempts: job.map_or(0, |j| j.attempts),
            size_bytes: b.size_bytes,
            sha256: b.sha256.clone(),
            requested_at: local(b.created_at),
            finished_at: b.finished_at.map(local),
            kept_until: b.expires_at.map(local),
        }
    }

    fn from_state(s: BundleState) -> Self {
        Self::of(&s.bundle, s.job.as_ref(), s.download)
    }
}

/// Compile the request's bundle from its tenant's data map (queued as a job).
#[utoipa::path(
    post, path = "/api/v1/requests/{reference}/bundle", tag = "bundles",
    params(("reference" = String, Path, example = "DSR-2026-000042")),
    responses((status = 202, body = BundleView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "support without a running access grant (`grant_required`)"),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody, description = "no tenant or data map, identity not confirmed, request refused or withdrawn")),
    security(("bearer" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let reference = reference_path(&path)?;
    let st = state.clone();
    let view = state
        .db
        .run(move |conn| {
            request_bundle(conn, &principal, &reference)?;
            bundle_state(conn, &st, &principal, &reference, Utc::now())
        })
        .await?;
    tracing::info!(status = %view.bundle.status, "bundle requested");
    Ok(HttpResponse::Accepted().json(BundleView::from_state(view)))
}

/// The request's newest bundle: progress, or a fresh signed download link once ready.
#[utoipa::path(
    get, path = "/api/v1/requests/{reference}/bundle", tag = "bundles",
    params(("reference" = String, Path, example = "DSR-2026-000042")),
    responses((status = 200, body = BundleView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody, description = "no bundle was asked for this request")),
    security(("bearer" = []))
)]
pub async fn show(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let reference = reference_path(&path)?;
    let st = state.clone();
    let view = state
        .db
        .run(move |conn| bundle_state(conn, &st, &principal, &reference, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(BundleView::from_state(view)))
}

/// The bundle itself (`application/zip`), by the signed link from `GET …/bundle` together
/// with the staff token of the user it was issued to: a forwarded link alone opens nothing.
/// The download is recorded on the request and in the audit trail before the first byte is
/// sent.
#[utoipa::path(
    get, path = "/api/v1/bundles/download", tag = "bundles",
    params(("token" = String, Query, min_length = 1)),
    responses((status = 200, content_type = "application/zip"),
              (status = 401, body = crate::error::ErrorBody, description = "no staff token, or a bad link"),
              (status = 403, body = crate::error::ErrorBody, description = "the link was issued to another user, or support without a running grant (`grant_required`)"),
              (status = 404, body = crate::error::ErrorBody),
              (status = 410, body = crate::error::ErrorBody, description = "link or bundle expired")),
    security(("bearer" = []))
)]
pub async fn download(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    serve_download(&state, principal, &q).await
}

/// The download itself, for a signed in `principal` (API token or console session): the link
/// must have been issued to that same user.
pub async fn serve_download(
    state: &AppState,
    principal: crate::auth::Principal,
    q: &HashMap<String, String>,
) -> AppResult<HttpResponse> {
    let token = token_param(q)?;
    let claims = state
        .tokens
        .check_link(&token, Purpose::Bundle)
        .map_err(|e| link_error(e, "this download link has expired; ask for a new one"))?;
    let user = claims.by.clone().ok_or_else(AppError::unauthorized)?;
    if principal.user_id != user.as_str() {
        return Err(AppError::Forbidden(
            "this download link was issued to another user".to_owned(),
        ));
    }
    let bundle_id = claims.sub.clone();
    let d = state
        .db
        .run(move |conn| open_download(conn, &bundle_id, &principal))
        .await?;
    stream_zip(state, d.file_id, &d.reference).await
}

/// Streams a bundle's zip from the encrypted file storage without holding it in memory: the
/// one way out for staff downloads and the subject's (`http::subject::download`). The caller
/// has recorded the download.
pub async fn stream_zip(
    state: &AppState,
    file_id: String,
    reference: &str,
) -> AppResult<HttpResponse> {
    let files = state.files.clone();
    let reader = tokio::task::spawn_blocking(move || files.open_for(&file_id, FilePurpose::Bundle))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let size = reader.size();
    tracing::info!(bytes = size, "bundle download started");
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{reference}.zip\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .no_chunking(size)
        .streaming(file_body(reader)))
}
