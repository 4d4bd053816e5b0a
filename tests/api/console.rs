//! The staff console over HTTP: sign-in and sessions, CSRF, the mailed link's return, tenant
//! isolation in the queue, the search and by address, the action forms with their errors in
//! place, and entering a request with the deadline shown first. (The browser tests in
//! `console_browser.rs` drive the same pages in Chromium.)

use std::collections::HashMap;

use inzage::domain::Role;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app};

crate::on_both_backends!(
    signing_in_and_out_with_csrf_on_every_form,
    a_disabled_user_loses_the_session_at_once,
    the_mailed_link_asks_to_sign_in_and_returns_to_the_request,
    a_controller_never_sees_another_tenants_request_in_the_console,
    support_assigns_and_forwards_and_errors_show_in_place,
    support_enters_a_request_and_sees_the_deadline_first,
);

/// A browser: keeps cookies, follows nothing.
pub struct Browser<'a> {
    app: &'a TestApp,
    jar: HashMap<String, String>,
    pub set_cookies: Vec<String>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            jar: HashMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn absorb(&mut self, r: reqwest::Response) -> Page {
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap().to_owned();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || v.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), val.to_owned());
            }
            self.set_cookies.push(v);
        }
        Page {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .app
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        self.absorb(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form.iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            )
            .send()
            .await
            .unwrap();
        self.absorb(r).await
    }

    /// Signs in through the form; returns where the service sent the browser.
    pub async fn sign_in(&mut self, email: &str, next: &str) -> Page {
        let form = self
            .get(&format!(
                "/console/login{}",
                if next.is_empty() {
                    String::new()
                } else {
                    format!("?next={next}")
                }
            ))
            .await;
        assert_eq!(form.status, 200, "{}", form.body);
        let token = csrf(&form.body);
        let next_value = hidden(&form.body, "next");
        self.post(
            "/console/login",
            &[
                ("csrf", &token),
                ("next", &next_value),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await
    }
}

fn encode(s: &str) -> String {
    inzage::http::console::encode(s)
}

/// The value of the hidden input `name` in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).unwrap_or(0);
    if start == 0 {
        return String::new();
    }
    html[start..].split('"').next().unwrap().to_owned()
}

pub fn csrf(html: &str) -> String {
    let t = hidden(html, "csrf");
    assert!(!t.is_empty(), "no CSRF token in the page");
    t
}

async fn user_email(app: &TestApp, role: Role, tenant: Option<&str>) -> String {
    app.user(role, tenant).await.email
}

async fn signing_in_and_out_with_csrf_on_every_form(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_sign_in").await else {
        return;
    };
    let email = user_email(&app, Role::Support, None).await;
    let mut b = Browser::new(&app);

    // Not signed in: the queue sends to the sign-in page, which returns to it.
    let r = b.get("/console/").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/console/login?next=/console/"));
    assert_eq!(
        b.get("/console").await.location.as_deref(),
        Some("/console/")
    );

    // The sign-in form carries a token; a post without it is refused.
    let form = b.get("/console/login").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"email\"") && form.body.contains("name=\"password\""));
    assert_eq!(form.headers["x-frame-options"], "DENY");
    assert_eq!(form.headers["cache-control"], "no-store");
    let csp = form.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let token = csrf(&form.body);
    let r = b
        .post(
            "/console/login",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 403);

    // A failed login says only that it failed, the same for an unknown address.
    let wrong = b
        .post(
            "/console/login",
            &[
                ("csrf", &token),
                ("email", &email),
                ("password", "wrong password!!"),
            ],
        )
        .await;
    let unknown = b
        .post(
            "/console/login",
            &[
                ("csrf", &token),
                ("email", "nobody@example.nl"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert!(wrong.body.contains("Inloggen is niet gelukt"));
    assert!(unknown.body.contains("Inloggen is niet gelukt"));

    // Signed in: an HttpOnly, SameSite=Strict session cookie of 12 hours.
    let r = b.sign_in(&email, "").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/console/"));
    let cookie = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("inzage_console="))
        .unwrap()
        .clone();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(cookie.contains("Max-Age=43200"));
    assert!(
        !cookie.contains("Secure"),
        "http public URL: no Secure flag"
    );
    let queue = b.get("/console/").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(&email));

    // English on request, kept in a cookie.
    let en = b.get("/console/?lang=en").await;
    assert!(en.body.contains("<html lang=\"en\"") && en.body.contains("Queue"));
    assert!(b.get("/console/").await.body.contains("Sign out"));

    // Logout needs the token too; then the session is gone.
    let token = csrf(&queue.body);
    assert_eq!(b.post("/console/logout", &[]).await.status, 403);
    let out = b.post("/console/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(b.get("/console/").await.status, 303);
}

async fn a_disabled_user_loses_the_session_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_disabled").await else {
        return;
    };
    let email = user_email(&app, Role::Support, None).await;
    let mut b = Browser::new(&app);
    assert_eq!(b.sign_in(&email, "").await.status, 303);
    assert_eq!(b.get("/console/").await.status, 200);
    let e = email.clone();
    app.with_conn(move |c| {
        let u = inzage::store::users::User::find_by_email(c, &e)
            .unwrap()
            .unwrap();
        inzage::store::users::User::set_disabled(c, &u.id, true).unwrap();
    })
    .await;
    let r = b.get("/console/").await;
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().starts_with("/console/login"));
    // Nor can it sign in again.
    assert_eq!(b.sign_in(&email, "").await.status, 401);
}

