//! The accountability report: `GET /api/v1/tenants/{slug}/report?from=&to=` (JSON, or
//! `format=csv`), for the tenant's controller and admin.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;

use super::extract::Staff;
use crate::domain::report::Report;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::service::report::report;
use crate::state::AppState;

/// `from`/`to` (YYYY-MM-DD, both included) and whether CSV is asked.
pub fn parse_period(
    q: &HashMap<String, String>,
) -> AppResult<(Option<NaiveDate>, Option<NaiveDate>, bool)> {
    let mut errors = FieldErrors::new();
    let mut date = |key: &str| {
        q.get(key).filter(|v| !v.is_empty()).and_then(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| errors.insert(key.to_owned(), "must be YYYY-MM-DD".to_owned()))
                .ok()
        })
    };
    let from = date("from");
    let to = date("to");
    let csv = match q.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            errors.insert("format".into(), "must be json or csv".into());
            false
        }
    };
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.insert("to".into(), "must not be before from".into());
    }
    if errors.is_empty() {
        Ok((from, to, csv))
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The report as `metric,value` lines (one figure a line).
pub fn report_csv(r: &Report) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    let mut line = |k: &str, v: String| w.write_record([k, v.as_str()]).map_err(internal);
    line("metric", "value".into())?;
    line("from", r.from.map(|d| d.to_string()).unwrap_or_default())?;
    line("to", r.to.map(|d| d.to_string()).unwrap_or_default())?;
    line("received", r.received.to_string())?;
    for (kind, c) in &r.by_kind {
        line(&format!("{kind}.total"), c.total.to_string())?;
        line(&format!("{kind}.completed"), c.completed.to_string())?;
        line(&format!("{kind}.refused"), c.refused.to_string())?;
        line(&format!("{kind}.withdrawn"), c.withdrawn.to_string())?;
        line(&format!("{kind}.open"), c.open.to_string())?;
    }
    line("answered", r.answered.to_string())?;
    line("legal.on_time", r.legal.on_time.to_string())?;
    line("legal.late", r.legal.late.to_string())?;
    line("promised.on_time", r.promised.on_time.to_string())?;
    line("promised.late", r.promised.late.to_string())?;
    line(
        "median_days_to_answer",
        r.median_days_to_answer
            .map(|m| m.to_string())
            .unwrap_or_default(),
    )?;
    line(
        "worst_days_to_answer",
        r.worst_days_to_answer
            .map(|m| m.to_string())
            .unwrap_or_default(),
    )?;
    line("extensions", r.extensions.len().to_string())?;
    for e in &r.extensions {
        // Staff's free text: defused so that a spreadsheet does not run it.
        let reason = e.reason.clone().unwrap_or_default();
        let reason = crate::bundle::neutralise(reason.into()).into_owned();
        line(&format!("extension.{}", e.reference), reason)?;
    }
    for (ground, n) in &r.refusals_by_ground {
        line(&format!("refused.{ground}"), n.to_string())?;
    }
    line("grants.given", r.grants.given.to_string())?;
    line("grants.used", r.grants.used.to_string())?;
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
}

/// Figures over the tenant's requests received in the period (GDPR art. 5(2), 30): per kind
/// and outcome, on time or late against the legal and the promised date, median and worst days
/// to answer, extensions with their reasons, refusals per ground, grants given and used.
#[utoipa::path(
    get, path = "/api/v1/tenants/{slug}/report", tag = "audit",
    params(("slug" = String, Path),
           ("from" = inline(Option<super::params::DateParam>), Query, description = "YYYY-MM-DD, day of receipt, included"),
           ("to" = inline(Option<super::params::DateParam>), Query, description = "YYYY-MM-DD, included"),
           ("format" = Option<String>, Query, description = "`json` (default) or `csv`", pattern = "^(json|csv)$")),
    responses((status = 200, description = "the report, as JSON or (`format=csv`) CSV",
               content((serde_json::Value = "application/json"), (String = "text/csv"))),
              (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn show(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let (from, to, csv) = parse_period(&q)?;
    let (tenant, r) = state
        .db
        .run(move |conn| report(conn, &principal, &slug, from, to))
        .await?;
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"report-{}.csv\"", tenant.slug),
            ))
            .body(report_csv(&r)?));
    }
    let mut body = serde_json::to_value(&r).map_err(|e| AppError::Internal(e.to_string()))?;
    body["tenant"] = serde_json::Value::String(tenant.slug);
    Ok(HttpResponse::Ok().json(body))
}
