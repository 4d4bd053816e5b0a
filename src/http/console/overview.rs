//! `GET /console/overview?tenant=&from=&to=`: what a privacy officer shows management —
//! requests per week by kind, answered on time or late against the legal and the promised
//! date, open requests by due week, median days to answer, refusals by ground — as charts
//! drawn here (inline SVG, no script) with their numbers in a table beside each. Counts only:
//! no request, name or address appears on the page. A controller sees its own tenant; support
//! and admin every tenant or one.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate, Utc};

use super::chart::{self, Chart, Column};
use super::text::T;
use super::{Console, Page};
use crate::domain::deadline::amsterdam_date;
use crate::domain::overview::{DueBucket, Overview, Period, PeriodError, week_of};
use crate::domain::{Language, RequestKind, Role};
use crate::error::{AppError, FieldErrors};
use crate::http::pages::kind_label;
use crate::service::console::tenant_choices;
use crate::service::overview::overview;
use crate::state::AppState;

/// The CSS classes of the seven kinds, in [`RequestKind::ALL`] order.
const KIND_CLASSES: [&str; 7] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6"];

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Legend {
    pub class: &'static str,
    pub label: String,
}

/// A table beside a chart: its header and rows (first cell a row header).
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub struct Figure {
    pub id: &'static str,
    /// The table under the chart (a wide one) instead of beside it.
    pub wide: bool,
    pub title: String,
    pub desc: String,
    pub chart: Chart,
    pub legend: Vec<Legend>,
    pub table: Table,
}

