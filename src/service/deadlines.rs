//! Due soon and overdue, per tenant: `GET /api/v1/deadlines` and `inzage deadlines`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::domain::deadline::{Within, amsterdam_date, end_of_day};
use crate::domain::{Role, TenantId};
use crate::error::{AppError, AppResult};
use crate::store::DbConnection;
use crate::store::requests::{RequestRow, deadline_counts, open_due};
use crate::store::tenants::Tenant;

/// The most requests listed per group; the counts are always complete.
pub const LIST_LIMIT: i64 = 200;

pub struct TenantDeadlines {
    pub tenant: Option<String>,
    pub overdue: i64,
    pub due_soon: i64,
}

pub struct DeadlineOverview {
    /// The last day in the window (Europe/Amsterdam).
    pub until: chrono::NaiveDate,
    pub overdue: Vec<RequestRow>,
    pub due_soon: Vec<RequestRow>,
    pub tenants: Vec<TenantDeadlines>,
    pub tenant_slugs: HashMap<TenantId, String>,
}

/// Open requests due within `within` (and every overdue one), as `principal` may see them.
pub fn overview(
    conn: &mut DbConnection,
    principal: &Principal,
    within: Within,
    now: DateTime<Utc>,
) -> AppResult<DeadlineOverview> {
    let until = within.last_day(amsterdam_date(now));
    let horizon = end_of_day(until).naive_utc() + chrono::Duration::seconds(1);
    let at = now.naive_utc();
    let tenant_filter = match principal.role {
        Role::Controller => Some(principal.tenant_id.clone().ok_or(AppError::NotFound)?),
        _ => None,
    };
    let tenant_slugs: HashMap<TenantId, String> = Tenant::all(conn)?
        .into_iter()
        .map(|t| (t.id, t.slug))
        .collect();
    let overdue = open_due(conn, tenant_filter.as_ref(), true, at, horizon, LIST_LIMIT)?;
    let due_soon = open_due(conn, tenant_filter.as_ref(), false, at, horizon, LIST_LIMIT)?;
    let mut tenants: Vec<TenantDeadlines> =
        deadline_counts(conn, tenant_filter.as_ref(), at, horizon)?
            .into_iter()
            .map(|(tid, overdue, due_soon)| TenantDeadlines {
                tenant: tid.and_then(|id| tenant_slugs.get(&id).cloned()),
                overdue,
                due_soon,
            })
            .collect();
    tenants.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.tenant.cmp(&b.tenant)));
    Ok(DeadlineOverview {
        until,
        overdue,
        due_soon,
        tenants,
        tenant_slugs,
    })
}
