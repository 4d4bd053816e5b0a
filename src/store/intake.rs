//! Writing a new request — or a group of them (group commit, `service::intake_writer`): the
//! request row, its first event, its mail and its idempotency key, atomically. On PostgreSQL
//! that is one statement (data-modifying CTEs, checked as one): one round trip instead of six
//! (BEGIN, three or four INSERTs, COMMIT), which is most of what an intake costs. On SQLite
//! (one writer, no network) the same rows are inserted one by one inside the caller's write
//! transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::RunQueryDsl;
use diesel::pg::Pg;
use diesel::sql_types::{Bool, Date, Integer, Nullable, Text, Timestamp};

use super::events::NewEvent;
use super::outbox::NewOutbox;
use super::requests::{NewRequest, remember_idempotency_key};
use super::{DbConnection, StoreResult};

/// What one intake writes.
pub struct IntakeRows<'a> {
    pub request: &'a NewRequest,
    pub event: &'a NewEvent,
    pub mail: &'a [NewOutbox],
    /// The `Idempotency-Key` and the hash of the body it came with.
    pub idempotency: Option<(&'a str, &'a str)>,
}

/// One bound value of the PostgreSQL statement.
enum Val {
    Text(String),
    OptText(Option<String>),
    Int(i32),
    Bool(bool),
    Ts(NaiveDateTime),
    OptTs(Option<NaiveDateTime>),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
}

/// Placeholders and values of one `INSERT … VALUES (…)`.
#[derive(Default)]
struct Binds {
    values: Vec<Val>,
}

impl Binds {
    fn row(&mut self, values: Vec<Val>) -> String {
        let start = self.values.len();
        let placeholders: Vec<String> = (start + 1..=start + values.len())
            .map(|i| format!("${i}"))
            .collect();
        self.values.extend(values);
        format!("({})", placeholders.join(", "))
    }
}

fn request_values(r: &NewRequest) -> Vec<Val> {
    use Val::*;
    vec![
        Text(r.id.to_string()),
        Text(r.reference.clone()),
        OptText(r.tenant_id.as_ref().map(ToString::to_string)),
        Text(r.kind.as_str().to_owned()),
        Text(r.status.as_str().to_owned()),
        Text(r.channel.clone()),
        Text(r.language.as_str().to_owned()),
        Text(r.subject_name.clone()),
        Text(r.subject_email.clone()),
        Text(r.subject_email_norm.clone()),
        OptText(r.subject_phone.clone()),
        OptText(r.details.clone()),
        Ts(r.received_at),
        Date(r.received_on),
        Date(r.legal_due),
        Date(r.promised_due),
        OptDate(r.extended_due),
        Int(r.paused_days),
        OptDate(r.paused_since),
        Bool(r.identity_pending),
        Ts(r.due_at),
        OptTs(r.next_reminder_at),
        Int(r.version),
        Ts(r.created_at),
        Ts(r.updated_at),
    ]
}

const REQUEST_COLUMNS: &str = "id, reference, tenant_id, kind, status, channel, language, \
    subject_name, subject_email, subject_email_norm, subject_phone, details, received_at, \
    received_on, legal_due, promised_due, extended_due, paused_days, paused_since, \
    identity_pending, due_at, next_reminder_at, version, created_at, updated_at";

fn event_values(e: &NewEvent) -> Vec<Val> {
    use Val::*;
    vec![
        Text(e.request_id.to_string()),
        Ts(e.at),
        Text(e.actor_kind.clone()),
        OptText(e.actor_id.as_ref().map(ToString::to_string)),
        Text(e.actor_label.clone()),
        Text(e.kind.as_str().to_owned()),
        OptText(e.from_status.map(|s| s.as_str().to_owned())),
        OptText(e.to_status.map(|s| s.as_str().to_owned())),
        OptText(e.note.clone()),
        OptText(e.data.clone()),
        Bool(e.public),
    ]
}

const EVENT_COLUMNS: &str = "request_id, at, actor_kind, actor_id, actor_label, kind, \
    from_status, to_status, note, data, public";

