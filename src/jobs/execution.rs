//! Carrying out one approved plan (job kind `execution`, payload `{"plan_id"}`): per system
//! one transaction in its own database, children before parents, the same statements as the
//! dry run (`tenant_data::execute`), then the plan recorded as done with its certificate, the
//! recipients' mails and the subject's report (`service::execution::record_done`).
//!
//! Idempotent: a system whose transaction committed is recorded `done` and never run again.
//! A failure rolls that system back (nothing of it is kept), the plan shows the error, and the
//! job is retried with backoff; systems done before it stay done.
//!
//! The one window two databases cannot close: the tenant database committed, but the process
//! died before inzage's store recorded it. The system's results are written as `committing`
//! just before the tenant commit; a retry that finds a system `committing` runs it again, and
//! if that run changes nothing at all, the earlier commit held and its recorded results stand
//! (otherwise the earlier commit did not happen and the new results are the true ones).

use std::time::{Duration as StdDuration, Instant};

use serde::Deserialize;

use crate::domain::certificate::{CertifiedTable, TableAction};
use crate::domain::execution::PlanKind;
use crate::error::{AppError, chain};
use crate::service::execution::{
    batch_sizes, mask_hasher, open_changes, operation, record_done, record_failed,
};
use crate::state::AppState;
use crate::store::execution::{self as plans, PlanRow, PlanState, PlanSystemRow, SystemState};
use crate::store::jobs::JobRow;
use crate::store::outbox;
use crate::store::requests::RequestRow;
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, StoreError, now};
use crate::tenant_data::execute::{ExecOptions, Finish, TableResult, run_system};
use crate::tenant_data::sql::Needles;
use crate::tenant_data::{DataMapError, TenantDataError, exec_sql};

use super::bundle::{BundleJobError, export_options, load_map, subject_identities};

/// Why a plan was not carried out (this try). Names system and table, never personal data.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionJobError {
    #[error("bad payload")]
    Payload(#[source] serde_json::Error),
    #[error("the request is gone")]
    RequestGone,
    #[error("the request has no tenant")]
    NoTenant,
    #[error("the data map: {0}")]
    Map(String),
    #[error(transparent)]
    DataMap(#[from] DataMapError),
    #[error("the rectification's changes cannot be read: {0}")]
    Changes(String),
    #[error(transparent)]
    Tenant(#[from] TenantDataError),
    /// GDPR art. 18(3): the subject is told before the restriction is lifted; the job waits.
    #[error("waiting until the subject's notice of the lift is sent (art. 18(3) GDPR)")]
    NoticeNotSent,
    #[error("store")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Service(#[source] AppError),
}

impl From<AppError> for ExecutionJobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(e) => Self::Store(e),
            other => Self::Service(other),
        }
    }
}

impl From<diesel::result::Error> for ExecutionJobError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<BundleJobError> for ExecutionJobError {
    fn from(e: BundleJobError) -> Self {
        match e {
            BundleJobError::DataMap(e) => Self::DataMap(e),
            BundleJobError::Store(e) => Self::Store(e),
            other => Self::Map(chain(&other)),
        }
    }
}

#[derive(Deserialize)]
struct Payload {
    plan_id: String,
}

/// How often progress is written to the store.
const PROGRESS_INTERVAL: StdDuration = StdDuration::from_millis(500);

pub fn run(state: &AppState, job: &JobRow) -> Result<(), ExecutionJobError> {
    let payload: Payload =
        serde_json::from_str(&job.payload).map_err(ExecutionJobError::Payload)?;
    let mut conn = state.db.conn()?;
    let Some(plan) = PlanRow::find(&mut conn, &payload.plan_id)? else {
        return Ok(()); // gone: nothing to do
    };
    if !(plan.is(PlanState::Approved) || plan.is(PlanState::Running) || plan.is(PlanState::Failed))
    {
        return Ok(()); // done already (only the job's completion was lost), or never approved
    }
    let final_try = job.attempts >= job.max_attempts;
    match carry_out(state, &mut conn, &plan, job) {
        Ok(()) => Ok(()),
        Err(error) => {
            record_failed(&mut conn, &plan, &chain(&error), final_try)?;
            Err(error)
        }
    }
}

