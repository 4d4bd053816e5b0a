//! Filing a request: the public form, or staff entering one that came by letter or phone.

use chrono::{DateTime, Datelike, Utc};

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

/// Files a request: allocates its reference, computes its deadline and writes the row and
/// its first event in one transaction. Same idempotency key and body → the same request.
pub fn file(conn: &mut DbConnection, state: &AppState, intake: Intake) -> AppResult<Filed> {
    if let Some((key, hash)) = &intake.idempotency
        && let Some((row, stored)) = RequestRow::find_by_idempotency_key(conn, key)?
    {
        return replay(row, &stored, hash, conn);
    }
    // Controllers file for their own tenant whatever the body says; others name one or not.
    // A public intake naming no known tenant is filed without one, for support to assign,
    // with what the subject wrote kept on its first event: answering "not a known tenant"
    // would tell anyone which organisations are the processor's customers.
    let mut named = None;
    let tenant = match (&intake.staff, &intake.tenant_slug) {
        (Some(p), _) if p.role == Role::Controller => match &p.tenant_id {
            Some(id) => Tenant::find(conn, id)?,
            None => None,
        },
        (Some(_), Some(slug)) => Some(
            Tenant::find_by_slug(conn, slug)?
                .ok_or_else(|| AppError::field("tenant", "is not a known tenant"))?,
        ),
        (None, Some(slug)) => {
            let found = Tenant::find_by_slug(conn, slug)?;
            if found.is_none() {
                named = Some(slug.chars().take(NAMED_TENANT_MAX).collect::<String>());
            }
            found
        }
        (_, None) => None,
    };

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
    let at = now();
    let id = RequestId::generate();
    let year = received_on.year();
    let actor = match &intake.staff {
        Some(p) => EventActor::staff(&p.user_id, &p.email),
        None => EventActor::subject(),
    };
    // The rows of the request, once its reference is allocated.
    let rows = |reference: Reference| -> AppResult<(NewRequest, NewEvent, Vec<NewOutbox>)> {
        let new = NewRequest {
            id: id.clone(),
            reference: reference.to_string(),
            tenant_id: tenant.as_ref().map(|t| t.id.clone()),
            kind: intake.kind,
            status,
            channel: intake.channel.as_str().to_owned(),
            language: intake.language,
            subject_name: intake.name.as_str().to_owned(),
            subject_email: intake.email.as_str().to_owned(),
            subject_email_norm: intake.email.normalized(),
            subject_phone: intake.phone.as_ref().map(|p| p.as_str().to_owned()),
            details: intake.details.as_ref().map(|d| d.as_str().to_owned()),
            received_at: intake.received_at.naive_utc(),
            received_on,
            legal_due: deadline.legal,
            promised_due: deadline.promised,
            extended_due: None,
            paused_days: 0,
            paused_since,
            identity_pending: false,
            due_at: deadline.due_at().naive_utc(),
            // The sweep looks at a running request from its first reminder stage on; a public
            // intake's clock waits for the e-mail confirmation.
            next_reminder_at: paused_since
                .is_none()
                .then(|| next_reminder_at(&state.calendar, deadline.target(), &[]))
                .flatten()
                .map(|t| t.naive_utc()),
            version: 0,
            created_at: at,
            updated_at: at,
        };
        let mut event = NewEvent::new(&id, &actor, EventKind::Received, at);
        event.to_status = Some(status);
        event.public = true;
        let mut data = serde_json::json!({
            "channel": intake.channel.as_str(),
            "kind": intake.kind.as_str(),
            "tenant": tenant.as_ref().map(|t| t.slug.clone()),
        });
        if let Some(name) = &named {
            // Staff read it to assign the request; the subject's own words, never a lookup.
            data["named_tenant"] = name.clone().into();
            event.note = Some(name.clone());
        }
        event.data = Some(data.to_string());
        let mail = notify::on_intake(
            state,
            &new.clone().into_row(),
            tenant.as_ref(),
            intake.received_at.max(Utc::now()),
        )?;
        Ok((new, event, mail))
    };
    let write = |conn: &mut DbConnection, reference: Reference| -> AppResult<RequestRow> {
        let (new, event, mail) = rows(reference)?;
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
            tenant_slug: tenant.map(|t| t.slug),
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
