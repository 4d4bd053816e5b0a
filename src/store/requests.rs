//! Requests: insert at intake, find, apply an action's plan, list the queue.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::events::{EventActor, NewEvent};
use super::schema::requests;
use super::{DbConnection, StoreError, StoreResult};
use crate::domain::deadline::{self, Deadline, ExtensionMonths};
use crate::domain::{Facts, Language, Plan, Reference, RequestKind, Status};
use crate::domain::{RequestId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = requests)]
pub struct RequestRow {
    pub id: RequestId,
    pub reference: String,
    pub tenant_id: Option<TenantId>,
    pub kind: RequestKind,
    pub status: Status,
    pub channel: String,
    pub language: Language,
    pub subject_name: String,
    pub subject_email: String,
    pub subject_email_norm: String,
    pub subject_phone: Option<String>,
    pub details: Option<String>,
    pub received_at: NaiveDateTime,
    pub received_on: NaiveDate,
    pub legal_due: NaiveDate,
    pub promised_due: NaiveDate,
    pub extended_due: Option<NaiveDate>,
    pub extension_months: Option<i32>,
    pub extension_reason: Option<String>,
    pub paused_days: i32,
    pub paused_since: Option<NaiveDate>,
    pub identity_pending: bool,
    pub due_at: NaiveDateTime,
    /// JSON `{"by", "at", "method"}` once staff recorded the identity check.
    pub identity_check: Option<String>,
    pub outcome: Option<String>,
    pub refusal_ground: Option<String>,
    pub refusal_reason: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub next_reminder_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Config(format!("stored {what} {value:?} is not valid"))
}

impl RequestRow {
    pub fn extension(&self) -> StoreResult<Option<ExtensionMonths>> {
        self.extension_months
            .map(|m| {
                ExtensionMonths::try_from(i64::from(m))
                    .map_err(|_| corrupt("extension", &m.to_string()))
            })
            .transpose()
    }

    /// The stored deadline. Stored dates are authoritative: a later change of configured
    /// bridge days does not move a deadline already told to the subject.
    pub fn deadline(&self) -> StoreResult<Deadline> {
        Ok(Deadline {
            received: self.received_on,
            paused_days: u32::try_from(self.paused_days).unwrap_or(0),
            extension: self.extension()?,
            legal: self.legal_due,
            promised: self.promised_due,
            extended: self.extended_due,
        })
    }

