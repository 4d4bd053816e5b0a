//! Bundles: one compilation of a request's data per row, its progress and, once ready, the
//! encrypted file it lives in (`stored_files`) until its retention ends.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::bundles;
use super::{DbConnection, StoreResult};
use crate::domain::{RequestId, UserId};

/// Where a bundle is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleStatus {
    Queued,
    Running,
    Ready,
    /// The last try failed (it may be tried again: see its job).
    Failed,
    /// Past its retention: the file is gone.
    Expired,
}

impl BundleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bundles)]
pub struct BundleRow {
    pub id: String,
    pub request_id: RequestId,
    pub status: String,
    pub tables_done: i32,
    pub tables_total: i32,
    pub row_count: i64,
    pub file_id: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub error: Option<String>,
    /// The staff user who asked for it.
    pub requested_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = bundles)]
pub struct NewBundle {
    pub id: String,
    pub request_id: RequestId,
    pub status: String,
    pub tables_done: i32,
    pub tables_total: i32,
    pub row_count: i64,
    pub requested_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

/// The job that compiles a bundle is found by this dedupe key.
pub fn job_key(bundle_id: &str) -> String {
    format!("bundle:{bundle_id}")
}

impl BundleRow {
    pub fn is(&self, status: BundleStatus) -> bool {
        self.status == status.as_str()
    }

    pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<Self>> {
        Ok(bundles::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()?)
    }

    /// The request's newest bundle.
    pub fn latest_for_request(
        conn: &mut DbConnection,
        request_id: &RequestId,
    ) -> StoreResult<Option<Self>> {
        Ok(bundles::table
            .filter(bundles::request_id.eq(request_id))
            .order((bundles::created_at.desc(), bundles::id.desc()))
            .select(Self::as_select())
            .first(conn)
            .optional()?)
    }

    /// Ready bundles whose retention has ended.
    pub fn past_retention(conn: &mut DbConnection, now: NaiveDateTime) -> StoreResult<Vec<Self>> {
        Ok(bundles::table
            .filter(bundles::status.eq(BundleStatus::Ready.as_str()))
            .filter(bundles::expires_at.lt(now))
            .select(Self::as_select())
            .load(conn)?)
    }
}

impl NewBundle {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(bundles::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

/// A try begins: running, progress reset.
pub fn start(
    conn: &mut DbConnection,
    id: &str,
    tables_total: i32,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(bundles::table.find(id))
        .set((
            bundles::status.eq(BundleStatus::Running.as_str()),
            bundles::tables_done.eq(0),
            bundles::tables_total.eq(tables_total),
            bundles::row_count.eq(0),
            bundles::started_at.eq(Some(now)),
            bundles::finished_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn progress(conn: &mut DbConnection, id: &str, tables_done: i32, rows: i64) -> StoreResult<()> {
    diesel::update(bundles::table.find(id))
        .set((
            bundles::tables_done.eq(tables_done),
            bundles::row_count.eq(rows),
        ))
        .execute(conn)?;
    Ok(())
}

/// The file is complete: the bundle can be downloaded until `expires_at`.
pub struct ReadyBundle<'a> {
    pub file_id: &'a str,
    pub tables: i32,
    pub rows: i64,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub finished_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn ready(conn: &mut DbConnection, id: &str, r: &ReadyBundle<'_>) -> StoreResult<()> {
    diesel::update(bundles::table.find(id))
        .set((
            bundles::status.eq(BundleStatus::Ready.as_str()),
            bundles::file_id.eq(Some(r.file_id)),
            bundles::tables_done.eq(r.tables),
            bundles::row_count.eq(r.rows),
            bundles::size_bytes.eq(Some(r.size_bytes)),
            bundles::sha256.eq(Some(r.sha256)),
            bundles::error.eq(None::<String>),
            bundles::finished_at.eq(Some(r.finished_at)),
            bundles::expires_at.eq(Some(r.expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn failed(
    conn: &mut DbConnection,
    id: &str,
    error: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(bundles::table.find(id))
        .set((
            bundles::status.eq(BundleStatus::Failed.as_str()),
            bundles::error.eq(Some(error)),
            bundles::finished_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The file was removed at the end of the retention period.
pub fn expired(conn: &mut DbConnection, id: &str) -> StoreResult<()> {
    diesel::update(bundles::table.find(id))
        .set((
            bundles::status.eq(BundleStatus::Expired.as_str()),
            bundles::file_id.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}
