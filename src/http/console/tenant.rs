//! A tenant's pages: `/console/tenants/{slug}/grants` (its controller or an admin gives support
//! access for 1-24 hours with a reason, and revokes it; support sees the grants given to it)
//! and `/console/tenants/{slug}/audit` (who touched the tenant's data: its controller and
//! admin only; filters, pages, CSV). Both call the same services as the API, so a grant given
//! here is audited and mailed exactly as one given there. Another tenant's controller gets
//! the not-found page, as for a tenant that does not exist.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};

use super::text::{T, audit_action, role_label};
use super::{Console, Page, see_other};
use crate::auth::Principal;
use crate::domain::{Language, Role};
use crate::error::{AppError, FieldErrors};
use crate::mail::labels::date_time;
use crate::service::audit::{AuditFilter, managed_tenant, trail, trail_actors};
use crate::service::console::tenant_choices;
use crate::service::grants::{self, GrantInput, GrantView};
use crate::service::queries::references;
use crate::state::AppState;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One grant as listed.
pub struct GrantLine {
    pub id: String,
    pub tenant: String,
    pub grantee: String,
    pub granted_by: String,
    pub reason: String,
    pub created: String,
    pub ends: String,
    /// `revoked` or `expired` once it ended.
    pub ended: Option<&'static str>,
    pub first_used: Option<String>,
}

pub struct GrantsView {
    pub slug: String,
    pub tenant_name: String,
    /// The controller or an admin: may give and revoke.
    pub manage: bool,
    pub grantees: Vec<Choice>,
    pub hours: Vec<Choice>,
    pub values: HashMap<String, String>,
    pub errors: FieldErrors,
    pub running: Vec<GrantLine>,
    pub past: Vec<GrantLine>,
    pub done: Option<&'static str>,
    pub lang: Language,
}

impl GrantsView {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    pub fn val(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    pub fn label(&self, field: &str) -> String {
        super::text::field_label(field, self.lang)
    }
}

#[derive(Template)]
#[template(path = "console/grants.html")]
struct GrantsTemplate<'a> {
    p: &'a Page,
    v: &'a GrantsView,
}

fn line(tenant: &str, g: &GrantView, at: NaiveDateTime, language: Language) -> GrantLine {
    let row = &g.grant;
    GrantLine {
        id: row.id.clone(),
        tenant: tenant.to_owned(),
        grantee: g.grantee.clone(),
        granted_by: g.granted_by.clone(),
        reason: row.reason.clone(),
        created: date_time(row.created_at.and_utc(), language),
        ends: date_time(row.revoked_at.unwrap_or(row.expires_at).and_utc(), language),
        ended: if row.revoked_at.is_some() {
            Some("revoked")
        } else if !row.runs_at(at) {
            Some("expired")
        } else {
            None
        },
        first_used: row.first_used_at.map(|t| date_time(t.and_utc(), language)),
    }
}

/// What a grants page shows: the tenant and its grants (for support: its own).
struct Loaded {
    slug: String,
    name: String,
    manage: bool,
    grantees: Vec<String>,
    grants: Vec<(String, GrantView)>,
}

async fn load_grants(
    state: &web::Data<AppState>,
    who: &Principal,
    slug: Option<String>,
) -> Result<Loaded, AppError> {
    let who = who.clone();
    state
        .db
        .run(move |conn| {
            if who.role == Role::Support {
                let name = match &slug {
                    Some(s) => tenant_choices(conn, &who)?
                        .into_iter()
                        .find(|(t, _)| t == s)
                        .map(|(_, n)| n)
                        .ok_or(AppError::NotFound)?,
                    None => String::new(),
                };
                let grants = grants::given_to_me(conn, &who, slug.as_deref())?;
                return Ok(Loaded {
                    slug: slug.unwrap_or_default(),
                    name,
                    manage: false,
                    grantees: Vec::new(),
                    grants,
                });
            }
            let slug = slug.ok_or(AppError::NotFound)?;
            let tenant = managed_tenant(conn, &who, &slug)?;
            let grantees = grants::grantees(conn, &who, &slug)?;
            let grants = grants::list(conn, &who, &slug)?
                .into_iter()
                .map(|g| (slug.clone(), g))
                .collect();
            Ok(Loaded {
                slug,
                name: tenant.name,
                manage: true,
                grantees,
                grants,
            })
        })
        .await
}

