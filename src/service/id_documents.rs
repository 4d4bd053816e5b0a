//! Copies of identity documents, only where a tenant's policy asks for one (README,
//! "Identity and ID copies").
//!
//! The EDPB (Guidelines 01/2022 on the right of access, §§58-79) holds that asking for an ID
//! copy is as a rule disproportionate where less intrusive means (the mailed link) suffice, and
//! the Dutch DPA fined a company for asking routine ID copies. So: a copy is only accepted
//! while staff asked for identity information on a request of a tenant whose policy requires
//! it; the subject is told to black out photo, BSN, MRZ and document number (KopieID); the
//! file is encrypted at rest (GDPR art. 32) under its own key; every staff view is audited;
//! it is deleted in the very transaction in which staff record the check (or the request
//! closes), and after 30 days whatever happens (art. 5(1)(c) and (e)). What remains is
//! "identity checked by X at T by method M" (`requests.identity_check`) and the two moments
//! in `id_documents`. A BSN is never asked for, read or stored.

use std::io::Write;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::auth::Principal;
use crate::auth::token::Purpose;
use crate::domain::EventKind;
use crate::domain::RequestId;
use crate::domain::lifecycle::{Command, IdCopyDeletion};
use crate::error::{AppError, AppResult};
use crate::links;
use crate::service::actions::visible_request;
use crate::service::grants::{grant_required, require_data_access};
use crate::state::AppState;
use crate::store::events::{EventActor, NewEvent};
use crate::store::files::{FileError, FilePurpose, FileReader, FileStorage};
use crate::store::id_documents::{self as docs, IdDocumentRow, NewIdDocument};
use crate::store::requests::RequestRow;
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, new_id, now, write_tx};

/// Largest copy accepted (a phone photo or a KopieID PDF is far smaller).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// No copy is kept longer than this, whatever its request's state.
pub const RETENTION_DAYS: i64 = 30;

/// The types accepted, told apart by their content (magic bytes), never by name or header.
pub fn sniff(content: &[u8]) -> Option<&'static str> {
    match infer::get(content)?.mime_type() {
        "application/pdf" => Some("application/pdf"),
        "image/jpeg" => Some("image/jpeg"),
        "image/png" => Some("image/png"),
        _ => None,
    }
}

/// The file name extension for a sniffed type.
pub fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "bin",
    }
}

/// Why a copy is not taken now (409).
fn not_expected() -> AppError {
    AppError::Conflict {
        code: "id_document_not_expected",
        message: "no copy of an identity document is asked for this request now".to_owned(),
    }
}

/// Whether the request's tenant allows ID copies at all (`--id-document-allowed`).
fn tenant_allows_copies(conn: &mut DbConnection, row: &RequestRow) -> AppResult<bool> {
    Ok(match &row.tenant_id {
        Some(id) => Tenant::find(conn, id)?.is_some_and(|t| t.id_document_required),
        None => false,
    })
}

/// Refuses (422) a `request_identity` asking for an ID copy on a request whose tenant does not
/// allow copies. The tenant flag only allows them; staff ask on a single request, with a reason
/// (EDPB Guidelines 01/2022 §§69, 73-77; the AP's fine for routine ID copies).
pub fn check_copy_allowed(
    conn: &mut DbConnection,
    row: &RequestRow,
    command: &Command,
) -> AppResult<()> {
    if let Command::RequestIdentity {
        id_copy_reason: Some(_),
        ..
    } = command
        && !tenant_allows_copies(conn, row)?
    {
        return Err(AppError::field(
            "id_copy",
            "this tenant does not allow copies of ID documents",
        ));
    }
    Ok(())
}

