//! Rendering: turns a message context into a [`RenderedMail`] through the askama templates under
//! `templates/mail/{nl,en}/` (one `.txt` and one `.html` per message and language).
//!
//! Each context is first turned into a *view* of display-ready strings (labels, dates in the
//! reader's language, optional parts as `Option`), so the templates hold wording only, no logic
//! beyond `if`. HTML templates escape every value (askama escapes `.html` by default); text
//! templates show values as written. Subject lines are built here, from fixed words and the
//! reference only.

use super::MailError;
use super::labels;
use super::message::{
    Completion, DeadlineReminder, DownloadCode, ExtensionNotice, Forwarded, Forwarding, GrantEvent,
    GrantNotice, IdentityRequest, Receipt, Refusal, RenderedMail, VerificationLink,
};
use crate::domain::Language;
use crate::domain::deadline::ReminderStage;

/// What every template's layout needs: language, subject (the HTML `<title>`), reference,
/// processor name, and whether the reader is a controller/support (another footer).
struct Common {
    lang: &'static str,
    subject: String,
    reference: String,
    processor: String,
    to_controller: bool,
    /// Where the reader reaches a person: the tenant's contact address, else the processor's
    /// support address (also the mail's `Reply-To`).
    contact: Option<String>,
}

impl Common {
    fn new(language: Language, subject: String, reference: &str, processor: &str) -> Self {
        Self {
            lang: language.as_str(),
            subject,
            reference: reference.to_owned(),
            processor: processor.to_owned(),
            to_controller: false,
            contact: None,
        }
    }

    fn with_contact(mut self, contact: Option<&str>) -> Self {
        self.contact = contact.map(str::to_owned);
        self
    }

    fn for_controller(mut self) -> Self {
        self.to_controller = true;
        self
    }
}

/// Declares the four askama templates of one message (nl/en × text/html) in a module of its
/// own, with a `render` that picks the language.
macro_rules! message_templates {
    ($module:ident, $view:ident, $nl_text:literal, $nl_html:literal, $en_text:literal, $en_html:literal) => {
        mod $module {
            use askama::Template;

            use super::{Common, $view};
            use crate::domain::Language;

            #[derive(Template)]
            #[template(path = $nl_text)]
            struct NlText<'a> {
                c: &'a Common,
                v: &'a $view,
            }

            #[derive(Template)]
            #[template(path = $nl_html)]
            struct NlHtml<'a> {
                c: &'a Common,
                v: &'a $view,
            }

            #[derive(Template)]
            #[template(path = $en_text)]
            struct EnText<'a> {
                c: &'a Common,
                v: &'a $view,
            }

            #[derive(Template)]
            #[template(path = $en_html)]
            struct EnHtml<'a> {
                c: &'a Common,
                v: &'a $view,
            }

            /// (text, html)
            pub(super) fn render(
                language: Language,
                c: &Common,
                v: &$view,
            ) -> Result<(String, String), askama::Error> {
                Ok(match language {
                    Language::Nl => (NlText { c, v }.render()?, NlHtml { c, v }.render()?),
                    Language::En => (EnText { c, v }.render()?, EnHtml { c, v }.render()?),
                })
            }
        }
    };
}

fn finish(
    template: &'static str,
    common: Common,
    rendered: Result<(String, String), askama::Error>,
) -> Result<RenderedMail, MailError> {
    let (text, html) = rendered.map_err(|source| MailError::Render { template, source })?;
    Ok(RenderedMail {
        subject: common.subject,
        text: tidy_text(&text),
        html,
    })
}

/// Templates keep their wording readable; this makes the text part tidy: no trailing blanks,
/// at most one empty line in a row, none at the start, one newline at the end. The signature
/// separator `"-- "` keeps its space (RFC 3676 §4.3).
fn tidy_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank_run = 0usize;
    for line in raw.lines() {
        let line = if line == "-- " { line } else { line.trim_end() };
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() && blank_run > 0 {
            out.push('\n');
        }
        blank_run = 0;
        out.push_str(line);
        out.push('\n');
    }
    out
}

// --- Receipt -------------------------------------------------------------------------------