// A page with its form's state: every argument is one part of what it shows.
#[allow(clippy::too_many_arguments)]
async fn render_grants(
    state: &web::Data<AppState>,
    c: &Console,
    who: &Principal,
    slug: Option<String>,
    status: StatusCode,
    values: HashMap<String, String>,
    errors: FieldErrors,
    done: Option<&'static str>,
) -> HttpResponse {
    let loaded = match load_grants(state, who, slug).await {
        Ok(l) => l,
        Err(e) => return c.error(&e),
    };
    let language = c.language;
    let t = T(language);
    let at = super::now();
    let (running, past): (Vec<GrantLine>, Vec<GrantLine>) = loaded
        .grants
        .iter()
        .map(|(slug, g)| line(slug, g, at, language))
        .partition(|l| l.ended.is_none());
    let chosen = values.get("grantee").cloned().unwrap_or_default();
    let hours = values
        .get("hours")
        .cloned()
        .unwrap_or_else(|| "4".to_owned());
    let v = GrantsView {
        slug: loaded.slug,
        tenant_name: loaded.name,
        manage: loaded.manage,
        grantees: loaded
            .grantees
            .into_iter()
            .map(|e| Choice {
                selected: e == chosen,
                label: e.clone(),
                value: e,
            })
            .collect(),
        hours: (1..=grants::MAX_HOURS)
            .map(|h| Choice {
                value: h.to_string(),
                label: format!(
                    "{h} {}",
                    if h == 1 {
                        t.t("hour")
                    } else {
                        t.t("hours_unit")
                    }
                ),
                selected: hours == h.to_string(),
            })
            .collect(),
        values,
        errors: super::text::localise_errors(errors, language),
        running,
        past,
        done,
        lang: language,
    };
    let title = if v.manage || !v.slug.is_empty() {
        t.t("grants")
    } else {
        t.t("my_grants")
    };
    let p = c.page(title, "grants");
    c.render(status, GrantsTemplate { p: &p, v: &v }.render())
}

fn done_key(q: &HashMap<String, String>) -> Option<&'static str> {
    match q.get("done").map(String::as_str) {
        Some("given") => Some("done_granted"),
        Some("revoked") => Some("done_revoked"),
        _ => None,
    }
}

/// `GET /console/grants`: support's own grants over every tenant; a controller goes to its
/// tenant's page, an admin to the tenants.
pub async fn mine(state: web::Data<AppState>, c: Console) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    match principal.role {
        Role::Support => {
            render_grants(
                &state,
                &c,
                &principal,
                None,
                StatusCode::OK,
                HashMap::new(),
                FieldErrors::new(),
                None,
            )
            .await
        }
        Role::Controller => match &principal.tenant_slug {
            Some(s) => see_other(&format!("/console/tenants/{}/grants", super::encode(s))),
            None => c.error(&AppError::NotFound),
        },
        Role::Admin => see_other("/console/admin"),
    }
}

/// `GET /console/tenants/{slug}/grants`.
pub async fn grants_page(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    render_grants(
        &state,
        &c,
        &principal,
        Some(path.into_inner()),
        StatusCode::OK,
        HashMap::new(),
        FieldErrors::new(),
        done_key(&q),
    )
    .await
}

