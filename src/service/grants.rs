//! Access grants (privacy policy and processing agreement: support reaches a customer's data
//! only with that customer's permission, for at most 24 hours at a time, and every access is
//! logged). The tenant's controller (or an admin) gives one to one support user with a reason;
//! it can be revoked at once and ends on its own. It is checked at every call that reaches
//! tenant data: a grant that ended a second ago allows nothing.
//!
//! Giving, revoking and the first use of a grant are audit entries and mails (to the grantee
//! and the controller when given, to the controller when first used), in the same transaction.

use chrono::{Duration, NaiveDateTime};

use crate::auth::Principal;
use crate::domain::{Language, Role};
use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::mail::{GrantEvent, GrantNotice};
use crate::service::actions::visible_request;
use crate::service::audit::{self, managed_tenant};
use crate::service::notify::queue_mail;
use crate::store::grants::{self, GrantRow, NewGrant};
use crate::store::requests::RequestRow;
use crate::store::tenants::Tenant;
use crate::store::users::User;
use crate::store::{DbConnection, new_id, now, write_tx};

/// The longest a grant may run (privacy policy: 24 hours at a time).
pub const MAX_HOURS: i64 = 24;
/// Ended grants are listed this long after they ended.
pub const LISTED_DAYS: i64 = 90;
/// The longest reason accepted.
pub const MAX_REASON: usize = 500;

/// A grant as asked for: grantee's e-mail address, hours, reason (unchecked).
#[derive(Debug, Clone)]
pub struct GrantInput {
    pub grantee: Option<String>,
    pub hours: Option<i64>,
    pub reason: Option<String>,
}

/// A grant with the e-mail addresses of grantee and granter.
#[derive(Debug, Clone)]
pub struct GrantView {
    pub grant: GrantRow,
    pub grantee: String,
    pub granted_by: String,
}

fn email_of(conn: &mut DbConnection, user_id: &UserId) -> AppResult<String> {
    Ok(User::find(conn, user_id)?.map_or_else(|| user_id.to_string(), |u| u.email))
}

fn view(conn: &mut DbConnection, grant: GrantRow) -> AppResult<GrantView> {
    let grantee = email_of(conn, &grant.grantee_id)?;
    let granted_by = email_of(conn, &grant.granted_by)?;
    Ok(GrantView {
        grant,
        grantee,
        granted_by,
    })
}

fn language_of(tenant: &Tenant) -> Language {
    tenant.language
}

/// Gives a grant (the tenant's controller or an admin).
pub fn give(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: &str,
    input: GrantInput,
) -> AppResult<GrantView> {
    write_tx(conn, |conn| {
        let tenant = managed_tenant(conn, principal, slug)?;
        let mut fields = FieldErrors::new();
        let grantee = match input.grantee.as_deref().map(str::trim) {
            None | Some("") => {
                fields.insert("grantee".into(), "is required".into());
                None
            }
            Some(email) => match User::find_by_email(conn, email)? {
                Some(u) if u.role == Role::Support.as_str() && !u.disabled => Some(u),
                _ => {
                    fields.insert("grantee".into(), "must be an active support user".into());
                    None
                }
            },
        };
        let hours = match input.hours {
            Some(h) if (1..=MAX_HOURS).contains(&h) => Some(h),
            Some(_) => {
                fields.insert("hours".into(), format!("must be 1 to {MAX_HOURS}"));
                None
            }
            None => {
                fields.insert("hours".into(), "is required".into());
                None
            }
        };
        let reason = match input.reason.as_deref().map(str::trim) {
            None | Some("") => {
                fields.insert("reason".into(), "is required".into());
                None
            }
            Some(r) if r.chars().count() > MAX_REASON => {
                fields.insert(
                    "reason".into(),
                    format!("must be at most {MAX_REASON} characters"),
                );
                None
            }
            Some(r) => Some(r.to_owned()),
        };
        let (Some(grantee), Some(hours), Some(reason)) = (grantee, hours, reason) else {
            return Err(AppError::Validation(fields));
        };
        let at = now();
        let grant = NewGrant {
            id: new_id(),
            tenant_id: tenant.id.clone(),
            grantee_id: grantee.id.clone(),
            granted_by: principal.user_id.clone(),
            created_at: at,
            expires_at: at + Duration::hours(hours),
            reason: reason.clone(),
        };
        grant.insert(conn)?;
        let row = grants::find(conn, &tenant.id, &grant.id)?.ok_or(AppError::NotFound)?;
        audit::record_access(
            conn,
            principal,
            "grant_given",
            Some(&tenant.id),
            None,
            None,
            Some(serde_json::json!({
                "grant": row.id, "grantee": grantee.email, "hours": hours, "reason": reason,
            })),
        )?;
        let notice = |to_grantee: bool, event: GrantEvent| GrantNotice {
            event,
            to_grantee,
            tenant: tenant.name.clone(),
            tenant_slug: tenant.slug.clone(),
            grantee: grantee.email.clone(),
            granted_by: principal.email.clone(),
            reason: reason.clone(),
            expires_at: row.expires_at.and_utc(),
            used_at: None,
        };
        let language = language_of(&tenant);
        queue_mail(
            conn,
            None,
            &grantee.email,
            language,
            &notice(true, GrantEvent::Given).into(),
        )?;
        queue_mail(
            conn,
            None,
            &tenant.contact_email,
            language,
            &notice(false, GrantEvent::Given).into(),
        )?;
        view(conn, row)
    })
}

