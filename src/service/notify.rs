//! Queueing mail: a message is rendered (in the recipient's language) and written to the
//! outbox in the caller's transaction, so it exists exactly when the change that caused it.

use chrono::{DateTime, Utc};

use crate::auth::token::Purpose;
use crate::domain::Language;
use crate::domain::RequestId;
use crate::domain::notice::Notice;
use crate::domain::{RequestKind, Status};
use crate::error::{AppError, AppResult};
use crate::links;
use crate::mail::{
    BundleLink, Completion, ExtensionNotice, Forwarded, Forwarding, IdentityRequest, Receipt,
    Refusal, VerificationLink,
};
use crate::mail::{MailMessage, new_message_id};
use crate::service::{id_documents, status_url};
use crate::state::AppState;
use crate::store::outbox::NewOutbox;
use crate::store::requests::RequestRow;
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, new_id, now};

/// Writes a message to the outbox: its context as JSON, rendered in `language` when sent.
pub fn queue_mail(
    conn: &mut DbConnection,
    request_id: Option<&RequestId>,
    to: &str,
    language: Language,
    message: &MailMessage,
) -> AppResult<()> {
    outbox_row(request_id, to, language, message)?.insert(conn)?;
    Ok(())
}

/// The outbox row of a message, for the caller to write in its transaction.
pub fn outbox_row(
    request_id: Option<&RequestId>,
    to: &str,
    language: Language,
    message: &MailMessage,
) -> AppResult<NewOutbox> {
    let payload = serde_json::to_string(message).map_err(|e| AppError::Internal(e.to_string()))?;
    let at = now();
    Ok(NewOutbox {
        id: new_id(),
        request_id: request_id.cloned(),
        template: message.name().to_owned(),
        recipient: to.to_owned(),
        language,
        payload,
        message_id: new_message_id(),
        state: "pending".to_owned(),
        attempts: 0,
        next_attempt_at: at,
        created_at: at,
    })
}

/// A staff link to a request: its page in the console (which asks to sign in first).
pub fn request_url(state: &AppState, reference: &str) -> String {
    links::request(&state.settings.public_url, reference)
}

fn subject_language(row: &RequestRow) -> Language {
    row.language
}

fn tenant_of(conn: &mut DbConnection, row: &RequestRow) -> AppResult<Option<Tenant>> {
    Ok(match &row.tenant_id {
        Some(id) => Tenant::find(conn, id)?,
        None => None,
    })
}

/// The tenant's kind of controller (private when unknown or unassigned).
fn sector_of(tenant: Option<&Tenant>) -> crate::domain::Sector {
    tenant
        .and_then(|t| t.sector.parse().ok())
        .unwrap_or_default()
}

fn kind_of(row: &RequestRow) -> AppResult<RequestKind> {
    Ok(row.kind)
}

fn to_subject(conn: &mut DbConnection, row: &RequestRow, message: MailMessage) -> AppResult<()> {
    queue_mail(
        conn,
        Some(&row.id),
        &row.subject_email,
        subject_language(row),
        &message,
    )
}

/// The receipt: reference, deadline, what happens next, and who the controller is once known
/// (processing agreement: the subject may be told the request was forwarded).
fn receipt_message(
    state: &AppState,
    row: &RequestRow,
    tenant: Option<Tenant>,
    forwarded: bool,
    now: DateTime<Utc>,
) -> AppResult<MailMessage> {
    let forwarding = match (tenant, forwarded) {
        (Some(t), true) => Forwarding::Forwarded { controller: t.name },
        (Some(t), false) => Forwarding::Assigned { controller: t.name },
        (None, _) => Forwarding::Unassigned,
    };
    Ok(MailMessage::from(Receipt {
        reference: row.reference.clone(),
        kind: kind_of(row)?,
        received_on: row.received_on,
        due_on: row.deadline()?.target(),
        status_url: status_url(state, &row.id, &row.reference, now)?,
        forwarding,
    }))
}

/// Mail for a new request, to write with it: the confirmation link for a public intake, the
/// receipt for one entered by staff. `tenant` is the request's tenant, if any.
pub fn on_intake(
    state: &AppState,
    row: &RequestRow,
    tenant: Option<&Tenant>,
    now: DateTime<Utc>,
) -> AppResult<Vec<NewOutbox>> {
    let to_subject = |message: MailMessage| {
        outbox_row(
            Some(&row.id),
            &row.subject_email,
            subject_language(row),
            &message,
        )
    };
    if row.status != Status::AwaitingVerification {
        let message = receipt_message(state, row, tenant.cloned(), false, now)?;
        return Ok(vec![to_subject(message)?]);
    }
    let lifetime = Purpose::Verify.lifetime();
    let (token, _) = state
        .tokens
        .issue_link(Purpose::Verify, row.id.as_str(), now, lifetime)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let message = MailMessage::from(VerificationLink {
        reference: row.reference.clone(),
        kind: kind_of(row)?,
        verify_url: links::verify(&state.settings.public_url, &token),
        valid_days: u32::try_from(lifetime.num_days()).unwrap_or(7),
        expires_at: now + lifetime,
    });
    Ok(vec![to_subject(message)?])
}