/// Why the request asks for an ID copy now, if it does: open, identity information asked and
/// not yet in, the latest question asked for a copy (with its reason), and a tenant that
/// allows copies.
pub fn copy_reason(conn: &mut DbConnection, row: &RequestRow) -> AppResult<Option<String>> {
    if !row.identity_pending || row.status.is_closed() {
        return Ok(None);
    }
    let asked = crate::store::events::Event::for_request(conn, &row.id)?
        .into_iter()
        .rev()
        .find(|e| e.kind == crate::domain::EventKind::IdentityRequested);
    let reason = asked
        .and_then(|e| e.data)
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .filter(|d| d.get("id_copy").and_then(serde_json::Value::as_bool) == Some(true))
        .and_then(|d| {
            d.get("id_copy_reason")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        });
    if reason.is_none() || !tenant_allows_copies(conn, row)? {
        return Ok(None);
    }
    Ok(reason)
}

/// Whether the request asks for an ID copy now (see [`copy_reason`]).
pub fn copy_expected(conn: &mut DbConnection, row: &RequestRow) -> AppResult<bool> {
    Ok(copy_reason(conn, row)?.is_some())
}

/// The subject's upload page for a request: a purpose-bound token (30 days).
pub fn upload_url(state: &AppState, row: &RequestRow, now: DateTime<Utc>) -> AppResult<String> {
    let (token, _) = state
        .tokens
        .issue_link(
            Purpose::IdDocument,
            row.id.as_str(),
            now,
            Purpose::IdDocument.lifetime(),
        )
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(links::id_document(
        &state.settings.public_url,
        &row.reference,
        &token,
    ))
}

/// Why a copy was deleted (kept on the event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteReason {
    /// Staff recorded the identity check.
    IdentityChecked,
    /// The request was closed (completed, refused, withdrawn).
    RequestClosed,
    /// A newer upload replaced it.
    Replaced,
    /// Older than [`RETENTION_DAYS`].
    Retention,
    /// Still held although its request no longer waits for identity (a safety net).
    NotNeeded,
}

impl DeleteReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdentityChecked => "identity_checked",
            Self::RequestClosed => "request_closed",
            Self::Replaced => "replaced",
            Self::Retention => "retention",
            Self::NotNeeded => "not_needed",
        }
    }
}

/// Deletes one held copy inside the caller's transaction: its row is emptied, its stored file
/// forgotten (unreadable from this commit on), and the deletion recorded on the request. The
/// file id goes to `files`, for its bytes to be removed after the commit. False when another
/// writer deleted it first.
fn discard_one(
    conn: &mut DbConnection,
    doc: &IdDocumentRow,
    reason: DeleteReason,
    actor: &EventActor,
    at: NaiveDateTime,
    files: &mut Vec<String>,
) -> AppResult<bool> {
    if !docs::mark_deleted(conn, &doc.id, at)? {
        return Ok(false);
    }
    if let Some(file_id) = &doc.file_id {
        FileStorage::forget_in(conn, file_id)?;
        files.push(file_id.clone());
    }
    let mut event = NewEvent::new(&doc.request_id, actor, EventKind::IdDocumentDeleted, at);
    event.public = true;
    event.data = Some(serde_json::json!({"reason": reason.as_str()}).to_string());
    event.insert(conn)?;
    Ok(true)
}

/// Deletes every copy a request holds, inside the caller's transaction; the file ids whose
/// bytes the caller removes after commit ([`remove_bytes`]).
pub fn discard_in(
    conn: &mut DbConnection,
    request_id: &RequestId,
    reason: DeleteReason,
    actor: &EventActor,
    at: NaiveDateTime,
) -> AppResult<Vec<String>> {
    let mut files = Vec::new();
    for doc in IdDocumentRow::held(conn, request_id)? {
        discard_one(conn, &doc, reason, actor, at, &mut files)?;
    }
    Ok(files)
}

/// Deletes the held copies an action's plan says go (`Consequence::DeleteIdCopies`): staff
/// recorded the identity check, or the request closed. In the action's transaction; the file
/// ids whose bytes the caller removes after commit ([`remove_bytes`]).
pub fn delete_copies(
    conn: &mut DbConnection,
    row: &RequestRow,
    why: IdCopyDeletion,
    actor: &EventActor,
    at: NaiveDateTime,
) -> AppResult<Vec<String>> {
    let reason = match why {
        IdCopyDeletion::IdentityChecked => DeleteReason::IdentityChecked,
        IdCopyDeletion::RequestClosed => DeleteReason::RequestClosed,
    };
    discard_in(conn, &row.id, reason, actor, at)
}

