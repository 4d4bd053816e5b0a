//! Execution plans (rectification, erasure, restriction) and the progress of each system of
//! one: rows with plain associated functions, written in the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{execution_plans, execution_systems};
use super::{DbConnection, StoreResult};
use crate::domain::{RequestId, UserId};

/// Where a plan is in its life (`execution_plans.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanState {
    /// Counted by a dry run, waiting for the controller's approval.
    Draft,
    /// Replaced by a newer plan before it was approved.
    Superseded,
    /// Approved; its job is queued.
    Approved,
    Running,
    Done,
    /// The last try failed (its job may try again: see `error`).
    Failed,
}

impl PlanState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Superseded => "superseded",
            Self::Approved => "approved",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// A system's progress (`execution_systems.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemState {
    Pending,
    /// Its transaction was about to commit (the result is recorded; whether the commit held
    /// is decided by the next try: see `jobs::execution`).
    Committing,
    Done,
}

impl SystemState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Committing => "committing",
            Self::Done => "done",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = execution_plans)]
pub struct PlanRow {
    pub id: String,
    pub request_id: RequestId,
    pub kind: String,
    pub state: String,
    pub systems: String,
    pub recipients: String,
    pub sealed_changes: Option<String>,
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub approved_by: Option<UserId>,
    pub approved_email: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = execution_systems)]
pub struct PlanSystemRow {
    pub plan_id: String,
    pub position: i32,
    pub name: String,
    pub state: String,
    pub rows_done: i64,
    pub result: Option<String>,
    pub committed_at: Option<NaiveDateTime>,
}

/// The job of a plan is found by this dedupe key.
pub fn job_key(plan_id: &str) -> String {
    format!("execution:{plan_id}")
}

impl PlanRow {
    pub fn is(&self, state: PlanState) -> bool {
        self.state == state.as_str()
    }

    pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<Self>> {
        Ok(execution_plans::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()?)
    }

    /// The request's plans, newest first.
    pub fn for_request(conn: &mut DbConnection, request_id: &RequestId) -> StoreResult<Vec<Self>> {
        Ok(execution_plans::table
            .filter(execution_plans::request_id.eq(request_id))
            .order((
                execution_plans::created_at.desc(),
                execution_plans::id.desc(),
            ))
            .select(Self::as_select())
            .load(conn)?)
    }

    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(execution_plans::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

impl PlanSystemRow {
    pub fn for_plan(conn: &mut DbConnection, plan_id: &str) -> StoreResult<Vec<Self>> {
        Ok(execution_systems::table
            .filter(execution_systems::plan_id.eq(plan_id))
            .order(execution_systems::position.asc())
            .select(Self::as_select())
            .load(conn)?)
    }

    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(execution_systems::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

/// Every draft of the request becomes superseded (a new plan is about to be current).
pub fn supersede_drafts(conn: &mut DbConnection, request_id: &RequestId) -> StoreResult<usize> {
    Ok(diesel::update(
        execution_plans::table
            .filter(execution_plans::request_id.eq(request_id))
            .filter(execution_plans::state.eq(PlanState::Draft.as_str())),
    )
    .set((
        execution_plans::state.eq(PlanState::Superseded.as_str()),
        execution_plans::sealed_changes.eq(None::<String>),
    ))
    .execute(conn)?)
}

/// Moves a plan from `from` to `to`; false when it was not in `from` (someone else moved it).
pub fn transition(
    conn: &mut DbConnection,
    id: &str,
    from: &[PlanState],
    to: PlanState,
) -> StoreResult<bool> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let n = diesel::update(
        execution_plans::table
            .find(id)
            .filter(execution_plans::state.eq_any(from)),
    )
    .set(execution_plans::state.eq(to.as_str()))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn approve(
    conn: &mut DbConnection,
    id: &str,
    user_id: &UserId,
    email: &str,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        execution_plans::table
            .find(id)
            .filter(execution_plans::state.eq(PlanState::Draft.as_str())),
    )
    .set((
        execution_plans::state.eq(PlanState::Approved.as_str()),
        execution_plans::approved_by.eq(Some(user_id)),
        execution_plans::approved_email.eq(Some(email)),
        execution_plans::approved_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// A try failed: the plan shows why (the job may try again).
pub fn failed(conn: &mut DbConnection, id: &str, error: &str) -> StoreResult<()> {
    diesel::update(execution_plans::table.find(id))
        .set((
            execution_plans::state.eq(PlanState::Failed.as_str()),
            execution_plans::error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A try starts: running, the last error cleared.
pub fn running(conn: &mut DbConnection, id: &str) -> StoreResult<()> {
    diesel::update(execution_plans::table.find(id))
        .set((
            execution_plans::state.eq(PlanState::Running.as_str()),
            execution_plans::error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every system is done: the result (columns changed, hashes of old values) is kept, the
/// sealed new values are forgotten.
pub fn done(
    conn: &mut DbConnection,
    id: &str,
    result: Option<&str>,
    at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(execution_plans::table.find(id))
        .set((
            execution_plans::state.eq(PlanState::Done.as_str()),
            execution_plans::result.eq(result),
            execution_plans::sealed_changes.eq(None::<String>),
            execution_plans::error.eq(None::<String>),
            execution_plans::finished_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn system_progress(
    conn: &mut DbConnection,
    plan_id: &str,
    position: i32,
    rows_done: i64,
) -> StoreResult<()> {
    diesel::update(execution_systems::table.find((plan_id, position)))
        .set(execution_systems::rows_done.eq(rows_done))
        .execute(conn)?;
    Ok(())
}

pub fn system_state(
    conn: &mut DbConnection,
    plan_id: &str,
    position: i32,
    state: SystemState,
    rows_done: i64,
    result: Option<&str>,
    committed_at: Option<NaiveDateTime>,
) -> StoreResult<()> {
    diesel::update(execution_systems::table.find((plan_id, position)))
        .set((
            execution_systems::state.eq(state.as_str()),
            execution_systems::rows_done.eq(rows_done),
            execution_systems::result.eq(result),
            execution_systems::committed_at.eq(committed_at),
        ))
        .execute(conn)?;
    Ok(())
}
