//! Operations: liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, web};

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::requests::counts_by_status_and_kind;

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

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let counts = state
        .db
        .run(|conn| counts_by_status_and_kind(conn).map_err(AppError::from))
        .await?;
    state.metrics.requests.reset();
    for (status, kind, n) in counts {
        state
            .metrics
            .requests
            .with_label_values(&[status.as_str(), kind.as_str()])
            .set(n);
    }
    let body = state
        .metrics
        .render()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}
