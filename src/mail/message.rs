//! The messages inzage sends: one context struct per kind of message, holding exactly the facts
//! that message may show, and [`MailMessage`] over all of them.
//!
//! A context is plain data (serde, so the outbox may store it as JSON and render when it sends)
//! and is rendered with [`MailMessage::render`] or each struct's own `render` into a
//! [`RenderedMail`] in the recipient's language: the subject's for messages to the subject, the
//! tenant's for messages to a controller or to support.
//!
//! What each message must say, and where that comes from:
//! - [`Receipt`]: reference, kind, dates; the one-month limit and its extension (GDPR art. 12(3));
//!   when forwarded, that the request went to the named controller. The processing agreements
//!   require the forwarding and allow telling the subject (e.g. art. 8: "zal Verwerker het
//!   verzoek doorsturen aan Verwerkingsverantwoordelijke […] Verwerker mag de betrokkene daarvan
//!   op de hoogte stellen"). The article number differs per agreement, so the text names the
//!   agreement, not the article.
//! - [`VerificationLink`]: the purpose-bound link and its validity (README, "Identity and
//!   ID copies").
//! - [`Forwarded`]: what the controller needs to act, and no personal data of the subject
//!   (data minimisation, GDPR art. 5(1)(c)): the controller reads name, e-mail and details in
//!   inzage.
//! - [`IdentityRequest`]: the pause of the clock (EDPB 01/2022 §§157-164) and, when an ID copy is
//!   asked, the KopieID guidance (EDPB 01/2022 §§58-79; never a BSN).
//! - [`ExtensionNotice`]: months, new date and reasons (GDPR art. 12(3)).
//! - [`Refusal`]: ground, reason, and the right to complain to the Autoriteit Persoonsgegevens
//!   and to go to court (GDPR art. 12(4), 77, 79).
//! - [`Completion`]: the outcome and how to fetch the bundle, if any.
//! - [`DeadlineReminder`]: to the tenant's contact and to support, per reminder stage.
//!
//! Subjects of e-mails never carry personal data: only the reference and fixed words.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::MailError;
use super::templates;
use crate::domain::deadline::ReminderStage;
use crate::domain::{Language, RefusalGround, RequestKind};

/// A message ready to send: subject line, plain-text body and HTML body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where a request stands with respect to its controller, as the receipt tells the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Forwarding {
    /// Not yet known which controller (tenant) the request belongs to.
    Unassigned,
    /// The controller is known; the request has not been forwarded yet.
    Assigned { controller: String },
    /// The request has been forwarded to the controller.
    Forwarded { controller: String },
}

/// To the subject: we received your request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub reference: String,
    pub kind: RequestKind,
    /// d0, the day the request first reached the processor or the controller.
    pub received_on: NaiveDate,
    /// The target date: the earlier of the legal and the promised deadline.
    pub due_on: NaiveDate,
    /// The subject's status page (`…/status?token=…`).
    pub status_url: String,
    pub forwarding: Forwarding,
}

/// To the subject: confirm your e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationLink {
    pub reference: String,
    pub kind: RequestKind,
    /// `GET /api/v1/verify?token=…`
    pub verify_url: String,
    /// How long the link is valid, in days (7 by default).
    pub valid_days: u32,
    /// When the token expires; shown in Europe/Amsterdam time.
    pub expires_at: DateTime<Utc>,
}

/// To the controller (tenant contact): a new request for your organisation.
///
/// Deliberately without the subject's name, e-mail address, phone or details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarded {
    pub reference: String,
    /// The tenant's name.
    pub controller: String,
    pub kind: RequestKind,
    pub received_on: NaiveDate,
    /// roll(add_months(d0, 1) + paused days): GDPR art. 12(3).
    pub legal_due_on: NaiveDate,
    /// d0 + 28 days + paused days: the "within four weeks" of the processing agreements.
    pub promised_due_on: NaiveDate,
    /// The request in inzage (staff view).
    pub request_url: String,
}

/// To the subject: we need to confirm your identity; the clock is paused meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRequest {
    pub reference: String,
    /// Staff's note: what is needed (free text, shown as written).
    pub note: String,
    /// A copy of an identity document is asked (only where a tenant's policy demands it):
    /// adds the KopieID guidance.
    pub id_copy: bool,
    /// Where to upload the copy, when one is asked.
    pub upload_url: Option<String>,
    /// Why a copy is needed on this request, when one is asked (staff's reason).
    #[serde(default)]
    pub id_copy_reason: Option<String>,
    pub status_url: String,
}

/// To the subject: the deadline is extended (GDPR art. 12(3)); sent before the legal deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionNotice {
    pub reference: String,
    pub kind: RequestKind,
    /// 1 or 2.
    pub months: u32,
    /// The extended deadline.
    pub extended_due_on: NaiveDate,
    /// Staff's reasons (free text, shown as written).
    pub reasons: String,
    pub status_url: String,
}

