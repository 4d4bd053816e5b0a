//! What the subject does on the status page, authorised by the status link mailed to the
//! request's address: withdraw, answer a question from staff, and download the copy of their
//! data once the controller released it (art. 15(3), art. 20(1)) with a one-time code mailed
//! at that moment. Also what `complete` records for the subject: the result and the released
//! bundle (CONTRACT.md, Completion).

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::auth::Principal;
use crate::domain::RequestId;
use crate::domain::completion::{CodeState, CompletionResult, code_state};
use crate::domain::deadline::amsterdam_date;
use crate::domain::lifecycle::{self, Command};
use crate::domain::{Actor, EventKind, Status};
use crate::error::{AppError, AppResult};
use crate::mail::{DownloadCode, MailMessage};
use crate::service::actions::next_reminder;
use crate::service::consequences::{self, Performer};
use crate::service::{id_documents, notify};
use crate::state::AppState;
use crate::store::bundles::{BundleRow, BundleStatus};
use crate::store::completions::{DownloadCodeRow, RequestResultRow};
use crate::store::events::{EventActor, NewEvent};
use crate::store::requests::{RequestRow, apply_plan};
use crate::store::{DbConnection, new_id, now, write_tx};

/// How often an action is retried when another writer changed the request in between.
const ATTEMPTS: usize = 3;

/// What `complete` records beside the request row, in its transaction: the result, and the
/// bundle released to the subject. Releasing hands the tenant's data out, so it takes the
/// same data access as downloading the bundle (support only with a running grant), and a
/// ready bundle that has not expired.
pub fn record_completion(
    conn: &mut DbConnection,
    principal: &Principal,
    row: &RequestRow,
    result: CompletionResult,
    release_bundle: bool,
    at: NaiveDateTime,
) -> AppResult<()> {
    let bundle_id = if release_bundle {
        let tenant_id = row.tenant_id.clone().ok_or_else(no_bundle)?;
        crate::service::grants::require_data_access(conn, principal, &tenant_id, at)?;
        let bundle = released_candidate(conn, &row.id, at)?.ok_or_else(no_bundle)?;
        Some(bundle.id)
    } else {
        None
    };
    RequestResultRow {
        request_id: row.id.clone(),
        result: result.as_str().to_owned(),
        bundle_id,
        created_at: at,
    }
    .insert(conn)?;
    Ok(())
}

fn no_bundle() -> AppError {
    AppError::Conflict {
        code: "bundle_not_ready",
        message: "release_bundle needs a ready bundle of this request; compile one first"
            .to_owned(),
    }
}

/// The request's newest bundle, if ready and not expired.
fn released_candidate(
    conn: &mut DbConnection,
    request_id: &RequestId,
    at: NaiveDateTime,
) -> AppResult<Option<BundleRow>> {
    Ok(BundleRow::latest_for_request(conn, request_id)?
        .filter(|b| b.is(BundleStatus::Ready) && b.file_id.is_some())
        .filter(|b| b.expires_at.is_some_and(|e| e > at)))
}

/// A request's result as the subject sees it.
#[derive(Debug, Clone)]
pub struct Released {
    pub result: CompletionResult,
    /// The released bundle, while it can still be downloaded, with its expiry.
    pub bundle: Option<(BundleRow, NaiveDateTime)>,
    /// The newest download code and its state, if one was mailed.
    pub code: Option<CodeState>,
}

/// The result of a completed request and whether its released bundle can be downloaded.
pub fn released(
    conn: &mut DbConnection,
    row: &RequestRow,
    at: NaiveDateTime,
) -> AppResult<Option<Released>> {
    let Some(r) = RequestResultRow::find(conn, &row.id)? else {
        return Ok(None);
    };
    let result = r.result.parse().unwrap_or_default();
    let bundle = match &r.bundle_id {
        Some(id) => BundleRow::find(conn, id)?
            .filter(|b| b.is(BundleStatus::Ready) && b.file_id.is_some())
            .and_then(|b| b.expires_at.filter(|e| *e > at).map(|e| (b, e))),
        None => None,
    };
    let code = match &bundle {
        Some((b, _)) => DownloadCodeRow::latest(conn, &row.id)?
            .filter(|c| c.bundle_id == b.id)
            .map(|c| code_state(c.failures, c.expires_at, at)),
        None => None,
    };
    Ok(Some(Released {
        result,
        bundle,
        code,
    }))
}

