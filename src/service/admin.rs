//! Tenants, staff users and signing in.

use chrono::{DateTime, Utc};

use crate::auth::{Principal, password};
use crate::domain::{Language, Role};
use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::tenants::{NewTenant, Tenant};
use crate::store::users::{NewUser, User};
use crate::store::{DbConnection, now};

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
            id: TenantId::generate(),
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
            id: UserId::generate(),
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
pub fn principal_for(conn: &mut DbConnection, user_id: &UserId) -> AppResult<Option<Principal>> {
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

// --- The console's administration (`/console/admin`, admin only) ------------------------
// Each change is written with its audit entry in one transaction; an admin's change to no
// tenant's data goes to the chain without a tenant (`chain` = '').

fn admin_only(principal: &Principal) -> AppResult<()> {
    if principal.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("only an admin may do this".to_owned()))
    }
}

/// Every tenant, by slug (admin).
pub fn all_tenants(conn: &mut DbConnection, principal: &Principal) -> AppResult<Vec<Tenant>> {
    admin_only(principal)?;
    Ok(Tenant::all(conn)?)
}

/// Adds a tenant; the entry `tenant_created` opens the new tenant's audit chain.
pub fn add_tenant(
    conn: &mut DbConnection,
    principal: &Principal,
    input: TenantInput,
) -> AppResult<Tenant> {
    admin_only(principal)?;
    crate::store::write_tx(conn, |conn| {
        let tenant = create_tenant(conn, input)?;
        crate::service::audit::record(
            conn,
            principal,
            "tenant_created",
            Some(&tenant.id),
            None,
            Some(serde_json::json!({ "slug": tenant.slug })),
        )?;
        Ok(tenant)
    })
}

/// A staff user as the admin page lists it (never the password hash).
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: UserId,
    pub email: String,
    pub role: String,
    pub tenant_slug: Option<String>,
    pub disabled: bool,
    pub created_at: chrono::NaiveDateTime,
}

/// Every staff user, by e-mail address (admin).
pub fn all_users(conn: &mut DbConnection, principal: &Principal) -> AppResult<Vec<StaffUser>> {
    admin_only(principal)?;
    let tenants = Tenant::all(conn)?;
    Ok(User::all(conn)?
        .into_iter()
        .map(|u| StaffUser {
            tenant_slug: u
                .tenant_id
                .as_ref()
                .and_then(|id| tenants.iter().find(|t| &t.id == id).map(|t| t.slug.clone())),
            id: u.id,
            email: u.email,
            role: u.role,
            disabled: u.disabled,
            created_at: u.created_at,
        })
        .collect())
}

/// Adds a staff user (the same checks as the API's `POST /users`), audited as `user_created`.
pub fn add_user(
    conn: &mut DbConnection,
    principal: &Principal,
    input: UserInput,
) -> AppResult<User> {
    admin_only(principal)?;
    crate::store::write_tx(conn, |conn| {
        let user = create_user(conn, input)?;
        crate::service::audit::record(
            conn,
            principal,
            "user_created",
            None,
            None,
            Some(serde_json::json!({
                "user": user.id, "email": user.email, "role": user.role,
                "tenant": user.tenant_id,
            })),
        )?;
        Ok(user)
    })
}

/// A password made for a reset: 20 characters from 32 that cannot be mistaken for one
/// another (100 bits), in groups of four for reading it out.
pub fn generated_password() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789#";
    let bytes: [u8; 20] = rand::random();
    let mut out = String::with_capacity(24);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(b % 32)]));
    }
    out
}

/// Sets a user's password: the one the admin gave, or a generated one, returned once to be
/// handed over (never logged, never stored but as its hash). Every session of the user ends.
/// Audited as `password_reset` (whether it was generated; never the password).
pub fn reset_password(
    conn: &mut DbConnection,
    principal: &Principal,
    user_id: &UserId,
    given: Option<String>,
) -> AppResult<String> {
    admin_only(principal)?;
    let generated = given.is_none();
    let pw = given.unwrap_or_else(generated_password);
    password::check_policy(&pw).map_err(|e| AppError::field("password", e.to_string()))?;
    // Argon2 is slow: hashed before the write lock is taken.
    let hash = password::hash(&pw).map_err(|e| AppError::Internal(e.to_string()))?;
    crate::store::write_tx(conn, |conn| {
        if !User::set_password_hash(conn, user_id, &hash)? {
            return Err(AppError::NotFound);
        }
        crate::store::console_sessions::ConsoleSession::delete_for_user(conn, user_id)?;
        crate::service::audit::record(
            conn,
            principal,
            "password_reset",
            None,
            None,
            Some(serde_json::json!({ "user": user_id, "generated": generated })),
        )?;
        Ok(pw)
    })
}

/// The jobs an admin watches: pending (queued), running and dead, newest first.
pub fn watched_jobs(
    conn: &mut DbConnection,
    principal: &Principal,
    limit: i64,
) -> AppResult<Vec<crate::store::jobs::JobRow>> {
    admin_only(principal)?;
    let mut jobs = Vec::new();
    for state in ["dead", "running", "queued"] {
        jobs.extend(crate::store::jobs::list(conn, Some(state), limit)?);
    }
    Ok(jobs)
}

/// Puts a dead job back in the queue (as `POST /api/v1/jobs/{id}/retry`), audited as
/// `job_retried`: 404 for no such job, 409 when it is not dead.
pub fn retry_job(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<crate::store::jobs::JobRow> {
    use crate::store::jobs;
    admin_only(principal)?;
    crate::store::write_tx(conn, |c| {
        let job = jobs::find(c, id)?.ok_or(AppError::NotFound)?;
        if !jobs::retry(c, id, now())? {
            return Err(AppError::Conflict {
                code: "not_dead",
                message: "only a dead job can be retried".to_owned(),
            });
        }
        crate::service::audit::record(
            c,
            principal,
            "job_retried",
            None,
            None,
            Some(serde_json::json!({ "job": job.id, "kind": job.kind })),
        )?;
        jobs::find(c, id)?.ok_or(AppError::NotFound)
    })
}

/// What checking one tenant's data map found.
#[derive(Debug, Clone)]
pub struct DataMapCheck {
    pub slug: String,
    pub name: String,
    pub path: Option<String>,
    /// Systems and tables of a map without problems.
    pub counts: Option<(usize, usize)>,
    /// Every problem, one line each naming file, system, table and key.
    pub problems: Vec<String>,
}

/// Runs the data map validation (`inzage datamap check`, without connecting) for every tenant
/// with a data map (admin). A map that names another tenant is a problem too (the bundle job
/// refuses it).
pub fn check_datamaps(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<DataMapCheck>> {
    use crate::tenant_data::DataMap;
    admin_only(principal)?;
    Ok(Tenant::all(conn)?
        .into_iter()
        .map(|t| {
            let mut check = DataMapCheck {
                slug: t.slug.clone(),
                name: t.name.clone(),
                path: t.datamap_path.clone(),
                counts: None,
                problems: Vec::new(),
            };
            if let Some(path) = &t.datamap_path {
                match DataMap::load(std::path::Path::new(path)) {
                    Ok(map) if map.tenant != t.slug => check.problems.push(format!(
                        "{path}: key tenant is \"{}\", not this tenant's slug \"{}\"",
                        map.tenant, t.slug
                    )),
                    Ok(map) => check.counts = Some((map.systems.len(), map.table_count())),
                    Err(e) => check.problems.extend(e.message.lines().map(str::to_owned)),
                }
            }
            check
        })
        .collect())
}
