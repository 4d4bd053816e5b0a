//! The subject's request form (CONTRACT.md, Web pages): `GET|POST /t/{slug}` for one
//! organisation, and `GET|POST /` where the subject picks the organisation from the listed
//! tenants or names it in free text (then the request arrives without a tenant, for support
//! to assign). A post files the request through the API's own intake path
//! (`http::intake::file_parsed`): the same validation, limits, rate limits and mails; then a
//! page "check your mailbox" with the reference. The status link comes only by mail.
//!
//! No JavaScript; errors sit next to their fields (`aria-describedby`) with a summary on top;
//! a public form, so a double-submit token (an `HttpOnly`, `SameSite=Strict` cookie and the
//! same value in the form) and an `Origin` check guard it against cross-site posts. Nothing
//! personal goes into an address: the form posts its fields in the body.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::console::{read_cookie, set_cookie};
use super::intake::{IntakeBody, file_parsed};
use super::pages::{self, PageCommon};
use crate::domain::{Language, RequestKind};
use crate::error::AppError;
use crate::service::console::random_secret;
use crate::state::AppState;

/// Registers the subject's pages: the request form and the status page's forms (like the
/// console, pages and not API routes: the OpenAPI document lists neither).
pub fn configure(cfg: &mut web::ServiceConfig) {
    use super::subject;
    // Bodies are small forms; a bad one is the contract's 400 (the console sets its own).
    cfg.app_data(
        web::FormConfig::default()
            .limit(64 * 1024)
            .error_handler(|e, _| AppError::MalformedBody(e.to_string()).into()),
    )
    .route("/", web::get().to(root_form))
    .route("/", web::post().to(root_submit))
    .route("/t/{slug}", web::get().to(tenant_form))
    .route("/t/{slug}", web::post().to(tenant_submit))
    .route(
        "/status/{reference}/withdraw",
        web::post().to(subject::withdraw),
    )
    .route(
        "/status/{reference}/answer",
        web::post().to(subject::answer),
    )
    .route(
        "/status/{reference}/code",
        web::post().to(subject::send_download_code),
    )
    .route(
        "/status/{reference}/download",
        web::post().to(subject::download),
    );
}

/// The form's token before anything is filed (double submit).
pub const FORM_COOKIE: &str = "inzage_form";

/// The seven rights, in the order a layperson meets them: (value, article, Dutch label and
/// what it gets you, English label and what it gets you).
const RIGHTS: [(RequestKind, &str, &str, &str, &str, &str); 7] = [
    (
        RequestKind::Access,
        "15",
        "Inzage",
        "U krijgt te horen of de organisatie gegevens over u verwerkt, en zo ja welke, waarvoor, van wie ze komen, aan wie ze worden gegeven en hoe lang ze worden bewaard, met een kopie van de gegevens.",
        "Access",
        "You learn whether the organisation processes data about you and, if so, which data, for what purpose, where it came from, who receives it and how long it is kept, with a copy of the data.",
    ),
    (
        RequestKind::Rectification,
        "16",
        "Correctie",
        "Gegevens over u die niet kloppen worden verbeterd, en onvolledige gegevens aangevuld. Schrijf hieronder wat er niet klopt.",
        "Rectification",
        "Data about you that is wrong is corrected, and incomplete data completed. Write below what is wrong.",
    ),
    (
        RequestKind::Erasure,
        "17",
        "Verwijdering",
        "Uw gegevens worden gewist, bijvoorbeeld als ze niet meer nodig zijn of u uw toestemming intrekt. Soms moet de organisatie gegevens bewaren, bijvoorbeeld facturen voor de belasting; dan hoort u dat.",
        "Erasure",
        "Your data is erased, for example when it is no longer needed or you withdraw your consent. Sometimes the organisation must keep data, such as invoices for the tax authority; then you are told so.",
    ),
    (
        RequestKind::Restriction,
        "18",
        "Beperking",
        "De organisatie mag uw gegevens tijdelijk alleen nog bewaren en niet anders gebruiken, bijvoorbeeld terwijl wordt nagegaan of ze kloppen.",
        "Restriction",
        "The organisation may for a while only keep your data and not otherwise use it, for example while it checks whether the data is correct.",
    ),
    (
        RequestKind::Portability,
        "20",
        "Overdracht",
        "U krijgt de gegevens die u zelf aan de organisatie gaf in een bestand dat een computer kan lezen, zodat u ze aan een andere organisatie kunt geven.",
        "Portability",
        "You get the data you gave the organisation yourself in a file a computer can read, so you can take it to another organisation.",
    ),
    (
        RequestKind::Objection,
        "21",
        "Bezwaar",
        "De organisatie stopt met het gebruik van uw gegevens waartegen u bezwaar maakt, tenzij zij zwaarwegende redenen heeft. Tegen direct marketing werkt bezwaar altijd.",
        "Objection",
        "The organisation stops using your data in the way you object to, unless it has compelling reasons. An objection to direct marketing always works.",
    ),
    (
        RequestKind::AutomatedDecision,
        "22",
        "Besluit door een computer",
        "Nam een computer zonder mens een besluit over u dat u raakt? Dan kunt u vragen dat een mens ernaar kijkt, uw standpunt geven en het besluit aanvechten.",
        "Decision by a computer",
        "Did a computer decide something about you that affects you, without a person involved? Then you can ask for a person to look at it, give your view and contest the decision.",
    ),
];