/// Removes deleted copies' bytes after the commit. A failure is logged, not raised: the rows
/// are gone, so the bytes cannot be decrypted, and the sweep removes them later.
pub fn remove_bytes(files: &FileStorage, file_ids: &[String]) {
    for id in file_ids {
        if let Err(e) = files.remove_bytes(id) {
            tracing::warn!(error = %e, "removing a deleted ID copy's bytes failed; the sweep retries");
        }
    }
}

/// On PostgreSQL, locks the request row for the rest of the transaction, so an upload and a
/// staff action on the same request take turns (SQLite's write transactions already do).
fn lock_request(conn: &mut DbConnection, request_id: &RequestId) -> AppResult<()> {
    use diesel::RunQueryDsl;
    if conn.is_postgres() {
        diesel::sql_query("SELECT id FROM requests WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(request_id)
            .execute(conn)?;
    }
    Ok(())
}

/// Stores an uploaded copy (blocking). The request must expect one (else 409). The file is
/// written encrypted first; then one transaction checks again, replaces an earlier copy,
/// records the new one and its event. If that fails the new file is removed again.
pub fn store_upload(
    state: &AppState,
    request_id: &RequestId,
    content: &[u8],
    content_type: &'static str,
) -> AppResult<IdDocumentRow> {
    let mut conn = state.db.conn()?;
    let row = RequestRow::find(&mut conn, request_id)?.ok_or(AppError::NotFound)?;
    if !copy_expected(&mut conn, &row)? {
        return Err(not_expected());
    }
    drop(conn);

    let mut writer = state.files.create(FilePurpose::IdDocument)?;
    writer.write_all(content).map_err(FileError::from)?;
    let stored = writer.finish()?;

    let size_bytes = i64::try_from(stored.size_bytes).unwrap_or(i64::MAX);
    let mut conn = state.db.conn()?;
    let recorded = write_tx(
        &mut conn,
        |conn| -> AppResult<(IdDocumentRow, Vec<String>)> {
            lock_request(conn, request_id)?;
            let row = RequestRow::find(conn, request_id)?.ok_or(AppError::NotFound)?;
            if !copy_expected(conn, &row)? {
                return Err(not_expected());
            }
            let at = now();
            let subject = EventActor::subject();
            let replaced = discard_in(conn, request_id, DeleteReason::Replaced, &subject, at)?;
            let doc = NewIdDocument {
                id: new_id(),
                request_id: request_id.to_owned(),
                file_id: Some(stored.id.clone()),
                content_type: content_type.to_owned(),
                size_bytes,
                uploaded_at: at,
            };
            doc.insert(conn)?;
            let mut event = NewEvent::new(request_id, &subject, EventKind::IdDocumentUploaded, at);
            event.public = true;
            event.data = Some(
                serde_json::json!({"content_type": content_type, "size_bytes": size_bytes})
                    .to_string(),
            );
            event.insert(conn)?;
            Ok((
                IdDocumentRow {
                    id: doc.id,
                    request_id: doc.request_id,
                    file_id: doc.file_id,
                    content_type: doc.content_type,
                    size_bytes,
                    uploaded_at: at,
                    deleted_at: None,
                },
                replaced,
            ))
        },
    );
    drop(conn);
    match recorded {
        Ok((doc, replaced)) => {
            remove_bytes(&state.files, &replaced);
            Ok(doc)
        }
        Err(e) => {
            if let Err(cleanup) = state.files.delete(&stored.id) {
                tracing::warn!(error = %cleanup, "removing an unrecorded ID copy failed; retention removes it");
            }
            Err(e)
        }
    }
}

/// The copy a request holds, if any, and whether one is asked (for the subject's page).
pub fn held_copy(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> AppResult<Option<IdDocumentRow>> {
    Ok(IdDocumentRow::held(conn, request_id)?.into_iter().next())
}

/// What staff get when they open a copy: the file (still to be streamed) and what it is.
pub struct StaffView {
    pub reference: String,
    pub content_type: String,
    pub reader: FileReader,
}

/// Opens the copy a request holds for `principal` (blocking). Another tenant's request, or
/// a request without a copy, is "not found". The view is recorded first, in the audit log
/// and on the request, naming who looked (GDPR art. 5(2), 32(4)).
pub fn open_for_staff(
    state: &AppState,
    principal: &Principal,
    reference: &str,
) -> AppResult<StaffView> {
    let mut conn = state.db.conn()?;
    let (row, doc) = write_tx(&mut conn, |conn| -> AppResult<_> {
        let row = visible_request(conn, principal, reference)?;
        let doc = held_copy(conn, &row.id)?.ok_or(AppError::NotFound)?;
        let at = now();
        // An ID copy is tenant data: support sees it only while a grant runs.
        let grant = match &row.tenant_id {
            Some(tenant_id) => require_data_access(conn, principal, tenant_id, at)?,
            None if principal.role == crate::domain::Role::Admin => None,
            None => return Err(grant_required()),
        };
        crate::service::audit::record_access(
            conn,
            principal,
            "id_document_viewed",
            row.tenant_id.as_ref(),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({"id_document": doc.id})),
        )?;
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        let mut event = NewEvent::new(&row.id, &actor, EventKind::IdDocumentViewed, at);
        event.data = Some(serde_json::json!({"id_document": doc.id}).to_string());
        event.insert(conn)?;
        Ok((row, doc))
    })?;
    drop(conn);
    let file_id = doc.file_id.as_deref().ok_or(AppError::NotFound)?;
    let reader = state.files.open_for(file_id, FilePurpose::IdDocument)?;
    Ok(StaffView {
        reference: row.reference,
        content_type: doc.content_type,
        reader,
    })
}

/// What the retention job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Copies older than [`RETENTION_DAYS`].
    pub expired: usize,
    /// Copies held for requests no longer waiting for identity.
    pub not_needed: usize,
    /// ID copy files no held copy refers to.
    pub stray_files: usize,
}

