//! Tenants (controllers): the processor's customers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::tenants;
use super::{DbConnection, StoreResult};
use crate::domain::Language;
use crate::domain::{RequestId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = tenants)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    pub language: Language,
    pub datamap_path: Option<String>,
    pub id_document_required: bool,
    pub created_at: NaiveDateTime,
    /// `private` or `public`: decides the remedies the subject is told.
    pub sector: String,
    /// Shown in the organisation list of the public form at `/` (else only by its own link).
    pub listed: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tenants)]
pub struct NewTenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    pub language: Language,
    pub datamap_path: Option<String>,
    pub id_document_required: bool,
    pub created_at: NaiveDateTime,
    /// `private` or `public`: decides the remedies the subject is told.
    pub sector: String,
    pub listed: bool,
}

impl Tenant {
    pub fn find(conn: &mut DbConnection, id: &TenantId) -> StoreResult<Option<Tenant>> {
        Ok(tenants::table
            .find(id)
            .select(Tenant::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> StoreResult<Option<Tenant>> {
        Ok(tenants::table
            .filter(tenants::slug.eq(slug))
            .select(Tenant::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn all(conn: &mut DbConnection) -> StoreResult<Vec<Tenant>> {
        Ok(tenants::table
            .order(tenants::slug.asc())
            .select(Tenant::as_select())
            .load(conn)?)
    }

    /// The tenants a subject may pick on the public form, by name.
    pub fn listed(conn: &mut DbConnection) -> StoreResult<Vec<Tenant>> {
        Ok(tenants::table
            .filter(tenants::listed.eq(true))
            .order(tenants::name.asc())
            .select(Tenant::as_select())
            .load(conn)?)
    }

    pub fn set_listed(conn: &mut DbConnection, id: &TenantId, listed: bool) -> StoreResult<()> {
        diesel::update(tenants::table.find(id))
            .set(tenants::listed.eq(listed))
            .execute(conn)?;
        Ok(())
    }

    pub fn count(conn: &mut DbConnection) -> StoreResult<i64> {
        Ok(tenants::table.count().get_result(conn)?)
    }

    /// Inserts a tenant; a taken slug is a unique violation for the caller to report.
    pub fn insert(conn: &mut DbConnection, new: &NewTenant) -> StoreResult<Tenant> {
        diesel::insert_into(tenants::table)
            .values(new)
            .execute(conn)?;
        Ok(tenants::table
            .find(&new.id)
            .select(Tenant::as_select())
            .first(conn)?)
    }
}

/// The contact address of each request's tenant, for the requests that have one: one query
/// for a burst of mail (`mail::outbox`), request id → address.
pub fn contacts_of_requests(
    conn: &mut DbConnection,
    request_ids: &[RequestId],
) -> StoreResult<std::collections::HashMap<RequestId, String>> {
    use super::schema::requests;
    if request_ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(requests::table
        .inner_join(tenants::table)
        .filter(requests::id.eq_any(request_ids))
        .select((requests::id, tenants::contact_email))
        .load::<(RequestId, String)>(conn)?
        .into_iter()
        .collect())
}
