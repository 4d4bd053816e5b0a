//! The deadline sweep: for every request whose next reminder moment has passed, record the
//! reminder stages reached (GDPR art. 12(3) deadline, README "Deadlines"), send the latest
//! one to the tenant and to support, flag it when overdue, and set the next moment.
//!
//! Exactly once, whatever the number of instances: a stage is sent only by the transaction
//! whose insert into `reminders` (primary key request, stage, target) succeeded; the event and
//! the outbox mail are written in that same transaction. Requests are handled in batches of
//! one transaction each; should a batch fail, its requests are retried one by one, so one bad
//! request never stops the others' reminders.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::domain::deadline::{ReminderStage, amsterdam_date, plan_reminders};
use crate::domain::reminders::next_reminder_at;
use crate::domain::{EventKind, Language, RequestId, TenantId};
use crate::error::{AppResult, chain};
use crate::mail::{DeadlineReminder, MailMessage};
use crate::service::notify::{queue_mail, request_url};
use crate::state::AppState;
use crate::store::events::{EventActor, NewEvent};
use crate::store::requests::{RequestRow, due_for_reminder, set_next_reminder};
use crate::store::schema::{reminders, requests};
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, StoreError, now, reminders as reminders_store, write_tx};

#[derive(Debug, Default, Clone, Copy)]
pub struct SweepReport {
    /// Requests looked at.
    pub requests: usize,
    /// Reminders sent (each stage once per request and target).
    pub sent: usize,
    /// Requests that failed on their own and were put off for an hour.
    pub failed: usize,
}

/// Requests per transaction.
const BATCH: i64 = 50;

pub fn run(state: &AppState, now_utc: DateTime<Utc>) -> Result<SweepReport, StoreError> {
    let mut conn = state.db.conn()?;
    let mut report = SweepReport::default();
    let mut sweep = Sweep {
        state,
        now_utc,
        today: amsterdam_date(now_utc),
        tenants: Tenant::all(&mut conn)?
            .into_iter()
            .map(|t| (t.id.clone(), t))
            .collect(),
    };
    loop {
        let due = due_for_reminder(&mut conn, now_utc.naive_utc(), BATCH)?;
        if due.is_empty() {
            break;
        }
        report.requests += due.len();
        match write_tx(&mut conn, |c| sweep.batch(c, &due)) {
            Ok(sent) => report.sent += sent,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "a sweep batch failed; handling its requests one by one");
                for id in &due {
                    match write_tx(&mut conn, |c| sweep.batch(c, std::slice::from_ref(id))) {
                        Ok(sent) => report.sent += sent,
                        Err(e) => {
                            // Put it off, so it cannot hold up the sweep; an operator sees the log.
                            tracing::error!(request = %id, error = %chain(&e), "reminder failed; retrying in an hour");
                            let later = now_utc.naive_utc() + chrono::Duration::hours(1);
                            set_next_reminder(&mut conn, id, Some(later))?;
                            report.failed += 1;
                        }
                    }
                }
            }
        }
        if due.len() < usize::try_from(BATCH).unwrap_or(50) {
            break;
        }
    }
    Ok(report)
}

struct Sweep<'a> {
    state: &'a AppState,
    now_utc: DateTime<Utc>,
    today: NaiveDate,
    tenants: HashMap<TenantId, Tenant>,
}

