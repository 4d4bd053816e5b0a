//! The job queue every instance shares. A job is claimed with a lease (`locked_until`); a
//! worker that dies leaves its lease to expire and another instance takes the job over.
//! On PostgreSQL the claim skips rows another transaction holds (`FOR UPDATE SKIP LOCKED`),
//! so instances never wait on each other or run one job twice at once; on SQLite there is
//! one writer and the claim runs in an immediate transaction.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};

use super::schema::jobs;
use super::{DbConnection, StoreResult, new_id, write_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub state: String,
    pub run_after: NaiveDateTime,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// A job to enqueue. A `dedupe_key` makes enqueueing idempotent: the second insert with the
/// same key is ignored (used for the scheduler's periodic jobs, enqueued by every instance).
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub dedupe_key: Option<String>,
    pub run_after: NaiveDateTime,
    pub max_attempts: i32,
}

/// Enqueues a job; false when one with the same dedupe key exists.
pub fn enqueue(conn: &mut DbConnection, job: &NewJob, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::sql_query(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, state, run_after, attempts, max_attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind::<Text, _>(new_id())
    .bind::<Text, _>(&job.kind)
    .bind::<Text, _>(job.payload.to_string())
    .bind::<Nullable<Text>, _>(job.dedupe_key.as_deref())
    .bind::<Timestamp, _>(job.run_after)
    .bind::<Integer, _>(job.max_attempts)
    .bind::<Timestamp, _>(now)
    .execute(conn)?;
    Ok(n == 1)
}

const COLUMNS: &str = "id, kind, payload, dedupe_key, state, run_after, attempts, max_attempts, locked_by, \
                       locked_until, last_error, created_at, updated_at, finished_at";

/// Claims the next job that is due, or one whose worker's lease ran out, for `lease`.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    lease: Duration,
    now: NaiveDateTime,
) -> StoreResult<Option<JobRow>> {
    let lock = if conn.is_postgres() {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
         WHERE id = (SELECT id FROM jobs \
                     WHERE state IN ('queued', 'running') AND run_after <= $3 \
                       AND (state = 'queued' OR locked_until < $3) \
                     ORDER BY run_after LIMIT 1 {lock}) \
         RETURNING {COLUMNS}"
    );
    write_tx(conn, |conn| {
        let row = diesel::sql_query(&sql)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(now + lease)
            .bind::<Timestamp, _>(now)
            .get_result::<JobRow>(conn)
            .optional()?;
        Ok(row)
    })
}

/// Extends a running job's lease; false when the job is no longer this worker's.
pub fn heartbeat(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    until: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::locked_by.eq(worker)),
    )
    .set(jobs::locked_until.eq(until))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks a job done; false when its lease had passed to another worker.
pub fn complete(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::locked_by.eq(worker))
            .filter(jobs::state.eq("running")),
    )
    .set((
        jobs::state.eq(JobState::Done.as_str()),
        jobs::locked_until.eq(None::<NaiveDateTime>),
        jobs::last_error.eq(None::<String>),
        jobs::updated_at.eq(now),
        jobs::finished_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// How long to wait before attempt `attempts + 1`: 30 s doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds((30i64 << exp).min(3600))
}

/// Records a failed attempt: back in the queue after a backoff, or dead after the last try.
pub fn fail(
    conn: &mut DbConnection,
    job: &JobRow,
    worker: &str,
    error: &str,
    now: NaiveDateTime,
) -> StoreResult<JobState> {
    let state = if job.attempts >= job.max_attempts {
        JobState::Dead
    } else {
        JobState::Queued
    };
    let error: String = error.chars().take(2000).collect();
    diesel::update(
        jobs::table
            .filter(jobs::id.eq(&job.id))
            .filter(jobs::locked_by.eq(worker)),
    )
    .set((
        jobs::state.eq(state.as_str()),
        jobs::run_after.eq(now + backoff(job.attempts)),
        jobs::locked_until.eq(None::<NaiveDateTime>),
        jobs::last_error.eq(Some(error)),
        jobs::updated_at.eq(now),
        jobs::finished_at.eq((state == JobState::Dead).then_some(now)),
    ))
    .execute(conn)?;
    Ok(state)
}

/// Jobs per (state, kind), for `/metrics`.
pub fn counts(conn: &mut DbConnection) -> StoreResult<Vec<(String, String, i64)>> {
    use diesel::dsl::count_star;
    Ok(jobs::table
        .group_by((jobs::state, jobs::kind))
        .select((jobs::state, jobs::kind, count_star()))
        .load(conn)?)
}

/// Jobs in a state, newest first.
pub fn list(conn: &mut DbConnection, state: Option<&str>, limit: i64) -> StoreResult<Vec<JobRow>> {
    let mut q = jobs::table.into_boxed();
    if let Some(s) = state {
        q = q.filter(jobs::state.eq(s.to_owned()));
    }
    Ok(q.order(jobs::updated_at.desc())
        .limit(limit)
        .select(JobRow::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<JobRow>> {
    Ok(jobs::table
        .find(id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_dedupe_key(conn: &mut DbConnection, key: &str) -> StoreResult<Option<JobRow>> {
    Ok(jobs::table
        .filter(jobs::dedupe_key.eq(key))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}

/// Puts a dead job back in the queue with fresh attempts; false if it was not dead.
pub fn retry(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::state.eq("dead")),
    )
    .set((
        jobs::state.eq("queued"),
        jobs::attempts.eq(0),
        jobs::run_after.eq(now),
        jobs::locked_by.eq(None::<String>),
        jobs::finished_at.eq(None::<NaiveDateTime>),
        jobs::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Forgets finished jobs older than `before` (dead ones are kept for the operator).
pub fn prune_done(conn: &mut DbConnection, before: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        jobs::table
            .filter(jobs::state.eq("done"))
            .filter(jobs::finished_at.lt(before)),
    )
    .execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(4), Duration::seconds(240));
        assert_eq!(backoff(20), Duration::seconds(3600));
        assert_eq!(backoff(0), Duration::seconds(30));
    }
}
