//! Tenants, staff users and signing in.

use chrono::{DateTime, Utc};

use crate::auth::{Principal, password};
use crate::domain::{Language, Role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::tenants::{NewTenant, Tenant};
use crate::store::users::{NewUser, User};
use crate::store::{DbConnection, new_id, now};

pub use crate::domain::tenant::parse_slug;

#[derive(Debug, Clone)]
pub struct TenantInput {
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    pub language: Language,
    pub datamap_path: Option<String>,
    pub id_document_required: bool,
    /// A private controller or a public body (the remedies the subject is told).
    pub sector: crate::domain::Sector,
}

pub fn create_tenant(conn: &mut DbConnection, input: TenantInput) -> AppResult<Tenant> {
    let mut fields = crate::error::FieldErrors::new();
    let slug = parse_slug(&input.slug)
        .map_err(|e| fields.insert("slug".into(), e.to_string()))
        .ok();
    let name = crate::domain::request::staff_text(&input.name, 200)
        .map_err(|e| fields.insert("name".into(), e.to_string()))
        .ok();
    let email = crate::domain::SubjectEmail::parse(&input.contact_email)
        .map_err(|e| fields.insert("contact_email".into(), e.to_string()))
        .ok();
    let (Some(slug), Some(name), Some(email)) = (slug, name, email) else {
        return Err(AppError::Validation(fields));
    };
    if Tenant::find_by_slug(conn, &slug)?.is_some() {
        return Err(AppError::Conflict {
            code: "already_exists",
            message: format!("a tenant with slug {slug} already exists"),
        });
    }
    Tenant::insert(
        conn,
        &NewTenant {
            id: new_id(),
            slug,
            name,
            contact_email: email.as_str().to_owned(),
            language: input.language,
            datamap_path: input.datamap_path,
            id_document_required: input.id_document_required,
            created_at: now(),
            sector: input.sector.as_str().to_owned(),
            listed: false,
        },
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            AppError::Conflict {
                code: "already_exists",
                message: "a tenant with that slug already exists".to_owned(),
            }
        } else {
            e.into()
        }
    })
}

/// Lists a tenant on the public form at `/` (or takes it off): the subject may then pick it
/// by name; an unlisted tenant is reached only by its own link, `/t/{slug}`.
pub fn set_listed(conn: &mut DbConnection, slug: &str, listed: bool) -> AppResult<Tenant> {
    let tenant = Tenant::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
    Tenant::set_listed(conn, &tenant.id, listed)?;
    Ok(Tenant { listed, ..tenant })
}

#[derive(Debug, Clone)]
pub struct UserInput {
    pub email: String,
    pub role: Role,
    pub tenant_slug: Option<String>,
    pub password: String,
}

pub fn create_user(conn: &mut DbConnection, input: UserInput) -> AppResult<User> {
    let email = crate::domain::SubjectEmail::parse(&input.email)
        .map_err(|e| AppError::field("email", e.to_string()))?
        .normalized();
    let tenant_id = match (input.role, &input.tenant_slug) {
        (Role::Controller, Some(slug)) => Some(
            Tenant::find_by_slug(conn, slug)?
                .ok_or_else(|| AppError::field("tenant", "is not a known tenant"))?
                .id,
        ),
        (Role::Controller, None) => {
            return Err(AppError::field("tenant", "a controller needs a tenant"));
        }
        (_, Some(_)) => {
            return Err(AppError::field(
                "tenant",
                "only a controller belongs to a tenant",
            ));
        }
        (_, None) => None,
    };
    password::check_policy(&input.password)
        .map_err(|e| AppError::field("password", e.to_string()))?;
    if User::find_by_email(conn, &email)?.is_some() {
        return Err(AppError::Conflict {
            code: "already_exists",
            message: "a user with that e-mail address already exists".to_owned(),
        });
    }
    let password_hash =
        password::hash(&input.password).map_err(|e| AppError::Internal(e.to_string()))?;
    User::insert(
        conn,
        &NewUser {
            id: new_id(),
            email,
            password_hash,
            role: input.role.as_str().to_owned(),
            tenant_id,
            disabled: false,
            created_at: now(),
        },
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            AppError::Conflict {
                code: "already_exists",
                message: "a user with that e-mail address already exists".to_owned(),
            }
        } else {
            e.into()
        }
    })
}

/// Loads a user as a principal (with its tenant's slug). None if missing or disabled.
pub fn principal_for(conn: &mut DbConnection, user_id: &str) -> AppResult<Option<Principal>> {
    let Some(user) = User::find(conn, user_id)? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let role: Role = user
        .role
        .parse()
        .map_err(|_| AppError::Internal(format!("user {} has an unknown role", user.id)))?;
    let tenant_slug = match &user.tenant_id {
        Some(id) => Tenant::find(conn, id)?.map(|t| t.slug),
        None => None,
    };
    Ok(Some(Principal {
        user_id: user.id,
        email: user.email,
        role,
        tenant_id: user.tenant_id,
        tenant_slug,
        ip: None,
    }))
}

pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub principal: Principal,
}

/// Checks e-mail and password and issues a staff token. Unknown address, wrong password
/// and disabled user all answer the same, in the same time.
///
/// The store is asked for the user's hash, the connection goes back to the pool, and only
/// then is the password checked (argon2, deliberately slow), off the async workers and behind
/// a semaphore of `INZAGE_PASSWORD_CHECKS` permits: however many sign-ins come at once, they
/// never hold the store's connections or every core, so other requests are not starved
/// (GDPR art. 32: availability).
pub async fn sign_in(
    state: &AppState,
    email: &str,
    pw: &str,
    when: DateTime<Utc>,
) -> AppResult<Session> {
    let denied = || AppError::Unauthorized("e-mail address or password is wrong".to_owned());
    let address = email.to_owned();
    let user = state
        .db
        .run(move |conn| User::find_by_email(conn, &address).map_err(AppError::from))
        .await?;
    let permit = tokio::time::timeout(
        PASSWORD_CHECK_WAIT,
        state.password_checks.clone().acquire_owned(),
    )
    .await
    .map_err(|_| AppError::Unavailable("too many sign-ins at once; try again".to_owned()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let pw = pw.to_owned();
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match hash {
            Some(hash) => password::verify(&pw, &hash),
            None => {
                password::verify_dummy(&pw);
                false
            }
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(user) = user.filter(|u| matches && !u.disabled) else {
        return Err(denied());
    };
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let principal = principal_for(conn, &user.id)?.ok_or_else(denied)?;
            let (token, expires_at) = st
                .tokens
                .issue_staff(
                    &principal.user_id,
                    principal.role,
                    principal.tenant_slug.as_deref(),
                    when,
                )
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(Session {
                token,
                expires_at,
                principal,
            })
        })
        .await
}

/// How long a sign-in waits for its turn to check a password before it gives up (503).
const PASSWORD_CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
