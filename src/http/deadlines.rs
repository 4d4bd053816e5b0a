//! `GET /api/v1/deadlines?within=7d`: due soon and overdue, per tenant.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Staff;
use super::views::RequestSummary;
use crate::domain::deadline::Within;
use crate::error::{AppError, AppResult};
use crate::service::deadlines::{DeadlineOverview, overview};
use crate::service::now;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantDeadlinesView {
    /// The tenant's slug; null for requests not yet assigned.
    pub tenant: Option<String>,
    pub overdue: i64,
    pub due_soon: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlinesView {
    #[schema(example = "7d")]
    pub within: String,
    /// The last day of the window (Europe/Amsterdam).
    pub until: NaiveDate,
    /// Open, running requests past their due moment (at most 200; counts per tenant are complete).
    pub overdue: Vec<RequestSummary>,
    /// Open requests due by `until` (paused ones included, flagged in their deadline).
    pub due_soon: Vec<RequestSummary>,
    pub tenants: Vec<TenantDeadlinesView>,
}

impl DeadlinesView {
    pub fn of(o: &DeadlineOverview, within: Within) -> Self {
        let at = now();
        let summary = |r: &crate::service::views::RequestRow| {
            let slug = r
                .tenant_id
                .as_ref()
                .and_then(|id| o.tenant_slugs.get(id).cloned());
            RequestSummary::of(r, slug, at)
        };
        Self {
            within: within.to_string(),
            until: o.until,
            overdue: o.overdue.iter().map(summary).collect(),
            due_soon: o.due_soon.iter().map(summary).collect(),
            tenants: o
                .tenants
                .iter()
                .map(|t| TenantDeadlinesView {
                    tenant: t.tenant.clone(),
                    overdue: t.overdue,
                    due_soon: t.due_soon,
                })
                .collect(),
        }
    }
}

pub fn parse_within(raw: Option<&String>) -> AppResult<Within> {
    match raw {
        None => Ok("7d"
            .parse()
            .map_err(|_| AppError::Internal("default window".into()))?),
        Some(s) => s
            .parse::<Within>()
            .map_err(|e| AppError::field("within", e.to_string())),
    }
}

/// Due soon and overdue, per tenant; a controller sees its own tenant only.
#[utoipa::path(get, path = "/api/v1/deadlines", tag = "requests",
    params(("within" = Option<String>, Query, description = "a window like 7d or 2w (at most 366 days); default 7d",
             pattern = r"^0*([0-9]{1,2}|[12][0-9]{2}|3[0-5][0-9]|36[0-6])[dD]$|^0*([0-9]|[1-4][0-9]|5[0-2])[wW]$")),
    responses((status = 200, body = DeadlinesView), (status = 401, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    if let Some(k) = q.keys().find(|k| k.as_str() != "within") {
        return Err(AppError::field(k, "is not a known parameter"));
    }
    let within = parse_within(q.get("within"))?;
    let o = state
        .db
        .run(move |conn| overview(conn, &principal, within, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(DeadlinesView::of(&o, within)))
}
