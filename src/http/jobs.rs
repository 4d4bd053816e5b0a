//! `GET /api/v1/jobs` and `POST /api/v1/jobs/{id}/retry`: the background queue, for admins
//! (dead jobs show here and in `/metrics`).

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Staff;
use super::views::local;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::service::queue;
use crate::service::views::JobRow;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    /// queued, running, done or dead
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_after: DateTime<FixedOffset>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub finished_at: Option<DateTime<FixedOffset>>,
}

impl JobView {
    fn of(j: &JobRow) -> Self {
        Self {
            id: j.id.clone(),
            kind: j.kind.clone(),
            state: j.state.clone(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_after: local(j.run_after),
            locked_by: j.locked_by.clone(),
            last_error: j.last_error.clone(),
            created_at: local(j.created_at),
            finished_at: j.finished_at.map(local),
        }
    }
}

fn admin_only(role: Role) -> AppResult<()> {
    if role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only an admin may see the job queue".to_owned(),
        ))
    }
}

/// The newest 200 jobs, optionally of one state.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "operations",
    params(("state" = Option<String>, Query, description = "queued, running, done or dead", pattern = "^(|queued|running|done|dead)$")),
    responses((status = 200, body = Vec<JobView>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    Staff(p): Staff,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    admin_only(p.role)?;
    let filter = match q.get("state").map(String::as_str) {
        None | Some("") => None,
        Some(s @ ("queued" | "running" | "done" | "dead")) => Some(s.to_owned()),
        Some(_) => {
            return Err(AppError::field(
                "state",
                "must be queued, running, done or dead",
            ));
        }
    };
    let rows = state
        .db
        .run(move |c| queue::list(c, filter.as_deref(), 200))
        .await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(JobView::of).collect::<Vec<_>>()))
}

/// Puts a dead job back in the queue.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "operations",
    params(("id" = String, Path)),
    responses((status = 200, body = JobView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn retry(
    state: web::Data<AppState>,
    Staff(p): Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    admin_only(p.role)?;
    let id = path.into_inner();
    let job = state.db.run(move |c| queue::retry(c, &id)).await?;
    tracing::info!(job = %job.id, by = %p.user_id, "dead job requeued");
    Ok(HttpResponse::Ok().json(JobView::of(&job)))
}
