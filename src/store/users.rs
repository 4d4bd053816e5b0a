//! Staff users: admin, support (the processor) and controller (a tenant's own staff).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::{DbConnection, StoreResult};
use crate::domain::{TenantId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    /// Stored lower-cased; logins compare lower-cased.
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub tenant_id: Option<TenantId>,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub tenant_id: Option<TenantId>,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn find(conn: &mut DbConnection, id: &UserId) -> StoreResult<Option<User>> {
        Ok(users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> StoreResult<Option<User>> {
        Ok(users::table
            .filter(users::email.eq(email.trim().to_lowercase()))
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn count(conn: &mut DbConnection) -> StoreResult<i64> {
        Ok(users::table.count().get_result(conn)?)
    }

    pub fn insert(conn: &mut DbConnection, new: &NewUser) -> StoreResult<User> {
        diesel::insert_into(users::table)
            .values(new)
            .execute(conn)?;
        Ok(users::table
            .find(&new.id)
            .select(User::as_select())
            .first(conn)?)
    }
}

impl User {
    /// Every user, by e-mail address (the console's admin page).
    pub fn all(conn: &mut DbConnection) -> StoreResult<Vec<User>> {
        Ok(users::table
            .order(users::email.asc())
            .select(User::as_select())
            .load(conn)?)
    }

    /// Disables or enables a user; a disabled user can no longer sign in or use a session.
    pub fn set_disabled(conn: &mut DbConnection, id: &UserId, disabled: bool) -> StoreResult<bool> {
        Ok(diesel::update(users::table.find(id))
            .set(users::disabled.eq(disabled))
            .execute(conn)?
            == 1)
    }

    /// Sets a new password hash; false when there is no such user.
    pub fn set_password_hash(
        conn: &mut DbConnection,
        id: &UserId,
        hash: &str,
    ) -> StoreResult<bool> {
        Ok(diesel::update(users::table.find(id))
            .set(users::password_hash.eq(hash))
            .execute(conn)?
            == 1)
    }
}
