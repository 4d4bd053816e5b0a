//! `GET|POST /api/v1/requests/{reference}/id_document`: the copy of an identity document,
//! only where the tenant's policy asks for one (`service::id_documents`).
//!
//! - `GET …?token=` (the link in the identity request mail): the subject's page, in the
//!   request's language, with the KopieID guidance and an upload form.
//! - `POST …?token=`: the upload. The body is either the file itself (any `Content-Type`) or
//!   `multipart/form-data` whose part `document` (or first file part) is the file, which is
//!   what the page's form sends. PDF, JPEG or PNG, told by content; at most 10 MiB (413),
//!   another type 422, a request that asks no copy now 409. A browser gets the page back, an
//!   API client `201 {"status":"received",…}`.
//! - `GET …` with a staff token: the copy itself, for admin, support and the controller of the
//!   request's tenant (another tenant's controller: 404). Every view is audited first.

use std::collections::HashMap;

use actix_multipart::{Multipart, MultipartError};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Staff, link_error, reference_path, token_param};
use super::file_body::file_body;
use super::pages::{self, UploadPage, UploadProblem, UploadState, wants_html};
use super::views::local;
use crate::auth::token::Purpose;
use crate::domain::{Language, RequestId};
use crate::error::{AppError, AppResult};
use crate::links;
use crate::mail::labels;
use crate::service::id_documents::{
    self as service, MAX_BYTES, copy_reason, held_copy, open_for_staff, sniff, store_upload,
};
use crate::service::queries::request_by_id;
use crate::service::views::RequestRow;
use crate::state::AppState;

/// Room for the multipart framing and the form's other parts around a file of [`MAX_BYTES`].
const MULTIPART_OVERHEAD: usize = 64 * 1024;

#[derive(Serialize, ToSchema)]
pub struct UploadedView {
    /// `received`
    pub status: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: chrono::DateTime<chrono::FixedOffset>,
}

const LINK_EXPIRED: &str = "this link has expired; ask us for a new one";

/// The request a subject's upload link opens: the token's request, which must be the one in
/// the path (a token for one request never opens another).
async fn linked_request(
    state: &web::Data<AppState>,
    q: &HashMap<String, String>,
    reference: &str,
) -> AppResult<RequestRow> {
    let token = token_param(q)?;
    let claims = state
        .tokens
        .check_link(&token, Purpose::IdDocument)
        .map_err(|e| link_error(e, LINK_EXPIRED))?;
    let reference = reference_path(reference)?;
    state
        .db
        .run(move |conn| {
            crate::service::queries::linked_request(conn, &RequestId::from(claims.sub), &reference)
        })
        .await
}

