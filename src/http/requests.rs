//! Staff routes on requests: the queue, one request, and the actions.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use utoipa::ToSchema;

use super::body::{Fields, Input, JSON_LIMIT, read_body};
use super::extract::{Staff, reference_path};
use super::views::{ListView, RequestSummary, RequestView};
use crate::domain::deadline::ExtensionMonths;
use crate::domain::lifecycle::Command;
use crate::domain::request::staff_text;
use crate::domain::{Action, RefusalGround, RequestKind, Status};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::service::actions::{ActionRequest, act};
use crate::service::now;
use crate::service::queries::{QueueQuery, detail, queue};
use crate::state::AppState;

/// Longest note, reason, outcome or method staff may write.
const NOTE_MAX: usize = 5_000;

fn end_of_day(d: NaiveDate) -> Option<chrono::NaiveDateTime> {
    use chrono::TimeZone;
    let next = d.succ_opt()?.and_hms_opt(0, 0, 0)?;
    Some(
        chrono_tz::Europe::Amsterdam
            .from_local_datetime(&next)
            .earliest()?
            .naive_utc(),
    )
}

/// Parses the queue's query string; every problem is a field of one 422.
pub fn parse_queue_query(q: &HashMap<String, String>) -> AppResult<QueueQuery> {
    let mut errors = FieldErrors::new();
    let mut query = QueueQuery {
        page: 1,
        per_page: 50,
        ..QueueQuery::default()
    };
    for (key, value) in q {
        let value = value.trim();
        match key.as_str() {
            "status" => {
                for s in value.split(',').filter(|s| !s.is_empty()) {
                    match s.parse::<Status>() {
                        Ok(st) => query.statuses.push(st),
                        Err(e) => {
                            errors.insert("status".into(), e.to_string());
                        }
                    }
                }
            }
            "tenant" if !value.is_empty() => query.tenant_slug = Some(value.to_owned()),
            "tenant" => {}
            "kind" => match value.parse::<RequestKind>() {
                Ok(k) => query.kind = Some(k),
                Err(e) => {
                    errors.insert("kind".into(), e.to_string());
                }
            },
            "overdue" => match value {
                "true" => query.overdue_at = Some(now()),
                "false" | "" => {}
                _ => {
                    errors.insert("overdue".into(), "must be true or false".into());
                }
            },
            "due_before" => {
                let parsed = DateTime::parse_from_rfc3339(value)
                    .map(|t| t.with_timezone(&Utc).naive_utc())
                    .ok()
                    .or_else(|| value.parse::<NaiveDate>().ok().and_then(end_of_day));
                match parsed {
                    Some(t) => query.due_before = Some(t),
                    None => {
                        errors.insert(
                            "due_before".into(),
                            "must be a YYYY-MM-DD date or an RFC 3339 time".into(),
                        );
                    }
                }
            }
            "page" => match value.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => query.page = n,
                _ => {
                    errors.insert("page".into(), "must be a whole number from 1".into());
                }
            },
            "per_page" => match value.parse::<i64>() {
                Ok(n) if (1..=200).contains(&n) => query.per_page = n,
                _ => {
                    errors.insert(
                        "per_page".into(),
                        "must be a whole number from 1 to 200".into(),
                    );
                }
            },
            "open" => match value {
                "true" => query.open_only = true,
                "false" | "" => {}
                _ => {
                    errors.insert("open".into(), "must be true or false".into());
                }
            },
            _ => {
                errors.insert(key.clone(), "is not a known filter".into());
            }
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The queue, soonest deadline first.
#[utoipa::path(
    get, path = "/api/v1/requests", tag = "requests",
    params(
        ("status" = Option<String>, Query, description = "one status or several, comma-separated",
         pattern = r"^,*((awaiting_verification|received|forwarded|acknowledged|in_progress|completed|refused|withdrawn)(,+(awaiting_verification|received|forwarded|acknowledged|in_progress|completed|refused|withdrawn))*)?,*$"),
        ("tenant" = Option<String>, Query, description = "tenant slug"),
        ("kind" = Option<RequestKind>, Query),
        ("overdue" = Option<bool>, Query, description = "only open requests past their due moment"),
        ("due_before" = inline(Option<super::params::InstantParam>), Query, description = "YYYY-MM-DD (end of that day, Europe/Amsterdam) or RFC 3339"),
        ("open" = Option<bool>, Query, description = "only open requests"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000),
        ("per_page" = Option<i64>, Query, description = "1-200, default 50", minimum = 1, maximum = 200),
    ),
    responses((status = 200, body = ListView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    q: web::Query<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let query = parse_queue_query(&q)?;
    let page = state
        .db
        .run(move |conn| queue(conn, &principal, &query))
        .await?;
    let at = now();
    let items = page
        .items
        .iter()
        .map(|r| {
            let slug = r
                .tenant_id
                .as_ref()
                .and_then(|id| page.tenant_slugs.get(id).cloned());
            RequestSummary::of(r, slug, at)
        })
        .collect();
    Ok(HttpResponse::Ok().json(ListView {
        items,
        total: page.total,
    }))
}

/// One request with its full history. The read is audited.
#[utoipa::path(
    get, path = "/api/v1/requests/{reference}", tag = "requests",
    params(("reference" = String, Path, example = "DSR-2026-000042")),
    responses((status = 200, body = RequestView), (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_request(
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let reference = reference_path(&path)?;
    let who = principal.clone();
    let d = state
        .db
        .run(move |conn| detail(conn, &who, &reference))
        .await?;
    Ok(HttpResponse::Ok().json(RequestView::of_detail(
        &d,
        &principal,
        &state.calendar,
        now(),
    )))
}

/// The body of an action, per action (docs/api.md, "Action bodies").
#[derive(Debug, Default, serde::Deserialize, ToSchema)]
pub struct ActionBody {
    /// assign: the tenant's slug.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub tenant: Input,
    /// forward, request_identity (required), withdraw.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub note: Input,
    /// request_identity: ask for a copy of an ID document on this request (only where the
    /// tenant allows copies; needs `reason`).
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub id_copy: Input,
    /// extend: 1 or 2.
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    pub months: Input,
    /// extend, refuse (required); request_identity with `id_copy` (required): why nothing less
    /// intrusive will do.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub reason: Input,
    /// identity_confirmed (required): how the identity was checked.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub method: Input,
    /// complete (required).
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub outcome: Input,
    /// refuse (required).
    #[schema(value_type = Option<RefusalGround>)]
    #[serde(default)]
    pub ground: Input,
}

fn text(f: &mut Fields, path: &str, input: &Input, required: bool) -> Option<String> {
    f.parse(path, input, required, |s| staff_text(s, NOTE_MAX))
}

/// Parses an action's body into what the service performs.
pub fn parse_action(action: Action, body: &ActionBody) -> AppResult<ActionRequest> {
    let mut f = Fields::new();
    let command = match action {
        Action::Assign => {
            let tenant = f
                .req_str("tenant", &body.tenant)
                .map(|s| s.trim().to_owned());
            f.finish()?;
            return tenant
                .map(|tenant_slug| ActionRequest::Assign { tenant_slug })
                .ok_or_else(|| AppError::field("tenant", "is required"));
        }
        Action::Forward => Some(Command::Forward {
            note: text(&mut f, "note", &body.note, false),
        }),
        Action::Acknowledge => Some(Command::Acknowledge),
        Action::Start => Some(Command::Start),
        Action::Extend => {
            let months = match f.opt_i64("months", &body.months) {
                None if !body.months.is_present() => {
                    f.error("months", "is required");
                    None
                }
                None => None,
                Some(m) => ExtensionMonths::try_from(m)
                    .map_err(|_| f.error("months", "must be 1 or 2"))
                    .ok(),
            };
            let reason = text(&mut f, "reason", &body.reason, true);
            months
                .zip(reason)
                .map(|(months, reason)| Command::Extend { months, reason })
        }
        Action::RequestIdentity => {
            // A copy of an ID document only by necessity, with the reason why nothing less
            // intrusive will do (EDPB Guidelines 01/2022 §§69, 73-77).
            let id_copy = f.opt_bool("id_copy", &body.id_copy).unwrap_or(false);
            let reason = text(&mut f, "reason", &body.reason, false);
            if id_copy && reason.is_none() && !body.reason.is_present() {
                f.error(
                    "reason",
                    "is required with id_copy: say why nothing less intrusive will do",
                );
            }
            let note = text(&mut f, "note", &body.note, true);
            note.map(|note| Command::RequestIdentity {
                note,
                id_copy_reason: reason.filter(|_| id_copy),
            })
        }
        Action::IdentityConfirmed => text(&mut f, "method", &body.method, true)
            .map(|method| Command::IdentityConfirmed { method }),
        Action::Complete => text(&mut f, "outcome", &body.outcome, true)
            .map(|outcome| Command::Complete { outcome }),
        Action::Refuse => {
            let ground = f.parse("ground", &body.ground, true, str::parse::<RefusalGround>);
            // Art. 12(4): the subject is told why; a reason is always required.
            let reason = text(&mut f, "reason", &body.reason, true);
            ground
                .zip(reason)
                .map(|(ground, reason)| Command::Refuse { ground, reason })
        }
        Action::Withdraw => Some(Command::Withdraw {
            note: text(&mut f, "note", &body.note, false),
        }),
        Action::Verify => None,
    };
    f.finish()?;
    command
        .map(ActionRequest::Command)
        .ok_or(AppError::NotFound)
}

/// Performs an action on a request.
#[utoipa::path(
    post, path = "/api/v1/requests/{reference}/{action}", tag = "requests",
    params(
        ("reference" = String, Path, example = "DSR-2026-000042"),
        ("action" = String, Path, description = "assign, forward, acknowledge, start, extend, request_identity, identity_confirmed, complete, refuse, withdraw"),
    ),
    request_body = ActionBody,
    responses((status = 200, body = RequestView), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn perform(
    req: HttpRequest,
    state: web::Data<AppState>,
    Staff(principal): Staff,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (reference, action) = path.into_inner();
    let action = Action::parse_staff(&action).ok_or(AppError::NotFound)?;
    let reference = reference_path(&reference)?;
    let (_, body) = read_body::<ActionBody>(&req, payload, JSON_LIMIT).await?;
    let request = parse_action(action, &body)?;
    let (st, who) = (state.clone(), principal.clone());
    let d = state
        .db
        .run(move |conn| {
            act(conn, &st, &who, &reference, request, Utc::now())?;
            detail(conn, &who, &reference)
        })
        .await?;
    tracing::info!(reference = %d.request.reference, action = %action, status = %d.request.status, "action performed");
    Ok(HttpResponse::Ok().json(RequestView::of_detail(
        &d,
        &principal,
        &state.calendar,
        now(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: serde_json::Value) -> ActionBody {
        super::super::body::from_value(v).unwrap()
    }

    #[test]
    fn action_bodies() {
        assert!(matches!(
            parse_action(Action::Assign, &body(json!({"tenant": "acme"}))),
            Ok(ActionRequest::Assign { .. })
        ));
        assert!(matches!(
            parse_action(Action::Assign, &body(json!({}))),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            parse_action(Action::Extend, &body(json!({"months": 3, "reason": "x"}))),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            parse_action(Action::Extend, &body(json!({"months": 2}))),
            Err(AppError::Validation(_))
        ));
        assert!(
            parse_action(
                Action::Extend,
                &body(json!({"months": 1, "reason": "many systems"}))
            )
            .is_ok()
        );
        assert!(matches!(
            parse_action(
                Action::Refuse,
                &body(json!({"ground": "spite", "reason": "x"}))
            ),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            parse_action(Action::Refuse, &body(json!({"ground": "excessive"}))),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            parse_action(Action::Complete, &body(json!({"outcome": "   "}))),
            Err(AppError::Validation(_))
        ));
        assert!(parse_action(Action::Acknowledge, &body(json!({}))).is_ok());
    }

    #[test]
    fn queue_filters() {
        let q = |pairs: &[(&str, &str)]| {
            parse_queue_query(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let ok = q(&[
            ("status", "received,forwarded"),
            ("kind", "access"),
            ("per_page", "10"),
        ])
        .unwrap();
        assert_eq!(ok.statuses.len(), 2);
        assert_eq!(ok.per_page, 10);
        assert!(q(&[("status", "lost")]).is_err());
        assert!(q(&[("per_page", "1000")]).is_err());
        assert!(q(&[("due_before", "tomorrow")]).is_err());
        assert!(q(&[("color", "red")]).is_err());
        assert!(
            q(&[("due_before", "2026-04-07")])
                .unwrap()
                .due_before
                .is_some()
        );
    }
}
