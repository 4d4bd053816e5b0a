//! HTML pages for the links a data subject follows from a mail: the e-mail confirmation, the
//! status view and the ID copy upload, in Dutch or English (the request's language; for a
//! link we cannot read, the browser's `Accept-Language`). Templates live under
//! `templates/pages/{nl,en}/`; wording is there, this module only prepares display strings.
//!
//! A page is answered when the client accepts `text/html` (a browser); API clients keep the
//! JSON. Pages carry no scripts and load nothing from elsewhere; every answer is `no-store`
//! and `no-referrer`, because the address holds the link's token.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chrono::{NaiveDate, Utc};

use crate::domain::{Language, RequestKind, Status};
use crate::error::AppError;
use crate::mail::labels;

/// The strict policy of every page: inline styles, forms to ourselves, nothing else.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                            base-uri 'none'; frame-ancestors 'none'";

/// Whether the client prefers a page: it names `text/html` in `Accept` (browsers do).
pub fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let is_html = parts
                .next()
                .is_some_and(|t| t.eq_ignore_ascii_case("text/html"));
            let q = parts
                .find_map(|p| p.strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            is_html && q > 0.0
        })
}

/// Dutch or English from `Accept-Language` (the first of the two with the higher weight);
/// Dutch when neither is named.
pub fn browser_language(req: &HttpRequest) -> Language {
    let mut best: Option<(Language, f32)> = None;
    for item in req
        .headers()
        .get_all(header::ACCEPT_LANGUAGE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';').map(str::trim);
        let tag = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let language = if tag == "nl" || tag.starts_with("nl-") {
            Language::Nl
        } else if tag == "en" || tag.starts_with("en-") {
            Language::En
        } else {
            continue;
        };
        if best.is_none_or(|(_, b)| q > b) {
            best = Some((language, q));
        }
    }
    best.map_or(Language::Nl, |(l, _)| l)
}

/// `?lang=nl` or `?lang=en` in the address: the reader chose the page's language.
pub fn query_language(req: &HttpRequest) -> Option<Language> {
    req.query_string()
        .split('&')
        .filter_map(|kv| kv.strip_prefix("lang="))
        .find_map(|v| v.parse::<Language>().ok())
}

/// What every page shows around its content.
pub struct PageCommon {
    pub lang: &'static str,
    pub title: String,
    pub processor: String,
    pub reference: Option<String>,
    /// The same page in the other language: (address, its name in that language, its code).
    pub switch: Option<(String, &'static str, &'static str)>,
}

impl PageCommon {
    pub fn new(language: Language, title: &str, processor: &str, reference: Option<&str>) -> Self {
        Self {
            lang: language.as_str(),
            title: title.to_owned(),
            processor: processor.to_owned(),
            reference: reference.map(str::to_owned),
            switch: None,
        }
    }

    /// Offers the page in `language` at `href`.
    pub fn switch_to(&mut self, href: &str, language: Language) {
        self.switch = Some((
            href.to_owned(),
            match language {
                Language::Nl => "Nederlands",
                Language::En => "English",
            },
            language.as_str(),
        ));
    }
}

/// An answer to a link: confirmed, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Confirmed {
        status_url: Option<String>,
    },
    Used,
    Expired,
    Invalid,
    RateLimited {
        retry_after: u64,
    },
    Unavailable,
    /// `/t/{slug}` names no organisation we know.
    UnknownForm,
    /// The status page's form came without its token (or from another site).
    FormExpired,
}

pub struct NoticeView {
    kind: &'static str,
    status_url: Option<String>,
    retry_after: u64,
}