impl Sweep<'_> {
    /// One transaction: every request of `ids` whose moment has passed. Returns reminders sent.
    fn batch(&mut self, conn: &mut DbConnection, ids: &[RequestId]) -> AppResult<usize> {
        let at = now();
        let rows: Vec<RequestRow> = requests::table
            .filter(requests::id.eq_any(ids))
            .select(RequestRow::as_select())
            .load(conn)?;
        let mut recorded: HashMap<(RequestId, NaiveDate), Vec<ReminderStage>> = HashMap::new();
        for (id, stage, target) in reminders::table
            .filter(reminders::request_id.eq_any(ids))
            .select((reminders::request_id, reminders::stage, reminders::target))
            .load::<(RequestId, String, NaiveDate)>(conn)?
        {
            if let Ok(s) = stage.parse() {
                recorded.entry((id, target)).or_default().push(s);
            }
        }
        let mut sent = 0;
        for row in &rows {
            let status = row.status;
            if status.is_closed() || row.paused_since.is_some() {
                set_next_reminder(conn, &row.id, None)?;
                continue;
            }
            if row
                .next_reminder_at
                .is_none_or(|t| t > self.now_utc.naive_utc())
            {
                continue; // another sweep got here first
            }
            let target = row.deadline()?.target();
            let mut done = recorded
                .remove(&(row.id.clone(), target))
                .unwrap_or_default();
            let plan = plan_reminders(&self.state.calendar, target, self.today, &done);
            let inserted = record(conn, &row.id, &plan.skip, plan.send, target, at)?;
            done.extend(plan.skip.iter().copied());
            if let Some(stage) = plan.send {
                done.push(stage);
                if inserted.contains(&stage) {
                    self.remind(conn, row, stage, target, at)?;
                    sent += 1;
                }
            }
            let next = next_reminder_at(&self.state.calendar, target, &done).map(|t| t.naive_utc());
            set_next_reminder(conn, &row.id, next)?;
        }
        Ok(sent)
    }

    /// The reminder's event (and the overdue flag) and its mails.
    fn remind(
        &mut self,
        conn: &mut DbConnection,
        row: &RequestRow,
        stage: ReminderStage,
        target: NaiveDate,
        at: NaiveDateTime,
    ) -> AppResult<()> {
        let mut event = NewEvent::new(&row.id, &EventActor::system(), EventKind::Reminder, at);
        event.data = Some(
            serde_json::json!({"stage": stage.as_str(), "target": target.to_string(), "status": row.status})
                .to_string(),
        );
        event.insert(conn)?;
        if stage == ReminderStage::Overdue {
            // GDPR art. 12(3): past the answer date; support and the tenant see the flag.
            let mut flag = NewEvent::new(&row.id, &EventActor::system(), EventKind::Overdue, at);
            flag.data = Some(serde_json::json!({"target": target.to_string()}).to_string());
            flag.insert(conn)?;
        }
        let tenant = row
            .tenant_id
            .as_ref()
            .and_then(|id| self.tenants.get(id))
            .cloned();
        let message = MailMessage::from(DeadlineReminder {
            reference: row.reference.clone(),
            controller: tenant.as_ref().map(|t| t.name.clone()),
            kind: row.kind,
            stage,
            due_on: target,
            request_url: request_url(self.state, &row.reference),
            // GDPR art. 12(3): shown while an extension can still be announced.
            extension_notice_due: row.deadline()?.extension_possible_until(self.today),
        });
        if let Some(t) = &tenant {
            let language = t.language;
            queue_mail(conn, Some(&row.id), &t.contact_email, language, &message)?;
        }
        if let Some(support) = &self.state.settings.support_email {
            queue_mail(conn, Some(&row.id), support, Language::Nl, &message)?;
        }
        Ok(())
    }
}

/// Records the skipped stages and the one to send; returns the stages this call inserted
/// (a stage another sweep recorded first is not among them).
fn record(
    conn: &mut DbConnection,
    request_id: &RequestId,
    skip: &[ReminderStage],
    send: Option<ReminderStage>,
    target: NaiveDate,
    at: NaiveDateTime,
) -> AppResult<Vec<ReminderStage>> {
    let mut inserted = Vec::new();
    for (stage, mailed) in skip
        .iter()
        .map(|s| (*s, false))
        .chain(send.map(|s| (s, true)))
    {
        if reminders_store::record(conn, request_id, stage, target, mailed, at)? {
            inserted.push(stage);
        }
    }
    Ok(inserted)
}
