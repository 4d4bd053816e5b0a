//! Mail waiting to be sent. A row is written in the same transaction as the change that
//! causes it; the outbox worker sends it (claiming with a lease, like jobs), marks it sent,
//! and retries with backoff while the mail server is down. The Message-ID is fixed when the
//! row is written, so a re-send after a crash is recognisably the same message.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::schema::outbox;
use super::{DbConnection, StoreResult, write_tx};
use crate::domain::Language;
use crate::domain::RequestId;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub request_id: Option<RequestId>,
    pub template: String,
    pub recipient: String,
    pub language: Language,
    /// The message's context as JSON (`mail::MailMessage`), rendered when sent.
    pub payload: String,
    pub message_id: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutbox {
    pub id: String,
    pub request_id: Option<RequestId>,
    pub template: String,
    pub recipient: String,
    pub language: Language,
    /// The message's context as JSON (`mail::MailMessage`), rendered when sent.
    pub payload: String,
    pub message_id: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl NewOutbox {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(outbox::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

/// Tries before a message is given up as dead (with backoff capped at an hour: about two days).
pub const MAX_ATTEMPTS: i32 = 50;

const COLUMNS: &str = "id, request_id, template, recipient, language, payload, message_id, \
                       state, attempts, next_attempt_at, locked_by, locked_until, last_error, created_at, sent_at";

/// Claims up to `limit` due messages for `worker` in one statement, each with a lease and its
/// try counted, oldest due first. On PostgreSQL rows another sender holds are skipped (`SKIP
/// LOCKED`), so several instances share the outbox without sending a message twice.
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    lease: Duration,
    now: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<OutboxRow>> {
    let lock = if conn.is_postgres() {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE outbox SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $3 \
                       AND (locked_until IS NULL OR locked_until < $3) \
                     ORDER BY next_attempt_at LIMIT $4 {lock}) \
         RETURNING {COLUMNS}"
    );
    let claim = |conn: &mut DbConnection| -> StoreResult<Vec<OutboxRow>> {
        let mut rows = diesel::sql_query(&sql)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(now + lease)
            .bind::<Timestamp, _>(now)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load::<OutboxRow>(conn)?;
        rows.sort_by_key(|r| r.next_attempt_at);
        Ok(rows)
    };
    match conn {
        // One statement is atomic by itself: no BEGIN/COMMIT round trips.
        DbConnection::Postgresql(_) => claim(conn),
        // SQLite: an immediate write transaction, so two senders never claim the same row.
        DbConnection::Sqlite(_) => write_tx(conn, claim),
    }
}

/// Records messages as sent, in one statement.
pub fn mark_all_sent(
    conn: &mut DbConnection,
    ids: &[String],
    now: NaiveDateTime,
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::state.eq("sent"),
            outbox::sent_at.eq(Some(now)),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed send: retried after a backoff, or dead when permanent or out of tries.
pub fn fail(
    conn: &mut DbConnection,
    row: &OutboxRow,
    reason: &str,
    permanent: bool,
    now: NaiveDateTime,
) -> StoreResult<&'static str> {
    let state = if permanent || row.attempts >= MAX_ATTEMPTS {
        "dead"
    } else {
        "pending"
    };
    diesel::update(outbox::table.filter(outbox::id.eq(&row.id)))
        .set((
            outbox::state.eq(state),
            outbox::next_attempt_at.eq(now + super::jobs::backoff(row.attempts)),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(Some(reason.chars().take(500).collect::<String>())),
        ))
        .execute(conn)?;
    Ok(state)
}

/// The outbox at a glance: messages per state and the oldest pending one's age.
#[derive(Debug, Clone, Default)]
pub struct OutboxStats {
    pub by_state: Vec<(String, i64)>,
    /// Seconds since the oldest message not yet sent was written.
    pub oldest_pending_secs: Option<i64>,
}

/// For `/metrics`: (state, count) and the age in seconds of the oldest pending message.
pub fn stats(conn: &mut DbConnection, now: NaiveDateTime) -> StoreResult<OutboxStats> {
    use diesel::dsl::{count_star, min};
    let counts = outbox::table
        .group_by(outbox::state)
        .select((outbox::state, count_star()))
        .load::<(String, i64)>(conn)?;
    let oldest: Option<NaiveDateTime> = outbox::table
        .filter(outbox::state.eq("pending"))
        .select(min(outbox::created_at))
        .first(conn)?;
    Ok(OutboxStats {
        by_state: counts,
        oldest_pending_secs: oldest.map(|t| (now - t).num_seconds().max(0)),
    })
}

/// The messages about one request, oldest first (for tests and the operator).
pub fn for_request(conn: &mut DbConnection, request_id: &RequestId) -> StoreResult<Vec<OutboxRow>> {
    Ok(outbox::table
        .filter(outbox::request_id.eq(request_id))
        .order(outbox::created_at.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}
