//! Mail through the running service and a real SMTP server (`tests/support/smtp_sink.py`,
//! aiosmtpd): public requests in English and Dutch get their confirmation link in their own
//! language, the link works over HTTP, the receipt follows, the controller hears of the
//! forwarded request (in the tenant's language, without the subject's details), and an
//! identity request carries the upload link. Then the SMTP server goes away: mail waits in
//! the outbox (and `/metrics` shows it stuck), nothing is lost, and once the server is back
//! on the same port every message arrives exactly once (by Message-ID).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use inzage::domain::{Language, Role};
use inzage::service::admin::{TenantInput, create_tenant};
use inzage::store::schema::outbox;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::mail::{Parsed, Sink, parse};

crate::on_both_backends!(mail_goes_end_to_end_and_survives_an_smtp_outage);

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

/// Waits (polling) until `sink` holds at least `n` messages; all of them, parsed.
async fn wait_for_mail(sink: &Sink, n: usize) -> Vec<Parsed> {
    let start = Instant::now();
    loop {
        let messages = sink.messages();
        if messages.len() >= n {
            return messages.iter().map(|m| parse(m)).collect();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "expected {n} messages, got {}",
            messages.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn to<'a>(messages: &'a [Parsed], rcpt: &str, subject_starts: &str) -> &'a Parsed {
    messages
        .iter()
        .find(|m| {
            m.header("Delivered-To") == Some(rcpt)
                && m.header("Subject")
                    .is_some_and(|s| s.starts_with(subject_starts))
        })
        .unwrap_or_else(|| panic!("no mail to {rcpt} starting {subject_starts:?}"))
}

/// The link in a mail's text part that contains `needle`.
fn link(mail: &Parsed, needle: &str) -> String {
    mail.part("text/plain")
        .split_whitespace()
        .find(|w| w.contains(needle))
        .unwrap_or_else(|| panic!("no {needle} link in\n{}", mail.part("text/plain")))
        .to_owned()
}

async fn outbox_states(app: &TestApp) -> Vec<(String, String, i32, Option<String>)> {
    app.with_conn(|c| {
        outbox::table
            .select((
                outbox::message_id,
                outbox::state,
                outbox::attempts,
                outbox::last_error,
            ))
            .load(c)
            .unwrap()
    })
    .await
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app
        .client
        .get(app.metrics_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

async fn file_public(app: &TestApp, language: &str, email: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/requests",
            None,
            &json!({"tenant": "almanapp", "kind": "access", "language": language,
                    "subject": {"name": "Anna de Vries", "email": email}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["reference"].as_str().unwrap().to_owned()
}

async fn mail_goes_end_to_end_and_survives_an_smtp_outage(backend: Backend) {
    let mut sink = Sink::start(0, &[]);
    let port = sink.port;
    let smtp = sink.url();
    let Some(app) = spawn_app_with(
        backend,
        "mail_e2e",
        &[
            ("INZAGE_SMTP_URL", &smtp),
            ("INZAGE_MAIL_FROM", "Inzage <inzage@example.nl>"),
            ("INZAGE_PROCESSOR_NAME", "Hostbedrijf B.V."),
        ],
    )
    .await
    else {
        return;
    };
    app.with_conn(|c| {
        create_tenant(
            c,
            TenantInput {
                slug: "almanapp".into(),
                name: "Almanapp B.V.".into(),
                contact_email: "privacy@almanapp.example.nl".into(),
                language: Language::Nl,
                datamap_path: None,
                id_document_required: true,
                sector: Default::default(),
            },
        )
        .unwrap();
    })
    .await;
    let support = app.user(Role::Support, None).await;

    // Two public requests, English and Dutch: the confirmation link in each one's language.
    let en = file_public(&app, "en", "anna@example.org").await;
    let nl = file_public(&app, "nl", "jan@example.nl").await;
    let mail = wait_for_mail(&sink, 2).await;
    let en_verify = to(&mail, "anna@example.org", "Confirm your e-mail address");
    assert_eq!(
        en_verify.header("Subject").unwrap(),
        format!("Confirm your e-mail address for request {en}")
    );
    assert_eq!(en_verify.header("Content-Language"), Some("en"));
    assert!(en_verify.part("text/plain").contains("Dear Sir or Madam"));
    let nl_verify = to(&mail, "jan@example.nl", "Bevestig uw e-mailadres");
    assert_eq!(nl_verify.header("Content-Language"), Some("nl"));
    assert!(nl_verify.part("text/plain").contains(&nl));

    // Follow the links over HTTP: a browser for the English one, an API client for the Dutch.
    let r = app
        .client
        .get(app.local(&link(en_verify, "/api/v1/verify?token=")))
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Your e-mail address is confirmed")
    );
    let (s, v) = app
        .get(
            app.local(&link(nl_verify, "/api/v1/verify?token="))
                .trim_start_matches(&app.address),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // The receipts, each in its language, with a status link that works.
    let mail = wait_for_mail(&sink, 4).await;
    let en_receipt = to(&mail, "anna@example.org", "We have received your request");
    assert!(en_receipt.part("text/plain").contains(&en));
    let nl_receipt = to(
        &mail,
        "jan@example.nl",
        "Ontvangstbevestiging van uw verzoek",
    );
    let status = app.local(&link(nl_receipt, "/status?token="));
    let r = app
        .client
        .get(&status)
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&format!("Uw verzoek {nl}"))
    );

    // Forwarded: the controller hears of it in the tenant's language (Dutch), without the
    // subject's name or address; the subject gets a receipt that says so.
    let (s, v) = app.act(&support.token, &en, "forward", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let mail = wait_for_mail(&sink, 6).await;
    let controller = to(
        &mail,
        "privacy@almanapp.example.nl",
        "Nieuw verzoek van een betrokkene",
    );
    assert_eq!(controller.header("Content-Language"), Some("nl"));
    let text = controller.part("text/plain");
    assert!(text.contains(&en) && text.contains(&format!("/console/requests/{en}")));
    assert!(
        !text.contains("Anna") && !text.contains("anna@example.org"),
        "{text}"
    );
    let forwarded_receipt = mail
        .iter()
        .filter(|m| m.header("Delivered-To") == Some("anna@example.org"))
        .filter(|m| m.part("text/plain").contains("Almanapp B.V."))
        .count();
    assert!(
        forwarded_receipt >= 1,
        "the subject is told it was forwarded"
    );

    // The tenant's policy asks an ID copy: the identity request carries the upload link, the
    // page is in Dutch, and the upload is taken.
    let (s, v) = app
        .act(
            &support.token,
            &nl,
            "request_identity",
            json!({"note": "Stuur een afgeschermde kopie van uw paspoort.", "id_copy": true,
                   "reason": "U schreef vanaf een ander adres dan het adres dat wij kennen."}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mail = wait_for_mail(&sink, 7).await;
    let identity = to(
        &mail,
        "jan@example.nl",
        &format!("Verzoek {nl}: bevestig uw identiteit"),
    );
    let text = identity.part("text/plain");
    assert!(text.contains("KopieID") && text.contains("BSN"), "{text}");
    let upload = app.local(&link(identity, "/id_document?token="));
    let r = app
        .client
        .get(&upload)
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("<html lang=\"nl\">") && page.contains("KopieID"));
    let r = app
        .client
        .post(&upload)
        .header("content-type", "application/pdf")
        .body(PDF.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // The SMTP server goes away. Several mails are caused meanwhile: they wait, none is lost.
    let before = sink.messages().len();
    assert!(sink.stop().unwrap().success());
    let (s, _) = app.act(&support.token, &nl, "forward", json!({})).await;
    assert_eq!(s, 200);
    for i in 0..3 {
        file_public(
            &app,
            if i % 2 == 0 { "nl" } else { "en" },
            &format!("later{i}@example.nl"),
        )
        .await;
    }
    let start = Instant::now();
    let pending = loop {
        let rows = outbox_states(&app).await;
        let pending: Vec<_> = rows.iter().filter(|r| r.1 == "pending").cloned().collect();
        // 2 for the forward (controller and receipt) and 3 confirmation links, each tried once.
        if pending.len() == 5 && pending.iter().all(|r| r.2 >= 1 && r.3.is_some()) {
            break pending;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        outbox_states(&app).await.iter().all(|r| r.1 != "dead"),
        "a server that is down is a reason to wait, not to give up"
    );
    // /metrics shows the stuck mail: five pending, the oldest some seconds old.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(metric(&app, "inzage_outbox{state=\"pending\"}").await, 5.0);
    assert!(metric(&app, "inzage_outbox_oldest_pending_seconds").await >= 1.0);

    // Back on the same port. The retry would come after its backoff (30 s for a first
    // failure); the test moves the clock on by making the retries due now.
    let second = Sink::start(port, &[]);
    app.with_conn(|c| {
        diesel::update(outbox::table.filter(outbox::state.eq("pending")))
            .set(outbox::next_attempt_at.eq(inzage::store::now()))
            .execute(c)
            .unwrap();
    })
    .await;
    let start = Instant::now();
    while outbox_states(&app).await.iter().any(|r| r.1 != "sent") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            outbox_states(&app).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let redelivered = wait_for_mail(&second, 5).await;
    assert_eq!(redelivered.len(), 5, "each waiting message once");
    let waiting: Vec<String> = pending.iter().map(|r| r.0.clone()).collect();
    for m in &redelivered {
        assert!(waiting.contains(&m.header("Message-ID").unwrap().to_owned()));
    }

    // Over both servers: every message in the outbox arrived exactly once.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for raw in sink.messages().iter().chain(second.messages().iter()) {
        *seen
            .entry(parse(raw).header("Message-ID").unwrap().to_owned())
            .or_default() += 1;
    }
    let all = outbox_states(&app).await;
    assert_eq!(seen.len(), all.len());
    assert_eq!(
        sink.messages().len(),
        before,
        "nothing reached the stopped server"
    );
    for (message_id, state, _, _) in &all {
        assert_eq!(state, "sent");
        assert_eq!(seen.get(message_id), Some(&1), "{message_id}");
    }
    assert_eq!(
        metric(&app, "inzage_outbox_oldest_pending_seconds").await,
        0.0
    );
    let languages: Vec<Value> = redelivered
        .iter()
        .map(|m| json!(m.header("Content-Language")))
        .collect();
    assert!(languages.contains(&json!("nl")) && languages.contains(&json!("en")));
}
