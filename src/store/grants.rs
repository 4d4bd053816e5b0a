//! Access grants: a controller's time-boxed permission (at most 24 hours) for one support
//! user to reach its tenant's data (processing agreement: support staff reach a customer's
//! data only through a logged grant). Rows only: who may give, revoke or use one is decided
//! in `service::grants`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::access_grants;
use super::{DbConnection, StoreResult};
use crate::domain::{TenantId, UserId};

/// Whether `user_id` holds a grant for `tenant_id` that runs at `now` (not revoked).
pub fn is_active(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
    user_id: &UserId,
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

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_grants)]
pub struct GrantRow {
    pub id: String,
    pub tenant_id: TenantId,
    pub grantee_id: UserId,
    pub granted_by: UserId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by: Option<UserId>,
    pub reason: String,
    pub first_used_at: Option<NaiveDateTime>,
}

impl GrantRow {
    /// Whether the grant runs at `now`: begun, not yet ended, not revoked.
    pub fn runs_at(&self, now: NaiveDateTime) -> bool {
        self.created_at <= now && now < self.expires_at && self.revoked_at.is_none()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = access_grants)]
pub struct NewGrant {
    pub id: String,
    pub tenant_id: TenantId,
    pub grantee_id: UserId,
    pub granted_by: UserId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub reason: String,
}

impl NewGrant {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(access_grants::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

/// The grant of `user_id` for `tenant_id` that runs at `now`, if any (the one ending last).
pub fn running(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
    user_id: &UserId,
    now: NaiveDateTime,
) -> StoreResult<Option<GrantRow>> {
    Ok(access_grants::table
        .filter(access_grants::tenant_id.eq(tenant_id))
        .filter(access_grants::grantee_id.eq(user_id))
        .filter(access_grants::created_at.le(now))
        .filter(access_grants::expires_at.gt(now))
        .filter(access_grants::revoked_at.is_null())
        .order(access_grants::expires_at.desc())
        .select(GrantRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
    id: &str,
) -> StoreResult<Option<GrantRow>> {
    Ok(access_grants::table
        .filter(access_grants::tenant_id.eq(tenant_id))
        .filter(access_grants::id.eq(id))
        .select(GrantRow::as_select())
        .first(conn)
        .optional()?)
}

/// A tenant's grants running at `now` or ended (expired or revoked) after `since`, newest first.
pub fn for_tenant(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
    since: NaiveDateTime,
) -> StoreResult<Vec<GrantRow>> {
    Ok(access_grants::table
        .filter(access_grants::tenant_id.eq(tenant_id))
        .filter(
            access_grants::expires_at
                .ge(since)
                .or(access_grants::revoked_at.ge(since)),
        )
        .order(access_grants::created_at.desc())
        .select(GrantRow::as_select())
        .load(conn)?)
}

/// Ends a grant at `at`; false if it was revoked already.
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
    by: &UserId,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        access_grants::table
            .filter(access_grants::id.eq(id))
            .filter(access_grants::revoked_at.is_null()),
    )
    .set((
        access_grants::revoked_at.eq(Some(at)),
        access_grants::revoked_by.eq(Some(by)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Notes the first use of a grant; true only for the call that used it first.
pub fn mark_first_use(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        access_grants::table
            .filter(access_grants::id.eq(id))
            .filter(access_grants::first_used_at.is_null()),
    )
    .set(access_grants::first_used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Grants of a tenant given in [from, to), and of those how many were used.
pub fn given_and_used(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> StoreResult<(i64, i64)> {
    let given: i64 = access_grants::table
        .filter(access_grants::tenant_id.eq(tenant_id))
        .filter(access_grants::created_at.ge(from))
        .filter(access_grants::created_at.lt(to))
        .count()
        .get_result(conn)?;
    let used: i64 = access_grants::table
        .filter(access_grants::tenant_id.eq(tenant_id))
        .filter(access_grants::created_at.ge(from))
        .filter(access_grants::created_at.lt(to))
        .filter(access_grants::first_used_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((given, used))
}

/// The grants given to `grantee_id` (of one tenant or all) running at `now` or ended after
/// `since`, newest first.
pub fn for_grantee(
    conn: &mut DbConnection,
    grantee_id: &UserId,
    tenant_id: Option<&TenantId>,
    since: NaiveDateTime,
) -> StoreResult<Vec<GrantRow>> {
    let mut q = access_grants::table
        .filter(access_grants::grantee_id.eq(grantee_id.to_owned()))
        .filter(
            access_grants::expires_at
                .ge(since)
                .or(access_grants::revoked_at.ge(since)),
        )
        .into_boxed();
    if let Some(t) = tenant_id {
        q = q.filter(access_grants::tenant_id.eq(t.to_owned()));
    }
    Ok(q.order(access_grants::created_at.desc())
        .select(GrantRow::as_select())
        .load(conn)?)
}
