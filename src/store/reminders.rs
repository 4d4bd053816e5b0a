//! Deadline reminders recorded per request, stage and target date: each at most once
//! (the primary key), whichever instance's sweep gets there first.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Text, Timestamp};

use super::schema::reminders;
use super::{DbConnection, StoreResult};
use crate::domain::RequestId;
use crate::domain::deadline::ReminderStage;

/// The stages recorded (sent or skipped) for `target`.
pub fn recorded(
    conn: &mut DbConnection,
    request_id: &RequestId,
    target: NaiveDate,
) -> StoreResult<Vec<ReminderStage>> {
    let stages: Vec<String> = reminders::table
        .filter(reminders::request_id.eq(request_id))
        .filter(reminders::target.eq(target))
        .select(reminders::stage)
        .load(conn)?;
    Ok(stages.iter().filter_map(|s| s.parse().ok()).collect())
}

/// Records a stage; false when it was recorded already (by this or another instance).
pub fn record(
    conn: &mut DbConnection,
    request_id: &RequestId,
    stage: ReminderStage,
    target: NaiveDate,
    mailed: bool,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::sql_query(
        "INSERT INTO reminders (request_id, stage, target, sent_at, mailed) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (request_id, stage, target) DO NOTHING",
    )
    .bind::<Text, _>(request_id)
    .bind::<Text, _>(stage.as_str())
    .bind::<Date, _>(target)
    .bind::<Timestamp, _>(at)
    .bind::<Bool, _>(mailed)
    .execute(conn)?;
    Ok(n == 1)
}
