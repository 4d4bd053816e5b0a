//! `POST /api/v1/auth/login`: e-mail and password for a 12-hour staff token.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use utoipa::ToSchema;

use super::body::{Fields, Input, JSON_LIMIT, read_body};
use super::views::SessionView;
use crate::error::{AppError, AppResult};
use crate::service::admin::sign_in;
use crate::state::AppState;

#[derive(Debug, Default, serde::Deserialize, ToSchema)]
pub struct LoginBody {
    #[schema(value_type = String, required = true, pattern = r"\S")]
    #[serde(default)]
    pub email: Input,
    #[schema(value_type = String, required = true, pattern = r"\S")]
    #[serde(default)]
    pub password: Input,
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginBody,
    responses((status = 200, body = SessionView), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody, description = "too many failed sign-ins; see Retry-After"),
              (status = 503, body = crate::error::ErrorBody))
)]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (_, body) = read_body::<LoginBody>(&req, payload, JSON_LIMIT).await?;
    let mut f = Fields::new();
    let email = f.req_str("email", &body.email).map(str::to_owned);
    let password = f.req_str("password", &body.password).map(str::to_owned);
    f.finish()?;
    let (email, password) = (email.unwrap_or_default(), password.unwrap_or_default());
    // Growing waits after failed sign-ins, per client IP and per account (429).
    state.limits.check_login(&req, &email)?;
    let session = match sign_in(&state, &email, &password, Utc::now()).await {
        Ok(session) => session,
        Err(e) => {
            if matches!(e, AppError::Unauthorized(_)) {
                state.limits.login_failed(&req, &email);
            }
            return Err(e);
        }
    };
    state.limits.login_succeeded(&email);
    tracing::info!(user_id = %session.principal.user_id, role = %session.principal.role, "signed in");
    Ok(HttpResponse::Ok().json(SessionView {
        token: session.token,
        expires_at: session
            .expires_at
            .with_timezone(&chrono_tz::Europe::Amsterdam)
            .fixed_offset(),
        role: session.principal.role.as_str().to_owned(),
        tenant: session.principal.tenant_slug,
    }))
}