pub struct OverviewView {
    pub scope: String,
    pub from: String,
    pub to: String,
    pub from_label: String,
    pub to_label: String,
    pub tenants: Vec<Choice>,
    pub show_tenant: bool,
    pub errors: FieldErrors,
    pub presets: Vec<(String, &'static str)>,
    /// Key figures: label, value.
    pub tiles: Vec<(&'static str, String)>,
    pub figures: Vec<Figure>,
    pub lang: Language,
}

impl OverviewView {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    /// A field's name for the error summary.
    pub fn label(&self, field: &str) -> String {
        super::text::field_label(field, self.lang)
    }
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewTemplate<'a> {
    p: &'a Page,
    v: &'a OverviewView,
}

fn short(d: NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

fn week_label(week: NaiveDate, t: T) -> String {
    format!("{} {}", t.t("wk"), week.iso_week().week())
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let p = part as f64 * 100.0 / whole as f64;
    format!("{p:.0} %")
}

fn days(v: Option<f64>, language: Language) -> String {
    match v {
        None => "–".to_owned(),
        Some(d) if (d - d.round()).abs() < f64::EPSILON => format!("{d:.0}"),
        Some(d) => match language {
            Language::Nl => format!("{d:.1}").replace('.', ","),
            Language::En => format!("{d:.1}"),
        },
    }
}

fn figures(o: &Overview, today: NaiveDate, language: Language) -> Vec<Figure> {
    let t = T(language);
    let kinds: Vec<String> = RequestKind::ALL
        .iter()
        .map(|k| kind_label(*k, language))
        .collect();
    // 1. Received per week, by kind.
    let cols: Vec<Column> = o
        .weeks
        .iter()
        .map(|w| Column {
            label: week_label(w.week, t),
            parts: w
                .by_kind
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    (
                        *n,
                        KIND_CLASSES[i],
                        format!(
                            "{} ({}): {} {n}",
                            week_label(w.week, t),
                            short(w.week),
                            kinds[i]
                        ),
                    )
                })
                .collect(),
        })
        .collect();
    let mut head = vec![t.t("week").to_owned()];
    // The table's columns: the kind's name without its article (the legend has both).
    head.extend(
        kinds
            .iter()
            .map(|k| k.split(" (").next().unwrap_or(k).to_owned()),
    );
    head.push(t.t("total_cap").to_owned());
    let weekly = Figure {
        id: "weekly",
        wide: true,
        title: t.t("chart_weekly").to_owned(),
        desc: format!(
            "{} {} {} {}. {}",
            t.t("chart_weekly_desc"),
            short(o.period.from()),
            t.t("until"),
            short(o.period.to()),
            t.t("numbers_beside")
        ),
        chart: chart::columns(&cols, 13),
        legend: RequestKind::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| o.weeks.iter().any(|w| w.by_kind[*i] > 0))
            .map(|(i, _)| Legend {
                class: KIND_CLASSES[i],
                label: kinds[i].clone(),
            })
            .collect(),
        table: Table {
            head,
            rows: o
                .weeks
                .iter()
                .map(|w| {
                    let mut row = vec![format!("{} ({})", week_label(w.week, t), short(w.week))];
                    row.extend(w.by_kind.iter().map(u64::to_string));
                    row.push(w.total().to_string());
                    row
                })
                .collect(),
        },
    };
    // 2. Answered on time or late, against the legal and the promised date.
    let r = &o.report;
    let timely_row = |label: &str, on_time: u64, late: u64| chart::Row {
        label: label.to_owned(),
        parts: vec![
            (
                on_time,
                "ok",
                format!("{label}: {} {on_time}", t.t("on_time")),
            ),
            (late, "late", format!("{label}: {} {late}", t.t("late"))),
        ],
    };
    let timely = Figure {
        id: "timely",
        wide: false,
        title: t.t("chart_timely").to_owned(),
        desc: format!(
            "{} {} {}. {}",
            t.t("chart_timely_desc"),
            r.answered,
            t.t("answered_lc"),
            t.t("numbers_beside")
        ),
        chart: chart::rows(
            &[
                timely_row(t.t("against_legal"), r.legal.on_time, r.legal.late),
                timely_row(t.t("against_promised"), r.promised.on_time, r.promised.late),
            ],
            Some(r.answered),
        ),
        legend: vec![
            Legend {
                class: "ok",
                label: t.t("on_time").to_owned(),
            },
            Legend {
                class: "late",
                label: t.t("late").to_owned(),
            },
        ],
        table: Table {
            head: vec![
                t.t("measured_against").to_owned(),
                t.t("on_time").to_owned(),
                t.t("late").to_owned(),
                t.t("share_on_time").to_owned(),
            ],
            rows: vec![
                vec![
                    t.t("against_legal").to_owned(),
                    r.legal.on_time.to_string(),
                    r.legal.late.to_string(),
                    percent(r.legal.on_time, r.answered),
                ],
                vec![
                    t.t("against_promised").to_owned(),
                    r.promised.on_time.to_string(),
                    r.promised.late.to_string(),
                    percent(r.promised.on_time, r.answered),
                ],
            ],
        },
    };
    // 3. Open requests by the week they are due.
    let this_week = week_of(today);
    let bucket_label = |b: DueBucket| match b {
        DueBucket::Earlier => t.t("overdue").to_owned(),
        DueBucket::Later => t.t("due_later").to_owned(),
        DueBucket::Week(w) if w == this_week => t.t("this_week").to_owned(),
        DueBucket::Week(w) => week_label(w, t),
    };
    let bucket_long = |b: DueBucket| match b {
        DueBucket::Week(w) => format!(
            "{} ({} – {})",
            bucket_label(b),
            short(w),
            short(w + Duration::days(6))
        ),
        _ => bucket_label(b),
    };
    let due_cols: Vec<Column> = o
        .open_by_due_week
        .iter()
        .map(|d| Column {
            label: bucket_label(d.bucket),
            parts: vec![(
                d.open,
                match d.bucket {
                    DueBucket::Earlier => "late",
                    DueBucket::Week(w) if w == this_week => "soon",
                    _ => "open",
                },
                format!("{}: {}", bucket_long(d.bucket), d.open),
            )],
        })
        .collect();
    let due = Figure {
        id: "due",
        wide: false,
        title: t.t("chart_due").to_owned(),
        desc: format!(
            "{} {} {}. {}",
            t.t("chart_due_desc"),
            o.open_total,
            t.t("open_lc"),
            t.t("numbers_beside")
        ),
        chart: chart::columns(&due_cols, 8),
        legend: vec![
            Legend {
                class: "late",
                label: t.t("due_earlier").to_owned(),
            },
            Legend {
                class: "soon",
                label: t.t("this_week").to_owned(),
            },
            Legend {
                class: "open",
                label: t.t("later_weeks").to_owned(),
            },
        ],
        table: Table {
            head: vec![t.t("due_week").to_owned(), t.t("open_cap").to_owned()],
            rows: o
                .open_by_due_week
                .iter()
                .map(|d| vec![bucket_long(d.bucket), d.open.to_string()])
                .collect(),
        },
    };
    // 4. Refusals by ground.
    let ground = |g: &str| super::text::ground_short(g, language);
    let refusal_rows: Vec<chart::Row> = r
        .refusals_by_ground
        .iter()
        .map(|(g, n)| chart::Row {
            label: ground(g),
            parts: vec![(*n, "refused", format!("{}: {n}", ground(g)))],
        })
        .collect();
    let total_refused: u64 = r.refusals_by_ground.values().sum();
    let refusals = Figure {
        id: "refusals",
        wide: false,
        title: t.t("chart_refusals").to_owned(),
        desc: format!(
            "{} {} {}. {}",
            t.t("chart_refusals_desc"),
            total_refused,
            t.t("refused_lc"),
            t.t("numbers_beside")
        ),
        chart: chart::rows(&refusal_rows, None),
        legend: Vec::new(),
        table: Table {
            head: vec![t.t("ground").to_owned(), t.t("refusals_cap").to_owned()],
            rows: r
                .refusals_by_ground
                .iter()
                .map(|(g, n)| vec![ground(g), n.to_string()])
                .collect(),
        },
    };
    let mut out = vec![weekly, timely, due];
    if total_refused > 0 {
        out.push(refusals);
    }
    out
}

