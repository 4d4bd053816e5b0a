//! The deadline sweep: for every request whose next reminder moment has passed, record the
//! reminder stages reached (GDPR art. 12(3) deadline, DESIGN.md "Deadlines"), send the latest
//! one to the tenant and to support, flag it when overdue, and set the next moment.
//!
//! Exactly once, whatever the number of instances: a stage is sent only by the transaction
//! whose insert into `reminders` (primary key request, stage, target) succeeded; the event and
//! the outbox mail are written in that same transaction.

use chrono::{DateTime, Utc};

use crate::domain::deadline::{ReminderStage, amsterdam_date, plan_reminders};
use crate::domain::reminders::next_reminder_at;
use crate::domain::{Language, Status};
use crate::error::AppError;
use crate::mail::{DeadlineReminder, MailMessage};
use crate::service::notify::{queue_mail, request_url};
use crate::state::AppState;
use crate::store::events::{EventActor, NewEvent};
use crate::store::requests::{RequestRow, due_for_reminder, set_next_reminder};
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, now, reminders, write_tx};

#[derive(Debug, Default, Clone, Copy)]
pub struct SweepReport {
    /// Requests looked at.
    pub requests: usize,
    /// Reminders sent (each stage once per request and target).
    pub sent: usize,
}

const BATCH: i64 = 200;

pub fn run(state: &AppState, now_utc: DateTime<Utc>) -> Result<SweepReport, String> {
    let mut conn = state.db.conn().map_err(|e| e.to_string())?;
    let mut report = SweepReport::default();
    let cutoff = now_utc.naive_utc();
    loop {
        let due = due_for_reminder(&mut conn, cutoff, BATCH).map_err(|e| e.to_string())?;
        if due.is_empty() {
            break;
        }
        let n = due.len();
        for id in due {
            report.requests += 1;
            if sweep_one(&mut conn, state, &id, now_utc)
                .map_err(|e| format!("request {id}: {e}"))?
            {
                report.sent += 1;
            }
        }
        // Every request handled gets a later moment (or none), so each pass shrinks the set.
        if n < usize::try_from(BATCH).unwrap_or(200) {
            break;
        }
    }
    Ok(report)
}

/// Handles one request; true when it sent a reminder.
pub fn sweep_one(
    conn: &mut DbConnection,
    state: &AppState,
    id: &str,
    now_utc: DateTime<Utc>,
) -> Result<bool, AppError> {
    let today = amsterdam_date(now_utc);
    let at = now();
    write_tx(conn, |conn| {
        let Some(row) = RequestRow::find(conn, id)? else {
            return Ok(false);
        };
        let status = row.status()?;
        if status.is_closed() || row.paused_since.is_some() {
            set_next_reminder(conn, id, None)?;
            return Ok(false);
        }
        if row.next_reminder_at.is_none_or(|t| t > now_utc.naive_utc()) {
            return Ok(false); // another sweep got here first
        }
        let target = row.deadline()?.target();
        let mut recorded = reminders::recorded(conn, id, target)?;
        let plan = plan_reminders(&state.calendar, target, today, &recorded);
        for stage in &plan.skip {
            reminders::record(conn, id, *stage, target, false, at)?;
            recorded.push(*stage);
        }
        let mut sent = false;
        if let Some(stage) = plan.send {
            recorded.push(stage);
            if reminders::record(conn, id, stage, target, true, at)? {
                remind(conn, state, &row, status, stage, target)?;
                sent = true;
            }
        }
        let next = next_reminder_at(&state.calendar, target, &recorded).map(|t| t.naive_utc());
        set_next_reminder(conn, id, next)?;
        Ok(sent)
    })
}

/// The reminder's event (and the overdue flag) and its mails, in the sweep's transaction.
fn remind(
    conn: &mut DbConnection,
    state: &AppState,
    row: &RequestRow,
    status: Status,
    stage: ReminderStage,
    target: chrono::NaiveDate,
) -> Result<(), AppError> {
    let at = now();
    let mut event = NewEvent::new(&row.id, &EventActor::system(), "reminder", at);
    event.data = Some(serde_json::json!({"stage": stage.as_str(), "target": target.to_string(), "status": status.as_str()}).to_string());
    event.insert(conn)?;
    if stage == ReminderStage::Overdue {
        // GDPR art. 12(3): past the answer date; support and the tenant see the flag.
        let mut flag = NewEvent::new(&row.id, &EventActor::system(), "overdue", at);
        flag.data = Some(serde_json::json!({"target": target.to_string()}).to_string());
        flag.insert(conn)?;
    }
    let tenant = match &row.tenant_id {
        Some(tid) => Tenant::find(conn, tid)?,
        None => None,
    };
    let message = MailMessage::from(DeadlineReminder {
        reference: row.reference.clone(),
        controller: tenant.as_ref().map(|t| t.name.clone()),
        kind: row.kind()?,
        stage,
        due_on: target,
        request_url: request_url(state, &row.reference),
    });
    if let Some(t) = &tenant {
        let language = t.language.parse().unwrap_or(Language::Nl);
        queue_mail(
            conn,
            state,
            Some(&row.id),
            &t.contact_email,
            language,
            &message,
        )?;
    }
    if let Some(support) = &state.settings.support_email {
        queue_mail(conn, state, Some(&row.id), support, Language::Nl, &message)?;
    }
    Ok(())
}
