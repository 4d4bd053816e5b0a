//! Extractors: the signed-in staff user (`Staff`) or, on public routes that staff may also
//! call, an optional one (`MaybeStaff`). A present but bad token is always a 401.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::auth::Principal;
use crate::domain::UserId;
use crate::error::AppError;
use crate::service::admin::principal_for;
use crate::state::AppState;

/// A signed-in staff user.
pub struct Staff(pub Principal);

/// A staff user if the request carries a token, None if it carries none.
pub struct MaybeStaff(pub Option<Principal>);

fn bearer(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| AppError::unauthorized())?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(AppError::unauthorized)?;
    Ok(Some(token.trim().to_owned()))
}

async fn load(
    state: web::Data<AppState>,
    token: String,
    ip: Option<String>,
) -> Result<Principal, AppError> {
    let claims = state
        .tokens
        .check_staff(&token)
        .map_err(|_| AppError::unauthorized())?;
    let db = state.db.clone();
    let mut principal = db
        .run(move |conn| principal_for(conn, &UserId::from(claims.sub)))
        .await?
        .ok_or_else(AppError::unauthorized)?;
    principal.ip = ip;
    Ok(principal)
}

/// The client's address as the audit trail names it (a trusted proxy's word counts).
fn client_ip(req: &HttpRequest) -> Option<String> {
    let state = req.app_data::<web::Data<AppState>>()?;
    state.limits.client_ip(req).map(|ip| ip.to_string())
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".to_owned()))
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = app_state(req);
        let ip = client_ip(req);
        Box::pin(async move {
            let token = token?.ok_or_else(AppError::unauthorized)?;
            Ok(Staff(load(state?, token, ip).await?))
        })
    }
}

impl FromRequest for MaybeStaff {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = app_state(req);
        let ip = client_ip(req);
        Box::pin(async move {
            match token? {
                None => Ok(MaybeStaff(None)),
                Some(t) => Ok(MaybeStaff(Some(load(state?, t, ip).await?))),
            }
        })
    }
}

/// A request reference from the path; one that is not a reference is simply not found.
pub fn reference_path(raw: &str) -> Result<String, AppError> {
    raw.parse::<crate::domain::Reference>()
        .map(|r| r.to_string())
        .map_err(|_| AppError::NotFound)
}

/// The `token` query parameter of a link.
pub fn token_param(q: &std::collections::HashMap<String, String>) -> Result<String, AppError> {
    q.get("token")
        .filter(|t| !t.is_empty())
        .cloned()
        .ok_or_else(|| AppError::field("token", "is required"))
}

/// A link token that does not open: 410 when it expired (saying what to do then), else 401.
pub fn link_error(e: crate::auth::token::TokenError, when_expired: &str) -> AppError {
    match e {
        crate::auth::token::TokenError::Expired => AppError::Gone {
            code: "link_expired",
            message: when_expired.to_owned(),
        },
        _ => AppError::Unauthorized("this link is not valid".to_owned()),
    }
}
