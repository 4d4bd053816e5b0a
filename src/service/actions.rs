//! Staff actions on a request (assign, forward, … withdraw) and the subject's verification.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use chrono::NaiveDateTime;

use crate::domain::RequestId;
use crate::domain::deadline::{Calendar, amsterdam_date};
use crate::domain::lifecycle::{self, Command, Plan};
use crate::domain::reminders::next_reminder_at;
use crate::domain::{Actor, Status};
use crate::error::{AppError, AppResult};
use crate::service::consequences::{self, Performer};
use crate::service::id_documents;
use crate::state::AppState;
use crate::store::events::EventActor;
use crate::store::requests::{RequestRow, apply_plan};
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, now, reminders, write_tx};

/// An action as staff ask for it: `assign` names a tenant by slug, the rest are commands.
#[derive(Debug, Clone)]
pub enum ActionRequest {
    Assign { tenant_slug: String },
    Command(Command),
}

/// How often an action is retried when another writer changed the request in between.
const ATTEMPTS: usize = 3;

enum Outcome {
    /// The updated request, and the stored files (ID copies) to remove after the commit.
    Done(Box<RequestRow>, Vec<String>),
    Stale,
}

/// When the deadline sweep should next look at the request after `plan`: never while its
/// clock is paused or once it is closed; else its earliest reminder stage not yet recorded.
pub fn next_reminder(
    conn: &mut DbConnection,
    cal: &Calendar,
    request_id: &RequestId,
    plan: &Plan,
) -> AppResult<Option<NaiveDateTime>> {
    if plan.to.is_closed() || plan.paused_since.is_some() {
        return Ok(None);
    }
    let target = plan.deadline.target();
    let recorded = reminders::recorded(conn, request_id, target)?;
    Ok(next_reminder_at(cal, target, &recorded).map(|t| t.naive_utc()))
}

/// Loads the request as `principal` may see it: another tenant's request is "not found".
pub fn visible_request(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
) -> AppResult<RequestRow> {
    let row = RequestRow::find_by_reference(conn, reference)?.ok_or(AppError::NotFound)?;
    if !principal.can_see_tenant(row.tenant_id.as_ref()) {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// Performs a staff action: decides with the domain rules and writes the new state and its
/// event in one transaction.
pub fn act(
    conn: &mut DbConnection,
    state: &AppState,
    principal: &Principal,
    reference: &str,
    request: ActionRequest,
    when: DateTime<Utc>,
) -> AppResult<RequestRow> {
    let command = match request {
        ActionRequest::Assign { tenant_slug } => {
            let tenant = Tenant::find_by_slug(conn, &tenant_slug)?
                .ok_or_else(|| AppError::field("tenant", "is not a known tenant"))?;
            Command::Assign {
                tenant_id: tenant.id,
            }
        }
        ActionRequest::Command(c) => c,
    };
    let actor = EventActor::staff(&principal.user_id, &principal.email);
    let today = amsterdam_date(when);
    for _ in 0..ATTEMPTS {
        let outcome = write_tx(conn, |conn| -> AppResult<Outcome> {
            let row = visible_request(conn, principal, reference)?;
            id_documents::check_copy_allowed(conn, &row, &command)?;
            let plan = lifecycle::plan(
                &row.facts()?,
                &command,
                Actor::Staff(principal.role),
                &state.calendar,
                today,
            )?;
            let next = next_reminder(conn, &state.calendar, &row.id, &plan)?;
            let at = now();
            Ok(match apply_plan(conn, &row, &plan, &actor, at, next)? {
                Ok(updated) => {
                    // The completion record, the mails, and the deletion of any ID copy
                    // (EDPB Guidelines 01/2022 §§58-79), as the plan has them.
                    let by = Performer {
                        actor: &actor,
                        principal: Some(principal),
                    };
                    let files = consequences::apply(conn, state, &updated, &plan, by, at, when)?;
                    crate::service::audit::record(
                        conn,
                        principal,
                        &format!("request_{}", command.action().as_str()),
                        updated.tenant_id.as_ref(),
                        Some(&updated.id),
                        None,
                    )?;
                    Outcome::Done(Box::new(updated), files)
                }
                Err(_) => Outcome::Stale,
            })
        })?;
        if let Outcome::Done(row, files) = outcome {
            id_documents::remove_bytes(&state.files, &files);
            return Ok(*row);
        }
    }
    Err(AppError::Conflict {
        code: "concurrent_change",
        message: "the request changed while this action ran; try again".to_owned(),
    })
}

/// The single-use link the subject opened: its id and when it would expire anyway.
#[derive(Debug, Clone, Copy)]
pub struct VerifyLink<'a> {
    pub jti: &'a str,
    pub expires_at: NaiveDateTime,
}

/// Marks the link spent; a link used before answers 410.
fn spend_link(conn: &mut DbConnection, link: VerifyLink<'_>) -> AppResult<()> {
    if crate::store::tokens::spend(conn, link.jti, "verify", link.expires_at)? {
        Ok(())
    } else {
        Err(AppError::Gone {
            code: "link_used",
            message: "this link was used already; your request is being handled".to_owned(),
        })
    }
}

/// The subject confirmed the e-mail address: the request moves on to `received` and the
/// clock resumes. Returns the request, and whether this call did it (false: done before).
/// The link is spent in the same transaction that confirms, so a failure in between leaves
/// it usable.
pub fn verify(
    conn: &mut DbConnection,
    state: &AppState,
    request_id: &RequestId,
    link: VerifyLink<'_>,
    when: DateTime<Utc>,
) -> AppResult<(RequestRow, bool)> {
    let today = amsterdam_date(when);
    for _ in 0..ATTEMPTS {
        let outcome = write_tx(conn, |conn| -> AppResult<Option<Outcome>> {
            let row = RequestRow::find(conn, request_id)?.ok_or(AppError::NotFound)?;
            if row.status != Status::AwaitingVerification {
                spend_link(conn, link)?;
                return Ok(None);
            }
            let plan = lifecycle::plan(
                &row.facts()?,
                &Command::Verify,
                Actor::Subject,
                &state.calendar,
                today,
            )?;
            let next = next_reminder(conn, &state.calendar, &row.id, &plan)?;
            let actor = EventActor::subject();
            let at = now();
            Ok(Some(
                match apply_plan(conn, &row, &plan, &actor, at, next)? {
                    Ok(updated) => {
                        spend_link(conn, link)?;
                        // The receipt (the plan's notice).
                        let by = Performer {
                            actor: &actor,
                            principal: None,
                        };
                        let files =
                            consequences::apply(conn, state, &updated, &plan, by, at, when)?;
                        Outcome::Done(Box::new(updated), files)
                    }
                    Err(_) => Outcome::Stale,
                },
            ))
        })?;
        match outcome {
            Some(Outcome::Done(row, files)) => {
                id_documents::remove_bytes(&state.files, &files);
                return Ok((*row, true));
            }
            Some(Outcome::Stale) => continue,
            None => {
                let row = RequestRow::find(conn, request_id)?.ok_or(AppError::NotFound)?;
                return Ok((row, false));
            }
        }
    }
    Err(AppError::Conflict {
        code: "concurrent_change",
        message: "the request changed while it was being confirmed; try again".to_owned(),
    })
}