fn outbox_values(m: &NewOutbox) -> Vec<Val> {
    use Val::*;
    vec![
        Text(m.id.clone()),
        OptText(m.request_id.as_ref().map(ToString::to_string)),
        Text(m.template.clone()),
        Text(m.recipient.clone()),
        Text(m.language.as_str().to_owned()),
        Text(m.payload.clone()),
        Text(m.message_id.clone()),
        Text(m.state.clone()),
        Int(m.attempts),
        Ts(m.next_attempt_at),
        Ts(m.created_at),
    ]
}

const OUTBOX_COLUMNS: &str = "id, request_id, template, recipient, language, payload, \
    message_id, state, attempts, next_attempt_at, created_at";

const IDEMPOTENCY_COLUMNS: &str = "key, request_id, body_hash, created_at";

/// The one PostgreSQL statement writing every intake of `group`, and its values in
/// placeholder order.
fn pg_statement(group: &[IntakeRows<'_>]) -> (String, Vec<Val>) {
    let mut b = Binds::default();
    let values = |b: &mut Binds, rows: Vec<Vec<Val>>| -> String {
        rows.into_iter()
            .map(|r| b.row(r))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let requests = values(
        &mut b,
        group.iter().map(|g| request_values(g.request)).collect(),
    );
    let events = values(
        &mut b,
        group.iter().map(|g| event_values(g.event)).collect(),
    );
    let mut parts = vec![
        format!("r AS (INSERT INTO requests ({REQUEST_COLUMNS}) VALUES {requests})"),
        format!("e AS (INSERT INTO request_events ({EVENT_COLUMNS}) VALUES {events})"),
    ];
    let mail: Vec<Vec<Val>> = group
        .iter()
        .flat_map(|g| g.mail.iter().map(outbox_values))
        .collect();
    if !mail.is_empty() {
        let mail = values(&mut b, mail);
        parts.push(format!(
            "m AS (INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES {mail})"
        ));
    }
    let keys: Vec<Vec<Val>> = group
        .iter()
        .filter_map(|g| {
            g.idempotency.map(|(key, hash)| {
                vec![
                    Val::Text(key.to_owned()),
                    Val::Text(g.request.id.to_string()),
                    Val::Text(hash.to_owned()),
                    Val::Ts(g.request.created_at),
                ]
            })
        })
        .collect();
    if !keys.is_empty() {
        let keys = values(&mut b, keys);
        parts.push(format!(
            "k AS (INSERT INTO idempotency_keys ({IDEMPOTENCY_COLUMNS}) VALUES {keys})"
        ));
    }
    // Every data-modifying CTE runs, referenced or not; the foreign keys are checked at the
    // end of the statement, when all rows are there.
    (format!("WITH {} SELECT 1", parts.join(", ")), b.values)
}

/// Writes the intake's rows. On SQLite call it inside the write transaction that allocated
/// the reference; on PostgreSQL outside any transaction (the statement is atomic by itself).
pub fn insert(conn: &mut DbConnection, rows: &IntakeRows<'_>) -> StoreResult<()> {
    insert_many(conn, std::slice::from_ref(rows))
}

/// Writes the rows of several intakes at once: on PostgreSQL one statement (all or none), on
/// SQLite row by row inside the caller's write transaction.
pub fn insert_many(conn: &mut DbConnection, group: &[IntakeRows<'_>]) -> StoreResult<()> {
    if group.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Postgresql(pg) => {
            let (sql, values) = pg_statement(group);
            let mut q = diesel::sql_query(sql).into_boxed::<Pg>();
            for v in values {
                q = match v {
                    Val::Text(s) => q.bind::<Text, _>(s),
                    Val::OptText(s) => q.bind::<Nullable<Text>, _>(s),
                    Val::Int(i) => q.bind::<Integer, _>(i),
                    Val::Bool(x) => q.bind::<Bool, _>(x),
                    Val::Ts(t) => q.bind::<Timestamp, _>(t),
                    Val::OptTs(t) => q.bind::<Nullable<Timestamp>, _>(t),
                    Val::Date(d) => q.bind::<Date, _>(d),
                    Val::OptDate(d) => q.bind::<Nullable<Date>, _>(d),
                };
            }
            q.execute(pg)?;
        }
        DbConnection::Sqlite(_) => {
            for rows in group {
                rows.request.insert(conn)?;
                if let Some((key, hash)) = rows.idempotency {
                    remember_idempotency_key(
                        conn,
                        key,
                        &rows.request.id,
                        hash,
                        rows.request.created_at,
                    )?;
                }
                rows.event.insert(conn)?;
                for m in rows.mail {
                    m.insert(conn)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_binds_every_column_once() {
        // Each column list has as many names as its values have entries.
        let count = |cols: &str| cols.split(',').count();
        assert_eq!(count(REQUEST_COLUMNS), 25);
        assert_eq!(count(EVENT_COLUMNS), 11);
        assert_eq!(count(OUTBOX_COLUMNS), 11);
        let mut b = Binds::default();
        assert_eq!(b.row(vec![Val::Int(1), Val::Int(2)]), "($1, $2)");
        assert_eq!(b.row(vec![Val::Bool(true)]), "($3)");
    }

    /// The columns of `table` as `schema.rs` declares them, read from the SQL diesel writes.
    fn schema_columns<T>(select: T, table: &str) -> Vec<String>
    where
        T: diesel::query_builder::QueryFragment<Pg>,
    {
        let sql = diesel::debug_query::<Pg, _>(&select).to_string();
        let prefix = format!("\"{table}\".\"");
        sql.split(&prefix)
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    fn intake_columns(list: &str) -> Vec<String> {
        list.split(',').map(|c| c.trim().to_owned()).collect()
    }

    /// The hand-written statement names only columns `schema.rs` has, each once, and every
    /// column it leaves out is listed here with why (set later, or by the database).
    #[test]
    fn the_statements_columns_are_the_schemas() {
        use crate::store::schema::{idempotency_keys, outbox, request_events, requests};
        use diesel::QueryDsl;
        let cases: [(&str, &str, Vec<String>, &[&str]); 4] = [
            (
                "requests",
                REQUEST_COLUMNS,
                schema_columns(requests::table.select(requests::all_columns), "requests"),
                // Written by the actions that set them (extend, identity_confirmed, complete,
                // refuse, closing).
                &[
                    "extension_months",
                    "extension_reason",
                    "identity_check",
                    "outcome",
                    "refusal_ground",
                    "refusal_reason",
                    "closed_at",
                ],
            ),
            (
                "request_events",
                EVENT_COLUMNS,
                schema_columns(
                    request_events::table.select(request_events::all_columns),
                    "request_events",
                ),
                // A sequence.
                &["id"],
            ),
            (
                "outbox",
                OUTBOX_COLUMNS,
                schema_columns(outbox::table.select(outbox::all_columns), "outbox"),
                // Written by the sender.
                &["locked_by", "locked_until", "last_error", "sent_at"],
            ),
            (
                "idempotency_keys",
                IDEMPOTENCY_COLUMNS,
                schema_columns(
                    idempotency_keys::table.select(idempotency_keys::all_columns),
                    "idempotency_keys",
                ),
                &[],
            ),
        ];
        for (table, list, schema, left_out) in cases {
            assert!(
                !schema.is_empty(),
                "{table}: no columns read from schema.rs"
            );
            let written = intake_columns(list);
            let mut unique = written.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                written.len(),
                "{table}: a column twice in {list}"
            );
            for c in &written {
                assert!(schema.contains(c), "{table}.{c} is not in schema.rs");
            }
            let missing: Vec<&String> = schema
                .iter()
                .filter(|c| !written.contains(c) && !left_out.contains(&c.as_str()))
                .collect();
            assert!(
                missing.is_empty(),
                "{table}: the intake statement does not write {missing:?}"
            );
            for c in left_out {
                assert!(
                    schema.iter().any(|s| s == c),
                    "{table}.{c} is not in schema.rs"
                );
            }
        }
    }
}
