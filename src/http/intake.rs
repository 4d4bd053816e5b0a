//! `POST /api/v1/requests`: the intake, public or by staff.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, NaiveDate, SubsecRound, TimeZone, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::body::{Fields, Input, JSON_LIMIT, read_body};
use super::extract::MaybeStaff;
use super::views::FiledView;
use crate::auth::Principal;
use crate::domain::{
    Channel, Details, Language, RequestKind, SubjectEmail, SubjectName, SubjectPhone,
};
use crate::error::{AppError, AppResult};
use crate::service::intake::{Filed, Intake};
use crate::state::AppState;

/// The subject in an intake body.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SubjectBody {
    /// 1 to 200 characters, without control or bidirectional control characters.
    #[schema(value_type = String, required = true, example = "Anna de Vries",
             min_length = 1, max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$")]
    #[serde(default)]
    pub name: Input,
    #[schema(value_type = String, required = true, example = "anna@example.nl",
             format = Email, max_length = 254)]
    #[serde(default)]
    pub email: Input,
    /// Digits with `+ - ( ) .` and spaces: 6 to 20 digits, at most 32 characters.
    #[schema(value_type = Option<String>, max_length = 32,
             pattern = r"^[ +().-]*([0-9][ +().-]*){6,20}$")]
    #[serde(default)]
    pub phone: Input,
}

/// The intake body. `received_at` and `channel` only with a staff token.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct IntakeBody {
    /// The tenant's slug, if the subject knows it.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub tenant: Input,
    #[schema(value_type = RequestKind, required = true, example = "access")]
    #[serde(default)]
    pub kind: Input,
    #[schema(value_type = SubjectBody, required = true)]
    #[serde(default)]
    pub subject: Input,
    /// At most 10,000 characters.
    #[schema(value_type = Option<String>, max_length = 10_000)]
    #[serde(default)]
    pub details: Input,
    #[schema(value_type = Option<Language>)]
    #[serde(default)]
    pub language: Input,
    /// Staff only: when it arrived (RFC 3339, or a date for a letter).
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub received_at: Input,
    /// Staff only.
    #[schema(value_type = Option<Channel>)]
    #[serde(default)]
    pub channel: Input,
}

/// How far back staff may date a request, and how far ahead a clock may drift.
const MAX_BACKDATE_DAYS: i64 = 366;
const CLOCK_SKEW_MINUTES: i64 = 5;

/// Why a `received_at` is refused (the field's 422 message).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum ReceivedAtError {
    #[error("must be an RFC 3339 time or a YYYY-MM-DD date")]
    Format,
    #[error("is not a valid date")]
    InvalidDate,
    #[error("must not be in the future")]
    Future,
    #[error("must be within the last {MAX_BACKDATE_DAYS} days")]
    TooOld,
}

fn parse_received_at(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ReceivedAtError> {
    let at = if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        t.with_timezone(&Utc)
    } else if let Ok(d) = raw.parse::<NaiveDate>() {
        // A date alone is that day in Europe/Amsterdam (where midnight always exists).
        let start = d.and_hms_opt(0, 0, 0).ok_or(ReceivedAtError::InvalidDate)?;
        chrono_tz::Europe::Amsterdam
            .from_local_datetime(&start)
            .earliest()
            .ok_or(ReceivedAtError::InvalidDate)?
            .with_timezone(&Utc)
    } else {
        return Err(ReceivedAtError::Format);
    };
    if at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        return Err(ReceivedAtError::Future);
    }
    if at < now - Duration::days(MAX_BACKDATE_DAYS) {
        return Err(ReceivedAtError::TooOld);
    }
    Ok(at)
}

