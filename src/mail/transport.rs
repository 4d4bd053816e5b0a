//! Sending: builds the MIME message from an [`OutgoingMail`] and hands it to lettre, over SMTP
//! (`INZAGE_SMTP_URL`) or, when unset, as `.eml` files in a directory (development only).
//!
//! The API is lettre's *blocking* one: call [`MailTransport::send`] from a blocking worker
//! thread (`spawn_blocking`/`web::block`), never on an async executor thread. There is no
//! connection pool: each send opens a connection, which suits a low-volume outbox and keeps a
//! broken connection from outliving one attempt.
//!
//! Idempotency: the Message-ID is chosen when the outbox row is written and is sent as given,
//! so if the process dies after the server accepted a message but before the row was marked
//! sent, the re-send is recognisably the same message (receivers and tests can deduplicate on
//! it). The same holds for a timeout while waiting for the server's final reply.
//!
//! Outcome: [`SendError::Transient`] means "keep the row and retry later" (connection refused,
//! timeouts, TLS problems, 4xx replies, and 5xx replies about authentication, which are our
//! configuration, not the message); [`SendError::Permanent`] means "this message will never
//! go" (other 5xx replies, an invalid address or Message-ID). Error reasons have anything that
//! looks like an address removed, so they may be stored and logged; bodies and addresses are
//! never logged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use super::{MailError, RenderedMail};
use crate::domain::Language;

/// Connect, read and write timeout towards the SMTP server. Short: a slow server makes the
/// worker retry later rather than hold a thread.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest reason kept in a [`SendError`] (it may end up in the outbox row).
const MAX_REASON_CHARS: usize = 300;

/// SMTP reply codes that are about the session (authentication), not this message: retried,
/// so a wrong password does not turn every queued message into a dead letter.
const SESSION_CODES: [&str; 4] = ["530", "534", "535", "538"];

const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

/// One message as the outbox hands it to the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// RFC 5322 Message-ID with angle brackets, e.g. `"<0b6e…@inzage>"`, chosen once when the
    /// outbox row is written, so a re-send carries the same one.
    pub message_id: String,
    /// Sender mailbox (`INZAGE_MAIL_FROM`), e.g. `"inzage@example.nl"` or `"Inzage <…>"`.
    pub from: String,
    /// One recipient mailbox.
    pub to: String,
    /// Where a reply reaches a person (the tenant's contact), if anywhere.
    pub reply_to: Option<String>,
    /// The language the message is written in (`Content-Language`).
    pub language: Language,
    pub rendered: RenderedMail,
}

impl OutgoingMail {
    /// The MIME message: multipart/alternative (text, then HTML) with the given Message-ID,
    /// `Content-Language` and `Auto-Submitted: auto-generated` (RFC 3834, so auto-responders
    /// stay quiet). Fails permanently on an invalid address or Message-ID.
    pub fn to_message(&self) -> Result<Message, SendError> {
        if !is_valid_message_id(&self.message_id) {
            return Err(SendError::Permanent("invalid Message-ID".to_owned()));
        }
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|_| SendError::Permanent("invalid sender address".to_owned()))?;
        let to: Mailbox = self
            .to
            .parse()
            .map_err(|_| SendError::Permanent("invalid recipient address".to_owned()))?;
        let mut builder = Message::builder()
            .message_id(Some(self.message_id.clone()))
            .from(from)
            .to(to);
        // A bad contact address loses the header, never the message.
        if let Some(reply_to) = self
            .reply_to
            .as_deref()
            .and_then(|r| r.parse::<Mailbox>().ok())
        {
            builder = builder.reply_to(reply_to);
        }
        builder
            .subject(self.rendered.subject.clone())
            .raw_header(HeaderValue::new(
                CONTENT_LANGUAGE,
                self.language.as_str().to_owned(),
            ))
            .raw_header(HeaderValue::new(
                AUTO_SUBMITTED,
                "auto-generated".to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                self.rendered.text.clone(),
                self.rendered.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
    }
}

/// A fresh Message-ID, `<uuid@inzage>`: choose it once, when the outbox row is written, and
/// keep it for every attempt.
pub fn new_message_id() -> String {
    format!("<{}@inzage>", uuid::Uuid::new_v4())
}

/// `<local@domain>`: printable ASCII, no spaces, one `@`, at most 250 characters.
fn is_valid_message_id(id: &str) -> bool {
    let Some(inner) = id.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return false;
    };
    id.len() <= 250
        && inner
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
        && matches!(inner.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'))
}

/// Parses a mailbox (`"a@b.nl"` or `"Name <a@b.nl>"`): for validating `INZAGE_MAIL_FROM` once at
/// start, so a bad sender never turns queued mail into dead letters.
pub fn parse_address(address: &str) -> Result<Mailbox, MailError> {
    address.parse().map_err(|_| MailError::InvalidAddress)
}

/// Why a message was not sent, and whether to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later: the server was unreachable, slow, or said "not now" (4xx).
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// Never retry: the server refused this message (5xx) or it cannot be built.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }

