//! JSON shapes of the API (docs/api.md). Times are stored in UTC and shown in
//! Europe/Amsterdam with their offset; dates are Europe/Amsterdam calendar dates.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::domain::deadline::{Calendar, amsterdam_date};
use crate::domain::lifecycle::available_actions;
use crate::domain::{Actor, EventKind};
use crate::service::views::{Event, RequestRow, Tenant};

/// A stored UTC time shown in Europe/Amsterdam.
pub fn local(t: NaiveDateTime) -> DateTime<FixedOffset> {
    Utc.from_utc_datetime(&t)
        .with_timezone(&Amsterdam)
        .fixed_offset()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineView {
    /// GDPR art. 12(3): one month, rolled past weekends and Dutch public holidays.
    pub legal: NaiveDate,
    /// The processor's promise: four weeks.
    pub promised: NaiveDate,
    /// After an extension by one or two months.
    pub extended: Option<NaiveDate>,
    pub paused_days: i32,
    /// True while the clock waits (for identity information or the e-mail confirmation).
    pub paused: bool,
    /// While an extension is still possible: the last day the subject can be told of it, one
    /// month after receipt, paused days not counted (GDPR art. 12(3)); absent otherwise.
    pub extension_notice_due: Option<NaiveDate>,
}

impl DeadlineView {
    pub fn of(r: &RequestRow) -> Self {
        let today = amsterdam_date(Utc::now());
        let open = r.closed_at.is_none();
        Self {
            legal: r.legal_due,
            promised: r.promised_due,
            extended: r.extended_due,
            paused_days: r.paused_days,
            paused: r.paused_since.is_some(),
            extension_notice_due: r
                .deadline()
                .ok()
                .filter(|_| open)
                .and_then(|d| d.extension_possible_until(today)),
        }
    }
}

/// The answer to an intake.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledView {
    #[schema(example = "DSR-2026-000042")]
    pub reference: String,
    pub status: String,
    pub received_at: DateTime<FixedOffset>,
    /// The end of the target day (the earlier of promised and legal), Europe/Amsterdam.
    pub due_at: DateTime<FixedOffset>,
    pub deadline: DeadlineView,
}

/// No status link here: it comes only by mail, so the mailbox proves the subject (anyone
/// could file in another's name and read the answer; GDPR art. 12(6), EDPB 01/2022 §§58-79).
impl FiledView {
    pub fn of(r: &RequestRow) -> Self {
        Self {
            reference: r.reference.clone(),
            status: r.status.as_str().to_owned(),
            received_at: local(r.received_at),
            due_at: local(r.due_at),
            deadline: DeadlineView::of(r),
        }
    }
}

/// A queue entry: no personal data of the subject (the detail view has it, and is audited).
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestSummary {
    pub reference: String,
    pub status: String,
    pub kind: String,
    /// The GDPR article of the right exercised.
    pub article: String,
    pub tenant: Option<String>,
    pub channel: String,
    pub language: String,
    pub received_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    pub deadline: DeadlineView,
    pub overdue: bool,
    pub closed_at: Option<DateTime<FixedOffset>>,
}

