//! Carrying out rectification, erasure and restriction as staff ask for it (GDPR art. 16-19;
//! processing agreement 3.7, 7.5(ii)-(iii), 10.3): a plan counted by a dry run, the
//! controller's approval (which queues the job), the plan as it runs, a disputed correction,
//! and what is recorded when the job is done (certificate, recipients told, the subject's
//! report) — each in one transaction with its event.
//!
//! Who may see a plan's contents: admin, the tenant's controller, support only while an access
//! grant runs (403 `grant_required`); every staff view is an audit entry. Only the tenant's
//! controller or an admin approves (processing agreement 3.7: the processor acts on the
//! controller's instruction).

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::crypto;
use crate::domain::certificate::{
    Certificate, CertifiedActor, CertifiedRecipient, CertifiedSystem, CertifiedTable, TableAction,
};
use crate::domain::execution::{
    PlanAsk, PlanKind, PlanRecipient, PlannedSystem, PlannedTable, RecipientRef, plan_kind,
};
use crate::domain::job::JobKind;
use crate::domain::{EventKind, Role, UserId};
use crate::error::{AppError, AppResult, FieldErrors, chain};
use crate::jobs::bundle::{export_options, load_map, subject_identities};
use crate::mail::MailMessage;
use crate::mail::message::{
    ChangeKind, ExecutionReport, RecipientNotice, ReportedTable, RestrictionLiftNotice,
};
use crate::service::actions::visible_request;
use crate::service::audit as service_audit;
use crate::service::grants::{request_with_data_access, require_data_access};
use crate::service::notify::queue_mail;
use crate::service::status_url;
use crate::state::AppState;
use crate::store::events::{EventActor, NewEvent};
use crate::store::execution::{self as plans, PlanRow, PlanState, PlanSystemRow, SystemState};
use crate::store::jobs::{self, NewJob};
use crate::store::requests::RequestRow;
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, new_id, now, write_tx};
use crate::tenant_data::DataMap;
use crate::tenant_data::exec_sql::{self, Change, Operation};
use crate::tenant_data::execute::{self, DELETE_BATCH, ExecOptions, TableResult, UPDATE_BATCH};
use crate::tenant_data::sql::Needles;

/// Tries of an execution job: a tenant database down for a while is retried with backoff; a
/// lift waits for its notice to the subject to be sent (art. 18(3)).
pub const EXECUTION_ATTEMPTS: i32 = 8;

/// A plan with its systems' progress.
pub struct PlanDetail {
    pub reference: String,
    pub plan: PlanRow,
    pub systems: Vec<PlanSystemRow>,
}

impl PlanDetail {
    pub fn kind(&self) -> Option<PlanKind> {
        PlanKind::parse(&self.plan.kind)
    }

    /// The plan's systems and tables, as the dry run counted them.
    pub fn planned(&self) -> Vec<PlannedSystem> {
        serde_json::from_str(&self.plan.systems).unwrap_or_default()
    }

    pub fn recipients(&self) -> Vec<PlanRecipient> {
        serde_json::from_str(&self.plan.recipients).unwrap_or_default()
    }

    /// The system's tables as executed (once its transaction committed).
    pub fn executed(system: &PlanSystemRow) -> Option<Vec<CertifiedTable>> {
        system
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
    }
}

/// The body of `POST …/plan`, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanBody {
    Plain,
    Lift,
    Changes(Vec<Change>),
}

/// The plan kind for this request and body, or why not (409 / 422).
fn decide(row: &RequestRow, body: &PlanBody) -> AppResult<PlanKind> {
    let ask = match body {
        PlanBody::Plain => PlanAsk::Plain,
        PlanBody::Lift => PlanAsk::Lift,
        PlanBody::Changes(_) => PlanAsk::Changes,
    };
    match plan_kind(row.kind, row.status, row.identity_pending, ask) {
        Err(refusal) => Err(AppError::Conflict {
            code: refusal.code(),
            message: refusal.to_string(),
        }),
        Ok(Err(mismatch)) => Err(AppError::field(mismatch.field, mismatch.problem)),
        Ok(Ok(kind)) => Ok(kind),
    }
}

fn map_of(tenant: &Tenant) -> AppResult<DataMap> {
    if tenant.datamap_path.is_none() {
        return Err(AppError::Conflict {
            code: "no_datamap",
            message: format!(
                "tenant {} has no data map (inzage tenant add --datamap exports/{}.toml)",
                tenant.slug, tenant.slug
            ),
        });
    }
    load_map(tenant).map_err(|e| AppError::Conflict {
        code: "datamap_invalid",
        message: chain(&e),
    })
}