async fn the_mailed_link_asks_to_sign_in_and_returns_to_the_request(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_mailed_link").await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let controller = user_email(&app, Role::Controller, Some("acme")).await;
    let filed = app.file_as(&support.token, Some("acme"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let (s, _) = app
        .act(&support.token, &reference, "forward", json!({}))
        .await;
    assert_eq!(s, 200);

    // The mail to the controller links to the console page.
    let r = reference.clone();
    let link: String = app
        .with_conn(move |c| {
            let row = inzage::store::requests::RequestRow::find_by_reference(c, &r)
                .unwrap()
                .unwrap();
            inzage::store::outbox::for_request(c, &row.id)
                .unwrap()
                .into_iter()
                .map(|m| m.payload)
                .find(|p| p.contains("/console/requests/"))
                .unwrap()
        })
        .await;
    assert!(link.contains(&format!("/console/requests/{reference}")));

    let path = format!("/console/requests/{reference}");
    let mut b = Browser::new(&app);
    let r = b.get(&path).await;
    assert_eq!(r.status, 303);
    let login = r.location.unwrap();
    assert_eq!(login, format!("/console/login?next={path}"));
    let form = b.get(&login).await;
    assert!(form.body.contains("Log in om het verzoek te openen"));
    let r = b.sign_in(&controller, &path).await;
    assert_eq!(r.location.as_deref(), Some(path.as_str()));
    let page = b.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Bram Jansen") && page.body.contains(&reference));
    // The read is audited, like the API's detail.
    let audited: i64 = app
        .with_conn(|c| {
            use diesel::prelude::*;
            inzage::store::schema::audit_log::table
                .filter(inzage::store::schema::audit_log::action.eq("request_viewed"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert!(audited >= 1);

    // `next` goes only to console paths.
    let mut other = Browser::new(&app);
    let r = other.sign_in(&controller, "https://evil.example/").await;
    assert_eq!(r.location.as_deref(), Some("/console/"));
}

async fn a_controller_never_sees_another_tenants_request_in_the_console(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_isolation").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("globex").await;
    let support = app.user(Role::Support, None).await;
    let controller = user_email(&app, Role::Controller, Some("acme")).await;
    let own = app.file_as(&support.token, Some("acme"), json!({})).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs = app
        .file_as(
            &support.token,
            Some("globex"),
            json!({"subject": {"name": "Gerrit Globex", "email": "gerrit@globex.example"}}),
        )
        .await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut b = Browser::new(&app);
    b.sign_in(&controller, "").await;
    let queue = b.get("/console/").await;
    assert!(queue.body.contains(&own));
    assert!(!queue.body.contains(&theirs));
    assert!(
        !queue.body.contains("globex"),
        "no other tenant in the filters"
    );
    // Naming the other tenant in the filter shows nothing of it.
    let r = b.get("/console/?tenant=globex").await;
    assert_eq!(r.status, 404);
    assert!(!r.body.contains(&theirs));
    // By address: not found, exactly like a request that does not exist.
    let by_url = b.get(&format!("/console/requests/{theirs}")).await;
    let missing = b.get("/console/requests/DSR-2026-999999").await;
    assert_eq!(by_url.status, 404);
    assert_eq!(missing.status, 404);
    // Nor by search, reference or e-mail address; the address never goes into a URL.
    let token = csrf(&queue.body);
    for term in [theirs.as_str(), "gerrit@globex.example"] {
        let r = b
            .post("/console/search", &[("csrf", &token), ("q", term)])
            .await;
        assert_eq!(r.status, 200, "{term}");
        assert!(r.location.is_none());
        assert!(
            !r.body.contains(&theirs)
                || term == theirs && !r.body.contains("/console/requests/DSR")
        );
        assert!(!r.body.contains("Gerrit"));
    }
    // Its own by e-mail address: listed, as a POST that renders the results.
    let r = b
        .post(
            "/console/search",
            &[("csrf", &token), ("q", "BRAM@example.nl")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains(&own));
    // Its own by reference: opens it.
    let r = b
        .post("/console/search", &[("csrf", &token), ("q", &own)])
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/console/requests/{own}").as_str())
    );
    // A search without the form token is refused.
    assert_eq!(b.post("/console/search", &[("q", &own)]).await.status, 403);
}

async fn support_assigns_and_forwards_and_errors_show_in_place(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_actions").await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let reference = app.file_as(&support.token, None, json!({})).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/console/requests/{reference}");
    let mut b = Browser::new(&app);
    b.sign_in(&support.email, "").await;
    let page = b.get(&path).await;
    assert_eq!(page.status, 200);
    let token = csrf(&page.body);
    assert!(page.body.contains(&format!("action=\"{path}/assign\"")));

    // Without a tenant chosen: the error stands at the field, tied to it.
    let r = b
        .post(
            &format!("{path}/assign"),
            &[("csrf", &token), ("tenant", "")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"assign-tenant-error\""));
    assert!(r.body.contains("aria-describedby=\"assign-tenant-error\""));
    // Without the token: refused, nothing changed.
    let r = b
        .post(&format!("{path}/assign"), &[("tenant", "acme")])
        .await;
    assert_eq!(r.status, 403);

    let r = b
        .post(
            &format!("{path}/assign"),
            &[("csrf", &token), ("tenant", "acme")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get(r.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Opgeslagen"));
    let r = b
        .post(&format!("{path}/forward"), &[("csrf", &token)])
        .await;
    assert_eq!(r.status, 303);
    let (_, v) = app
        .get(
            &format!("/api/v1/requests/{reference}"),
            Some(&support.token),
        )
        .await;
    assert_eq!(v["status"], "forwarded");
    assert_eq!(v["tenant"], "acme");
    // A refusal needs a ground and a reason; both errors in place.
    let controller = user_email(&app, Role::Controller, Some("acme")).await;
    let mut c = Browser::new(&app);
    c.sign_in(&controller, "").await;
    let page = c.get(&path).await;
    let token = csrf(&page.body);
    assert!(page.body.contains("name=\"ground\""));
    let r = c.post(&format!("{path}/refuse"), &[("csrf", &token)]).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("id=\"refuse-ground-error\"")
            && r.body.contains("id=\"refuse-reason-error\"")
    );
    let r = c
        .post(
            &format!("{path}/refuse"),
            &[
                ("csrf", &token),
                ("ground", "manifestly_unfounded"),
                ("reason", "Het verzoek is kennelijk ongegrond."),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (_, v) = app
        .get(
            &format!("/api/v1/requests/{reference}"),
            Some(&support.token),
        )
        .await;
    assert_eq!(v["status"], "refused");
}

async fn support_enters_a_request_and_sees_the_deadline_first(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_new").await else {
        return;
    };
    app.tenant("acme").await;
    let support = user_email(&app, Role::Support, None).await;
    let controller = user_email(&app, Role::Controller, Some("acme")).await;
    let mut b = Browser::new(&app);
    b.sign_in(&support, "").await;
    let form = b.get("/console/requests/new").await;
    assert_eq!(form.status, 200);
    let token = csrf(&form.body);
    let day = (chrono::Utc::now() - chrono::Duration::days(3))
        .date_naive()
        .to_string();
    let fields = |step: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("received_on", day.clone()),
            ("channel", "letter".to_owned()),
            ("tenant", "acme".to_owned()),
            ("kind", "access".to_owned()),
            ("name", "Carla Brief".to_owned()),
            ("email", "carla@example.nl".to_owned()),
            ("language", "nl".to_owned()),
            ("step", step.to_owned()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
    // Errors in place first.
    let r = b
        .post(
            "/console/requests/new",
            &[("csrf", &token), ("step", "check")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"new-email-error\""));
    // The check step shows the deadline and saves nothing.
    let check = as_refs(&fields("check"));
    let check: Vec<(&str, &str)> = check.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.post("/console/requests/new", &check).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Wettelijke termijn"));
    let (_, list) = app
        .get(
            "/api/v1/requests",
            Some(&app.user(Role::Support, None).await.token),
        )
        .await;
    assert_eq!(list["total"], 0);
    let save = as_refs(&fields("save"));
    let save: Vec<(&str, &str)> = save.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.post("/console/requests/new", &save).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.location.unwrap();
    assert!(location.starts_with("/console/requests/DSR-"));
    let page = b.get(&location).await;
    assert!(page.body.contains("Carla Brief") && page.body.contains("brief"));
    // A controller does not enter requests.
    let mut c = Browser::new(&app);
    c.sign_in(&controller, "").await;
    assert_eq!(c.get("/console/requests/new").await.status, 403);
}

/// The console's handlers go through `crate::service` only (the layers rule).
#[test]
fn the_console_never_reaches_into_the_store() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/console");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("crate::store"),
            "{} uses crate::store",
            path.display()
        );
    }
}
