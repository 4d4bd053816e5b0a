//! The console's overview: the figures of [`crate::domain::overview`] over the requests a user
//! may count. A controller: its own tenant only (another tenant answers 404, as a missing one);
//! support and admin: every tenant or one. Counts only, never a request's contents, so support
//! needs no access grant for it.

use chrono::NaiveDate;

use crate::auth::Principal;
use crate::domain::Role;
use crate::domain::deadline::amsterdam_date;
use crate::domain::overview::{Overview, Period, compute};
use crate::domain::report::ReportRequest;
use crate::error::{AppError, AppResult};
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, requests};

/// The overview of `tenant_slug` (None: every tenant the user may count) over `period`.
/// Returns the tenant it covers (None: all).
pub fn overview(
    conn: &mut DbConnection,
    principal: &Principal,
    tenant_slug: Option<&str>,
    period: Period,
    today: NaiveDate,
) -> AppResult<(Option<Tenant>, Overview)> {
    let tenant = match (principal.role, tenant_slug) {
        (Role::Controller, Some(slug)) if principal.tenant_slug.as_deref() != Some(slug) => {
            return Err(AppError::NotFound);
        }
        (Role::Controller, _) => {
            let id = principal.tenant_id.as_ref().ok_or(AppError::NotFound)?;
            Some(Tenant::find(conn, id)?.ok_or(AppError::NotFound)?)
        }
        (_, Some(slug)) => Some(Tenant::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?),
        (_, None) => None,
    };
    let tenant_id = tenant.as_ref().map(|t| &t.id);
    let rows = requests::overview_rows(conn, tenant_id, period.from(), period.to())?;
    let input: Vec<ReportRequest> = rows
        .into_iter()
        .map(|r| ReportRequest {
            reference: String::new(),
            kind: r.kind,
            status: r.status,
            received_on: r.received_on,
            legal_due: r.legal_due,
            promised_due: r.promised_due,
            extended_due: r.extended_due,
            extension_months: r.extension_months,
            extension_reason: None,
            closed_on: r.closed_at.map(|t| amsterdam_date(t.and_utc())),
            refusal_ground: r.refusal_ground,
        })
        .collect();
    // The due moment is the end of the target day in Amsterdam: its Amsterdam date is the day.
    let targets: Vec<(NaiveDate, u64)> = requests::open_due_moments(conn, tenant_id)?
        .into_iter()
        .map(|(t, n)| (amsterdam_date(t.and_utc()), u64::try_from(n).unwrap_or(0)))
        .collect();
    Ok((tenant, compute(period, today, &input, &targets)))
}
