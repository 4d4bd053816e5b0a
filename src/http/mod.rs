//! actix-web: routes per resource, extractors, middleware. Handlers are thin: parse,
//! authorise, call one service function, render.

pub mod audit;
pub mod auth;
pub mod body;
pub mod bundles;
pub mod certificates;
pub mod console;
pub mod deadlines;
pub mod execution;
pub mod extract;
pub mod file_body;
pub mod form;
pub mod grants;
pub mod id_documents;
pub mod identities;
pub mod intake;
pub mod jobs;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod params;
/// The limits live beside the state that holds them (`crate::limits`); the old path stays.
pub use crate::limits as rate_limit;
pub mod report;
pub mod requests;
pub mod subject;
pub mod telemetry;
pub mod tenants;
pub mod views;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};

use crate::error::AppError;

/// Registers every route. More specific routes come before `/{reference}/{action}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| AppError::MalformedBody(e.to_string()).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
    .route("/healthz", web::get().to(ops::healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics_guarded))
    .route("/.well-known/jwks.json", web::get().to(certificates::jwks))
    .service(
        web::scope("/api/v1")
            // Answers hold personal data and tokens: no cache keeps them, and no browser
            // guesses a JSON error into HTML (the pages set both themselves).
            .wrap(
                DefaultHeaders::new()
                    .add((header::CACHE_CONTROL, "no-store"))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")),
            )
            .route("/openapi.json", web::get().to(openapi::openapi_json))
            .route("/auth/login", web::post().to(auth::login))
            .route("/verify", web::get().to(subject::verify))
            .route("/tenants", web::get().to(tenants::list))
            .route("/tenants", web::post().to(tenants::create))
            .route("/users", web::post().to(tenants::create_staff_user))
            .route("/tenants/{slug}/grants", web::post().to(grants::create))
            .route("/tenants/{slug}/grants", web::get().to(grants::list))
            .route(
                "/tenants/{slug}/grants/{id}",
                web::delete().to(grants::revoke),
            )
            .route("/tenants/{slug}/audit", web::get().to(audit::list))
            .route("/tenants/{slug}/report", web::get().to(report::show))
            .route("/deadlines", web::get().to(deadlines::list))
            .route("/jobs", web::get().to(jobs::list))
            .route("/jobs/{id}/retry", web::post().to(jobs::retry))
            .route("/requests", web::post().to(intake::file_request))
            .route("/requests", web::get().to(requests::list))
            .route(
                "/requests/{reference}",
                web::get().to(requests::get_request),
            )
            .route(
                "/requests/{reference}/status",
                web::get().to(subject::status),
            )
            .route(
                "/requests/{reference}/bundle",
                web::post().to(bundles::create),
            )
            .route("/requests/{reference}/bundle", web::get().to(bundles::show))
            .route(
                "/requests/{reference}/plan",
                web::post().to(execution::create),
            )
            .route(
                "/requests/{reference}/plan/{id}",
                web::get().to(execution::show),
            )
            .route(
                "/requests/{reference}/plan/{id}/approve",
                web::post().to(execution::approve),
            )
            .route(
                "/requests/{reference}/rectification_disputed",
                web::post().to(execution::dispute),
            )
            .route(
                "/requests/{reference}/certificate",
                web::get().to(certificates::jws),
            )
            .route(
                "/requests/{reference}/certificate.html",
                web::get().to(certificates::html),
            )
            .route(
                "/requests/{reference}/identities",
                web::get().to(identities::list),
            )
            .route(
                "/requests/{reference}/identities",
                web::post().to(identities::add),
            )
            .route(
                "/requests/{reference}/identities/{id}",
                web::delete().to(identities::remove),
            )
            .route("/bundles/download", web::get().to(bundles::download))
            .route(
                "/requests/{reference}/id_document",
                web::get().to(id_documents::get),
            )
            .route(
                "/requests/{reference}/id_document",
                web::post().to(id_documents::upload),
            )
            .route(
                "/requests/{reference}/{action}",
                web::post().to(requests::perform),
            ),
    )
    .configure(console::configure)
    .configure(form::configure)
    .default_service(web::to(not_found));
}

/// The metrics listener (`INZAGE_METRICS_BIND`): `/metrics` only.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(ops::metrics))
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(AppError::NotFound)
        }));
}

/// No route took the call: 405 with `Allow` when the path is a route's with another method
/// (RFC 9110 §15.5.6), else 404.
async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, AppError> {
    let allowed = openapi::allowed_methods(req.path());
    if allowed.is_empty() || allowed.contains(&req.method().as_str()) {
        return Err(AppError::NotFound);
    }
    let body = crate::error::ErrorBody {
        error: crate::error::ErrorDetail {
            code: "method_not_allowed".to_owned(),
            message: format!(
                "{} is not allowed here; use {}",
                req.method(),
                allowed.join(", ")
            ),
            fields: Default::default(),
        },
    };
    Ok(HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allowed.join(", ")))
        .json(body))
}

/// `HEAD` wherever `GET` works (RFC 9110 §9.3.2): the GET handler answers, its headers are
/// kept and its body is dropped. Runs before routing.
pub async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let head = req.method() == actix_web::http::Method::HEAD;
    if head {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    let res = next.call(req).await?;
    if head {
        return Ok(res.map_body(|_, _| actix_web::body::BoxBody::new(())));
    }
    Ok(res.map_into_boxed_body())
}