const BATCH: i64 = 500;

/// Deletes every copy older than [`RETENTION_DAYS`] regardless of its request, every copy
/// still held for a request that no longer waits for identity, and stray ID copy files; one
/// transaction per copy (blocking).
pub fn enforce_retention(state: &AppState, now_utc: DateTime<Utc>) -> AppResult<RetentionReport> {
    let at = now_utc.naive_utc();
    let mut report = RetentionReport::default();
    let system = EventActor::system();
    let mut conn = state.db.conn()?;
    for (reason, counter) in [
        (DeleteReason::Retention, &mut report.expired),
        (DeleteReason::NotNeeded, &mut report.not_needed),
    ] {
        loop {
            let batch = match reason {
                DeleteReason::Retention => docs::held_uploaded_before(
                    &mut conn,
                    at - Duration::days(RETENTION_DAYS),
                    BATCH,
                )?,
                _ => docs::held_not_needed(&mut conn, BATCH)?,
            };
            if batch.is_empty() {
                break;
            }
            for doc in &batch {
                let mut files = Vec::new();
                let deleted = write_tx(&mut conn, |conn| {
                    discard_one(conn, doc, reason, &system, now(), &mut files)
                })?;
                remove_bytes(&state.files, &files);
                *counter += usize::from(deleted);
            }
            if i64::try_from(batch.len()).unwrap_or(i64::MAX) < BATCH {
                break;
            }
        }
    }
    // An upload that died after storing its file and before recording it.
    for file_id in docs::stray_files(&mut conn, at - Duration::hours(1), BATCH)? {
        state.files.delete(&file_id)?;
        report.stray_files += 1;
    }
    Ok(report)
}