/// A tenant's grants: running ones and those ended in the last [`LISTED_DAYS`] days.
pub fn list(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: &str,
) -> AppResult<Vec<GrantView>> {
    let tenant = managed_tenant(conn, principal, slug)?;
    let since = now() - Duration::days(LISTED_DAYS);
    grants::for_tenant(conn, &tenant.id, since)?
        .into_iter()
        .map(|g| view(conn, g))
        .collect()
}

/// The grants given to `principal` (support): running ones and those ended in the last
/// [`LISTED_DAYS`] days, of tenant `slug` or of all; each with its tenant's slug.
pub fn given_to_me(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: Option<&str>,
) -> AppResult<Vec<(String, GrantView)>> {
    if principal.role != Role::Support {
        return Err(AppError::Forbidden(
            "only support users hold access grants".to_owned(),
        ));
    }
    let tenants = Tenant::all(conn)?;
    let tenant_id = match slug {
        Some(s) => Some(
            tenants
                .iter()
                .find(|t| t.slug == s)
                .map(|t| t.id.clone())
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let since = now() - Duration::days(LISTED_DAYS);
    grants::for_grantee(conn, &principal.user_id, tenant_id.as_ref(), since)?
        .into_iter()
        .map(|g| {
            let slug = tenants
                .iter()
                .find(|t| t.id == g.tenant_id)
                .map_or_else(|| g.tenant_id.to_string(), |t| t.slug.clone());
            Ok((slug, view(conn, g)?))
        })
        .collect()
}

/// The active support users a grant may go to (e-mail addresses, sorted), for the tenant's
/// controller or an admin choosing one.
pub fn grantees(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: &str,
) -> AppResult<Vec<String>> {
    managed_tenant(conn, principal, slug)?;
    Ok(User::all(conn)?
        .into_iter()
        .filter(|u| u.role == Role::Support.as_str() && !u.disabled)
        .map(|u| u.email)
        .collect())
}

/// Revokes a grant, effective at once. Revoking one already ended is no error.
pub fn revoke(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: &str,
    id: &str,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let tenant = managed_tenant(conn, principal, slug)?;
        let grant = grants::find(conn, &tenant.id, id)?.ok_or(AppError::NotFound)?;
        if grants::revoke(conn, &grant.id, &principal.user_id, now())? {
            audit::record_access(
                conn,
                principal,
                "grant_revoked",
                Some(&tenant.id),
                None,
                None,
                Some(serde_json::json!({ "grant": grant.id })),
            )?;
        }
        Ok(())
    })
}

/// Whether and how `principal` may reach the data of `tenant_id` at `at`: admin and the
/// tenant's own controller always (`None`), support only through a running grant (returned,
/// for the audit entry to name it); otherwise 403 `grant_required` (support) or 404 (another
/// tenant's controller).
pub fn require_data_access(
    conn: &mut DbConnection,
    principal: &Principal,
    tenant_id: &TenantId,
    at: NaiveDateTime,
) -> AppResult<Option<GrantRow>> {
    match principal.role {
        Role::Admin => Ok(None),
        Role::Controller if principal.tenant_id.as_ref() == Some(tenant_id) => Ok(None),
        Role::Controller => Err(AppError::NotFound),
        Role::Support => match grants::running(conn, tenant_id, &principal.user_id, at)? {
            Some(g) => Ok(Some(g)),
            None => Err(grant_required()),
        },
    }
}

/// The request `reference` (as the principal may see it), its tenant, and the check that the
/// principal may reach that tenant's data now (with the grant that allows it, for support).
/// `what` comes from the tenant's data map (e.g. "a bundle"): without a tenant, 409
/// `no_tenant`.
pub fn request_with_data_access(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
    what: &str,
) -> AppResult<(RequestRow, Tenant, Option<GrantRow>)> {
    let row = visible_request(conn, principal, reference)?;
    let Some(tenant_id) = row.tenant_id.clone() else {
        return Err(AppError::Conflict {
            code: "no_tenant",
            message: format!(
                "assign the request to a tenant first: {what} comes from the tenant's data map"
            ),
        });
    };
    let grant = require_data_access(conn, principal, &tenant_id, now())?;
    let tenant = Tenant::find(conn, &tenant_id)?.ok_or(AppError::NotFound)?;
    Ok((row, tenant, grant))
}

/// The 403 for support without a running grant.
pub fn grant_required() -> AppError {
    AppError::GrantRequired(
        "support reaches a tenant's data only while the controller's access grant runs".to_owned(),
    )
}

/// Notes a use of `grant`; the first one is told to the controller (in the caller's
/// transaction).
pub fn note_use(conn: &mut DbConnection, grant: &GrantRow) -> AppResult<()> {
    let at = now();
    if !grants::mark_first_use(conn, &grant.id, at)? {
        return Ok(());
    }
    let Some(tenant) = Tenant::find(conn, &grant.tenant_id)? else {
        return Ok(());
    };
    let grantee = email_of(conn, &grant.grantee_id)?;
    let granted_by = email_of(conn, &grant.granted_by)?;
    let notice = GrantNotice {
        event: GrantEvent::FirstUse,
        to_grantee: false,
        tenant: tenant.name.clone(),
        tenant_slug: tenant.slug.clone(),
        grantee,
        granted_by,
        reason: grant.reason.clone(),
        expires_at: grant.expires_at.and_utc(),
        used_at: Some(at.and_utc()),
    };
    queue_mail(
        conn,
        None,
        &tenant.contact_email,
        language_of(&tenant),
        &notice.into(),
    )?;
    Ok(())
}
