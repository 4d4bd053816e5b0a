//! The audit trail for the tenant's controller and admin:
//! `GET /api/v1/tenants/{slug}/audit?from=&to=&actor=&page=&per_page=` (JSON, or `format=csv`).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Staff;
use super::views::local;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::service::audit::{self as audit_service, Audit, AuditFilter, parse_instant};
use crate::state::AppState;

/// Who did it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// The user's id (absent for inzage itself).
    pub id: Option<String>,
    pub email: String,
}

/// One audit entry (CONTRACT.md, "Audit trail").
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Place in the tenant's chain, from 1.
    pub seq: Option<i64>,
    pub at: DateTime<FixedOffset>,
    pub actor: AuditActor,
    /// `admin`, `support`, `controller` or `system`.
    pub role: Option<String>,
    /// What was done, e.g. `request_viewed`, `bundle_download`, `grant_given`, `request_forward`.
    pub action: String,
    /// The tenant's slug.
    pub tenant: String,
    /// The request's reference, when the entry is about one.
    pub request: Option<String>,
    /// The access grant that allowed the call (support).
    pub grant: Option<String>,
    pub ip: Option<String>,
    /// Further facts (JSON), never a subject's data.
    pub detail: Option<serde_json::Value>,
    pub prev_hash: Option<String>,
    /// SHA-256 over `prev_hash` and the entry's canonical JSON (hex).
    pub hash: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditListView {
    pub items: Vec<AuditEntryView>,
    pub total: i64,
}

struct TrailQuery {
    filter: AuditFilter,
    page: i64,
    per_page: i64,
    csv: bool,
}

fn parse_query(q: &HashMap<String, String>) -> AppResult<TrailQuery> {
    let mut errors = FieldErrors::new();
    let mut out = TrailQuery {
        filter: AuditFilter::default(),
        page: 1,
        per_page: 100,
        csv: false,
    };
    for (key, value) in q {
        match key.as_str() {
            "from" | "to" => match parse_instant(value) {
                Some(t) if key == "from" => out.filter.from = Some(t),
                Some(t) => out.filter.to = Some(t),
                None => {
                    errors.insert(key.clone(), "must be YYYY-MM-DD or an RFC 3339 time".into());
                }
            },
            "actor" if !value.trim().is_empty() => {
                out.filter.actor = Some(value.trim().to_owned());
            }
            "actor" => {}
            "page" => match value.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => out.page = n,
                _ => {
                    errors.insert("page".into(), "must be a whole number from 1".into());
                }
            },
            "per_page" => match value.parse::<i64>() {
                Ok(n) if (1..=1000).contains(&n) => out.per_page = n,
                _ => {
                    errors.insert("per_page".into(), "must be 1 to 1000".into());
                }
            },
            "format" => match value.as_str() {
                "csv" => out.csv = true,
                "json" => out.csv = false,
                _ => {
                    errors.insert("format".into(), "must be json or csv".into());
                }
            },
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// A CSV cell that a spreadsheet will not run as a formula (the bundle's rule).
fn csv_cell(s: &str) -> String {
    crate::bundle::neutralise(std::borrow::Cow::Borrowed(s)).into_owned()
}

/// The entries as CSV (the API's `format=csv` and the console's download).
pub(crate) fn to_csv(items: &[AuditEntryView]) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record([
        "seq",
        "at",
        "actor_id",
        "actor_email",
        "role",
        "action",
        "tenant",
        "request",
        "grant",
        "ip",
        "detail",
        "prev_hash",
        "hash",
    ])
    .map_err(internal)?;
    for e in items {
        let row = [
            e.seq.map(|s| s.to_string()).unwrap_or_default(),
            e.at.to_rfc3339(),
            e.actor.id.clone().unwrap_or_default(),
            e.actor.email.clone(),
            e.role.clone().unwrap_or_default(),
            e.action.clone(),
            e.tenant.clone(),
            e.request.clone().unwrap_or_default(),
            e.grant.clone().unwrap_or_default(),
            e.ip.clone().unwrap_or_default(),
            e.detail.as_ref().map(|d| d.to_string()).unwrap_or_default(),
            e.prev_hash.clone().unwrap_or_default(),
            e.hash.clone().unwrap_or_default(),
        ];
        w.write_record(row.iter().map(|c| csv_cell(c)))
            .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
}

/// The entries of a page of the trail as the API shows them (request ids as references).
pub(crate) fn entry_views(
    trail: &audit_service::TrailPage,
    references: &HashMap<crate::domain::RequestId, String>,
) -> Vec<AuditEntryView> {
    let view = |a: &Audit| AuditEntryView {
        seq: a.seq,
        at: local(a.at),
        actor: AuditActor {
            id: a.actor_id.clone(),
            email: a.actor_label.clone(),
        },
        role: a.actor_role.clone(),
        action: a.action.clone(),
        tenant: trail.tenant.slug.clone(),
        request: a.request_id.as_ref().map(|id| {
            references
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        }),
        grant: a.grant_id.clone(),
        ip: a.ip.clone(),
        detail: a
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok()),
        prev_hash: a.prev_hash.clone(),
        hash: a.hash.clone(),
    };
    trail.items.iter().map(view).collect()
}

/// The tenant's audit trail, oldest first: who read or changed what, when, from where, under
/// which grant; each entry with its place in the hash chain.
#[utoipa::path(
    get, path = "/api/v1/tenants/{slug}/audit", tag = "audit",
    params(("slug" = String, Path),
           ("from" = inline(Option<super::params::InstantParam>), Query, description = "YYYY-MM-DD or RFC 3339, inclusive"),
           ("to" = inline(Option<super::params::InstantParam>), Query, description = "YYYY-MM-DD or RFC 3339, exclusive"),
           ("actor" = Option<String>, Query, description = "user id or e-mail address"),
           ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000),
           ("per_page" = Option<i64>, Query, description = "1-1000, default 100", minimum = 1, maximum = 1000),
           ("format" = Option<String>, Query, description = "`json` (default) or `csv`", pattern = "^(json|csv)$")),
    responses((status = 200, description = "the entries, as JSON or (`format=csv`) CSV",
               content((AuditListView = "application/json"), (String = "text/csv"))),
              (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "support: the trail is the controller's"),
              (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let query = parse_query(&q)?;
    let filter = query.filter.clone();
    let (page, per_page) = (query.page, query.per_page);
    let (trail, references) = state
        .db
        .run(move |conn| {
            let trail = audit_service::trail(conn, &principal, &slug, &filter, page, per_page)?;
            let ids: Vec<crate::domain::RequestId> = trail
                .items
                .iter()
                .filter_map(|a| a.request_id.clone())
                .collect();
            let refs = crate::service::queries::references(conn, &ids)?;
            Ok::<_, AppError>((trail, refs))
        })
        .await?;
    let items = entry_views(&trail, &references);
    if query.csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"audit-{}.csv\"", trail.tenant.slug),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(to_csv(&items)?));
    }
    Ok(HttpResponse::Ok().json(AuditListView {
        items,
        total: trail.total,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_bad_filters_named() {
        assert_eq!(csv_cell("=HYPERLINK()"), "'=HYPERLINK()");
        assert_eq!(csv_cell("plain"), "plain");
        let q: HashMap<String, String> = [("from".to_owned(), "yesterday".to_owned())].into();
        let Err(AppError::Validation(f)) = parse_query(&q) else {
            panic!("expected a validation error")
        };
        assert!(f.contains_key("from"));
    }
}
