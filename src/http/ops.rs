//! Operations: liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, web};

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

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain")))]
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
