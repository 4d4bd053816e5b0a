//! Human wording shared by every message: the labels of request kinds and refusal grounds, GDPR
//! citations in Dutch and English style, and dates and times as a reader in the Netherlands
//! expects them.
//!
//! The article numbers come from the domain (`RequestKind::article`, `RefusalGround::article`),
//! so a label can never cite another article than the rule it describes. Dates are calendar days
//! in Europe/Amsterdam (README, "Deadlines"); instants are converted to Europe/Amsterdam here
//! and nowhere else in `mail`.

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;

use crate::domain::deadline::ReminderStage;
use crate::domain::{Language, RefusalGround, RequestKind};

/// A GDPR citation in the reader's style: `"art. 15 AVG"` or `"Art. 15 GDPR"`.
///
/// `article` is the domain's notation (`"15"`, `"12(5)"`, `"11(2), 12(6)"`, `"17(3)(a)"`);
/// Dutch legal style writes paragraphs as "lid" and points as "sub":
/// `"art. 17 lid 3 sub a AVG"`.
pub fn gdpr_citation(article: &str, language: Language) -> String {
    match language {
        Language::Nl => {
            let parts: Vec<String> = article.split(", ").map(dutch_article).collect();
            format!("art. {} AVG", parts.join(" en "))
        }
        Language::En => format!("Art. {} GDPR", article.replace(", ", " and ")),
    }
}

/// `"17(3)(a)"` → `"17 lid 3 sub a"`; `"12(5)"` → `"12 lid 5"`; `"15"` → `"15"`.
fn dutch_article(article: &str) -> String {
    let mut pieces = article.split('(').map(|p| p.trim_end_matches(')'));
    let mut out = pieces.next().unwrap_or_default().to_owned();
    if let Some(paragraph) = pieces.next() {
        out.push_str(" lid ");
        out.push_str(paragraph);
    }
    for point in pieces {
        out.push_str(" sub ");
        out.push_str(point);
    }
    out
}

/// The right exercised, with its article: `"inzage (art. 15 AVG)"`, `"access (Art. 15 GDPR)"`.
pub fn kind_label(kind: RequestKind, language: Language) -> String {
    let name = match (language, kind) {
        (Language::Nl, RequestKind::Access) => "inzage",
        (Language::Nl, RequestKind::Rectification) => "rectificatie (correctie)",
        (Language::Nl, RequestKind::Erasure) => "verwijdering van gegevens",
        (Language::Nl, RequestKind::Restriction) => "beperking van de verwerking",
        (Language::Nl, RequestKind::Portability) => "overdraagbaarheid van gegevens",
        (Language::Nl, RequestKind::Objection) => "bezwaar tegen de verwerking",
        (Language::Nl, RequestKind::AutomatedDecision) => "geautomatiseerde besluitvorming",
        (Language::En, RequestKind::Access) => "access",
        (Language::En, RequestKind::Rectification) => "rectification",
        (Language::En, RequestKind::Erasure) => "erasure",
        (Language::En, RequestKind::Restriction) => "restriction of processing",
        (Language::En, RequestKind::Portability) => "data portability",
        (Language::En, RequestKind::Objection) => "objection to processing",
        (Language::En, RequestKind::AutomatedDecision) => "automated individual decision-making",
    };
    format!("{name} ({})", gdpr_citation(kind.article(), language))
}

