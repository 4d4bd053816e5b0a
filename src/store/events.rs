//! The append-only history of a request. Events are only ever inserted, in the same
//! transaction as the change they record.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::request_events;
use super::{DbConnection, StoreResult};
use crate::domain::{EventKind, Status};
use crate::domain::{RequestId, UserId};

/// Who caused an event, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventActor {
    /// `staff`, `subject` or `system`.
    pub kind: &'static str,
    pub id: Option<UserId>,
    /// A staff user's e-mail; never the subject's name or address.
    pub label: String,
}

impl EventActor {
    pub fn staff(user_id: &UserId, email: &str) -> Self {
        Self {
            kind: "staff",
            id: Some(user_id.to_owned()),
            label: email.to_owned(),
        }
    }

    pub fn subject() -> Self {
        Self {
            kind: "subject",
            id: None,
            label: "subject".to_owned(),
        }
    }

    /// An operator at the command line (`inzage export`).
    pub fn command_line() -> Self {
        Self {
            kind: "system",
            id: None,
            label: "inzage (command line)".to_owned(),
        }
    }

    pub fn system() -> Self {
        Self {
            kind: "system",
            id: None,
            label: "inzage".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = request_events)]
pub struct Event {
    pub id: i64,
    pub request_id: RequestId,
    pub at: NaiveDateTime,
    pub actor_kind: String,
    pub actor_id: Option<UserId>,
    pub actor_label: String,
    pub kind: EventKind,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub note: Option<String>,
    pub data: Option<String>,
    pub public: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = request_events)]
pub struct NewEvent {
    pub request_id: RequestId,
    pub at: NaiveDateTime,
    pub actor_kind: String,
    pub actor_id: Option<UserId>,
    pub actor_label: String,
    pub kind: EventKind,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub note: Option<String>,
    pub data: Option<String>,
    pub public: bool,
}

impl NewEvent {
    pub fn new(
        request_id: &RequestId,
        actor: &EventActor,
        kind: EventKind,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            request_id: request_id.to_owned(),
            at,
            actor_kind: actor.kind.to_owned(),
            actor_id: actor.id.clone(),
            actor_label: actor.label.clone(),
            kind,
            from_status: None,
            to_status: None,
            note: None,
            data: None,
            public: false,
        }
    }

    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(request_events::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

impl Event {
    /// A request's history, oldest first.
    pub fn for_request(conn: &mut DbConnection, request_id: &RequestId) -> StoreResult<Vec<Event>> {
        Ok(request_events::table
            .filter(request_events::request_id.eq(request_id))
            .order(request_events::id.asc())
            .select(Event::as_select())
            .load(conn)?)
    }
}
