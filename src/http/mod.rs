//! actix-web: routes per resource, extractors, middleware. Handlers are thin: parse,
//! authorise, call one service function, render.

pub mod auth;
pub mod body;
pub mod bundles;
pub mod console;
pub mod deadlines;
pub mod extract;
pub mod file_body;
pub mod id_documents;
pub mod identities;
pub mod intake;
pub mod jobs;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod rate_limit;
pub mod requests;
pub mod subject;
pub mod telemetry;
pub mod tenants;
pub mod views;

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
    .route("/metrics", web::get().to(ops::metrics))
    .service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi::openapi_json))
            .route("/auth/login", web::post().to(auth::login))
            .route("/verify", web::get().to(subject::verify))
            .route("/tenants", web::get().to(tenants::list))
            .route("/tenants", web::post().to(tenants::create))
            .route("/users", web::post().to(tenants::create_staff_user))
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
    .default_service(web::to(not_found));
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