/// The keyed one-way hash of `mask = "hash"`: HKDF-SHA256 of the value under a key derived
/// from the installation's secret (equal values stay equal; the value cannot be read back,
/// and without the secret not even guessed).
pub fn mask_hasher(secret: &[u8]) -> impl Fn(&str) -> String + use<> {
    let key = crypto::derive_bytes(secret, "inzage erasure mask v1");
    move |value: &str| hex::encode(crypto::derive_bytes(&key, value))
}

/// The options plans run with (production sizes; tests may shrink the batches through
/// `INZAGE_EXECUTION_BATCH`).
pub fn batch_sizes() -> (usize, usize) {
    match std::env::var("INZAGE_EXECUTION_BATCH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(n) if n > 0 => (n, n),
        _ => (DELETE_BATCH, UPDATE_BATCH),
    }
}

/// What the plan runs: the operation for the kind.
pub fn operation(kind: PlanKind, changes: Vec<Change>) -> Operation {
    match kind {
        PlanKind::Erasure => Operation::Erase,
        PlanKind::Restriction => Operation::Restrict,
        PlanKind::Lift => Operation::Lift,
        PlanKind::Rectification => Operation::Rectify(changes),
    }
}

fn planned_of(results: &[(String, Vec<TableResult>)]) -> Vec<PlannedSystem> {
    results
        .iter()
        .map(|(name, tables)| PlannedSystem {
            name: name.clone(),
            tables: tables
                .iter()
                .map(|t| PlannedTable {
                    name: t.table.clone(),
                    action: t.action,
                    rows: t.rows,
                    columns: t.columns.clone(),
                    reason: t.reason.clone(),
                })
                .collect(),
        })
        .collect()
}

fn recipients_of(map: &DataMap, planned: &[PlannedSystem]) -> Vec<PlanRecipient> {
    let mut tables = Vec::new();
    for p in planned {
        let Some(system) = map.system(&p.name) else {
            continue;
        };
        for t in &p.tables {
            let Some(table) = system.table(&t.name) else {
                continue;
            };
            let refs: Vec<RecipientRef> = table
                .recipients
                .iter()
                .map(|r| RecipientRef {
                    name: r.name.clone(),
                    email: r.email.clone(),
                })
                .collect();
            tables.push((refs, t.action != TableAction::Keep));
        }
    }
    PlanRecipient::of(tables.iter().map(|(r, c)| (r.as_slice(), *c)))
}

const SEAL_PURPOSE: &str = "inzage execution changes v1";

/// A rectification's changes (with their new values) sealed for the time between plan and
/// execution; forgotten when the plan is done or replaced (inzage keeps no values).
fn seal_changes(secret: &[u8], plan_id: &str, changes: &[Change]) -> AppResult<String> {
    use base64::Engine as _;
    use std::io::Write as _;
    let json: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            serde_json::json!({"system": c.system, "table": c.table, "column": c.column,
                               "value": c.value.to_json()})
        })
        .collect();
    let plain = serde_json::to_vec(&json).map_err(|e| AppError::Internal(e.to_string()))?;
    let key = crypto::derive_bytes(secret, SEAL_PURPOSE);
    let io = |e: std::io::Error| AppError::Internal(format!("sealing the changes: {e}"));
    let mut w = crypto::SealingWriter::new(Vec::new(), &key, plan_id.as_bytes()).map_err(io)?;
    w.write_all(&plain).map_err(io)?;
    let (sealed, _) = w.finish().map_err(io)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
}

/// The changes sealed by [`seal_changes`].
pub fn open_changes(secret: &[u8], plan_id: &str, sealed: &str) -> Result<Vec<Change>, String> {
    use base64::Engine as _;
    use std::io::Read as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .map_err(|e| e.to_string())?;
    let key = crypto::derive_bytes(secret, SEAL_PURPOSE);
    let mut r = crypto::OpeningReader::new(bytes.as_slice(), &key, plan_id.as_bytes(), None)
        .map_err(|e| e.to_string())?;
    let mut plain = Vec::new();
    r.read_to_end(&mut plain).map_err(|e| e.to_string())?;
    let values: Vec<serde_json::Value> =
        serde_json::from_slice(&plain).map_err(|e| e.to_string())?;
    values
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().map(str::to_owned).ok_or("bad change");
            Ok(Change {
                system: s("system")?,
                table: s("table")?,
                column: s("column")?,
                value: exec_sql::NewValue::from_json(&v["value"]).ok_or("bad value")?,
            })
        })
        .collect::<Result<_, &str>>()
        .map_err(str::to_owned)
}

