//! The audit trail: every read of personal data by staff and every change, as an entry in a
//! hash chain per tenant (entries without a tenant in a chain of their own, `chain` = '').
//! How the hash is made is in [`crate::domain::audit`].
//!
//! Append-only: this module has no UPDATE or DELETE of an entry (and on PostgreSQL a trigger
//! refuses both). An entry is written in the caller's transaction when there is one, so it
//! exists exactly when the change it records; otherwise in a transaction of its own, committed
//! before the caller goes on (a read's entry before the data is sent).
//!
//! Several instances on one PostgreSQL keep one unbroken chain: appending takes a transaction
//! advisory lock on the chain, reads the head and writes the next seq; a unique index on
//! (chain, seq) would refuse a fork even without it. SQLite serialises writers already.

use chrono::NaiveDateTime;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::{access_grants, audit_log, users};
use super::{DbConnection, StoreError, StoreResult, now, write_tx};
use crate::domain::audit::{EntryFields, GENESIS, entry_hash};
use crate::domain::{RequestId, TenantId};

/// What a caller records; the store adds seq, time, chain and hashes.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub actor_id: Option<String>,
    /// The actor's e-mail address (or a fixed label such as `system`).
    pub actor_email: String,
    /// `admin`, `support`, `controller`, or `system` for inzage itself.
    pub role: Option<String>,
    pub action: String,
    pub tenant_id: Option<TenantId>,
    pub request_id: Option<RequestId>,
    /// The access grant that allowed the call (support only).
    pub grant_id: Option<String>,
    pub ip: Option<String>,
    /// Further facts as JSON text (never a subject's data).
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
struct NewRow {
    at: NaiveDateTime,
    actor_id: Option<String>,
    actor_label: String,
    action: String,
    tenant_id: Option<TenantId>,
    request_id: Option<RequestId>,
    detail: Option<String>,
    chain: Option<String>,
    seq: Option<i64>,
    actor_role: Option<String>,
    grant_id: Option<String>,
    ip: Option<String>,
    prev_hash: Option<String>,
    hash: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Audit {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub tenant_id: Option<TenantId>,
    pub request_id: Option<RequestId>,
    pub detail: Option<String>,
    pub chain: Option<String>,
    pub seq: Option<i64>,
    pub actor_role: Option<String>,
    pub grant_id: Option<String>,
    pub ip: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl Audit {
    /// The fields its hash covers.
    pub fn fields(&self) -> EntryFields<'_> {
        EntryFields {
            seq: self.seq.unwrap_or_default(),
            at: self.at,
            actor_id: self.actor_id.as_deref(),
            actor_email: &self.actor_label,
            role: self.actor_role.as_deref(),
            action: &self.action,
            tenant: self.tenant_id.as_ref().map(TenantId::as_str),
            request: self.request_id.as_ref().map(RequestId::as_str),
            grant: self.grant_id.as_deref(),
            ip: self.ip.as_deref(),
            detail: self.detail.as_deref(),
        }
    }
}

/// The chain an entry of `tenant_id` belongs to.
pub fn chain_of(tenant_id: Option<&TenantId>) -> &str {
    tenant_id.map_or("", TenantId::as_str)
}

/// Records an entry (the older entry point, kept for its callers): the actor's role and, for
/// support, the running grant are looked up.
pub fn record(
    conn: &mut DbConnection,
    actor_id: &str,
    actor_label: &str,
    action: &str,
    tenant_id: Option<&TenantId>,
    request_id: Option<&RequestId>,
) -> StoreResult<()> {
    let role: Option<String> = users::table
        .find(actor_id)
        .select(users::role)
        .first(conn)
        .optional()?;
    let grant_id = match (role.as_deref(), tenant_id) {
        (Some("support"), Some(tenant)) => {
            let at = now();
            access_grants::table
                .filter(access_grants::tenant_id.eq(tenant))
                .filter(access_grants::grantee_id.eq(actor_id))
                .filter(access_grants::created_at.le(at))
                .filter(access_grants::expires_at.gt(at))
                .filter(access_grants::revoked_at.is_null())
                .select(access_grants::id)
                .first(conn)
                .optional()?
        }
        _ => None,
    };
    append(
        conn,
        &AuditEntry {
            actor_id: Some(actor_id.to_owned()),
            actor_email: actor_label.to_owned(),
            role: Some(role.unwrap_or_else(|| "system".to_owned())),
            action: action.to_owned(),
            tenant_id: tenant_id.cloned(),
            request_id: request_id.cloned(),
            grant_id,
            ip: None,
            detail: None,
        },
    )?;
    Ok(())
}

fn in_transaction(conn: &mut DbConnection) -> bool {
    let status = match conn {
        DbConnection::Postgresql(pg) => AnsiTransactionManager::transaction_manager_status_mut(pg),
        DbConnection::Sqlite(lite) => AnsiTransactionManager::transaction_manager_status_mut(lite),
    };
    matches!(status.transaction_depth(), Ok(Some(_)))
}

/// Appends an entry to its tenant's chain and returns it as stored.
pub fn append(conn: &mut DbConnection, entry: &AuditEntry) -> StoreResult<Audit> {
    if in_transaction(conn) {
        append_in(conn, entry)
    } else {
        write_tx(conn, |conn| append_in(conn, entry))
    }
}

/// The advisory lock key of a chain (PostgreSQL): the first 8 bytes of a SHA-256.
fn lock_key(chain: &str) -> i64 {
    let digest = Sha256::digest(format!("inzage-audit:{chain}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn append_in(conn: &mut DbConnection, entry: &AuditEntry) -> StoreResult<Audit> {
    let chain = chain_of(entry.tenant_id.as_ref()).to_owned();
    if conn.is_postgres() {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(lock_key(&chain))
            .execute(conn)?;
    }
    let head: Option<(Option<i64>, Option<String>)> = audit_log::table
        .filter(audit_log::chain.eq(&chain))
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::hash))
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = match head {
        Some((Some(seq), Some(hash))) => (seq + 1, hash),
        Some(_) => {
            return Err(StoreError::Config(format!(
                "the audit chain {chain:?} has a head without seq or hash"
            )));
        }
        None => (1, GENESIS.to_owned()),
    };
    let mut row = NewRow {
        at: now(),
        actor_id: entry.actor_id.clone(),
        actor_label: entry.actor_email.clone(),
        action: entry.action.clone(),
        tenant_id: entry.tenant_id.clone(),
        request_id: entry.request_id.clone(),
        detail: entry.detail.clone(),
        chain: Some(chain),
        seq: Some(seq),
        actor_role: entry.role.clone(),
        grant_id: entry.grant_id.clone(),
        ip: entry.ip.clone(),
        prev_hash: Some(prev_hash.clone()),
        hash: None,
    };
    let hash = entry_hash(
        &prev_hash,
        &EntryFields {
            seq,
            at: row.at,
            actor_id: row.actor_id.as_deref(),
            actor_email: &row.actor_label,
            role: row.actor_role.as_deref(),
            action: &row.action,
            tenant: row.tenant_id.as_ref().map(TenantId::as_str),
            request: row.request_id.as_ref().map(RequestId::as_str),
            grant: row.grant_id.as_deref(),
            ip: row.ip.as_deref(),
            detail: row.detail.as_deref(),
        },
    );
    row.hash = Some(hash);
    diesel::insert_into(audit_log::table)
        .values(&row)
        .execute(conn)?;
    Ok(audit_log::table
        .filter(audit_log::chain.eq(row.chain.as_deref().unwrap_or_default()))
        .filter(audit_log::seq.eq(seq))
        .select(Audit::as_select())
        .first(conn)?)
}

pub fn for_request(conn: &mut DbConnection, request_id: &RequestId) -> StoreResult<Vec<Audit>> {
    Ok(audit_log::table
        .filter(audit_log::request_id.eq(request_id))
        .order(audit_log::id.asc())
        .select(Audit::as_select())
        .load(conn)?)
}

/// Filters of a tenant's trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// An actor's user id or e-mail address.
    pub actor: Option<String>,
}

