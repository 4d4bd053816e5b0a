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
use crate::domain::Language;
use crate::error::{AppError, AppResult};
use crate::mail::labels;
use crate::service::id_documents::{
    self as service, MAX_BYTES, copy_expected, held_copy, open_for_staff, sniff, store_upload,
};
use crate::state::AppState;
use crate::store::requests::RequestRow;

/// Room for the multipart framing around a file of [`MAX_BYTES`].
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
            let row = RequestRow::find(conn, &claims.sub)?.ok_or(AppError::NotFound)?;
            if row.reference != reference {
                return Err(AppError::NotFound);
            }
            Ok(row)
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
        .run(move |conn| RequestRow::find(conn, &claims.sub).map_err(AppError::from))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.language.parse().ok())
        .unwrap_or_else(|| pages::browser_language(req))
}

fn action_url(reference: &str, q: &HashMap<String, String>) -> String {
    let token = q.get("token").map(String::as_str).unwrap_or_default();
    format!("/api/v1/requests/{reference}/id_document?token={token}")
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
    let language: Language = row.language.parse().unwrap_or_default();
    let id = row.id.clone();
    let check = row.clone();
    let (expected, held) = state
        .db
        .run(move |conn| {
            let expected = copy_expected(conn, &check)?;
            Ok::<_, AppError>((expected, held_copy(conn, &id)?))
        })
        .await?;
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
    );
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
        ("token" = Option<String>, Query, description = "the subject's upload link (from the identity request mail); without it a staff token is needed"),
    ),
    responses(
        (status = 200, description = "with `token`: the upload page (text/html) with the KopieID guidance; with a staff token: the copy itself (application/pdf, image/jpeg or image/png), the view audited",
            content((String = "text/html"), (Vec<u8> = "application/pdf"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"))),
        (status = 422, description = "no token and no staff token, or a token that cannot be read (with `token`: a page)",
            content((crate::error::ErrorBody = "application/json"), (String = "text/html"))),
        (status = 401, description = "not a valid link or staff token (with `token`: a page)",
            content((crate::error::ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "not found (with `token`: a page)",
            content((crate::error::ErrorBody = "application/json"), (String = "text/html"))),
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

/// Reads the body, at most `limit` bytes (10 MiB plus multipart framing).
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, BodyProblem> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
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

/// The `boundary` of a `multipart/form-data` content type, if it is one.
fn multipart_boundary(req: &HttpRequest) -> Option<Result<String, BodyProblem>> {
    let ct = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = ct.split(';').map(str::trim);
    if !parts
        .next()
        .is_some_and(|t| t.eq_ignore_ascii_case("multipart/form-data"))
    {
        return None;
    }
    let boundary = parts
        .find_map(|p| {
            p.split_once('=')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        })
        .filter(|b| !b.is_empty() && b.len() <= 200);
    Some(boundary.ok_or_else(|| BodyProblem::Malformed("multipart without a boundary".into())))
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        match haystack[i..].iter().position(|&b| b == first) {
            None => return None,
            Some(off) => {
                i += off;
                if haystack.get(i..i + needle.len()) == Some(needle) {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

/// The file in a `multipart/form-data` body, cut out of it in place (no second copy).
fn take_multipart_file(mut body: Vec<u8>, boundary: &str) -> Result<Vec<u8>, BodyProblem> {
    let range = multipart_file(&body, boundary)?;
    body.truncate(range.end);
    body.drain(..range.start);
    Ok(body)
}

/// The file in a `multipart/form-data` body: the part named `document`, else the first part
/// with a file name (RFC 7578); where it lies in the body.
fn multipart_file(body: &[u8], boundary: &str) -> Result<std::ops::Range<usize>, BodyProblem> {
    let malformed = || BodyProblem::Malformed("the multipart body is not well formed".into());
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut pos = find(body, delimiter.as_bytes(), 0).ok_or_else(malformed)? + delimiter.len();
    let mut first_file: Option<std::ops::Range<usize>> = None;
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            break;
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err(malformed());
        }
        let head_start = pos + 2;
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or_else(malformed)?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]);
        let content_start = head_end + 4;
        let content_end =
            find(body, next_delimiter.as_bytes(), content_start).ok_or_else(malformed)?;
        let content = content_start..content_end;
        let disposition = head
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
                    .map(|(_, v)| v.to_owned())
            })
            .unwrap_or_default();
        let param = |name: &str| {
            disposition.split(';').map(str::trim).find_map(|p| {
                p.split_once('=')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().trim_matches('"').to_owned())
            })
        };
        if param("name").as_deref() == Some("document") {
            return Ok(content);
        }
        if first_file.is_none() && param("filename").is_some() {
            first_file = Some(content.clone());
        }
        pos = content_end + next_delimiter.len();
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
        ("token" = String, Query, description = "the subject's upload link (from the identity request mail)"),
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

    let boundary = multipart_boundary(&req).transpose();
    let content = match boundary {
        Err(p) => Err(p),
        Ok(boundary) => {
            let limit = MAX_BYTES + boundary.as_ref().map_or(0, |_| MULTIPART_OVERHEAD);
            match read_body(&req, payload, limit).await {
                Err(p) => Err(p),
                Ok(body) => match boundary {
                    None => Ok(body),
                    Some(b) => take_multipart_file(body, &b),
                },
            }
        }
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
            row.language.parse().unwrap_or_default(),
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

    #[test]
    fn multipart_finds_the_document_part() {
        let b = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
        let pdf = b"%PDF-1.7\r\n--not-the-boundary\r\n\r\nbinary\x00\xff";
        let body = form(
            b,
            &[("note", None, b"hi"), ("document", Some("id.pdf"), pdf)],
        );
        assert_eq!(&body[multipart_file(&body, b).unwrap()], pdf);
        assert_eq!(take_multipart_file(body, b).unwrap(), pdf);
        let body = form(b, &[("upload", Some("x.png"), b"\x89PNG")]);
        assert_eq!(&body[multipart_file(&body, b).unwrap()], b"\x89PNG");
        let body = form(b, &[("note", None, b"hi")]);
        assert_eq!(multipart_file(&body, b), Err(BodyProblem::Empty));
        assert!(matches!(
            multipart_file(b"garbage", b),
            Err(BodyProblem::Malformed(_))
        ));
        let cut = &form(b, &[("document", Some("a.pdf"), pdf)])[..40];
        assert!(matches!(
            multipart_file(cut, b),
            Err(BodyProblem::Malformed(_))
        ));
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
