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

use super::bundles::stream_zip;
use super::console::{read_cookie, set_cookie};
use super::extract::{link_error, token_param};
use super::form::{FORM_COOKIE, same_site_post};
use super::pages::{self, HistoryLine, Notice, StatusPage, wants_html};
use super::views::PublicStatusView;
use crate::auth::token::Purpose;
use crate::domain::completion::{CodeState, normalise_code};
use crate::domain::lifecycle::Command;
use crate::domain::{EventKind, Language, RequestId, Status};
use crate::error::{AppError, AppResult};
use crate::links;
use crate::mail::labels;
use crate::service::actions::{VerifyLink, verify as confirm};
use crate::service::console::random_secret;
use crate::service::id_documents::{copy_expected, upload_url};
use crate::service::queries::{events, linked_request, request_by_id, tenant_of};
use crate::service::status_url;
use crate::service::subject::{
    CodeRefused, Released, act as subject_act, open_download, released, send_code,
};
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
        .run(move |conn| request_by_id(conn, &RequestId::from(claims.sub)))
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
            confirm(
                conn,
                &st,
                &RequestId::from(claims.sub.as_str()),
                link,
                Utc::now(),
            )
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
    /// How a completed request was answered, and its released bundle.
    released: Option<Released>,
    /// The status link's token: the page's forms carry it (never another address).
    token: String,
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
            let row = linked_request(conn, &RequestId::from(claims.sub.as_str()), &reference)?;
            let events = events(conn, &row.id)?;
            let copy_expected = copy_expected(conn, &row)?;
            let public = tenant_of(conn, &row)?
                .is_some_and(|t| t.sector.parse() == Ok(crate::domain::Sector::Public));
            let released = released(conn, &row, Utc::now().naive_utc())?;
            Ok::<_, AppError>(Loaded {
                row,
                events,
                copy_expected,
                public,
                released,
                token,
            })
        })
        .await
}

/// What the subject just did, or what went wrong with a form of the page.
#[derive(Debug, Clone, Default)]
struct Feedback {
    done: Option<&'static str>,
    answer_error: Option<&'static str>,
    code_error: Option<String>,
    answer: String,
}

fn status_page(
    state: &AppState,
    l: &Loaded,
    language: Language,
    feedback: Feedback,
    csrf: &str,
) -> AppResult<StatusPage> {
    let view = PublicStatusView::of(&l.row, &l.events);
    let status = l.row.status;
    let closed = Status::is_closed(status);
    // The open question: the latest identity question while identity information is pending.
    let question = if l.row.identity_pending && !closed {
        l.events
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::IdentityRequested)
            .map(|e| e.note.clone().unwrap_or_default())
    } else {
        None
    };
    let answered = question.is_some()
        && l.events
            .iter()
            .rev()
            .take_while(|e| e.kind != EventKind::IdentityRequested)
            .any(|e| e.kind == EventKind::Answered);
    let (answer_title, answer_text) = match status {
        Status::Completed => {
            let no_data = l
                .released
                .as_ref()
                .is_some_and(|r| r.result == crate::domain::CompletionResult::NoData);
            (
                Some(if no_data { "no_data" } else { "done" }),
                l.row.outcome.clone(),
            )
        }
        Status::Refused => {
            let ground = l
                .row
                .refusal_ground
                .as_deref()
                .and_then(|g| g.parse::<crate::domain::RefusalGround>().ok());
            match ground {
                // `no_data` is an answer, not a refusal, whichever way staff recorded it.
                Some(crate::domain::RefusalGround::NoData) => {
                    (Some("no_data"), l.row.refusal_reason.clone())
                }
                _ => (Some("refused"), l.row.refusal_reason.clone()),
            }
        }
        Status::Withdrawn => (Some("withdrawn"), None),
        _ => (None, None),
    };
    let answer_title = answer_title.unwrap_or_default();
    let ground = l
        .row
        .refusal_ground
        .as_deref()
        .and_then(|g| g.parse::<crate::domain::RefusalGround>().ok())
        .filter(|g| *g != crate::domain::RefusalGround::NoData)
        .map(|g| labels::ground_label(g, l.row.kind, language));
    let (download, code) = match l.released.as_ref().and_then(|r| r.bundle.as_ref()) {
        Some((_, expires)) => {
            let code = match l.released.as_ref().and_then(|r| r.code) {
                Some(CodeState::Usable { tries_left }) => tries_left,
                _ => 0,
            };
            (Some(labels::date_time(expires.and_utc(), language)), code)
        }
        None => (None, 0),
    };
    Ok(StatusPage {
        reference: l.row.reference.clone(),
        kind: pages::kind_label(l.row.kind, language),
        status: pages::status_label(status, language).to_owned(),
        received: pages::date(l.row.received_on, language),
        due: pages::date(l.row.deadline()?.target(), language),
        paused: l.row.paused_since.is_some(),
        closed,
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
        token: l.token.clone(),
        csrf: csrf.to_owned(),
        base: format!("/status/{}", l.row.reference),
        can_withdraw: !closed,
        question,
        answered,
        answer_title,
        answer_text,
        ground,
        download_until: download,
        code_tries_left: code,
        done: feedback.done.unwrap_or_default(),
        answer_error: feedback.answer_error.unwrap_or_default(),
        code_error: feedback.code_error,
        answer_value: feedback.answer,
    })
}

