//! Execution certificates (processing agreement 10.3; GDPR art. 5(2)) and the public keys
//! that verify them (`service::signing`).
//!
//! - `GET /api/v1/requests/{reference}/certificate`: the request's latest certificate, a
//!   compact JWS (`application/jose`).
//! - `GET /api/v1/requests/{reference}/certificate.html`: the same for people (a privacy
//!   officer), Dutch or English (`?lang=en|nl`, else `Accept-Language`), with how to verify it.
//! - `GET /.well-known/jwks.json`: the installation's public keys, current and retired.
//!
//! The certificate routes are for staff who may see the request; support only while the
//! tenant's access grant runs; each read is an audit entry (`certificate_viewed`).

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::extract::{Staff, reference_path};
use super::pages::{self, PageCommon};
use crate::domain::Language;
use crate::domain::certificate::{Certificate, TableAction};
use crate::error::{AppError, AppResult};
use crate::mail::labels;
use crate::service::jws::Jwks;
use crate::service::signing::{self, CertificateFormat, CertificateView};
use crate::state::AppState;

/// The certificate as a compact JWS.
#[utoipa::path(
    get, path = "/api/v1/requests/{reference}/certificate", tag = "certificates",
    params(("reference" = String, Path, example = "DSR-2026-000042")),
    responses(
        (status = 200, content_type = "application/jose", body = String,
         description = "the request's latest execution certificate: a compact JWS (`alg` EdDSA, `kid` names the key in `/.well-known/jwks.json`); the read is audited"),
        (status = 401, body = crate::error::ErrorBody, description = "no staff token, or not a valid one"),
        (status = 403, body = crate::error::ErrorBody, description = "support without a running access grant (`grant_required`)"),
        (status = 404, body = crate::error::ErrorBody, description = "no such request, another tenant's, or no certificate yet (`not_found`)"),
        (status = 503, body = crate::error::ErrorBody, description = "the store is temporarily unavailable"),
    ),
    security(("bearer" = []))
)]
pub async fn jws(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let reference = reference_path(&path)?;
    let view = state
        .db
        .run(move |conn| {
            signing::certificate_for_staff(conn, &principal, &reference, CertificateFormat::Jws)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jose")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}-certificate.jws\"", view.reference),
        ))
        .body(view.jws))
}

/// The certificate for people.
#[utoipa::path(
    get, path = "/api/v1/requests/{reference}/certificate.html", tag = "certificates",
    params(
        ("reference" = String, Path, example = "DSR-2026-000042"),
        ("lang" = Option<String>, Query, description = "`nl` or `en`; without it, `Accept-Language` (Dutch when neither is named)"),
    ),
    responses(
        (status = 200, content_type = "text/html",
         description = "the latest certificate, readable (Dutch or English): request, tenant, kind, approver, executor, per system and table what was done, recipients, the key and how to verify; the read is audited"),
        (status = 400, body = crate::error::ErrorBody, description = "a query that cannot be read"),
        (status = 401, body = crate::error::ErrorBody, description = "no staff token, or not a valid one"),
        (status = 403, body = crate::error::ErrorBody, description = "support without a running access grant (`grant_required`)"),
        (status = 404, body = crate::error::ErrorBody, description = "no such request, another tenant's, or no certificate yet (`not_found`)"),
        (status = 503, body = crate::error::ErrorBody, description = "the store is temporarily unavailable"),
    ),
    security(("bearer" = []))
)]
pub async fn html(
    req: HttpRequest,
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let language = match q.get("lang").map(String::as_str) {
        Some("en") => Language::En,
        Some("nl") => Language::Nl,
        _ => pages::browser_language(&req),
    };
    let reference = reference_path(&path)?;
    let view = state
        .db
        .run(move |conn| {
            signing::certificate_for_staff(conn, &principal, &reference, CertificateFormat::Html)
        })
        .await?;
    let page = CertificatePage::new(&view, language, &state.settings.public_url);
    let title = match language {
        Language::Nl => format!("Verklaring van uitvoering {}", view.reference),
        Language::En => format!("Certificate of execution {}", view.reference),
    };
    let p = PageCommon::new(
        language,
        &title,
        &state.settings.processor_name,
        Some(&view.reference),
    );
    let rendered = match language {
        Language::Nl => Nl { p: &p, v: &page }.render(),
        Language::En => En { p: &p, v: &page }.render(),
    };
    match rendered {
        Ok(body) => Ok(pages::html(StatusCode::OK, body)),
        Err(e) => Err(AppError::Internal(format!(
            "rendering the certificate page: {e}"
        ))),
    }
}

