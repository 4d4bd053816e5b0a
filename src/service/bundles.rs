//! Bundles as staff ask for them: compile one (queued as a job), see how far it is, and
//! download it by a signed, expiring link — every download an event on the request.
//!
//! Who may reach tenant data (docs/api.md, "Roles"): admin; the tenant's own controller;
//! support only while an access grant of the controller runs.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::auth::Principal;
use crate::auth::token::Purpose;
use crate::domain::TenantId;
use crate::domain::job::JobKind;
use crate::domain::{EventKind, Role, Status};
use crate::error::{AppError, AppResult};
use crate::links;
use crate::service::audit as service_audit;
use crate::service::grants::{request_with_data_access, require_data_access};
use crate::state::AppState;
use crate::store::bundles::{BundleRow, BundleStatus, NewBundle, job_key};
use crate::store::events::{EventActor, NewEvent};
use crate::store::jobs::{self, JobRow, NewJob};
use crate::store::requests::RequestRow;
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, grants, new_id, now, write_tx};

/// Tries of a bundle job before it is dead (a tenant database down for a while is retried
/// with backoff).
pub const BUNDLE_ATTEMPTS: i32 = 5;

/// Whether `principal` may reach the data of `tenant_id` (bundles) now (see
/// [`crate::service::grants::require_data_access`], which also names the grant).
pub fn may_reach_tenant_data(
    conn: &mut DbConnection,
    principal: &Principal,
    tenant_id: &TenantId,
    at: NaiveDateTime,
) -> AppResult<bool> {
    Ok(match principal.role {
        Role::Admin => true,
        Role::Controller => principal.tenant_id.as_ref() == Some(tenant_id),
        Role::Support => grants::is_active(conn, tenant_id, &principal.user_id, at)?,
    })
}

/// Why a bundle may not be compiled for this request now, if it may not.
///
/// A copy of personal data goes only to the person it is about: not before the e-mail address
/// is confirmed, nor while identity information is awaited (GDPR art. 12(6); EDPB Guidelines
/// 01/2022 §§58-79), nor for a refused or withdrawn request.
pub fn refusal_to_compile(row: &RequestRow, tenant: &Tenant) -> AppResult<Option<String>> {
    let status = row.status;
    Ok(match status {
        Status::AwaitingVerification => {
            Some("the subject has not confirmed the e-mail address yet".to_owned())
        }
        Status::Refused | Status::Withdrawn => Some(format!("the request is {}", status.as_str())),
        _ if row.identity_pending => Some(
            "the subject's identity is not yet confirmed (identity information was asked)"
                .to_owned(),
        ),
        _ if tenant.datamap_path.is_none() => Some(format!(
            "tenant {} has no data map (inzage tenant add --datamap exports/{}.toml)",
            tenant.slug, tenant.slug
        )),
        _ => None,
    })
}

/// Queues a bundle for the request (202). While one is queued or running, that one is
/// answered again instead of a second.
pub fn request_bundle(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
) -> AppResult<BundleRow> {
    write_tx(conn, |conn| {
        let (row, tenant, grant) =
            request_with_data_access(conn, principal, reference, "a bundle")?;
        if let Some(why) = refusal_to_compile(&row, &tenant)? {
            return Err(AppError::Conflict {
                code: "bundle_not_allowed",
                message: format!("no bundle now: {why}"),
            });
        }
        if let Some(b) = BundleRow::latest_for_request(conn, &row.id)?
            && (b.is(BundleStatus::Queued) || b.is(BundleStatus::Running))
        {
            return Ok(b);
        }
        let at = now();
        let bundle = NewBundle {
            id: new_id(),
            request_id: row.id.clone(),
            status: BundleStatus::Queued.as_str().to_owned(),
            tables_done: 0,
            tables_total: 0,
            row_count: 0,
            requested_by: Some(principal.user_id.clone()),
            created_at: at,
        };
        bundle.insert(conn)?;
        jobs::enqueue(
            conn,
            &NewJob {
                kind: JobKind::Bundle.as_str().to_owned(),
                payload: serde_json::json!({ "bundle_id": bundle.id }),
                dedupe_key: Some(job_key(&bundle.id)),
                run_after: at,
                max_attempts: BUNDLE_ATTEMPTS,
            },
            at,
        )?;
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        NewEvent::new(&row.id, &actor, EventKind::BundleRequested, at).insert(conn)?;
        service_audit::record_access(
            conn,
            principal,
            "bundle_requested",
            Some(&tenant.id),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({ "bundle": bundle.id })),
        )?;
        BundleRow::find(conn, &bundle.id)?.ok_or(AppError::NotFound)
    })
}