/// The language to answer a subject in when the link itself could not be used.
async fn fallback_language(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    q: &HashMap<String, String>,
) -> Language {
    let Some(claims) = q
        .get("token")
        .and_then(|t| state.tokens.peek_link(t, Purpose::IdDocument).ok())
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

fn action_url(reference: &str, q: &HashMap<String, String>) -> String {
    let token = q.get("token").map(String::as_str).unwrap_or_default();
    links::id_document("", reference, token)
}

/// The page for `row`: the form when a copy is asked, or that none is needed now.
async fn page_for(
    state: &web::Data<AppState>,
    row: RequestRow,
    q: &HashMap<String, String>,
    status: StatusCode,
    problem: Option<UploadProblem>,
    received: bool,
) -> AppResult<HttpResponse> {
    let language: Language = row.language;
    let id = row.id.clone();
    let check = row.clone();
    let (reason, held) = state
        .db
        .run(move |conn| {
            let reason = copy_reason(conn, &check)?;
            Ok::<_, AppError>((reason, held_copy(conn, &id)?))
        })
        .await?;
    let expected = reason.is_some();
    let (state_now, status) = match (received, expected) {
        (true, _) => (UploadState::Received, status),
        (false, true) => (UploadState::Ready, status),
        (false, false) => (UploadState::NotNeeded, StatusCode::CONFLICT),
    };
    let page = UploadPage::new(
        state_now,
        problem,
        action_url(&row.reference, q),
        held.map(|d| labels::date_time(d.uploaded_at.and_utc(), language)),
        MAX_BYTES,
        language,
    )
    .with_reason(reason);
    Ok(pages::upload_page(
        status,
        &page,
        language,
        &state.settings.processor_name,
        &row.reference,
    ))
}

/// The subject's upload page, or (with a staff token) the copy itself.
#[utoipa::path(
    get, path = "/api/v1/requests/{reference}/id_document", tag = "subject",
    params(
        ("reference" = String, Path, example = "DSR-2026-000042"),
        ("token" = Option<String>, Query, min_length = 1, description = "the subject's upload link (from the identity request mail); without it a staff token is needed"),
    ),
    responses(
        (status = 200, description = "with `token`: the upload page (text/html) with the KopieID guidance; with a staff token: the copy itself (application/pdf, image/jpeg or image/png), the view audited",
            content((String = "text/html"), (Vec<u8> = "application/pdf"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"))),
        (status = 422, description = "an empty token (a page)",
            content((crate::error::ErrorBody = "application/json"), (String = "text/html"))),
        (status = 401, description = "no link and no staff token, or not a valid one (without a staff token: a page)",
            content((crate::error::ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "not found (with `token`: a page)",
            content((crate::error::ErrorBody = "application/json"), (String = "text/html"))),
        (status = 403, body = crate::error::ErrorBody, description = "support without a running access grant (`grant_required`)"),
        (status = 409, content_type = "text/html", description = "no copy is asked for this request now"),
        (status = 410, description = "the link expired (with `token`: a page)",
            content((crate::error::ErrorBody = "application/json"), (String = "text/html"))),
        (status = 429, description = "rate limited (with `token`: a page)",
            content((crate::error::ErrorBody = "application/json"), (String = "text/html"))),
    ),
    security((), ("bearer" = []))
)]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        let Staff(principal) = Staff::from_request(&req, &mut Payload::None).await?;
        return staff_view(state, principal, &path).await;
    }
    let outcome = async {
        state.limits.check_ip(&req)?;
        // Neither the subject's link nor a staff token: nothing says who is asking.
        if !q.contains_key("token") {
            return Err(AppError::Unauthorized(
                "this page opens from the link in the mail, or with a staff token".to_owned(),
            ));
        }
        let row = linked_request(&state, &q, &path).await?;
        page_for(&state, row, &q, StatusCode::OK, None, false).await
    }
    .await;
    match outcome {
        Ok(page) => Ok(page),
        Err(e) => {
            let language = if matches!(e, AppError::RateLimited { .. }) {
                pages::browser_language(&req)
            } else {
                fallback_language(&state, &req, &q).await
            };
            Ok(pages::error_page(
                &e,
                language,
                &state.settings.processor_name,
                None,
            ))
        }
    }
}

async fn staff_view(
    state: web::Data<AppState>,
    principal: crate::auth::Principal,
    reference: &str,
) -> AppResult<HttpResponse> {
    let reference = reference_path(reference)?;
    let st = state.clone();
    let view = tokio::task::spawn_blocking(move || open_for_staff(&st, &principal, &reference))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    tracing::info!(reference = %view.reference, "ID copy viewed");
    let filename = format!(
        "{}-id.{}",
        view.reference,
        service::extension(&view.content_type)
    );
    Ok(HttpResponse::Ok()
        .content_type(view.content_type.clone())
        .insert_header((header::CONTENT_LENGTH, view.reader.size()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        // Never cached on the way or in a browser; not run as a page of ours.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        ))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .streaming(file_body(view.reader)))
}

/// Why an upload body is not usable.
#[derive(Debug, PartialEq, Eq)]
enum BodyProblem {
    TooLarge,
    Empty,
    Malformed(String),
}

/// Reads the body, at most `limit` bytes.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, BodyProblem> {
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyProblem::TooLarge);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| BodyProblem::Malformed(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(BodyProblem::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// Whether the body is `multipart/form-data` (what the upload page's form sends).
fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The file in a `multipart/form-data` body (RFC 7578, parsed by `actix-multipart`): the part
/// named `document`, else the first part with a file name. The file may be at most
/// [`MAX_BYTES`] and the other parts together at most [`MULTIPART_OVERHEAD`] (413 beyond);
/// reading stops as soon as either is passed.
async fn multipart_file<S>(headers: &header::HeaderMap, body: S) -> Result<Vec<u8>, BodyProblem>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + 'static,
{
    let malformed = |e: MultipartError| BodyProblem::Malformed(e.to_string());
    let mut form = Multipart::new(headers, body);
    let mut first_file: Option<Vec<u8>> = None;
    let mut other_bytes = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let (document, file) = field
            .content_disposition()
            .map(|cd| {
                (
                    cd.get_name() == Some("document"),
                    cd.get_filename().is_some(),
                )
            })
            .unwrap_or_default();
        if document || (file && first_file.is_none()) {
            let mut content = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(malformed)?;
                if content.len() + chunk.len() > MAX_BYTES {
                    return Err(BodyProblem::TooLarge);
                }
                content.extend_from_slice(&chunk);
            }
            if document {
                return Ok(content);
            }
            first_file = Some(content);
        } else {
            while let Some(chunk) = field.next().await {
                other_bytes += chunk.map_err(malformed)?.len();
                if other_bytes > MULTIPART_OVERHEAD {
                    return Err(BodyProblem::TooLarge);
                }
            }
        }
    }
    first_file.ok_or(BodyProblem::Empty)
}

fn problem_error(p: &BodyProblem) -> AppError {
    match p {
        BodyProblem::TooLarge => AppError::PayloadTooLarge { limit: MAX_BYTES },
        BodyProblem::Empty => AppError::field("document", "is required: send the file"),
        BodyProblem::Malformed(m) => AppError::MalformedBody(m.clone()),
    }
}

fn wrong_type() -> AppError {
    AppError::field(
        "document",
        "must be a PDF, JPEG or PNG file (recognised by its content)",
    )
}

/// Uploads the copy of an identity document (the subject, with the link from the mail).
#[utoipa::path(
    post, path = "/api/v1/requests/{reference}/id_document", tag = "subject",
    params(
        ("reference" = String, Path, example = "DSR-2026-000042"),
        ("token" = String, Query, min_length = 1, description = "the subject's upload link (from the identity request mail)"),
    ),
    request_body(content = Vec<u8>, description = "the file itself (PDF, JPEG or PNG, at most 10 MiB, recognised by content), or multipart/form-data with the file in part `document`",
        content_type = "application/octet-stream"),
    responses(
        (status = 201, body = UploadedView),
        (status = 200, content_type = "text/html", description = "to a browser: the page, saying the copy was received"),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "no copy is asked for this request now"),
        (status = 410, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "not a PDF, JPEG or PNG"),
        (status = 429, body = crate::error::ErrorBody),
    ),
    security(())
)]
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let html = wants_html(&req);
    let row = match async {
        state.limits.check_ip(&req)?;
        linked_request(&state, &q, &path).await
    }
    .await
    {
        Ok(row) => row,
        Err(e) if html => {
            let language = if matches!(e, AppError::RateLimited { .. }) {
                pages::browser_language(&req)
            } else {
                fallback_language(&state, &req, &q).await
            };
            return Ok(pages::error_page(
                &e,
                language,
                &state.settings.processor_name,
                None,
            ));
        }
        Err(e) => return Err(e),
    };

    let content = if is_multipart(&req) {
        if declared_length(&req).is_some_and(|n| n > MAX_BYTES + MULTIPART_OVERHEAD) {
            Err(BodyProblem::TooLarge)
        } else {
            multipart_file(req.headers(), payload.into_inner()).await
        }
    } else {
        read_body(&req, payload, MAX_BYTES).await
    };
    let content = content.and_then(|c| match c.len() {
        0 => Err(BodyProblem::Empty),
        n if n > MAX_BYTES => Err(BodyProblem::TooLarge),
        _ => Ok(c),
    });
    let (content, content_type) = match content.map(|c| (sniff(&c), c)) {
        Ok((Some(t), c)) => (c, t),
        Ok((None, _)) if html => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page_for(
                &state,
                row,
                &q,
                status,
                Some(UploadProblem::WrongType),
                false,
            )
            .await;
        }
        Ok((None, _)) => return Err(wrong_type()),
        Err(p) if html => {
            let (status, problem) = match p {
                BodyProblem::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, UploadProblem::TooLarge),
                BodyProblem::Empty => (StatusCode::UNPROCESSABLE_ENTITY, UploadProblem::Empty),
                BodyProblem::Malformed(_) => (StatusCode::BAD_REQUEST, UploadProblem::Empty),
            };
            return page_for(&state, row, &q, status, Some(problem), false).await;
        }
        Err(p) => return Err(problem_error(&p)),
    };

    let (st, request_id) = (state.clone(), row.id.clone());
    let stored =
        tokio::task::spawn_blocking(move || store_upload(&st, &request_id, &content, content_type))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
    match stored {
        Ok(doc) => {
            tracing::info!(reference = %row.reference, content_type, size = doc.size_bytes, "ID copy received");
            if html {
                return page_for(&state, row, &q, StatusCode::OK, None, true).await;
            }
            Ok(HttpResponse::Created().json(UploadedView {
                status: "received".to_owned(),
                content_type: doc.content_type,
                size_bytes: doc.size_bytes,
                uploaded_at: local(doc.uploaded_at),
            }))
        }
        Err(AppError::Conflict { .. }) if html => {
            page_for(&state, row, &q, StatusCode::CONFLICT, None, false).await
        }
        Err(e) if html => Ok(pages::error_page(
            &e,
            row.language,
            &state.settings.processor_name,
            Some(&row.reference),
        )),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut body = b"preamble\r\n".to_vec();
        for (name, filename, content) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let file = filename
                .map(|f| format!("; filename=\"{f}\""))
                .unwrap_or_default();
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        body
    }

    async fn file_of(boundary: &str, body: Vec<u8>) -> Result<Vec<u8>, BodyProblem> {
        let mut headers = header::HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
                .unwrap(),
        );
        let body = web::Bytes::from(body);
        multipart_file(
            &headers,
            futures_util::stream::once(async move { Ok(body) }),
        )
        .await
    }

    #[actix_web::test]
    async fn multipart_finds_the_document_part() {
        let b = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
        let pdf: &[u8] = b"%PDF-1.7\r\n--not-the-boundary\r\n\r\nbinary\x00\xff";
        let body = form(
            b,
            &[
                ("upload", Some("other.png"), b"\x89PNG"),
                ("note", None, b"hi"),
                ("document", Some("id.pdf"), pdf),
            ],
        );
        assert_eq!(file_of(b, body).await.unwrap(), pdf);
        let body = form(b, &[("upload", Some("x.png"), b"\x89PNG")]);
        assert_eq!(file_of(b, body).await.unwrap(), b"\x89PNG");
        let body = form(b, &[("note", None, b"hi")]);
        assert_eq!(file_of(b, body).await, Err(BodyProblem::Empty));
        assert!(matches!(
            file_of(b, b"garbage".to_vec()).await,
            Err(BodyProblem::Malformed(_))
        ));
        let cut = form(b, &[("document", Some("a.pdf"), pdf)])[..80].to_vec();
        assert!(matches!(
            file_of(b, cut).await,
            Err(BodyProblem::Malformed(_))
        ));
        let big = vec![b'%'; MAX_BYTES + 1];
        let body = form(b, &[("document", Some("big.pdf"), &big)]);
        assert_eq!(file_of(b, body).await, Err(BodyProblem::TooLarge));
    }

    #[test]
    fn types_are_told_by_content() {
        assert_eq!(sniff(b"%PDF-1.4\n..."), Some("application/pdf"));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(sniff(b"GIF89a......"), None);
        assert_eq!(sniff(b"PK\x03\x04 a zip"), None);
        assert_eq!(sniff(b"just text that claims to be a pdf"), None);
    }
}