/// The language of a status page: `?lang=`, else the request's.
fn page_language(req: &HttpRequest, row: &RequestRow) -> Language {
    pages::query_language(req).unwrap_or(row.language)
}

/// The form token of the page: the browser's, or a new one (set with the page).
fn form_token(req: &HttpRequest) -> String {
    read_cookie(req, FORM_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(random_secret)
}

fn render_status(
    state: &AppState,
    req: &HttpRequest,
    l: &Loaded,
    status: StatusCode,
    feedback: Feedback,
) -> AppResult<HttpResponse> {
    let language = page_language(req, &l.row);
    let csrf = form_token(req);
    let page = status_page(state, l, language, feedback, &csrf)?;
    let other = match language {
        Language::Nl => Language::En,
        Language::En => Language::Nl,
    };
    let switch = format!(
        "{}&lang={}",
        links::status("", &l.row.reference, &l.token),
        other.as_str()
    );
    let mut r = pages::status_page(
        &page,
        language,
        &state.settings.processor_name,
        status,
        &switch,
        other,
    );
    set_cookie(
        &mut r,
        FORM_COOKIE,
        &csrf,
        "/",
        None,
        state.settings.public_url.starts_with("https://"),
    );
    Ok(r)
}

fn done_of(q: &HashMap<String, String>) -> Option<&'static str> {
    match q.get("done").map(String::as_str) {
        Some("withdrawn") => Some("withdrawn"),
        Some("answered") => Some("answered"),
        Some("code_sent") => Some("code_sent"),
        _ => None,
    }
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
            let feedback = Feedback {
                done: done_of(&q),
                ..Feedback::default()
            };
            render_status(&state, &req, &l, StatusCode::OK, feedback)
        }
        Ok(l) => Ok(HttpResponse::Ok().json(PublicStatusView::of(&l.row, &l.events))),
        Err(e) if html => Ok(link_error_page(&state, &req, &q, &e).await),
        Err(e) => Err(e),
    }
}

async fn link_error_page(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    q: &HashMap<String, String>,
    e: &AppError,
) -> HttpResponse {
    let language = match pages::query_language(req) {
        Some(l) => l,
        None => answer_language(state, req, q, Purpose::Status, e).await,
    };
    pages::error_page(e, language, &state.settings.processor_name, None)
}

/// A post from the status page: its form token must match, and its status token opens the
/// request (the token is a field of the form, so it is never in an address of a post).
async fn page_post(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    reference: String,
    form: &HashMap<String, String>,
) -> Result<Loaded, HttpResponse> {
    if !same_site_post(req, form) {
        tracing::warn!("status page form without a valid token refused");
        let language = pages::query_language(req).unwrap_or_else(|| pages::browser_language(req));
        return Err(pages::notice(
            StatusCode::FORBIDDEN,
            Notice::FormExpired,
            language,
            &state.settings.processor_name,
            None,
        ));
    }
    match load_status(req, state, reference, form).await {
        Ok(l) => Ok(l),
        Err(e) => Err(link_error_page(state, req, form, &e).await),
    }
}

/// Back to the status page after a change (a 303, so a reload does not post again).
fn back_to(l: &Loaded, req: &HttpRequest, done: &str, anchor: &str) -> HttpResponse {
    let mut location = format!(
        "{}&done={done}",
        links::status("", &l.row.reference, &l.token)
    );
    if let Some(lang) = pages::query_language(req) {
        location.push_str(&format!("&lang={}", lang.as_str()));
    }
    location.push_str(anchor);
    pages::see_other(&location)
}

fn answer_or_page(r: AppResult<HttpResponse>, state: &AppState, req: &HttpRequest) -> HttpResponse {
    r.unwrap_or_else(|e| {
        let language = pages::query_language(req).unwrap_or_else(|| pages::browser_language(req));
        pages::error_page(&e, language, &state.settings.processor_name, None)
    })
}

