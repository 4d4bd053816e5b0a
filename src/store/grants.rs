//! Access grants: a controller's time-boxed permission (at most 24 hours) for one support
//! user to reach its tenant's data (processing agreement: support staff reach a customer's
//! data only through a logged grant). Creating and revoking them arrives with the grants
//! work; reading them is here so that bundle access already obeys them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::access_grants;
use super::{DbConnection, StoreResult};

/// Whether `user_id` holds a grant for `tenant_id` that runs at `now` (not revoked).
pub fn is_active(
    conn: &mut DbConnection,
    tenant_id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n: i64 = access_grants::table
        .filter(access_grants::tenant_id.eq(tenant_id))
        .filter(access_grants::grantee_id.eq(user_id))
        .filter(access_grants::created_at.le(now))
        .filter(access_grants::expires_at.gt(now))
        .filter(access_grants::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
