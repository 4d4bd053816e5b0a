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
    the_overview_counts_only_what_the_user_may_count,
    a_controller_grants_support_access_and_revokes_it,
    the_audit_trail_is_the_controllers_and_the_admins,
    the_admin_pages_are_the_admins_and_every_change_is_audited,
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

    pub fn cookie_header(&self) -> String {
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

/// The actions recorded in the audit trail, oldest first.
async fn audit_actions(app: &TestApp) -> Vec<String> {
    app.with_conn(|c| {
        use diesel::prelude::*;
        use inzage::store::schema::audit_log;
        audit_log::table
            .order(audit_log::id.asc())
            .select(audit_log::action)
            .load::<String>(c)
            .unwrap()
    })
    .await
}

async fn the_overview_counts_only_what_the_user_may_count(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_overview").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("globex").await;
    let support = app.user(Role::Support, None).await;
    let controller = user_email(&app, Role::Controller, Some("acme")).await;
    let mut refs = Vec::new();
    for _ in 0..2 {
        refs.push(
            app.file_as(&support.token, Some("acme"), json!({})).await["reference"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for _ in 0..3 {
        app.file_as(&support.token, Some("globex"), json!({"kind": "erasure"}))
            .await;
    }

    let mut c = Browser::new(&app);
    c.sign_in(&controller, "").await;
    let page = c.get("/console/overview").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.headers["cache-control"], "no-store");
    // Charts drawn on the server, each with a title, a description and a table.
    assert!(page.body.contains("<svg") && page.body.contains("role=\"img\""));
    assert!(page.body.contains("<title id=\"weekly-title\">"));
    assert!(page.body.contains("<desc id=\"due-desc\">"));
    assert!(page.body.contains("<table class=\"figures\">"));
    // Only acme's two.
    assert!(
        page.body.contains("Ontvangen in de periode</dt><dd>2</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Nu open</dt><dd>"));
    // Counts only: no reference, name or address.
    assert!(
        !page.body.contains("DSR-") && !page.body.contains("Bram") && !page.body.contains("bram@")
    );
    // Another tenant's overview: not found, like one that does not exist.
    let other = c.get("/console/overview?tenant=globex").await;
    assert_eq!(other.status, 404);
    assert_eq!(c.get("/console/overview?tenant=nope").await.status, 404);
    // A bad period: the error in place, at its field.
    let bad = c.get("/console/overview?from=gisteren&to=2026-01-01").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("id=\"ov-from-error\"") && bad.body.contains("aria-invalid=\"true\"")
    );
    let reversed = c
        .get("/console/overview?from=2026-03-01&to=2026-02-01")
        .await;
    assert_eq!(reversed.status, 422);
    assert!(reversed.body.contains("id=\"ov-to-error\""));
    // English.
    let en = c.get("/console/overview?lang=en").await;
    assert!(en.body.contains("Requests received per week, by kind"));

    // Support: every tenant, or one, without a grant (counts only).
    let mut s = Browser::new(&app);
    s.sign_in(&support.email, "").await;
    let all = s.get("/console/overview").await;
    assert_eq!(all.status, 200);
    assert!(all.body.contains("Ontvangen in de periode</dt><dd>5</dd>"));
    let one = s.get("/console/overview?tenant=globex").await;
    assert!(one.body.contains("Ontvangen in de periode</dt><dd>3</dd>"));
    // Not signed in: to the sign-in page.
    let mut anon = Browser::new(&app);
    assert_eq!(anon.get("/console/overview").await.status, 303);
}

/// The id of the first grant a grants page offers to revoke.
fn grant_id(html: &str) -> String {
    let end = html.find("/revoke\"").unwrap();
    let start = html[..end].rfind('/').unwrap() + 1;
    html[start..end].to_owned()
}

async fn a_controller_grants_support_access_and_revokes_it(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_grants").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("globex").await;
    let support = app.user(Role::Support, None).await;
    let controller = app.user(Role::Controller, Some("acme")).await;
    let other = user_email(&app, Role::Controller, Some("globex")).await;
    let mut c = Browser::new(&app);
    c.sign_in(&controller.email, "").await;
    let page = c.get("/console/tenants/acme/grants").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("<option value=\"{}\"", support.email))
    );
    assert!(
        page.body
            .contains("href=\"/console/tenants/acme/grants\" aria-current=\"page\"")
    );
    let token = csrf(&page.body);
    let path = "/console/tenants/acme/grants";
    // Without the form token: refused, nothing given.
    let r = c
        .post(
            path,
            &[("grantee", &support.email), ("hours", "2"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 403);
    // Without a reason, and with hours out of range: the errors in place.
    let r = c
        .post(
            path,
            &[
                ("csrf", &token),
                ("grantee", &support.email),
                ("hours", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("id=\"grant-reason-error\"") && r.body.contains("id=\"grant-hours-error\"")
    );
    assert!(
        r.body
            .contains("aria-describedby=\"grant-reason-hint grant-reason-error\"")
    );
    let r = c
        .post(
            path,
            &[
                ("csrf", &token),
                ("grantee", &support.email),
                ("hours", "2"),
                ("reason", "Bundel van DSR-2026-000001 controleren"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.location.as_deref(),
        Some("/console/tenants/acme/grants?done=given")
    );
    let page = c.get(r.location.as_deref().unwrap()).await;
    assert!(page.body.contains("De toegang is gegeven"));
    assert!(page.body.contains("Bundel van DSR-2026-000001 controleren"));
    let (_, list) = app
        .get("/api/v1/tenants/acme/grants", Some(&controller.token))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["grantee"], support.email.as_str());

    // Support sees the grants given to it; it cannot give one.
    let mut s = Browser::new(&app);
    s.sign_in(&support.email, "").await;
    let mine = s.get("/console/grants").await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains("Bundel van DSR-2026-000001 controleren"));
    let theirs = s.get("/console/tenants/acme/grants").await;
    assert_eq!(theirs.status, 200);
    assert!(
        !theirs.body.contains("name=\"grantee\""),
        "support gives no grants"
    );
    let st = csrf(&mine.body);
    let r = s
        .post(
            path,
            &[
                ("csrf", &st),
                ("grantee", &support.email),
                ("hours", "2"),
                ("reason", "zelf"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);

    // Another tenant's controller: not found, and cannot give or revoke.
    let mut o = Browser::new(&app);
    o.sign_in(&other, "").await;
    assert_eq!(o.get(path).await.status, 404);
    let ot = csrf(&o.get("/console/").await.body);
    let r = o
        .post(
            path,
            &[
                ("csrf", &ot),
                ("grantee", &support.email),
                ("hours", "2"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, 404);
    let id = grant_id(&page.body);
    let r = o
        .post(&format!("{path}/{id}/revoke"), &[("csrf", &ot)])
        .await;
    assert_eq!(r.status, 404);

    // Revoked by the controller: effective at once, listed as ended.
    let r = c.post(&format!("{path}/{id}/revoke"), &[]).await;
    assert_eq!(r.status, 403, "revoking needs the token too");
    let r = c
        .post(&format!("{path}/{id}/revoke"), &[("csrf", &token)])
        .await;
    assert_eq!(r.status, 303);
    let page = c.get(r.location.as_deref().unwrap()).await;
    assert!(page.body.contains("De toegang is ingetrokken"));
    assert!(page.body.contains("ingetrokken</span>"));
    let (_, list) = app
        .get("/api/v1/tenants/acme/grants", Some(&controller.token))
        .await;
    assert!(!list["items"][0]["revoked_at"].is_null());
    let actions = audit_actions(&app).await;
    assert!(
        actions.contains(&"grant_given".to_owned())
            && actions.contains(&"grant_revoked".to_owned())
    );
}

async fn the_audit_trail_is_the_controllers_and_the_admins(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_audit").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("globex").await;
    let support = app.user(Role::Support, None).await;
    let controller = user_email(&app, Role::Controller, Some("acme")).await;
    let other = user_email(&app, Role::Controller, Some("globex")).await;
    let admin = user_email(&app, Role::Admin, None).await;
    let reference = app.file_as(&support.token, Some("acme"), json!({})).await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut c = Browser::new(&app);
    c.sign_in(&controller, "").await;
    // Reading the request is an entry of the trail.
    assert_eq!(
        c.get(&format!("/console/requests/{reference}"))
            .await
            .status,
        200
    );
    let path = "/console/tenants/acme/audit";
    let page = c.get(path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.body.contains("Verzoek bekeken"));
    assert!(
        page.body
            .contains(&format!("/console/requests/{reference}"))
    );
    assert!(page.body.contains(&controller));
    // The actor filter names staff by id, never by address in the URL.
    assert!(page.body.contains("name=\"actor\""));
    let id = {
        let e = controller.clone();
        app.with_conn(move |c| {
            inzage::store::users::User::find_by_email(c, &e)
                .unwrap()
                .unwrap()
                .id
        })
        .await
    };
    let mine = c.get(&format!("{path}?actor={id}")).await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains("Verzoek bekeken"));
    let none = c.get(&format!("{path}?actor=nobody")).await;
    assert!(none.body.contains("Geen regels gevonden"));
    let bad = c.get(&format!("{path}?from=gisteren")).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"audit-from-error\""));
    // The CSV download, with the session.
    assert!(
        page.body
            .contains("href=\"/console/tenants/acme/audit.csv\"")
    );
    let r = app
        .client
        .get(app.url("/console/tenants/acme/audit.csv"))
        .header("cookie", c.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit-acme-")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("seq,at,actor_id,actor_email"));
    assert!(csv.contains("request_viewed") && csv.contains(&reference));

    // Another tenant's controller: not found; support: not allowed; admin: yes.
    let mut o = Browser::new(&app);
    o.sign_in(&other, "").await;
    assert_eq!(o.get(path).await.status, 404);
    assert_eq!(o.get("/console/tenants/acme/audit.csv").await.status, 404);
    let mut s = Browser::new(&app);
    s.sign_in(&support.email, "").await;
    assert_eq!(s.get(path).await.status, 403);
    assert_eq!(s.get("/console/tenants/acme/audit.csv").await.status, 403);
    let mut a = Browser::new(&app);
    a.sign_in(&admin, "").await;
    assert_eq!(a.get(path).await.status, 200);
}

async fn the_admin_pages_are_the_admins_and_every_change_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend, "console_admin").await else {
        return;
    };
    app.tenant("acme").await;
    let support = user_email(&app, Role::Support, None).await;
    let controller = user_email(&app, Role::Controller, Some("acme")).await;
    let admin = user_email(&app, Role::Admin, None).await;
    // Only an admin.
    for who in [&support, &controller] {
        let mut b = Browser::new(&app);
        b.sign_in(who, "").await;
        for page in [
            "/console/admin",
            "/console/admin/users",
            "/console/admin/datamaps",
            "/console/admin/jobs",
        ] {
            assert_eq!(b.get(page).await.status, 403, "{who} {page}");
        }
        let t = csrf(&b.get("/console/").await.body);
        let r = b
            .post(
                "/console/admin/tenants",
                &[
                    ("csrf", &t),
                    ("slug", "evil"),
                    ("name", "E"),
                    ("contact_email", "e@e.nl"),
                ],
            )
            .await;
        assert_eq!(r.status, 403);
    }
    let mut a = Browser::new(&app);
    a.sign_in(&admin, "").await;
    let page = a.get("/console/admin").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Tenant acme (acme)"));
    let token = csrf(&page.body);
    // A form too large for the console is refused with the console's headers too.
    let big = "x".repeat(70 * 1024);
    let r = a
        .post(
            "/console/admin/tenants",
            &[("csrf", &token), ("name", &big)],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    // Tenants: without the token refused; errors in place; added.
    assert_eq!(
        a.post("/console/admin/tenants", &[("slug", "initech")])
            .await
            .status,
        403
    );
    let r = a
        .post(
            "/console/admin/tenants",
            &[
                ("csrf", &token),
                ("slug", "Not A Slug"),
                ("name", ""),
                ("contact_email", "nope"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("id=\"tenant-slug-error\"")
            && r.body.contains("id=\"tenant-contact_email-error\"")
    );
    let r = a
        .post(
            "/console/admin/tenants",
            &[
                ("csrf", &token),
                ("slug", "initech"),
                ("name", "Initech"),
                ("contact_email", "privacy@initech.example"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = a
        .post(
            "/console/admin/tenants",
            &[
                ("csrf", &token),
                ("slug", "initech"),
                ("name", "Initech"),
                ("contact_email", "privacy@initech.example"),
            ],
        )
        .await;
    assert_eq!(r.status, 409, "a taken slug is said in place");
    assert!(
        a.get("/console/admin")
            .await
            .body
            .contains("Initech (initech)")
    );

    // Users: a controller needs a tenant; a user added without a password gets one, once.
    let r = a
        .post(
            "/console/admin/users",
            &[
                ("csrf", &token),
                ("email", "nieuw@initech.example"),
                ("role", "controller"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"user-tenant-error\""));
    let r = a
        .post(
            "/console/admin/users",
            &[
                ("csrf", &token),
                ("email", "nieuw@initech.example"),
                ("role", "controller"),
                ("tenant", "initech"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Wachtwoord voor nieuw@initech.example"));
    let password = r
        .body
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_owned();
    assert!(password.len() >= 20);
    let login = app.login("nieuw@initech.example", &password).await;
    assert_eq!(login["tenant"], "initech");

    // Disabling a user ends its console session at once; enabling lets it back in.
    let mut s = Browser::new(&app);
    s.sign_in(&support, "").await;
    assert_eq!(s.get("/console/").await.status, 200);
    let users = a.get("/console/admin/users").await;
    assert!(users.body.contains(&support));
    let sid = {
        let e = support.clone();
        app.with_conn(move |c| {
            inzage::store::users::User::find_by_email(c, &e)
                .unwrap()
                .unwrap()
                .id
        })
        .await
    };
    let r = a
        .post(
            &format!("/console/admin/users/{sid}/disable"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(s.get("/console/").await.status, 303, "session ended");
    assert_eq!(s.sign_in(&support, "").await.status, 401);
    let r = a
        .post(
            &format!("/console/admin/users/{sid}/enable"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(s.sign_in(&support, "").await.status, 303);
    // A password given by the admin: too short is said in place; a good one ends sessions.
    let r = a
        .post(
            &format!("/console/admin/users/{sid}/password"),
            &[("csrf", &token), ("password", "kort")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains(&format!("id=\"password-{sid}-password-error\""))
    );
    let r = a
        .post(
            &format!("/console/admin/users/{sid}/password"),
            &[("csrf", &token), ("password", "een nieuw lang wachtwoord")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        s.get("/console/").await.status,
        303,
        "sessions end with a new password"
    );
    app.login(&support, "een nieuw lang wachtwoord").await;
    // An admin cannot disable themself.
    let aid = {
        let e = admin.clone();
        app.with_conn(move |c| {
            inzage::store::users::User::find_by_email(c, &e)
                .unwrap()
                .unwrap()
                .id
        })
        .await
    };
    let r = a
        .post(
            &format!("/console/admin/users/{aid}/disable"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 422);

    // The data map check names the problem; a tenant without a map says so.
    let dir = tempfile::tempdir().unwrap();
    let bad_map = dir.path().join("broken.toml");
    std::fs::write(
        &bad_map,
        "tenant = \"broken\"\n[[systems]]\nname = \"App\"\nurl = \"ftp://x\"\n",
    )
    .unwrap();
    let path = bad_map.display().to_string();
    app.with_conn(move |c| {
        inzage::service::admin::create_tenant(
            c,
            inzage::service::admin::TenantInput {
                slug: "broken".into(),
                name: "Broken".into(),
                contact_email: "privacy@broken.example".into(),
                language: inzage::domain::Language::Nl,
                datamap_path: Some(path),
                id_document_required: false,
                sector: Default::default(),
            },
        )
        .unwrap();
    })
    .await;
    let maps = a.get("/console/admin/datamaps").await;
    assert_eq!(maps.status, 200);
    assert!(
        maps.body.contains("broken.toml: system App"),
        "{}",
        maps.body
    );
    assert!(maps.body.contains("geen datamap"));

    // A dead job goes back in the queue.
    let job_id: String = app
        .with_conn(|c| {
            use diesel::prelude::*;
            use inzage::store::schema::jobs;
            let now = chrono::Utc::now().naive_utc();
            inzage::store::jobs::enqueue(
                c,
                &inzage::store::jobs::NewJob {
                    kind: "console_test".into(),
                    payload: json!({}),
                    dedupe_key: Some("console-test-dead".into()),
                    run_after: now + chrono::Duration::days(1),
                    max_attempts: 1,
                },
                now,
            )
            .unwrap();
            diesel::update(jobs::table.filter(jobs::dedupe_key.eq("console-test-dead")))
                .set((jobs::state.eq("dead"), jobs::last_error.eq(Some("boom"))))
                .execute(c)
                .unwrap();
            jobs::table
                .filter(jobs::dedupe_key.eq("console-test-dead"))
                .select(jobs::id)
                .first(c)
                .unwrap()
        })
        .await;
    let jobs = a.get("/console/admin/jobs").await;
    assert!(jobs.body.contains("console_test") && jobs.body.contains("boom"));
    assert!(
        jobs.body
            .contains(&format!("/console/admin/jobs/{job_id}/retry"))
    );
    assert_eq!(
        a.post(&format!("/console/admin/jobs/{job_id}/retry"), &[])
            .await
            .status,
        403
    );
    let r = a
        .post(
            &format!("/console/admin/jobs/{job_id}/retry"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 303);
    let again = a
        .post(
            &format!("/console/admin/jobs/{job_id}/retry"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(again.status, 409, "only a dead job");

    // Every change is in the audit trail; no password is in it.
    let actions = audit_actions(&app).await;
    for a in [
        "tenant_created",
        "user_created",
        "user_disabled",
        "user_enabled",
        "password_reset",
        "job_retried",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
    let details: Vec<Option<String>> = app
        .with_conn(|c| {
            use diesel::prelude::*;
            use inzage::store::schema::audit_log;
            audit_log::table.select(audit_log::detail).load(c).unwrap()
        })
        .await;
    assert!(
        details
            .iter()
            .flatten()
            .all(|d| !d.contains(&password) && !d.contains("een nieuw lang"))
    );
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
