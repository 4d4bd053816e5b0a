//! `/console/admin` (admin only): tenants (list, add), staff users (list, add, disable or
//! enable, a new password), the data map check per tenant and the background jobs (pending,
//! running, dead; retry a dead one). Every change goes through `service::admin` /
//! `service::console`, which write it with its audit entry in one transaction. A password
//! made here is shown once on the answer page (never in a URL, a log line or the store).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::text::{T, role_label};
use super::{Console, Page, see_other};
use crate::auth::Principal;
use crate::domain::{Language, Role, Sector, UserId};
use crate::error::{AppError, FieldErrors};
use crate::mail::labels::date_time;
use crate::service::admin::{
    DataMapCheck, StaffUser, TenantInput, UserInput, add_tenant, add_user, all_tenants, all_users,
    check_datamaps, reset_password, retry_job, watched_jobs,
};
use crate::service::console::set_user_disabled;
use crate::state::AppState;

/// The admin page's sections, each its own address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Tenants,
    Users,
    DataMaps,
    Jobs,
}

impl Section {
    pub fn key(self) -> &'static str {
        match self {
            Self::Tenants => "tenants",
            Self::Users => "users",
            Self::DataMaps => "datamaps",
            Self::Jobs => "jobs",
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            Self::Tenants => "/console/admin",
            Self::Users => "/console/admin/users",
            Self::DataMaps => "/console/admin/datamaps",
            Self::Jobs => "/console/admin/jobs",
        }
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct TenantLine {
    pub slug: String,
    pub name: String,
    pub contact: String,
    pub language: &'static str,
    pub datamap: String,
    pub created: String,
}

pub struct UserLine {
    pub id: String,
    pub email: String,
    pub role: &'static str,
    pub tenant: String,
    pub disabled: bool,
    pub created: String,
    pub me: bool,
}

pub struct JobLine {
    pub id: String,
    pub kind: String,
    pub state: &'static str,
    pub dead: bool,
    pub attempts: String,
    pub last_error: String,
    pub updated: String,
}

pub struct AdminView {
    pub section: Section,
    pub sections: Vec<(&'static str, &'static str, bool)>,
    pub tenants: Vec<TenantLine>,
    pub users: Vec<UserLine>,
    pub datamaps: Vec<DataMapCheck>,
    pub jobs: Vec<JobLine>,
    pub tenant_choices: Vec<Choice>,
    pub roles: Vec<Choice>,
    pub languages: Vec<Choice>,
    /// Which form failed (`tenant`, `user`, `password-{id}`, `job`), its errors and values.
    pub form: String,
    pub errors: FieldErrors,
    pub values: HashMap<String, String>,
    pub done: Option<&'static str>,
    /// A password just made: (the user's address, the password), shown once.
    pub password: Option<(String, String)>,
    pub lang: Language,
}

impl AdminView {
    pub fn err(&self, form: &str, field: &str) -> Option<&String> {
        (self.form == form)
            .then(|| self.errors.get(field))
            .flatten()
    }

    pub fn val(&self, form: &str, field: &str) -> &str {
        if self.form == form {
            self.values.get(field).map_or("", String::as_str)
        } else {
            ""
        }
    }

    pub fn label(&self, field: &str) -> String {
        super::text::field_label(field, self.lang)
    }

    pub fn is(&self, section: &str) -> bool {
        self.section.key() == section
    }