/// `POST …/plan`: checks the request, dry-runs the plan in every system (rolled back) and
/// records it as the request's current draft (201).
pub fn create_plan(
    conn: &mut DbConnection,
    state: &AppState,
    principal: &Principal,
    reference: &str,
    body: PlanBody,
) -> AppResult<PlanDetail> {
    let (row, tenant, _) = request_with_data_access(conn, principal, reference, "a plan")?;
    let kind = decide(&row, &body)?;
    let map = map_of(&tenant)?;
    let changes = match body {
        PlanBody::Changes(c) => c,
        _ => Vec::new(),
    };
    if kind == PlanKind::Rectification {
        if changes.is_empty() {
            return Err(AppError::field("changes", "list at least one change"));
        }
        // Art. 16: only the columns the controller marked correctable.
        let problems = exec_sql::check_changes(&map.systems, &changes);
        if !problems.is_empty() {
            let fields: FieldErrors = problems
                .into_iter()
                .map(|p| (format!("changes[{}]", p.index), p.message))
                .collect();
            return Err(AppError::Validation(fields));
        }
    }
    if let Some(current) = PlanRow::for_request(conn, &row.id)?
        .into_iter()
        .find(|p| p.is(PlanState::Approved) || p.is(PlanState::Running) || p.is(PlanState::Failed))
    {
        return Err(in_progress(&current));
    }
    let subject = subject_identities(conn, &row)?;
    let needles = Needles::from_subject(&subject);
    let export = export_options(&state.settings);
    let hasher = mask_hasher(state.settings.secret_bytes());
    let (delete_batch, update_batch) = batch_sizes();
    let options = ExecOptions {
        delete_batch,
        update_batch,
        export: &export,
        mask_hash: &hasher,
    };
    let op = operation(kind, changes.clone());
    // The dry run: the same statements as the execution, in a transaction rolled back, so the
    // plan shows exactly what approval will do. Outside the store's transaction: no store
    // lock is held while tenant databases work.
    let results =
        execute::dry_run(&map, &op, &needles, &options).map_err(|e| AppError::Conflict {
            code: "dry_run_failed",
            message: format!("the plan could not be counted: {}", chain(&e)),
        })?;
    let planned = planned_of(&results);
    let recipients = recipients_of(&map, &planned);
    let plan_id = new_id();
    let sealed = if kind == PlanKind::Rectification {
        Some(seal_changes(
            state.settings.secret_bytes(),
            &plan_id,
            &changes,
        )?)
    } else {
        None
    };
    let systems_json = to_json(&planned)?;
    let recipients_json = to_json(&recipients)?;
    write_tx(conn, |conn| {
        // Again inside the transaction: the request may have changed during the dry run.
        let (row, tenant, grant) = request_with_data_access(conn, principal, reference, "a plan")?;
        recheck(&row, kind)?;
        if let Some(current) = PlanRow::for_request(conn, &row.id)?.into_iter().find(|p| {
            p.is(PlanState::Approved) || p.is(PlanState::Running) || p.is(PlanState::Failed)
        }) {
            return Err(in_progress(&current));
        }
        // One plan per request is current: a newer one supersedes a draft.
        plans::supersede_drafts(conn, &row.id)?;
        let at = now();
        let plan = PlanRow {
            id: plan_id.clone(),
            request_id: row.id.clone(),
            kind: kind.as_str().to_owned(),
            state: PlanState::Draft.as_str().to_owned(),
            systems: systems_json.clone(),
            recipients: recipients_json.clone(),
            sealed_changes: sealed.clone(),
            result: None,
            error: None,
            created_by: principal.user_id.clone(),
            created_at: at,
            approved_by: None,
            approved_email: None,
            approved_at: None,
            finished_at: None,
        };
        plan.insert(conn)?;
        for (i, s) in planned.iter().enumerate() {
            PlanSystemRow {
                plan_id: plan_id.clone(),
                position: i32::try_from(i).unwrap_or(i32::MAX),
                name: s.name.clone(),
                state: SystemState::Pending.as_str().to_owned(),
                rows_done: 0,
                result: None,
                committed_at: None,
            }
            .insert(conn)?;
        }
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        let mut event = NewEvent::new(&row.id, &actor, EventKind::ExecutionPlanned, at);
        event.data =
            Some(serde_json::json!({"plan_id": plan_id, "kind": kind.as_str()}).to_string());
        event.insert(conn)?;
        service_audit::record_access(
            conn,
            principal,
            "plan_created",
            Some(&tenant.id),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({ "plan": plan_id })),
        )?;
        Ok(PlanDetail {
            reference: row.reference.clone(),
            systems: PlanSystemRow::for_plan(conn, &plan_id)?,
            plan,
        })
    })
}

fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// Whether a plan of `kind` may still be made or approved for the request as it is now.
fn recheck(row: &RequestRow, kind: PlanKind) -> AppResult<()> {
    let ask = match kind {
        PlanKind::Lift => PlanAsk::Lift,
        PlanKind::Rectification => PlanAsk::Changes,
        PlanKind::Erasure | PlanKind::Restriction => PlanAsk::Plain,
    };
    match plan_kind(row.kind, row.status, row.identity_pending, ask) {
        Err(refusal) => Err(AppError::Conflict {
            code: refusal.code(),
            message: refusal.to_string(),
        }),
        Ok(_) => Ok(()),
    }
}

fn in_progress(current: &PlanRow) -> AppError {
    AppError::Conflict {
        code: "plan_in_progress",
        message: format!(
            "plan {} is {} and not done yet; a new plan can be made when it is done",
            current.id, current.state
        ),
    }
}

/// The plan `plan_id` of the request, checked to belong to it.
fn plan_of(conn: &mut DbConnection, row: &RequestRow, plan_id: &str) -> AppResult<PlanRow> {
    PlanRow::find(conn, plan_id)?
        .filter(|p| p.request_id == row.id)
        .ok_or(AppError::NotFound)
}

/// `GET …/plan/{id}`: the plan and how far it is; an audit entry (plan contents are tenant
/// data).
pub fn show_plan(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
    plan_id: &str,
) -> AppResult<PlanDetail> {
    write_tx(conn, |conn| {
        let (row, tenant, grant) = request_with_data_access(conn, principal, reference, "a plan")?;
        let plan = plan_of(conn, &row, plan_id)?;
        service_audit::record_access(
            conn,
            principal,
            "plan_viewed",
            Some(&tenant.id),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({ "plan": plan.id })),
        )?;
        Ok(PlanDetail {
            reference: row.reference.clone(),
            systems: PlanSystemRow::for_plan(conn, &plan.id)?,
            plan,
        })
    })
}

/// The request's newest plan, for the console (an audit entry like any plan view); None when
/// there is none or the principal may not see plan contents.
pub fn current_plan(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
) -> AppResult<Option<PlanDetail>> {
    let row = visible_request(conn, principal, reference)?;
    let Some(tenant_id) = row.tenant_id.clone() else {
        return Ok(None);
    };
    if require_data_access(conn, principal, &tenant_id, now()).is_err() {
        return Ok(None);
    }
    let Some(latest) = PlanRow::for_request(conn, &row.id)?.into_iter().next() else {
        return Ok(None);
    };
    show_plan(conn, principal, reference, &latest.id).map(Some)
}

