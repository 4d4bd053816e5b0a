//! `GET /console/`: the queue, soonest target first, with filters kept in the address, the
//! counts per status and pagination; `POST /console/search`: by reference or e-mail address
//! (posted, so an address never stands in a URL, a log line or the browser history).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;

use super::now;
use super::text::{T, channel_label, status_label};
use super::{Console, Page, request_path, see_other};
use crate::domain::deadline::amsterdam_date;
use crate::domain::{Channel, Language, Reference, RequestKind, Role, Status, SubjectEmail};
use crate::error::AppError;
use crate::http::pages::{date, kind_label};
use crate::service::console::tenant_choices;
use crate::service::queries::{QueueQuery, queue, status_counts};
use crate::state::AppState;

const PER_PAGE: i64 = 25;
/// A total the kept counts cannot give (a time, channel or search filter) is counted up to
/// this; beyond it the page says "more than", and pages go as far as it (80 pages): nobody
/// reads further, they filter (benches/console_queue.rs: 1,000,000 requests).
const COUNT_CAP: i64 = 2_000;
/// The last page offered: a deeper page costs its whole offset.
const MAX_PAGE: i64 = COUNT_CAP / PER_PAGE;

/// One row of the queue (no personal data: the request page has it, and is audited).
pub struct Row {
    pub reference: String,
    pub href: String,
    pub kind: String,
    pub tenant: String,
    pub status: &'static str,
    pub channel: &'static str,
    pub received: String,
    pub target: String,
    pub overdue: bool,
    pub soon: bool,
    pub days_left: i64,
    pub paused: bool,
    pub closed: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Count {
    pub label: &'static str,
    pub n: i64,
    pub href: String,
    pub current: bool,
}

pub struct QueueView {
    pub rows: Vec<Row>,
    pub total: i64,
    /// The total was counted only up to [`COUNT_CAP`]: there are more.
    pub more: bool,
    pub page: i64,
    pub pages: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub statuses: Vec<Choice>,
    pub tenants: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub overdue: bool,
    pub open: bool,
    pub counts: Vec<Count>,
    pub show_tenant_filter: bool,
    pub filters_active: bool,
    /// Search: the term as typed (shown back in the field; never in a URL), its error.
    pub searched: bool,
    pub search: String,
    pub search_error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueueTemplate<'a> {
    p: &'a Page,
    v: &'a QueueView,
}

/// The filters as asked; values that are not valid are ignored (a page never fails on them).
#[derive(Debug, Default, Clone)]
struct Filters {
    status: Option<Status>,
    tenant: Option<String>,
    kind: Option<RequestKind>,
    channel: Option<Channel>,
    overdue: bool,
    open: bool,
    page: i64,
}

impl Filters {
    fn parse(q: &HashMap<String, String>) -> Self {
        let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        Self {
            status: get("status").and_then(|s| s.parse().ok()),
            tenant: get("tenant").map(str::to_owned),
            kind: get("kind").and_then(|s| s.parse().ok()),
            channel: get("channel").and_then(|s| s.parse().ok()),
            overdue: get("overdue").is_some_and(|v| v == "true"),
            open: get("open").is_some_and(|v| v == "true"),
            page: get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| (1..=MAX_PAGE).contains(p))
                .unwrap_or(1),
        }
    }

    /// The address of the queue with these filters (and `page`).
    fn href(&self, page: i64) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.as_str()));
        }
        if let Some(t) = &self.tenant {
            parts.push(format!("tenant={}", super::encode(t)));
        }
        if let Some(k) = self.kind {
            parts.push(format!("kind={}", k.as_str()));
        }
        if let Some(c) = self.channel {
            parts.push(format!("channel={}", c.as_str()));
        }
        if self.overdue {
            parts.push("overdue=true".to_owned());
        }
        if self.open {
            parts.push("open=true".to_owned());
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            "/console/".to_owned()
        } else {
            format!("/console/?{}", parts.join("&"))
        }
    }

    fn query(&self) -> QueueQuery {
        QueueQuery {
            statuses: self.status.into_iter().collect(),
            tenant_slug: self.tenant.clone(),
            kind: self.kind,
            overdue_at: self.overdue.then(now),
            open_only: self.open,
            channel: self.channel,
            page: self.page,
            per_page: PER_PAGE,
            count_cap: Some(COUNT_CAP),
            ..QueueQuery::default()
        }
    }
}

/// `GET /console/`.
pub async fn page(
    state: web::Data<AppState>,
    c: Console,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let filters = Filters::parse(&q);
    render(&state, &c, filters, None).await
}

/// `POST /console/search`: a reference opens its request; an e-mail address lists that
/// subject's requests (as the user may see them).
pub async fn search(
    state: web::Data<AppState>,
    c: Console,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    if let Err(r) = c.require_form(&form) {
        return r;
    }
    let term = form
        .get("q")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let upper = term.to_uppercase();
    let mut query = Filters::default().query();
    query.per_page = 200;
    if let Ok(reference) = upper.parse::<Reference>() {
        query.reference = Some(reference.to_string());
    } else if let Ok(email) = SubjectEmail::parse(&term) {
        query.email = Some(email);
    } else {
        return render(
            &state,
            &c,
            Filters::default(),
            Some((term, Some("search_invalid"))),
        )
        .await;
    }
    if let Some(reference) = &query.reference {
        // A reference the user may see opens at once.
        let Ok((principal, _)) = c.require() else {
            return see_other("/console/login");
        };
        let q = query.clone();
        if let Ok(page) = state.db.run(move |conn| queue(conn, &principal, &q)).await
            && page.items.len() == 1
        {
            return see_other(&request_path(reference));
        }
    }
    render_search(&state, &c, query, term).await
}