    /// The form whose errors the summary links to.
    pub fn anchor(&self, field: &str) -> String {
        if field == "_" {
            format!("{}-form", self.form)
        } else {
            format!("{}-{field}", self.form)
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin.html")]
struct AdminTemplate<'a> {
    p: &'a Page,
    v: &'a AdminView,
}

// The Err is the answer itself, made at most once per request (as `Console::require`).
#[allow(clippy::result_large_err)]
fn admin(c: &Console) -> Result<Principal, HttpResponse> {
    let (p, _) = c.require()?;
    only_admin(c, p)
}

#[allow(clippy::result_large_err)]
fn admin_form(c: &Console, form: &HashMap<String, String>) -> Result<Principal, HttpResponse> {
    only_admin(c, c.require_form(form)?)
}

#[allow(clippy::result_large_err)]
fn only_admin(c: &Console, p: Principal) -> Result<Principal, HttpResponse> {
    if p.role == Role::Admin {
        Ok(p)
    } else {
        Err(c.error(&AppError::Forbidden("only an admin may do this".to_owned())))
    }
}

/// What the page shows after a change or a failed form.
#[derive(Default)]
struct Outcome {
    form: String,
    errors: FieldErrors,
    values: HashMap<String, String>,
    done: Option<&'static str>,
    password: Option<(String, String)>,
}

async fn render(
    state: &web::Data<AppState>,
    c: &Console,
    who: Principal,
    section: Section,
    status: StatusCode,
    outcome: Outcome,
) -> HttpResponse {
    let language = c.language;
    let me = who.user_id.clone();
    let loaded = state
        .db
        .run(move |conn| {
            let tenants = all_tenants(conn, &who)?;
            let users = match section {
                Section::Users => all_users(conn, &who)?,
                _ => Vec::new(),
            };
            let datamaps = match section {
                Section::DataMaps => check_datamaps(conn, &who)?,
                _ => Vec::new(),
            };
            let jobs = match section {
                Section::Jobs => watched_jobs(conn, &who, 100)?,
                _ => Vec::new(),
            };
            Ok::<_, AppError>((tenants, users, datamaps, jobs))
        })
        .await;
    let (tenants, users, datamaps, jobs) = match loaded {
        Ok(x) => x,
        Err(e) => return c.error(&e),
    };
    let t = T(language);
    let vals = &outcome.values;
    let chosen = |k: &str| vals.get(k).cloned().unwrap_or_default();
    let v = AdminView {
        section,
        sections: [
            Section::Tenants,
            Section::Users,
            Section::DataMaps,
            Section::Jobs,
        ]
        .iter()
        .map(|s| (s.href(), s.key(), *s == section))
        .collect(),
        tenant_choices: tenants
            .iter()
            .map(|tn| Choice {
                value: tn.slug.clone(),
                label: format!("{} ({})", tn.name, tn.slug),
                selected: chosen("tenant") == tn.slug,
            })
            .collect(),
        tenants: tenants
            .iter()
            .map(|tn| TenantLine {
                slug: tn.slug.clone(),
                name: tn.name.clone(),
                contact: tn.contact_email.clone(),
                language: match tn.language {
                    Language::Nl => "Nederlands",
                    Language::En => "English",
                },
                datamap: tn.datamap_path.clone().unwrap_or_default(),
                created: date_time(tn.created_at.and_utc(), language),
            })
            .collect(),
        users: users
            .into_iter()
            .map(|u: StaffUser| UserLine {
                me: u.id == me,
                role: u
                    .role
                    .parse::<Role>()
                    .map(|r| role_label(r, language))
                    .unwrap_or("?"),
                id: u.id.into_inner(),
                email: u.email,
                tenant: u.tenant_slug.unwrap_or_default(),
                disabled: u.disabled,
                created: date_time(u.created_at.and_utc(), language),
            })
            .collect(),
        datamaps,
        jobs: jobs
            .into_iter()
            .map(|j| JobLine {
                dead: j.state == "dead",
                state: match j.state.as_str() {
                    "dead" => t.t("job_dead"),
                    "running" => t.t("job_running"),
                    _ => t.t("job_queued"),
                },
                attempts: format!("{}/{}", j.attempts, j.max_attempts),
                last_error: j.last_error.unwrap_or_default(),
                updated: date_time(j.updated_at.and_utc(), language),
                id: j.id,
                kind: j.kind,
            })
            .collect(),
        roles: [Role::Support, Role::Controller, Role::Admin]
            .iter()
            .map(|r| Choice {
                value: r.as_str().to_owned(),
                label: role_label(*r, language).to_owned(),
                selected: chosen("role") == r.as_str(),
            })
            .collect(),
        languages: [("nl", "Nederlands"), ("en", "English")]
            .iter()
            .map(|(v, l)| Choice {
                value: (*v).to_owned(),
                label: (*l).to_owned(),
                selected: chosen("language") == *v,
            })
            .collect(),
        form: outcome.form,
        errors: super::text::localise_errors(outcome.errors, language),
        values: outcome.values,
        done: outcome.done,
        password: outcome.password,
        lang: language,
    };
    let p = c.page(t.t("admin"), "admin");
    c.render(status, AdminTemplate { p: &p, v: &v }.render())
}

fn done_key(q: &HashMap<String, String>) -> Option<&'static str> {
    match q.get("done").map(String::as_str) {
        Some("tenant") => Some("done_tenant"),
        Some("user") => Some("done_user"),
        Some("disabled") => Some("done_disabled"),
        Some("enabled") => Some("done_enabled"),
        Some("retried") => Some("done_retried"),
        Some("password") => Some("password_set"),
        _ => None,
    }
}

async fn show(
    state: web::Data<AppState>,
    c: Console,
    q: web::Query<HashMap<String, String>>,
    section: Section,
) -> HttpResponse {
    let who = match admin(&c) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let outcome = Outcome {
        done: done_key(&q),
        ..Outcome::default()
    };
    render(&state, &c, who, section, StatusCode::OK, outcome).await
}

/// `GET /console/admin`: tenants.
pub async fn tenants(
    state: web::Data<AppState>,
    c: Console,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    show(state, c, q, Section::Tenants).await
}

/// `GET /console/admin/users`.
pub async fn users(
    state: web::Data<AppState>,
    c: Console,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    show(state, c, q, Section::Users).await
}

/// `GET /console/admin/datamaps`: runs the data map check for every tenant.
pub async fn datamaps(
    state: web::Data<AppState>,
    c: Console,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    show(state, c, q, Section::DataMaps).await
}

/// `GET /console/admin/jobs`.
pub async fn jobs(
    state: web::Data<AppState>,
    c: Console,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    show(state, c, q, Section::Jobs).await
}

fn kept(form: &HashMap<String, String>, fields: &[&str]) -> HashMap<String, String> {
    fields
        .iter()
        .filter_map(|k| form.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect()
}

fn field(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// Where a form's answer goes: its section of the page, and the form's name and kept values
/// (shown again with its errors when the change fails).
struct FormAt {
    section: Section,
    name: String,
    values: HashMap<String, String>,
}

/// What a change that went through answers.
enum Done {
    /// Back to the section's page, which says what was done.
    SeeOther(&'static str),
    /// The section's page at once, with a password just made (never in a URL), shown once.
    Password {
        done: Option<&'static str>,
        email: String,
        password: String,
    },
}

/// A form's answer: what it did, or its failure shown in place (422 for its fields, 409 for
/// a conflict) or on the error page.
async fn answer(
    state: &web::Data<AppState>,
    c: &Console,
    who: Principal,
    at: FormAt,
    result: Result<Done, AppError>,
) -> HttpResponse {
    let (status, outcome) = match result {
        Ok(Done::SeeOther(to)) => return see_other(to),
        Ok(Done::Password {
            done,
            email,
            password,
        }) => {
            let outcome = Outcome {
                done,
                password: Some((email, password)),
                ..Outcome::default()
            };
            (StatusCode::OK, outcome)
        }
        Err(e) => {
            let (status, errors) = match e {
                AppError::Validation(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
                AppError::Conflict { message, .. } => {
                    let mut errors = FieldErrors::new();
                    errors.insert("_".to_owned(), message);
                    (StatusCode::CONFLICT, errors)
                }
                e => return c.error(&e),
            };
            let outcome = Outcome {
                form: at.name,
                errors,
                values: at.values,
                ..Outcome::default()
            };
            (status, outcome)
        }
    };
    render(state, c, who, at.section, status, outcome).await
}

/// `POST /console/admin/tenants`: `slug`, `name`, `contact_email`, `language`, `datamap`.
pub async fn add_tenant_form(
    state: web::Data<AppState>,
    c: Console,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let who = match admin_form(&c, &form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let at = FormAt {
        section: Section::Tenants,
        name: "tenant".to_owned(),
        values: kept(
            &form,
            &["slug", "name", "contact_email", "language", "datamap"],
        ),
    };
    let input = TenantInput {
        slug: field(&form, "slug"),
        name: field(&form, "name"),
        contact_email: field(&form, "contact_email"),
        language: field(&form, "language").parse().unwrap_or_default(),
        datamap_path: Some(field(&form, "datamap")).filter(|d| !d.is_empty()),
        id_document_required: false,
        sector: Sector::default(),
    };
    let p = who.clone();
    let result = state.db.run(move |conn| add_tenant(conn, &p, input)).await;
    let result = result.map(|t| {
        tracing::info!(tenant = %t.slug, by = %who.user_id, "tenant created in the console");
        Done::SeeOther("/console/admin?done=tenant")
    });
    answer(&state, &c, who, at, result).await
}

/// `POST /console/admin/users`: `email`, `role`, `tenant` (a controller's), `password`
/// (empty: one is made and shown once).
pub async fn add_user_form(
    state: web::Data<AppState>,
    c: Console,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let who = match admin_form(&c, &form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let at = FormAt {
        section: Section::Users,
        name: "user".to_owned(),
        // The password is never echoed back into the form.
        values: kept(&form, &["email", "role", "tenant"]),
    };
    let role = match field(&form, "role").parse::<Role>() {
        Ok(r) => r,
        Err(_) => {
            let e = AppError::field("role", "must be one of support, controller, admin");
            return answer(&state, &c, who, at, Err(e)).await;
        }
    };
    let given = form.get("password").cloned().filter(|p| !p.is_empty());
    let generated = given.is_none();
    let password = given.unwrap_or_else(crate::service::admin::generated_password);
    let input = UserInput {
        email: field(&form, "email"),
        role,
        tenant_slug: Some(field(&form, "tenant"))
            .filter(|t| !t.is_empty() && role == Role::Controller),
        password: password.clone(),
    };
    let p = who.clone();
    let result = state.db.run(move |conn| add_user(conn, &p, input)).await;
    let result = result.map(|user| {
        tracing::info!(user_id = %user.id, role = %user.role, by = %who.user_id, "user created in the console");
        if generated {
            Done::Password {
                done: Some("done_user"),
                email: user.email,
                password,
            }
        } else {
            Done::SeeOther("/console/admin/users?done=user")
        }
    });
    answer(&state, &c, who, at, result).await
}

/// A user's row on the users page (its disable, enable and password forms).
fn user_row(id: &UserId) -> FormAt {
    FormAt {
        section: Section::Users,
        name: format!("password-{id}"),
        values: HashMap::new(),
    }
}

/// `POST /console/admin/users/{id}/disable` and `…/enable`.
pub async fn set_disabled(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<(String, String)>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let who = match admin_form(&c, &form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (id, what) = path.into_inner();
    let id = UserId::from(id);
    let disabled = match what.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return c.error(&AppError::NotFound),
    };
    let p = who.clone();
    let user = id.clone();
    let result = state
        .db
        .run(move |conn| set_user_disabled(conn, &p, &user, disabled))
        .await;
    let result = result.map(|()| {
        tracing::info!(user_id = %id, by = %who.user_id, disabled, "user disabled or enabled in the console");
        Done::SeeOther(if disabled {
            "/console/admin/users?done=disabled"
        } else {
            "/console/admin/users?done=enabled"
        })
    });
    answer(&state, &c, who, user_row(&id), result).await
}

/// `POST /console/admin/users/{id}/password`: `password` given by the admin, or empty for
/// one made here and shown once.
pub async fn password(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let who = match admin_form(&c, &form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let id = UserId::from(path.into_inner());
    let given = form.get("password").cloned().filter(|p| !p.is_empty());
    let generated = given.is_none();
    let p = who.clone();
    let user = id.clone();
    let result = state
        .db
        .run(move |conn| {
            let pw = reset_password(conn, &p, &user, given)?;
            let email = all_users(conn, &p)?
                .into_iter()
                .find(|u| u.id == user)
                .map(|u| u.email)
                .unwrap_or_default();
            Ok::<_, AppError>((email, pw))
        })
        .await;
    let result = result.map(|(email, password)| {
        tracing::info!(user_id = %id, by = %who.user_id, generated, "password reset in the console");
        if generated {
            Done::Password {
                done: None,
                email,
                password,
            }
        } else {
            Done::SeeOther("/console/admin/users?done=password")
        }
    });
    answer(&state, &c, who, user_row(&id), result).await
}

/// `POST /console/admin/jobs/{id}/retry`.
pub async fn retry(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let who = match admin_form(&c, &form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let id = path.into_inner();
    let p = who.clone();
    let result = state.db.run(move |conn| retry_job(conn, &p, &id)).await;
    let result = result.map(|j| {
        tracing::info!(job = %j.id, by = %who.user_id, "dead job requeued in the console");
        Done::SeeOther("/console/admin/jobs?done=retried")
    });
    let at = FormAt {
        section: Section::Jobs,
        name: "job".to_owned(),
        values: HashMap::new(),
    };
    answer(&state, &c, who, at, result).await
}
