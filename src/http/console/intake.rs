//! `GET|POST /console/requests/new`: support enters a request that came by letter, phone or
//! e-mail, with the day it arrived; the deadline is shown before it is saved (a check step),
//! then it is filed through the same service intake as the API's staff intake.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

use super::text::{T, channel_label};
use super::{Console, Page, request_path, see_other};
use crate::auth::Principal;
use crate::domain::deadline::amsterdam_date;
use crate::domain::{
    Channel, Details, Language, RequestKind, Role, SubjectEmail, SubjectName, SubjectPhone,
};
use crate::error::{AppError, FieldErrors};
use crate::http::pages::{date, kind_label};
use crate::service::console::{preview_deadline, tenant_choices};
use crate::service::intake::{Intake, file};
use crate::state::AppState;

/// How far back a request may be dated (as the API's staff intake allows).
const MAX_BACKDATE_DAYS: i64 = 366;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct NewView {
    pub values: HashMap<String, String>,
    pub errors: FieldErrors,
    pub tenants: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub languages: Vec<Choice>,
    /// The check step: what will be saved, and the deadline it gets.
    pub preview: Option<Preview>,
    pub lang: Language,
}

impl NewView {
    pub fn val(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// A field's name for the error summary.
    pub fn label(&self, field: &str) -> String {
        super::text::field_label(field, self.lang)
    }
}

pub struct Preview {
    pub rows: Vec<(&'static str, String)>,
    pub legal: String,
    pub promised: String,
    pub target: String,
}

#[derive(Template)]
#[template(path = "console/new.html")]
struct NewTemplate<'a> {
    p: &'a Page,
    v: &'a NewView,
}

/// The form's fields that are carried from step to step.
const FIELDS: [&str; 9] = [
    "received_on",
    "channel",
    "tenant",
    "kind",
    "name",
    "email",
    "phone",
    "details",
    "language",
];

fn choices<I: IntoIterator<Item = (String, String)>>(items: I, selected: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

/// Parses the form into an intake, or the errors per field.
fn parse(
    f: &HashMap<String, String>,
    principal: &Principal,
    today: NaiveDate,
) -> Result<(Intake, NaiveDate), FieldErrors> {
    let mut errors = FieldErrors::new();
    let get = |k: &str| f.get(k).map(|v| v.trim()).unwrap_or_default();
    let received_on = match get("received_on").parse::<NaiveDate>() {
        Ok(d) if d > today => {
            errors.insert("received_on".into(), "must not be in the future".into());
            None
        }
        Ok(d) if d < today - Duration::days(MAX_BACKDATE_DAYS) => {
            errors.insert(
                "received_on".into(),
                format!("must be within the last {MAX_BACKDATE_DAYS} days"),
            );
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.insert("received_on".into(), "must be a date as YYYY-MM-DD".into());
            None
        }
    };
    let channel = match get("channel").parse::<Channel>() {
        Ok(c @ (Channel::Letter | Channel::Phone | Channel::Email)) => Some(c),
        _ => {
            errors.insert("channel".into(), "choose letter, phone or e-mail".into());
            None
        }
    };
    let kind = get("kind")
        .parse::<RequestKind>()
        .map_err(|e| errors.insert("kind".into(), e.to_string()))
        .ok();
    let name = SubjectName::parse(get("name"))
        .map_err(|e| errors.insert("name".into(), e.to_string()))
        .ok();
    let email = SubjectEmail::parse(get("email"))
        .map_err(|e| errors.insert("email".into(), e.to_string()))
        .ok();
    let phone = match get("phone") {
        "" => None,
        p => SubjectPhone::parse(p)
            .map_err(|e| errors.insert("phone".into(), e.to_string()))
            .ok(),
    };
    let details = match get("details") {
        "" => None,
        d => Details::parse(d)
            .map_err(|e| errors.insert("details".into(), e.to_string()))
            .ok(),
    };
    let language = get("language").parse::<Language>().unwrap_or_default();
    let tenant_slug = Some(get("tenant").to_owned()).filter(|s| !s.is_empty());
    let (Some(received_on), Some(channel), Some(kind), Some(name), Some(email)) =
        (received_on, channel, kind, name, email)
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    // The day it arrived, from the start of that day in Europe/Amsterdam (GDPR art. 12(3)).
    let received_at = received_on
        .and_hms_opt(0, 0, 0)
        .and_then(|t| {
            chrono_tz::Europe::Amsterdam
                .from_local_datetime(&t)
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
        .min(Utc::now());
    Ok((
        Intake {
            tenant_slug,
            kind,
            name,
            email,
            phone,
            details,
            language,
            channel,
            received_at,
            staff: Some(principal.clone()),
            idempotency: None,
        },
        received_on,
    ))
}

async fn render(
    state: &web::Data<AppState>,
    c: &Console,
    principal: Principal,
    status: StatusCode,
    values: HashMap<String, String>,
    errors: FieldErrors,
    preview: Option<Preview>,
) -> HttpResponse {
    let language = c.language;
    let tenants = match state
        .db
        .run(move |conn| tenant_choices(conn, &principal))
        .await
    {
        Ok(t) => t,
        Err(e) => return c.error(&e),
    };
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let v = NewView {
        tenants: choices(
            tenants
                .into_iter()
                .map(|(slug, name)| (slug.clone(), format!("{name} ({slug})"))),
            &get("tenant"),
        ),
        kinds: choices(
            RequestKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), kind_label(*k, language))),
            &get("kind"),
        ),
        channels: choices(
            [Channel::Letter, Channel::Phone, Channel::Email]
                .iter()
                .map(|ch| {
                    (
                        ch.as_str().to_owned(),
                        channel_label(*ch, language).to_owned(),
                    )
                }),
            &get("channel"),
        ),
        languages: choices(
            [("nl", "Nederlands"), ("en", "English")]
                .iter()
                .map(|(v, l)| ((*v).to_owned(), (*l).to_owned())),
            &get("language"),
        ),
        values,
        errors: super::text::localise_errors(errors, language),
        preview,
        lang: language,
    };
    let t = T(language);
    let title = if v.preview.is_some() {
        t.t("preview_title")
    } else {
        t.t("new_request")
    };
    let p = c.page(title, "new");
    c.render(status, NewTemplate { p: &p, v: &v }.render())
}

fn enters_requests(p: &Principal) -> bool {
    p.role != Role::Controller
}

/// `GET /console/requests/new`.
pub async fn form(state: web::Data<AppState>, c: Console) -> HttpResponse {
    let (principal, _) = match c.require() {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !enters_requests(&principal) {
        return c.error(&AppError::Forbidden("support enters requests".to_owned()));
    }
    let mut values = HashMap::new();
    values.insert(
        "received_on".to_owned(),
        amsterdam_date(Utc::now()).to_string(),
    );
    values.insert("language".to_owned(), "nl".to_owned());
    render(
        &state,
        &c,
        principal,
        StatusCode::OK,
        values,
        FieldErrors::new(),
        None,
    )
    .await
}

/// `POST /console/requests/new`: `step=check` shows the deadline, `step=save` files it,
/// `step=change` goes back to the form.
pub async fn submit(
    state: web::Data<AppState>,
    c: Console,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let principal = match c.require_form(&form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !enters_requests(&principal) {
        return c.error(&AppError::Forbidden("support enters requests".to_owned()));
    }
    let values: HashMap<String, String> = FIELDS
        .iter()
        .filter_map(|k| form.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let step = form.get("step").map(String::as_str).unwrap_or("check");
    let language = c.language;
    let today = amsterdam_date(Utc::now());
    let (intake, received_on) = match parse(&form, &principal, today) {
        Ok(x) => x,
        Err(errors) => {
            return render(
                &state,
                &c,
                principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                values,
                errors,
                None,
            )
            .await;
        }
    };
    if step == "change" {
        return render(
            &state,
            &c,
            principal,
            StatusCode::OK,
            values,
            FieldErrors::new(),
            None,
        )
        .await;
    }
    if step != "save" {
        let deadline = match preview_deadline(&state, received_on) {
            Ok(d) => d,
            Err(AppError::Validation(errors)) => {
                return render(
                    &state,
                    &c,
                    principal,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    values,
                    errors,
                    None,
                )
                .await;
            }
            Err(e) => return c.error(&e),
        };
        let t = T(language);
        let mut rows = vec![
            (t.t("arrived_on"), date(received_on, language)),
            (
                t.t("channel"),
                channel_label(intake.channel, language).to_owned(),
            ),
            (
                t.t("tenant"),
                intake
                    .tenant_slug
                    .clone()
                    .unwrap_or_else(|| t.t("tenant_unknown").to_owned()),
            ),
            (t.t("kind"), kind_label(intake.kind, language)),
            (t.t("subject_name"), intake.name.as_str().to_owned()),
            (t.t("subject_email"), intake.email.as_str().to_owned()),
        ];
        if let Some(p) = &intake.phone {
            rows.push((t.t("phone"), p.as_str().to_owned()));
        }
        let preview = Preview {
            rows,
            legal: date(deadline.legal, language),
            promised: date(deadline.promised, language),
            target: date(deadline.target(), language),
        };
        return render(
            &state,
            &c,
            principal,
            StatusCode::OK,
            values,
            FieldErrors::new(),
            Some(preview),
        )
        .await;
    }
    let st = state.clone();
    let result = state.db.run(move |conn| file(conn, &st, intake)).await;
    match result {
        Ok(filed) => {
            tracing::info!(reference = %filed.request.reference, "request entered in the console");
            see_other(&format!(
                "{}?done=new",
                request_path(&filed.request.reference)
            ))
        }
        Err(AppError::Validation(errors)) => {
            render(
                &state,
                &c,
                principal,
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