/// `POST /console/tenants/{slug}/grants`: gives a grant (`grantee`, `hours`, `reason`).
pub async fn give(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let principal = match c.require_form(&form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let slug = path.into_inner();
    let values: HashMap<String, String> = ["grantee", "hours", "reason"]
        .iter()
        .filter_map(|k| form.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let text = |k: &str| {
        values
            .get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut errors = FieldErrors::new();
    let hours = match text("hours") {
        None => None,
        Some(h) => match h.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.insert(
                    "hours".into(),
                    format!("must be 1 to {}", grants::MAX_HOURS),
                );
                None
            }
        },
    };
    let input = GrantInput {
        grantee: text("grantee"),
        hours,
        reason: text("reason"),
    };
    let who = principal.clone();
    let s = slug.clone();
    let result = if errors.is_empty() {
        state
            .db
            .run(move |conn| grants::give(conn, &who, &s, input))
            .await
            .map(|_| ())
    } else {
        Err(AppError::Validation(errors))
    };
    match result {
        Ok(()) => {
            tracing::info!(tenant = %slug, "access grant given in the console");
            see_other(&format!(
                "/console/tenants/{}/grants?done=given",
                super::encode(&slug)
            ))
        }
        Err(AppError::Validation(errors)) => {
            render_grants(
                &state,
                &c,
                &principal,
                Some(slug),
                StatusCode::UNPROCESSABLE_ENTITY,
                values,
                errors,
                None,
            )
            .await
        }
        Err(e) => c.error(&e),
    }
}

/// `POST /console/tenants/{slug}/grants/{id}/revoke`.
pub async fn revoke(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<(String, String)>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let principal = match c.require_form(&form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (slug, id) = path.into_inner();
    let s = slug.clone();
    match state
        .db
        .run(move |conn| grants::revoke(conn, &principal, &s, &id))
        .await
    {
        Ok(()) => {
            tracing::info!(tenant = %slug, "access grant revoked in the console");
            see_other(&format!(
                "/console/tenants/{}/grants?done=revoked",
                super::encode(&slug)
            ))
        }
        Err(e) => c.error(&e),
    }
}

// --- The audit trail -------------------------------------------------------------------

const AUDIT_PER_PAGE: i64 = 50;
/// The most entries one CSV download holds (narrow the period for more).
const CSV_MAX: i64 = 50_000;

pub struct AuditLine {
    pub seq: String,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub request: Option<String>,
    pub grant: bool,
    pub ip: String,
    /// What the entry's detail says, where it is worth reading (a grant's grantee, hours and
    /// reason).
    pub detail: Option<String>,
}

/// A readable line from an entry's detail (JSON), for the actions where it matters.
fn detail_line(action: &str, detail: Option<&str>) -> Option<String> {
    let d: serde_json::Value = serde_json::from_str(detail?).ok()?;
    let text = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    match action {
        "grant_given" => Some(format!(
            "{} · {} h · {}",
            text("grantee")?,
            d.get("hours").and_then(serde_json::Value::as_i64)?,
            text("reason").unwrap_or_default()
        )),
        "tenant_created" => text("slug"),
        _ => None,
    }
}

pub struct AuditView {
    pub slug: String,
    pub tenant_name: String,
    pub from: String,
    pub to: String,
    pub actors: Vec<Choice>,
    pub errors: FieldErrors,
    pub lines: Vec<AuditLine>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub csv_href: String,
    pub lang: Language,
}

impl AuditView {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    pub fn label(&self, field: &str) -> String {
        super::text::field_label(field, self.lang)
    }
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditTemplate<'a> {
    p: &'a Page,
    v: &'a AuditView,
}

/// The trail's filters as asked: days (from inclusive, to inclusive; UTC days, as the API),
/// an actor by user id, a page. Bad values are errors per field; the page shows everything.
struct AuditQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    actor: Option<String>,
    page: i64,
    errors: FieldErrors,
}

impl AuditQuery {
    fn parse(q: &HashMap<String, String>) -> Self {
        let mut errors = FieldErrors::new();
        let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut day = |k: &str| match get(k) {
            None => None,
            Some(v) => match v.parse::<NaiveDate>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.insert(k.to_owned(), "must be a date as YYYY-MM-DD".to_owned());
                    None
                }
            },
        };
        let from = day("from");
        let to = day("to");
        let page = get("page")
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..=1_000_000).contains(p))
            .unwrap_or(1);
        Self {
            from,
            to,
            actor: get("actor").map(str::to_owned),
            page,
            errors,
        }
    }

    fn filter(&self) -> AuditFilter {
        AuditFilter {
            from: self.from.and_then(|d| d.and_hms_opt(0, 0, 0)),
            to: self
                .to
                .and_then(|d| (d + Duration::days(1)).and_hms_opt(0, 0, 0)),
            actor: self.actor.clone(),
        }
    }

    fn params(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(f) = self.from {
            parts.push(format!("from={f}"));
        }
        if let Some(t) = self.to {
            parts.push(format!("to={t}"));
        }
        if let Some(a) = &self.actor {
            parts.push(format!("actor={}", super::encode(a)));
        }
        parts
    }

    fn href(&self, slug: &str, page: i64) -> String {
        let mut parts = self.params();
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        let base = format!("/console/tenants/{}/audit", super::encode(slug));
        if parts.is_empty() {
            base
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }
}

