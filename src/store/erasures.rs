//! Erasing the personal fields of closed requests past their retention (GDPR art. 5(1)(e)):
//! the request row keeps the anonymous record (kind, tenant, dates, outcome, ground).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{outbox, request_erasures, request_events, request_identities, requests};
use super::{DbConnection, StoreResult};
use crate::domain::{RequestId, TenantId};

/// Closed requests closed before `cutoff` whose personal fields are not erased yet, oldest
/// first: (id, tenant id).
pub fn due(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<(RequestId, Option<TenantId>)>> {
    Ok(requests::table
        .filter(requests::closed_at.lt(cutoff))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            request_erasures::table.filter(request_erasures::request_id.eq(requests::id)),
        )))
        .order(requests::closed_at.asc())
        .limit(limit)
        .select((requests::id, requests::tenant_id))
        .load(conn)?)
}

/// Erases one request's personal fields in the caller's transaction: the subject's name,
/// e-mail, phone and details, free texts that may name them, the identifiers staff added, the
/// notes on its events and the contents of its mail. False when it was erased already.
pub fn erase(
    conn: &mut DbConnection,
    request_id: &RequestId,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let done: i64 = request_erasures::table
        .filter(request_erasures::request_id.eq(request_id))
        .count()
        .get_result(conn)?;
    if done > 0 {
        return Ok(false);
    }
    diesel::insert_into(request_erasures::table)
        .values((
            request_erasures::request_id.eq(request_id),
            request_erasures::erased_at.eq(at),
        ))
        .execute(conn)?;
    diesel::update(requests::table.filter(requests::id.eq(request_id)))
        .set((
            requests::subject_name.eq(""),
            requests::subject_email.eq(""),
            requests::subject_email_norm.eq(""),
            requests::subject_phone.eq(None::<String>),
            requests::details.eq(None::<String>),
            requests::identity_check.eq(None::<String>),
            requests::extension_reason.eq(None::<String>),
            requests::refusal_reason.eq(None::<String>),
            requests::updated_at.eq(at),
        ))
        .execute(conn)?;
    diesel::delete(request_identities::table.filter(request_identities::request_id.eq(request_id)))
        .execute(conn)?;
    diesel::update(request_events::table.filter(request_events::request_id.eq(request_id)))
        .set(request_events::note.eq(None::<String>))
        .execute(conn)?;
    // The identity question's data may carry the reason for an ID copy.
    diesel::update(
        request_events::table
            .filter(request_events::request_id.eq(request_id))
            .filter(request_events::kind.eq("identity_requested")),
    )
    .set(request_events::data.eq(None::<String>))
    .execute(conn)?;
    // Mail never sent in all that time is given up (dead), so the sender never tries it again.
    diesel::update(
        outbox::table
            .filter(outbox::request_id.eq(request_id))
            .filter(outbox::state.eq("pending")),
    )
    .set((
        outbox::state.eq("dead"),
        outbox::last_error.eq(Some("erased after the retention period")),
    ))
    .execute(conn)?;
    diesel::update(outbox::table.filter(outbox::request_id.eq(request_id)))
        .set((outbox::recipient.eq(""), outbox::payload.eq("{}")))
        .execute(conn)?;
    Ok(true)
}

/// How many requests had their personal fields erased, for `/metrics`.
pub fn count(conn: &mut DbConnection) -> StoreResult<i64> {
    Ok(request_erasures::table.count().get_result(conn)?)
}
