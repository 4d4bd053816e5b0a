//! Recomputes the stored dates of open requests when the deadline rule changed.
//!
//! The early reading (GDPR art. 12(3), Reg. 1182/71 art. 3(4), Algemene termijnenwet art. 3(1)):
//! legal and extended dates roll past weekends and the Atw art. 3(1) holidays only, no longer past
//! Good Friday or configured bridge days. Requests stored under the older rule may show a date
//! later than the law may allow, so every open request gets its dates computed again, with an
//! event that says why; closed requests keep the dates they were answered under. Idempotent: a
//! request whose dates already agree is left alone, so running it twice changes nothing.

use crate::domain::RequestId;
use crate::domain::deadline::{Calendar, Deadline};
use crate::domain::reminders::next_reminder_at;
use crate::error::{AppError, AppResult};
use crate::store::events::{EventActor, NewEvent};
use crate::store::requests::{RequestRow, open_after, set_recomputed_deadline};
use crate::store::{DbConnection, now, reminders, write_tx};

/// Why the dates moved, as the event records it.
pub const REASON: &str = "early_reading";

/// Requests per transaction.
const BATCH: i64 = 100;

/// Recomputes every open request's dates; returns how many changed.
pub fn recompute_open_deadlines(conn: &mut DbConnection, cal: &Calendar) -> AppResult<usize> {
    let mut changed = 0;
    let mut after: Option<RequestId> = None;
    loop {
        let rows = open_after(conn, after.as_ref(), BATCH)?;
        let Some(last) = rows.last() else {
            break;
        };
        after = Some(last.id.clone());
        changed += write_tx(conn, |conn| -> AppResult<usize> {
            let mut n = 0;
            for row in &rows {
                if recompute_one(conn, cal, row)? {
                    n += 1;
                }
            }
            Ok(n)
        })?;
        if rows.len() < usize::try_from(BATCH).unwrap_or(100) {
            break;
        }
    }
    Ok(changed)
}

/// One request, in the caller's transaction: true when its dates changed. A request another
/// writer changed meanwhile is left for the next run (its action already recomputed the dates
/// from the stored inputs under the new rule).
fn recompute_one(conn: &mut DbConnection, cal: &Calendar, row: &RequestRow) -> AppResult<bool> {
    let stored = row.deadline()?;
    let fresh = Deadline::compute(cal, stored.received, stored.paused_days, stored.extension)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if fresh == stored {
        return Ok(false);
    }
    let target = fresh.target();
    // The clock of a paused request does not run: no reminder until it resumes.
    let next = if row.paused_since.is_some() {
        None
    } else {
        let recorded = reminders::recorded(conn, &row.id, target)?;
        next_reminder_at(cal, target, &recorded).map(|t| t.naive_utc())
    };
    let at = now();
    let mut event = NewEvent::new(
        &row.id,
        &EventActor::system(),
        crate::domain::EventKind::DeadlineRecomputed,
        at,
    );
    event.note = Some(
        "Dates recomputed on the early reading: GDPR periods roll past weekends and the \
         holidays of Algemene termijnenwet art. 3(1) only, not past Good Friday or bridge days \
         (Reg. 1182/71 art. 3(4)); a date must never be later than the law may allow."
            .to_owned(),
    );
    event.data = Some(
        serde_json::json!({
            "reason": REASON,
            "legal": {"from": stored.legal.to_string(), "to": fresh.legal.to_string()},
            "extended": {
                "from": stored.extended.map(|d| d.to_string()),
                "to": fresh.extended.map(|d| d.to_string()),
            },
            "promised": {"from": stored.promised.to_string(), "to": fresh.promised.to_string()},
        })
        .to_string(),
    );
    Ok(set_recomputed_deadline(
        conn, row, &fresh, next, &event, at,
    )?)
}
