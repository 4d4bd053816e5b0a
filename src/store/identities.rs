//! Extra identifiers of a request's subject (phone, customer id, another e-mail) that staff
//! add so a bundle finds every row of the person (docs/api.md, "Data maps": e-mail always; phone and
//! customer id when staff add them).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::request_identities;
use super::{DbConnection, StoreResult};
use crate::domain::{RequestId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_identities)]
pub struct RequestIdentity {
    pub id: String,
    pub request_id: RequestId,
    pub kind: String,
    pub value: String,
    /// The staff user who added it.
    pub added_by: Option<UserId>,
    pub added_at: NaiveDateTime,
}

impl RequestIdentity {
    pub fn for_request(conn: &mut DbConnection, request_id: &RequestId) -> StoreResult<Vec<Self>> {
        Ok(request_identities::table
            .filter(request_identities::request_id.eq(request_id))
            .order((
                request_identities::added_at.asc(),
                request_identities::id.asc(),
            ))
            .select(Self::as_select())
            .load(conn)?)
    }

    /// Inserts it; the same kind and value twice on one request is a unique violation.
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(request_identities::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }

    /// Removes one of the request's identities; false when there was none.
    pub fn delete(conn: &mut DbConnection, request_id: &RequestId, id: &str) -> StoreResult<bool> {
        let n = diesel::delete(
            request_identities::table
                .filter(request_identities::request_id.eq(request_id))
                .filter(request_identities::id.eq(id)),
        )
        .execute(conn)?;
        Ok(n > 0)
    }
}
