//! The staff console (`/console/`): support's queue and the controller's portal, served as
//! pages by the same binary (CONTRACT.md, Web pages). Server-rendered with askama
//! (`templates/console/`), Dutch and English, forms that work without JavaScript; the one
//! script (bundle progress) and the style sheet are served from here, never from a CDN.
//!
//! A browser signs in with e-mail and password and gets a session cookie (`HttpOnly`,
//! `SameSite=Strict`, `Secure` behind https) for 12 hours; its user is loaded on every request,
//! so logout or disabling the user ends it at once. Every form carries the session's CSRF
//! token. Handlers call `crate::service` only.

mod admin;
pub mod chart;
mod execution;
mod intake;
mod overview;
mod queue;
mod request;
mod session;
mod tenant;
pub mod text;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::Principal;
use crate::domain::{Language, Role};
use crate::error::AppError;
use crate::state::AppState;

pub use session::{Console, LANG_COOKIE, SESSION_COOKIE, check_login_rate};
use text::T;

/// The console's policy: its own style sheet and script, forms to itself, nothing else.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
                               img-src 'self'; connect-src 'self'; form-action 'self'; \
                               base-uri 'none'; frame-ancestors 'none'";

const CSS: &str = include_str!("../../../templates/console/console.css");
const JS: &str = include_str!("../../../templates/console/console.js");

/// Registers `/console` and everything under it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/console",
        web::get().to(|| async {
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console/"))
                .finish()
        }),
    )
    .service(
        web::scope("/console")
            // Every answer under /console, also one actix makes itself (a form too large, a
            // path that does not parse), carries the console's headers; the handlers set them
            // too (`secure`), and the assets their own cache header.
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add((header::CACHE_CONTROL, "no-store"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::CONTENT_SECURITY_POLICY, CONSOLE_CSP)),
            )
            .app_data(
                web::FormConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|e, _| AppError::MalformedBody(e.to_string()).into()),
            )
            .route("/", web::get().to(queue::page))
            .route("/search", web::post().to(queue::search))
            .route("/login", web::get().to(session::login_form))
            .route("/login", web::post().to(session::login))
            .route("/logout", web::post().to(session::logout))
            .route("/assets/console.css", web::get().to(css))
            .route("/assets/console.js", web::get().to(js))
            .route("/requests/new", web::get().to(intake::form))
            .route("/requests/new", web::post().to(intake::submit))
            .route("/requests/{reference}", web::get().to(request::page))
            .route(
                "/requests/{reference}/bundle",
                web::post().to(request::compile),
            )
            .route(
                "/requests/{reference}/bundle/progress",
                web::get().to(request::progress),
            )
            .route("/bundles/download", web::get().to(request::download))
            .route(
                "/requests/{reference}/plan",
                web::post().to(execution::make),
            )
            .route(
                "/requests/{reference}/plan/{id}/approve",
                web::post().to(execution::approve),
            )
            .route(
                "/requests/{reference}/plan/{id}/progress",
                web::get().to(execution::progress),
            )
            .route(
                "/requests/{reference}/{action}",
                web::post().to(request::act),
            )
            .route("/overview", web::get().to(overview::page))
            .route("/grants", web::get().to(tenant::mine))
            .route("/tenants/{slug}/grants", web::get().to(tenant::grants_page))
            .route("/tenants/{slug}/grants", web::post().to(tenant::give))
            .route(
                "/tenants/{slug}/grants/{id}/revoke",
                web::post().to(tenant::revoke),
            )
            .route("/tenants/{slug}/audit", web::get().to(tenant::audit_page))
            .route(
                "/tenants/{slug}/audit.csv",
                web::get().to(tenant::audit_csv),
            )
            .route("/admin", web::get().to(admin::tenants))
            .route("/admin/users", web::get().to(admin::users))
            .route("/admin/datamaps", web::get().to(admin::datamaps))
            .route("/admin/jobs", web::get().to(admin::jobs))
            .route("/admin/tenants", web::post().to(admin::add_tenant_form))
            .route("/admin/users", web::post().to(admin::add_user_form))
            .route(
                "/admin/users/{id}/password",
                web::post().to(admin::password),
            )
            .route(
                "/admin/users/{id}/{what}",
                web::post().to(admin::set_disabled),
            )
            .route("/admin/jobs/{id}/retry", web::post().to(admin::retry))
            .default_service(web::to(not_found)),
    );
}

