//! The subject's routes: the e-mail confirmation link and the status view. Both are opened
//! by a signed, purpose-bound token; the reference alone opens nothing.
//!
//! A subject clicks these links from a mail, so a browser (`Accept: text/html`) gets a page in
//! the request's language (`http::pages`), with a clear text for every outcome: confirmed,
//! already used, expired, not valid. Other clients get JSON. Any token, however mangled,
//! gets a 4xx, never a 500. Both routes are rate limited per client IP.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{link_error, token_param};
use super::pages::{self, HistoryLine, Notice, StatusPage, wants_html};
use super::views::PublicStatusView;
use crate::auth::token::Purpose;
use crate::domain::{Language, Status};
use crate::error::{AppError, AppResult};
use crate::mail::labels;
use crate::service::actions::{VerifyLink, verify as confirm};
use crate::service::id_documents::{copy_expected, upload_url};
use crate::service::queries::{events, linked_request, request_by_id, tenant_of};
use crate::service::status_url;
use crate::service::views::{Event, RequestRow};
use crate::state::AppState;

const LINK_EXPIRED: &str = "this link has expired; file the request again or contact us";

/// The language to answer in when the link could not be used: the request's, if the token
/// is ours (even expired), else the browser's.
async fn answer_language(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    q: &HashMap<String, String>,
    purpose: Purpose,
    e: &AppError,
) -> Language {
    if matches!(e, AppError::RateLimited { .. }) {
        return pages::browser_language(req);
    }
    let Some(claims) = q
        .get("token")
        .and_then(|t| state.tokens.peek_link(t, purpose).ok())
    else {
        return pages::browser_language(req);
    };
    state
        .db
        .run(move |conn| request_by_id(conn, &claims.sub))
        .await
        .ok()
        .flatten()
        .map(|r| r.language)
        .unwrap_or_else(|| pages::browser_language(req))
}

#[derive(Serialize, ToSchema)]
pub struct VerifiedView {
    pub reference: String,
    pub status: String,
    pub message: String,
}

async fn confirm_link(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    q: &HashMap<String, String>,
) -> AppResult<RequestRow> {
    state.limits.check_ip(req)?;
    let token = token_param(q)?;
    let claims = state
        .tokens
        .check_link(&token, Purpose::Verify)
        .map_err(|e| link_error(e, LINK_EXPIRED))?;
    let expires = DateTime::<Utc>::from_timestamp(claims.exp, 0)
        .unwrap_or_else(Utc::now)
        .naive_utc();
    let st = state.clone();
    let (row, first) = state
        .db
        .run(move |conn| {
            let link = VerifyLink {
                jti: &claims.jti,
                expires_at: expires,
            };
            confirm(conn, &st, &claims.sub, link, Utc::now())
        })
        .await?;
    tracing::info!(reference = %row.reference, first, "e-mail address confirmed");
    Ok(row)
}

/// The link mailed to the subject: confirms the e-mail address (single use, 7 days).
/// A browser gets a page in the request's language; other clients JSON.
#[utoipa::path(get, path = "/api/v1/verify", tag = "subject",
    params(("token" = String, Query, min_length = 1)),
    responses((status = 200, body = VerifiedView, description = "JSON, or with Accept: text/html a page"),
              (status = 401, body = crate::error::ErrorBody),
              (status = 410, body = crate::error::ErrorBody, description = "expired or already used"),
              (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let html = wants_html(&req);
    match confirm_link(&req, &state, &q).await {
        Ok(row) if html => {
            let language = row.language;
            // The receipt carries the status link too; a failure here does not undo anything.
            let status = status_url(&state, &row.id, &row.reference, Utc::now()).ok();
            Ok(pages::notice(
                StatusCode::OK,
                Notice::Confirmed { status_url: status },
                language,
                &state.settings.processor_name,
                Some(&row.reference),
            ))
        }
        Ok(row) => Ok(HttpResponse::Ok().json(VerifiedView {
            reference: row.reference,
            status: row.status.as_str().to_owned(),
            message: "your e-mail address is confirmed; your request is being handled".to_owned(),
        })),
        Err(e) if html => {
            let language = answer_language(&state, &req, &q, Purpose::Verify, &e).await;
            Ok(pages::error_page(
                &e,
                language,
                &state.settings.processor_name,
                None,
            ))
        }
        Err(e) => Err(e),
    }
}

/// What the status view shows, loaded.
struct Loaded {
    row: RequestRow,
    events: Vec<Event>,
    copy_expected: bool,
    /// The controller is a public body: the remedies differ (UAVG art. 34 against art. 35).
    public: bool,
}

async fn load_status(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    reference: String,
    q: &HashMap<String, String>,
) -> AppResult<Loaded> {
    state.limits.check_ip(req)?;
    let token = token_param(q)?;
    let claims = state
        .tokens
        .check_link(&token, Purpose::Status)
        .map_err(|e| link_error(e, LINK_EXPIRED))?;
    state
        .db
        .run(move |conn| {
            // A token for one request never opens another.
            let row = linked_request(conn, &claims.sub, &reference)?;
            let events = events(conn, &row.id)?;
            let copy_expected = copy_expected(conn, &row)?;
            let public = tenant_of(conn, &row)?
                .is_some_and(|t| t.sector.parse() == Ok(crate::domain::Sector::Public));
            Ok::<_, AppError>(Loaded {
                row,
                events,
                copy_expected,
                public,
            })
        })
        .await
}

fn status_page(state: &AppState, l: &Loaded, language: Language) -> AppResult<StatusPage> {
    let view = PublicStatusView::of(&l.row, &l.events);
    let status = l.row.status;
    Ok(StatusPage {
        reference: l.row.reference.clone(),
        kind: pages::kind_label(l.row.kind, language),
        status: pages::status_label(status, language).to_owned(),
        received: pages::date(l.row.received_on, language),
        due: pages::date(l.row.deadline()?.target(), language),
        paused: l.row.paused_since.is_some(),
        closed: Status::is_closed(status),
        public: l.public,
        history: view
            .history
            .iter()
            .map(|h| HistoryLine {
                at: labels::date_time(h.at.with_timezone(&Utc), language),
                label: pages::event_label(&h.kind, language),
                note: h.note.clone(),
            })
            .collect(),
        recipients: view
            .recipients
            .iter()
            .map(|r| (r.name.clone(), r.notified))
            .collect(),
        upload_url: if l.copy_expected {
            Some(upload_url(state, &l.row, Utc::now())?)
        } else {
            None
        },
    })
}

/// The subject's own view: status, deadline and public history. A browser gets a page in
/// the request's language; other clients JSON.
#[utoipa::path(get, path = "/api/v1/requests/{reference}/status", tag = "subject",
    params(("reference" = String, Path), ("token" = String, Query, min_length = 1)),
    responses((status = 200, body = PublicStatusView, description = "JSON, or with Accept: text/html a page"),
              (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 410, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn status(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let html = wants_html(&req);
    let loaded = load_status(&req, &state, path.into_inner(), &q).await;
    match loaded {
        Ok(l) if html => {
            let language = l.row.language;
            let page = status_page(&state, &l, language)?;
            Ok(pages::status_page(
                &page,
                language,
                &state.settings.processor_name,
            ))
        }
        Ok(l) => Ok(HttpResponse::Ok().json(PublicStatusView::of(&l.row, &l.events))),
        Err(e) if html => {
            let language = answer_language(&state, &req, &q, Purpose::Status, &e).await;
            Ok(pages::error_page(
                &e,
                language,
                &state.settings.processor_name,
                None,
            ))
        }
        Err(e) => Err(e),
    }
}