/// The installation's public keys.
#[utoipa::path(
    get, path = "/.well-known/jwks.json", tag = "certificates",
    responses(
        (status = 200, body = Jwks, content_type = "application/json",
         description = "the Ed25519 public keys (RFC 7517, 8037; `kid` the RFC 7638 thumbprint), current and retired: every certificate ever issued verifies with one of them"),
        (status = 503, body = crate::error::ErrorBody, description = "the store is temporarily unavailable"),
    )
)]
pub async fn jwks(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let st = state.clone();
    let set = state
        .db
        .run(move |conn| signing::jwks(conn, st.settings.secret_bytes()))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(set))
}

#[derive(Template)]
#[template(path = "certificate/nl.html")]
struct Nl<'a> {
    p: &'a PageCommon,
    v: &'a CertificatePage,
}

#[derive(Template)]
#[template(path = "certificate/en.html")]
struct En<'a> {
    p: &'a PageCommon,
    v: &'a CertificatePage,
}

/// The certificate, ready to show.
pub struct CertificatePage {
    pub reference: String,
    pub tenant: String,
    /// The payload as verified; `None` (with `problem`) when the stored JWS does not verify.
    pub body: Option<CertificateBody>,
    pub problem: Option<String>,
    pub kid: String,
    pub jws: String,
    pub jws_url: String,
    pub jwks_url: String,
}

pub struct CertificateBody {
    pub kind: String,
    pub plan: String,
    pub approver: String,
    pub executor: String,
    pub issued_at: String,
    pub issuer: String,
    pub systems: Vec<SystemLines>,
    pub recipients: Vec<RecipientLine>,
}

pub struct SystemLines {
    pub name: String,
    pub tables: Vec<TableLine>,
}

pub struct TableLine {
    pub name: String,
    pub action: &'static str,
    pub rows: u64,
    pub columns: String,
    pub reason: String,
    pub at: String,
}

pub struct RecipientLine {
    pub name: String,
    pub notified: bool,
}

/// What was done to a table, in plain words.
pub fn action_label(action: TableAction, language: Language) -> &'static str {
    match (action, language) {
        (TableAction::Delete, Language::Nl) => "verwijderd",
        (TableAction::Delete, Language::En) => "deleted",
        (TableAction::Mask, Language::Nl) => {
            "gemaskeerd: de rijen blijven, de persoonsgegevens in de kolommen zijn gewist of onleesbaar gemaakt"
        }
        (TableAction::Mask, Language::En) => {
            "masked: the rows stay, the personal data in the columns was removed or made unreadable"
        }
        (TableAction::Keep, Language::Nl) => "bewaard (niet verwijderd), om de genoemde reden",
        (TableAction::Keep, Language::En) => "kept (not erased), for the reason given",
        (TableAction::Update, Language::Nl) => "gecorrigeerd",
        (TableAction::Update, Language::En) => "corrected",
        (TableAction::Restrict, Language::Nl) => "verwerking beperkt (gemarkeerd)",
        (TableAction::Restrict, Language::En) => "processing restricted (marked)",
        (TableAction::Lift, Language::Nl) => "beperking opgeheven",
        (TableAction::Lift, Language::En) => "restriction lifted",
    }
}

impl CertificateBody {
    fn new(c: &Certificate, language: Language) -> Self {
        Self {
            kind: labels::kind_label(c.kind, language),
            plan: c.plan.clone(),
            approver: c.approver.email.clone(),
            executor: c.executor.clone(),
            issued_at: labels::date_time(c.issued_at, language),
            issuer: c.iss.clone(),
            systems: c
                .systems
                .iter()
                .map(|s| SystemLines {
                    name: s.name.clone(),
                    tables: s
                        .tables
                        .iter()
                        .map(|t| TableLine {
                            name: t.name.clone(),
                            action: action_label(t.action, language),
                            rows: t.rows,
                            columns: t.columns.join(", "),
                            reason: t.reason.clone().unwrap_or_default(),
                            at: labels::date_time(t.at, language),
                        })
                        .collect(),
                })
                .collect(),
            recipients: c
                .recipients
                .iter()
                .map(|r| RecipientLine {
                    name: r.name.clone(),
                    notified: r.notified,
                })
                .collect(),
        }
    }
}

impl CertificatePage {
    pub fn new(view: &CertificateView, language: Language, public_url: &str) -> Self {
        let base = public_url.trim_end_matches('/');
        let tenant = if view.tenant_name.is_empty() {
            view.tenant_slug.clone()
        } else {
            format!("{} ({})", view.tenant_name, view.tenant_slug)
        };
        Self {
            reference: view.reference.clone(),
            tenant,
            body: view
                .certificate
                .as_ref()
                .map(|c| CertificateBody::new(c, language)),
            problem: view.problem.clone(),
            kid: view.kid.clone(),
            jws: view.jws.clone(),
            jws_url: format!("{base}/api/v1/requests/{}/certificate", view.reference),
            jwks_url: format!("{base}/.well-known/jwks.json"),
        }
    }
}