/// The subject's status, ready to show.
pub struct StatusPage {
    pub reference: String,
    pub kind: String,
    pub status: String,
    pub received: String,
    pub due: String,
    pub paused: bool,
    pub closed: bool,
    /// The controller is a public body (the remedies it names differ).
    pub public: bool,
    pub history: Vec<HistoryLine>,
    pub upload_url: Option<String>,
    /// The status link's token, carried by the page's forms.
    pub token: String,
    /// The form token (double submit with the `inzage_form` cookie).
    pub csrf: String,
    /// `/status/{reference}`: where the page's forms post.
    pub base: String,
    pub can_withdraw: bool,
    /// Staff's open question, while one is.
    pub question: Option<String>,
    /// The subject answered the open question already (and may add to it).
    pub answered: bool,
    /// `done`, `no_data`, `refused` or `withdrawn` once closed; empty while open.
    pub answer_title: &'static str,
    /// Staff's outcome or reason, as written.
    pub answer_text: Option<String>,
    /// The refusal ground in words (never for `no_data`, which is an answer).
    pub ground: Option<String>,
    /// A released bundle can be downloaded until then.
    pub download_until: Option<String>,
    /// A mailed code is usable, with this many tries left (0: none usable).
    pub code_tries_left: i32,
    /// What the subject just did: `withdrawn`, `answered`, `code_sent`; empty if nothing.
    pub done: &'static str,
    /// The answer form's problem: `empty` or `long`; empty if none.
    pub answer_error: &'static str,
    pub code_error: Option<String>,
    pub answer_value: String,
    /// Recipients of the data told of the change (name, whether inzage told it): art. 19.
    pub recipients: Vec<(String, bool)>,
}

/// The confirmation step before a withdrawal.
pub struct WithdrawPage {
    pub reference: String,
    pub kind: String,
    pub token: String,
    pub csrf: String,
    pub action: String,
    pub back: String,
    /// Still open (else there is nothing to withdraw).
    pub open: bool,
}

pub struct HistoryLine {
    pub at: String,
    pub label: String,
    pub note: Option<String>,
}

/// Where an ID copy upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// Asked for: the guidance and the form.
    Ready,
    /// Just received.
    Received,
    /// Not asked for (now).
    NotNeeded,
}

/// What went wrong with an upload, shown above the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProblem {
    WrongType,
    TooLarge,
    Empty,
}

pub struct UploadPage {
    state: &'static str,
    error: &'static str,
    action: String,
    held_since: Option<String>,
    max_mb: u64,
    today: String,
    /// Why a copy is needed on this request (staff's recorded reason).
    reason: Option<String>,
}

impl UploadPage {
    /// Shows why a copy is needed on this request (EDPB Guidelines 01/2022 §§69, 73-77).
    pub fn with_reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }

    pub fn new(
        state: UploadState,
        problem: Option<UploadProblem>,
        action: String,
        held_since: Option<String>,
        max_bytes: usize,
        language: Language,
    ) -> Self {
        Self {
            state: match state {
                UploadState::Ready => "ready",
                UploadState::Received => "received",
                UploadState::NotNeeded => "not_needed",
            },
            error: match problem {
                None => "",
                Some(UploadProblem::WrongType) => "type",
                Some(UploadProblem::TooLarge) => "size",
                Some(UploadProblem::Empty) => "empty",
            },
            action,
            held_since,
            reason: None,
            max_mb: u64::try_from(max_bytes / (1024 * 1024)).unwrap_or(10),
            today: labels::date(
                crate::domain::deadline::amsterdam_date(Utc::now()),
                language,
            ),
        }
    }
}

/// One page in Dutch and English: `render(language, common, view)`.
macro_rules! page_templates {
    ($module:ident, $view:ident, $nl:literal, $en:literal) => {
        mod $module {
            use askama::Template;

            use super::{PageCommon, $view};
            use crate::domain::Language;

            #[derive(Template)]
            #[template(path = $nl)]
            struct Nl<'a> {
                p: &'a PageCommon,
                v: &'a $view,
            }

            #[derive(Template)]
            #[template(path = $en)]
            struct En<'a> {
                p: &'a PageCommon,
                v: &'a $view,
            }

            pub(super) fn render(
                language: Language,
                p: &PageCommon,
                v: &$view,
            ) -> Result<String, askama::Error> {
                match language {
                    Language::Nl => Nl { p, v }.render(),
                    Language::En => En { p, v }.render(),
                }
            }
        }
    };
}

pub(crate) use page_templates;

