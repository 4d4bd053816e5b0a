//! Identifiers staff add to a request (phone, customer id, another e-mail address) so that a
//! bundle finds every row of the subject. Each change is an event on the request; the event
//! names the kind, never the value.

use crate::auth::Principal;
use crate::domain::{EventKind, IdentityKind};
use crate::error::{AppError, AppResult};
use crate::service::actions::visible_request;
use crate::store::events::{EventActor, NewEvent};
use crate::store::identities::RequestIdentity;
use crate::store::{DbConnection, new_id, now, write_tx};

fn open_request(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
) -> AppResult<crate::store::requests::RequestRow> {
    let row = visible_request(conn, principal, reference)?;
    if row.status.is_closed() {
        return Err(AppError::Conflict {
            code: "request_closed",
            message: "the request is closed".to_owned(),
        });
    }
    Ok(row)
}

pub fn add(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
    kind: IdentityKind,
    value: String,
) -> AppResult<RequestIdentity> {
    write_tx(conn, |conn| {
        let row = open_request(conn, principal, reference)?;
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
        let row = open_request(conn, principal, reference)?;
        let existing = RequestIdentity::for_request(conn, &row.id)?;
        let Some(identity) = existing.iter().find(|i| i.id == id) else {
            return Err(AppError::NotFound);
        };
        RequestIdentity::delete(conn, &row.id, id)?;
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        let mut event = NewEvent::new(&row.id, &actor, EventKind::IdentityRemoved, now());
        event.data = Some(serde_json::json!({ "kind": identity.kind }).to_string());
        event.insert(conn)?;
        Ok(())
    })
}

pub fn list(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
) -> AppResult<Vec<RequestIdentity>> {
    let row = visible_request(conn, principal, reference)?;
    Ok(RequestIdentity::for_request(conn, &row.id)?)
}
