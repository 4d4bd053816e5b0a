//! Reads of personal data by staff that are not a request's own change: who saw what, when.

use diesel::prelude::*;

use super::schema::audit_log;
use super::{DbConnection, StoreResult, now};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAudit {
    pub at: chrono::NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub tenant_id: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Audit {
    pub id: i64,
    pub at: chrono::NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub tenant_id: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

impl NewAudit {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(audit_log::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

pub fn record(
    conn: &mut DbConnection,
    actor_id: &str,
    actor_label: &str,
    action: &str,
    tenant_id: Option<&str>,
    request_id: Option<&str>,
) -> StoreResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewAudit {
            at: now(),
            actor_id: Some(actor_id.to_owned()),
            actor_label: actor_label.to_owned(),
            action: action.to_owned(),
            tenant_id: tenant_id.map(str::to_owned),
            request_id: request_id.map(str::to_owned),
            detail: None,
        })
        .execute(conn)?;
    Ok(())
}

pub fn for_request(conn: &mut DbConnection, request_id: &str) -> StoreResult<Vec<Audit>> {
    Ok(audit_log::table
        .filter(audit_log::request_id.eq(request_id))
        .order(audit_log::id.asc())
        .select(Audit::as_select())
        .load(conn)?)
}
