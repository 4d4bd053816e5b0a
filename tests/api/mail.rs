//! Mail against a real SMTP server: `tests/support/smtp_sink.py` (aiosmtpd) started per test on a
//! free port, and the `.eml` file transport.
//!
//! Needs `python3` (or `$PYTHON`) with aiosmtpd installed (`pip install aiosmtpd`).
//! Works as its own test binary (`tests/mail.rs`) or as a module of `tests/api/main.rs`; the
//! sink and the parser are shared with `mail_e2e.rs`.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed step should fail the test loudly"
)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use chrono::NaiveDate;
use inzage::domain::{Language, RefusalGround, RequestKind};
use inzage::mail::{
    Forwarding, MailMessage, MailTransport, OutgoingMail, Receipt, Refusal, new_message_id,
};

const PROCESSOR: &str = "Hostbedrijf B.V.";
const FROM: &str = "Inzage <inzage@example.nl>";

// --- the SMTP sink ---------------------------------------------------------------------------

/// A running `smtp_sink.py`; stopped with SIGTERM when dropped.
pub(crate) struct Sink {
    child: Option<Child>,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    pub(crate) fn start(port: u16, extra: &[&str]) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} {}: {e}", script.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("smtp_sink did not print READY <port> (is aiosmtpd installed?): {line:?}")
            });
        Sink {
            child: Some(child),
            port,
            dir,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The directory the sink writes each message to (`*.eml`).
    #[allow(dead_code)]
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every message received so far, raw, oldest first.
    pub(crate) fn messages(&self) -> Vec<String> {
        eml_files(self.dir.path())
    }

    /// SIGTERM, then wait for the exit.
    pub(crate) fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn eml_files(dir: &Path) -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// --- just enough MIME to read what lettre wrote ------------------------------------------------

pub(crate) struct Parsed {
    headers: Vec<(String, String)>,
    /// (content type, decoded body) of each part of the multipart body.
    parts: Vec<(String, String)>,
}

impl Parsed {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn part(&self, content_type: &str) -> &str {
        self.parts
            .iter()
            .find(|(t, _)| t.starts_with(content_type))
            .map(|(_, b)| b.as_str())
            .unwrap_or_else(|| panic!("no {content_type} part"))
    }
}

fn split_head(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
    }
    (headers, body)
}

pub(crate) fn parse(raw: &str) -> Parsed {
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = split_head(&raw);
    let content_type = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .map(|b| b.trim_matches('"').to_owned())
        .unwrap_or_default();
    let mut parts = Vec::new();
    if !boundary.is_empty() {
        for chunk in body.split(&format!("--{boundary}")).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let (part_headers, part_body) = split_head(chunk.trim_start_matches('\n'));
            let get = |name: &str| {
                part_headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_ascii_lowercase())
                    .unwrap_or_default()
            };
            let decoded = match get("Content-Transfer-Encoding").as_str() {
                "base64" => String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(part_body.split_whitespace().collect::<String>())
                        .unwrap(),
                )
                .unwrap(),
                "quoted-printable" => decode_qp(part_body),
                _ => part_body.to_owned(),
            };
            parts.push((get("Content-Type"), decoded));
        }
    }
    Parsed { headers, parts }
}

fn decode_qp(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(Ok(b)) = joined.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

// --- messages ----------------------------------------------------------------------------------

fn receipt_nl(message_id: &str) -> OutgoingMail {
    let message = MailMessage::from(Receipt {
        reference: "DSR-2026-000042".to_owned(),
        kind: RequestKind::Access,
        received_on: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
        due_on: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
        status_url: "https://inzage.example.nl/status?token=abc".to_owned(),
        forwarding: Forwarding::Forwarded {
            controller: "Almanapp B.V.".to_owned(),
        },
    });
    OutgoingMail {
        reply_to: None,
        message_id: message_id.to_owned(),
        from: FROM.to_owned(),
        to: "jan@example.nl".to_owned(),
        language: Language::Nl,
        rendered: message.render(Language::Nl, PROCESSOR).unwrap(),
    }
}

fn refusal_en(message_id: &str, to: &str) -> OutgoingMail {
    let message = MailMessage::from(Refusal {
        reference: "DSR-2026-000043".to_owned(),
        kind: RequestKind::Erasure,
        controller: Some("Almanapp B.V.".to_owned()),
        ground: RefusalGround::ErasureExceptionLegalClaims,
        reason: "The data is needed in pending proceedings.".to_owned(),
        status_url: "https://inzage.example.nl/status?token=def".to_owned(),
        sector: Default::default(),
    });
    OutgoingMail {
        reply_to: None,
        message_id: message_id.to_owned(),
        from: FROM.to_owned(),
        to: to.to_owned(),
        language: Language::En,
        rendered: message.render(Language::En, PROCESSOR).unwrap(),
    }
}

fn find<'a>(parsed: &'a [Parsed], message_id: &str) -> &'a Parsed {
    parsed
        .iter()
        .find(|p| p.header("Message-ID") == Some(message_id))
        .unwrap_or_else(|| panic!("no message with Message-ID {message_id}"))
}

// --- tests ---------------------------------------------------------------------------------------