/// The refusal ground as the subject reads it, with its article for a request of `kind` where
/// it has one (GDPR art. 12(4): the subject is told the reasons for not taking action).
pub fn ground_label(ground: RefusalGround, kind: RequestKind, language: Language) -> String {
    use RefusalGround as G;
    let name = match (language, ground) {
        (Language::Nl, G::ManifestlyUnfounded) => "het verzoek is kennelijk ongegrond",
        (Language::Nl, G::Excessive) => {
            // Art. 12(5) names repetition as an example only: the staff's reason says why.
            "het verzoek is buitensporig; de toelichting zegt waarom"
        }
        (Language::Nl, G::IdentityNotEstablished) => "uw identiteit kon niet worden vastgesteld",
        (Language::Nl, G::NoData) => "er worden geen persoonsgegevens over u verwerkt",
        (Language::Nl, G::ErasureExceptionExpression) => {
            "uitzondering op het recht op verwijdering: vrijheid van meningsuiting en informatie"
        }
        (Language::Nl, G::ErasureExceptionLegalObligation) => {
            "uitzondering op het recht op verwijdering: een wettelijke verplichting, een taak van \
             algemeen belang of de uitoefening van openbaar gezag"
        }
        (Language::Nl, G::ErasureExceptionPublicHealth) => {
            "uitzondering op het recht op verwijdering: algemeen belang op het gebied van de \
             volksgezondheid"
        }
        (Language::Nl, G::ErasureExceptionArchiving) => {
            "uitzondering op het recht op verwijdering: archivering in het algemeen belang, \
             wetenschappelijk of historisch onderzoek of statistiek"
        }
        (Language::Nl, G::ErasureExceptionLegalClaims) => {
            "uitzondering op het recht op verwijdering: de gegevens zijn nodig voor een \
             rechtsvordering"
        }
        (Language::Nl, G::Other) => "een andere grond; de toelichting zegt welke",
        (Language::Nl, G::RightsOfOthers) => {
            "een kopie van de gegevens zou de rechten en vrijheden van anderen schaden"
        }
        (Language::Nl, G::StatutoryRestriction) => {
            "een wettelijke beperking van uw rechten (art. 41 UAVG)"
        }
        (Language::Nl, G::ConditionsNotMet) => {
            "de voorwaarden voor dit recht zijn in uw geval niet vervuld"
        }
        (Language::Nl, G::CompellingLegitimateGrounds) => {
            "dwingende gerechtvaardigde gronden voor de verwerking gaan voor uw bezwaar"
        }
        (Language::Nl, G::AutomatedDecisionException) => {
            "het geautomatiseerde besluit is toegestaan: nodig voor een overeenkomst, bij wet \
             toegestaan of gebaseerd op uw uitdrukkelijke toestemming"
        }
        (Language::En, G::ManifestlyUnfounded) => "the request is manifestly unfounded",
        (Language::En, G::Excessive) => "the request is excessive; the explanation says why",
        (Language::En, G::IdentityNotEstablished) => "your identity could not be established",
        (Language::En, G::NoData) => "no personal data about you is processed",
        (Language::En, G::ErasureExceptionExpression) => {
            "exception to the right to erasure: freedom of expression and information"
        }
        (Language::En, G::ErasureExceptionLegalObligation) => {
            "exception to the right to erasure: a legal obligation, a task carried out in the \
             public interest or in the exercise of official authority"
        }
        (Language::En, G::ErasureExceptionPublicHealth) => {
            "exception to the right to erasure: public interest in the area of public health"
        }
        (Language::En, G::ErasureExceptionArchiving) => {
            "exception to the right to erasure: archiving in the public interest, scientific or \
             historical research or statistical purposes"
        }
        (Language::En, G::ErasureExceptionLegalClaims) => {
            "exception to the right to erasure: the data is needed for the establishment, \
             exercise or defence of legal claims"
        }
        (Language::En, G::Other) => "another ground; the explanation says which",
        (Language::En, G::RightsOfOthers) => {
            "a copy of the data would adversely affect the rights and freedoms of others"
        }
        (Language::En, G::StatutoryRestriction) => {
            "a restriction of your rights laid down by law (Art. 41 of the Dutch GDPR \
             Implementation Act, UAVG)"
        }
        (Language::En, G::ConditionsNotMet) => {
            "the conditions of this right are not met in your case"
        }
        (Language::En, G::CompellingLegitimateGrounds) => {
            "compelling legitimate grounds for the processing override your objection"
        }
        (Language::En, G::AutomatedDecisionException) => {
            "the automated decision is allowed: necessary for a contract, authorised by law, or \
             based on your explicit consent"
        }
    };
    match ground.article_for(kind) {
        Some(article) => format!("{name} ({})", gdpr_citation(article, language)),
        None => name.to_owned(),
    }
}

/// How far a reminder is from the target, as a phrase: `"over 7 werkdagen"`, `"in 7 working
/// days"`, `"vandaag"`, `"verstreken"`.
pub fn stage_label(stage: ReminderStage, language: Language) -> &'static str {
    match (language, stage) {
        (Language::Nl, ReminderStage::SevenWorkingDays) => "over 7 werkdagen",
        (Language::Nl, ReminderStage::TwoWorkingDays) => "over 2 werkdagen",
        (Language::Nl, ReminderStage::DueToday) => "vandaag",
        (Language::Nl, ReminderStage::Overdue) => "verstreken",
        (Language::En, ReminderStage::SevenWorkingDays) => "in 7 working days",
        (Language::En, ReminderStage::TwoWorkingDays) => "in 2 working days",
        (Language::En, ReminderStage::DueToday) => "today",
        (Language::En, ReminderStage::Overdue) => "overdue",
    }
}

/// `"1 maand"` / `"2 maanden"`, `"1 month"` / `"2 months"`.
pub fn months(n: u32, language: Language) -> String {
    match (language, n) {
        (Language::Nl, 1) => "1 maand".to_owned(),
        (Language::Nl, n) => format!("{n} maanden"),
        (Language::En, 1) => "1 month".to_owned(),
        (Language::En, n) => format!("{n} months"),
    }
}

/// `"donderdag 5 maart 2026"`, `"Thursday 5 March 2026"`: the weekday helps a reader plan.
pub fn date(d: NaiveDate, language: Language) -> String {
    let month0 = d.month0() as usize;
    match language {
        Language::Nl => format!(
            "{} {} {} {}",
            weekday_nl(d.weekday()),
            d.day(),
            MONTHS_NL.get(month0).copied().unwrap_or_default(),
            d.year()
        ),
        Language::En => format!(
            "{} {} {} {}",
            weekday_en(d.weekday()),
            d.day(),
            MONTHS_EN.get(month0).copied().unwrap_or_default(),
            d.year()
        ),
    }
}

