//! `LEESMIJ.html` (Dutch) and `README.html` (English): the readable summary of a bundle with
//! the items GDPR art. 15(1) requires — purposes (a), categories (b), recipients (c),
//! retention (d), the rights to rectification, erasure, restriction and objection (e), the
//! right to complain to the Autoriteit Persoonsgegevens (f), the source (g), automated
//! decisions (h) — plus transfers (art. 15(2)) and the overview of systems (processing
//! agreement art. 7.6). Wording lives in `templates/bundle/`; this module prepares the values.

use askama::Template;

use super::BundleMeta;
use super::manifest::Overview;
use crate::domain::Language;
use crate::mail::labels;

/// Display-ready values for both templates.
struct View<'a> {
    controller: &'a str,
    controller_email: &'a str,
    processor: &'a str,
    reference: &'a str,
    kind: String,
    received: String,
    generated: String,
    overview: &'a Overview,
    tables: usize,
}

#[derive(Template)]
#[template(path = "bundle/leesmij.html")]
struct Leesmij<'a> {
    v: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "bundle/readme.html")]
struct Readme<'a> {
    v: &'a View<'a>,
}

pub(super) fn render(
    meta: &BundleMeta,
    overview: &Overview,
    language: Language,
) -> Result<String, askama::Error> {
    let v = View {
        controller: &meta.controller_name,
        controller_email: &meta.controller_email,
        processor: &meta.processor,
        reference: &meta.reference,
        kind: labels::kind_label(meta.kind, language),
        received: labels::date_time(meta.received_at, language),
        generated: labels::date_time(meta.generated_at, language),
        overview,
        tables: overview.systems.iter().map(|s| s.tables.len()).sum(),
    };
    match language {
        Language::Nl => Leesmij { v: &v }.render(),
        Language::En => Readme { v: &v }.render(),
    }
}