/// `POST /status/{reference}/withdraw`: first a confirmation page; with `confirm=yes` the
/// request is withdrawn (an event staff see; the clock stops; any ID copy is deleted).
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let l = match page_post(&req, &state, path.into_inner(), &form).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let language = page_language(&req, &l.row);
    if form.get("confirm").map(String::as_str) != Some("yes") {
        let csrf = form_token(&req);
        return pages::withdraw_page(
            &pages::WithdrawPage {
                reference: l.row.reference.clone(),
                kind: pages::kind_label(l.row.kind, language),
                token: l.token.clone(),
                csrf,
                action: format!("/status/{}/withdraw{}", l.row.reference, lang_query(&req)),
                back: links::status("", &l.row.reference, &l.token),
                open: !l.row.status.is_closed(),
            },
            language,
            &state.settings.processor_name,
        );
    }
    let st = state.clone();
    let (id, reference) = (l.row.id.clone(), l.row.reference.clone());
    let r = state
        .db
        .run(move |conn| {
            subject_act(
                conn,
                &st,
                &id,
                &reference,
                Command::Withdraw { note: None },
                Utc::now(),
            )
        })
        .await;
    match r {
        Ok(row) => {
            tracing::info!(reference = %row.reference, "request withdrawn by the subject");
            back_to(&l, &req, "withdrawn", "")
        }
        Err(e) => answer_or_page(Err(e), &state, &req),
    }
}

fn lang_query(req: &HttpRequest) -> String {
    pages::query_language(req)
        .map(|l| format!("?lang={}", l.as_str()))
        .unwrap_or_default()
}

/// `POST /status/{reference}/answer`: the subject's answer to the open question, in text.
/// It becomes an event staff see and resumes the clock the question paused.
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let l = match page_post(&req, &state, path.into_inner(), &form).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let typed = form.get("answer").cloned().unwrap_or_default();
    let text = match crate::domain::request::staff_text(&typed, ANSWER_MAX) {
        Ok(t) => t,
        Err(_) => {
            let problem = if typed.trim().is_empty() {
                "empty"
            } else {
                "long"
            };
            let feedback = Feedback {
                answer_error: Some(problem),
                answer: typed,
                ..Feedback::default()
            };
            return answer_or_page(
                render_status(&state, &req, &l, StatusCode::UNPROCESSABLE_ENTITY, feedback),
                &state,
                &req,
            );
        }
    };
    let st = state.clone();
    let (id, reference) = (l.row.id.clone(), l.row.reference.clone());
    let r = state
        .db
        .run(move |conn| {
            subject_act(
                conn,
                &st,
                &id,
                &reference,
                Command::Answer { text },
                Utc::now(),
            )
        })
        .await;
    match r {
        Ok(_) => back_to(&l, &req, "answered", "#question"),
        Err(e) => answer_or_page(Err(e), &state, &req),
    }
}

/// The longest answer a subject may write (as a staff note).
const ANSWER_MAX: usize = 10_000;

/// `POST /status/{reference}/code`: mails a new six-digit code for the released bundle.
pub async fn send_download_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let l = match page_post(&req, &state, path.into_inner(), &form).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let st = state.clone();
    let (id, reference) = (l.row.id.clone(), l.row.reference.clone());
    match state
        .db
        .run(move |conn| send_code(conn, &st, &id, &reference))
        .await
    {
        Ok(()) => back_to(&l, &req, "code_sent", "#download"),
        Err(e) => answer_or_page(Err(e), &state, &req),
    }
}

/// `POST /status/{reference}/download`: the code from the mail opens the zip, streamed like
/// staff downloads; a wrong code counts (five, then a new code is needed). Each download is
/// an event the controller sees.
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let l = match page_post(&req, &state, path.into_inner(), &form).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let language = page_language(&req, &l.row);
    let typed = form.get("code").and_then(|c| normalise_code(c));
    let st = state.clone();
    let (id, reference) = (l.row.id.clone(), l.row.reference.clone());
    let opened = st
        .db
        .run(move |conn| open_download(conn, &id, &reference, typed.as_deref()))
        .await;
    let refused = match opened {
        Ok(Ok(d)) => {
            tracing::info!(reference = %d.reference, "bundle downloaded by the subject");
            return answer_or_page(
                stream_zip(&state, d.file_id, &d.reference).await,
                &state,
                &req,
            );
        }
        Ok(Err(refused)) => refused,
        Err(e) => return answer_or_page(Err(e), &state, &req),
    };
    let message = match (refused, language) {
        (CodeRefused::Wrong { tries_left }, Language::Nl) => {
            format!("Deze code klopt niet. U kunt het nog {tries_left} keer proberen.")
        }
        (CodeRefused::Wrong { tries_left }, Language::En) => format!(
            "This code is not right. You can try {tries_left} more time{}.",
            if tries_left == 1 { "" } else { "s" }
        ),
        (CodeRefused::NeedNew, Language::Nl) => {
            "Deze code werkt niet meer. Vraag hieronder een nieuwe code aan.".to_owned()
        }
        (CodeRefused::NeedNew, Language::En) => {
            "This code no longer works. Ask for a new code below.".to_owned()
        }
    };
    // Reload: the failed try may have used up the code.
    let l = match load_status(&req, &state, l.row.reference.clone(), &form).await {
        Ok(l) => l,
        Err(e) => return link_error_page(&state, &req, &form, &e).await,
    };
    let feedback = Feedback {
        code_error: Some(message),
        ..Feedback::default()
    };
    answer_or_page(
        render_status(&state, &req, &l, StatusCode::UNPROCESSABLE_ENTITY, feedback),
        &state,
        &req,
    )
}