/// To the subject: the request is refused (GDPR art. 12(4)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub reference: String,
    pub kind: RequestKind,
    /// The controller on whose behalf we write, when known.
    pub controller: Option<String>,
    pub ground: RefusalGround,
    /// Staff's reason (free text, shown as written).
    pub reason: String,
    pub status_url: String,
    /// The controller's kind: decides the remedies told (UAVG art. 34 or 35).
    #[serde(default)]
    pub sector: crate::domain::Sector,
}

/// A bundle the subject can fetch, for [`Completion`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleLink {
    /// A signed download link; without one the subject is sent to the status page.
    pub download_url: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// To the subject: the request was completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub reference: String,
    pub kind: RequestKind,
    pub controller: Option<String>,
    /// Staff's outcome text (free text, shown as written).
    pub outcome: String,
    pub bundle: Option<BundleLink>,
    pub status_url: String,
    /// The controller's kind: decides the remedies told (UAVG art. 34 or 35).
    #[serde(default)]
    pub sector: crate::domain::Sector,
    /// The answer is that no personal data about the subject is processed (`result:
    /// no_data`): worded as an answer, never as a refusal.
    #[serde(default)]
    pub no_data: bool,
}

/// To the subject: the one-time code that opens the download of the released bundle on the
/// status page. The code is not part of the stored message: it is derived from the secret key
/// and `code_id` when the mail is rendered for sending (`mail::outbox`), so it is kept nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadCode {
    pub reference: String,
    pub code_id: String,
    #[serde(skip)]
    pub code: Option<String>,
    /// The code (and the bundle) expire then.
    pub expires_at: DateTime<Utc>,
}

/// To the tenant's contact and to support: a deadline approaches or has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineReminder {
    pub reference: String,
    /// The tenant's name, when the request is assigned.
    pub controller: Option<String>,
    pub kind: RequestKind,
    pub stage: ReminderStage,
    /// The target date the stage is counted from.
    pub due_on: NaiveDate,
    pub request_url: String,
    /// While an extension is still possible: the last day the subject can be told of it (GDPR
    /// art. 12(3), one month after receipt, paused days not counted).
    #[serde(default)]
    pub extension_notice_due: Option<NaiveDate>,
}

/// What happened to an access grant, for [`GrantNotice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantEvent {
    /// The controller gave the grant.
    Given,
    /// Support used it for the first time.
    FirstUse,
}

/// To a support user and the tenant's contact: an access grant was given, or used for the
/// first time (privacy policy: access only with the controller's permission, and logged). No
/// personal data of any subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantNotice {
    pub event: GrantEvent,
    /// Whether the reader is the grantee (else the controller).
    pub to_grantee: bool,
    /// The tenant's name and slug.
    pub tenant: String,
    pub tenant_slug: String,
    /// The support user's e-mail address.
    pub grantee: String,
    pub granted_by: String,
    pub reason: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Any message inzage sends; serialised with a `"message"` tag (`"receipt"`, …) so an outbox
/// row can keep it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum MailMessage {
    Receipt(Receipt),
    VerificationLink(VerificationLink),
    Forwarded(Forwarded),
    IdentityRequest(IdentityRequest),
    ExtensionNotice(ExtensionNotice),
    Refusal(Refusal),
    Completion(Completion),
    DeadlineReminder(DeadlineReminder),
    GrantNotice(GrantNotice),
    DownloadCode(DownloadCode),
    ExecutionReport(ExecutionReport),
    RecipientNotice(RecipientNotice),
    RestrictionLiftNotice(RestrictionLiftNotice),
}

