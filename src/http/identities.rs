//! Identifiers staff add to a request so its bundle finds every row of the subject:
//! `GET|POST /api/v1/requests/{reference}/identities`, `DELETE …/identities/{id}`.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use utoipa::ToSchema;

use super::body::{Fields, Input, JSON_LIMIT, read_body};
use super::extract::{Staff, reference_path};
use super::views::local;
use crate::domain::IdentityKind;
use crate::error::{AppError, AppResult};
use crate::service::identities;
use crate::service::views::RequestIdentity;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityValueView {
    pub id: String,
    /// `email`, `phone` or `customer_id`.
    pub kind: String,
    pub value: String,
    pub added_at: DateTime<FixedOffset>,
}

impl IdentityValueView {
    pub fn of(i: &RequestIdentity) -> Self {
        Self {
            id: i.id.clone(),
            kind: i.kind.clone(),
            value: i.value.clone(),
            added_at: local(i.added_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityListView {
    pub items: Vec<IdentityValueView>,
}

/// The body of `POST …/identities`.
#[derive(Debug, Default, serde::Deserialize, ToSchema)]
pub struct IdentityBody {
    /// `email`, `phone` or `customer_id`.
    #[schema(value_type = IdentityKind, required = true)]
    #[serde(default)]
    pub kind: Input,
    /// An e-mail address, a phone number, or a customer id (1 to 100 characters).
    #[schema(value_type = String, required = true, min_length = 1, max_length = 254, pattern = r"\S")]
    #[serde(default)]
    pub value: Input,
}

/// The identifiers staff added to the request (the e-mail address it came with is always
/// used). The read is audited.
#[utoipa::path(
    get, path = "/api/v1/requests/{reference}/identities", tag = "bundles",
    params(("reference" = String, Path)),
    responses((status = 200, body = IdentityListView), (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let reference = reference_path(&path)?;
    let items = state
        .db
        .run(move |conn| identities::list(conn, &principal, &reference))
        .await?;
    Ok(HttpResponse::Ok().json(IdentityListView {
        items: items.iter().map(IdentityValueView::of).collect(),
    }))
}

/// Adds a phone number, customer id or e-mail address by which the subject's rows are found:
/// the tenant's controller, an admin, or support under a running access grant; audited.
#[utoipa::path(
    post, path = "/api/v1/requests/{reference}/identities", tag = "bundles",
    params(("reference" = String, Path)),
    request_body = IdentityBody,
    responses((status = 201, body = IdentityValueView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "support without a running access grant (`grant_required`)"),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody, description = "already there, or the request is closed"),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let reference = reference_path(&path)?;
    let (_, body) = read_body::<IdentityBody>(&req, payload, JSON_LIMIT).await?;
    let mut f = Fields::new();
    let kind = f.parse("kind", &body.kind, true, str::parse::<IdentityKind>);
    let raw = f.req_str("value", &body.value);
    let value = match (kind, raw) {
        (Some(k), Some(v)) => match k.parse_value(v) {
            Ok(v) => Some(v),
            Err(e) => {
                f.error("value", e.to_string());
                None
            }
        },
        _ => None,
    };
    f.finish()?;
    let (Some(kind), Some(value)) = (kind, value) else {
        return Err(AppError::field("value", "is required"));
    };
    let added = state
        .db
        .run(move |conn| identities::add(conn, &principal, &reference, kind, value))
        .await?;
    Ok(HttpResponse::Created().json(IdentityValueView::of(&added)))
}

/// Removes an identifier staff added.
#[utoipa::path(
    delete, path = "/api/v1/requests/{reference}/identities/{id}", tag = "bundles",
    params(("reference" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody, description = "support without a running access grant (`grant_required`)"),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn remove(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (reference, id) = path.into_inner();
    let reference = reference_path(&reference)?;
    state
        .db
        .run(move |conn| identities::remove(conn, &principal, &reference, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
