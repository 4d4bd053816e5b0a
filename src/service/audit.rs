//! The audit trail as use cases: recording what staff read and change (in the caller's
//! transaction), reading a tenant's trail (its controller and admin: the controller's audit
//! right, GDPR art. 28(3)(h)), and verifying every chain.

use chrono::NaiveDateTime;

use crate::auth::Principal;
use crate::domain::Role;
use crate::domain::audit::{ChainBreak, ChainVerifier, StoredEntry};
use crate::domain::{RequestId, TenantId};
use crate::error::{AppError, AppResult};
use crate::service::grants;
use crate::store::DbConnection;
use crate::store::audit::{self, AuditEntry};
/// An entry as stored, and the trail's filters (for the HTTP layer, which sees no store).
pub use crate::store::audit::{Audit, AuditFilter};
use crate::store::grants::GrantRow;
use crate::store::tenants::Tenant;

/// The entry for `principal` doing `action`.
fn entry(
    principal: &Principal,
    action: &str,
    tenant_id: Option<&TenantId>,
    request_id: Option<&RequestId>,
    grant: Option<&GrantRow>,
    detail: Option<serde_json::Value>,
) -> AuditEntry {
    AuditEntry {
        actor_id: Some(principal.user_id.to_string()),
        actor_email: principal.email.clone(),
        role: Some(principal.role.as_str().to_owned()),
        action: action.to_owned(),
        tenant_id: tenant_id.cloned(),
        request_id: request_id.cloned(),
        grant_id: grant.map(|g| g.id.clone()),
        ip: principal.ip.clone(),
        detail: detail.map(|d| d.to_string()),
    }
}

/// Records a call that a grant (if any) allowed: the first use of a grant also tells the
/// controller, in the same transaction.
pub fn record_access(
    conn: &mut DbConnection,
    principal: &Principal,
    action: &str,
    tenant_id: Option<&TenantId>,
    request_id: Option<&RequestId>,
    grant: Option<&GrantRow>,
    detail: Option<serde_json::Value>,
) -> AppResult<()> {
    if let Some(g) = grant {
        grants::note_use(conn, g)?;
    }
    audit::append(
        conn,
        &entry(principal, action, tenant_id, request_id, grant, detail),
    )?;
    Ok(())
}

/// Records a read or change by `principal`; for support, names the grant running for the
/// tenant, if any (what support may do without one is metadata).
pub fn record(
    conn: &mut DbConnection,
    principal: &Principal,
    action: &str,
    tenant_id: Option<&TenantId>,
    request_id: Option<&RequestId>,
    detail: Option<serde_json::Value>,
) -> AppResult<()> {
    let grant = match (principal.role, tenant_id) {
        (Role::Support, Some(t)) => {
            crate::store::grants::running(conn, t, &principal.user_id, crate::store::now())?
        }
        _ => None,
    };
    record_access(
        conn,
        principal,
        action,
        tenant_id,
        request_id,
        grant.as_ref(),
        detail,
    )
}

/// The tenant `slug` if `principal` may manage it (grants, audit, report): its controller or
/// an admin. Support: 403. Another tenant's controller: 404, as for a tenant that does not exist.
pub fn managed_tenant(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: &str,
) -> AppResult<Tenant> {
    match principal.role {
        Role::Support => Err(AppError::Forbidden(
            "only the tenant's controller or an admin may do this".to_owned(),
        )),
        Role::Controller if principal.tenant_slug.as_deref() != Some(slug) => {
            Err(AppError::NotFound)
        }
        _ => Tenant::find_by_slug(conn, slug)?.ok_or(AppError::NotFound),
    }
}

/// A page of a tenant's trail.
pub struct TrailPage {
    pub tenant: Tenant,
    pub items: Vec<Audit>,
    pub total: i64,
}

pub fn trail(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: &str,
    filter: &AuditFilter,
    page: i64,
    per_page: i64,
) -> AppResult<TrailPage> {
    let tenant = managed_tenant(conn, principal, slug)?;
    let offset = (page.max(1) - 1) * per_page;
    let (items, total) = audit::for_tenant(conn, &tenant.id, filter, offset, per_page)?;
    Ok(TrailPage {
        tenant,
        items,
        total,
    })
}

/// The staff who appear in tenant `slug`'s trail (user id, e-mail address), for a filter that
/// names them by id (an address never goes into a URL). Its controller and admin only.
pub fn trail_actors(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: &str,
) -> AppResult<Vec<(String, String)>> {
    let tenant = managed_tenant(conn, principal, slug)?;
    let mut actors = audit::actors_of_tenant(conn, &tenant.id)?;
    actors.dedup_by(|a, b| a.0 == b.0);
    Ok(actors)
}

/// What verifying one chain found.
#[derive(Debug, Clone)]
pub struct ChainReport {
    /// The tenant's slug; None for the chain of entries without a tenant.
    pub tenant: Option<String>,
    /// Entries that held.
    pub entries: i64,
    pub broken: Option<ChainBreak>,
}

const VERIFY_BATCH: i64 = 1000;

fn verify_chain(conn: &mut DbConnection, chain: &str) -> AppResult<(i64, Option<ChainBreak>)> {
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let rows = audit::chain_page(conn, chain, after, VERIFY_BATCH)?;
        for row in &rows {
            let stored = StoredEntry {
                fields: row.fields(),
                prev_hash: row.prev_hash.as_deref().unwrap_or_default(),
                hash: row.hash.as_deref().unwrap_or_default(),
            };
            if let Err(b) = verifier.check(&stored) {
                return Ok((verifier.count(), Some(b)));
            }
            after = row.seq.unwrap_or(after);
        }
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) < VERIFY_BATCH {
            return Ok((verifier.count(), None));
        }
    }
}

/// Verifies every chain, or only the one of tenant `slug` (404 if unknown).
pub fn verify(conn: &mut DbConnection, slug: Option<&str>) -> AppResult<Vec<ChainReport>> {
    let chains: Vec<(String, Option<String>)> = match slug {
        Some(s) => {
            let t = Tenant::find_by_slug(conn, s)?.ok_or(AppError::NotFound)?;
            vec![(t.id.into_inner(), Some(t.slug))]
        }
        None => {
            let tenants = Tenant::all(conn)?;
            audit::chains(conn)?
                .into_iter()
                .map(|c| {
                    let slug = if c.is_empty() {
                        None
                    } else {
                        Some(
                            tenants
                                .iter()
                                .find(|t| t.id.as_str() == c)
                                .map_or_else(|| c.clone(), |t| t.slug.clone()),
                        )
                    };
                    (c, slug)
                })
                .collect()
        }
    };
    let mut reports = Vec::new();
    for (chain, tenant) in chains {
        let (entries, broken) = verify_chain(conn, &chain)?;
        reports.push(ChainReport {
            tenant,
            entries,
            broken,
        });
    }
    Ok(reports)
}

/// Parses an optional `from`/`to` query value: a date (start of that day, UTC) or RFC 3339.
pub fn parse_instant(raw: &str) -> Option<NaiveDateTime> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0);
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.naive_utc())
}