async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", JS)
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

async fn not_found(c: Console) -> HttpResponse {
    c.error(&AppError::NotFound)
}

/// What every console page shows around its content.
pub struct Page {
    pub t: T,
    pub lang: &'static str,
    pub title: String,
    /// Signed in: e-mail, role label, tenant slug.
    pub user: Option<UserBar>,
    pub csrf: String,
    /// Which navigation entry is current.
    pub nav: &'static str,
    /// The same page in the other language.
    pub switch_href: String,
    pub switch_label: &'static str,
    pub switch_lang: &'static str,
}

pub struct UserBar {
    pub email: String,
    pub role: &'static str,
    pub tenant: Option<String>,
    pub enters_requests: bool,
    /// The navigation entries this user has besides the queue: (href, label key, nav key).
    pub links: Vec<(String, &'static str, &'static str)>,
}

/// The console's navigation for a role: every user the queue and the overview; support and
/// admin entering a request; a controller its tenant's grants and audit trail; support the
/// grants given to it; an admin the administration.
fn nav_links(p: &Principal) -> Vec<(String, &'static str, &'static str)> {
    let mut links = vec![("/console/overview".to_owned(), "overview", "overview")];
    match p.role {
        Role::Controller => {
            if let Some(slug) = &p.tenant_slug {
                links.push((
                    format!("/console/tenants/{}/grants", encode(slug)),
                    "grants",
                    "grants",
                ));
                links.push((
                    format!("/console/tenants/{}/audit", encode(slug)),
                    "audit",
                    "audit",
                ));
            }
        }
        Role::Support => links.push(("/console/grants".to_owned(), "my_grants", "grants")),
        Role::Admin => links.push(("/console/admin".to_owned(), "admin", "admin")),
    }
    links
}

impl Page {
    pub fn is_current(&self, nav: &str) -> bool {
        self.nav == nav
    }
}

/// Now, in UTC (the console reads the clock itself; it never reaches into the store).
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// A request's console address (the mails link here too: `service::notify::request_url`).
pub fn request_path(reference: &str) -> String {
    format!("/console/requests/{reference}")
}

/// Only a local console path may be a `next` after signing in (never another site).
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with("/console/")
        && !next.starts_with("/console//")
        && !next.contains('\\')
        && !next.contains("://")
        && next.chars().all(|c| c.is_ascii_graphic());
    ok.then(|| next.to_owned())
}

/// The headers every console answer gets.
pub fn secure(mut r: HttpResponse) -> HttpResponse {
    let h = r.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, CONSOLE_CSP),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    r
}

/// A rendered template, or (a bug, never input) a plain 500.
pub fn rendered(status: StatusCode, r: Result<String, askama::Error>) -> HttpResponse {
    match r {
        Ok(body) => secure(
            HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(body),
        ),
        Err(e) => {
            tracing::error!(error = %e, "rendering a console page failed");
            secure(
                HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("something went wrong on our side"),
            )
        }
    }
}

/// A 303 to `location` (after a POST, or to the sign-in page).
pub fn see_other(location: &str) -> HttpResponse {
    secure(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location.to_owned()))
            .finish(),
    )
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorTemplate<'a> {
    p: &'a Page,
    message: &'static str,
    signed_in: bool,
}

impl Console {
    /// The common part of a page.
    pub fn page(&self, title: &str, nav: &'static str) -> Page {
        let t = T(self.language);
        let other = match self.language {
            Language::Nl => Language::En,
            Language::En => Language::Nl,
        };
        Page {
            t,
            lang: self.language.as_str(),
            title: title.to_owned(),
            user: self.user.as_ref().map(|(p, _)| UserBar {
                email: p.email.clone(),
                role: text::role_label(p.role, self.language),
                tenant: p.tenant_slug.clone(),
                enters_requests: p.role != Role::Controller,
                links: nav_links(p),
            }),
            csrf: self
                .user
                .as_ref()
                .map(|(_, c)| c.clone())
                .unwrap_or_default(),
            nav,
            switch_href: self.with_lang(other),
            switch_label: match other {
                Language::Nl => "Nederlands",
                Language::En => "English",
            },
            switch_lang: other.as_str(),
        }
    }