struct ReceiptView {
    kind: String,
    received: String,
    due: String,
    status_url: String,
    controller: Option<String>,
    forwarded: bool,
}

message_templates!(
    receipt_t,
    ReceiptView,
    "mail/nl/receipt.txt",
    "mail/nl/receipt.html",
    "mail/en/receipt.txt",
    "mail/en/receipt.html"
);

pub(super) fn receipt(
    m: &Receipt,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match language {
        Language::Nl => format!("Ontvangstbevestiging van uw verzoek {}", m.reference),
        Language::En => format!("We have received your request {}", m.reference),
    };
    let (controller, forwarded) = match &m.forwarding {
        Forwarding::Unassigned => (None, false),
        Forwarding::Assigned { controller } => (Some(controller.clone()), false),
        Forwarding::Forwarded { controller } => (Some(controller.clone()), true),
    };
    let v = ReceiptView {
        kind: labels::kind_label(m.kind, language),
        received: labels::date(m.received_on, language),
        due: labels::date(m.due_on, language),
        status_url: m.status_url.clone(),
        controller,
        forwarded,
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = receipt_t::render(language, &c, &v);
    finish("receipt", c, rendered)
}

// --- Verification link ---------------------------------------------------------------------

struct VerificationView {
    kind: String,
    url: String,
    valid_days: u32,
    expires: String,
}

message_templates!(
    verification_t,
    VerificationView,
    "mail/nl/verification_link.txt",
    "mail/nl/verification_link.html",
    "mail/en/verification_link.txt",
    "mail/en/verification_link.html"
);

pub(super) fn verification_link(
    m: &VerificationLink,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match language {
        Language::Nl => format!("Bevestig uw e-mailadres voor verzoek {}", m.reference),
        Language::En => format!("Confirm your e-mail address for request {}", m.reference),
    };
    let v = VerificationView {
        kind: labels::kind_label(m.kind, language),
        url: m.verify_url.clone(),
        valid_days: m.valid_days,
        expires: labels::date_time(m.expires_at, language),
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = verification_t::render(language, &c, &v);
    finish("verification_link", c, rendered)
}

// --- Forwarded to the controller -----------------------------------------------------------

struct ForwardedView {
    controller: String,
    kind: String,
    received: String,
    legal_due: String,
    promised_due: String,
    request_url: String,
}

message_templates!(
    forwarded_t,
    ForwardedView,
    "mail/nl/forwarded.txt",
    "mail/nl/forwarded.html",
    "mail/en/forwarded.txt",
    "mail/en/forwarded.html"
);

pub(super) fn forwarded(
    m: &Forwarded,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match language {
        Language::Nl => format!("Nieuw verzoek van een betrokkene: {}", m.reference),
        Language::En => format!("New data subject request: {}", m.reference),
    };
    let v = ForwardedView {
        controller: m.controller.clone(),
        kind: labels::kind_label(m.kind, language),
        received: labels::date(m.received_on, language),
        legal_due: labels::date(m.legal_due_on, language),
        promised_due: labels::date(m.promised_due_on, language),
        request_url: m.request_url.clone(),
    };
    let c = Common::new(language, subject, &m.reference, processor)
        .for_controller()
        .with_contact(contact);
    let rendered = forwarded_t::render(language, &c, &v);
    finish("forwarded", c, rendered)
}

// --- Identity request ----------------------------------------------------------------------

struct IdentityView {
    note: String,
    id_copy: bool,
    id_copy_reason: Option<String>,
    upload_url: Option<String>,
    status_url: String,
}

message_templates!(
    identity_t,
    IdentityView,
    "mail/nl/identity_request.txt",
    "mail/nl/identity_request.html",
    "mail/en/identity_request.txt",
    "mail/en/identity_request.html"
);

pub(super) fn identity_request(
    m: &IdentityRequest,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match language {
        Language::Nl => format!("Verzoek {}: bevestig uw identiteit", m.reference),
        Language::En => format!("Request {}: please confirm your identity", m.reference),
    };
    let v = IdentityView {
        note: m.note.trim().to_owned(),
        id_copy: m.id_copy,
        id_copy_reason: m
            .id_copy_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| m.id_copy && !r.is_empty())
            .map(str::to_owned),
        upload_url: m.upload_url.clone().filter(|_| m.id_copy),
        status_url: m.status_url.clone(),
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = identity_t::render(language, &c, &v);
    finish("identity_request", c, rendered)
}

// --- Extension notice ----------------------------------------------------------------------

struct ExtensionView {
    kind: String,
    months: String,
    due: String,
    reasons: String,
    status_url: String,
}

message_templates!(
    extension_t,
    ExtensionView,
    "mail/nl/extension_notice.txt",
    "mail/nl/extension_notice.html",
    "mail/en/extension_notice.txt",
    "mail/en/extension_notice.html"
);

pub(super) fn extension_notice(
    m: &ExtensionNotice,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match language {
        Language::Nl => format!("Verzoek {}: de termijn is verlengd", m.reference),
        Language::En => format!("Request {}: the deadline has been extended", m.reference),
    };
    let v = ExtensionView {
        kind: labels::kind_label(m.kind, language),
        months: labels::months(m.months, language),
        due: labels::date(m.extended_due_on, language),
        reasons: m.reasons.trim().to_owned(),
        status_url: m.status_url.clone(),
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = extension_t::render(language, &c, &v);
    finish("extension_notice", c, rendered)
}

// --- Refusal -------------------------------------------------------------------------------

struct RefusalView {
    /// A public body: bezwaar (UAVG art. 34, Awb 6:7); else a verzoekschrift (UAVG art. 35).
    public: bool,
    /// `no_data` is an answer (no personal data processed), not a refusal.
    no_data: bool,
    kind: String,
    controller: Option<String>,
    ground: String,
    reason: String,
    status_url: String,
}

message_templates!(
    refusal_t,
    RefusalView,
    "mail/nl/refusal.txt",
    "mail/nl/refusal.html",
    "mail/en/refusal.txt",
    "mail/en/refusal.html"
);

pub(super) fn refusal(
    m: &Refusal,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let no_data = m.ground == crate::domain::RefusalGround::NoData;
    let subject = match (language, no_data) {
        (Language::Nl, false) => format!("Verzoek {}: uw verzoek is afgewezen", m.reference),
        (Language::En, false) => format!("Request {}: your request has been refused", m.reference),
        (Language::Nl, true) => format!("Verzoek {}: geen gegevens over u", m.reference),
        (Language::En, true) => format!("Request {}: no data about you", m.reference),
    };
    let v = RefusalView {
        kind: labels::kind_label(m.kind, language),
        controller: m.controller.clone(),
        ground: labels::ground_label(m.ground, m.kind, language),
        no_data: m.ground == crate::domain::RefusalGround::NoData,
        public: m.sector == crate::domain::Sector::Public,
        reason: m.reason.trim().to_owned(),
        status_url: m.status_url.clone(),
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = refusal_t::render(language, &c, &v);
    finish("refusal", c, rendered)
}

// --- Completion ----------------------------------------------------------------------------

struct CompletionView {
    /// A public body: bezwaar (UAVG art. 34, Awb 6:7); else a verzoekschrift (UAVG art. 35).
    public: bool,
    kind: String,
    controller: Option<String>,
    outcome: String,
    /// No personal data about the subject is processed: an answer, not a refusal.
    no_data: bool,
    bundle: bool,
    bundle_url: Option<String>,
    bundle_expires: Option<String>,
    status_url: String,
}

message_templates!(
    completion_t,
    CompletionView,
    "mail/nl/completion.txt",
    "mail/nl/completion.html",
    "mail/en/completion.txt",
    "mail/en/completion.html"
);

pub(super) fn completion(
    m: &Completion,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match (language, m.no_data) {
        (Language::Nl, false) => format!("Verzoek {}: uw verzoek is afgehandeld", m.reference),
        (Language::En, false) => {
            format!("Request {}: your request has been completed", m.reference)
        }
        (Language::Nl, true) => format!("Verzoek {}: antwoord op uw verzoek", m.reference),
        (Language::En, true) => format!("Request {}: the answer to your request", m.reference),
    };
    let v = CompletionView {
        kind: labels::kind_label(m.kind, language),
        controller: m.controller.clone(),
        public: m.sector == crate::domain::Sector::Public,
        outcome: m.outcome.trim().to_owned(),
        no_data: m.no_data,
        bundle: m.bundle.is_some(),
        bundle_url: m.bundle.as_ref().and_then(|b| b.download_url.clone()),
        bundle_expires: m
            .bundle
            .as_ref()
            .and_then(|b| b.expires_at)
            .map(|t| labels::date_time(t, language)),
        status_url: m.status_url.clone(),
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = completion_t::render(language, &c, &v);
    finish("completion", c, rendered)
}

// --- Download code ------------------------------------------------------------------------

struct DownloadCodeView {
    code: String,
    expires: String,
}

message_templates!(
    download_code_t,
    DownloadCodeView,
    "mail/nl/download_code.txt",
    "mail/nl/download_code.html",
    "mail/en/download_code.txt",
    "mail/en/download_code.html"
);

pub(super) fn download_code(
    m: &DownloadCode,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    // The subject line never carries the code: many phones show it on a locked screen.
    let subject = match language {
        Language::Nl => format!("Verzoek {}: uw downloadcode", m.reference),
        Language::En => format!("Request {}: your download code", m.reference),
    };
    let v = DownloadCodeView {
        code: m.code.clone().unwrap_or_else(|| "------".to_owned()),
        expires: labels::date_time(m.expires_at, language),
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = download_code_t::render(language, &c, &v);
    finish("download_code", c, rendered)
}

// --- Deadline reminder ---------------------------------------------------------------------

struct ReminderView {
    controller: Option<String>,
    kind: String,
    /// "over 7 werkdagen", "vandaag", …
    when: &'static str,
    overdue: bool,
    due: String,
    request_url: String,
    extension_notice_due: Option<String>,
}

message_templates!(
    reminder_t,
    ReminderView,
    "mail/nl/deadline_reminder.txt",
    "mail/nl/deadline_reminder.html",
    "mail/en/deadline_reminder.txt",
    "mail/en/deadline_reminder.html"
);

pub(super) fn deadline_reminder(
    m: &DeadlineReminder,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let r = &m.reference;
    let subject = match (language, m.stage) {
        (Language::Nl, ReminderStage::SevenWorkingDays) => {
            format!("Herinnering: verzoek {r} moet over 7 werkdagen beantwoord zijn")
        }
        (Language::Nl, ReminderStage::TwoWorkingDays) => {
            format!("Herinnering: verzoek {r} moet over 2 werkdagen beantwoord zijn")
        }
        (Language::Nl, ReminderStage::DueToday) => {
            format!("Vandaag uiterste datum: verzoek {r}")
        }
        (Language::Nl, ReminderStage::Overdue) => {
            format!("TE LAAT: de termijn van verzoek {r} is verstreken")
        }
        (Language::En, ReminderStage::SevenWorkingDays) => {
            format!("Reminder: request {r} is due in 7 working days")
        }
        (Language::En, ReminderStage::TwoWorkingDays) => {
            format!("Reminder: request {r} is due in 2 working days")
        }
        (Language::En, ReminderStage::DueToday) => {
            format!("Due today: request {r}")
        }
        (Language::En, ReminderStage::Overdue) => {
            format!("OVERDUE: the deadline for request {r} has passed")
        }
    };
    let v = ReminderView {
        controller: m.controller.clone(),
        kind: labels::kind_label(m.kind, language),
        when: labels::stage_label(m.stage, language),
        overdue: m.stage == ReminderStage::Overdue,
        due: labels::date(m.due_on, language),
        request_url: m.request_url.clone(),
        extension_notice_due: m.extension_notice_due.map(|d| labels::date(d, language)),
    };
    let c = Common::new(language, subject, &m.reference, processor)
        .for_controller()
        .with_contact(contact);
    let rendered = reminder_t::render(language, &c, &v);
    finish("deadline_reminder", c, rendered)
}

// --- Access grants -------------------------------------------------------------------------

struct GrantView {
    given: bool,
    to_grantee: bool,
    tenant: String,
    grantee: String,
    granted_by: String,
    reason: String,
    expires: String,
    used: Option<String>,
}

message_templates!(
    grant_t,
    GrantView,
    "mail/nl/grant_notice.txt",
    "mail/nl/grant_notice.html",
    "mail/en/grant_notice.txt",
    "mail/en/grant_notice.html"
);

pub(super) fn grant_notice(
    m: &GrantNotice,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let t = &m.tenant_slug;
    let subject = match (language, m.event) {
        (Language::Nl, GrantEvent::Given) => format!("Toegang verleend tot de gegevens van {t}"),
        (Language::Nl, GrantEvent::FirstUse) => {
            format!("Toegang tot de gegevens van {t} voor het eerst gebruikt")
        }
        (Language::En, GrantEvent::Given) => format!("Access granted to the data of {t}"),
        (Language::En, GrantEvent::FirstUse) => {
            format!("Access to the data of {t} used for the first time")
        }
    };
    let v = GrantView {
        given: m.event == GrantEvent::Given,
        to_grantee: m.to_grantee,
        tenant: m.tenant.clone(),
        grantee: m.grantee.clone(),
        granted_by: m.granted_by.clone(),
        reason: m.reason.clone(),
        expires: labels::date_time(m.expires_at, language),
        used: m.used_at.map(|u| labels::date_time(u, language)),
    };
    let c = Common::new(language, subject, &m.tenant_slug, processor)
        .for_controller()
        .with_contact(contact);
    let rendered = grant_t::render(language, &c, &v);
    finish("grant_notice", c, rendered)
}

// --- Execution (rectification, erasure, restriction) ----------------------------------------

use super::message::{
    ChangeKind, ExecutionReport, RecipientNotice, ReportedTable, RestrictionLiftNotice,
};
use crate::domain::certificate::TableAction;

fn change_label(change: ChangeKind, language: Language) -> &'static str {
    match (language, change) {
        (Language::Nl, ChangeKind::Erasure) => "verwijdering (gegevens gewist)",
        (Language::Nl, ChangeKind::Rectification) => "rectificatie (gegevens gecorrigeerd)",
        (Language::Nl, ChangeKind::Restriction) => "beperking van de verwerking",
        (Language::Nl, ChangeKind::Lift) => "opheffing van de beperking van de verwerking",
        (Language::En, ChangeKind::Erasure) => "erasure (data deleted)",
        (Language::En, ChangeKind::Rectification) => "rectification (data corrected)",
        (Language::En, ChangeKind::Restriction) => "restriction of processing",
        (Language::En, ChangeKind::Lift) => "lifting of the restriction of processing",
    }
}

/// One table of the report in plain words: "app / orders: 30 rows deleted".
pub fn reported_line(t: &ReportedTable, language: Language) -> String {
    let rows = match (language, t.rows) {
        (Language::Nl, 1) => "1 rij".to_owned(),
        (Language::Nl, n) => format!("{n} rijen"),
        (Language::En, 1) => "1 row".to_owned(),
        (Language::En, n) => format!("{n} rows"),
    };
    let cols = t.columns.join(", ");
    let what = match (language, t.action) {
        (Language::Nl, TableAction::Delete) => format!("{rows} verwijderd"),
        (Language::Nl, TableAction::Mask) => {
            format!("{rows} bewaard, maar deze gegevens gewist of onleesbaar gemaakt: {cols}")
        }
        (Language::Nl, TableAction::Keep) => format!(
            "{rows} bewaard; reden: {}",
            t.reason.as_deref().unwrap_or("")
        ),
        (Language::Nl, TableAction::Update) => format!("{rows} gecorrigeerd: {cols}"),
        (Language::Nl, TableAction::Restrict) => {
            format!("{rows} gemarkeerd als beperkt: alleen nog bewaard, niet gebruikt")
        }
        (Language::Nl, TableAction::Lift) => format!("{rows}: beperking opgeheven"),
        (Language::En, TableAction::Delete) => format!("{rows} deleted"),
        (Language::En, TableAction::Mask) => {
            format!("{rows} kept, but these data erased or made unreadable: {cols}")
        }
        (Language::En, TableAction::Keep) => {
            format!("{rows} kept; reason: {}", t.reason.as_deref().unwrap_or(""))
        }
        (Language::En, TableAction::Update) => format!("{rows} corrected: {cols}"),
        (Language::En, TableAction::Restrict) => {
            format!("{rows} marked as restricted: only stored, not used")
        }
        (Language::En, TableAction::Lift) => format!("{rows}: restriction lifted"),
    };
    format!("{} / {}: {what}", t.system, t.table)
}

struct ExecutionReportView {
    change: String,
    controller: Option<String>,
    lines: Vec<String>,
    told: Vec<String>,
    to_tell: Vec<String>,
    status_url: String,
}

message_templates!(
    execution_report_t,
    ExecutionReportView,
    "mail/nl/execution_report.txt",
    "mail/nl/execution_report.html",
    "mail/en/execution_report.txt",
    "mail/en/execution_report.html"
);

pub(super) fn execution_report(
    m: &ExecutionReport,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match language {
        Language::Nl => format!("Verzoek {}: uitgevoerd in onze systemen", m.reference),
        Language::En => format!("Request {}: carried out in our systems", m.reference),
    };
    let v = ExecutionReportView {
        change: change_label(m.change, language).to_owned(),
        controller: m.controller.clone(),
        lines: m
            .tables
            .iter()
            .map(|t| reported_line(t, language))
            .collect(),
        told: m.recipients_told.clone(),
        to_tell: m.recipients_to_tell.clone(),
        status_url: m.status_url.clone(),
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = execution_report_t::render(language, &c, &v);
    finish("execution_report", c, rendered)
}

struct RecipientNoticeView {
    change: String,
    controller: String,
    recipient: String,
}

message_templates!(
    recipient_notice_t,
    RecipientNoticeView,
    "mail/nl/recipient_notice.txt",
    "mail/nl/recipient_notice.html",
    "mail/en/recipient_notice.txt",
    "mail/en/recipient_notice.html"
);

pub(super) fn recipient_notice(
    m: &RecipientNotice,
    language: Language,
    processor: &str,
    // A recipient is told by the controller's name (in the text), not the subject's contact.
    _contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match language {
        Language::Nl => format!(
            "Verzoek {}: wijziging van persoonsgegevens (art. 19 AVG)",
            m.reference
        ),
        Language::En => format!(
            "Request {}: change of personal data (Art. 19 GDPR)",
            m.reference
        ),
    };
    let v = RecipientNoticeView {
        change: change_label(m.change, language).to_owned(),
        controller: m.controller.clone(),
        recipient: m.recipient.clone(),
    };
    let c = Common::new(language, subject, &m.reference, processor).for_controller();
    let rendered = recipient_notice_t::render(language, &c, &v);
    finish("recipient_notice", c, rendered)
}

struct LiftNoticeView {
    controller: Option<String>,
    status_url: String,
}

message_templates!(
    lift_notice_t,
    LiftNoticeView,
    "mail/nl/restriction_lift_notice.txt",
    "mail/nl/restriction_lift_notice.html",
    "mail/en/restriction_lift_notice.txt",
    "mail/en/restriction_lift_notice.html"
);

pub(super) fn restriction_lift_notice(
    m: &RestrictionLiftNotice,
    language: Language,
    processor: &str,
    contact: Option<&str>,
) -> Result<RenderedMail, MailError> {
    let subject = match language {
        Language::Nl => format!("Verzoek {}: de beperking wordt opgeheven", m.reference),
        Language::En => format!("Request {}: the restriction will be lifted", m.reference),
    };
    let v = LiftNoticeView {
        controller: m.controller.clone(),
        status_url: m.status_url.clone(),
    };
    let c = Common::new(language, subject, &m.reference, processor).with_contact(contact);
    let rendered = lift_notice_t::render(language, &c, &v);
    finish("restriction_lift_notice", c, rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_text_collapses_blank_lines_and_keeps_the_signature_separator() {
        let raw = "\n\nHallo  \n\n\n\nTekst\n-- \nvoet\n\n";
        assert_eq!(tidy_text(raw), "Hallo\n\nTekst\n-- \nvoet\n");
    }
}
