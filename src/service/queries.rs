//! Reading requests as staff: the queue and one request with its history. Reading a
//! request's personal data leaves an audit entry.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::auth::Principal;
use crate::domain::{RequestId, TenantId};
use crate::domain::{RequestKind, Role, Status};
use crate::error::{AppError, AppResult};
use crate::service::actions::visible_request;
use crate::store::DbConnection;
use crate::store::events::Event;
use crate::store::identities::RequestIdentity;
use crate::store::requests::{self, ListFilter, RequestRow};
use crate::store::tenants::Tenant;

/// Filters of the queue as asked (tenant by slug).
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    pub statuses: Vec<Status>,
    pub tenant_slug: Option<String>,
    pub kind: Option<RequestKind>,
    pub overdue_at: Option<NaiveDateTime>,
    pub due_before: Option<NaiveDateTime>,
    pub open_only: bool,
    /// Only requests that came in through this channel.
    pub channel: Option<crate::domain::Channel>,
    /// Search: one reference, or one subject e-mail address (compared normalised).
    pub reference: Option<String>,
    pub email: Option<crate::domain::SubjectEmail>,
    pub page: i64,
    pub per_page: i64,
    /// Count a total beyond the kept counts only up to this (see `ListFilter::count_cap`).
    pub count_cap: Option<i64>,
}

pub struct QueuePage {
    pub items: Vec<RequestRow>,
    pub total: i64,
    /// Tenant id → slug, for rendering.
    pub tenant_slugs: HashMap<TenantId, String>,
}

/// The queue as `principal` may see it, soonest deadline first.
pub fn queue(
    conn: &mut DbConnection,
    principal: &Principal,
    query: &QueueQuery,
) -> AppResult<QueuePage> {
    let tenants = Tenant::all(conn)?;
    let tenant_slugs: HashMap<TenantId, String> = tenants
        .iter()
        .map(|t| (t.id.clone(), t.slug.clone()))
        .collect();
    let tenant_id = match (&principal.role, &query.tenant_slug) {
        (Role::Controller, Some(slug)) if Some(slug) != principal.tenant_slug.as_ref() => {
            return Err(AppError::Forbidden(
                "a controller sees only its own tenant".to_owned(),
            ));
        }
        (Role::Controller, _) => principal.tenant_id.clone(),
        // No tenant of that name has requests: an empty page, like any filter that matches
        // nothing (and like `status_counts`).
        (_, Some(slug)) => match tenants.iter().find(|t| &t.slug == slug) {
            Some(t) => Some(t.id.clone()),
            None => {
                return Ok(QueuePage {
                    items: Vec::new(),
                    total: 0,
                    tenant_slugs,
                });
            }
        },
        (_, None) => None,
    };
    let filter = ListFilter {
        statuses: query.statuses.clone(),
        tenant_id,
        kind: query.kind,
        overdue_at: query.overdue_at,
        due_before: query.due_before,
        open_only: query.open_only,
        channel: query.channel.map(|c| c.as_str().to_owned()),
        reference: query.reference.clone(),
        email_norm: query.email.as_ref().map(|e| e.normalized()),
        count_cap: query.count_cap,
    };
    let offset = (query.page.max(1) - 1) * query.per_page;
    let (items, total) = requests::list(conn, &filter, offset, query.per_page)?;
    Ok(QueuePage {
        items,
        total,
        tenant_slugs,
    })
}

/// How many requests there are per status, as `principal` may see them (a controller: its
/// tenant; others: all, or the tenant named).
pub fn status_counts(
    conn: &mut DbConnection,
    principal: &Principal,
    tenant_slug: Option<&str>,
) -> AppResult<Vec<(Status, i64)>> {
    let tenant_id = match principal.role {
        Role::Controller => match &principal.tenant_id {
            Some(id) => Some(id.clone()),
            None => return Ok(Vec::new()),
        },
        _ => match tenant_slug {
            Some(slug) => match Tenant::find_by_slug(conn, slug)? {
                Some(t) => Some(t.id),
                None => return Ok(Vec::new()),
            },
            None => None,
        },
    };
    let counts = requests::counts_by_status(conn, tenant_id.as_ref())?;
    Ok(Status::ALL
        .iter()
        .map(|s| {
            let n = counts
                .iter()
                .filter(|(k, _)| k == s.as_str())
                .map(|(_, n)| *n)
                .sum();
            (*s, n)
        })
        .collect())
}