    /// Whether the request is overdue at `now` ([`deadline::is_overdue`]).
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        deadline::is_overdue(
            self.closed_at.is_none(),
            self.paused_since.is_some(),
            self.due_at,
            now,
        )
    }

    pub fn facts(&self) -> StoreResult<Facts> {
        Ok(Facts {
            kind: self.kind,
            status: self.status,
            tenant_assigned: self.tenant_id.is_some(),
            deadline: self.deadline()?,
            paused_since: self.paused_since,
            identity_pending: self.identity_pending,
        })
    }

    pub fn find_by_reference(
        conn: &mut DbConnection,
        reference: &str,
    ) -> StoreResult<Option<RequestRow>> {
        Ok(requests::table
            .filter(requests::reference.eq(reference))
            .select(RequestRow::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn find(conn: &mut DbConnection, id: &RequestId) -> StoreResult<Option<RequestRow>> {
        Ok(requests::table
            .find(id)
            .select(RequestRow::as_select())
            .first(conn)
            .optional()?)
    }

    /// The request an idempotency key made, with the hash of the body it came with.
    pub fn find_by_idempotency_key(
        conn: &mut DbConnection,
        key: &str,
    ) -> StoreResult<Option<(RequestRow, String)>> {
        use super::schema::idempotency_keys;
        Ok(idempotency_keys::table
            .inner_join(requests::table.on(requests::id.eq(idempotency_keys::request_id)))
            .filter(idempotency_keys::key.eq(key))
            .select((RequestRow::as_select(), idempotency_keys::body_hash))
            .first(conn)
            .optional()?)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = requests)]
pub struct NewRequest {
    pub id: RequestId,
    pub reference: String,
    pub tenant_id: Option<TenantId>,
    pub kind: RequestKind,
    pub status: Status,
    pub channel: String,
    pub language: Language,
    pub subject_name: String,
    pub subject_email: String,
    pub subject_email_norm: String,
    pub subject_phone: Option<String>,
    pub details: Option<String>,
    pub received_at: NaiveDateTime,
    pub received_on: NaiveDate,
    pub legal_due: NaiveDate,
    pub promised_due: NaiveDate,
    pub extended_due: Option<NaiveDate>,
    pub paused_days: i32,
    pub paused_since: Option<NaiveDate>,
    pub identity_pending: bool,
    pub due_at: NaiveDateTime,
    pub next_reminder_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewRequest {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(requests::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }

    /// The row as the insert stored it (saves reading it back).
    pub fn into_row(self) -> RequestRow {
        RequestRow {
            id: self.id,
            reference: self.reference,
            tenant_id: self.tenant_id,
            kind: self.kind,
            status: self.status,
            channel: self.channel,
            language: self.language,
            subject_name: self.subject_name,
            subject_email: self.subject_email,
            subject_email_norm: self.subject_email_norm,
            subject_phone: self.subject_phone,
            details: self.details,
            received_at: self.received_at,
            received_on: self.received_on,
            legal_due: self.legal_due,
            promised_due: self.promised_due,
            extended_due: self.extended_due,
            extension_months: None,
            extension_reason: None,
            paused_days: self.paused_days,
            paused_since: self.paused_since,
            identity_pending: self.identity_pending,
            due_at: self.due_at,
            identity_check: None,
            outcome: None,
            refusal_ground: None,
            refusal_reason: None,
            closed_at: None,
            next_reminder_at: self.next_reminder_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Remembers which request an idempotency key made (same transaction as the request).
pub fn remember_idempotency_key(
    conn: &mut DbConnection,
    key: &str,
    request_id: &RequestId,
    body_hash: &str,
    at: NaiveDateTime,
) -> StoreResult<()> {
    use super::schema::idempotency_keys;
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::key.eq(key),
            idempotency_keys::request_id.eq(request_id),
            idempotency_keys::body_hash.eq(body_hash),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct NextValue {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Reference numbers taken from PostgreSQL's sequence ahead of use, per year: one round trip
/// yields [`REFERENCE_BLOCK`] numbers. Numbers a process never used (it stopped) leave gaps,
/// which is harmless: a reference is unique, not a count.
#[derive(Debug, Default)]
pub struct ReferenceBlocks {
    taken: std::collections::HashMap<i32, std::collections::VecDeque<i64>>,
}

/// Numbers taken from the sequence per round trip.
pub const REFERENCE_BLOCK: i64 = 32;

#[derive(QueryableByName)]
struct SequenceValue {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The next reference of `year`, from `blocks` when this process holds numbers ahead
/// (PostgreSQL), else as [`next_reference`] allocates it.
pub fn next_reference_from(
    conn: &mut DbConnection,
    blocks: &std::sync::Mutex<ReferenceBlocks>,
    year: i32,
) -> StoreResult<Reference> {
    if !conn.is_postgres() {
        return next_reference(conn, year);
    }
    let held = |blocks: &std::sync::Mutex<ReferenceBlocks>| {
        blocks
            .lock()
            .ok()
            .and_then(|mut b| b.taken.get_mut(&year).and_then(|q| q.pop_front()))
    };
    let n = match held(blocks) {
        Some(n) => n,
        None => {
            let sequence = format!("inzage_reference_{year}");
            let take = |conn: &mut DbConnection| {
                diesel::sql_query(
                    "SELECT nextval($1::regclass) AS n FROM generate_series(1, $2) ORDER BY 1",
                )
                .bind::<Text, _>(&sequence)
                .bind::<BigInt, _>(REFERENCE_BLOCK)
                .load::<SequenceValue>(conn)
            };
            let mut values = match take(conn) {
                Ok(v) => v,
                Err(_) => {
                    // The year's first request: its sequence (IF NOT EXISTS settles a race).
                    next_reference(conn, year)?;
                    take(conn)?
                }
            }
            .into_iter()
            .map(|v| v.n);
            let first = values.next().ok_or(StoreError::Config(
                "the reference sequence returned no value".to_owned(),
            ))?;
            if let Ok(mut b) = blocks.lock() {
                b.taken.entry(year).or_default().extend(values);
            }
            first
        }
    };
    let number = u64::try_from(n).map_err(|_| corrupt("reference counter", &n.to_string()))?;
    Reference::new(year, number).map_err(|_| corrupt("reference counter", &n.to_string()))
}

/// Allocates the next reference number of `year`.
///
/// SQLite: a counter row, inside the caller's write transaction (there is one writer).
/// PostgreSQL: a sequence per year, outside any transaction, so concurrent intakes never
/// queue on one row lock; a rolled-back intake leaves a gap, which is harmless.
pub fn next_reference(conn: &mut DbConnection, year: i32) -> StoreResult<Reference> {
    let n = match conn {
        DbConnection::Sqlite(_) => {
            diesel::sql_query(
                "INSERT INTO reference_counters (year, last_value) VALUES ($1, 1) \
                 ON CONFLICT (year) DO UPDATE SET last_value = reference_counters.last_value + 1 \
                 RETURNING last_value AS n",
            )
            .bind::<Integer, _>(year)
            .get_result::<NextValue>(conn)?
            .n
        }
        DbConnection::Postgresql(_) => {
            // The name is built from an i32, never from input.
            let sequence = format!("inzage_reference_{year}");
            let next = |conn: &mut DbConnection| {
                diesel::sql_query("SELECT nextval($1::regclass) AS n")
                    .bind::<Text, _>(&sequence)
                    .get_result::<NextValue>(conn)
            };
            match next(conn) {
                Ok(v) => v.n,
                Err(_) => {
                    // First request of the year: create its sequence. Two instances may race
                    // here; IF NOT EXISTS plus a retry settles it.
                    let create = format!("CREATE SEQUENCE IF NOT EXISTS {sequence}");
                    if diesel::sql_query(&create).execute(conn).is_err() {
                        diesel::sql_query(&create).execute(conn)?;
                    }
                    next(conn)?.n
                }
            }
        }
    };
    let number = u64::try_from(n).map_err(|_| corrupt("reference counter", &n.to_string()))?;
    Reference::new(year, number).map_err(|_| corrupt("reference counter", &n.to_string()))
}

/// Columns an action may change; every field is written (None writes NULL).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = requests, treat_none_as_null = true)]
struct ActionChanges {
    status: Status,
    tenant_id: Option<TenantId>,
    legal_due: NaiveDate,
    promised_due: NaiveDate,
    extended_due: Option<NaiveDate>,
    extension_months: Option<i32>,
    extension_reason: Option<String>,
    paused_days: i32,
    paused_since: Option<NaiveDate>,
    identity_pending: bool,
    due_at: NaiveDateTime,
    identity_check: Option<String>,
    outcome: Option<String>,
    refusal_ground: Option<String>,
    refusal_reason: Option<String>,
    closed_at: Option<NaiveDateTime>,
    next_reminder_at: Option<NaiveDateTime>,
    version: i32,
    updated_at: NaiveDateTime,
}

/// The outcome of [`apply_plan`] when another writer changed the request first.
#[derive(Debug)]
pub struct Stale;

/// Writes an allowed action's plan and its event, in the caller's transaction. Fails with
/// `Ok(Err(Stale))` when the row's version moved since it was read (optimistic locking, so
/// two instances never both apply an action to the same state).
pub fn apply_plan(
    conn: &mut DbConnection,
    row: &RequestRow,
    plan: &Plan,
    actor: &EventActor,
    at: NaiveDateTime,
    next_reminder_at: Option<NaiveDateTime>,
) -> StoreResult<Result<RequestRow, Stale>> {
    let mut changes = ActionChanges {
        status: plan.to,
        tenant_id: row.tenant_id.clone(),
        legal_due: plan.deadline.legal,
        promised_due: plan.deadline.promised,
        extended_due: plan.deadline.extended,
        extension_months: plan
            .deadline
            .extension
            .map(|m| i32::try_from(m.months()).unwrap_or(i32::MAX)),
        extension_reason: row.extension_reason.clone(),
        paused_days: i32::try_from(plan.deadline.paused_days).unwrap_or(i32::MAX),
        paused_since: plan.paused_since,
        identity_pending: plan.identity_pending,
        due_at: plan.deadline.due_at().naive_utc(),
        identity_check: row.identity_check.clone(),
        outcome: row.outcome.clone(),
        refusal_ground: row.refusal_ground.clone(),
        refusal_reason: row.refusal_reason.clone(),
        closed_at: row.closed_at.or(plan.to.is_closed().then_some(at)),
        next_reminder_at,
        version: row.version + 1,
        updated_at: at,
    };
    let record = &plan.record;
    if let Some(tenant_id) = &record.tenant_id {
        changes.tenant_id = Some(tenant_id.clone());
    }
    if let Some(reason) = &record.extension_reason {
        changes.extension_reason = Some(reason.clone());
    }
    if let Some(method) = &record.identity_method {
        // Only that the identity was checked, by whom, when and how (EDPB 01/2022 §§58-79).
        changes.identity_check = Some(
            serde_json::json!({"by": actor.label, "at": at.and_utc().to_rfc3339(), "method": method})
                .to_string(),
        );
    }
    if let Some(outcome) = &record.outcome {
        changes.outcome = Some(outcome.clone());
    }
    if let Some((ground, reason)) = &record.refusal {
        changes.refusal_ground = Some(ground.as_str().to_owned());
        changes.refusal_reason = Some(reason.clone());
    }
    let updated = diesel::update(
        requests::table
            .filter(requests::id.eq(&row.id))
            .filter(requests::version.eq(row.version)),
    )
    .set(&changes)
    .execute(conn)?;
    if updated == 0 {
        return Ok(Err(Stale));
    }
    let mut event = NewEvent::new(&row.id, actor, plan.action.event_kind(), at);
    event.from_status = Some(plan.from);
    event.to_status = Some(plan.to);
    event.note = plan.note.clone();
    event.data = (!plan.event_data.is_empty())
        .then(|| serde_json::Value::Object(plan.event_data.clone()).to_string());
    event.public = plan.public;
    event.insert(conn)?;
    let row = RequestRow::find(conn, &row.id)?
        .ok_or(StoreError::Query(diesel::result::Error::NotFound))?;
    Ok(Ok(row))
}

/// Which requests a listing shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub statuses: Vec<Status>,
    pub tenant_id: Option<TenantId>,
    pub kind: Option<RequestKind>,
    /// Only open, running (not paused) requests whose due moment is before this instant.
    pub overdue_at: Option<NaiveDateTime>,
    pub due_before: Option<NaiveDateTime>,
    pub open_only: bool,
    /// Only requests that came in through this channel (`web`, `email`, `letter`, …).
    pub channel: Option<String>,
    /// Only the request with this reference (the console's search).
    pub reference: Option<String>,
    /// Only requests from this normalised subject e-mail address (the console's search).
    pub email_norm: Option<String>,
    /// Count at most this many more than… : a total that the trigger-kept counts cannot give
    /// is counted only up to `cap + 1` rows (the console shows "more than cap"); None counts
    /// every row (the API's exact `total`).
    pub count_cap: Option<i64>,
}

impl ListFilter {
    /// Whether the filter narrows on something the per-status counts do not keep.
    fn beyond_counts(&self) -> bool {
        self.overdue_at.is_some()
            || self.due_before.is_some()
            || self.channel.is_some()
            || self.reference.is_some()
            || self.email_norm.is_some()
    }
}

type Boxed<'a> = requests::BoxedQuery<'a, super::MultiBackend>;

fn filtered(filter: &ListFilter) -> Boxed<'_> {
    let mut q = requests::table.into_boxed();
    match filter.statuses.as_slice() {
        [] => {}
        // One status as `=`: PostgreSQL plans `status = ANY($1)` of a one-element array as a
        // filter over the due order (2.5 s over 1,000,000 requests for a rare status) instead
        // of a scan of `requests_status_due` (6 ms).
        [one] => q = q.filter(requests::status.eq(*one)),
        many => q = q.filter(requests::status.eq_any(many.iter().copied())),
    }
    if let Some(tenant) = &filter.tenant_id {
        q = q.filter(requests::tenant_id.eq(tenant));
    }
    if let Some(kind) = filter.kind {
        q = q.filter(requests::kind.eq(kind));
    }
    if filter.open_only {
        q = q.filter(requests::closed_at.is_null());
    }
    if let Some(now) = filter.overdue_at {
        q = q.filter(overdue(now));
    }
    if let Some(before) = filter.due_before {
        q = q.filter(requests::due_at.lt(before));
    }
    if let Some(channel) = &filter.channel {
        q = q.filter(requests::channel.eq(channel));
    }
    if let Some(reference) = &filter.reference {
        q = q.filter(requests::reference.eq(reference));
    }
    if let Some(email) = &filter.email_norm {
        q = q.filter(requests::subject_email_norm.eq(email));
    }
    q
}

/// The SQL form of [`deadline::is_overdue`]: open (`closed_at IS NULL`), running
/// (`paused_since IS NULL`) and due before `now`. Every overdue query is built from it.
pub fn overdue(
    now: NaiveDateTime,
) -> Box<
    dyn BoxableExpression<requests::table, super::MultiBackend, SqlType = diesel::sql_types::Bool>,
> {
    Box::new(
        requests::closed_at
            .is_null()
            .and(requests::paused_since.is_null())
            .and(requests::due_at.lt(now)),
    )
}

/// The total of a filter on tenant, status, kind and open/closed only, from the counts the
/// triggers keep (`request_counts`): a sum over a few rows, however many requests there are.
/// None for a filter on time (overdue, due before), which is counted from the requests.
fn counted_total(conn: &mut DbConnection, filter: &ListFilter) -> StoreResult<Option<i64>> {
    use super::schema::request_counts as rc;
    if filter.beyond_counts() {
        return Ok(None);
    }
    let mut statuses: Vec<Status> = if filter.statuses.is_empty() {
        Status::ALL.to_vec()
    } else {
        filter.statuses.clone()
    };
    if filter.open_only {
        statuses.retain(|s| !s.is_closed());
    }
    let mut q = rc::table
        .filter(rc::status.eq_any(statuses))
        .select(diesel::dsl::sql::<BigInt>(
            "CAST(COALESCE(SUM(n), 0) AS BIGINT)",
        ))
        .into_boxed::<super::MultiBackend>();
    if let Some(tenant) = &filter.tenant_id {
        q = q.filter(rc::tenant_id.eq(tenant));
    }
    if let Some(kind) = filter.kind {
        q = q.filter(rc::kind.eq(kind));
    }
    Ok(Some(q.first::<i64>(conn)?))
}

/// One page of the queue, soonest deadline first, and the total matching.
pub fn list(
    conn: &mut DbConnection,
    filter: &ListFilter,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<RequestRow>, i64)> {
    let total = match (counted_total(conn, filter)?, filter.count_cap) {
        (Some(n), _) => n,
        // Up to cap + 1 due moments, read from the index that also orders the page: a filter
        // that matches most requests (e.g. `channel=web`) no longer counts a million rows.
        (None, Some(cap)) => {
            let found: Vec<NaiveDateTime> = filtered(filter)
                .select(requests::due_at)
                .limit(cap.saturating_add(1))
                .load(conn)?;
            i64::try_from(found.len()).unwrap_or(i64::MAX)
        }
        (None, None) => filtered(filter).count().get_result(conn)?,
    };
    let rows = filtered(filter)
        .order((requests::due_at.asc(), requests::reference.asc()))
        .offset(offset)
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Number of requests per status, of one tenant or all, from the trigger-kept counts.
pub fn counts_by_status(
    conn: &mut DbConnection,
    tenant_id: Option<&TenantId>,
) -> StoreResult<Vec<(String, i64)>> {
    use super::schema::request_counts as rc;
    let mut q = rc::table
        .group_by(rc::status)
        .select((
            rc::status,
            diesel::dsl::sql::<BigInt>("CAST(COALESCE(SUM(n), 0) AS BIGINT)"),
        ))
        .into_boxed::<super::MultiBackend>();
    if let Some(t) = tenant_id {
        q = q.filter(rc::tenant_id.eq(t.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// Number of requests per (status, kind), for `/metrics`.
pub fn counts_by_status_and_kind(
    conn: &mut DbConnection,
) -> StoreResult<Vec<(String, String, i64)>> {
    use diesel::dsl::count_star;
    Ok(requests::table
        .group_by((requests::status, requests::kind))
        .select((requests::status, requests::kind, count_star()))
        .load(conn)?)
}

/// Requests whose next reminder moment has passed, earliest first (index `requests_next_reminder`).
pub fn due_for_reminder(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<RequestId>> {
    Ok(requests::table
        .filter(requests::next_reminder_at.le(now))
        .order(requests::next_reminder_at.asc())
        .limit(limit)
        .select(requests::id)
        .load(conn)?)
}

/// Sets when the sweep next looks at a request (a system field: the version is not bumped).
pub fn set_next_reminder(
    conn: &mut DbConnection,
    id: &RequestId,
    at: Option<NaiveDateTime>,
) -> StoreResult<()> {
    diesel::update(requests::table.filter(requests::id.eq(id)))
        .set(requests::next_reminder_at.eq(at))
        .execute(conn)?;
    Ok(())
}

/// Open requests due before `horizon` per tenant: (tenant id, overdue, due soon). Overdue as
/// [`overdue`] says; due soon: the others.
pub fn deadline_counts(
    conn: &mut DbConnection,
    tenant_id: Option<&TenantId>,
    now: NaiveDateTime,
    horizon: NaiveDateTime,
) -> StoreResult<Vec<(Option<TenantId>, i64, i64)>> {
    use diesel::dsl::count_star;
    let due = || {
        let mut q = requests::table
            .group_by(requests::tenant_id)
            .select((requests::tenant_id, count_star()))
            .into_boxed::<super::MultiBackend>()
            .filter(requests::closed_at.is_null())
            .filter(requests::due_at.lt(horizon));
        if let Some(t) = tenant_id {
            q = q.filter(requests::tenant_id.eq(t.to_owned()));
        }
        q
    };
    let all: Vec<(Option<TenantId>, i64)> = due().load(conn)?;
    let late: std::collections::HashMap<Option<TenantId>, i64> = due()
        .filter(overdue(now))
        .load::<(Option<TenantId>, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(all
        .into_iter()
        .map(|(tenant, n)| {
            let late = late.get(&tenant).copied().unwrap_or(0);
            (tenant, late, n - late)
        })
        .collect())
}

/// Open requests due before `horizon`, soonest first: the overdue ones (running and past
/// `now`) or the others. Optionally of one tenant.
pub fn open_due(
    conn: &mut DbConnection,
    tenant_id: Option<&TenantId>,
    overdue_only: bool,
    now: NaiveDateTime,
    horizon: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<RequestRow>> {
    let mut q = requests::table
        .filter(requests::closed_at.is_null())
        .filter(requests::due_at.lt(horizon))
        .into_boxed();
    if let Some(t) = tenant_id {
        q = q.filter(requests::tenant_id.eq(t.to_owned()));
    }
    q = if overdue_only {
        q.filter(overdue(now))
    } else {
        q.filter(diesel::dsl::not(overdue(now)))
    };
    Ok(q.order((requests::due_at.asc(), requests::reference.asc()))
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)?)
}

/// Open requests, by id after `after`, at most `limit` of them (for jobs that walk every open
/// request in batches).
pub fn open_after(
    conn: &mut DbConnection,
    after: Option<&RequestId>,
    limit: i64,
) -> StoreResult<Vec<RequestRow>> {
    let mut q = requests::table
        .filter(requests::closed_at.is_null())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(requests::id.gt(after.to_owned()));
    }
    Ok(q.order(requests::id.asc())
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)?)
}

/// Writes a deadline recomputed under a changed rule (not an action) and its event, in the
/// caller's transaction. False when another writer changed the request since it was read
/// (optimistic locking, as for actions).
pub fn set_recomputed_deadline(
    conn: &mut DbConnection,
    row: &RequestRow,
    deadline: &Deadline,
    next_reminder_at: Option<NaiveDateTime>,
    event: &NewEvent,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let updated = diesel::update(
        requests::table
            .filter(requests::id.eq(&row.id))
            .filter(requests::version.eq(row.version)),
    )
    .set((
        requests::legal_due.eq(deadline.legal),
        requests::promised_due.eq(deadline.promised),
        requests::extended_due.eq(deadline.extended),
        requests::due_at.eq(deadline.due_at().naive_utc()),
        requests::next_reminder_at.eq(next_reminder_at),
        requests::version.eq(row.version + 1),
        requests::updated_at.eq(at),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    event.insert(conn)?;
    Ok(true)
}

/// The references of the requests with these ids (id → reference).
pub fn references_by_id(
    conn: &mut DbConnection,
    ids: &[RequestId],
) -> StoreResult<std::collections::HashMap<RequestId, String>> {
    use super::schema::requests;
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(requests::table
        .filter(requests::id.eq_any(ids))
        .select((requests::id, requests::reference))
        .load::<(RequestId, String)>(conn)?
        .into_iter()
        .collect())
}

/// A tenant's requests received on a day in [from, to] (either end open when None).
pub fn received_between(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> StoreResult<Vec<RequestRow>> {
    use super::schema::requests;
    let mut q = requests::table
        .filter(requests::tenant_id.eq(tenant_id.to_owned()))
        .into_boxed();
    if let Some(from) = from {
        q = q.filter(requests::received_on.ge(from));
    }
    if let Some(to) = to {
        q = q.filter(requests::received_on.le(to));
    }
    Ok(q.order(requests::received_on.asc())
        .select(RequestRow::as_select())
        .load(conn)?)
}

/// What the console's overview needs of a request: no personal data, no free text.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct OverviewRow {
    pub kind: RequestKind,
    pub status: Status,
    pub received_on: NaiveDate,
    pub legal_due: NaiveDate,
    pub promised_due: NaiveDate,
    pub extended_due: Option<NaiveDate>,
    pub extension_months: Option<i32>,
    pub closed_at: Option<NaiveDateTime>,
    pub refusal_ground: Option<String>,
}

/// The overview's rows of the requests received on a day in [from, to], of one tenant or all.
pub fn overview_rows(
    conn: &mut DbConnection,
    tenant_id: Option<&TenantId>,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<OverviewRow>> {
    let mut q = requests::table
        .filter(requests::received_on.ge(from))
        .filter(requests::received_on.le(to))
        .into_boxed();
    if let Some(t) = tenant_id {
        q = q.filter(requests::tenant_id.eq(t.to_owned()));
    }
    Ok(q.select(OverviewRow::as_select()).load(conn)?)
}

/// How many requests are open per due moment, of one tenant or all (from the index
/// `requests_open_due`; a due moment is the end of a day, so there are few of them).
pub fn open_due_moments(
    conn: &mut DbConnection,
    tenant_id: Option<&TenantId>,
) -> StoreResult<Vec<(NaiveDateTime, i64)>> {
    use diesel::dsl::count_star;
    let mut q = requests::table
        .filter(requests::closed_at.is_null())
        .group_by(requests::due_at)
        .select((requests::due_at, count_star()))
        .into_boxed();
    if let Some(t) = tenant_id {
        q = q.filter(requests::tenant_id.eq(t.to_owned()));
    }
    Ok(q.load(conn)?)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime};
    use diesel::prelude::*;

    use super::*;
    use crate::domain::{Language, RequestKind, Status};
    use crate::store::Db;

    fn row(id: &str, due_at: NaiveDateTime, paused: bool, t: NaiveDateTime) -> NewRequest {
        let day = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        NewRequest {
            id: RequestId::from(id),
            reference: format!("DSR-2026-{id:0>6}"),
            tenant_id: None,
            kind: RequestKind::Access,
            status: Status::Received,
            channel: "web".to_owned(),
            language: Language::Nl,
            subject_name: "A".to_owned(),
            subject_email: "a@example.org".to_owned(),
            subject_email_norm: "a@example.org".to_owned(),
            subject_phone: None,
            details: None,
            received_at: t,
            received_on: day,
            legal_due: day,
            promised_due: day,
            extended_due: None,
            paused_days: 0,
            paused_since: paused.then_some(day),
            identity_pending: false,
            due_at,
            next_reminder_at: None,
            version: 1,
            created_at: t,
            updated_at: t,
        }
    }

    /// The store's overdue queries and the domain rule agree on every combination of open,
    /// paused and due before or after now.
    #[test]
    fn overdue_queries_agree_with_the_domain_rule() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let db = Db::connect(&url, 1).unwrap();
        db.migrate().unwrap();
        let mut conn = db.conn().unwrap();
        let now = NaiveDate::from_ymd_opt(2026, 4, 10)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let mut expected = Vec::new();
        let mut n = 0;
        for open in [true, false] {
            for paused in [true, false] {
                for due_at in [
                    now - chrono::Duration::hours(1),
                    now + chrono::Duration::hours(1),
                ] {
                    n += 1;
                    let id = n.to_string();
                    row(&id, due_at, paused, now).insert(&mut conn).unwrap();
                    if !open {
                        diesel::update(requests::table.find(&id))
                            .set(requests::closed_at.eq(Some(now)))
                            .execute(&mut conn)
                            .unwrap();
                    }
                    if crate::domain::deadline::is_overdue(open, paused, due_at, now) {
                        expected.push(RequestId::from(id));
                    }
                }
            }
        }
        assert_eq!(expected.len(), 1, "only open, running and past due");
        let filter = ListFilter {
            overdue_at: Some(now),
            ..ListFilter::default()
        };
        let (listed, total) = list(&mut conn, &filter, 0, 100).unwrap();
        let listed: Vec<RequestId> = listed.into_iter().map(|r| r.id).collect();
        assert_eq!((listed, total), (expected.clone(), 1));
        let horizon = now + chrono::Duration::days(30);
        let late: Vec<RequestId> = open_due(&mut conn, None, true, now, horizon, 100)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(late, expected);
        let soon = open_due(&mut conn, None, false, now, horizon, 100).unwrap();
        assert_eq!(soon.len(), 3, "the open ones that are not overdue");
        assert!(soon.iter().all(|r| !r.is_overdue(now)));
        assert_eq!(
            deadline_counts(&mut conn, None, now, horizon).unwrap(),
            vec![(None, 1, 3)]
        );
    }
}
