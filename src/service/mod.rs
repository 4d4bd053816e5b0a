//! Use cases: each function runs one domain decision and stores its outcome in one
//! transaction. HTTP handlers and CLI commands call these and nothing below them.

pub mod actions;
pub mod admin;
pub mod audit;
pub mod backup;
pub mod bundles;
pub mod consequences;
pub mod console;
pub mod deadlines;
pub mod execution;
pub mod grants;
pub mod id_documents;
pub mod identities;
pub mod intake;
pub mod intake_writer;
pub mod jws;
pub mod notify;
pub mod ops;
pub mod overview;
pub mod queries;
pub mod queue;
pub mod recompute;
pub mod report;
pub mod retention;
pub mod signing;
pub mod subject;
pub mod views;

use chrono::{DateTime, Utc};

use crate::auth::token::Purpose;
use crate::domain::RequestId;
use crate::error::AppError;
use crate::links;
use crate::state::AppState;
pub use crate::store::{new_id, now};

/// The subject's status link for a request (a signed token; the reference alone opens nothing).
pub fn status_url(
    state: &AppState,
    request_id: &RequestId,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let (token, _) = state
        .tokens
        .issue_link(
            Purpose::Status,
            request_id.as_str(),
            now,
            Purpose::Status.lifetime(),
        )
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(links::status(&state.settings.public_url, reference, &token))
}