/// An instant as Europe/Amsterdam wall-clock time: `"5 maart 2026 om 14:05"`,
/// `"5 March 2026 at 14:05"`.
pub fn date_time(instant: DateTime<Utc>, language: Language) -> String {
    let local = instant.with_timezone(&Amsterdam);
    let month0 = local.month0() as usize;
    let time = local.format("%H:%M");
    match language {
        Language::Nl => format!(
            "{} {} {} om {time}",
            local.day(),
            MONTHS_NL.get(month0).copied().unwrap_or_default(),
            local.year()
        ),
        Language::En => format!(
            "{} {} {} at {time}",
            local.day(),
            MONTHS_EN.get(month0).copied().unwrap_or_default(),
            local.year()
        ),
    }
}

const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn weekday_nl(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "maandag",
        Weekday::Tue => "dinsdag",
        Weekday::Wed => "woensdag",
        Weekday::Thu => "donderdag",
        Weekday::Fri => "vrijdag",
        Weekday::Sat => "zaterdag",
        Weekday::Sun => "zondag",
    }
}

fn weekday_en(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn citations_follow_each_language_style() {
        assert_eq!(gdpr_citation("15", Language::Nl), "art. 15 AVG");
        assert_eq!(gdpr_citation("12(5)", Language::Nl), "art. 12 lid 5 AVG");
        assert_eq!(
            gdpr_citation("17(3)(a)", Language::Nl),
            "art. 17 lid 3 sub a AVG"
        );
        assert_eq!(
            gdpr_citation("11(2), 12(6)", Language::Nl),
            "art. 11 lid 2 en 12 lid 6 AVG"
        );
        assert_eq!(
            gdpr_citation("17(3)(e)", Language::En),
            "Art. 17(3)(e) GDPR"
        );
        assert_eq!(
            gdpr_citation("11(2), 12(6)", Language::En),
            "Art. 11(2) and 12(6) GDPR"
        );
    }

    #[test]
    fn kinds_and_grounds_carry_their_article() {
        assert_eq!(
            kind_label(RequestKind::Access, Language::Nl),
            "inzage (art. 15 AVG)"
        );
        assert_eq!(
            kind_label(RequestKind::Access, Language::En),
            "access (Art. 15 GDPR)"
        );
        for kind in RequestKind::ALL {
            for lang in [Language::Nl, Language::En] {
                assert!(kind_label(kind, lang).contains(kind.article()));
            }
        }
        for ground in RefusalGround::ALL {
            for kind in RequestKind::ALL {
                for lang in [Language::Nl, Language::En] {
                    let label = ground_label(ground, kind, lang);
                    if let Some(article) = ground.article_for(kind) {
                        assert!(label.contains(&gdpr_citation(article, lang)), "{label}");
                    }
                }
            }
        }
        assert!(
            ground_label(RefusalGround::Excessive, RequestKind::Access, Language::Nl)
                .ends_with("(art. 12 lid 5 AVG)")
        );
        let id = RefusalGround::IdentityNotEstablished;
        assert!(
            ground_label(id, RequestKind::Access, Language::Nl)
                .contains("art. 11 lid 2 en 12 lid 2 en 12 lid 6 AVG")
        );
        let objection = ground_label(id, RequestKind::Objection, Language::En);
        assert!(
            objection.contains("Art. 12(2) and 12(6) GDPR"),
            "{objection}"
        );
        assert!(!objection.contains("11(2)"), "{objection}");
        let law = ground_label(
            RefusalGround::StatutoryRestriction,
            RequestKind::Access,
            Language::Nl,
        );
        assert!(
            law.contains("art. 41 UAVG") && law.contains("art. 23 AVG"),
            "{law}"
        );
    }

    #[test]
    fn dates_read_naturally() -> Result<(), Box<dyn std::error::Error>> {
        let d = NaiveDate::from_ymd_opt(2026, 4, 7).ok_or("date")?;
        assert_eq!(date(d, Language::Nl), "dinsdag 7 april 2026");
        assert_eq!(date(d, Language::En), "Tuesday 7 April 2026");
        // 12:05 UTC is 14:05 in Amsterdam in summer time.
        let t = Utc
            .with_ymd_and_hms(2026, 6, 1, 12, 5, 0)
            .single()
            .ok_or("time")?;
        assert_eq!(date_time(t, Language::Nl), "1 juni 2026 om 14:05");
        assert_eq!(date_time(t, Language::En), "1 June 2026 at 14:05");
        assert_eq!(months(2, Language::Nl), "2 maanden");
        assert_eq!(months(1, Language::En), "1 month");
        Ok(())
    }
}
