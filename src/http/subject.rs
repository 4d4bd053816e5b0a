//! The subject's routes: the e-mail confirmation link and the status view. Both are opened
//! by a signed, purpose-bound token; the reference alone opens nothing.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::views::PublicStatusView;
use crate::auth::token::{Purpose, TokenError};
use crate::error::{AppError, AppResult};
use crate::service::actions::verify as confirm;
use crate::state::AppState;
use crate::store::events::Event;
use crate::store::requests::RequestRow;
use crate::store::tokens;

fn token_of(q: &HashMap<String, String>) -> AppResult<String> {
    q.get("token")
        .filter(|t| !t.is_empty())
        .cloned()
        .ok_or_else(|| AppError::field("token", "is required"))
}

fn link_error(e: TokenError) -> AppError {
    match e {
        TokenError::Expired => AppError::Gone {
            code: "link_expired",
            message: "this link has expired; file the request again or contact us".to_owned(),
        },
        _ => AppError::Unauthorized("this link is not valid".to_owned()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct VerifiedView {
    pub reference: String,
    pub status: String,
    pub message: String,
}

/// The link mailed to the subject: confirms the e-mail address (single use, 7 days).
#[utoipa::path(get, path = "/api/v1/verify", tag = "subject",
    params(("token" = String, Query)),
    responses((status = 200, body = VerifiedView), (status = 401, body = crate::error::ErrorBody),
              (status = 410, body = crate::error::ErrorBody, description = "expired or already used")))]
pub async fn verify(
    state: web::Data<AppState>,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let token = token_of(&q)?;
    let claims = state
        .tokens
        .check_link(&token, Purpose::Verify)
        .map_err(link_error)?;
    let expires = DateTime::<Utc>::from_timestamp(claims.exp, 0)
        .unwrap_or_else(Utc::now)
        .naive_utc();
    let st = state.clone();
    let (row, first) = state
        .db
        .run(move |conn| {
            if !tokens::spend(conn, &claims.jti, "verify", expires)? {
                return Err(AppError::Gone {
                    code: "link_used",
                    message: "this link was used already; your request is being handled".to_owned(),
                });
            }
            confirm(conn, &st, &claims.sub, Utc::now())
        })
        .await?;
    tracing::info!(reference = %row.reference, first, "e-mail address confirmed");
    Ok(HttpResponse::Ok().json(VerifiedView {
        reference: row.reference,
        status: row.status,
        message: "your e-mail address is confirmed; your request is being handled".to_owned(),
    }))
}

/// The subject's own view: status, deadline and public history.
#[utoipa::path(get, path = "/api/v1/requests/{reference}/status", tag = "subject",
    params(("reference" = String, Path), ("token" = String, Query)),
    responses((status = 200, body = PublicStatusView), (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn status(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
    _req: HttpRequest,
) -> AppResult<HttpResponse> {
    let token = token_of(&q)?;
    let claims = state
        .tokens
        .check_link(&token, Purpose::Status)
        .map_err(link_error)?;
    let reference = path.into_inner();
    let (row, events) = state
        .db
        .run(move |conn| {
            let row = RequestRow::find(conn, &claims.sub)?.ok_or(AppError::NotFound)?;
            // A token for one request never opens another.
            if row.reference != reference {
                return Err(AppError::NotFound);
            }
            let events = Event::for_request(conn, &row.id)?;
            Ok::<_, AppError>((row, events))
        })
        .await?;
    Ok(HttpResponse::Ok().json(PublicStatusView::of(&row, &events)))
}
