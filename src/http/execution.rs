//! Carrying out rectification, erasure and restriction: `POST …/{reference}/plan` (a plan
//! counted by a dry run), `GET …/plan/{id}` (the plan and its progress),
//! `POST …/plan/{id}/approve` (the controller's approval; a job carries it out) and
//! `POST …/{reference}/rectification_disputed` (a disputed correction recorded).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::{Fields, Input, JSON_LIMIT, read_body};
use super::extract::{Staff, reference_path};
use super::views::local;
use crate::domain::certificate::CertifiedTable;
use crate::domain::execution::{PlanKind, PlanRecipient, PlannedSystem, PlannedTable};
use crate::error::{AppError, AppResult};
use crate::service::execution::{
    PlanBody, PlanDetail, approve_plan, create_plan, record_dispute, show_plan,
};
use crate::state::AppState;
use crate::tenant_data::exec_sql::{Change, NewValue};

/// One change of a rectification plan.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangeBody {
    pub system: String,
    pub table: String,
    /// A column the data map lists as `rectifiable` for the table.
    pub column: String,
    /// The new value: a string, number, boolean or null.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

/// The body of `POST …/plan`: `{}` for erasure and restriction, `{"lift": true}` to lift a
/// restriction, `{"changes": […]}` for rectification.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PlanRequestBody {
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub lift: Input,
    #[schema(value_type = Option<Vec<ChangeBody>>)]
    #[serde(default)]
    pub changes: Input,
}

/// One table of a system of the plan: as planned, and once executed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanTableView {
    #[serde(flatten)]
    pub planned: PlannedTable,
    /// Rows affected when executed (may differ from `rows`: rows that arrived since the plan
    /// are included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_executed: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSystemView {
    pub name: String,
    pub tables: Vec<PlanTableView>,
    /// `pending`, `committing` or `done`.
    pub state: String,
    /// Rows changed so far (progress while running; all of them once done).
    pub rows_done: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed_at: Option<DateTime<FixedOffset>>,
}

/// A plan (docs/api.md, "Carrying out rectification, erasure and restriction").
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    /// `erasure`, `rectification`, `restriction` or `lift`.
    pub kind: PlanKind,
    /// `draft`, `superseded`, `approved`, `running`, `done` or `failed`.
    pub state: String,
    pub systems: Vec<PlanSystemView>,
    /// Recipients of the changed tables' data (art. 19): those with `email` are mailed when
    /// the plan is done; the others are for the controller to tell.
    pub recipients: Vec<PlanRecipient>,
    pub created_at: DateTime<FixedOffset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<FixedOffset>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<FixedOffset>>,
    /// Why the last try failed (names system and table, never personal data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Rectification, once done: which columns changed and a SHA-256 of each old value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// The signed certificate, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_url: Option<String>,
}

impl PlanView {
    pub fn of(d: &PlanDetail) -> Self {
        let planned: Vec<PlannedSystem> = d.planned();
        let systems = d
            .systems
            .iter()
            .map(|s| {
                let executed: Vec<CertifiedTable> = PlanDetail::executed(s)
                    .filter(|_| s.state == "done")
                    .unwrap_or_default();
                let tables = planned
                    .iter()
                    .find(|p| p.name == s.name)
                    .map(|p| p.tables.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| PlanTableView {
                        rows_executed: executed.iter().find(|e| e.name == t.name).map(|e| e.rows),
                        planned: t,
                    })
                    .collect();
                PlanSystemView {
                    name: s.name.clone(),
                    tables,
                    state: s.state.clone(),
                    rows_done: s.rows_done,
                    committed_at: s.committed_at.map(local),
                }
            })
            .collect();
        let done = d.plan.state == "done";
        Self {
            id: d.plan.id.clone(),
            kind: d.kind().unwrap_or(PlanKind::Erasure),
            state: d.plan.state.clone(),
            systems,
            recipients: d.recipients(),
            created_at: local(d.plan.created_at),
            approved_by: d.plan.approved_email.clone(),
            approved_at: d.plan.approved_at.map(local),
            finished_at: d.plan.finished_at.map(local),
            error: d.plan.error.clone(),
            result: d
                .plan
                .result
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok()),
            certificate_url: done.then(|| format!("/api/v1/requests/{}/certificate", d.reference)),
        }
    }
}

