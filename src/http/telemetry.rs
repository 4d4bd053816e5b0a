//! Request ids, the root span of every HTTP request, and latency metrics.
//!
//! The span names the route *pattern*, never the path's query string: links carry tokens,
//! and nothing a subject typed belongs in a log line.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

use crate::metrics::Metrics;

pub struct InzageRootSpan;

impl RootSpanBuilder for InzageRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "http",
            request_id = %request_id,
            method = %request.method(),
            route = %route,
            status = tracing::field::Empty,
            error = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        match outcome {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                if let Some(e) = response.response().error()
                    && response.status().is_server_error()
                {
                    span.record("error", tracing::field::display(e));
                }
            }
            Err(e) => {
                span.record("status", e.as_response_error().status_code().as_u16());
            }
        }
    }
}

/// Records latency by route pattern and sets `x-request-id` on every response.
pub async fn observe<B: MessageBody>(
    metrics: Metrics,
    req: ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().to_string();
    let mut res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    metrics
        .http_duration
        .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
        .observe(start.elapsed().as_secs_f64());
    let id = res
        .request()
        .extensions()
        .get::<RequestId>()
        .map(ToString::to_string);
    if let Some(Ok(value)) = id.map(|id| HeaderValue::from_str(&id)) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
