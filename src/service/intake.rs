//! Filing a request: the public form, or staff entering one that came by letter or phone.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

use crate::auth::Principal;
use crate::domain::deadline::{Deadline, amsterdam_date};
use crate::domain::reminders::next_reminder_at;
use crate::domain::{
    Channel, Details, Language, RequestKind, Role, Status, SubjectEmail, SubjectName, SubjectPhone,
};
use crate::domain::{EventKind, Reference, RequestId};
use crate::error::{AppError, AppResult};
use crate::service::notify;
use crate::state::AppState;
use crate::store::events::{EventActor, NewEvent};
use crate::store::intake::{self as store_intake, IntakeRows};
use crate::store::outbox::NewOutbox;
use crate::store::requests::{NewRequest, RequestRow, next_reference, next_reference_from};
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, now, write_tx};

/// The longest organisation name a subject may type where no known tenant matched.
pub const NAMED_TENANT_MAX: usize = 200;

/// A validated intake.
#[derive(Debug, Clone)]
pub struct Intake {
    pub tenant_slug: Option<String>,
    pub kind: RequestKind,
    pub name: SubjectName,
    pub email: SubjectEmail,
    pub phone: Option<SubjectPhone>,
    pub details: Option<Details>,
    pub language: Language,
    pub channel: Channel,
    /// When it reached the processor; staff may give an earlier moment (a letter's arrival).
    pub received_at: DateTime<Utc>,
    /// The staff user entering it; None for the public form.
    pub staff: Option<Principal>,
    /// `Idempotency-Key` header and a hash of the body it came with.
    pub idempotency: Option<(String, String)>,
}

#[derive(Debug)]
pub struct Filed {
    pub request: RequestRow,
    pub tenant_slug: Option<String>,
    /// True when an earlier call with the same idempotency key made this request.
    pub replayed: bool,
}

fn replay(
    row: RequestRow,
    stored_hash: &str,
    hash: &str,
    conn: &mut DbConnection,
) -> AppResult<Filed> {
    if stored_hash != hash {
        return Err(AppError::field(
            "Idempotency-Key",
            "was used before with a different request body",
        ));
    }
    let tenant_slug = match &row.tenant_id {
        Some(id) => Tenant::find(conn, id)?.map(|t| t.slug),
        None => None,
    };
    Ok(Filed {
        request: row,
        tenant_slug,
        replayed: true,
    })
}

/// Which tenant an intake is for, and the organisation a subject named that matched none.
/// Controllers file for their own tenant whatever the body says; others name one or not.
/// A public intake naming no known tenant is filed without one, for support to assign,
/// with what the subject wrote kept on its first event: answering "not a known tenant"
/// would tell anyone which organisations are the processor's customers.
/// `seen` keeps the tenants already looked up by slug (a group of intakes asks once per slug).
fn resolve_tenant(
    conn: &mut DbConnection,
    intake: &Intake,
    seen: &mut HashMap<String, Option<Tenant>>,
) -> AppResult<(Option<Tenant>, Option<String>)> {
    let mut by_slug = |conn: &mut DbConnection, slug: &String| -> AppResult<Option<Tenant>> {
        if let Some(t) = seen.get(slug) {
            return Ok(t.clone());
        }
        let found = Tenant::find_by_slug(conn, slug)?;
        seen.insert(slug.clone(), found.clone());
        Ok(found)
    };
    let mut named = None;
    let tenant = match (&intake.staff, &intake.tenant_slug) {
        (Some(p), _) if p.role == Role::Controller => match &p.tenant_id {
            Some(id) => Tenant::find(conn, id)?,
            None => None,
        },
        (Some(_), Some(slug)) => Some(
            by_slug(conn, slug)?
                .ok_or_else(|| AppError::field("tenant", "is not a known tenant"))?,
        ),
        (None, Some(slug)) => {
            let found = by_slug(conn, slug)?;
            if found.is_none() {
                named = Some(slug.chars().take(NAMED_TENANT_MAX).collect::<String>());
            }
            found
        }
        (_, None) => None,
    };
    Ok((tenant, named))
}

/// An intake with its tenant and deadline decided: everything but its reference.
struct Prepared<'a> {
    intake: &'a Intake,
    tenant: Option<Tenant>,
    named: Option<String>,
    received_on: NaiveDate,
    deadline: Deadline,
    status: Status,
    paused_since: Option<NaiveDate>,
    id: RequestId,
    at: NaiveDateTime,
}

impl<'a> Prepared<'a> {
    fn new(
        state: &AppState,
        intake: &'a Intake,
        tenant: Option<Tenant>,
        named: Option<String>,
    ) -> AppResult<Self> {
        // GDPR art. 12(3): the clock starts the day the request reached us (Europe/Amsterdam).
        let received_on = amsterdam_date(intake.received_at);
        let deadline = Deadline::compute(&state.calendar, received_on, 0, None)
            .map_err(|e| AppError::field("received_at", e.to_string()))?;
        // A public intake waits for its e-mail address to be confirmed, with the clock paused
        // from the day it arrived; staff-entered requests start at `received`.
        let (status, paused_since) = match intake.staff {
            Some(_) => (Status::Received, None),
            None => (Status::AwaitingVerification, Some(received_on)),
        };
        Ok(Self {
            intake,
            tenant,
            named,
            received_on,
            deadline,
            status,
            paused_since,
            id: RequestId::generate(),
            at: now(),
        })
    }