impl RequestSummary {
    pub fn of(r: &RequestRow, tenant_slug: Option<String>, now: NaiveDateTime) -> Self {
        Self {
            reference: r.reference.clone(),
            status: r.status.as_str().to_owned(),
            kind: r.kind.as_str().to_owned(),
            article: r.kind.article().to_owned(),
            tenant: tenant_slug,
            channel: r.channel.clone(),
            language: r.language.as_str().to_owned(),
            received_at: local(r.received_at),
            due_at: local(r.due_at),
            deadline: DeadlineView::of(r),
            overdue: r.is_overdue(now),
            closed_at: r.closed_at.map(local),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListView {
    pub items: Vec<RequestSummary>,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityView {
    /// Identity information was asked and has not arrived yet.
    pub pending: bool,
    /// Only "identity checked by X at T by method M" is kept (never the document).
    pub checked_at: Option<DateTime<FixedOffset>>,
    pub checked_by: Option<String>,
    pub method: Option<String>,
}

impl IdentityView {
    fn of(r: &RequestRow) -> Self {
        let check: Option<serde_json::Value> = r
            .identity_check
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        let field = |k: &str| {
            check
                .as_ref()
                .and_then(|c| c.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        Self {
            pending: r.identity_pending,
            checked_at: field("at")
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Amsterdam).fixed_offset()),
            checked_by: field("by"),
            method: field("method"),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionView {
    pub months: i32,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefusalView {
    pub ground: String,
    /// The GDPR article the ground rests on for this kind of request (`"15(4)"`, `"12(2), 12(6)"`).
    pub article: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub at: DateTime<FixedOffset>,
    pub kind: String,
    /// `subject`, `inzage` (the service) or the staff user's e-mail address.
    pub actor: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

impl EventView {
    pub fn of(e: &Event) -> Self {
        Self {
            at: local(e.at),
            kind: e.kind.as_str().to_owned(),
            actor: e.actor_label.clone(),
            from_status: e.from_status.map(|s| s.as_str().to_owned()),
            to_status: e.to_status.map(|s| s.as_str().to_owned()),
            note: e.note.clone(),
            data: e.data.as_deref().and_then(|d| serde_json::from_str(d).ok()),
        }
    }
}

/// One request with its full history (staff only).
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    #[serde(flatten)]
    pub summary: RequestSummary,
    pub subject: SubjectView,
    pub details: Option<String>,
    pub identity: IdentityView,
    pub extension: Option<ExtensionView>,
    pub outcome: Option<String>,
    pub refusal: Option<RefusalView>,
    /// The actions the caller may take now.
    pub allowed_actions: Vec<String>,
    /// Identifiers staff added for finding the subject's rows (beside `subject.email`).
    pub identities: Vec<super::identities::IdentityValueView>,
    pub events: Vec<EventView>,
}

impl RequestView {
    pub fn of(
        r: &RequestRow,
        tenant: Option<&Tenant>,
        events: &[Event],
        who: &Principal,
        cal: &Calendar,
        now: NaiveDateTime,
    ) -> Self {
        let today = amsterdam_date(now.and_utc());
        let actions = r
            .facts()
            .map(|f| available_actions(&f, Actor::Staff(who.role), cal, today))
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.as_str().to_owned())
            .collect();
        Self {
            summary: RequestSummary::of(r, tenant.map(|t| t.slug.clone()), now),
            subject: SubjectView {
                name: r.subject_name.clone(),
                email: r.subject_email.clone(),
                phone: r.subject_phone.clone(),
            },
            details: r.details.clone(),
            identity: IdentityView::of(r),
            extension: r.extension_months.map(|months| ExtensionView {
                months,
                reason: r.extension_reason.clone(),
            }),
            outcome: r.outcome.clone(),
            refusal: r.refusal_ground.as_ref().map(|g| RefusalView {
                ground: g.clone(),
                article: g
                    .parse::<crate::domain::RefusalGround>()
                    .ok()
                    .and_then(|g| g.article_for(r.kind))
                    .map(str::to_owned),
                reason: r.refusal_reason.clone(),
            }),
            allowed_actions: actions,
            identities: Vec::new(),
            events: events.iter().map(EventView::of).collect(),
        }
    }

    /// The view of a request as `service::queries::detail` loaded it, identities included.
    pub fn of_detail(
        d: &crate::service::queries::RequestDetail,
        who: &Principal,
        cal: &Calendar,
        now: NaiveDateTime,
    ) -> Self {
        let mut view = Self::of(&d.request, d.tenant.as_ref(), &d.events, who, cal, now);
        view.identities = d
            .identities
            .iter()
            .map(super::identities::IdentityValueView::of)
            .collect();
        view
    }
}

/// One line of the subject's public history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicEventView {
    pub at: DateTime<FixedOffset>,
    pub kind: String,
    pub status: Option<String>,
    /// Shown only where it was written for the subject (extension reasons, refusal
    /// reasons, outcomes, what identity information is asked).
    pub note: Option<String>,
}

/// The subject's own view of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatusView {
    pub reference: String,
    pub status: String,
    pub kind: String,
    pub received_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    pub deadline: DeadlineView,
    pub closed: bool,
    pub history: Vec<PublicEventView>,
    /// Recipients of the subject's data told of a rectification, erasure or restriction
    /// (`notified`: by inzage; otherwise by the controller): GDPR art. 19, last sentence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<crate::service::execution::PublicRecipient>,
}

/// The recipients named by the request's `execution_done` events, once each.
fn recipients_of(events: &[Event]) -> Vec<crate::service::execution::PublicRecipient> {
    let mut out: Vec<crate::service::execution::PublicRecipient> = Vec::new();
    for e in events.iter().filter(|e| e.kind == EventKind::ExecutionDone) {
        let listed = e
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|d| {
                serde_json::from_value::<Vec<crate::service::execution::PublicRecipient>>(
                    d["recipients"].clone(),
                )
                .ok()
            })
            .unwrap_or_default();
        for r in listed {
            if !out.iter().any(|o| o.name == r.name) {
                out.push(r);
            }
        }
    }
    out
}

const SUBJECT_FACING_NOTES: [EventKind; 4] = [
    EventKind::Extended,
    EventKind::Refused,
    EventKind::Completed,
    EventKind::IdentityRequested,
];

impl PublicStatusView {
    pub fn of(r: &RequestRow, events: &[Event]) -> Self {
        Self {
            reference: r.reference.clone(),
            status: r.status.as_str().to_owned(),
            kind: r.kind.as_str().to_owned(),
            received_at: local(r.received_at),
            due_at: local(r.due_at),
            deadline: DeadlineView::of(r),
            closed: r.status.is_closed(),
            recipients: recipients_of(events),
            history: events
                .iter()
                .filter(|e| e.public)
                .map(|e| PublicEventView {
                    at: local(e.at),
                    kind: e.kind.as_str().to_owned(),
                    status: e.to_status.map(|s| s.as_str().to_owned()),
                    note: SUBJECT_FACING_NOTES
                        .contains(&e.kind)
                        .then(|| e.note.clone())
                        .flatten(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    pub language: String,
    pub datamap: Option<String>,
    /// Staff may ask for an ID copy on a single request, with a reason.
    pub id_document_allowed: bool,
    /// The older name of `id_document_allowed`.
    pub id_document_required: bool,
    /// `private` or `public`.
    pub sector: String,
    /// Shown in the organisation list of the public form at `/`.
    pub listed: bool,
    pub created_at: DateTime<FixedOffset>,
}

impl TenantView {
    pub fn of(t: &Tenant) -> Self {
        Self {
            slug: t.slug.clone(),
            name: t.name.clone(),
            contact_email: t.contact_email.clone(),
            language: t.language.as_str().to_owned(),
            datamap: t.datamap_path.clone(),
            id_document_allowed: t.id_document_required,
            id_document_required: t.id_document_required,
            sector: t.sector.clone(),
            listed: t.listed,
            created_at: local(t.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    #[schema(value_type = String)]
    pub id: crate::domain::UserId,
    pub email: String,
    pub role: String,
    pub tenant: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub token: String,
    pub expires_at: DateTime<FixedOffset>,
    pub role: String,
    pub tenant: Option<String>,
}