pub struct RequestDetail {
    pub request: RequestRow,
    pub tenant: Option<Tenant>,
    pub events: Vec<Event>,
    pub identities: Vec<RequestIdentity>,
}

/// One request with its full history. The read is audited: staff saw the subject's data.
pub fn detail(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
) -> AppResult<RequestDetail> {
    let request = visible_request(conn, principal, reference)?;
    let tenant = match &request.tenant_id {
        Some(id) => Tenant::find(conn, id)?,
        None => None,
    };
    let events = Event::for_request(conn, &request.id)?;
    let identities = RequestIdentity::for_request(conn, &request.id)?;
    crate::service::audit::record(
        conn,
        principal,
        "request_viewed",
        request.tenant_id.as_ref(),
        Some(&request.id),
        None,
    )?;
    Ok(RequestDetail {
        request,
        tenant,
        events,
        identities,
    })
}

/// A request by its id (the subject of a signed link), if it exists.
pub fn request_by_id(conn: &mut DbConnection, id: &RequestId) -> AppResult<Option<RequestRow>> {
    Ok(RequestRow::find(conn, id)?)
}

/// A request by its reference, if it exists (the command line; staff go through
/// [`detail`], which checks who may see it).
pub fn request_by_reference(
    conn: &mut DbConnection,
    reference: &str,
) -> AppResult<Option<RequestRow>> {
    Ok(RequestRow::find_by_reference(conn, reference)?)
}

/// The request a signed link names, only under the reference in its path: a token for one
/// request never opens another (404 like a missing one).
pub fn linked_request(
    conn: &mut DbConnection,
    id: &RequestId,
    reference: &str,
) -> AppResult<RequestRow> {
    let row = RequestRow::find(conn, id)?.ok_or(AppError::NotFound)?;
    if row.reference != reference {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// A request's history, oldest first.
pub fn events(conn: &mut DbConnection, request_id: &RequestId) -> AppResult<Vec<Event>> {
    Ok(Event::for_request(conn, request_id)?)
}

/// A tenant by its slug, if there is one.
pub fn tenant_by_slug(conn: &mut DbConnection, slug: &str) -> AppResult<Option<Tenant>> {
    Ok(Tenant::find_by_slug(conn, slug)?)
}

/// The tenants a subject may pick by name on the public form (`--listed`).
pub fn listed_tenants(conn: &mut DbConnection) -> AppResult<Vec<Tenant>> {
    Ok(Tenant::listed(conn)?)
}

/// Every tenant, by slug (callers filter what the caller may see).
pub fn tenants(conn: &mut DbConnection) -> AppResult<Vec<Tenant>> {
    Ok(Tenant::all(conn)?)
}

/// The tenant a request is assigned to, if any.
pub fn tenant_of(conn: &mut DbConnection, row: &RequestRow) -> AppResult<Option<Tenant>> {
    Ok(match &row.tenant_id {
        Some(id) => Tenant::find(conn, id)?,
        None => None,
    })
}

/// Whether the store holds no tenant and no user yet (the demo seeds only such a store).
pub fn is_empty(conn: &mut DbConnection) -> AppResult<bool> {
    Ok(Tenant::count(conn)? == 0 && crate::store::users::User::count(conn)? == 0)
}

/// The references of requests by id (for views that name requests, such as the audit trail).
pub fn references(
    conn: &mut DbConnection,
    ids: &[RequestId],
) -> AppResult<HashMap<RequestId, String>> {
    Ok(requests::references_by_id(conn, ids)?)
}