    /// The year whose reference series the request takes its number from.
    fn year(&self) -> i32 {
        self.received_on.year()
    }

    fn tenant_slug(&self) -> Option<String> {
        self.tenant.as_ref().map(|t| t.slug.clone())
    }

    /// The rows of the request, once its reference is allocated.
    fn rows(
        &self,
        state: &AppState,
        reference: Reference,
    ) -> AppResult<(NewRequest, NewEvent, Vec<NewOutbox>)> {
        let intake = self.intake;
        let (id, at, deadline) = (&self.id, self.at, &self.deadline);
        let actor = match &intake.staff {
            Some(p) => EventActor::staff(&p.user_id, &p.email),
            None => EventActor::subject(),
        };
        let new = NewRequest {
            id: id.clone(),
            reference: reference.to_string(),
            tenant_id: self.tenant.as_ref().map(|t| t.id.clone()),
            kind: intake.kind,
            status: self.status,
            channel: intake.channel.as_str().to_owned(),
            language: intake.language,
            subject_name: intake.name.as_str().to_owned(),
            subject_email: intake.email.as_str().to_owned(),
            subject_email_norm: intake.email.normalized(),
            subject_phone: intake.phone.as_ref().map(|p| p.as_str().to_owned()),
            details: intake.details.as_ref().map(|d| d.as_str().to_owned()),
            received_at: intake.received_at.naive_utc(),
            received_on: self.received_on,
            legal_due: deadline.legal,
            promised_due: deadline.promised,
            extended_due: None,
            paused_days: 0,
            paused_since: self.paused_since,
            identity_pending: false,
            due_at: deadline.due_at().naive_utc(),
            // The sweep looks at a running request from its first reminder stage on; a public
            // intake's clock waits for the e-mail confirmation.
            next_reminder_at: self
                .paused_since
                .is_none()
                .then(|| next_reminder_at(&state.calendar, deadline.target(), &[]))
                .flatten()
                .map(|t| t.naive_utc()),
            version: 0,
            created_at: at,
            updated_at: at,
        };
        let mut event = NewEvent::new(id, &actor, EventKind::Received, at);
        event.to_status = Some(self.status);
        event.public = true;
        let mut data = serde_json::json!({
            "channel": intake.channel.as_str(),
            "kind": intake.kind.as_str(),
            "tenant": self.tenant_slug(),
        });
        if let Some(name) = &self.named {
            // Staff read it to assign the request; the subject's own words, never a lookup.
            data["named_tenant"] = name.clone().into();
            event.note = Some(name.clone());
        }
        event.data = Some(data.to_string());
        let mail = notify::on_intake(
            state,
            &new.clone().into_row(),
            self.tenant.as_ref(),
            intake.received_at.max(Utc::now()),
        )?;
        Ok((new, event, mail))
    }
}

