//! Background work: job workers claiming from the shared `jobs` table, a scheduler that
//! enqueues the periodic jobs (every instance enqueues, a dedupe key keeps one per period),
//! and the outbox sender. Nothing lives only in memory: a killed instance's claimed job is
//! taken over by another when its lease runs out.

pub mod bundle;
pub mod execution;
pub mod maintenance;
pub mod retention;
pub mod sweep;

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::error::{AppError, chain};
use crate::state::AppState;
use crate::store::files::FileError;
use crate::store::jobs::{self, JobRow, JobState, NewJob};
use crate::store::{StoreError, now};

/// Why a job failed. Every variant keeps its cause: [`chain`] renders the whole of it for the
/// log and the job's stored error (`last_error`).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("store")]
    Store(#[from] StoreError),
    #[error("file storage")]
    Files(#[from] FileError),
    #[error("{0}")]
    Service(#[source] AppError),
    #[error("bundle")]
    Bundle(#[from] bundle::BundleJobError),
    #[error("execution")]
    Execution(#[from] execution::ExecutionJobError),
    #[error("unknown job kind {0:?}")]
    UnknownKind(String),
    #[error("abandoned: {0} tries, the last by a worker that stopped mid-job")]
    Abandoned(i32),
    #[error("the job panicked")]
    Panicked(#[source] tokio::task::JoinError),
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(e) => Self::Store(e),
            other => Self::Service(other),
        }
    }
}

impl From<diesel::result::Error> for JobError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

pub use crate::domain::job::JobKind;

/// Runs one claimed job to its end (on a blocking thread).
fn run(state: &AppState, job: &JobRow) -> Result<(), JobError> {
    match JobKind::parse(&job.kind) {
        Some(JobKind::DeadlineSweep) => {
            let report = sweep::run(state, Utc::now())?;
            tracing::info!(job = %job.id, requests = report.requests, reminders = report.sent, "deadline sweep done");
            Ok(())
        }
        Some(JobKind::Maintenance) => maintenance::run(state),
        Some(JobKind::Retention) => retention::run(state),
        Some(JobKind::Bundle) => Ok(bundle::run(state, job)?),
        Some(JobKind::Execution) => Ok(execution::run(state, job)?),
        Some(JobKind::DeadlineRecompute) => recompute_deadlines(state),
        None => Err(JobError::UnknownKind(job.kind.clone())),
    }
}

/// Recomputes the dates of open requests under the current rule (idempotent).
fn recompute_deadlines(state: &AppState) -> Result<(), JobError> {
    let mut conn = state.db.conn()?;
    let changed = crate::service::recompute::recompute_open_deadlines(&mut conn, &state.calendar)?;
    tracing::info!(changed, "open requests' dates recomputed");
    Ok(())
}

/// The dedupe key of the one-off recomputation for the early reading of the holidays: every
/// instance enqueues it at start, one row gets through.
pub const RECOMPUTE_EARLY_READING: &str = "deadline_recompute:early_reading";

/// Handles on the running background loops.
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Asks every loop to stop after its current job and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// A name for this process's workers in `locked_by`: host, pid and a random part.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let short = uuid::Uuid::new_v4().simple().to_string();
    format!("{}:{}:{}", host.trim(), std::process::id(), &short[..8])
}

/// Starts the background loops (none when `INZAGE_RUN_JOBS=false`).
pub fn spawn(state: AppState) -> Workers {
    let (stop, stop_rx) = watch::channel(false);
    let mut handles = Vec::new();
    if state.settings.run_jobs {
        let name = worker_name();
        for i in 0..state.settings.job_workers.max(1) {
            handles.push(tokio::spawn(worker_loop(
                state.clone(),
                format!("{name}/{i}"),
                stop_rx.clone(),
            )));
        }
        handles.push(tokio::spawn(scheduler_loop(state.clone(), stop_rx.clone())));
        handles.push(tokio::spawn(crate::mail::outbox::sender_loop(
            state.clone(),
            format!("{name}/mail"),
            stop_rx,
        )));
        tracing::info!(worker = %name, "background workers started");
    }
    Workers { stop, handles }
}

/// Sleeps `d` or until asked to stop; true when asked to stop.
async fn pause(stop: &mut watch::Receiver<bool>, d: StdDuration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

const POLL: StdDuration = StdDuration::from_secs(1);

async fn worker_loop(state: AppState, worker: String, mut stop: watch::Receiver<bool>) {
    let lease = Duration::seconds(i64::from(state.settings.job_lease_secs));
    loop {
        if *stop.borrow() {
            break;
        }
        let w = worker.clone();
        let claimed = state
            .db
            .run(move |c| jobs::claim(c, &w, lease, now()))
            .await;
        match claimed {
            Ok(Some(job)) => execute(&state, &worker, job, lease).await,
            Ok(None) => {
                // Jitter, so the instances' idle workers do not poll in lockstep.
                let jitter = StdDuration::from_millis(rand::random_range(0..500));
                if pause(&mut stop, POLL / 2 + jitter).await {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a job failed");
                if pause(&mut stop, POLL * 5).await {
                    break;
                }
            }
        }
    }
}

async fn execute(state: &AppState, worker: &str, job: JobRow, lease: Duration) {
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    // The span follows the future across its awaits (a guard held over an `.await` would
    // mark whatever else the thread runs meanwhile) and the blocking thread that runs the job.
    execute_in_span(state, worker, job, lease)
        .instrument(span)
        .await
}

async fn execute_in_span(state: &AppState, worker: &str, job: JobRow, lease: Duration) {
    // A job whose workers kept dying is not tried again and again: past its tries it is dead.
    let result = if job.attempts > job.max_attempts {
        Err(JobError::Abandoned(job.attempts - 1))
    } else {
        // Keep the lease while the job runs, so no other instance takes it over.
        let heartbeat = {
            let (state, worker, id) = (state.clone(), worker.to_owned(), job.id.clone());
            tokio::spawn(
                async move {
                    let every = (lease / 3).to_std().unwrap_or(StdDuration::from_secs(10));
                    loop {
                        tokio::time::sleep(every).await;
                        let (w, i) = (worker.clone(), id.clone());
                        match state
                            .db
                            .run(move |c| jobs::heartbeat(c, &i, &w, now() + lease))
                            .await
                        {
                            Ok(true) => {}
                            Ok(false) => break,
                            Err(e) => tracing::warn!(error = %chain(&e), "lease renewal failed"),
                        }
                    }
                }
                .in_current_span(),
            )
        };
        let (st, j) = (state.clone(), job.clone());
        let span = tracing::Span::current();
        let result = tokio::task::spawn_blocking(move || span.in_scope(|| run(&st, &j)))
            .await
            .unwrap_or_else(|e| Err(JobError::Panicked(e)));
        heartbeat.abort();
        result
    };
    let (w, j) = (worker.to_owned(), job.clone());
    let outcome = match result {
        Ok(()) => {
            state
                .db
                .run(move |c| jobs::complete(c, &j.id, &w, now()).map(|_| JobState::Done))
                .await
        }
        Err(error) => {
            let error = chain(&error);
            tracing::warn!(%error, "job failed");
            state
                .db
                .run(move |c| jobs::fail(c, &j, &w, &error, now()))
                .await
        }
    };
    match outcome {
        Ok(JobState::Dead) => {
            tracing::error!(job = %job.id, kind = %job.kind, "job is dead after its last try")
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %chain(&e), "recording the job's outcome failed; its lease will expire")
        }
    }
}

/// Enqueues the periodic jobs: the sweep every interval, maintenance hourly. Every instance
/// does this; the dedupe key (kind and period) lets one row per period through.
async fn scheduler_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let interval = i64::from(state.settings.sweep_interval_secs);
    // Once: open requests stored under the older holiday rule get their dates recomputed.
    let t = now();
    let once = NewJob {
        kind: JobKind::DeadlineRecompute.as_str().to_owned(),
        payload: serde_json::json!({}),
        dedupe_key: Some(RECOMPUTE_EARLY_READING.to_owned()),
        run_after: t,
        max_attempts: 5,
    };
    if let Err(e) = state.db.run(move |c| jobs::enqueue(c, &once, t)).await {
        tracing::warn!(error = %e, "scheduling the deadline recomputation failed");
    }
    loop {
        let t = now();
        let periodic = [
            (JobKind::DeadlineSweep, interval, 3),
            (JobKind::Maintenance, 3600, 3),
            (JobKind::Retention, 3600, 3),
        ];
        for (kind, every, max_attempts) in periodic {
            let bucket = t.and_utc().timestamp() / every;
            let job = NewJob {
                kind: kind.as_str().to_owned(),
                payload: serde_json::json!({}),
                dedupe_key: Some(format!("{}:{bucket}", kind.as_str())),
                run_after: t,
                max_attempts,
            };
            if let Err(e) = state.db.run(move |c| jobs::enqueue(c, &job, t)).await {
                tracing::warn!(error = %e, kind = kind.as_str(), "scheduling failed");
            }
        }
        let secs = u64::try_from(interval.min(3600)).unwrap_or(300);
        if pause(&mut stop, StdDuration::from_secs(secs)).await {
            break;
        }
    }
}
