//! E-mail: what inzage says (the messages, Dutch and English, plain text and HTML from the
//! askama templates under `templates/mail/`) and how it leaves (lettre: SMTP, or `.eml` files
//! when no SMTP server is configured).
//!
//! - [`message`]: one context struct per message kind and [`MailMessage`] over them; rendering
//!   gives a [`RenderedMail`] (subject, text, HTML).
//! - [`labels`]: request kinds, refusal grounds, GDPR citations and dates in either language.
//! - [`transport`]: [`MailTransport`] (blocking lettre; run it on a blocking thread) and
//!   [`OutgoingMail`], with [`SendError`] telling a retry from a dead letter.
//!
//! This module does not decide *when* a message is sent nor keep it: the outbox table and its
//! worker (`mail::outbox`; docs/architecture.md) write the message in the transaction that causes it
//! and call [`MailTransport::send`] until it succeeds. It never logs addresses, names or bodies;
//! only the Message-ID and the outcome.
//!
//! We are the processor (verwerker), not the controller: every message to a subject says that
//! we handle the request on behalf of the controller, and messages to a controller carry no
//! more of the subject's personal data than needed (GDPR art. 5(1)(c), 28(3)(e)).

pub mod labels;
pub mod message;
pub mod outbox;
mod templates;
pub mod transport;

pub use message::{
    BundleLink, Completion, DeadlineReminder, DownloadCode, ExtensionNotice, Forwarded, Forwarding,
    IdentityRequest, MailMessage, Receipt, Refusal, RenderedMail, VerificationLink,
};
pub use message::{GrantEvent, GrantNotice};
pub use transport::{
    MailTransport, OutgoingMail, SMTP_TIMEOUT, SendError, new_message_id, parse_address,
};

use std::path::PathBuf;

/// Building a message or a transport failed. Never carries an address, a body or a password.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A template failed to render (a bug: templates are checked at compile time).
    #[error("rendering the {template} mail failed")]
    Render {
        template: &'static str,
        #[source]
        source: askama::Error,
    },
    /// `INZAGE_SMTP_URL` is not a URL lettre understands. The URL itself is left out: it may
    /// hold a password.
    #[error(
        "invalid SMTP URL (expected smtp://host:port, smtp://host:port?tls=required or smtps://user:pass@host[:port]): {reason}"
    )]
    InvalidSmtpUrl { reason: String },
    /// The directory for `.eml` files cannot be created.
    #[error("cannot create the mail directory {path}")]
    MailDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An address (e.g. `INZAGE_MAIL_FROM`) is not a valid mailbox.
    #[error("invalid e-mail address")]
    InvalidAddress,
}

#[cfg(test)]
mod tests;