fn carry_out(
    state: &AppState,
    conn: &mut DbConnection,
    plan: &PlanRow,
    job: &JobRow,
) -> Result<(), ExecutionJobError> {
    let kind = PlanKind::parse(&plan.kind)
        .ok_or_else(|| ExecutionJobError::Map(format!("unknown plan kind {}", plan.kind)))?;
    let request =
        RequestRow::find(conn, &plan.request_id)?.ok_or(ExecutionJobError::RequestGone)?;
    if kind == PlanKind::Lift && !lift_notice_sent(conn, &request)? {
        return Err(ExecutionJobError::NoticeNotSent);
    }
    let tenant = match &request.tenant_id {
        Some(id) => Tenant::find(conn, id)?,
        None => None,
    }
    .ok_or(ExecutionJobError::NoTenant)?;
    let map = load_map(&tenant)?;
    map.validate()?;
    let changes = match (&plan.sealed_changes, kind) {
        (Some(sealed), PlanKind::Rectification) => {
            open_changes(state.settings.secret_bytes(), &plan.id, sealed)
                .map_err(ExecutionJobError::Changes)?
        }
        (None, PlanKind::Rectification) => {
            return Err(ExecutionJobError::Changes("they are gone".into()));
        }
        _ => Vec::new(),
    };
    let op = operation(kind, changes);
    let needles = Needles::from_subject(&subject_identities(conn, &request)?);
    let export = export_options(&state.settings);
    let hasher = mask_hasher(state.settings.secret_bytes());
    let (delete_batch, update_batch) = batch_sizes();
    let options = ExecOptions {
        delete_batch,
        update_batch,
        export: &export,
        mask_hash: &hasher,
    };
    plans::running(conn, &plan.id)?;
    let mut hashes = Vec::new();
    for system in PlanSystemRow::for_plan(conn, &plan.id)? {
        if system.state == SystemState::Done.as_str() {
            continue; // committed on an earlier try: never done twice
        }
        let sys_map = map
            .system(&system.name)
            .ok_or_else(|| ExecutionJobError::Map(format!("system {} is gone", system.name)))?;
        let steps = exec_sql::plan_system(sys_map, &op);
        let earlier: Option<Vec<CertifiedTable>> = (system.state
            == SystemState::Committing.as_str())
        .then(|| crate::service::execution::PlanDetail::executed(&system))
        .flatten();
        let (plan_id, position) = (plan.id.clone(), system.position);
        let mut last = Instant::now();
        let mut progress = |rows: u64| {
            if last.elapsed() < PROGRESS_INTERVAL {
                return;
            }
            last = Instant::now();
            // Progress is a courtesy: a failed update does not fail the plan.
            if let Err(e) = plans::system_progress(
                conn,
                &plan_id,
                position,
                i64::try_from(rows).unwrap_or(i64::MAX),
            ) {
                tracing::warn!(error = %chain(&e), "recording execution progress failed");
            }
        };
        // The store connection is needed inside the hook as well; progress borrows it, so the
        // hook gets its own.
        let mut hook_conn = state.db.conn()?;
        let mut before_commit = |results: &[TableResult]| -> Result<(), String> {
            let certified = certified(results);
            let json = serde_json::to_string(&certified).map_err(|e| e.to_string())?;
            plans::system_state(
                &mut hook_conn,
                &plan.id,
                system.position,
                SystemState::Committing,
                rows_of(results),
                Some(&json),
                None,
            )
            .map_err(|e| chain(&e))
        };
        let results = run_system(
            sys_map,
            &steps,
            &needles,
            &options,
            Finish::Commit(&mut before_commit),
            &mut progress,
        )?;
        let mut tables = certified(&results);
        if let Some(earlier) = earlier
            && results
                .iter()
                .all(|r| r.action == TableAction::Keep || r.rows == 0)
            && earlier
                .iter()
                .any(|t| t.action != TableAction::Keep && t.rows > 0)
        {
            // The earlier try's commit held (see the module docs): its counts are the truth.
            tables = earlier;
        }
        let committed = now();
        for t in &mut tables {
            t.at = committed.and_utc();
        }
        let json =
            serde_json::to_string(&tables).map_err(|e| ExecutionJobError::Map(e.to_string()))?;
        let rows: u64 = tables
            .iter()
            .filter(|t| t.action != TableAction::Keep)
            .map(|t| t.rows)
            .sum();
        plans::system_state(
            conn,
            &plan.id,
            system.position,
            SystemState::Done,
            i64::try_from(rows).unwrap_or(i64::MAX),
            Some(&json),
            Some(committed),
        )?;
        for r in &results {
            for (column, old) in &r.old_sha256 {
                hashes.push(serde_json::json!({
                    "system": system.name, "table": r.table, "column": column, "old_sha256": old,
                }));
            }
        }
        tracing::info!(plan = %plan.id, system = %system.name, rows, "system carried out");
    }
    // What inzage keeps of a rectification: which columns changed and a hash of each old
    // value, never a value (the sealed new values are forgotten by record_done).
    let result = (!hashes.is_empty()).then(|| serde_json::json!({ "changed": hashes }).to_string());
    record_done(
        conn,
        state,
        plan,
        &format!("inzage job {}", job.id),
        result.as_deref(),
    )?;
    tracing::info!(plan = %plan.id, "plan carried out");
    Ok(())
}

fn rows_of(results: &[TableResult]) -> i64 {
    let n: u64 = results
        .iter()
        .filter(|r| r.action != TableAction::Keep)
        .map(|r| r.rows)
        .sum();
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn certified(results: &[TableResult]) -> Vec<CertifiedTable> {
    let at = chrono::Utc::now();
    results
        .iter()
        .map(|r| CertifiedTable {
            name: r.table.clone(),
            action: r.action,
            rows: r.rows,
            columns: r.columns.clone(),
            reason: r.reason.clone(),
            at,
        })
        .collect()
}

/// Whether the subject's notice of the lift left the outbox (art. 18(3)).
fn lift_notice_sent(conn: &mut DbConnection, request: &RequestRow) -> Result<bool, StoreError> {
    Ok(outbox::for_request(conn, &request.id)?
        .iter()
        .any(|m| m.template == "restriction_lift_notice" && m.state == "sent"))
}