/// `POST …/plan/{id}/approve`: the tenant's controller (or an admin) approves a draft; the
/// job is queued in the same transaction (202). For a lift, the subject's notice is queued
/// here too, and the job waits until it was sent (art. 18(3)).
pub fn approve_plan(
    conn: &mut DbConnection,
    state: &AppState,
    principal: &Principal,
    reference: &str,
    plan_id: &str,
) -> AppResult<PlanDetail> {
    write_tx(conn, |conn| {
        let (row, tenant, grant) = request_with_data_access(conn, principal, reference, "a plan")?;
        let plan = plan_of(conn, &row, plan_id)?;
        // Processing agreement 3.7: the processor changes data on the controller's
        // instruction; support proposes, it does not approve.
        if !matches!(principal.role, Role::Admin | Role::Controller) {
            return Err(AppError::Forbidden(
                "only the tenant's controller (or an admin) approves a plan".to_owned(),
            ));
        }
        if !plan.is(PlanState::Draft) {
            return Err(AppError::Conflict {
                code: "plan_not_draft",
                message: format!(
                    "the plan is {}; only a current draft can be approved",
                    plan.state
                ),
            });
        }
        let kind = PlanKind::parse(&plan.kind)
            .ok_or_else(|| AppError::Internal(format!("plan {} has an unknown kind", plan.id)))?;
        // The request may have changed since the plan was made (withdrawn, say).
        recheck(&row, kind)?;
        let at = now();
        if !plans::approve(conn, &plan.id, &principal.user_id, &principal.email, at)? {
            return Err(AppError::Conflict {
                code: "plan_not_draft",
                message: "the plan was approved or replaced meanwhile".to_owned(),
            });
        }
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        let mut event = NewEvent::new(&row.id, &actor, EventKind::ExecutionApproved, at);
        event.data = Some(serde_json::json!({"plan_id": plan.id}).to_string());
        event.public = true;
        event.insert(conn)?;
        if kind == PlanKind::Lift {
            // GDPR art. 18(3): a subject who obtained a restriction is informed before it is
            // lifted. The notice goes to the outbox with the approval; the job lifts only
            // once the outbox has sent it.
            let message = MailMessage::from(RestrictionLiftNotice {
                reference: row.reference.clone(),
                controller: Some(tenant.name.clone()),
                status_url: status_url(state, &row.id, &row.reference, Utc::now())?,
            });
            queue_mail(
                conn,
                Some(&row.id),
                &row.subject_email,
                row.language,
                &message,
            )?;
            let mut told = NewEvent::new(&row.id, &actor, EventKind::RestrictionLiftNotified, at);
            told.public = true;
            told.insert(conn)?;
        }
        jobs::enqueue(
            conn,
            &NewJob {
                kind: JobKind::Execution.as_str().to_owned(),
                payload: serde_json::json!({ "plan_id": plan.id }),
                dedupe_key: Some(plans::job_key(&plan.id)),
                run_after: at,
                max_attempts: EXECUTION_ATTEMPTS,
            },
            at,
        )?;
        service_audit::record_access(
            conn,
            principal,
            "plan_approved",
            Some(&tenant.id),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({ "plan": plan.id })),
        )?;
        Ok(PlanDetail {
            reference: row.reference.clone(),
            systems: PlanSystemRow::for_plan(conn, &plan.id)?,
            plan: PlanRow::find(conn, &plan.id)?.ok_or(AppError::NotFound)?,
        })
    })
}

/// `POST …/rectification_disputed` `{"note"}`: the subject contests the accuracy and the
/// controller has not (yet) corrected it; recorded on the request (processing agreement
/// 3.7(iii); GDPR art. 18(1)(a)).
pub fn record_dispute(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
    note: &str,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let row = visible_request(conn, principal, reference)?;
        if row.kind != crate::domain::RequestKind::Rectification {
            return Err(AppError::Conflict {
                code: "not_rectification",
                message: "a dispute is recorded on a rectification request".to_owned(),
            });
        }
        if row.status.is_closed() {
            return Err(AppError::Conflict {
                code: "request_closed",
                message: format!("the request is {}", row.status.as_str()),
            });
        }
        let at = now();
        let actor = EventActor::staff(&principal.user_id, &principal.email);
        let mut event = NewEvent::new(&row.id, &actor, EventKind::RectificationDisputed, at);
        event.note = Some(note.to_owned());
        event.public = true;
        event.insert(conn)?;
        service_audit::record(
            conn,
            principal,
            "rectification_disputed",
            row.tenant_id.as_ref(),
            Some(&row.id),
            None,
        )?;
        Ok(())
    })
}

/// Which change a plan kind is, for the mails.
pub fn change_kind(kind: PlanKind) -> ChangeKind {
    match kind {
        PlanKind::Erasure => ChangeKind::Erasure,
        PlanKind::Rectification => ChangeKind::Rectification,
        PlanKind::Restriction => ChangeKind::Restriction,
        PlanKind::Lift => ChangeKind::Lift,
    }
}

