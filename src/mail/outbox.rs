//! The outbox sender: claims pending messages (a lease, like jobs, so several instances never
//! send one twice at once), sends them with lettre, marks them sent; a transient failure (the
//! server is down, 4xx) is retried with backoff, a permanent one (5xx, a bad address) is dead.
//! A crash between sending and marking re-sends with the same Message-ID.

use std::time::Duration as StdDuration;

use chrono::Duration;
use tokio::sync::watch;

use super::{MailError, MailMessage, MailTransport, OutgoingMail, RenderedMail, SendError};
use crate::domain::RequestId;
use crate::error::chain;
use crate::state::AppState;
use crate::store::outbox::{self, OutboxRow};
use crate::store::{StoreError, now};

const LEASE_SECS: i64 = 120;

/// Why the sender could not handle a message. Each variant keeps its cause ([`chain`] renders
/// it); a failed delivery is not one of them: it is recorded on the message and retried.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("store")]
    Store(#[from] StoreError),
    #[error("stored message unreadable")]
    Unreadable(#[source] serde_json::Error),
    #[error("rendering the message failed")]
    Render(#[source] MailError),
    #[error("the sender's task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// Messages claimed at once and sent one after another from one blocking thread before the
/// loop looks again.
const BURST: usize = 32;

/// Connections that send at the same time. An SMTP send mostly waits on the network (lettre
/// writes a message's body and its final dot apart, so each send waits on the server's
/// delayed acknowledgement, ~40 ms on Linux): one connection at a time sent 22 mails a second
/// (`cargo bench --bench intake`), several at once multiply that.
const SENDING: usize = 8;

/// Sends the due messages, up to [`BURST`]: one claim for the lot, the messages sent over up to
/// [`SENDING`] connections at once, the sent ones recorded by one update at the end (a failed
/// one with its reason). Returns how many were claimed. A crash between sending and recording
/// leaves the lease to run out and the message to go again, with the same Message-ID (at
/// least once, never lost).
pub fn deliver_due(
    state: &AppState,
    transport: &MailTransport,
    worker: &str,
) -> Result<usize, OutboxError> {
    let mut conn = state.db.conn()?;
    let rows = outbox::claim_due(
        &mut conn,
        worker,
        Duration::seconds(LEASE_SECS),
        now(),
        BURST as i64,
    )?;
    let request_ids: Vec<RequestId> = rows.iter().filter_map(|r| r.request_id.clone()).collect();
    let contacts = crate::store::tenants::contacts_of_requests(&mut conn, &request_ids)?;
    let mut ready = Vec::with_capacity(rows.len());
    for row in &rows {
        let contact = row.request_id.as_ref().and_then(|id| contacts.get(id));
        match outgoing(state, row, contact.cloned()) {
            Ok(mail) => ready.push((row, mail)),
            Err(e) => {
                let reason = chain(&e);
                outbox::fail(&mut conn, row, &reason, true, now())?;
                tracing::error!(message_id = %row.message_id, template = %row.template, %reason, "mail cannot be rendered");
            }
        }
    }
    let mut sent = Vec::with_capacity(ready.len());
    for (row, result) in send_all(transport, &ready) {
        match result {
            Ok(()) => {
                sent.push(row.id.clone());
                tracing::info!(message_id = %row.message_id, template = %row.template, "mail sent");
            }
            Err(e) => {
                let state = outbox::fail(&mut conn, row, e.reason(), !e.is_transient(), now())?;
                tracing::warn!(message_id = %row.message_id, attempt = row.attempts, outcome = state, reason = e.reason(), "mail not sent");
            }
        }
    }
    outbox::mark_all_sent(&mut conn, &sent, now())?;
    Ok(rows.len())
}

/// Sends `ready` over up to [`SENDING`] connections at once; each message's outcome. A sending
/// thread that panicked leaves its messages out: they stay leased and go again later.
fn send_all<'a>(
    transport: &MailTransport,
    ready: &[(&'a OutboxRow, OutgoingMail)],
) -> Vec<(&'a OutboxRow, Result<(), SendError>)> {
    if ready.is_empty() {
        return Vec::new();
    }
    let per_thread = ready.len().div_ceil(SENDING);
    let span = tracing::Span::current();
    std::thread::scope(|scope| {
        let sending: Vec<_> = ready
            .chunks(per_thread)
            .map(|chunk| {
                let span = span.clone();
                scope.spawn(move || {
                    let _entered = span.enter();
                    chunk
                        .iter()
                        .map(|(row, mail)| (*row, transport.send(mail)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        sending
            .into_iter()
            .flat_map(|s| s.join().unwrap_or_default())
            .collect()
    })
}

/// The message as it leaves: rendered from its stored context in the recipient's language.
pub fn render(state: &AppState, row: &OutboxRow) -> Result<RenderedMail, OutboxError> {
    let mut conn = state.db.conn()?;
    let request_ids: Vec<RequestId> = row.request_id.iter().cloned().collect();
    let contacts = crate::store::tenants::contacts_of_requests(&mut conn, &request_ids)?;
    let contact = row.request_id.as_ref().and_then(|id| contacts.get(id));
    Ok(render_for(state, row, contact.cloned())?.0)
}

/// Renders a message and names where its reader reaches a person: for a message to the
/// subject, the tenant's contact address (`tenant_contact`), else the processor's support
/// address (shown in the text and sent as `Reply-To`). A download code is derived here,
/// never stored.
fn render_for(
    state: &AppState,
    row: &OutboxRow,
    tenant_contact: Option<String>,
) -> Result<(RenderedMail, Option<String>), OutboxError> {
    let mut message: MailMessage =
        serde_json::from_str(&row.payload).map_err(OutboxError::Unreadable)?;
    if let MailMessage::DownloadCode(m) = &mut message {
        m.code = Some(crate::crypto::download_code(
            state.settings.secret_bytes(),
            &m.code_id,
        ));
    }
    let contact = if message.to_subject() {
        tenant_contact.or_else(|| state.settings.support_email.clone())
    } else {
        None
    };
    let rendered = message
        .render_with(
            row.language,
            &state.settings.processor_name,
            contact.as_deref(),
        )
        .map_err(OutboxError::Render)?;
    Ok((rendered, contact))
}

fn outgoing(
    state: &AppState,
    row: &OutboxRow,
    tenant_contact: Option<String>,
) -> Result<OutgoingMail, OutboxError> {
    let (rendered, reply_to) = render_for(state, row, tenant_contact)?;
    Ok(OutgoingMail {
        message_id: row.message_id.clone(),
        from: state.settings.mail_from.clone(),
        to: row.recipient.clone(),
        reply_to,
        language: row.language,
        rendered,
    })
}

/// The sender loop: sends while there is mail, then polls every second.
pub async fn sender_loop(state: AppState, worker: String, mut stop: watch::Receiver<bool>) {
    use secrecy::ExposeSecret;
    let smtp = state
        .settings
        .smtp_url
        .as_ref()
        .map(|s| s.expose_secret().to_owned());
    let dir = state.settings.data_dir.join("mail");
    let transport = match MailTransport::from_settings(smtp.as_deref(), &dir) {
        Ok(t) => std::sync::Arc::new(t),
        Err(e) => {
            tracing::error!(error = %e, "mail transport not usable; mail stays in the outbox");
            return;
        }
    };
    tracing::info!(transport = %transport.describe(), "mail sender started");
    loop {
        if *stop.borrow() {
            break;
        }
        let (st, t, w) = (state.clone(), transport.clone(), worker.clone());
        let stopping = stop.clone();
        // A burst of mail goes out from one blocking thread, not one hand-off per message.
        let handled = tokio::task::spawn_blocking(move || {
            let claimed = deliver_due(&st, &t, &w)?;
            Ok(claimed == BURST && !*stopping.borrow())
        })
        .await
        .unwrap_or_else(|e| Err(OutboxError::Task(e)));
        let wait = match handled {
            Ok(true) => continue,
            Ok(false) => StdDuration::from_secs(1),
            Err(e) => {
                tracing::warn!(error = %chain(&e), "mail sender");
                StdDuration::from_secs(5)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break,
        }
    }
}
