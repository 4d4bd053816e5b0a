//! The request page's "Uitvoering / Execution" block: make a plan (rectification: one change
//! per form), see its tables (system, table, action, rows, columns, reason), approve it
//! (controller, admin), follow its progress, and reach the certificate once done. The same
//! services as the API; every view of a plan is an audit entry.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};

use super::{Console, request_path, see_other};
use crate::auth::Principal;
use crate::domain::certificate::TableAction;
use crate::domain::{Language, RequestKind, Role};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::reference_path;
use crate::mail::labels::date_time;
use crate::service::execution::{PlanBody, PlanDetail, approve_plan, create_plan, show_plan};
use crate::state::AppState;
use crate::tenant_data::exec_sql::{Change, NewValue};

/// One table row of the plan as shown.
pub struct ExecRow {
    pub system: String,
    pub table: String,
    pub action: &'static str,
    pub rows: u64,
    pub executed: Option<u64>,
    pub columns: String,
    pub reason: String,
}

/// The block on the request page.
pub struct ExecBox {
    /// Whether the request's kind has a plan (rectification, erasure, restriction).
    pub applies: bool,
    pub rectification: bool,
    pub restriction: bool,
    /// `none`, `grant` (support without a grant), or the plan's state.
    pub state: String,
    pub plan_id: String,
    pub lift: bool,
    pub rows: Vec<ExecRow>,
    pub recipients: Vec<(String, Option<String>)>,
    pub rows_done: i64,
    pub error: Option<String>,
    pub finished: Option<String>,
    pub may_plan: bool,
    pub may_approve: bool,
    pub certificate: Option<String>,
    pub lang: Language,
}

impl ExecBox {
    pub fn running(&self) -> bool {
        self.state == "approved" || self.state == "running"
    }

    /// The block's words in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        text(key, self.lang)
    }
}

fn text(key: &str, lang: Language) -> &'static str {
    let (nl, en) = match key {
        "title" => ("Uitvoering", "Execution"),
        "intro" => (
            "Wat de verwijdering, correctie of beperking in de systemen van de \
             verwerkingsverantwoordelijke doet. Het plan is geteld door de opdrachten uit te \
             voeren en terug te draaien; na goedkeuring door de verwerkingsverantwoordelijke \
             voert inzage ze uit, per systeem in één transactie.",
            "What the erasure, rectification or restriction does in the controller's systems. \
             The plan was counted by running its statements and rolling them back; once the \
             controller approves, inzage carries them out, one transaction per system.",
        ),
        "grant" => (
            "Het plan is gegevens van de klant: alleen met een lopende toegang.",
            "The plan is the customer's data: only with a running access grant.",
        ),
        "none" => ("Nog geen plan.", "No plan yet."),
        "system" => ("Systeem", "System"),
        "table" => ("Tabel", "Table"),
        "action" => ("Actie", "Action"),
        "rows" => ("Rijen", "Rows"),
        "columns" => ("Kolommen", "Columns"),
        "reason" => ("Reden", "Reason"),
        "recipients" => ("Ontvangers (art. 19 AVG)", "Recipients (Art. 19 GDPR)"),
        "mailed" => ("krijgt bericht van inzage", "mailed by inzage"),
        "tell" => ("zelf inlichten", "to be told by the controller"),
        "make" => ("Plan maken", "Make a plan"),
        "remake" => ("Nieuw plan maken", "Make a new plan"),
        "lift" => (
            "Plan om de beperking op te heffen",
            "Plan to lift the restriction",
        ),
        "approve" => ("Goedkeuren en uitvoeren", "Approve and carry out"),
        "approve_hint" => (
            "Alleen de verwerkingsverantwoordelijke (of een beheerder) keurt goed.",
            "Only the controller (or an admin) approves.",
        ),
        "running" => ("Wordt uitgevoerd", "Being carried out"),
        "done" => ("Uitgevoerd", "Carried out"),
        "failed" => (
            "Mislukt (wordt opnieuw geprobeerd)",
            "Failed (will be retried)",
        ),
        "draft" => ("Concept: wacht op goedkeuring", "Draft: awaiting approval"),
        "superseded" => (
            "Vervangen door een nieuwer plan",
            "Replaced by a newer plan",
        ),
        "certificate" => ("Verklaring van uitvoering", "Certificate of execution"),
        "change_system" => ("Systeem", "System"),
        "change_table" => ("Tabel", "Table"),
        "change_column" => ("Kolom", "Column"),
        "change_value" => (
            "Nieuwe waarde (leeg: geen waarde)",
            "New value (empty: no value)",
        ),
        "rows_done" => ("rijen verwerkt", "rows done"),
        _ => ("?", "?"),
    };
    match lang {
        Language::Nl => nl,
        Language::En => en,
    }
}

fn action_label(a: TableAction, lang: Language) -> &'static str {
    let (nl, en) = match a {
        TableAction::Delete => ("verwijderen", "delete"),
        TableAction::Mask => ("afschermen", "mask"),
        TableAction::Keep => ("bewaren", "keep"),
        TableAction::Update => ("corrigeren", "correct"),
        TableAction::Restrict => ("beperken", "restrict"),
        TableAction::Lift => ("beperking opheffen", "lift restriction"),
    };
    match lang {
        Language::Nl => nl,
        Language::En => en,
    }
}

