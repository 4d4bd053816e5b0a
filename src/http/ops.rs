//! Operations: liveness, readiness and Prometheus metrics.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The store answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200), (status = 503)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok()
            .json(serde_json::json!({"status": "ready", "store": state.db.backend().name()})),
        Err(e) => {
            tracing::warn!(error = %e, "store not reachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"}))
        }
    }
}

/// Prometheus text exposition, on the main listener: only with the bearer token
/// `INZAGE_METRICS_TOKEN` (the counts cover every tenant); without one configured it does not
/// exist here (404) and lives on `INZAGE_METRICS_BIND` only.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/plain"),
              (status = 401, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody, description = "no INZAGE_METRICS_TOKEN configured")))]
pub async fn metrics_guarded(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let Some(expected) = &state.settings.metrics_token else {
        return Err(AppError::NotFound);
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared by their SHA-256, so the time taken says nothing about the token.
    let same =
        Sha256::digest(given.as_bytes()) == Sha256::digest(expected.expose_secret().as_bytes());
    if !same {
        return Err(AppError::Unauthorized(
            "the metrics token is missing or wrong".to_owned(),
        ));
    }
    metrics(state).await
}

/// Prometheus text exposition (the metrics listener, `INZAGE_METRICS_BIND`).
pub async fn metrics(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let crate::service::ops::Counts {
        requests,
        jobs,
        outbox,
    } = state.db.run(crate::service::ops::counts).await?;
    let erasures = state
        .db
        .run(crate::service::retention::erasure_count)
        .await?;
    state.metrics.request_erasures.set(erasures);
    let m = &state.metrics;
    m.requests.reset();
    for (status, kind, n) in requests {
        m.requests
            .with_label_values(&[status.as_str(), kind.as_str()])
            .set(n);
    }
    m.jobs.reset();
    for (job_state, kind, n) in jobs {
        m.jobs
            .with_label_values(&[job_state.as_str(), kind.as_str()])
            .set(n);
    }
    m.outbox.reset();
    for (mail_state, n) in outbox.by_state {
        m.outbox.with_label_values(&[mail_state.as_str()]).set(n);
    }
    m.outbox_oldest_pending
        .set(outbox.oldest_pending_secs.unwrap_or(0));
    let body = state
        .metrics
        .render()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}