/// The newest bundle of a request, what its job says, and a fresh download link if ready.
pub struct BundleState {
    pub bundle: BundleRow,
    pub job: Option<JobRow>,
    pub download: Option<(String, DateTime<Utc>)>,
}

pub fn bundle_state(
    conn: &mut DbConnection,
    state: &AppState,
    principal: &Principal,
    reference: &str,
    at: DateTime<Utc>,
) -> AppResult<BundleState> {
    let (row, _, _) = request_with_data_access(conn, principal, reference, "a bundle")?;
    let bundle = BundleRow::latest_for_request(conn, &row.id)?.ok_or(AppError::NotFound)?;
    let job = jobs::find_by_dedupe_key(conn, &job_key(&bundle.id))?;
    let download = match bundle.expires_at {
        Some(expires) if bundle.is(BundleStatus::Ready) && expires.and_utc() > at => {
            let link_days = Duration::days(i64::from(state.settings.download_link_days));
            let until = (at + link_days).min(expires.and_utc());
            let (token, _) = state
                .tokens
                .issue_link_by(
                    Purpose::Bundle,
                    &bundle.id,
                    Some(principal.user_id.as_str()),
                    at,
                    until - at,
                )
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Some((
                links::bundle_download(&state.settings.public_url, &token),
                until,
            ))
        }
        _ => None,
    };
    Ok(BundleState {
        bundle,
        job,
        download,
    })
}

/// A download about to stream: the file and what to call it.
pub struct Download {
    pub file_id: String,
    pub reference: String,
    pub size_bytes: Option<i64>,
}

/// Opens a download link for `principal`, the signed-in user it was issued to (a forwarded
/// link alone opens nothing): checks that they may still reach the tenant's data, and records
/// the download on the request and in the audit trail before a byte goes out.
pub fn open_download(
    conn: &mut DbConnection,
    bundle_id: &str,
    principal: &Principal,
) -> AppResult<Download> {
    write_tx(conn, |conn| {
        let gone = || AppError::Gone {
            code: "bundle_gone",
            message: "this bundle is no longer available; compile a new one".to_owned(),
        };
        let bundle = BundleRow::find(conn, bundle_id)?.ok_or_else(gone)?;
        let at = now();
        let file_id = match (&bundle.file_id, bundle.expires_at) {
            (Some(f), Some(exp)) if bundle.is(BundleStatus::Ready) && exp > at => f.clone(),
            _ => return Err(gone()),
        };
        let row = RequestRow::find(conn, &bundle.request_id)?.ok_or(AppError::NotFound)?;
        let tenant_id = row.tenant_id.clone().ok_or(AppError::NotFound)?;
        if !principal.can_see_tenant(Some(&tenant_id)) {
            return Err(AppError::NotFound);
        }
        let grant = require_data_access(conn, principal, &tenant_id, at)?;
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        let mut event = NewEvent::new(&row.id, &actor, EventKind::BundleDownloaded, at);
        event.data = Some(serde_json::json!({ "bundle_id": bundle.id }).to_string());
        event.insert(conn)?;
        service_audit::record_access(
            conn,
            principal,
            "bundle_download",
            Some(&tenant_id),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({ "bundle": bundle.id })),
        )?;
        Ok(Download {
            file_id,
            reference: row.reference,
            size_bytes: bundle.size_bytes,
        })
    })
}

/// Records a bundle written by `inzage export` on the request's history.
pub fn record_export(
    conn: &mut DbConnection,
    request: &RequestRow,
    summary: &crate::bundle::BundleSummary,
) -> AppResult<()> {
    let mut event = NewEvent::new(
        &request.id,
        &EventActor::command_line(),
        EventKind::BundleExported,
        crate::store::now(),
    );
    event.data = Some(
        serde_json::json!({
            "tables": summary.tables,
            "rows": summary.rows,
            "size_bytes": summary.size_bytes,
            "sha256": summary.sha256,
        })
        .to_string(),
    );
    event.insert(conn)?;
    Ok(())
}
