//! Applies an action's consequences (`lifecycle::Plan::consequences`), in the action's
//! transaction and in the plan's order, each by the service that owns it: the completion
//! record (`subject`), the mails (`notify`), the deletion of ID copies (`id_documents`).
//! What an action brings about is the domain's decision; nothing here looks at the command.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::auth::Principal;
use crate::domain::lifecycle::{Consequence, Plan};
use crate::error::{AppError, AppResult};
use crate::service::{id_documents, notify, subject};
use crate::state::AppState;
use crate::store::DbConnection;
use crate::store::events::EventActor;
use crate::store::requests::RequestRow;

/// Who performed the action: the event's actor, and the staff principal if staff did (a
/// released bundle needs the principal's data access).
#[derive(Clone, Copy)]
pub struct Performer<'a> {
    pub actor: &'a EventActor,
    pub principal: Option<&'a Principal>,
}

/// Applies `plan`'s consequences to the request `row` (as the plan left it). `at` is the
/// moment recorded on rows and events, `when` the action's time the mails' links count from.
/// Returns the stored files (deleted ID copies) whose bytes go after the commit
/// ([`id_documents::remove_bytes`]).
pub fn apply(
    conn: &mut DbConnection,
    state: &AppState,
    row: &RequestRow,
    plan: &Plan,
    by: Performer<'_>,
    at: NaiveDateTime,
    when: DateTime<Utc>,
) -> AppResult<Vec<String>> {
    let mut files = Vec::new();
    for consequence in &plan.consequences {
        match consequence {
            Consequence::RecordCompletion {
                result,
                release_bundle,
            } => {
                // The transition table lets only staff complete a request.
                let principal = by.principal.ok_or_else(|| {
                    AppError::Internal("a completion is recorded by staff".to_owned())
                })?;
                subject::record_completion(conn, principal, row, *result, *release_bundle, at)?;
            }
            Consequence::Notify(notice) => notify::send_notice(conn, state, row, notice, when)?,
            Consequence::DeleteIdCopies(why) => {
                files.extend(id_documents::delete_copies(conn, row, *why, by.actor, at)?);
            }
        }
    }
    Ok(files)
}
