//! `AppError`: every way a call can fail, mapped once to the contract's error JSON
//! `{"error": {"code", "message", "fields"}}`. A 500 never shows internals.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::deadline::ExtensionError;
use crate::domain::lifecycle::PlanError;
use crate::domain::status::TransitionError;
use crate::store::StoreError;

/// Field path (e.g. `subject.email`) → what is wrong with it.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedBody(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("some fields are not valid")]
    Validation(FieldErrors),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// Support asked for tenant data without a running access grant of the controller.
    #[error("{0}")]
    GrantRequired(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    InvalidTransition(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("too many requests; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable")]
    Unavailable(String),
    /// Shown to a client as a fixed text; the cause is for the log (and a job's stored error).
    #[error("internal error: {0}")]
    Internal(String),
    /// A store failure, kept whole so callers can tell e.g. a unique violation.
    #[error("store: {0}")]
    Store(StoreError),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(path: &str, problem: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(path.to_owned(), problem.into());
        Self::Validation(fields)
    }

    pub fn unauthorized() -> Self {
        Self::Unauthorized("sign in with a valid token".to_owned())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedBody(_) => "malformed_body",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Validation(_) => "validation_failed",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::GrantRequired(_) => "grant_required",
            Self::NotFound => "not_found",
            Self::InvalidTransition(_) => "invalid_transition",
            Self::Conflict { code, .. } | Self::Gone { code, .. } => code,
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
            Self::Store(StoreError::Pool(_)) => "unavailable",
            Self::Store(_) => "internal",
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::GrantRequired(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::InvalidTransition(_) | Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Gone { .. } => StatusCode::GONE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(StoreError::Pool(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Self::Internal(cause) => {
                tracing::error!(error.cause = %cause, "internal error");
                "something went wrong on our side; it has been logged".to_owned()
            }
            Self::Store(StoreError::Pool(e)) => {
                tracing::warn!(error.cause = %e, "store unavailable");
                "the service is temporarily unavailable".to_owned()
            }
            Self::Store(e) => {
                tracing::error!(error.cause = %e, "store error");
                "something went wrong on our side; it has been logged".to_owned()
            }
            Self::Unavailable(cause) => {
                tracing::warn!(error.cause = %cause, "unavailable");
                self.to_string()
            }
            other => other.to_string(),
        };
        let fields = match self {
            Self::Validation(f) => f.clone(),
            _ => BTreeMap::new(),
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                fields,
            },
        })
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Query(diesel::result::Error::NotFound) => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<PlanError> for AppError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Transition(TransitionError::Forbidden { .. }) => {
                Self::Forbidden(e.to_string())
            }
            PlanError::GroundNotForKind => Self::field("ground", e.to_string()),
            PlanError::Release(_) => Self::field("release_bundle", e.to_string()),
            PlanError::NoQuestion => Self::InvalidTransition(e.to_string()),
            // GDPR art. 12(3): the extension had to be announced within one month of receipt.
            PlanError::Extension(ExtensionError::TooLate { .. }) => Self::Conflict {
                code: "extension_too_late",
                message: e.to_string(),
            },
            PlanError::Transition(TransitionError::NotInStatus { .. })
            | PlanError::TenantRequired
            | PlanError::Extension(_)
            | PlanError::IdentityAlreadyRequested
            | PlanError::NoIdentityRequested => Self::InvalidTransition(e.to_string()),
            PlanError::Deadline(_) => Self::field("received_at", e.to_string()),
        }
    }
}

/// An error and its causes as one line, outermost first (`bundle failed: store: database
/// error: …`), for the log and for a job's stored error. A cause whose text the line already
/// holds (an error that prints its source in its own message) is not repeated.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = e.source();
    }
    line
}

/// For handlers: a missing file is a 404; anything else is ours (a 500 that names no internals).
impl From<crate::store::files::FileError> for AppError {
    fn from(e: crate::store::files::FileError) -> Self {
        use crate::store::files::FileError;
        match e {
            FileError::NotFound => Self::NotFound,
            FileError::Store(e) => e.into(),
            FileError::Tampered => {
                Self::Internal("a stored file failed its integrity check".to_owned())
            }
            FileError::Io(e) => Self::Internal(format!("file storage: {e}")),
        }
    }
}

#[cfg(test)]
mod chain_tests {
    use super::chain;

    #[derive(Debug, thiserror::Error)]
    #[error("reading the map failed")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("the file: {0}")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn every_cause_once_outermost_first() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(
            chain(&Outer(Middle(io))),
            "reading the map failed: the file: no such file"
        );
    }
}