/// Files a request: allocates its reference, computes its deadline and writes the row and
/// its first event in one transaction. Same idempotency key and body → the same request.
pub fn file(conn: &mut DbConnection, state: &AppState, intake: Intake) -> AppResult<Filed> {
    if let Some((key, hash)) = &intake.idempotency
        && let Some((row, stored)) = RequestRow::find_by_idempotency_key(conn, key)?
    {
        return replay(row, &stored, hash, conn);
    }
    let (tenant, named) = resolve_tenant(conn, &intake, &mut HashMap::new())?;
    let prepared = Prepared::new(state, &intake, tenant, named)?;
    let year = prepared.year();
    let write = |conn: &mut DbConnection, reference: Reference| -> AppResult<RequestRow> {
        let (new, event, mail) = prepared.rows(state, reference)?;
        store_intake::insert(
            conn,
            &IntakeRows {
                request: &new,
                event: &event,
                mail: &mail,
                idempotency: intake
                    .idempotency
                    .as_ref()
                    .map(|(k, h)| (k.as_str(), h.as_str())),
            },
        )?;
        Ok(new.into_row())
    };
    // A request entered by staff is a change by staff: an audit entry in the same
    // transaction (processing agreement, Bijlage 2: logging of staff access).
    let audit_staff = |conn: &mut DbConnection, row: &RequestRow| -> AppResult<()> {
        match &intake.staff {
            Some(p) => crate::service::audit::record(
                conn,
                p,
                "request_filed",
                row.tenant_id.as_ref(),
                Some(&row.id),
                None,
            ),
            None => Ok(()),
        }
    };
    let result = match conn {
        // A sequence outside any transaction, then one atomic statement (see store::intake);
        // a staff intake adds its audit entry in one transaction with it.
        DbConnection::Postgresql(_) => next_reference_from(conn, state.db.reference_blocks(), year)
            .map_err(AppError::from)
            .and_then(|r| {
                if intake.staff.is_some() {
                    write_tx(conn, |conn| {
                        let row = write(conn, r)?;
                        audit_staff(conn, &row)?;
                        Ok(row)
                    })
                } else {
                    write(conn, r)
                }
            }),
        // One writer: the counter and the rows in one immediate transaction.
        DbConnection::Sqlite(_) => write_tx(conn, |conn| {
            let reference = next_reference(conn, year)?;
            let row = write(conn, reference)?;
            audit_staff(conn, &row)?;
            Ok(row)
        }),
    };
    match result {
        Ok(request) => Ok(Filed {
            request,
            tenant_slug: prepared.tenant_slug(),
            replayed: false,
        }),
        // Two calls with one key raced: the loser answers with the winner's request.
        Err(AppError::Store(e)) if e.is_unique_violation() && intake.idempotency.is_some() => {
            let Some((key, hash)) = &intake.idempotency else {
                return Err(e.into());
            };
            match RequestRow::find_by_idempotency_key(conn, key)? {
                Some((row, stored)) => replay(row, &stored, hash, conn),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e),
    }
}

/// Files several public intakes — no staff, no idempotency key — in one write: on PostgreSQL
/// one statement (atomic by itself), on SQLite one write transaction. This is group commit:
/// the store makes one commit, one log flush and one round trip for the whole group instead of
/// one per intake, and every intake is answered only after that commit (nothing is
/// acknowledged before it is durable). An intake that cannot be prepared (a deadline error)
/// gets its own error; if the shared write fails, each intake is filed on its own, so one
/// intake's fault never fails another's.
pub fn file_together(
    conn: &mut DbConnection,
    state: &AppState,
    intakes: Vec<Intake>,
) -> Vec<AppResult<Filed>> {
    if intakes.len() <= 1 || intakes.iter().any(|i| !groupable(i)) {
        return intakes.into_iter().map(|i| file(conn, state, i)).collect();
    }
    let mut answers: Vec<Option<AppResult<Filed>>> = intakes.iter().map(|_| None).collect();
    let mut ready = Vec::with_capacity(intakes.len());
    let mut tenants: HashMap<String, Option<Tenant>> = HashMap::new();
    for (i, intake) in intakes.iter().enumerate() {
        let prepared = resolve_tenant(conn, intake, &mut tenants)
            .and_then(|(tenant, named)| Prepared::new(state, intake, tenant, named));
        match prepared {
            Ok(p) => ready.push((i, p)),
            Err(e) => answers[i] = Some(Err(e)),
        }
    }
    match write_together(conn, state, &ready) {
        Ok(rows) => {
            for ((i, p), request) in ready.iter().zip(rows) {
                answers[*i] = Some(Ok(Filed {
                    request,
                    tenant_slug: p.tenant_slug(),
                    replayed: false,
                }));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, intakes = ready.len(), "a group of intakes could not be written together; filing each on its own");
            for (i, _) in &ready {
                answers[*i] = Some(file(conn, state, intakes[*i].clone()));
            }
        }
    }
    answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(AppError::Internal("an intake was not filed".into()))))
        .collect()
}

/// Whether an intake may be written in a group: a public one without an idempotency key (a
/// staff intake writes an audit entry with it; a keyed one may be a replay).
pub fn groupable(intake: &Intake) -> bool {
    intake.staff.is_none() && intake.idempotency.is_none()
}

/// Writes prepared intakes at once; the rows in their order.
fn write_together(
    conn: &mut DbConnection,
    state: &AppState,
    ready: &[(usize, Prepared<'_>)],
) -> AppResult<Vec<RequestRow>> {
    let write = |conn: &mut DbConnection, references: Vec<Reference>| {
        let rows = ready
            .iter()
            .zip(references)
            .map(|((_, p), r)| p.rows(state, r))
            .collect::<AppResult<Vec<_>>>()?;
        let together: Vec<IntakeRows<'_>> = rows
            .iter()
            .map(|(request, event, mail)| IntakeRows {
                request,
                event,
                mail,
                idempotency: None,
            })
            .collect();
        store_intake::insert_many(conn, &together)?;
        Ok(rows.into_iter().map(|(new, _, _)| new.into_row()).collect())
    };
    match conn {
        // References from this process's blocks (outside any transaction), then one statement.
        DbConnection::Postgresql(_) => {
            let references = ready
                .iter()
                .map(|(_, p)| next_reference_from(conn, state.db.reference_blocks(), p.year()))
                .collect::<Result<Vec<_>, _>>()?;
            write(conn, references)
        }
        // One writer: the counters and the rows in one immediate transaction.
        DbConnection::Sqlite(_) => write_tx(conn, |conn| {
            let references = ready
                .iter()
                .map(|(_, p)| next_reference(conn, p.year()))
                .collect::<Result<Vec<_>, _>>()?;
            write(conn, references)
        }),
    }
}
