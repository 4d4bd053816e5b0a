//! Who is asking (the session cookie, loaded fresh on every request), in which language,
//! and signing in and out.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;

use super::{Page, app_state, read_cookie, safe_next, see_other, set_cookie};
use crate::auth::Principal;
use crate::domain::Language;
use crate::error::AppError;
use crate::http::pages::browser_language;
use crate::service::console::{random_secret, session_user, sign_in, sign_out};
use crate::state::AppState;

/// The session cookie: a random secret; the store keeps only its hash.
pub const SESSION_COOKIE: &str = "inzage_console";
/// The sign-in form's CSRF token before there is a session (double submit).
const LOGIN_COOKIE: &str = "inzage_console_login";
/// The language chosen with `?lang=`.
pub const LANG_COOKIE: &str = "inzage_lang";

/// The console's view of a request: language, signed-in user and form token, and where it
/// was going.
pub struct Console {
    pub language: Language,
    pub lang_from_query: bool,
    pub user: Option<(Principal, String)>,
    pub path_and_query: String,
    pub method_get: bool,
    pub secure_cookies: bool,
    /// The session cookie's secret, if one came.
    secret: Option<String>,
    path: String,
    query: String,
}

fn query_lang(query: &str) -> Option<Language> {
    query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("lang="))
        .find_map(|v| v.parse::<Language>().ok())
}

impl Console {
    /// This page's address in `language` (the other query parameters kept).
    pub fn with_lang(&self, language: Language) -> String {
        let mut parts: Vec<&str> = self
            .query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
            .collect();
        let lang = format!("lang={}", language.as_str());
        parts.push(&lang);
        format!("{}?{}", self.path, parts.join("&"))
    }
}

impl FromRequest for Console {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = req.query_string().to_owned();
        let from_query = query_lang(&query);
        let language = from_query
            .or_else(|| read_cookie(req, LANG_COOKIE).and_then(|c| c.parse::<Language>().ok()))
            .unwrap_or_else(|| browser_language(req));
        let secret = read_cookie(req, SESSION_COOKIE)
            .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()));
        let state = app_state(req);
        let path = req.path().to_owned();
        let path_and_query = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| path.clone());
        let method_get = req.method() == actix_web::http::Method::GET;
        // The client's address, as the API's audit entries name it.
        let ip = state
            .as_ref()
            .and_then(|s| s.limits.client_ip(req))
            .map(|ip| ip.to_string());
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::Internal("application state missing".to_owned()))?;
            let secure_cookies = state.settings.public_url.starts_with("https://");
            let user = match &secret {
                Some(s) => {
                    let s = s.clone();
                    state
                        .db
                        .run(move |conn| session_user(conn, &s, Utc::now()))
                        .await?
                }
                None => None,
            };
            let user = user.map(|(mut p, csrf)| {
                p.ip = ip;
                (p, csrf)
            });
            Ok(Console {
                language,
                lang_from_query: from_query.is_some(),
                user,
                path_and_query,
                method_get,
                secure_cookies,
                secret,
                path,
                query,
            })
        })
    }
}

/// Compares two tokens in constant time.
pub fn same(a: &str, b: &str) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The rate limit of console sign-in attempts: per client address, with the service's
/// limiter (`INZAGE_RATE_LIMIT_PER_IP`). One function, so the API's login can share it.
pub fn check_login_rate(state: &AppState, req: &HttpRequest) -> Result<(), AppError> {
    state.limits.check_ip(req)
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginTemplate<'a> {
    p: &'a Page,
    email: &'a str,
    next: &'a str,
    failed: bool,
    for_request: bool,
}

fn login_page(
    c: &Console,
    status: StatusCode,
    token: &str,
    email: &str,
    next: &str,
    failed: bool,
) -> HttpResponse {
    let t = super::T(c.language);
    let mut p = c.page(t.t("sign_in"), "login");
    p.csrf = token.to_owned();
    let r = LoginTemplate {
        p: &p,
        email,
        next,
        failed,
        for_request: next.starts_with("/console/requests/"),
    }
    .render();
    c.render(status, r)
}

fn login_cookie(r: &mut HttpResponse, c: &Console, token: &str, max_age: Option<i64>) {
    set_cookie(
        r,
        LOGIN_COOKIE,
        token,
        "/console",
        max_age,
        c.secure_cookies,
    );
}

/// `GET /console/login`: the form (or on to `next` when signed in already).
pub async fn login_form(
    req: HttpRequest,
    c: Console,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let next = q.get("next").and_then(|n| safe_next(n)).unwrap_or_default();
    if c.user.is_some() {
        return see_other(if next.is_empty() { "/console/" } else { &next });
    }
    let token = read_cookie(&req, LOGIN_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(random_secret);
    let mut r = login_page(&c, StatusCode::OK, &token, "", &next, false);
    login_cookie(&mut r, &c, &token, None);
    r
}

/// `POST /console/login`: e-mail and password. A failure says only that it failed.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    c: Console,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let expected = read_cookie(&req, LOGIN_COOKIE).unwrap_or_default();
    let given = form.get("csrf").map(String::as_str).unwrap_or_default();
    if !same(given, &expected) {
        return c.csrf_refused();
    }
    let next = form
        .get("next")
        .and_then(|n| safe_next(n))
        .unwrap_or_default();
    if let Err(e) = check_login_rate(&state, &req) {
        return c.error(&e);
    }
    let email = form.get("email").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    // Growing waits after failed sign-ins, per client IP and per account, as the API's login.
    if let Err(e) = state.limits.check_login(&req, &email) {
        return c.error(&e);
    }
    let result = sign_in(&state, &email, &password, Utc::now()).await;
    match &result {
        Err(AppError::Unauthorized(_)) => state.limits.login_failed(&req, &email),
        Ok(_) => state.limits.login_succeeded(&email),
        Err(_) => {}
    }
    match result {
        Ok(session) => {
            tracing::info!(user_id = %session.principal.user_id, role = %session.principal.role, "signed in to the console");
            let mut r = see_other(if next.is_empty() { "/console/" } else { &next });
            set_cookie(
                &mut r,
                SESSION_COOKIE,
                &session.secret,
                "/",
                Some(crate::service::console::SESSION_HOURS * 3600),
                c.secure_cookies,
            );
            login_cookie(&mut r, &c, "", Some(0));
            r
        }
        Err(AppError::Unauthorized(_)) => {
            login_page(&c, StatusCode::UNAUTHORIZED, &expected, &email, &next, true)
        }
        Err(e) => c.error(&e),
    }
}

/// `POST /console/logout`: ends the session.
pub async fn logout(
    state: web::Data<AppState>,
    c: Console,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    if let Err(r) = c.require_form(&form) {
        return r;
    }
    if let Some(secret) = c.secret.clone()
        && let Err(e) = state.db.run(move |conn| sign_out(conn, &secret)).await
    {
        return c.error(&e);
    }
    let mut r = see_other("/console/login");
    set_cookie(&mut r, SESSION_COOKIE, "", "/", Some(0), c.secure_cookies);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("", ""));
        assert!(!same("ab", "abc"));
    }

    #[test]
    fn lang_from_the_query() {
        assert_eq!(query_lang("status=x&lang=en"), Some(Language::En));
        assert_eq!(query_lang("lang=xx"), None);
    }
}