/// `GET /console/tenants/{slug}/audit`.
pub async fn audit_page(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let slug = path.into_inner();
    let query = AuditQuery::parse(&q);
    let filter = query.filter();
    let page = query.page;
    let s = slug.clone();
    let loaded = state
        .db
        .run(move |conn| {
            let t = trail(conn, &principal, &s, &filter, page, AUDIT_PER_PAGE)?;
            let ids: Vec<crate::domain::RequestId> = t
                .items
                .iter()
                .filter_map(|a| a.request_id.clone())
                .collect();
            let refs = references(conn, &ids)?;
            let actors = trail_actors(conn, &principal, &s)?;
            Ok::<_, AppError>((t, refs, actors))
        })
        .await;
    let (t, refs, actors) = match loaded {
        Ok(x) => x,
        Err(e) => return c.error(&e),
    };
    let language = c.language;
    let pages = ((t.total + AUDIT_PER_PAGE - 1) / AUDIT_PER_PAGE).max(1);
    let role = |r: Option<&str>| match r.and_then(|r| r.parse::<Role>().ok()) {
        Some(r) => role_label(r, language).to_owned(),
        None => r.unwrap_or("inzage").to_owned(),
    };
    let lines = t
        .items
        .iter()
        .map(|a| AuditLine {
            seq: a.seq.map(|s| s.to_string()).unwrap_or_default(),
            // Compact, to the second, in Amsterdam time: a trail is read as a list of moments.
            at: a
                .at
                .and_utc()
                .with_timezone(&chrono_tz::Europe::Amsterdam)
                .format("%d-%m-%Y %H:%M:%S")
                .to_string(),
            actor: a.actor_label.clone(),
            role: role(a.actor_role.as_deref()),
            action: audit_action(&a.action, language),
            request: a
                .request_id
                .as_ref()
                .map(|id| refs.get(id).cloned().unwrap_or_else(|| id.to_string())),
            grant: a.grant_id.is_some(),
            ip: a.ip.clone().unwrap_or_default(),
            detail: detail_line(&a.action, a.detail.as_deref()),
        })
        .collect();
    let v = AuditView {
        tenant_name: t.tenant.name.clone(),
        from: query.from.map(|d| d.to_string()).unwrap_or_default(),
        to: query.to.map(|d| d.to_string()).unwrap_or_default(),
        actors: actors
            .into_iter()
            .map(|(id, email)| Choice {
                selected: query.actor.as_deref() == Some(id.as_str()),
                value: id,
                label: email,
            })
            .collect(),
        errors: super::text::localise_errors(query.errors.clone(), language),
        lines,
        total: t.total,
        page: query.page,
        pages,
        prev_href: (query.page > 1).then(|| query.href(&slug, query.page - 1)),
        next_href: (query.page < pages).then(|| query.href(&slug, query.page + 1)),
        csv_href: format!(
            "/console/tenants/{}/audit.csv{}",
            super::encode(&slug),
            if query.params().is_empty() {
                String::new()
            } else {
                format!("?{}", query.params().join("&"))
            }
        ),
        slug,
        lang: language,
    };
    let status = if v.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = c.page(T(language).t("audit"), "audit");
    c.render(status, AuditTemplate { p: &p, v: &v }.render())
}

/// `GET /console/tenants/{slug}/audit.csv`: the filtered trail as the API's CSV.
pub async fn audit_csv(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let slug = path.into_inner();
    let query = AuditQuery::parse(&q);
    if !query.errors.is_empty() {
        return c.error(&AppError::Validation(query.errors));
    }
    let filter = query.filter();
    let loaded = state
        .db
        .run(move |conn| {
            let t = trail(conn, &principal, &slug, &filter, 1, CSV_MAX)?;
            let ids: Vec<crate::domain::RequestId> = t
                .items
                .iter()
                .filter_map(|a| a.request_id.clone())
                .collect();
            let refs = references(conn, &ids)?;
            Ok::<_, AppError>((t, refs))
        })
        .await;
    let (t, refs) = match loaded {
        Ok(x) => x,
        Err(e) => return c.error(&e),
    };
    let items = crate::http::audit::entry_views(&t, &refs);
    match crate::http::audit::to_csv(&items) {
        Ok(body) => super::secure(
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"audit-{}-{}.csv\"",
                        t.tenant.slug,
                        Utc::now().format("%Y%m%d")
                    ),
                ))
                .body(body),
        ),
        Err(e) => c.error(&e),
    }
}