    /// The reason, free of addresses; fit for the outbox row and logs.
    pub fn reason(&self) -> &str {
        match self {
            Self::Transient(r) | Self::Permanent(r) => r,
        }
    }
}

/// Where mail goes: an SMTP server, or `.eml` files.
#[derive(Debug, Clone)]
pub struct MailTransport {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Smtp {
        transport: SmtpTransport,
        endpoint: String,
    },
    Files {
        transport: FileTransport,
        dir: PathBuf,
    },
}

impl MailTransport {
    /// From `INZAGE_SMTP_URL` and the mail directory (`$INZAGE_DATA_DIR/mail`):
    ///
    /// - `smtp://host[:port]`: plain SMTP (port 25 by default), for a local relay;
    /// - `smtp://host[:port]?tls=required`: STARTTLS, required (port 587 by default);
    ///   `?tls=opportunistic` uses it when offered;
    /// - `smtps://user:pass@host[:port]`: implicit TLS (port 465 by default); user and password
    ///   percent-encoded; credentials work with the `smtp` forms too;
    /// - unset or empty: lettre's file transport writes each message as `<uuid>.eml` into
    ///   `mail_dir` (created if missing), the UUID chosen by lettre per send (a re-sent message
    ///   gives a second file with the same Message-ID header inside).
    ///
    /// Connecting is deferred to the first send; a bad URL fails here, never its password.
    pub fn from_settings(smtp_url: Option<&str>, mail_dir: &Path) -> Result<Self, MailError> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let transport = SmtpTransport::from_url(url)
                    .map_err(|e| MailError::InvalidSmtpUrl {
                        reason: redact(&e.to_string()),
                    })?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Self {
                    inner: Inner::Smtp {
                        transport,
                        endpoint: describe_smtp_url(url),
                    },
                })
            }
            None => {
                crate::private_fs::private_dir(mail_dir).map_err(|source| MailError::MailDir {
                    path: mail_dir.to_owned(),
                    source,
                })?;
                Ok(Self {
                    inner: Inner::Files {
                        transport: FileTransport::new(mail_dir),
                        dir: mail_dir.to_owned(),
                    },
                })
            }
        }
    }

    /// Where mail goes, for the start-up log: `"smtp relay.example.nl:587 (STARTTLS)"` or
    /// `"files in ./var/mail"`. Never the credentials.
    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Smtp { endpoint, .. } => endpoint.clone(),
            Inner::Files { dir, .. } => format!("files in {}", dir.display()),
        }
    }

    /// Sends one message, blocking for at most about [`SMTP_TIMEOUT`] per network step.
    #[tracing::instrument(name = "mail.send", skip_all, fields(message_id = %mail.message_id))]
    pub fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let result = mail.to_message().and_then(|message| match &self.inner {
            Inner::Smtp { transport, .. } => transport
                .send(&message)
                .map(drop)
                .map_err(|e| classify_smtp(&e)),
            Inner::Files { transport, .. } => transport.send(&message).map(drop).map_err(|e| {
                SendError::Transient(limit(&redact(&format!("writing the .eml file: {e}"))))
            }),
        });
        match &result {
            Ok(()) => tracing::info!(outcome = "sent", "mail sent"),
            Err(e) => tracing::warn!(
                outcome = if e.is_transient() { "retry" } else { "dead" },
                reason = e.reason(),
                "mail not sent"
            ),
        }
        result
    }
}

fn classify_smtp(e: &lettre::transport::smtp::Error) -> SendError {
    let reason = limit(&redact(&e.to_string()));
    match e.status() {
        Some(code) if e.is_permanent() && !SESSION_CODES.contains(&code.to_string().as_str()) => {
            SendError::Permanent(reason)
        }
        // 4xx, 5xx about authentication, connection refused, timeouts, TLS and protocol
        // trouble: the message itself may be fine, so try again later.
        _ => SendError::Transient(reason),
    }
}

