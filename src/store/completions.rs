//! How a completed request was answered (`request_results`) and the one-time codes that
//! guard the subject's download of a released bundle (`download_codes`). Side tables: the
//! `requests` row is at diesel's column limit.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{download_codes, request_results};
use super::{DbConnection, StoreResult};
use crate::domain::RequestId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_results)]
pub struct RequestResultRow {
    pub request_id: RequestId,
    /// `done` or `no_data`.
    pub result: String,
    /// The bundle released to the subject, if any.
    pub bundle_id: Option<String>,
    pub created_at: NaiveDateTime,
}

impl RequestResultRow {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(request_results::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }

    pub fn find(conn: &mut DbConnection, request_id: &RequestId) -> StoreResult<Option<Self>> {
        Ok(request_results::table
            .find(request_id)
            .select(Self::as_select())
            .first(conn)
            .optional()?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = download_codes)]
pub struct DownloadCodeRow {
    pub id: String,
    pub request_id: RequestId,
    pub bundle_id: String,
    /// Hex SHA-256 over the row's id and the code; the code itself is never stored.
    pub code_hash: String,
    pub failures: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl DownloadCodeRow {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(download_codes::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }

    /// The request's newest code (an older one is replaced by asking for a new one).
    pub fn latest(conn: &mut DbConnection, request_id: &RequestId) -> StoreResult<Option<Self>> {
        Ok(download_codes::table
            .filter(download_codes::request_id.eq(request_id))
            .order((download_codes::created_at.desc(), download_codes::id.desc()))
            .select(Self::as_select())
            .first(conn)
            .optional()?)
    }

    /// Counts one wrong try; the caller's transaction holds the row.
    pub fn count_failure(conn: &mut DbConnection, id: &str) -> StoreResult<()> {
        diesel::update(download_codes::table.find(id))
            .set(download_codes::failures.eq(download_codes::failures + 1))
            .execute(conn)?;
        Ok(())
    }
}
