//! Identifiers staff add to a request (phone, customer id, another e-mail address) so that a
//! bundle finds every row of the subject. Each change is an event on the request; the event
//! names the kind, never the value.
//!
//! An identifier widens a bundle to whatever rows carry it, possibly another person's: only
//! the tenant's controller or an admin may add or remove one, or support while a grant of the
//! controller runs (named in the audit entry). Listing them is an audited read, like the
//! request detail.

use crate::auth::Principal;
use crate::domain::{EventKind, IdentityKind, Role};
use crate::error::{AppError, AppResult};
use crate::service::actions::visible_request;
use crate::service::audit;
use crate::service::grants::{grant_required, require_data_access};
use crate::store::events::{EventActor, NewEvent};
use crate::store::grants::GrantRow;
use crate::store::identities::RequestIdentity;
use crate::store::{DbConnection, new_id, now, write_tx};

/// The open request, if `principal` may change its identifiers, and the grant that allows
/// it (support). A request without a tenant has no controller to grant: admin only.
fn open_request(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
) -> AppResult<(crate::store::requests::RequestRow, Option<GrantRow>)> {
    let row = visible_request(conn, principal, reference)?;
    let grant = match &row.tenant_id {
        Some(tenant_id) => require_data_access(conn, principal, tenant_id, now())?,
        None if principal.role == Role::Admin => None,
        None => return Err(grant_required()),
    };
    if row.status.is_closed() {
        return Err(AppError::Conflict {
            code: "request_closed",
            message: "the request is closed".to_owned(),
        });
    }
    Ok((row, grant))
}

pub fn add(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
    kind: IdentityKind,
    value: String,
) -> AppResult<RequestIdentity> {
    write_tx(conn, |conn| {
        let (row, grant) = open_request(conn, principal, reference)?;
        let at = now();
        let identity = RequestIdentity {
            id: new_id(),
            request_id: row.id.clone(),
            kind: kind.as_str().to_owned(),
            value,
            added_by: Some(principal.user_id.clone()),
            added_at: at,
        };
        identity.insert(conn).map_err(|e| {
            if e.is_unique_violation() {
                AppError::Conflict {
                    code: "identity_exists",
                    message: "the request has this identifier already".to_owned(),
                }
            } else {
                AppError::Store(e)
            }
        })?;
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        let mut event = NewEvent::new(&row.id, &actor, EventKind::IdentityAdded, at);
        event.data = Some(serde_json::json!({ "kind": kind.as_str() }).to_string());
        event.insert(conn)?;
        audit::record_access(
            conn,
            principal,
            "identity_added",
            row.tenant_id.as_ref(),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({ "identity": identity.id, "kind": kind.as_str() })),
        )?;
        Ok(identity)
    })
}

pub fn remove(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
    id: &str,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let (row, grant) = open_request(conn, principal, reference)?;
        let existing = RequestIdentity::for_request(conn, &row.id)?;
        let Some(identity) = existing.iter().find(|i| i.id == id) else {
            return Err(AppError::NotFound);
        };
        RequestIdentity::delete(conn, &row.id, id)?;
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        let mut event = NewEvent::new(&row.id, &actor, EventKind::IdentityRemoved, now());
        event.data = Some(serde_json::json!({ "kind": identity.kind }).to_string());
        event.insert(conn)?;
        audit::record_access(
            conn,
            principal,
            "identity_removed",
            row.tenant_id.as_ref(),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({ "identity": identity.id, "kind": identity.kind })),
        )?;
        Ok(())
    })
}

pub fn list(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
) -> AppResult<Vec<RequestIdentity>> {
    let row = visible_request(conn, principal, reference)?;
    let identities = RequestIdentity::for_request(conn, &row.id)?;
    // Recorded (and committed) before the list is returned.
    audit::record(
        conn,
        principal,
        "identities_viewed",
        row.tenant_id.as_ref(),
        Some(&row.id),
        None,
    )?;
    Ok(identities)
}