/// The period asked for, or the errors per field (the page then shows the default period).
fn period(q: &HashMap<String, String>, today: NaiveDate) -> (Period, FieldErrors) {
    let mut errors = FieldErrors::new();
    let default = Period::last_weeks(today);
    let mut day = |k: &str, fallback: NaiveDate| match q.get(k).map(|v| v.trim()) {
        None | Some("") => Some(fallback),
        Some(v) => match v.parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.insert(k.to_owned(), "must be a date as YYYY-MM-DD".to_owned());
                None
            }
        },
    };
    let from = day("from", default.from());
    let to = day("to", default.to());
    let (Some(from), Some(to)) = (from, to) else {
        return (default, errors);
    };
    match Period::new(from, to) {
        Ok(p) => (p, errors),
        Err(PeriodError::Reversed) => {
            errors.insert("to".to_owned(), "must not be before the start".to_owned());
            (default, errors)
        }
        Err(PeriodError::TooLong) => {
            errors.insert(
                "to".to_owned(),
                "at most 366 days after the start".to_owned(),
            );
            (default, errors)
        }
    }
}

/// `GET /console/overview`.
pub async fn page(
    state: web::Data<AppState>,
    c: Console,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let language = c.language;
    let t = T(language);
    let today = amsterdam_date(Utc::now());
    let (period, errors) = period(&q, today);
    let tenant = q
        .get("tenant")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let who = principal.clone();
    let asked = tenant.clone();
    let loaded = state
        .db
        .run(move |conn| {
            let (scope, o) = overview(conn, &who, asked.as_deref(), period, today)?;
            let tenants = tenant_choices(conn, &who)?;
            Ok::<_, AppError>((scope, o, tenants))
        })
        .await;
    let (scope, o, tenants) = match loaded {
        Ok(x) => x,
        Err(e) => return c.error(&e),
    };
    let r = &o.report;
    let tenant_param = match (&principal.role, &scope) {
        (Role::Controller, _) | (_, None) => String::new(),
        (_, Some(s)) => format!("&tenant={}", super::encode(&s.slug)),
    };
    let preset = |weeks: i64| {
        let from = week_of(today) - Duration::weeks(weeks - 1);
        format!("/console/overview?from={from}&to={today}{tenant_param}")
    };
    let v = OverviewView {
        scope: match &scope {
            Some(s) => format!("{} ({})", s.name, s.slug),
            None => t.t("all_tenants").to_owned(),
        },
        from: period.from().to_string(),
        to: period.to().to_string(),
        from_label: short(period.from()),
        to_label: short(period.to()),
        show_tenant: principal.role != Role::Controller,
        tenants: tenants
            .into_iter()
            .map(|(slug, name)| Choice {
                selected: scope.as_ref().is_some_and(|s| s.slug == slug),
                label: format!("{name} ({slug})"),
                value: slug,
            })
            .collect(),
        errors: super::text::localise_errors(errors, language),
        presets: vec![
            (preset(4), "last_4_weeks"),
            (preset(12), "last_12_weeks"),
            (preset(52), "last_52_weeks"),
        ],
        tiles: vec![
            ("received_in_period", r.received.to_string()),
            ("answered_cap", r.answered.to_string()),
            ("on_time_legal", percent(r.legal.on_time, r.answered)),
            ("on_time_promised", percent(r.promised.on_time, r.answered)),
            ("median_days", days(r.median_days_to_answer, language)),
            ("open_now", o.open_total.to_string()),
        ],
        figures: figures(&o, today, language),
        lang: language,
    };
    let status = if v.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = c.page(t.t("overview"), "overview");
    c.render(status, OverviewTemplate { p: &p, v: &v }.render())
}