fn parse_intake(
    body: &IntakeBody,
    staff: Option<Principal>,
    now: DateTime<Utc>,
) -> AppResult<Intake> {
    let mut f = Fields::new();
    let tenant_slug = f
        .opt_str("tenant", &body.tenant)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let kind = f.parse("kind", &body.kind, true, str::parse::<RequestKind>);
    let subject: SubjectBody = f.object("subject", &body.subject, true);
    let name = f.parse("subject.name", &subject.name, true, SubjectName::parse);
    let email = f.parse("subject.email", &subject.email, true, SubjectEmail::parse);
    let phone = f.parse("subject.phone", &subject.phone, false, SubjectPhone::parse);
    let details = f.parse("details", &body.details, false, Details::parse);
    let language = f
        .parse("language", &body.language, false, str::parse::<Language>)
        .unwrap_or_default();
    let (channel, received_at) = if staff.is_some() {
        let channel = f
            .parse("channel", &body.channel, false, str::parse::<Channel>)
            .unwrap_or(Channel::Api);
        let at = f
            .parse("received_at", &body.received_at, false, |s| {
                parse_received_at(s, now)
            })
            .unwrap_or(now);
        (channel, at)
    } else {
        for (staff_only, input) in [
            ("received_at", &body.received_at),
            ("channel", &body.channel),
        ] {
            if input.is_present() {
                f.error(staff_only, "only staff may set this");
            }
        }
        (Channel::Web, now)
    };
    f.finish()?;
    let (Some(kind), Some(name), Some(email)) = (kind, name, email) else {
        return Err(AppError::MalformedBody("incomplete body".to_owned()));
    };
    Ok(Intake {
        tenant_slug,
        kind,
        name,
        email,
        phone,
        details,
        language,
        channel,
        received_at,
        staff,
        idempotency: None,
    })
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = v.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// Files a data-subject request.
#[utoipa::path(
    post, path = "/api/v1/requests", tag = "requests",
    request_body = IntakeBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "same key and body → same request")),
    responses(
        (status = 201, body = FiledView),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody),
    ),
    security((), ("bearer" = []))
)]
pub async fn file_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: MaybeStaff,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    // Public intakes are rate limited per client IP and per subject address (GDPR art. 32;
    // crate::limits); staff entering letters and calls are not.
    if staff.0.is_none() {
        state.limits.check_ip(&req)?;
    }
    let (raw, body) = read_body::<IntakeBody>(&req, payload, JSON_LIMIT).await?;
    let key = idempotency_key(&req)?;
    let filed = file_parsed(&state, staff.0, &body, &raw, key).await?;
    let mut response = HttpResponse::Created();
    if filed.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(FiledView::of(&filed.request)))
}

/// Files a parsed intake body: the one path of the API and of the subject's form
/// (`http::form`), so both have the same validation, limits, rate limits and mails. The
/// caller has checked the per-IP limit of a public intake; this checks the per-address one.
/// `raw` is what the idempotency hash covers.
pub async fn file_parsed(
    state: &web::Data<AppState>,
    staff: Option<Principal>,
    body: &IntakeBody,
    raw: &[u8],
    key: Option<String>,
) -> AppResult<Filed> {
    let public = staff.is_none();
    // Microseconds: what PostgreSQL keeps, so both stores show the same instant.
    let now = Utc::now().trunc_subsecs(6);
    let mut intake = parse_intake(body, staff, now)?;
    if public {
        state.limits.check_email(&intake.email.canonical())?;
    }
    if let Some(key) = key {
        // The hash covers the body and who filed it: a replay must be the same call.
        let mut h = Sha256::new();
        h.update(raw);
        h.update(
            intake
                .staff
                .as_ref()
                .map(|p| p.user_id.as_str())
                .unwrap_or("public"),
        );
        intake.idempotency = Some((key, hex::encode(h.finalize())));
    }
    let filed = crate::service::intake_writer::file(state, intake).await?;
    tracing::info!(reference = %filed.request.reference, replayed = filed.replayed, "request filed");
    Ok(filed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_at_accepts_dates_and_times_within_bounds() {
        let now = Utc::now();
        assert!(
            parse_received_at(
                "2026-01-05",
                Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
            )
            .is_ok()
        );
        assert!(parse_received_at(&now.to_rfc3339(), now).is_ok());
        assert!(parse_received_at(&(now + Duration::hours(1)).to_rfc3339(), now).is_err());
        assert!(parse_received_at("2001-01-01", now).is_err());
        assert!(parse_received_at("yesterday", now).is_err());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let body = serde_json::json!({"kind": "inzage", "subject": {"name": "", "email": "nope"}, "details": 5});
        let body: IntakeBody = super::super::body::from_value(body).unwrap();
        let Err(AppError::Validation(fields)) = parse_intake(&body, None, Utc::now()) else {
            panic!("expected a validation error");
        };
        for path in ["kind", "subject.name", "subject.email", "details"] {
            assert!(fields.contains_key(path), "{path} missing in {fields:?}");
        }
    }

    #[test]
    fn public_callers_cannot_backdate() {
        let body = serde_json::json!({"kind": "access", "subject": {"name": "A", "email": "a@example.nl"}, "received_at": "2026-01-01"});
        let body: IntakeBody = super::super::body::from_value(body).unwrap();
        let Err(AppError::Validation(fields)) = parse_intake(&body, None, Utc::now()) else {
            panic!("expected a validation error");
        };
        assert!(fields.contains_key("received_at"));
    }
}
