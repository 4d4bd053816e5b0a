//! `GET /console/requests/{reference}`: one request (an audited read, like the API's
//! detail), its deadline, history and identities, a form per action allowed now, and the
//! bundle; `POST …/{action}` performs an action through the same service as the API.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};

use super::now;
use super::text::{T, channel_label, event_label, status_label};
use super::{Console, Page, request_path, see_other};
use crate::auth::Principal;
use crate::domain::deadline::amsterdam_date;
use crate::domain::lifecycle::available_actions;
use crate::domain::{Action, Actor, Channel, Language, RefusalGround, RequestKind, Status};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::reference_path;
use crate::http::pages::{date, kind_label};
use crate::http::requests::parse_action;
use crate::mail::labels::{date_time, ground_label};
use crate::service::actions::act as perform;
use crate::service::bundles::{BundleState, bundle_state, request_bundle};
use crate::service::console::tenant_choices;
use crate::service::queries::{RequestDetail, detail};
use crate::state::AppState;

pub struct HistoryLine {
    pub at: String,
    pub who: String,
    pub what: String,
    pub note: Option<String>,
}

pub struct Option2 {
    pub value: String,
    pub label: String,
}

pub struct BundleBox {
    /// `none`, `queued`, `running`, `ready`, `failed`, `expired`, `grant`, `no_tenant`.
    pub state: &'static str,
    pub tables_done: i32,
    pub tables_total: i32,
    pub rows: i64,
    pub download_url: Option<String>,
    pub link_until: Option<String>,
    pub kept_until: Option<String>,
    pub error: Option<String>,
    pub may_compile: bool,
}

impl BundleBox {
    pub fn running(&self) -> bool {
        self.state == "queued" || self.state == "running"
    }
}

pub struct RequestPage {
    pub reference: String,
    pub kind: String,
    pub status: &'static str,
    pub tenant: Option<String>,
    pub channel: &'static str,
    pub language: &'static str,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub details: Option<String>,
    pub received: String,
    pub legal: String,
    pub promised: String,
    pub extended: Option<String>,
    pub extension_reason: Option<String>,
    pub paused_days: i32,
    pub why_paused: Option<&'static str>,
    pub target: String,
    pub overdue: bool,
    pub closed: bool,
    pub days_left: i64,
    pub identity: String,
    pub identifiers: Vec<(String, String)>,
    pub outcome: Option<String>,
    pub refusal: Option<(String, String)>,
    pub history: Vec<HistoryLine>,
    pub actions: Vec<&'static str>,
    pub tenants: Vec<Option2>,
    pub grounds: Vec<Option2>,
    pub bundle: BundleBox,
    /// Carrying out rectification, erasure, restriction (`console::execution`).
    pub execution: super::execution::ExecBox,
    /// The action whose form was posted with errors, its errors and values.
    pub failed_action: String,
    pub errors: FieldErrors,
    pub values: HashMap<String, String>,
    /// A message after a successful post.
    pub done: Option<&'static str>,
    pub base: String,
    pub lang: Language,
}

impl RequestPage {
    pub fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }

    /// The error of `field` in the form of `action`, if that form failed.
    pub fn err(&self, action: &str, field: &str) -> Option<&String> {
        (self.failed_action == action)
            .then(|| self.errors.get(field))
            .flatten()
    }

    /// What was typed into `field` of the failed form of `action`.
    pub fn val(&self, action: &str, field: &str) -> &str {
        if self.failed_action == action {
            self.values.get(field).map_or("", String::as_str)
        } else {
            ""
        }
    }

    /// An error not tied to one field of `action`'s form (e.g. not allowed now).
    pub fn general_err(&self, action: &str) -> Option<&String> {
        self.err(action, "_")
    }

    /// A field's name for the error summary.
    pub fn label(&self, field: &str) -> String {
        super::text::field_label(field, self.lang)
    }
}

#[derive(Template)]
#[template(path = "console/request.html")]
struct RequestTemplate<'a> {
    p: &'a Page,
    v: &'a RequestPage,
}