/// One right on the form.
pub struct RightOption {
    pub value: &'static str,
    pub label: &'static str,
    pub article: &'static str,
    pub explain: &'static str,
}

/// The form page, ready to render.
pub struct FormPage {
    /// Where the form posts (no personal data: the page's own path and language).
    pub action: String,
    /// The organisation of `/t/{slug}`.
    pub tenant: Option<String>,
    /// The listed organisations of `/`: (slug, name).
    pub listed: Vec<(String, String)>,
    pub csrf: String,
    pub rights: Vec<RightOption>,
    pub values: HashMap<String, String>,
    /// Field → message, in the page's language, in the order of the form.
    pub errors: Vec<(&'static str, String)>,
    /// A problem not tied to one field (an expired form, too many requests).
    pub general: Option<String>,
}

impl FormPage {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn val(&self, field: &str) -> &str {
        self.values
            .get(field)
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub fn checked(&self, field: &str, value: &str) -> bool {
        self.val(field) == value
    }
}

/// The page after filing.
pub struct FiledPage {
    pub reference: String,
    pub email: String,
    pub tenant: Option<String>,
}

pages::page_templates!(form_t, FormPage, "pages/nl/form.html", "pages/en/form.html");
pages::page_templates!(
    filed_t,
    FiledPage,
    "pages/nl/filed.html",
    "pages/en/filed.html"
);

/// The page's language: `?lang=`, else the browser's.
fn page_language(req: &HttpRequest) -> (Language, bool) {
    match pages::query_language(req) {
        Some(l) => (l, true),
        None => (pages::browser_language(req), false),
    }
}

fn rights(language: Language) -> Vec<RightOption> {
    RIGHTS
        .iter()
        .map(|(kind, article, nl, nl_text, en, en_text)| RightOption {
            value: kind.as_str(),
            article,
            label: match language {
                Language::Nl => nl,
                Language::En => en,
            },
            explain: match language {
                Language::Nl => nl_text,
                Language::En => en_text,
            },
        })
        .collect()
}

/// What the form needs to know about the organisation.
enum Target {
    /// `/t/{slug}`: the tenant's name.
    Tenant { slug: String, name: String },
    /// `/`: the listed tenants.
    Pick { listed: Vec<(String, String)> },
}

async fn target(
    state: &web::Data<AppState>,
    slug: Option<String>,
) -> Result<Option<Target>, AppError> {
    state
        .db
        .run(move |conn| {
            Ok::<_, AppError>(match slug {
                Some(slug) => {
                    crate::service::queries::tenant_by_slug(conn, &slug)?.map(|t| Target::Tenant {
                        slug: t.slug,
                        name: t.name,
                    })
                }
                None => Some(Target::Pick {
                    listed: crate::service::queries::listed_tenants(conn)?
                        .into_iter()
                        .map(|t| (t.slug, t.name))
                        .collect(),
                }),
            })
        })
        .await
}

fn action_of(target: &Target, language: Language) -> String {
    match target {
        Target::Tenant { slug, .. } => format!("/t/{slug}?lang={}", language.as_str()),
        Target::Pick { .. } => format!("/?lang={}", language.as_str()),
    }
}

fn title(target: &Target, language: Language) -> String {
    match (target, language) {
        (Target::Tenant { name, .. }, Language::Nl) => {
            format!("Verzoek over uw gegevens bij {name}")
        }
        (Target::Tenant { name, .. }, Language::En) => format!("Request about your data at {name}"),
        (Target::Pick { .. }, Language::Nl) => "Verzoek over uw gegevens".to_owned(),
        (Target::Pick { .. }, Language::En) => "Request about your data".to_owned(),
    }
}

/// Renders the form with its token cookie.
fn render_form(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    target: &Target,
    language: Language,
    mut page: FormPage,
) -> HttpResponse {
    let token = read_cookie(req, FORM_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(random_secret);
    page.csrf = token.clone();
    let mut common = PageCommon::new(
        language,
        &title(target, language),
        &state.settings.processor_name,
        None,
    );
    common.switch_to(&action_of(target, other(language)), other(language));
    let mut r = pages::rendered(status, form_t::render(language, &common, &page));
    set_cookie(
        &mut r,
        FORM_COOKIE,
        &token,
        "/",
        None,
        state.settings.public_url.starts_with("https://"),
    );
    r
}

fn other(language: Language) -> Language {
    match language {
        Language::Nl => Language::En,
        Language::En => Language::Nl,
    }
}

fn empty_page(target: &Target, language: Language) -> FormPage {
    let mut values = HashMap::new();
    values.insert("language".to_owned(), language.as_str().to_owned());
    FormPage {
        action: action_of(target, language),
        tenant: match target {
            Target::Tenant { name, .. } => Some(name.clone()),
            Target::Pick { .. } => None,
        },
        listed: match target {
            Target::Pick { listed } => listed.clone(),
            Target::Tenant { .. } => Vec::new(),
        },
        csrf: String::new(),
        rights: rights(language),
        values,
        errors: Vec::new(),
        general: None,
    }
}

fn unknown_tenant(state: &AppState, language: Language) -> HttpResponse {
    pages::notice(
        StatusCode::NOT_FOUND,
        pages::Notice::UnknownForm,
        language,
        &state.settings.processor_name,
        None,
    )
}

async fn show(req: HttpRequest, state: web::Data<AppState>, slug: Option<String>) -> HttpResponse {
    let (language, _) = page_language(&req);
    match target(&state, slug).await {
        Ok(Some(t)) => {
            let page = empty_page(&t, language);
            render_form(&state, &req, StatusCode::OK, &t, language, page)
        }
        Ok(None) => unknown_tenant(&state, language),
        Err(e) => pages::error_page(&e, language, &state.settings.processor_name, None),
    }
}

/// `GET /`: the form where the subject first picks the organisation.
pub async fn root_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    show(req, state, None).await
}

/// `GET /t/{slug}`: the organisation's form.
pub async fn tenant_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    show(req, state, Some(path.into_inner())).await
}

/// `POST /`.
pub async fn root_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    submit(req, state, None, form.into_inner()).await
}

