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

/// The answers every route can give because of the layers it passes through, added to each
/// operation that does not list them itself, so the document names every status a route
/// answers: a staff token (401, 403), a path that names something (404), a query (400),
/// parameters (422), a JSON body (400, 413, 422), and the store being unreachable (503).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterIn};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        let add = |op: &mut Operation, status: &str, description: &str| {
            op.responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| error(description));
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
                continue;
            }
            let ops = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for op in ops.into_iter().flatten() {
                let params = op.parameters.iter().flatten().filter_map(|p| match p {
                    RefOr::T(p) => Some(p.parameter_in.clone()),
                    RefOr::Ref(_) => None,
                });
                let (mut in_path, mut in_query) = (false, false);
                for place in params {
                    in_path |= matches!(place, ParameterIn::Path);
                    in_query |= matches!(place, ParameterIn::Query);
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add(op, "401", "no staff token, or not a valid one");
                    add(op, "403", "the role or tenant does not allow it");
                }
                if in_path {
                    add(op, "404", "not found (or not the caller's tenant's)");
                }
                if in_query {
                    add(op, "400", "a query that cannot be read");
                }
                if in_path || in_query {
                    add(
                        op,
                        "422",
                        "a parameter that is not valid; `fields` says which",
                    );
                }
                if op.request_body.is_some() {
                    add(op, "400", "malformed body");
                    add(op, "413", "body too large");
                    add(op, "422", "invalid input; `fields` says which");
                }
                add(op, "503", "the store is temporarily unavailable");
            }
        }
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
        super::execution::create,
        super::execution::show,
        super::execution::approve,
        super::execution::dispute,
        super::certificates::jws,
        super::certificates::html,
        super::certificates::jwks,
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
        super::ops::metrics_guarded,
        openapi_json,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::service::jws::Jwks, crate::service::jws::Jwk)),
    modifiers(&BearerAuth, &CommonResponses),
    tags(
        (name = "requests", description = "intake, the queue and the lifecycle"),
        (name = "subject", description = "the data subject's own links"),
        (name = "bundles", description = "the subject's data from the tenant's systems, as a zip"),
        (name = "execution", description = "carrying out rectification, erasure and restriction in the tenant's systems: plan, approval, progress"),
        (name = "grants", description = "a controller's time-boxed permission for support to reach its data"),
        (name = "certificates", description = "signed proof of what was erased, corrected or restricted, and the keys that verify it"),
        (name = "audit", description = "who read or changed a tenant's data: a hash chain anyone can verify"),
        (name = "auth"), (name = "admin"), (name = "operations"),
    )
)]
pub struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::LazyLock<utoipa::openapi::OpenApi> =
        std::sync::LazyLock::new(ApiDoc::openapi);
    &DOC
}

/// The methods the document lists for a concrete path (`/api/v1/requests/DSR-…`), HEAD
/// with GET; empty when no route has that path. For 405 and its `Allow` header.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let matches = |template: &str| {
        let (mut t, mut p) = (template.split('/'), path.split('/'));
        loop {
            match (t.next(), p.next()) {
                (None, None) => return true,
                (Some(ts), Some(ps)) if ts.starts_with('{') && !ps.is_empty() => {}
                (Some(ts), Some(ps)) if ts == ps => {}
                _ => return false,
            }
        }
    };
    // The most specific templates only (`…/{reference}/status` over `…/{reference}/{action}`).
    let params = |t: &str| t.split('/').filter(|s| s.starts_with('{')).count();
    let paths = &document().paths.paths;
    let Some(fewest) = paths.keys().filter(|t| matches(t)).map(|t| params(t)).min() else {
        return Vec::new();
    };
    let mut methods = Vec::new();
    for (template, item) in paths {
        if !matches(template) || params(template) != fewest {
            continue;
        }
        for (method, present) in [
            ("GET", item.get.is_some()),
            ("HEAD", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ] {
            if present && !methods.contains(&method) {
                methods.push(method);
            }
        }
    }
    methods
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", responses((status = 200, content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