/// The block for the request page, from the newest plan the principal may see
/// (`service::execution::current_plan`).
pub fn exec_box(
    plan: Option<PlanDetail>,
    principal: &Principal,
    kind: RequestKind,
    closed: bool,
    language: Language,
) -> ExecBox {
    let applies = matches!(
        kind,
        RequestKind::Rectification | RequestKind::Erasure | RequestKind::Restriction
    );
    let mut b = ExecBox {
        applies,
        rectification: kind == RequestKind::Rectification,
        restriction: kind == RequestKind::Restriction,
        state: "none".to_owned(),
        plan_id: String::new(),
        lift: false,
        rows: Vec::new(),
        recipients: Vec::new(),
        rows_done: 0,
        error: None,
        finished: None,
        may_plan: applies && !closed,
        may_approve: false,
        certificate: None,
        lang: language,
    };
    if !applies {
        return b;
    }
    let Some(d) = plan else {
        if principal.role == Role::Support {
            // Without a grant the plan is not shown (nor made).
            b.state = "grant".to_owned();
            b.may_plan = false;
        }
        return b;
    };
    fill(&mut b, &d, principal, language);
    b
}

fn fill(b: &mut ExecBox, d: &PlanDetail, principal: &Principal, language: Language) {
    b.state = d.plan.state.clone();
    b.plan_id = d.plan.id.clone();
    b.lift = d.plan.kind == "lift";
    b.error = d.plan.error.clone();
    b.finished = d.plan.finished_at.map(|t| date_time(t.and_utc(), language));
    for s in &d.systems {
        b.rows_done += s.rows_done;
        let executed = PlanDetail::executed(s).filter(|_| s.state == "done");
        for p in d.planned().into_iter().filter(|p| p.name == s.name) {
            for t in p.tables {
                b.rows.push(ExecRow {
                    system: s.name.clone(),
                    executed: executed
                        .as_ref()
                        .and_then(|e| e.iter().find(|x| x.name == t.name))
                        .map(|x| x.rows),
                    table: t.name,
                    action: action_label(t.action, language),
                    rows: t.rows,
                    columns: t.columns.join(", "),
                    reason: t.reason.unwrap_or_default(),
                });
            }
        }
    }
    b.recipients = d
        .recipients()
        .into_iter()
        .map(|r| (r.name, r.email))
        .collect();
    b.may_approve = b.state == "draft" && matches!(principal.role, Role::Admin | Role::Controller);
    b.may_plan = b.may_plan && !b.running() && b.state != "failed";
    if b.state == "done" {
        b.certificate = Some(format!("/api/v1/requests/{}/certificate.html", d.reference));
    }
}

/// The form's one change, or the field errors.
fn plan_body(form: &HashMap<String, String>) -> Result<PlanBody, FieldErrors> {
    if form.get("lift").is_some_and(|v| v == "true") {
        return Ok(PlanBody::Lift);
    }
    let field = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    if !form.contains_key("column") {
        return Ok(PlanBody::Plain);
    }
    let mut errors = FieldErrors::new();
    for k in ["system", "table", "column"] {
        if field(k).is_empty() {
            errors.insert(k.to_owned(), "is required".to_owned());
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let value = form.get("value").map(String::as_str).unwrap_or_default();
    Ok(PlanBody::Changes(vec![Change {
        system: field("system"),
        table: field("table"),
        column: field("column"),
        value: if value.is_empty() {
            NewValue::Null
        } else {
            NewValue::Text(value.to_owned())
        },
    }]))
}

/// Back to the block on the request page (a refusal is shown as the console's error page,
/// with the service's message).
fn back(reference: &str) -> HttpResponse {
    see_other(&format!("{}#execution", request_path(reference)))
}

/// `POST /console/requests/{reference}/plan`: make a plan (erasure and restriction: no
/// fields; lift: `lift=true`; rectification: `system`, `table`, `column`, `value`).
pub async fn make(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let principal = match c.require_form(&form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(reference) = reference_path(&path) else {
        return c.error(&AppError::NotFound);
    };
    let body = match plan_body(&form) {
        Ok(b) => b,
        Err(errors) => return c.error(&AppError::Validation(errors)),
    };
    let (st, r) = (state.clone(), reference.clone());
    let result = state
        .db
        .run(move |conn| create_plan(conn, &st, &principal, &r, body))
        .await;
    match result {
        Ok(_) => back(&reference),
        Err(e) => c.error(&e),
    }
}

/// `POST /console/requests/{reference}/plan/{id}/approve`.
pub async fn approve(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<(String, String)>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let principal = match c.require_form(&form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (reference, id) = path.into_inner();
    let Ok(reference) = reference_path(&reference) else {
        return c.error(&AppError::NotFound);
    };
    let (st, r) = (state.clone(), reference.clone());
    let result = state
        .db
        .run(move |conn| approve_plan(conn, &st, &principal, &r, &id))
        .await;
    match result {
        Ok(_) => back(&reference),
        Err(e) => c.error(&e),
    }
}

#[derive(serde::Serialize)]
struct Progress {
    state: String,
    rows_done: i64,
}

/// `GET /console/requests/{reference}/plan/{id}/progress`: the plan's state and rows done, for
/// the progress script.
pub async fn progress(
    state: web::Data<AppState>,
    c: Console,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let Some((principal, _)) = c.user.clone() else {
        return super::secure(HttpResponse::Unauthorized().finish());
    };
    let (reference, id) = path.into_inner();
    let Ok(reference) = reference_path(&reference) else {
        return super::secure(HttpResponse::NotFound().finish());
    };
    let result = state
        .db
        .run(move |conn| show_plan(conn, &principal, &reference, &id))
        .await;
    match result {
        Ok(d) => super::secure(HttpResponse::Ok().json(Progress {
            state: d.plan.state.clone(),
            rows_done: d.systems.iter().map(|s| s.rows_done).sum(),
        })),
        Err(e) => {
            use actix_web::ResponseError;
            super::secure(HttpResponse::build(e.status_code()).finish())
        }
    }
}