/// `POST /t/{slug}`.
pub async fn tenant_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    submit(req, state, Some(path.into_inner()), form.into_inner()).await
}

/// Whether a post came from a page of ours: the double-submit token matches, and an `Origin`
/// the browser sent names this host.
pub fn same_site_post(req: &HttpRequest, form: &HashMap<String, String>) -> bool {
    let expected = read_cookie(req, FORM_COOKIE).unwrap_or_default();
    let given = form.get("csrf").map(String::as_str).unwrap_or_default();
    if !crate::crypto::same_text(given, &expected) {
        return false;
    }
    // Our pages send `Referrer-Policy: no-referrer`, so a browser posts them with `Origin:
    // null`: that tells nothing, and the token (its cookie is `SameSite=Strict`) decides.
    match req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    {
        None | Some("null") => true,
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(&host))
        }
    }
}

/// The form's fields as the API's intake body (the one parser both use).
fn intake_body(form: &HashMap<String, String>, tenant_slug: Option<&str>) -> serde_json::Value {
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut subject = serde_json::Map::new();
    for k in ["name", "email", "phone"] {
        if let Some(v) = field(k) {
            subject.insert(k.to_owned(), v.into());
        }
    }
    let mut body = serde_json::Map::new();
    body.insert("subject".to_owned(), subject.into());
    for k in ["kind", "details", "language"] {
        if let Some(v) = field(k) {
            body.insert(k.to_owned(), v.into());
        }
    }
    // `/t/{slug}` names its tenant; on `/` a listed slug, or the organisation in the
    // subject's words (an unknown name files the request without a tenant).
    let tenant = match tenant_slug {
        Some(slug) => Some(slug.to_owned()),
        None => match field("tenant").as_deref() {
            Some("other") | None => field("tenant_other"),
            Some(slug) => Some(slug.to_owned()),
        },
    };
    if let Some(t) = tenant {
        body.insert("tenant".to_owned(), t.into());
    }
    body.into()
}