page_templates!(
    notice_t,
    NoticeView,
    "pages/nl/notice.html",
    "pages/en/notice.html"
);
page_templates!(
    status_t,
    StatusPage,
    "pages/nl/status.html",
    "pages/en/status.html"
);
page_templates!(
    withdraw_t,
    WithdrawPage,
    "pages/nl/withdraw.html",
    "pages/en/withdraw.html"
);
page_templates!(
    upload_t,
    UploadPage,
    "pages/nl/id_document.html",
    "pages/en/id_document.html"
);

/// A page with the headers every page gets.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .body(body)
}

pub fn rendered(status: StatusCode, r: Result<String, askama::Error>) -> HttpResponse {
    match r {
        Ok(body) => html(status, body),
        Err(e) => {
            // Templates are checked at compile time; this is a bug, never input.
            tracing::error!(error = %e, "rendering a page failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("something went wrong on our side")
        }
    }
}

fn notice_title(n: &Notice, language: Language) -> &'static str {
    match (n, language) {
        (Notice::Confirmed { .. }, Language::Nl) => "E-mailadres bevestigd",
        (Notice::Confirmed { .. }, Language::En) => "E-mail address confirmed",
        (Notice::Used, Language::Nl) => "Link al gebruikt",
        (Notice::Used, Language::En) => "Link used already",
        (Notice::Expired, Language::Nl) => "Link verlopen",
        (Notice::Expired, Language::En) => "Link expired",
        (Notice::Invalid, Language::Nl) => "Link klopt niet",
        (Notice::Invalid, Language::En) => "Link not valid",
        (Notice::RateLimited { .. }, Language::Nl) => "Even geduld",
        (Notice::RateLimited { .. }, Language::En) => "Please wait",
        (Notice::Unavailable, Language::Nl) => "Er ging iets mis",
        (Notice::Unavailable, Language::En) => "Something went wrong",
        (Notice::UnknownForm, Language::Nl) => "Formulier niet gevonden",
        (Notice::UnknownForm, Language::En) => "Form not found",
        (Notice::FormExpired, Language::Nl) => "Formulier verlopen",
        (Notice::FormExpired, Language::En) => "Form expired",
    }
}

