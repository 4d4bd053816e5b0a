//! Copies of identity documents a subject uploaded, where the tenant's policy asks for one.
//! The bytes are a stored file (purpose `id_document`, encrypted); a row here says which
//! request it belongs to. Once the copy is deleted the row keeps only when it was uploaded and
//! when it was deleted: no file, no type, no size (EDPB Guidelines 01/2022 §§58-79; GDPR
//! art. 5(1)(c) and (e)).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{id_documents, requests, stored_files};
use super::{DbConnection, StoreResult};
use crate::domain::RequestId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = id_documents)]
pub struct IdDocumentRow {
    pub id: String,
    pub request_id: RequestId,
    pub file_id: Option<String>,
    /// `application/pdf`, `image/jpeg` or `image/png`, as sniffed from the content; empty
    /// once deleted.
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = id_documents)]
pub struct NewIdDocument {
    pub id: String,
    pub request_id: RequestId,
    pub file_id: Option<String>,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: NaiveDateTime,
}

impl NewIdDocument {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(id_documents::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

impl IdDocumentRow {
    /// The copies a request still holds, newest first.
    pub fn held(
        conn: &mut DbConnection,
        request_id: &RequestId,
    ) -> StoreResult<Vec<IdDocumentRow>> {
        Ok(id_documents::table
            .filter(id_documents::request_id.eq(request_id))
            .filter(id_documents::deleted_at.is_null())
            .order(id_documents::uploaded_at.desc())
            .select(IdDocumentRow::as_select())
            .load(conn)?)
    }

    /// Every copy row of a request, deleted ones included, oldest first.
    pub fn all_for_request(
        conn: &mut DbConnection,
        request_id: &RequestId,
    ) -> StoreResult<Vec<IdDocumentRow>> {
        Ok(id_documents::table
            .filter(id_documents::request_id.eq(request_id))
            .order(id_documents::uploaded_at.asc())
            .select(IdDocumentRow::as_select())
            .load(conn)?)
    }
}

/// Empties a copy's row: no file, no type, no size; only the two moments remain.
pub fn mark_deleted(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        id_documents::table
            .filter(id_documents::id.eq(id))
            .filter(id_documents::deleted_at.is_null()),
    )
    .set((
        id_documents::file_id.eq(None::<String>),
        id_documents::content_type.eq(""),
        id_documents::size_bytes.eq(0i64),
        id_documents::deleted_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Copies still held that were uploaded before `cutoff` (index `id_documents_held`).
pub fn held_uploaded_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<IdDocumentRow>> {
    Ok(id_documents::table
        .filter(id_documents::deleted_at.is_null())
        .filter(id_documents::uploaded_at.lt(cutoff))
        .order(id_documents::uploaded_at.asc())
        .limit(limit)
        .select(IdDocumentRow::as_select())
        .load(conn)?)
}

/// Copies still held for requests that no longer wait for identity (checked or closed): a
/// path that missed deleting them is caught here.
pub fn held_not_needed(conn: &mut DbConnection, limit: i64) -> StoreResult<Vec<IdDocumentRow>> {
    Ok(id_documents::table
        .inner_join(requests::table)
        .filter(id_documents::deleted_at.is_null())
        .filter(
            requests::identity_pending
                .eq(false)
                .or(requests::closed_at.is_not_null()),
        )
        .limit(limit)
        .select(IdDocumentRow::as_select())
        .load(conn)?)
}

/// Stored ID copy files started before `cutoff` that no held copy refers to (an upload that
/// died between storing the file and recording it).
pub fn stray_files(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<String>> {
    use diesel::dsl::{exists, not};
    Ok(stored_files::table
        .filter(stored_files::purpose.eq("id_document"))
        .filter(stored_files::created_at.lt(cutoff))
        .filter(not(exists(
            id_documents::table
                .filter(id_documents::file_id.eq(stored_files::id.nullable()))
                .filter(id_documents::deleted_at.is_null()),
        )))
        .limit(limit)
        .select(stored_files::id)
        .load(conn)?)
}