impl MailMessage {
    /// A stable name for logs and metrics (never personal data).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Receipt(_) => "receipt",
            Self::VerificationLink(_) => "verification_link",
            Self::Forwarded(_) => "forwarded",
            Self::IdentityRequest(_) => "identity_request",
            Self::ExtensionNotice(_) => "extension_notice",
            Self::Refusal(_) => "refusal",
            Self::Completion(_) => "completion",
            Self::DeadlineReminder(_) => "deadline_reminder",
            Self::GrantNotice(_) => "grant_notice",
            Self::DownloadCode(_) => "download_code",
            Self::ExecutionReport(_) => "execution_report",
            Self::RecipientNotice(_) => "recipient_notice",
            Self::RestrictionLiftNotice(_) => "restriction_lift_notice",
        }
    }

    /// The request the message is about.
    pub fn reference(&self) -> &str {
        match self {
            Self::Receipt(m) => &m.reference,
            Self::VerificationLink(m) => &m.reference,
            Self::Forwarded(m) => &m.reference,
            Self::IdentityRequest(m) => &m.reference,
            Self::ExtensionNotice(m) => &m.reference,
            Self::Refusal(m) => &m.reference,
            Self::Completion(m) => &m.reference,
            Self::DeadlineReminder(m) => &m.reference,
            // About a tenant, not a request.
            Self::GrantNotice(m) => &m.tenant_slug,
            Self::DownloadCode(m) => &m.reference,
            Self::ExecutionReport(m) => &m.reference,
            Self::RecipientNotice(m) => &m.reference,
            Self::RestrictionLiftNotice(m) => &m.reference,
        }
    }

    /// Whether the message goes to the subject (and so names a person to reach).
    pub fn to_subject(&self) -> bool {
        !matches!(
            self,
            Self::Forwarded(_) | Self::DeadlineReminder(_) | Self::GrantNotice(_)
        )
    }

    /// Renders subject, text and HTML in `language`. `processor` is the processor's name, used
    /// in the sign-off and the footer.
    pub fn render(&self, language: Language, processor: &str) -> Result<RenderedMail, MailError> {
        self.render_with(language, processor, None)
    }

    /// As [`render`](Self::render), naming `contact` as the address where a subject reaches a
    /// person (the tenant's contact, else the processor's support address).
    pub fn render_with(
        &self,
        language: Language,
        processor: &str,
        contact: Option<&str>,
    ) -> Result<RenderedMail, MailError> {
        match self {
            Self::Receipt(m) => m.render_with(language, processor, contact),
            Self::VerificationLink(m) => m.render_with(language, processor, contact),
            Self::Forwarded(m) => m.render_with(language, processor, contact),
            Self::IdentityRequest(m) => m.render_with(language, processor, contact),
            Self::ExtensionNotice(m) => m.render_with(language, processor, contact),
            Self::Refusal(m) => m.render_with(language, processor, contact),
            Self::Completion(m) => m.render_with(language, processor, contact),
            Self::DeadlineReminder(m) => m.render_with(language, processor, contact),
            Self::GrantNotice(m) => m.render_with(language, processor, contact),
            Self::DownloadCode(m) => m.render_with(language, processor, contact),
            Self::ExecutionReport(m) => m.render_with(language, processor, contact),
            Self::RecipientNotice(m) => m.render_with(language, processor, contact),
            Self::RestrictionLiftNotice(m) => m.render_with(language, processor, contact),
        }
    }
}

macro_rules! render_via {
    ($($context:ident => $function:ident),* $(,)?) => {$(
        impl $context {
            /// Renders subject, text and HTML in `language`; `processor` names the processor in
            /// the sign-off and footer.
            pub fn render(
                &self,
                language: Language,
                processor: &str,
            ) -> Result<RenderedMail, MailError> {
                templates::$function(self, language, processor, None)
            }

            /// As `render`, naming `contact` as the address where the reader reaches a person.
            pub fn render_with(
                &self,
                language: Language,
                processor: &str,
                contact: Option<&str>,
            ) -> Result<RenderedMail, MailError> {
                templates::$function(self, language, processor, contact)
            }
        }

        impl From<$context> for MailMessage {
            fn from(m: $context) -> Self {
                Self::$context(m)
            }
        }
    )*};
}

render_via! {
    Receipt => receipt,
    VerificationLink => verification_link,
    Forwarded => forwarded,
    IdentityRequest => identity_request,
    ExtensionNotice => extension_notice,
    Refusal => refusal,
    Completion => completion,
    DeadlineReminder => deadline_reminder,
    GrantNotice => grant_notice,
    DownloadCode => download_code,
    ExecutionReport => execution_report,
    RecipientNotice => recipient_notice,
    RestrictionLiftNotice => restriction_lift_notice,
}

/// Which change a plan carried out, as the execution mails name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Erasure,
    Rectification,
    Restriction,
    /// The restriction was lifted (art. 18(3)).
    Lift,
}

/// One table in the subject's report of what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedTable {
    pub system: String,
    pub table: String,
    pub action: crate::domain::certificate::TableAction,
    pub rows: u64,
    /// Masked or corrected columns (never values).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Why rows were kept, as the data map states it.
    #[serde(default)]
    pub reason: Option<String>,
}

/// To the subject: the plan was carried out — table by table what was done, what was kept
/// and why (art. 12(1), 17(3)), and which recipients were told or are still to be told
/// (art. 19, last sentence: the subject may be told who they are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionReport {
    pub reference: String,
    pub change: ChangeKind,
    pub controller: Option<String>,
    pub tables: Vec<ReportedTable>,
    pub recipients_told: Vec<String>,
    pub recipients_to_tell: Vec<String>,
    pub status_url: String,
}

/// To a recipient of the data (art. 19): a change was made; the kind of change and the
/// request's reference, no personal data of the subject (art. 5(1)(c)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientNotice {
    pub reference: String,
    pub change: ChangeKind,
    /// The controller on whose behalf we write.
    pub controller: String,
    /// The recipient's name, as the data map has it.
    pub recipient: String,
}

/// To the subject, before a restriction is lifted (art. 18(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionLiftNotice {
    pub reference: String,
    pub controller: Option<String>,
    pub status_url: String,
}