    /// The signed-in user, or a redirect to the sign-in page that returns here.
    // The Err is the answer itself, made at most once per request: boxing it buys nothing.
    #[allow(clippy::result_large_err)]
    pub fn require(&self) -> Result<(Principal, String), HttpResponse> {
        match &self.user {
            Some((p, csrf)) => Ok((p.clone(), csrf.clone())),
            None => {
                let next = if self.method_get {
                    safe_next(&self.path_and_query)
                } else {
                    None
                };
                let location = match next {
                    Some(n) => format!("/console/login?next={}", encode(&n)),
                    None => "/console/login".to_owned(),
                };
                Err(see_other(&location))
            }
        }
    }

    /// The signed-in user of a form post whose CSRF token matches; else the answer to give
    /// (sign in, or 403).
    #[allow(clippy::result_large_err)]
    pub fn require_form(
        &self,
        form: &std::collections::HashMap<String, String>,
    ) -> Result<Principal, HttpResponse> {
        let (p, csrf) = self.require()?;
        let given = form.get("csrf").map(String::as_str).unwrap_or_default();
        if !session::same(given, &csrf) {
            return Err(self.csrf_refused());
        }
        Ok(p)
    }

    pub fn csrf_refused(&self) -> HttpResponse {
        tracing::warn!("console form without a valid CSRF token refused");
        self.message_page(StatusCode::FORBIDDEN, "csrf_failed")
    }

    /// An error as a console page with the status the API would answer.
    pub fn error(&self, e: &AppError) -> HttpResponse {
        use actix_web::ResponseError;
        let status = e.status_code();
        let key = match e {
            AppError::NotFound => "not_found",
            AppError::Forbidden(_) => "forbidden",
            AppError::RateLimited { .. } => "rate_limited",
            _ if status.is_server_error() => {
                let _ = e.error_response();
                "unavailable"
            }
            _ => "not_found",
        };
        self.message_page(status, key)
    }

    fn message_page(&self, status: StatusCode, key: &'static str) -> HttpResponse {
        let t = T(self.language);
        let p = self.page(t.t("error_title"), "");
        let r = ErrorTemplate {
            p: &p,
            message: t.t(key),
            signed_in: self.user.is_some(),
        }
        .render();
        self.finish(rendered(status, r))
    }

    /// Adds what the request asked of the answer (the language cookie after `?lang=`).
    pub fn finish(&self, mut r: HttpResponse) -> HttpResponse {
        if self.lang_from_query {
            set_cookie(
                &mut r,
                LANG_COOKIE,
                self.language.as_str(),
                "/console",
                Some(365 * 24 * 3600),
                self.secure_cookies,
            );
        }
        r
    }

    /// Renders a page template with the request's extras.
    pub fn render(&self, status: StatusCode, r: Result<String, askama::Error>) -> HttpResponse {
        self.finish(rendered(status, r))
    }
}

/// A cookie's value from the request (cookies are parsed here; actix's cookie feature is off).
pub fn read_cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Adds a `Set-Cookie`: always `HttpOnly` and `SameSite=Strict`; `Secure` behind https;
/// `max_age` 0 removes it, None makes it last as long as the browser session.
pub fn set_cookie(
    r: &mut HttpResponse,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
    secure: bool,
) {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The application state of a request (for extractors).
fn app_state(req: &HttpRequest) -> Option<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_goes_to_console_paths() {
        assert!(safe_next("/console/requests/DSR-2026-000001").is_some());
        assert!(safe_next("/console/?status=received&page=2").is_some());
        assert!(safe_next("https://evil.example/console/").is_none());
        assert!(safe_next("//evil.example/").is_none());
        assert!(safe_next("/console//evil.example").is_none());
        assert!(safe_next("/console/\\evil").is_none());
        assert!(safe_next("/api/v1/requests").is_none());
    }

    #[test]
    fn encoding_keeps_paths_readable() {
        assert_eq!(encode("/console/?a=b&c"), "/console/%3Fa%3Db%26c");
    }
}
