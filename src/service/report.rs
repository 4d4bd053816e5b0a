//! The accountability report for a tenant (its controller and admin): the store's rows fed to
//! the pure computation in [`crate::domain::report`].

use chrono::NaiveDate;

use crate::auth::Principal;
use crate::domain::deadline::amsterdam_date;
use crate::domain::report::{GrantCounts, Report, ReportRequest, compute};
use crate::error::AppResult;
use crate::service::audit::managed_tenant;
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, grants, requests};

/// The report of tenant `slug` over requests received from `from` to `to` (both days
/// included); grants given in the same days (UTC).
pub fn report(
    conn: &mut DbConnection,
    principal: &Principal,
    slug: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<(Tenant, Report)> {
    let tenant = managed_tenant(conn, principal, slug)?;
    let rows = requests::received_between(conn, &tenant.id, from, to)?;
    let mut input = Vec::with_capacity(rows.len());
    for row in rows {
        input.push(ReportRequest {
            kind: row.kind,
            status: row.status,
            reference: row.reference,
            received_on: row.received_on,
            legal_due: row.legal_due,
            promised_due: row.promised_due,
            extended_due: row.extended_due,
            extension_months: row.extension_months,
            extension_reason: row.extension_reason,
            closed_on: row.closed_at.map(|t| amsterdam_date(t.and_utc())),
            refusal_ground: row.refusal_ground,
        });
    }
    // Open ends as days every store can hold.
    let first = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(9999, 12, 30).unwrap_or_default();
    let start = from.unwrap_or(first).and_time(chrono::NaiveTime::MIN);
    let end = to
        .unwrap_or(last)
        .succ_opt()
        .unwrap_or(last)
        .and_time(chrono::NaiveTime::MIN);
    let (given, used) = grants::given_and_used(conn, &tenant.id, start, end)?;
    let grants = GrantCounts {
        given: u64::try_from(given).unwrap_or_default(),
        used: u64::try_from(used).unwrap_or_default(),
    };
    Ok((tenant, compute(from, to, &input, grants)))
}
