//! `GET|POST /api/v1/tenants` and `POST /api/v1/users`: administration.

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::ToSchema;

use super::body::{Fields, Input, JSON_LIMIT, read_body};
use super::extract::Staff;
use super::views::{TenantView, UserView};
use crate::domain::{Language, Role};
use crate::error::{AppError, AppResult};
use crate::service::admin::{TenantInput, UserInput, create_tenant, create_user};
use crate::state::AppState;

fn admin_only(role: Role) -> AppResult<()> {
    if role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("only an admin may do this".to_owned()))
    }
}

/// Tenants: all for the processor's staff, its own for a controller.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "admin",
    responses((status = 200, body = Vec<TenantView>), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, Staff(p): Staff) -> AppResult<HttpResponse> {
    let tenants = state.db.run(crate::service::queries::tenants).await?;
    let visible: Vec<TenantView> = tenants
        .iter()
        .filter(|t| p.can_see_tenant(Some(&t.id)))
        .map(TenantView::of)
        .collect();
    Ok(HttpResponse::Ok().json(visible))
}

#[derive(Debug, Default, serde::Deserialize, ToSchema)]
pub struct TenantBody {
    /// 2-40 lower-case letters, digits or dashes, starting with a letter.
    #[schema(value_type = String, required = true, pattern = "^[a-z][a-z0-9-]{1,39}$")]
    #[serde(default)]
    pub slug: Input,
    #[schema(value_type = String, required = true, max_length = 200, pattern = r"\S")]
    #[serde(default)]
    pub name: Input,
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    #[serde(default)]
    pub contact_email: Input,
    #[schema(value_type = Option<Language>)]
    #[serde(default)]
    pub language: Input,
    /// Path of the tenant's data map, e.g. `exports/acme.toml`.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub datamap: Input,
    /// Whether staff may ask for a copy of an ID document on a single request of this tenant
    /// (with a reason; never by routine).
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub id_document_allowed: Input,
    /// The older name of `id_document_allowed`, meaning the same.
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub id_document_required: Input,
    /// `private` (default) or `public`: the remedies the subject is told.
    #[schema(value_type = Option<crate::domain::Sector>)]
    #[serde(default)]
    pub sector: Input,
}

#[utoipa::path(post, path = "/api/v1/tenants", tag = "admin", request_body = TenantBody,
    responses((status = 201, body = TenantView), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    Staff(p): Staff,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    admin_only(p.role)?;
    let (_, body) = read_body::<TenantBody>(&req, payload, JSON_LIMIT).await?;
    let mut f = Fields::new();
    let slug = f.req_str("slug", &body.slug).map(str::to_owned);
    let name = f.req_str("name", &body.name).map(str::to_owned);
    let contact_email = f
        .req_str("contact_email", &body.contact_email)
        .map(str::to_owned);
    let language = f
        .parse("language", &body.language, false, str::parse::<Language>)
        .unwrap_or_default();
    let datamap_path = f.opt_str("datamap", &body.datamap).map(str::to_owned);
    let allowed = f.opt_bool("id_document_allowed", &body.id_document_allowed);
    let older_name = f.opt_bool("id_document_required", &body.id_document_required);
    let id_document_required = allowed.or(older_name).unwrap_or(false);
    let sector = f
        .parse(
            "sector",
            &body.sector,
            false,
            str::parse::<crate::domain::Sector>,
        )
        .unwrap_or_default();
    f.finish()?;
    let input = TenantInput {
        slug: slug.unwrap_or_default(),
        name: name.unwrap_or_default(),
        contact_email: contact_email.unwrap_or_default(),
        language,
        datamap_path,
        id_document_required,
        sector,
    };
    let tenant = state.db.run(move |conn| create_tenant(conn, input)).await?;
    tracing::info!(tenant = %tenant.slug, by = %p.user_id, "tenant created");
    Ok(HttpResponse::Created().json(TenantView::of(&tenant)))
}

#[derive(Debug, Default, serde::Deserialize, ToSchema)]
pub struct UserBody {
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    #[serde(default)]
    pub email: Input,
    #[schema(value_type = Role, required = true)]
    #[serde(default)]
    pub role: Input,
    /// Required for a controller: its tenant's slug.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub tenant: Input,
    /// At least 12 characters.
    #[schema(value_type = String, required = true, min_length = 12)]
    #[serde(default)]
    pub password: Input,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = UserBody,
    responses((status = 201, body = UserView), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_staff_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    Staff(p): Staff,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    admin_only(p.role)?;
    let (_, body) = read_body::<UserBody>(&req, payload, JSON_LIMIT).await?;
    let mut f = Fields::new();
    let email = f.req_str("email", &body.email).map(str::to_owned);
    let role = f.parse("role", &body.role, true, str::parse::<Role>);
    let tenant_slug = f.opt_str("tenant", &body.tenant).map(str::to_owned);
    let password = f.req_str("password", &body.password).map(str::to_owned);
    f.finish()?;
    let (Some(email), Some(role), Some(password)) = (email, role, password) else {
        return Err(AppError::MalformedBody("incomplete body".to_owned()));
    };
    let slug = tenant_slug.clone();
    let user = state
        .db
        .run(move |conn| {
            create_user(
                conn,
                UserInput {
                    email,
                    role,
                    tenant_slug,
                    password,
                },
            )
        })
        .await?;
    tracing::info!(user_id = %user.id, role = %user.role, by = %p.user_id, "user created");
    Ok(HttpResponse::Created().json(UserView {
        id: user.id,
        email: user.email,
        role: user.role,
        tenant: slug,
    }))
}
