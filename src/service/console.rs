//! The staff console's own use cases: browser sessions (a random secret in a cookie, its
//! hash in the store, checked with the user on every request), the tenants a user may pick,
//! and the deadline a request entered now would get.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::domain::Role;
use crate::domain::UserId;
use crate::domain::deadline::Deadline;
use crate::error::{AppError, AppResult};
use crate::service::admin;
use crate::state::AppState;
use crate::store::console_sessions::ConsoleSession;
use crate::store::tenants::Tenant;
use crate::store::users::User;
use crate::store::{DbConnection, write_tx};

/// How long a console session lasts (CONTRACT.md, Web pages: 12 h).
pub const SESSION_HOURS: i64 = 12;

/// A random secret, hex (256 bits).
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

fn session_id(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new session: the secret for the cookie, the form token, and who signed in.
pub struct NewSession {
    pub secret: String,
    pub csrf: String,
    pub principal: Principal,
    pub expires_at: DateTime<Utc>,
}

/// The principal a sign-in established.
struct SignedIn {
    principal: Principal,
}

/// Checks e-mail and password with the API's own sign-in (unknown address, wrong password and
/// disabled user answer alike; the password checked outside the pool) and opens a session.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    when: DateTime<Utc>,
) -> AppResult<NewSession> {
    // The API's sign-in: the password checked outside the pool behind the bounded semaphore.
    let session = admin::sign_in(state, email, password, when).await?;
    let st = state.clone();
    state
        .db
        .run(move |conn| open_session(conn, &st, session.principal, when))
        .await
}

/// Stores a new console session for a signed-in user.
fn open_session(
    conn: &mut DbConnection,
    _state: &AppState,
    principal: Principal,
    when: DateTime<Utc>,
) -> AppResult<NewSession> {
    let session = SignedIn { principal };
    let secret = random_secret();
    let csrf = random_secret();
    let expires_at = when + Duration::hours(SESSION_HOURS);
    let at = when.naive_utc();
    write_tx(conn, |conn| -> AppResult<()> {
        ConsoleSession::prune(conn, at)?;
        ConsoleSession {
            id: session_id(&secret),
            user_id: session.principal.user_id.clone(),
            csrf_token: csrf.clone(),
            created_at: at,
            expires_at: expires_at.naive_utc(),
        }
        .insert(conn)?;
        Ok(())
    })?;
    Ok(NewSession {
        secret,
        csrf,
        principal: session.principal,
        expires_at,
    })
}

/// The user of a live session and its form token; None when the session is unknown,
/// expired, or its user is disabled (the session is then ended).
pub fn session_user(
    conn: &mut DbConnection,
    secret: &str,
    when: DateTime<Utc>,
) -> AppResult<Option<(Principal, String)>> {
    let id = session_id(secret);
    let Some(session) = ConsoleSession::find_live(conn, &id, when.naive_utc())? else {
        return Ok(None);
    };
    match admin::principal_for(conn, &session.user_id)? {
        Some(p) => Ok(Some((p, session.csrf_token))),
        None => {
            ConsoleSession::delete(conn, &id)?;
            Ok(None)
        }
    }
}

/// Ends a session (logout).
pub fn sign_out(conn: &mut DbConnection, secret: &str) -> AppResult<()> {
    ConsoleSession::delete(conn, &session_id(secret))?;
    Ok(())
}

/// Disables (or enables) a user; disabling ends its sessions at once. Admin only; audited as
/// `user_disabled` / `user_enabled` in the same transaction.
pub fn set_user_disabled(
    conn: &mut DbConnection,
    principal: &Principal,
    user_id: &UserId,
    disabled: bool,
) -> AppResult<()> {
    if !principal.is_admin() {
        return Err(AppError::Forbidden(
            "only an admin manages users".to_owned(),
        ));
    }
    if principal.user_id == *user_id && disabled {
        return Err(AppError::field("user", "you cannot disable yourself"));
    }
    write_tx(conn, |conn| -> AppResult<()> {
        if !User::set_disabled(conn, user_id, disabled)? {
            return Err(AppError::NotFound);
        }
        if disabled {
            ConsoleSession::delete_for_user(conn, user_id)?;
        }
        crate::service::audit::record(
            conn,
            principal,
            if disabled {
                "user_disabled"
            } else {
                "user_enabled"
            },
            None,
            None,
            Some(serde_json::json!({ "user": user_id })),
        )?;
        Ok(())
    })
}

/// The tenants `principal` may pick in a filter or a form: its own for a controller, all
/// for support and admin. (slug, name), by name.
pub fn tenant_choices(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<(String, String)>> {
    let mut tenants: Vec<(String, String)> = Tenant::all(conn)?
        .into_iter()
        .filter(|t| {
            principal.role != Role::Controller || principal.tenant_id.as_ref() == Some(&t.id)
        })
        .map(|t| (t.slug, t.name))
        .collect();
    tenants.sort_by_key(|t| t.1.to_lowercase());
    Ok(tenants)
}

/// The deadline of a request that reached us on `received_on` (GDPR art. 12(3)), as the
/// intake will compute it: shown before staff save a request.
pub fn preview_deadline(state: &AppState, received_on: NaiveDate) -> AppResult<Deadline> {
    Deadline::compute(&state.calendar, received_on, 0, None)
        .map_err(|e| AppError::field("received_at", e.to_string()))
}