/// A notice page.
pub fn notice(
    status: StatusCode,
    notice: Notice,
    language: Language,
    processor: &str,
    reference: Option<&str>,
) -> HttpResponse {
    let p = PageCommon::new(
        language,
        notice_title(&notice, language),
        processor,
        reference,
    );
    let retry = match &notice {
        Notice::RateLimited { retry_after } => Some(*retry_after),
        _ => None,
    };
    let v = NoticeView {
        kind: match &notice {
            Notice::Confirmed { .. } => "confirmed",
            Notice::Used => "used",
            Notice::Expired => "expired",
            Notice::Invalid => "invalid",
            Notice::RateLimited { .. } => "rate_limited",
            Notice::Unavailable => "unavailable",
            Notice::UnknownForm => "unknown_form",
            Notice::FormExpired => "form_expired",
        },
        status_url: match notice {
            Notice::Confirmed { status_url } => status_url,
            _ => None,
        },
        retry_after: retry.unwrap_or(0),
    };
    let mut response = rendered(status, notice_t::render(language, &p, &v));
    if let Some(secs) = retry
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// An error as a page: the same status code the JSON answer would have, and a clear text.
/// Errors on our side are logged (without internals on the page).
pub fn error_page(
    e: &AppError,
    language: Language,
    processor: &str,
    reference: Option<&str>,
) -> HttpResponse {
    let status = e.status_code();
    let n = match e {
        AppError::Gone { code, .. } if *code == "link_expired" => Notice::Expired,
        AppError::Gone { .. } => Notice::Used,
        AppError::RateLimited { retry_after_secs } => Notice::RateLimited {
            retry_after: *retry_after_secs,
        },
        AppError::Unauthorized(_)
        | AppError::Validation(_)
        | AppError::NotFound
        | AppError::MalformedBody(_)
        | AppError::Forbidden(_) => Notice::Invalid,
        _ => {
            if status.is_server_error() {
                // Logs the cause the way the JSON answer would.
                let _ = e.error_response();
            }
            Notice::Unavailable
        }
    };
    notice(status, n, language, processor, reference)
}

/// The status page, offering itself in the `other` language at `switch`.
pub fn status_page(
    page: &StatusPage,
    language: Language,
    processor: &str,
    status: StatusCode,
    switch: &str,
    other: Language,
) -> HttpResponse {
    let title = match language {
        Language::Nl => format!("Verzoek {}", page.reference),
        Language::En => format!("Request {}", page.reference),
    };
    let mut p = PageCommon::new(language, &title, processor, Some(&page.reference));
    p.switch_to(switch, other);
    rendered(status, status_t::render(language, &p, page))
}

/// The confirmation step before a withdrawal.
pub fn withdraw_page(page: &WithdrawPage, language: Language, processor: &str) -> HttpResponse {
    let title = match language {
        Language::Nl => "Verzoek intrekken",
        Language::En => "Withdraw the request",
    };
    let p = PageCommon::new(language, title, processor, Some(&page.reference));
    rendered(StatusCode::OK, withdraw_t::render(language, &p, page))
}

/// A 303 to `location` (after a post), with the headers every page gets.
pub fn see_other(location: &str) -> HttpResponse {
    let mut r = html(StatusCode::SEE_OTHER, String::new());
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The ID copy page.
pub fn upload_page(
    status: StatusCode,
    page: &UploadPage,
    language: Language,
    processor: &str,
    reference: &str,
) -> HttpResponse {
    let title = match language {
        Language::Nl => "Kopie identiteitsbewijs",
        Language::En => "Copy of your identity document",
    };
    let p = PageCommon::new(language, title, processor, Some(reference));
    rendered(status, upload_t::render(language, &p, page))
}

/// A status in the reader's language.
pub fn status_label(status: Status, language: Language) -> &'static str {
    match (status, language) {
        (Status::AwaitingVerification, Language::Nl) => "wacht op bevestiging van uw e-mailadres",
        (Status::AwaitingVerification, Language::En) => {
            "waiting for you to confirm your e-mail address"
        }
        (Status::Received, Language::Nl) => "ontvangen",
        (Status::Received, Language::En) => "received",
        (Status::Forwarded, Language::Nl) => "doorgestuurd naar de verwerkingsverantwoordelijke",
        (Status::Forwarded, Language::En) => "forwarded to the controller",
        // Receipt confirmed, not "granted": the controller has not decided anything yet.
        (Status::Acknowledged, Language::Nl) => {
            "de verwerkingsverantwoordelijke heeft de ontvangst bevestigd"
        }
        (Status::Acknowledged, Language::En) => "the controller has confirmed receipt",
        (Status::InProgress, Language::Nl) => "in behandeling",
        (Status::InProgress, Language::En) => "in progress",
        (Status::Completed, Language::Nl) => "afgehandeld",
        (Status::Completed, Language::En) => "completed",
        (Status::Refused, Language::Nl) => "afgewezen",
        (Status::Refused, Language::En) => "refused",
        (Status::Withdrawn, Language::Nl) => "ingetrokken",
        (Status::Withdrawn, Language::En) => "withdrawn",
    }
}

/// A public history line's kind in the reader's language.
pub fn event_label(kind: &str, language: Language) -> String {
    let (nl, en) = match kind {
        "received" => ("Verzoek ontvangen", "Request received"),
        "verified" => ("E-mailadres bevestigd", "E-mail address confirmed"),
        "forwarded" => (
            "Doorgestuurd naar de verwerkingsverantwoordelijke",
            "Forwarded to the controller",
        ),
        "acknowledged" => (
            "Ontvangst bevestigd door de verwerkingsverantwoordelijke",
            "The controller confirmed receipt",
        ),
        "started" => ("Behandeling begonnen", "Handling started"),
        "extended" => ("Termijn verlengd", "Period extended"),
        "identity_requested" => (
            "Gegevens gevraagd om uw identiteit vast te stellen",
            "Information asked to establish your identity",
        ),
        "identity_confirmed" => ("Identiteit vastgesteld", "Identity established"),
        "id_document_uploaded" => (
            "Kopie identiteitsbewijs ontvangen",
            "Copy of identity document received",
        ),
        "id_document_deleted" => (
            "Kopie identiteitsbewijs verwijderd",
            "Copy of identity document deleted",
        ),
        "completed" => ("Afgehandeld", "Completed"),
        "answered" => ("Uw antwoord ontvangen", "Your answer received"),
        "download_code_sent" => ("Downloadcode gemaild", "Download code e-mailed"),
        "bundle_downloaded" => ("Uw gegevens gedownload", "Your data downloaded"),
        "refused" => ("Afgewezen", "Refused"),
        "withdrawn" => ("Ingetrokken", "Withdrawn"),
        "execution_planned" => ("Uitvoering voorbereid", "Execution planned"),
        "execution_approved" => (
            "Uitvoering goedgekeurd door de verwerkingsverantwoordelijke",
            "Execution approved by the controller",
        ),
        "execution_done" => ("Uitgevoerd in de systemen", "Carried out in the systems"),
        "execution_failed" => ("Uitvoering mislukt", "Execution failed"),
        "recipient_notified" => (
            "Ontvanger van uw gegevens ingelicht",
            "Recipient of your data informed",
        ),
        "rectification_disputed" => (
            "Juistheid betwist: vastgelegd bij het verzoek",
            "Accuracy disputed: recorded with the request",
        ),
        "restriction_lift_notified" => (
            "U is gemeld dat de beperking wordt opgeheven",
            "You were told the restriction will be lifted",
        ),
        other => (other, other),
    };
    match language {
        Language::Nl => nl.to_owned(),
        Language::En => en.to_owned(),
    }
}

/// A request kind's label (shared with the mails).
pub fn kind_label(kind: RequestKind, language: Language) -> String {
    labels::kind_label(kind, language)
}

/// A date the way the mails write it.
pub fn date(d: NaiveDate, language: Language) -> String {
    labels::date(d, language)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn req(headers: &[(&str, &str)]) -> HttpRequest {
        let mut r = TestRequest::default();
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        r.to_http_request()
    }

    #[test]
    fn browsers_get_pages_api_clients_json() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(wants_html(&req(&[("Accept", firefox)])));
        assert!(!wants_html(&req(&[])));
        assert!(!wants_html(&req(&[("Accept", "application/json")])));
        assert!(!wants_html(&req(&[("Accept", "*/*")])));
        assert!(!wants_html(&req(&[("Accept", "text/html;q=0")])));
        assert!(wants_html(&req(&[("Accept", "text/html;q=0.5")])));
    }

    #[test]
    fn the_browser_language_picks_nl_or_en() {
        let lang = |v: &str| browser_language(&req(&[("Accept-Language", v)]));
        assert_eq!(lang("en-GB,en;q=0.9,nl;q=0.8"), Language::En);
        assert_eq!(lang("de-DE,nl;q=0.5,en;q=0.4"), Language::Nl);
        assert_eq!(lang("nl-NL"), Language::Nl);
        assert_eq!(lang("fr"), Language::Nl);
        assert_eq!(browser_language(&req(&[])), Language::Nl);
    }

    #[test]
    fn notices_render_in_both_languages_with_safe_headers() {
        for language in [Language::Nl, Language::En] {
            for n in [
                Notice::Confirmed {
                    status_url: Some("https://x.example/s?token=a&b".into()),
                },
                Notice::Used,
                Notice::Expired,
                Notice::Invalid,
                Notice::RateLimited { retry_after: 7 },
                Notice::Unavailable,
            ] {
                let r = notice(
                    StatusCode::OK,
                    n.clone(),
                    language,
                    "Host B.V.",
                    Some("DSR-2026-000001"),
                );
                assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
                assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");
                assert!(r.headers().get("content-security-policy").is_some());
                if matches!(n, Notice::RateLimited { .. }) {
                    assert_eq!(r.headers().get("retry-after").unwrap(), "7");
                }
            }
        }
    }
}