/// The form's field for a path of the API's body.
fn form_field(path: &str) -> &'static str {
    match path {
        "subject.name" => "name",
        "subject.email" => "email",
        "subject.phone" => "phone",
        "details" => "details",
        "language" => "language",
        "tenant" => "tenant",
        _ => "kind",
    }
}

/// A field problem in the page's language: what to do, not what the parser found.
fn field_message(field: &str, problem: &str, language: Language) -> String {
    let missing = problem.contains("required");
    let nl = match (field, missing) {
        ("kind", _) => "Kies welk recht u wilt gebruiken.",
        ("name", true) => "Vul uw naam in.",
        ("name", false) => "Vul uw naam in, met ten hoogste 200 tekens.",
        ("email", true) => "Vul uw e-mailadres in.",
        ("email", false) => "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
        ("phone", _) => {
            "Vul een geldig telefoonnummer in, zoals 06 12345678, of laat het veld leeg."
        }
        ("details", _) => "Uw toelichting is te lang: ten hoogste 10.000 tekens.",
        ("language", _) => "Kies Nederlands of Engels.",
        _ => "Noem de organisatie.",
    };
    let en = match (field, missing) {
        ("kind", _) => "Choose which right you want to use.",
        ("name", true) => "Enter your name.",
        ("name", false) => "Enter your name, in at most 200 characters.",
        ("email", true) => "Enter your e-mail address.",
        ("email", false) => "Enter a valid e-mail address, like name@example.com.",
        ("phone", _) => "Enter a valid phone number, like +31 6 12345678, or leave it empty.",
        ("details", _) => "Your explanation is too long: at most 10,000 characters.",
        ("language", _) => "Choose Dutch or English.",
        _ => "Name the organisation.",
    };
    match language {
        Language::Nl => nl.to_owned(),
        Language::En => en.to_owned(),
    }
}

const ORDER: [&str; 7] = [
    "tenant", "kind", "name", "email", "phone", "details", "language",
];

fn field_errors(
    fields: &BTreeMap<String, String>,
    language: Language,
) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for (path, problem) in fields {
        let f = form_field(path);
        if !out.iter().any(|(g, _)| *g == f) {
            out.push((f, field_message(f, problem, language)));
        }
    }
    out.sort_by_key(|(f, _)| ORDER.iter().position(|o| o == f));
    out
}