fn parse_plan_body(body: &PlanRequestBody) -> AppResult<PlanBody> {
    let mut f = Fields::new();
    let lift = f.opt_bool("lift", &body.lift).unwrap_or(false);
    let mut changes = None;
    if let Some(v) = body.changes.value() {
        match v.as_array() {
            None => f.error(
                "changes",
                "must be a list of {system, table, column, value}",
            ),
            Some(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let at = format!("changes[{i}]");
                    let text = |k: &str| item.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                    let (Some(system), Some(table), Some(column)) =
                        (text("system"), text("table"), text("column"))
                    else {
                        f.error(&at, "needs system, table and column (text) and value");
                        continue;
                    };
                    let Some(value) = item.get("value").and_then(NewValue::from_json) else {
                        f.error(
                            &format!("{at}.value"),
                            "is required: a string, number, boolean or null",
                        );
                        continue;
                    };
                    if let NewValue::Text(t) = &value
                        && t.len() > 10_000
                    {
                        f.error(&format!("{at}.value"), "is longer than 10,000 bytes");
                        continue;
                    }
                    out.push(Change {
                        system,
                        table,
                        column,
                        value,
                    });
                }
                changes = Some(out);
            }
        }
    }
    if lift && changes.is_some() {
        f.error(
            "lift",
            "a plan either lifts a restriction or lists changes, not both",
        );
    }
    f.finish()?;
    Ok(match (lift, changes) {
        (true, _) => PlanBody::Lift,
        (false, Some(c)) => PlanBody::Changes(c),
        (false, None) => PlanBody::Plain,
    })
}

/// Make the request's plan: the statements are generated from the data map, and the rows they
/// touch are counted by running them in a transaction that is rolled back. A new plan
/// supersedes a draft.
#[utoipa::path(
    post, path = "/api/v1/requests/{reference}/plan", tag = "execution",
    params(("reference" = String, Path, example = "DSR-2026-000042")),
    request_body = PlanRequestBody,
    responses((status = 201, body = PlanView),
              (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "support without a running access grant (`grant_required`)"),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody, description = "`identity_unconfirmed`, `request_closed`, `no_plan_for_kind`, `plan_in_progress`, `no_tenant`, `no_datamap`, `datamap_invalid` or `dry_run_failed`"),
              (status = 413, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody, description = "a change that is not allowed (`changes[i]`), or a body that does not fit the request's kind")),
    security(("bearer" = []))
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let reference = reference_path(&path)?;
    let (_, body) = read_body::<PlanRequestBody>(&req, payload, JSON_LIMIT).await?;
    let body = parse_plan_body(&body)?;
    let st = state.clone();
    let detail = state
        .db
        .run(move |conn| create_plan(conn, &st, &principal, &reference, body))
        .await?;
    tracing::info!(plan = %detail.plan.id, kind = %detail.plan.kind, "plan made");
    Ok(HttpResponse::Created().json(PlanView::of(&detail)))
}

/// The plan and how far it is (`rows_done` per system while it runs). Every view is an audit
/// entry.
#[utoipa::path(
    get, path = "/api/v1/requests/{reference}/plan/{id}", tag = "execution",
    params(("reference" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = PlanView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "support without a running access grant (`grant_required`)"),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody, description = "the request has no tenant")),
    security(("bearer" = []))
)]
pub async fn show(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (reference, id) = path.into_inner();
    let reference = reference_path(&reference)?;
    let detail = state
        .db
        .run(move |conn| show_plan(conn, &principal, &reference, &id))
        .await?;
    Ok(HttpResponse::Ok().json(PlanView::of(&detail)))
}

/// Approve a draft plan: the tenant's controller or an admin (processing agreement 3.7: on the
/// controller's instruction). A job carries it out; for a lift, the subject is mailed first
/// (art. 18(3)).
#[utoipa::path(
    post, path = "/api/v1/requests/{reference}/plan/{id}/approve", tag = "execution",
    params(("reference" = String, Path), ("id" = String, Path)),
    responses((status = 202, body = PlanView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "support (approval is the controller's), or without a grant"),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody, description = "`plan_not_draft`, or the request closed or its identity unconfirmed meanwhile")),
    security(("bearer" = []))
)]
pub async fn approve(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (reference, id) = path.into_inner();
    let reference = reference_path(&reference)?;
    let st = state.clone();
    let detail = state
        .db
        .run(move |conn| approve_plan(conn, &st, &principal, &reference, &id))
        .await?;
    tracing::info!(plan = %detail.plan.id, "plan approved");
    Ok(HttpResponse::Accepted().json(PlanView::of(&detail)))
}

/// The body of `POST …/rectification_disputed`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DisputeBody {
    /// What is disputed and why the correction is not made (shown to the subject).
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub note: Input,
}

/// Record on a rectification request that the subject disputes the accuracy and the data was
/// not (yet) corrected (processing agreement 3.7(iii); GDPR art. 18(1)(a)).
#[utoipa::path(
    post, path = "/api/v1/requests/{reference}/rectification_disputed", tag = "execution",
    params(("reference" = String, Path)),
    request_body = DisputeBody,
    responses((status = 204), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody, description = "not a rectification request, or closed"),
              (status = 413, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn dispute(
    req: HttpRequest,
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let reference = reference_path(&path)?;
    let (_, body) = read_body::<DisputeBody>(&req, payload, JSON_LIMIT).await?;
    let mut f = Fields::new();
    let note = f.req_str("note", &body.note).map(str::to_owned);
    f.finish()?;
    let note = note.ok_or_else(|| AppError::field("note", "is required"))?;
    state
        .db
        .run(move |conn| record_dispute(conn, &principal, &reference, &note))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
