//! Access grants: `POST|GET /api/v1/tenants/{slug}/grants`, `DELETE …/grants/{id}` (the
//! tenant's controller or an admin).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use utoipa::ToSchema;

use super::body::{Fields, Input, JSON_LIMIT, read_body};
use super::extract::Staff;
use super::views::local;
use crate::error::AppResult;
use crate::service::grants::{self, GrantInput, GrantView as Grant};
use crate::state::AppState;

/// An access grant (CONTRACT.md, "Access grants").
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub id: String,
    /// The support user's e-mail address.
    pub grantee: String,
    /// Who gave it (e-mail address).
    pub granted_by: String,
    pub reason: String,
    pub created_at: DateTime<FixedOffset>,
    pub expires_at: DateTime<FixedOffset>,
    pub revoked_at: Option<DateTime<FixedOffset>>,
    /// When the grantee first used it (absent while unused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_used_at: Option<DateTime<FixedOffset>>,
}

impl GrantView {
    fn of(g: &Grant) -> Self {
        Self {
            id: g.grant.id.clone(),
            grantee: g.grantee.clone(),
            granted_by: g.granted_by.clone(),
            reason: g.grant.reason.clone(),
            created_at: local(g.grant.created_at),
            expires_at: local(g.grant.expires_at),
            revoked_at: g.grant.revoked_at.map(local),
            first_used_at: g.grant.first_used_at.map(local),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantListView {
    pub items: Vec<GrantView>,
}

/// The body of `POST …/grants`.
#[derive(Debug, Default, serde::Deserialize, ToSchema)]
pub struct GrantBody {
    /// A support user's e-mail address.
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    #[serde(default)]
    pub grantee: Input,
    /// 1 to 24.
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 24)]
    #[serde(default)]
    pub hours: Input,
    /// Why support needs the access (shown to the controller and in the audit trail).
    #[schema(value_type = String, required = true, pattern = r"\S")]
    #[serde(default)]
    pub reason: Input,
}

/// Gives a support user access to the tenant's data for 1-24 hours.
#[utoipa::path(
    post, path = "/api/v1/tenants/{slug}/grants", tag = "grants",
    params(("slug" = String, Path)),
    request_body = GrantBody,
    responses((status = 201, body = GrantView), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "not the tenant's controller nor an admin"),
              (status = 404, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody, description = "grantee not a support user, hours not 1-24, reason missing")),
    security(("bearer" = []))
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let (_, body) = read_body::<GrantBody>(&req, payload, JSON_LIMIT).await?;
    let mut f = Fields::new();
    let input = GrantInput {
        grantee: f.opt_str("grantee", &body.grantee).map(str::to_owned),
        hours: f.opt_i64("hours", &body.hours),
        reason: f.opt_str("reason", &body.reason).map(str::to_owned),
    };
    f.finish()?;
    let grant = state
        .db
        .run(move |conn| grants::give(conn, &principal, &slug, input))
        .await?;
    tracing::info!(grant = %grant.grant.id, "access grant given");
    Ok(HttpResponse::Created().json(GrantView::of(&grant)))
}

/// The tenant's grants: running ones and those ended in the last 90 days, newest first.
#[utoipa::path(
    get, path = "/api/v1/tenants/{slug}/grants", tag = "grants",
    params(("slug" = String, Path)),
    responses((status = 200, body = GrantListView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let items = state
        .db
        .run(move |conn| grants::list(conn, &principal, &slug))
        .await?;
    Ok(HttpResponse::Ok().json(GrantListView {
        items: items.iter().map(GrantView::of).collect(),
    }))
}

/// Revokes a grant, effective at once.
#[utoipa::path(
    delete, path = "/api/v1/tenants/{slug}/grants/{id}", tag = "grants",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn revoke(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    state
        .db
        .run(move |conn| grants::revoke(conn, &principal, &slug, &id))
        .await?;
    tracing::info!("access grant revoked");
    Ok(HttpResponse::NoContent().finish())
}