#[test]
fn smtp_delivers_dutch_and_english_multipart_with_the_given_message_id() {
    let mut sink = Sink::start(0, &[]);
    let transport =
        MailTransport::from_settings(Some(&sink.url()), Path::new("/nonexistent")).unwrap();
    assert_eq!(
        transport.describe(),
        format!("smtp 127.0.0.1:{} (no TLS)", sink.port)
    );
    let (nl_id, en_id) = (new_message_id(), new_message_id());
    transport.send(&receipt_nl(&nl_id)).unwrap();
    transport
        .send(&refusal_en(&en_id, "Piet <piet@example.org>"))
        .unwrap();

    let received: Vec<Parsed> = sink.messages().iter().map(|m| parse(m)).collect();
    assert_eq!(received.len(), 2);

    let nl = find(&received, &nl_id);
    assert_eq!(
        nl.header("Subject"),
        Some("Ontvangstbevestiging van uw verzoek DSR-2026-000042")
    );
    assert_eq!(nl.header("Delivered-To"), Some("jan@example.nl"));
    assert_eq!(nl.header("Return-Path"), Some("<inzage@example.nl>"));
    assert_eq!(nl.header("Content-Language"), Some("nl"));
    assert_eq!(nl.header("Auto-Submitted"), Some("auto-generated"));
    assert!(nl.header("Date").is_some());
    assert!(
        nl.header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    assert_eq!(nl.parts.len(), 2);
    let text = nl.part("text/plain");
    assert!(text.contains("Geachte heer, mevrouw,"), "{text}");
    assert!(text.contains("Wij hebben uw verzoek doorgestuurd naar Almanapp B.V."));
    assert!(text.contains("één maand"));
    let html = nl.part("text/html");
    assert!(html.contains("<html lang=\"nl\">") && html.contains("<strong>Almanapp B.V.</strong>"));

    let en = find(&received, &en_id);
    assert_eq!(
        en.header("Subject"),
        Some("Request DSR-2026-000043: your request has been refused")
    );
    assert_eq!(en.header("Delivered-To"), Some("piet@example.org"));
    assert_eq!(en.header("Content-Language"), Some("en"));
    let text = en.part("text/plain");
    assert!(text.contains("Dear Sir or Madam,") && !text.contains("Geachte"));
    assert!(text.contains("Autoriteit Persoonsgegevens") && text.contains("Art. 79 GDPR"));
    assert!(en.part("text/html").contains("<html lang=\"en\">"));

    assert!(
        sink.stop().unwrap().success(),
        "the sink exits 0 on SIGTERM"
    );
}

#[test]
fn smtp_down_is_transient_and_the_same_message_goes_once_it_is_up() {
    let port = free_port();
    let transport = MailTransport::from_settings(
        Some(&format!("smtp://127.0.0.1:{port}")),
        Path::new("/nonexistent"),
    )
    .unwrap();
    let mail = receipt_nl(&new_message_id());

    let err = transport.send(&mail).unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(!err.reason().contains("jan@"), "{err}");

    let sink = Sink::start(port, &[]);
    transport.send(&mail).unwrap();
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(
        parse(&received[0]).header("Message-ID"),
        Some(mail.message_id.as_str())
    );
}

#[test]
fn a_4xx_reply_is_transient_and_a_rejected_recipient_permanent() {
    let sink = Sink::start(0, &["--tempfail", "1", "--reject", "nobody@"]);
    let transport =
        MailTransport::from_settings(Some(&sink.url()), Path::new("/nonexistent")).unwrap();
    let mail = receipt_nl(&new_message_id());

    let err = transport.send(&mail).unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.reason().contains("451"), "{err}");
    transport.send(&mail).unwrap();

    let err = transport
        .send(&refusal_en(&new_message_id(), "nobody@example.org"))
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(err.reason().contains("550"), "{err}");
    assert!(
        !err.reason().contains("nobody@"),
        "addresses are redacted: {err}"
    );

    // STARTTLS required but not offered: our configuration, not the message; retry later.
    let tls = MailTransport::from_settings(
        Some(&format!("{}?tls=required", sink.url())),
        Path::new("/nonexistent"),
    )
    .unwrap();
    let err = tls.send(&receipt_nl(&new_message_id())).unwrap_err();
    assert!(err.is_transient(), "{err}");

    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn without_smtp_url_messages_become_eml_files() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("mail");
    let transport = MailTransport::from_settings(None, &dir).unwrap();
    assert!(transport.describe().starts_with("files in "));
    let id = new_message_id();
    transport.send(&receipt_nl(&id)).unwrap();
    transport
        .send(&refusal_en(&new_message_id(), "piet@example.org"))
        .unwrap();

    let files = eml_files(&dir);
    assert_eq!(files.len(), 2);
    let parsed: Vec<Parsed> = files.iter().map(|m| parse(m)).collect();
    let nl = find(&parsed, &id);
    assert_eq!(nl.header("Content-Language"), Some("nl"));
    assert_eq!(nl.header("To"), Some("jan@example.nl"));
    assert!(nl.part("text/plain").contains("Kenmerk: DSR-2026-000042"));
    assert!(nl.part("text/html").contains("DSR-2026-000042"));
}