fn choices<I: IntoIterator<Item = (String, String)>>(
    items: I,
    selected: Option<&str>,
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: selected == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

fn rows(
    state: &AppState,
    language: Language,
    page: &crate::service::queries::QueuePage,
) -> Vec<Row> {
    let at = now();
    let today = amsterdam_date(Utc::now());
    page.items
        .iter()
        .map(|r| {
            let deadline = r.deadline().ok();
            let target = deadline.as_ref().map_or(r.promised_due, |d| d.target());
            let closed = r.closed_at.is_some();
            let paused = r.paused_since.is_some();
            let overdue = r.is_overdue(at);
            let days_left = state.calendar.working_days_between(today, target);
            Row {
                reference: r.reference.clone(),
                href: request_path(&r.reference),
                kind: kind_label(r.kind, language),
                tenant: r
                    .tenant_id
                    .as_ref()
                    .and_then(|id| page.tenant_slugs.get(id).cloned())
                    .unwrap_or_else(|| T(language).t("no_tenant").to_owned()),
                status: status_label(r.status, language),
                channel: r
                    .channel
                    .parse::<Channel>()
                    .map(|ch| channel_label(ch, language))
                    .unwrap_or("?"),
                received: date(r.received_on, language),
                target: date(target, language),
                overdue,
                soon: !closed && !paused && !overdue && days_left <= 5,
                days_left,
                paused,
                closed,
            }
        })
        .collect()
}

async fn render(
    state: &web::Data<AppState>,
    c: &Console,
    filters: Filters,
    search: Option<(String, Option<&'static str>)>,
) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let language = c.language;
    let query = filters.query();
    let who = principal.clone();
    let tenant = filters.tenant.clone();
    let loaded = state
        .db
        .run(move |conn| {
            let page = queue(conn, &who, &query)?;
            let counts = status_counts(conn, &who, tenant.as_deref())?;
            let tenants = tenant_choices(conn, &who)?;
            Ok::<_, AppError>((page, counts, tenants))
        })
        .await;
    let (page, counts, tenants) = match loaded {
        Ok(x) => x,
        // A controller naming another tenant, or an unknown tenant: nothing to show of it.
        Err(AppError::Forbidden(_) | AppError::Validation(_)) => {
            return c.error(&AppError::NotFound);
        }
        Err(e) => return c.error(&e),
    };
    let more = page.total > COUNT_CAP;
    let total = page.total.min(COUNT_CAP);
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).clamp(1, MAX_PAGE);
    let t = T(language);
    let v = QueueView {
        rows: rows(state, language, &page),
        total,
        more,
        page: filters.page,
        pages,
        prev_href: (filters.page > 1).then(|| filters.href(filters.page - 1)),
        next_href: (filters.page < pages).then(|| filters.href(filters.page + 1)),
        statuses: choices(
            Status::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), status_label(*s, language).to_owned())),
            filters.status.map(|s| s.as_str()),
        ),
        tenants: choices(
            tenants
                .into_iter()
                .map(|(slug, name)| (slug.clone(), format!("{name} ({slug})"))),
            filters.tenant.as_deref(),
        ),
        kinds: choices(
            RequestKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), kind_label(*k, language))),
            filters.kind.map(|k| k.as_str()),
        ),
        channels: choices(
            Channel::ALL.iter().map(|ch| {
                (
                    ch.as_str().to_owned(),
                    channel_label(*ch, language).to_owned(),
                )
            }),
            filters.channel.map(|ch| ch.as_str()),
        ),
        overdue: filters.overdue,
        open: filters.open,
        counts: counts
            .into_iter()
            .map(|(s, n)| {
                let f = Filters {
                    status: Some(s),
                    tenant: filters.tenant.clone(),
                    ..Filters::default()
                };
                Count {
                    label: status_label(s, language),
                    n,
                    href: f.href(1),
                    current: filters.status == Some(s),
                }
            })
            .collect(),
        show_tenant_filter: principal.role != Role::Controller,
        filters_active: filters.status.is_some()
            || filters.tenant.is_some()
            || filters.kind.is_some()
            || filters.channel.is_some()
            || filters.overdue
            || filters.open,
        searched: false,
        search: search.as_ref().map(|(s, _)| s.clone()).unwrap_or_default(),
        search_error: search.and_then(|(_, e)| e),
    };
    let p = c.page(t.t("queue"), "queue");
    let status = if v.search_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    c.render(status, QueueTemplate { p: &p, v: &v }.render())
}

async fn render_search(
    state: &web::Data<AppState>,
    c: &Console,
    query: QueueQuery,
    term: String,
) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let language = c.language;
    let loaded = state
        .db
        .run(move |conn| queue(conn, &principal, &query))
        .await;
    let page = match loaded {
        Ok(p) => p,
        Err(e) => return c.error(&e),
    };
    let t = T(language);
    let v = QueueView {
        rows: rows(state, language, &page),
        total: page.total.min(COUNT_CAP),
        more: page.total > COUNT_CAP,
        page: 1,
        pages: 1,
        prev_href: None,
        next_href: None,
        statuses: Vec::new(),
        tenants: Vec::new(),
        kinds: Vec::new(),
        channels: Vec::new(),
        overdue: false,
        open: false,
        counts: Vec::new(),
        show_tenant_filter: false,
        filters_active: false,
        searched: true,
        search: term,
        search_error: None,
    };
    let p = c.page(t.t("search_results"), "queue");
    c.render(StatusCode::OK, QueueTemplate { p: &p, v: &v }.render())
}