/// Performs the subject's `command` (withdraw or answer) on the request the status link
/// opened: the plan, the row, its event and any mail in one transaction.
pub fn act(
    conn: &mut DbConnection,
    state: &AppState,
    request_id: &RequestId,
    reference: &str,
    command: Command,
    when: DateTime<Utc>,
) -> AppResult<RequestRow> {
    let today = amsterdam_date(when);
    let actor = EventActor::subject();
    for _ in 0..ATTEMPTS {
        let outcome = write_tx(
            conn,
            |conn| -> AppResult<Option<(RequestRow, Vec<String>)>> {
                let row = crate::service::queries::linked_request(conn, request_id, reference)?;
                let plan = lifecycle::plan(
                    &row.facts()?,
                    &command,
                    Actor::Subject,
                    &state.calendar,
                    today,
                )?;
                let next = next_reminder(conn, &state.calendar, &row.id, &plan)?;
                let at = now();
                Ok(match apply_plan(conn, &row, &plan, &actor, at, next)? {
                    Ok(updated) => {
                        // Withdrawing closes the request: any ID copy goes in this transaction
                        // (EDPB Guidelines 01/2022 §§73-77).
                        let by = Performer {
                            actor: &actor,
                            principal: None,
                        };
                        let files =
                            consequences::apply(conn, state, &updated, &plan, by, at, when)?;
                        Some((updated, files))
                    }
                    Err(_) => None,
                })
            },
        )?;
        if let Some((row, files)) = outcome {
            id_documents::remove_bytes(&state.files, &files);
            return Ok(row);
        }
    }
    Err(AppError::Conflict {
        code: "concurrent_change",
        message: "the request changed meanwhile; try again".to_owned(),
    })
}

fn not_released() -> AppError {
    AppError::Gone {
        code: "bundle_gone",
        message: "there is no copy of your data to download (any more)".to_owned(),
    }
}

/// Mails a new download code for the released bundle to the request's address (the status
/// link alone is not enough to download): the code's row, its event and the mail in one
/// transaction. The code expires with the bundle.
pub fn send_code(
    conn: &mut DbConnection,
    state: &AppState,
    request_id: &RequestId,
    reference: &str,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let row = crate::service::queries::linked_request(conn, request_id, reference)?;
        let at = now();
        let (bundle, expires) = released(conn, &row, at)?
            .and_then(|r| r.bundle)
            .ok_or_else(not_released)?;
        let id = new_id();
        let code = crate::crypto::download_code(state.settings.secret_bytes(), &id);
        DownloadCodeRow {
            id: id.clone(),
            request_id: row.id.clone(),
            bundle_id: bundle.id.clone(),
            code_hash: crate::crypto::download_code_hash(&id, &code),
            failures: 0,
            created_at: at,
            expires_at: expires,
        }
        .insert(conn)?;
        let mut event = NewEvent::new(
            &row.id,
            &EventActor::subject(),
            EventKind::DownloadCodeSent,
            at,
        );
        event.public = true;
        event.data = Some(serde_json::json!({ "bundle_id": bundle.id }).to_string());
        event.insert(conn)?;
        // The mail holds the code row's id only; the code is derived again when it is sent.
        let message = MailMessage::from(DownloadCode {
            reference: row.reference.clone(),
            code_id: id,
            code: None,
            expires_at: expires.and_utc(),
        });
        notify::queue_mail(
            conn,
            Some(&row.id),
            &row.subject_email,
            row.language,
            &message,
        )?;
        Ok(())
    })
}

/// Why a typed code did not open the download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefused {
    /// Wrong; this many tries are left.
    Wrong { tries_left: i32 },
    /// No code asked yet, or the last one had its five tries or expired: ask a new one.
    NeedNew,
}

/// A download the subject may start: the file and what to call it.
pub struct SubjectDownload {
    pub file_id: String,
    pub reference: String,
}

/// Checks a typed code against the newest code of the request; right: records the download
/// (an event the controller sees) and answers the file to stream; wrong: counts the try.
/// Both in one transaction, before a byte goes out.
pub fn open_download(
    conn: &mut DbConnection,
    request_id: &RequestId,
    reference: &str,
    typed: Option<&str>,
) -> AppResult<Result<SubjectDownload, CodeRefused>> {
    write_tx(conn, |conn| {
        let row = crate::service::queries::linked_request(conn, request_id, reference)?;
        let at = now();
        let (bundle, _) = released(conn, &row, at)?
            .and_then(|r| r.bundle)
            .ok_or_else(not_released)?;
        let Some(code) =
            DownloadCodeRow::latest(conn, &row.id)?.filter(|c| c.bundle_id == bundle.id)
        else {
            return Ok(Err(CodeRefused::NeedNew));
        };
        let tries_left = match code_state(code.failures, code.expires_at, at) {
            CodeState::Usable { tries_left } => tries_left,
            CodeState::Exhausted | CodeState::Expired => return Ok(Err(CodeRefused::NeedNew)),
        };
        let right = typed.is_some_and(|t| {
            crate::crypto::same_text(
                &crate::crypto::download_code_hash(&code.id, t),
                &code.code_hash,
            )
        });
        if !right {
            DownloadCodeRow::count_failure(conn, &code.id)?;
            return Ok(Err(if tries_left > 1 {
                CodeRefused::Wrong {
                    tries_left: tries_left - 1,
                }
            } else {
                CodeRefused::NeedNew
            }));
        }
        let file_id = bundle.file_id.clone().ok_or_else(not_released)?;
        let mut event = NewEvent::new(
            &row.id,
            &EventActor::subject(),
            EventKind::BundleDownloaded,
            at,
        );
        event.public = true;
        event.data =
            Some(serde_json::json!({ "bundle_id": bundle.id, "by": "subject" }).to_string());
        event.insert(conn)?;
        Ok(Ok(SubjectDownload {
            file_id,
            reference: row.reference,
        }))
    })
}

/// Whether the request's status allows the subject to withdraw it now.
pub fn may_withdraw(status: Status) -> bool {
    !status.is_closed()
}