fn parse_date_time(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn bundle_box(
    state: Result<BundleState, AppError>,
    has_tenant: bool,
    language: Language,
    kind: RequestKind,
) -> BundleBox {
    let mut b = BundleBox {
        state: "none",
        tables_done: 0,
        tables_total: 0,
        rows: 0,
        download_url: None,
        link_until: None,
        kept_until: None,
        error: None,
        may_compile: matches!(kind, RequestKind::Access | RequestKind::Portability),
    };
    match state {
        Ok(s) => {
            b.state = match s.bundle.status.as_str() {
                "queued" => "queued",
                "running" => "running",
                "ready" => "ready",
                "failed" => "failed",
                _ => "expired",
            };
            b.tables_done = s.bundle.tables_done;
            b.tables_total = s.bundle.tables_total;
            b.rows = s.bundle.row_count;
            b.error = s.bundle.error.clone();
            b.kept_until = s
                .bundle
                .expires_at
                .map(|t| date_time(t.and_utc(), language));
            if let Some((url, until)) = s.download {
                b.download_url = Some(url);
                b.link_until = Some(date_time(until, language));
            }
        }
        Err(AppError::Forbidden(_)) => {
            b.state = "grant";
            b.may_compile = false;
        }
        Err(AppError::Conflict { .. }) if !has_tenant => {
            b.state = "no_tenant";
            b.may_compile = false;
        }
        Err(_) => {}
    }
    b
}

fn grounds(kind: RequestKind, language: Language) -> Vec<Option2> {
    RefusalGround::ALL
        .iter()
        // Each ground answers only the kinds it belongs to (art. 17(3) only erasure, …).
        .filter(|g| g.answers(kind))
        .map(|g| Option2 {
            value: g.as_str().to_owned(),
            label: ground_label(*g, kind, language),
        })
        .collect()
}

fn view(
    state: &AppState,
    d: &RequestDetail,
    bundle: Result<BundleState, AppError>,
    execution: super::execution::ExecBox,
    tenants: Vec<(String, String)>,
    who: &Principal,
    language: Language,
) -> RequestPage {
    let r = &d.request;
    let at = now();
    let today = amsterdam_date(Utc::now());
    let t = T(language);
    let kind = r.kind;
    let status = r.status;
    let deadline = r.deadline().ok();
    let target = deadline.as_ref().map_or(r.promised_due, |d| d.target());
    let actions = r
        .facts()
        .map(|f| available_actions(&f, Actor::Staff(who.role), &state.calendar, today))
        .unwrap_or_default()
        .into_iter()
        .map(Action::as_str)
        .collect();
    let check: Option<serde_json::Value> = r
        .identity_check
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let identity = if r.identity_pending {
        t.t("identity_pending").to_owned()
    } else if let Some(c) = check {
        let field = |k: &str| {
            c.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let when = parse_date_time(&field("at"))
            .map(|w| date_time(w, language))
            .unwrap_or_default();
        format!(
            "{}: {} · {} · {}",
            t.t("identity_checked"),
            when,
            field("by"),
            field("method")
        )
    } else {
        t.t("identity_none").to_owned()
    };
    let why_paused = r.paused_since.map(|_| {
        if status == Status::AwaitingVerification {
            t.t("paused_verification")
        } else {
            t.t("paused_identity")
        }
    });
    RequestPage {
        reference: r.reference.clone(),
        kind: kind_label(kind, language),
        status: status_label(status, language),
        tenant: d
            .tenant
            .as_ref()
            .map(|t| format!("{} ({})", t.name, t.slug)),
        channel: r
            .channel
            .parse::<Channel>()
            .map(|c| channel_label(c, language))
            .unwrap_or("?"),
        language: match r.language.as_str() {
            "en" => "English",
            _ => "Nederlands",
        },
        name: r.subject_name.clone(),
        email: r.subject_email.clone(),
        phone: r.subject_phone.clone(),
        details: r.details.clone(),
        received: date_time(r.received_at.and_utc(), language),
        legal: date(r.legal_due, language),
        promised: date(r.promised_due, language),
        extended: r.extended_due.map(|d| date(d, language)),
        extension_reason: r.extension_reason.clone(),
        paused_days: r.paused_days,
        why_paused,
        target: date(target, language),
        overdue: r.is_overdue(at),
        closed: r.closed_at.is_some(),
        days_left: state.calendar.working_days_between(today, target),
        identity,
        identifiers: d
            .identities
            .iter()
            .map(|i| (i.kind.clone(), i.value.clone()))
            .collect(),
        outcome: r.outcome.clone(),
        refusal: r.refusal_ground.as_ref().map(|g| {
            let label = g
                .parse::<RefusalGround>()
                .map(|g| ground_label(g, kind, language))
                .unwrap_or_else(|_| g.clone());
            (label, r.refusal_reason.clone().unwrap_or_default())
        }),
        history: d
            .events
            .iter()
            .map(|e| HistoryLine {
                at: date_time(e.at.and_utc(), language),
                who: match e.actor_kind.as_str() {
                    "subject" => match language {
                        Language::Nl => "betrokkene".to_owned(),
                        Language::En => "subject".to_owned(),
                    },
                    "system" => "inzage".to_owned(),
                    _ => e.actor_label.clone(),
                },
                what: event_label(e.kind.as_str(), language),
                note: e.note.clone(),
            })
            .collect(),
        actions,
        tenants: tenants
            .into_iter()
            .map(|(slug, name)| Option2 {
                label: format!("{name} ({slug})"),
                value: slug,
            })
            .collect(),
        grounds: grounds(kind, language),
        bundle: {
            let mut b = bundle_box(bundle, r.tenant_id.is_some(), language, kind);
            // The console's own download (it takes the session, not an API token), from this
            // same host, so the page works whatever the public URL says.
            b.download_url = b.download_url.map(|u| {
                let local = u
                    .strip_prefix(state.settings.public_url.as_str())
                    .map(str::to_owned)
                    .unwrap_or(u);
                local.replacen("/api/v1/bundles/download", "/console/bundles/download", 1)
            });
            b
        },
        execution,
        failed_action: String::new(),
        errors: FieldErrors::new(),
        values: HashMap::new(),
        done: None,
        base: request_path(&r.reference),
        lang: language,
    }
}

/// Loads and renders the page; `failed` carries a posted form's errors.
async fn show(
    state: &web::Data<AppState>,
    c: &Console,
    principal: Principal,
    reference: String,
    failed: Option<(String, FieldErrors, HashMap<String, String>)>,
    done: Option<&'static str>,
) -> HttpResponse {
    let st = state.clone();
    let who = principal.clone();
    let language = c.language;
    let loaded = state
        .db
        .run(move |conn| {
            let d = detail(conn, &who, &reference)?;
            let bundle = bundle_state(conn, &st, &who, &reference, Utc::now());
            // Plan contents only where the principal may see them (an audited view).
            let plan =
                crate::service::execution::current_plan(conn, &who, &reference).unwrap_or_default();
            let execution = super::execution::exec_box(
                plan,
                &who,
                d.request.kind,
                d.request.closed_at.is_some(),
                language,
            );
            let tenants = tenant_choices(conn, &who)?;
            Ok::<_, AppError>((d, bundle, execution, tenants))
        })
        .await;
    let (d, bundle, execution, tenants) = match loaded {
        Ok(x) => x,
        Err(e) => return c.error(&e),
    };
    let mut v = view(
        state, &d, bundle, execution, tenants, &principal, c.language,
    );
    // "Being compiled" only while it is.
    v.done = done.filter(|d| *d != "done_bundle" || v.bundle.running());
    let status = match failed {
        Some((action, errors, values)) => {
            v.failed_action = action;
            v.errors = super::text::localise_errors(errors, c.language);
            v.values = values;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
    let title = format!("{} {}", T(c.language).t("request"), v.reference);
    let p = c.page(&title, "request");
    c.render(status, RequestTemplate { p: &p, v: &v }.render())
}

/// `GET /console/requests/{reference}`.
pub async fn page(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let reference = match reference_path(&path) {
        Ok(r) => r,
        Err(e) => return c.error(&e),
    };
    let done = match q.get("done").map(String::as_str) {
        Some("bundle") => Some("done_bundle"),
        Some(_) => Some("done_action"),
        None => None,
    };
    show(&state, &c, principal, reference, None, done).await
}

/// The form's fields as the API's action body (months as a number).
fn body_of(form: &HashMap<String, String>) -> crate::http::requests::ActionBody {
    let mut body = serde_json::Map::new();
    for (k, v) in form {
        if k == "csrf" {
            continue;
        }
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let value = match (k.as_str(), v.parse::<i64>()) {
            ("months", Ok(n)) => serde_json::Value::from(n),
            // A checkbox: present means yes.
            ("id_copy" | "release_bundle", _) => {
                serde_json::Value::from(matches!(v, "on" | "true" | "1"))
            }
            _ => serde_json::Value::from(v),
        };
        body.insert(k.clone(), value);
    }
    // Every field of the body takes any JSON value, so an object always fits.
    serde_json::from_value(serde_json::Value::Object(body)).unwrap_or_default()
}

/// `GET /console/bundles/download?token=`: the bundle, for the signed-in user the signed link
/// was issued to (the same checks and audit entry as the API's download).
pub async fn download(
    state: web::Data<AppState>,
    c: Console,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let principal = match c.require() {
        Ok((p, _)) => p,
        Err(r) => return r,
    };
    match crate::http::bundles::serve_download(&state, principal, &q).await {
        Ok(r) => r,
        Err(e) => c.error(&e),
    }
}

/// `POST /console/requests/{reference}/{action}`.
pub async fn act(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<(String, String)>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let principal = match c.require_form(&form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (reference, action_name) = path.into_inner();
    let (Ok(reference), Some(action)) = (
        reference_path(&reference),
        Action::parse_staff(&action_name),
    ) else {
        return c.error(&AppError::NotFound);
    };
    let values: HashMap<String, String> = form
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let failed = |errors: FieldErrors| Some((action.as_str().to_owned(), errors, values.clone()));
    let request = match parse_action(action, &body_of(&form)) {
        Ok(r) => r,
        Err(AppError::Validation(errors)) => {
            return show(&state, &c, principal, reference, failed(errors), None).await;
        }
        Err(e) => return c.error(&e),
    };
    let (st, who, r) = (state.clone(), principal.clone(), reference.clone());
    let result = state
        .db
        .run(move |conn| perform(conn, &st, &who, &r, request, Utc::now()))
        .await;
    match result {
        Ok(row) => {
            tracing::info!(reference = %row.reference, action = %action, status = %row.status, "console action performed");
            see_other(&format!(
                "{}?done={}",
                request_path(&reference),
                action.as_str()
            ))
        }
        Err(AppError::Validation(errors)) => {
            show(&state, &c, principal, reference, failed(errors), None).await
        }
        Err(e @ (AppError::InvalidTransition(_) | AppError::Conflict { .. })) => {
            let mut errors = FieldErrors::new();
            errors.insert("_".to_owned(), e.to_string());
            show(&state, &c, principal, reference, failed(errors), None).await
        }
        Err(e) => c.error(&e),
    }
}

/// `POST /console/requests/{reference}/bundle`: compile (or compile again after a failure).
pub async fn compile(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let principal = match c.require_form(&form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(reference) = reference_path(&path) else {
        return c.error(&AppError::NotFound);
    };
    let (who, r) = (principal.clone(), reference.clone());
    let result = state
        .db
        .run(move |conn| request_bundle(conn, &who, &r))
        .await;
    match result {
        Ok(_) => see_other(&format!("{}?done=bundle#bundle", request_path(&reference))),
        Err(e @ AppError::Conflict { .. }) => {
            let mut errors = FieldErrors::new();
            errors.insert("_".to_owned(), e.to_string());
            let failed = Some(("bundle".to_owned(), errors, HashMap::new()));
            show(&state, &c, principal, reference, failed, None).await
        }
        Err(e) => c.error(&e),
    }
}

#[derive(serde::Serialize)]
struct Progress {
    status: String,
    tables_done: i32,
    tables_total: i32,
    rows: i64,
}

/// `GET /console/requests/{reference}/bundle/progress`: the bundle's state as JSON, for the
/// progress script (the page itself shows the same without it).
pub async fn progress(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
) -> HttpResponse {
    let Some((principal, _)) = c.user.clone() else {
        return super::secure(HttpResponse::Unauthorized().finish());
    };
    let Ok(reference) = reference_path(&path) else {
        return super::secure(HttpResponse::NotFound().finish());
    };
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| bundle_state(conn, &st, &principal, &reference, Utc::now()))
        .await;
    match result {
        Ok(s) => super::secure(HttpResponse::Ok().json(Progress {
            status: s.bundle.status,
            tables_done: s.bundle.tables_done,
            tables_total: s.bundle.tables_total,
            rows: s.bundle.row_count,
        })),
        Err(e) => {
            use actix_web::ResponseError;
            super::secure(HttpResponse::build(e.status_code()).finish())
        }
    }
}