/// Replaces every word that contains `@` (addresses, `<…@…>` in server replies) by `[address]`.
fn redact(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "[address]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn limit(text: &str) -> String {
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `smtps://user:secret@host:465` → `"smtps host:465 (implicit TLS)"`, without credentials.
fn describe_smtp_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, q),
        None => (rest, ""),
    };
    let authority = authority.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let security = match (scheme, query) {
        ("smtps", _) => "implicit TLS",
        (_, q) if q.contains("tls=required") => "STARTTLS",
        (_, q) if q.contains("tls=opportunistic") => "STARTTLS if offered",
        _ => "no TLS",
    };
    format!("{scheme} {host} ({security})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            reply_to: None,
            message_id: "<3f2a@inzage>".to_owned(),
            from: "Inzage <inzage@example.nl>".to_owned(),
            to: "jan@example.nl".to_owned(),
            language: Language::Nl,
            rendered: RenderedMail {
                subject: "Ontvangstbevestiging van uw verzoek DSR-2026-000042".to_owned(),
                text: "Tekst é\n".to_owned(),
                html: "<p>HTML é</p>".to_owned(),
            },
        }
    }

    #[test]
    fn message_carries_the_given_id_language_and_both_parts() {
        let raw = String::from_utf8(mail().to_message().unwrap().formatted()).unwrap();
        assert!(raw.contains("Message-ID: <3f2a@inzage>\r\n"), "{raw}");
        assert!(raw.contains("Content-Language: nl\r\n"));
        assert!(raw.contains("Auto-Submitted: auto-generated\r\n"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
    }

    #[test]
    fn transport_can_move_to_a_blocking_worker_thread() {
        fn send_sync<T: Send + Sync + Clone + 'static>() {}
        send_sync::<MailTransport>();
        send_sync::<OutgoingMail>();
    }

    #[test]
    fn new_message_ids_are_valid_and_unique() {
        let (a, b) = (new_message_id(), new_message_id());
        assert!(is_valid_message_id(&a) && a.ends_with("@inzage>"), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn bad_addresses_and_ids_are_permanent() {
        let mut m = mail();
        m.to = "not an address".to_owned();
        let e = m.to_message().unwrap_err();
        assert!(!e.is_transient());
        assert!(!e.reason().contains("not an address"));
        for id in ["3f2a@inzage", "<no-at>", "<a b@c>", "<@c>", "<a@>"] {
            let mut m = mail();
            m.message_id = id.to_owned();
            assert_eq!(
                m.to_message().unwrap_err(),
                SendError::Permanent("invalid Message-ID".to_owned()),
                "{id}"
            );
        }
    }

    #[test]
    fn reasons_lose_addresses_and_urls_lose_passwords() {
        assert_eq!(
            redact("permanent error (550): 5.1.1 <jan@example.nl>: Recipient rejected"),
            "permanent error (550): 5.1.1 [address] Recipient rejected"
        );
        assert_eq!(
            describe_smtp_url("smtps://user:s3cret@mail.example.nl:465"),
            "smtps mail.example.nl:465 (implicit TLS)"
        );
        assert_eq!(
            describe_smtp_url("smtp://relay:587?tls=required"),
            "smtp relay:587 (STARTTLS)"
        );
        assert_eq!(
            describe_smtp_url("smtp://127.0.0.1:25"),
            "smtp 127.0.0.1:25 (no TLS)"
        );
        assert_eq!(
            limit(&"é".repeat(400)).chars().count(),
            MAX_REASON_CHARS + 1
        );
    }

    #[test]
    fn settings_accept_lettre_urls_and_reject_others_without_leaking() {
        let dir = tempfile::tempdir().unwrap();
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://relay.example.nl?tls=required",
            "smtps://user:pa%40ss@mail.example.nl",
        ] {
            MailTransport::from_settings(Some(url), dir.path()).unwrap();
        }
        let err =
            MailTransport::from_settings(Some("imap://user:s3cret@host"), dir.path()).unwrap_err();
        assert!(matches!(err, MailError::InvalidSmtpUrl { .. }));
        assert!(!err.to_string().contains("s3cret"));

        let files = dir.path().join("mail");
        let t = MailTransport::from_settings(Some("  "), &files).unwrap();
        assert!(files.is_dir());
        assert!(t.describe().starts_with("files in "));
        assert!(parse_address("Inzage <inzage@example.nl>").is_ok());
        assert!(parse_address("inzage").is_err());
    }
}