/// Queues the mail of one of an action's notices, in the action's transaction. The plan
/// decided who is told what (`domain::notice::Notice`, with the article each comes from); this
/// renders it with what the store knows (the tenant, the released bundle, links).
pub fn send_notice(
    conn: &mut DbConnection,
    state: &AppState,
    row: &RequestRow,
    notice: &Notice,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let status = || status_url(state, &row.id, &row.reference, now);
    match notice {
        Notice::Receipt { forwarded } => {
            let tenant = tenant_of(conn, row)?;
            // "Forwarded to" names the tenant: without one there is nothing to tell.
            if *forwarded && tenant.is_none() {
                return Ok(());
            }
            let message = receipt_message(state, row, tenant, *forwarded, now)?;
            to_subject(conn, row, message)
        }
        Notice::ForwardedToTenant => {
            let Some(tenant) = tenant_of(conn, row)? else {
                return Ok(());
            };
            let deadline = row.deadline()?;
            let message = MailMessage::from(Forwarded {
                reference: row.reference.clone(),
                controller: tenant.name.clone(),
                kind: kind_of(row)?,
                received_on: row.received_on,
                legal_due_on: deadline.legal,
                promised_due_on: deadline.promised,
                request_url: request_url(state, &row.reference),
            });
            let language = tenant.language;
            queue_mail(
                conn,
                Some(&row.id),
                &tenant.contact_email,
                language,
                &message,
            )
        }
        Notice::IdentityRequest {
            note,
            id_copy_reason,
        } => {
            // An ID copy only when staff asked for one on this request, with a reason, and the
            // tenant allows copies (EDPB Guidelines 01/2022 §§69, 73-77); then the mail says why
            // and carries the link to the upload page with its guidance.
            let id_copy = id_copy_reason.is_some()
                && tenant_of(conn, row)?.is_some_and(|t| t.id_document_required);
            let upload_url = if id_copy {
                Some(id_documents::upload_url(state, row, now)?)
            } else {
                None
            };
            let message = MailMessage::from(IdentityRequest {
                reference: row.reference.clone(),
                note: note.clone(),
                id_copy,
                id_copy_reason: id_copy_reason.clone().filter(|_| id_copy),
                upload_url,
                status_url: status()?,
            });
            to_subject(conn, row, message)
        }
        Notice::Extension {
            months,
            extended_due_on,
            reasons,
        } => {
            let message = MailMessage::from(ExtensionNotice {
                reference: row.reference.clone(),
                kind: kind_of(row)?,
                months: months.months(),
                extended_due_on: *extended_due_on,
                reasons: reasons.clone(),
                status_url: status()?,
            });
            to_subject(conn, row, message)
        }
        Notice::Refusal { ground, reason } => {
            // The complaint and court text follow the controller's kind (UAVG art. 34 or 35).
            let tenant = tenant_of(conn, row)?;
            let message = MailMessage::from(Refusal {
                reference: row.reference.clone(),
                kind: kind_of(row)?,
                sector: sector_of(tenant.as_ref()),
                controller: tenant.map(|t| t.name),
                ground: *ground,
                reason: reason.clone(),
                status_url: status()?,
            });
            to_subject(conn, row, message)
        }
        Notice::Completion {
            outcome,
            result,
            release_bundle,
        } => {
            let tenant = tenant_of(conn, row)?;
            // A released bundle is fetched on the status page with a mailed code: the mail
            // carries no download link of its own (CONTRACT.md, Completion).
            let bundle = if *release_bundle {
                crate::store::completions::RequestResultRow::find(conn, &row.id)?
                    .and_then(|r| r.bundle_id)
                    .map(|id| crate::store::bundles::BundleRow::find(conn, &id))
                    .transpose()?
                    .flatten()
                    .map(|b| BundleLink {
                        download_url: None,
                        expires_at: b.expires_at.map(|e| e.and_utc()),
                    })
            } else {
                None
            };
            let message = MailMessage::from(Completion {
                reference: row.reference.clone(),
                kind: kind_of(row)?,
                sector: sector_of(tenant.as_ref()),
                controller: tenant.map(|t| t.name),
                outcome: outcome.clone(),
                bundle,
                status_url: status()?,
                no_data: *result == crate::domain::CompletionResult::NoData,
            });
            to_subject(conn, row, message)
        }
    }
}
