//! The OpenAPI document, served at `/api/v1/openapi.json`, listing every route.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "inzage", description = "GDPR data-subject requests for a processor and its controllers"),
    paths(
        super::intake::file_request,
        super::requests::list,
        super::requests::get_request,
        super::requests::perform,
        super::bundles::create,
        super::bundles::show,
        super::bundles::download,
        super::identities::list,
        super::identities::add,
        super::identities::remove,
        super::subject::verify,
        super::subject::status,
        super::id_documents::get,
        super::id_documents::upload,
        super::auth::login,
        super::tenants::list,
        super::tenants::create,
        super::tenants::create_staff_user,
        super::deadlines::list,
        super::grants::create,
        super::grants::list,
        super::grants::revoke,
        super::audit::list,
        super::report::show,
        super::jobs::list,
        super::jobs::retry,
        super::ops::healthz,
        super::ops::readyz,
        super::ops::metrics,
        openapi_json,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "requests", description = "intake, the queue and the lifecycle"),
        (name = "subject", description = "the data subject's own links"),
        (name = "bundles", description = "the subject's data from the tenant's systems, as a zip"),
        (name = "grants", description = "a controller's time-boxed permission for support to reach its data"),
        (name = "audit", description = "who read or changed a tenant's data: a hash chain anyone can verify"),
        (name = "auth"), (name = "admin"), (name = "operations"),
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", responses((status = 200, content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