fn general_message(key: &str, language: Language) -> String {
    let (nl, en) = match key {
        "csrf" => (
            "Dit formulier was verlopen. Controleer uw gegevens en verstuur het opnieuw.",
            "This form had expired. Check your details and send it again.",
        ),
        "rate" => (
            "Er zijn in korte tijd veel verzoeken verstuurd. Wacht even en probeer het opnieuw.",
            "Many requests were sent in a short time. Please wait a moment and try again.",
        ),
        _ => (
            "Het versturen lukte niet. Probeer het later opnieuw; er is niets verloren gegaan.",
            "Sending did not work. Please try again later; nothing was lost.",
        ),
    };
    match language {
        Language::Nl => nl.to_owned(),
        Language::En => en.to_owned(),
    }
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: Option<String>,
    form: HashMap<String, String>,
) -> HttpResponse {
    let (language, _) = page_language(&req);
    let target = match target(&state, slug.clone()).await {
        Ok(Some(t)) => t,
        Ok(None) => return unknown_tenant(&state, language),
        Err(e) => return pages::error_page(&e, language, &state.settings.processor_name, None),
    };
    let mut page = empty_page(&target, language);
    for k in [
        "tenant",
        "tenant_other",
        "kind",
        "name",
        "email",
        "phone",
        "details",
        "language",
    ] {
        if let Some(v) = form.get(k) {
            page.values.insert(k.to_owned(), v.clone());
        }
    }
    if !same_site_post(&req, &form) {
        tracing::warn!("subject form without a valid token refused");
        page.general = Some(general_message("csrf", language));
        return render_form(&state, &req, StatusCode::FORBIDDEN, &target, language, page);
    }
    // The same checks in the same order as the API's public intake.
    if let Err(e) = state.limits.check_ip(&req) {
        page.general = Some(general_message("rate", language));
        return with_retry(
            render_form(
                &state,
                &req,
                StatusCode::TOO_MANY_REQUESTS,
                &target,
                language,
                page,
            ),
            &e,
        );
    }
    let slug = match &target {
        Target::Tenant { slug, .. } => Some(slug.as_str()),
        Target::Pick { .. } => None,
    };
    let body_json = intake_body(&form, slug);
    let raw = body_json.to_string().into_bytes();
    let body: IntakeBody = match super::body::from_value(body_json) {
        Ok(b) => b,
        Err(e) => return pages::error_page(&e, language, &state.settings.processor_name, None),
    };
    // The form's token makes a second press of the button the same request, not another.
    let key = form
        .get("csrf")
        .map(|c| format!("form:{}", c.chars().take(64).collect::<String>()));
    match file_parsed(&state, None, &body, &raw, key).await {
        Ok(filed) => {
            let common = PageCommon::new(
                language,
                match language {
                    Language::Nl => "Kijk in uw mailbox",
                    Language::En => "Check your mailbox",
                },
                &state.settings.processor_name,
                Some(&filed.request.reference),
            );
            let page = FiledPage {
                reference: filed.request.reference.clone(),
                email: filed.request.subject_email.clone(),
                tenant: match &target {
                    Target::Tenant { name, .. } => Some(name.clone()),
                    Target::Pick { .. } => None,
                },
            };
            // A fresh token for the next form: this one named this request.
            let mut r = pages::rendered(StatusCode::OK, filed_t::render(language, &common, &page));
            set_cookie(
                &mut r,
                FORM_COOKIE,
                &random_secret(),
                "/",
                None,
                state.settings.public_url.starts_with("https://"),
            );
            r
        }
        Err(AppError::Validation(fields)) => {
            page.errors = field_errors(&fields, language);
            render_form(
                &state,
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                &target,
                language,
                page,
            )
        }
        Err(e @ AppError::RateLimited { .. }) => {
            page.general = Some(general_message("rate", language));
            with_retry(
                render_form(
                    &state,
                    &req,
                    StatusCode::TOO_MANY_REQUESTS,
                    &target,
                    language,
                    page,
                ),
                &e,
            )
        }
        Err(e) => pages::error_page(&e, language, &state.settings.processor_name, None),
    }
}

fn with_retry(mut r: HttpResponse, e: &AppError) -> HttpResponse {
    if let AppError::RateLimited { retry_after_secs } = e
        && let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_maps_to_the_api_body() {
        let mut form = HashMap::new();
        for (k, v) in [
            ("kind", "access"),
            ("name", " Anna "),
            ("email", "anna@example.nl"),
            ("phone", ""),
            ("details", ""),
            ("tenant", "other"),
            ("tenant_other", "Sportclub X"),
            ("csrf", "x"),
        ] {
            form.insert(k.to_owned(), v.to_owned());
        }
        let body = intake_body(&form, None);
        assert_eq!(body["subject"]["name"], "Anna");
        assert!(body["subject"].get("phone").is_none());
        assert!(body.get("details").is_none() && body.get("csrf").is_none());
        assert_eq!(body["tenant"], "Sportclub X");
        assert_eq!(intake_body(&form, Some("acme"))["tenant"], "acme");
        form.insert("tenant".into(), "acme".into());
        assert_eq!(intake_body(&form, None)["tenant"], "acme");
    }

    #[test]
    fn every_right_is_explained_in_both_languages_with_its_article() {
        for language in [Language::Nl, Language::En] {
            let r = rights(language);
            assert_eq!(r.len(), 7);
            for o in &r {
                assert!(o.value.parse::<RequestKind>().is_ok());
                assert!(!o.explain.is_empty() && !o.article.is_empty());
            }
        }
    }

    #[test]
    fn field_errors_are_in_the_form_order_and_language() {
        let mut f = BTreeMap::new();
        f.insert(
            "subject.email".to_owned(),
            "is not a valid e-mail address".to_owned(),
        );
        f.insert("kind".to_owned(), "is required".to_owned());
        let e = field_errors(&f, Language::Nl);
        assert_eq!(e[0].0, "kind");
        assert_eq!(e[1].0, "email");
        assert!(e[1].1.contains("geldig e-mailadres"));
    }
}