/// Records a plan as done, in one transaction: the plan and its result, the event, the signed
/// certificate (processing agreement 10.3), a mail and an event per recipient with an address
/// (art. 19), and the subject's report of what was done and what was kept and why.
#[allow(clippy::too_many_arguments)]
pub fn record_done(
    conn: &mut DbConnection,
    state: &AppState,
    plan: &PlanRow,
    executor: &str,
    result: Option<&str>,
) -> AppResult<()> {
    let kind = PlanKind::parse(&plan.kind)
        .ok_or_else(|| AppError::Internal(format!("plan {} has an unknown kind", plan.id)))?;
    write_tx(conn, |conn| {
        let row = RequestRow::find(conn, &plan.request_id)?.ok_or(AppError::NotFound)?;
        let tenant = match &row.tenant_id {
            Some(id) => Tenant::find(conn, id)?,
            None => None,
        }
        .ok_or(AppError::NotFound)?;
        let systems = PlanSystemRow::for_plan(conn, &plan.id)?;
        let at = now();
        plans::done(conn, &plan.id, result, at)?;
        let recipients: Vec<PlanRecipient> =
            serde_json::from_str(&plan.recipients).unwrap_or_default();
        let mut certified_systems = Vec::new();
        let mut reported = Vec::new();
        let mut total = 0u64;
        for s in &systems {
            let tables = PlanDetail::executed(s).unwrap_or_default();
            for t in &tables {
                total += if t.action == TableAction::Keep {
                    0
                } else {
                    t.rows
                };
                reported.push(ReportedTable {
                    system: s.name.clone(),
                    table: t.name.clone(),
                    action: t.action,
                    rows: t.rows,
                    columns: t.columns.clone(),
                    reason: t.reason.clone(),
                });
            }
            certified_systems.push(CertifiedSystem {
                name: s.name.clone(),
                tables,
            });
        }
        let system = EventActor::system();
        let mut event = NewEvent::new(&row.id, &system, EventKind::ExecutionDone, at);
        // The recipients go with the event: the subject's status page lists them (art. 19,
        // last sentence), names only.
        let listed: Vec<PublicRecipient> = recipients
            .iter()
            .map(|r| PublicRecipient {
                name: r.name.clone(),
                notified: r.email.is_some(),
            })
            .collect();
        event.data = Some(
            serde_json::json!({"plan_id": plan.id, "rows": total, "recipients": listed})
                .to_string(),
        );
        event.public = true;
        event.insert(conn)?;
        let change = change_kind(kind);
        // Art. 19: each recipient with an address is told (kind of change and reference, no
        // more); the others are listed for the controller and the subject.
        let mut told = Vec::new();
        let mut to_tell = Vec::new();
        for r in &recipients {
            match &r.email {
                Some(email) => {
                    let message = MailMessage::from(RecipientNotice {
                        reference: row.reference.clone(),
                        change,
                        controller: tenant.name.clone(),
                        recipient: r.name.clone(),
                    });
                    queue_mail(conn, Some(&row.id), email, tenant.language, &message)?;
                    let mut e = NewEvent::new(&row.id, &system, EventKind::RecipientNotified, at);
                    e.data = Some(
                        serde_json::json!({"plan_id": plan.id, "recipient": r.name}).to_string(),
                    );
                    e.public = true;
                    e.insert(conn)?;
                    told.push(r.name.clone());
                }
                None => to_tell.push(r.name.clone()),
            }
        }
        let certificate = Certificate {
            iss: state.settings.public_url.clone(),
            request: row.reference.clone(),
            tenant: tenant.slug.clone(),
            kind: row.kind,
            plan: plan.id.clone(),
            approver: CertifiedActor {
                id: plan.approved_by.clone().unwrap_or_else(|| UserId::from("")),
                email: plan.approved_email.clone().unwrap_or_default(),
            },
            executor: executor.to_owned(),
            issued_at: Utc::now(),
            systems: certified_systems,
            recipients: recipients
                .iter()
                .map(|r| CertifiedRecipient {
                    name: r.name.clone(),
                    notified: r.email.is_some(),
                })
                .collect(),
        };
        crate::service::signing::issue_certificate(conn, &row.id, &certificate)?;
        let report = MailMessage::from(ExecutionReport {
            reference: row.reference.clone(),
            change,
            controller: Some(tenant.name.clone()),
            tables: reported,
            recipients_told: told,
            recipients_to_tell: to_tell,
            status_url: status_url(state, &row.id, &row.reference, Utc::now())?,
        });
        queue_mail(
            conn,
            Some(&row.id),
            &row.subject_email,
            row.language,
            &report,
        )?;
        Ok(())
    })
}

/// Records a plan's final failure (after its last try) on the request.
pub fn record_failed(
    conn: &mut DbConnection,
    plan: &PlanRow,
    error: &str,
    final_try: bool,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        plans::failed(conn, &plan.id, error)?;
        if final_try {
            let mut event = NewEvent::new(
                &plan.request_id,
                &EventActor::system(),
                EventKind::ExecutionFailed,
                now(),
            );
            event.note = Some(error.to_owned());
            event.data = Some(serde_json::json!({"plan_id": plan.id}).to_string());
            event.insert(conn)?;
        }
        Ok(())
    })
}

/// A recipient the subject may be told about (status page, from the `execution_done`
/// event): name only, and whether inzage told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicRecipient {
    pub name: String,
    pub notified: bool,
}