/// One page of a tenant's trail, oldest first, and the total.
pub fn for_tenant(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<Audit>, i64)> {
    let query = || {
        let mut q = audit_log::table
            .filter(audit_log::tenant_id.eq(tenant_id.to_owned()))
            .into_boxed();
        if let Some(from) = filter.from {
            q = q.filter(audit_log::at.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(audit_log::at.lt(to));
        }
        if let Some(actor) = &filter.actor {
            q = q.filter(
                audit_log::actor_id
                    .eq(actor.clone())
                    .or(audit_log::actor_label.eq(actor.to_lowercase())),
            );
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let items = query()
        .order((audit_log::seq.asc(), audit_log::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(Audit::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// The chains in the store ('' is the one without a tenant), and how many entries predate
/// the chain (no hash).
pub fn chains(conn: &mut DbConnection) -> StoreResult<Vec<String>> {
    Ok(audit_log::table
        .filter(audit_log::chain.is_not_null())
        .select(audit_log::chain.assume_not_null())
        .distinct()
        .order(audit_log::chain.asc())
        .load(conn)?)
}

/// Entries of one chain with seq above `after`, in seq order, at most `limit`.
pub fn chain_page(
    conn: &mut DbConnection,
    chain: &str,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<Audit>> {
    Ok(audit_log::table
        .filter(audit_log::chain.eq(chain))
        .filter(audit_log::seq.gt(after))
        .order(audit_log::seq.asc())
        .limit(limit)
        .select(Audit::as_select())
        .load(conn)?)
}

/// Grants given (by creation time) and used (first use) in a period, for the report.
pub fn count_actions(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
    action: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> StoreResult<i64> {
    Ok(audit_log::table
        .filter(audit_log::tenant_id.eq(tenant_id))
        .filter(audit_log::action.eq(action))
        .filter(audit_log::at.ge(from))
        .filter(audit_log::at.lt(to))
        .count()
        .get_result(conn)?)
}

/// The staff who appear in a tenant's trail: (user id, e-mail address as recorded), by address.
pub fn actors_of_tenant(
    conn: &mut DbConnection,
    tenant_id: &TenantId,
) -> StoreResult<Vec<(String, String)>> {
    Ok(audit_log::table
        .filter(audit_log::tenant_id.eq(tenant_id))
        .filter(audit_log::actor_id.is_not_null())
        .select((
            audit_log::actor_id.assume_not_null(),
            audit_log::actor_label,
        ))
        .distinct()
        .order(audit_log::actor_label.asc())
        .load(conn)?)
}
