//! Console sessions: one row per signed-in browser, keyed by the hash of its cookie secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::console_sessions;
use super::{DbConnection, StoreResult};
use crate::domain::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleSession {
    pub id: String,
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl ConsoleSession {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(console_sessions::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }

    /// The session with this id that has not expired at `now`.
    pub fn find_live(
        conn: &mut DbConnection,
        id: &str,
        now: NaiveDateTime,
    ) -> StoreResult<Option<ConsoleSession>> {
        Ok(console_sessions::table
            .find(id)
            .filter(console_sessions::expires_at.gt(now))
            .select(ConsoleSession::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn delete(conn: &mut DbConnection, id: &str) -> StoreResult<()> {
        diesel::delete(console_sessions::table.find(id)).execute(conn)?;
        Ok(())
    }

    /// Ends every session of a user (disabled, or a new password).
    pub fn delete_for_user(conn: &mut DbConnection, user_id: &UserId) -> StoreResult<usize> {
        Ok(
            diesel::delete(console_sessions::table.filter(console_sessions::user_id.eq(user_id)))
                .execute(conn)?,
        )
    }

    /// Forgets sessions that expired before `now`.
    pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> StoreResult<usize> {
        Ok(
            diesel::delete(console_sessions::table.filter(console_sessions::expires_at.le(now)))
                .execute(conn)?,
        )
    }
}
