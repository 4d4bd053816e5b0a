//! Group commit for public intakes.
//!
//! Each public intake (no staff, no idempotency key) is handed to a small set of writer
//! threads. A writer takes whatever intakes are waiting — one when the service is quiet, up
//! to [`GROUP_MAX`] under load — and files them together (`intake::file_together`): on
//! PostgreSQL one statement, on SQLite one write transaction. Every caller is answered only
//! after the commit that holds its rows, so an acknowledged request is as durable as with a
//! transaction of its own; the store does one commit, one log flush and one round trip per
//! group instead of per intake, and nothing waits on a timer to fill a group.
//!
//! Staff intakes (they write an audit entry with the request) and intakes with an
//! `Idempotency-Key` (which may be replays) are filed on their own, as before.
//!
//! The writers hold no state of their own: each queued intake carries the `AppState` it is
//! filed with, so when the last `AppState` is dropped the queue closes and the writers end.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::error::{AppError, AppResult};
use crate::service::intake::{self, Filed, Intake};
use crate::state::AppState;
use crate::store::StoreError;

/// The most intakes written together: enough for the 32 concurrent callers the benchmark
/// drives, small enough that one statement stays far below PostgreSQL's 65,535 parameters
/// (about 60 per intake).
pub const GROUP_MAX: usize = 64;

/// How many groups may be written at the same time (each holds one pooled connection while
/// it writes). Two keep the store busy while the next group gathers.
pub const WRITERS: usize = 2;

struct Queued {
    state: AppState,
    intake: Intake,
    span: tracing::Span,
    reply: oneshot::Sender<AppResult<Filed>>,
}

/// The queue to the writer threads. Cheap to clone.
#[derive(Clone)]
pub struct IntakeWriter {
    queue: Sender<Queued>,
}

impl std::fmt::Debug for IntakeWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeWriter").finish_non_exhaustive()
    }
}

impl IntakeWriter {
    /// Starts the writer threads.
    pub fn start() -> std::io::Result<Self> {
        let (queue, receiver) = channel::<Queued>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..WRITERS {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("intake-writer-{n}"))
                .spawn(move || write_groups(&receiver))?;
        }
        Ok(Self { queue })
    }
}

/// Files an intake: a groupable one through the writers, any other on its own.
pub async fn file(state: &AppState, intake: Intake) -> AppResult<Filed> {
    if !intake::groupable(&intake) {
        let st = state.clone();
        return state
            .db
            .run(move |conn| intake::file(conn, &st, intake))
            .await;
    }
    let (reply, answer) = oneshot::channel();
    let queued = Queued {
        state: state.clone(),
        intake,
        span: tracing::Span::current(),
        reply,
    };
    state
        .intake_writer
        .queue
        .send(queued)
        .map_err(|_| AppError::Unavailable("the intake writers have stopped".into()))?;
    answer
        .await
        .map_err(|_| AppError::Internal("an intake writer stopped before answering".into()))?
}

/// A writer's loop: take the waiting intakes, file them together, answer each.
fn write_groups(receiver: &Mutex<Receiver<Queued>>) {
    while let Some(group) = next_group(receiver) {
        let span = match group.first() {
            Some(q) => tracing::info_span!(parent: &q.span, "intake_group", size = group.len()),
            None => continue,
        };
        let _entered = span.enter();
        let state = group[0].state.clone();
        let (intakes, replies): (Vec<Intake>, Vec<_>) =
            group.into_iter().map(|q| (q.intake, q.reply)).unzip();
        let count = intakes.len();
        let answers = catch_unwind(AssertUnwindSafe(|| match state.db.conn() {
            Ok(mut conn) => intake::file_together(&mut conn, &state, intakes),
            Err(e) => (0..count).map(|_| Err(store_down(&e))).collect(),
        }))
        .unwrap_or_else(|_| {
            tracing::error!("an intake group panicked; its callers get an error");
            (0..count)
                .map(|_| Err(AppError::Internal("filing the request failed".into())))
                .collect()
        });
        state.metrics.intake_group.observe(count as f64);
        for (reply, answer) in replies.into_iter().zip(answers) {
            // A caller that went away (client disconnected) still has its request filed.
            let _ = reply.send(answer);
        }
    }
}

/// Waits for one intake, then takes every other one already waiting, up to [`GROUP_MAX`].
/// None when the queue is closed (every `AppState` dropped).
fn next_group(receiver: &Mutex<Receiver<Queued>>) -> Option<Vec<Queued>> {
    let receiver = receiver.lock().unwrap_or_else(|p| p.into_inner());
    let first = receiver.recv().ok()?;
    let mut group = vec![first];
    while group.len() < GROUP_MAX {
        match receiver.try_recv() {
            Ok(q) => group.push(q),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
        }
    }
    Some(group)
}

/// The same store error for each intake of a group (the error itself cannot be cloned).
fn store_down(e: &StoreError) -> AppError {
    AppError::Unavailable(e.to_string())
}
