//! Rendering tests: every message in both languages, and the facts each must carry.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::domain::deadline::ReminderStage;
use crate::domain::{Language, RefusalGround, RequestKind, Sector};

const REF: &str = "DSR-2026-000042";
const PROCESSOR: &str = "Hostbedrijf B.V.";
const LANGS: [Language; 2] = [Language::Nl, Language::En];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn receipt(forwarding: Forwarding) -> Receipt {
    Receipt {
        reference: REF.to_owned(),
        kind: RequestKind::Access,
        received_on: d(2026, 3, 5),
        due_on: d(2026, 4, 2),
        status_url: "https://inzage.example.nl/status?token=abc&x=1".to_owned(),
        forwarding,
    }
}

fn verification() -> VerificationLink {
    VerificationLink {
        reference: REF.to_owned(),
        kind: RequestKind::Erasure,
        verify_url: "https://inzage.example.nl/api/v1/verify?token=t0k".to_owned(),
        valid_days: 7,
        expires_at: Utc.with_ymd_and_hms(2026, 3, 12, 13, 5, 0).unwrap(),
    }
}

fn forwarded() -> Forwarded {
    Forwarded {
        reference: REF.to_owned(),
        controller: "A.S.V. Gay".to_owned(),
        kind: RequestKind::Portability,
        received_on: d(2026, 3, 5),
        legal_due_on: d(2026, 4, 7),
        promised_due_on: d(2026, 4, 2),
        request_url: "https://inzage.example.nl/requests/DSR-2026-000042".to_owned(),
    }
}

fn identity(id_copy: bool) -> IdentityRequest {
    IdentityRequest {
        reference: REF.to_owned(),
        note: "Stuur ons het klantnummer van uw abonnement.".to_owned(),
        id_copy,
        upload_url: Some("https://inzage.example.nl/upload?token=u9".to_owned()),
        id_copy_reason: id_copy.then(|| "U schreef vanaf een ander adres.".to_owned()),
        status_url: "https://inzage.example.nl/status?token=abc".to_owned(),
    }
}

fn extension() -> ExtensionNotice {
    ExtensionNotice {
        reference: REF.to_owned(),
        kind: RequestKind::Access,
        months: 2,
        extended_due_on: d(2026, 6, 5),
        reasons: "Uw gegevens staan in zeven systemen.".to_owned(),
        status_url: "https://inzage.example.nl/status?token=abc".to_owned(),
    }
}

fn refusal(reason: &str) -> Refusal {
    Refusal {
        reference: REF.to_owned(),
        kind: RequestKind::Erasure,
        controller: Some("Almanapp B.V.".to_owned()),
        ground: RefusalGround::ErasureExceptionLegalObligation,
        reason: reason.to_owned(),
        status_url: "https://inzage.example.nl/status?token=abc".to_owned(),
        sector: Sector::Private,
    }
}

fn completion(bundle: Option<BundleLink>) -> Completion {
    Completion {
        reference: REF.to_owned(),
        kind: RequestKind::Access,
        controller: None,
        outcome: "Wij hebben uw gegevens verzameld.".to_owned(),
        bundle,
        status_url: "https://inzage.example.nl/status?token=abc".to_owned(),
        sector: Sector::Private,
        no_data: false,
    }
}

fn reminder(stage: ReminderStage) -> DeadlineReminder {
    DeadlineReminder {
        reference: REF.to_owned(),
        controller: Some("Almanapp B.V.".to_owned()),
        kind: RequestKind::Objection,
        stage,
        due_on: d(2026, 4, 7),
        request_url: "https://inzage.example.nl/requests/DSR-2026-000042".to_owned(),
        extension_notice_due: None,
    }
}

fn all_messages() -> Vec<MailMessage> {
    let mut all: Vec<MailMessage> = vec![
        receipt(Forwarding::Unassigned).into(),
        receipt(Forwarding::Assigned {
            controller: "Almanapp B.V.".to_owned(),
        })
        .into(),
        receipt(Forwarding::Forwarded {
            controller: "Almanapp B.V.".to_owned(),
        })
        .into(),
        verification().into(),
        forwarded().into(),
        identity(false).into(),
        identity(true).into(),
        extension().into(),
        refusal("Wij moeten deze gegevens zeven jaar bewaren.").into(),
        completion(None).into(),
        completion(Some(BundleLink {
            download_url: None,
            expires_at: None,
        }))
        .into(),
        completion(Some(BundleLink {
            download_url: Some("https://inzage.example.nl/dl?token=z".to_owned()),
            expires_at: Some(Utc.with_ymd_and_hms(2026, 4, 9, 10, 0, 0).unwrap()),
        }))
        .into(),
    ];
    all.extend(ReminderStage::ALL.map(|s| reminder(s).into()));
    all
}

fn render(m: impl Into<MailMessage>, lang: Language) -> RenderedMail {
    m.into().render(lang, PROCESSOR).unwrap()
}

/// Both parts of a message, for "appears somewhere" checks.
fn both(r: &RenderedMail) -> [&str; 2] {
    [&r.text, &r.html]
}

fn assert_all(r: &RenderedMail, needles: &[&str]) {
    for part in both(r) {
        for needle in needles {
            assert!(part.contains(needle), "missing {needle:?} in:\n{part}");
        }
    }
}

fn assert_none(r: &RenderedMail, needles: &[&str]) {
    for part in both(r) {
        for needle in needles {
            assert!(!part.contains(needle), "unexpected {needle:?} in:\n{part}");
        }
    }
}

#[test]
fn every_message_renders_in_both_languages_with_reference_footer_and_clean_subject() {
    for m in all_messages() {
        for lang in LANGS {
            let r = m.render(lang, PROCESSOR).unwrap();
            let what = format!("{} {lang:?}", m.name());
            assert!(r.subject.contains(REF), "{what}: {}", r.subject);
            // Subjects carry the reference and fixed words only: no names, links or free text.
            for leak in ["Almanapp", "A.S.V.", "http", "@", "token", PROCESSOR] {
                assert!(!r.subject.contains(leak), "{what}: subject leaks {leak:?}");
            }
            assert_eq!(m.reference(), REF);
            assert_all(&r, &[REF, PROCESSOR]);
            // The footer names our role.
            let role = match lang {
                Language::Nl => "verwerker",
                Language::En => "processor",
            };
            assert!(r.text.contains(role) && r.html.contains(role), "{what}");
            assert!(
                r.html.starts_with("<!DOCTYPE html>")
                    && r.html
                        .contains(&format!("<html lang=\"{}\">", lang.as_str())),
                "{what}"
            );
            for part in both(&r) {
                assert!(!part.contains("{{") && !part.contains("{%"), "{what}");
                // A name that ends in a period must not get a second one.
                assert!(!part.contains("B.V.."), "{what}: {part}");
            }
            assert!(
                r.text.ends_with('\n') && !r.text.contains("\n\n\n"),
                "{what}"
            );
            assert!(!r.text.contains('<'), "{what}: markup in the text part");
            let other = match lang {
                Language::Nl => ["Dear Sir or Madam", "Kind regards"],
                Language::En => ["Geachte heer, mevrouw", "Met vriendelijke groet"],
            };
            assert_none(&r, &other);
        }
    }
}

#[test]
fn receipt_gives_dates_limit_status_link_and_the_processor_role() {
    let nl = render(receipt(Forwarding::Unassigned), Language::Nl);
    assert_eq!(
        nl.subject,
        "Ontvangstbevestiging van uw verzoek DSR-2026-000042"
    );
    assert_all(
        &nl,
        &[
            "inzage (art. 15 AVG)",
            "donderdag 5 maart 2026",
            "donderdag 2 april 2026",
            "één maand",
            "art. 12 lid 3 AVG",
            "verlengd",
            "status?token=abc",
            "verwerkingsverantwoordelijke",
            "Wat gebeurt er nu?",
        ],
    );
    assert_none(&nl, &["doorgestuurd", "Almanapp"]);
    let en = render(receipt(Forwarding::Unassigned), Language::En);
    assert_eq!(en.subject, "We have received your request DSR-2026-000042");
    assert_all(
        &en,
        &[
            "access (Art. 15 GDPR)",
            "Thursday 5 March 2026",
            "Thursday 2 April 2026",
            "one month",
            "Art. 12(3) GDPR",
            "extended",
            "What happens next?",
        ],
    );
    // The link keeps its query string: as-is in text, entity-escaped in the HTML attribute.
    assert!(
        nl.text
            .contains("https://inzage.example.nl/status?token=abc&x=1")
    );
    assert!(
        nl.html
            .contains("https://inzage.example.nl/status?token=abc&#38;x=1")
    );
}

#[test]
fn receipt_names_the_controller_it_was_forwarded_to() {
    let controller = || "Almanapp B.V.".to_owned();
    let nl = render(
        receipt(Forwarding::Forwarded {
            controller: controller(),
        }),
        Language::Nl,
    );
    assert_all(
        &nl,
        &[
            "doorgestuurd naar",
            "Almanapp B.V.",
            "verwerkersovereenkomst",
            "de verwerkingsverantwoordelijke",
            "Wij zijn de verwerker",
        ],
    );
    let en = render(
        receipt(Forwarding::Forwarded {
            controller: controller(),
        }),
        Language::En,
    );
    assert_all(
        &en,
        &[
            "forwarded your request to",
            "Almanapp B.V.",
            "data processing agreement",
            "(the controller)",
            "We are the processor",
        ],
    );
    let assigned = render(
        receipt(Forwarding::Assigned {
            controller: controller(),
        }),
        Language::Nl,
    );
    assert_all(
        &assigned,
        &["sturen wij uw verzoek door naar", "Almanapp B.V."],
    );
    assert_none(&assigned, &["doorgestuurd"]);
}

#[test]
fn verification_link_has_link_validity_and_ignore_advice() {
    let nl = render(verification(), Language::Nl);
    assert_eq!(
        nl.subject,
        "Bevestig uw e-mailadres voor verzoek DSR-2026-000042"
    );
    // 13:05 UTC in March is 14:05 in Amsterdam.
    assert_all(
        &nl,
        &[
            "https://inzage.example.nl/api/v1/verify?token=t0k",
            "7 dagen",
            "12 maart 2026 om 14:05",
            "negeren",
        ],
    );
    let en = render(verification(), Language::En);
    assert_eq!(
        en.subject,
        "Confirm your e-mail address for request DSR-2026-000042"
    );
    assert_all(
        &en,
        &[
            "verify?token=t0k",
            "7 days",
            "12 March 2026 at 14:05",
            "ignore",
        ],
    );
}

#[test]
fn forwarded_tells_the_controller_what_it_needs_and_no_personal_data() {
    for lang in LANGS {
        let r = render(forwarded(), lang);
        assert_all(
            &r,
            &[
                "A.S.V. Gay",
                "https://inzage.example.nl/requests/DSR-2026-000042",
            ],
        );
        // No e-mail address of anyone, no name of the subject: the context has none to give.
        assert_none(&r, &["@", "status?token"]);
    }
    let nl = render(forwarded(), Language::Nl);
    assert_eq!(
        nl.subject,
        "Nieuw verzoek van een betrokkene: DSR-2026-000042"
    );
    assert_all(
        &nl,
        &[
            "overdraagbaarheid van gegevens (art. 20 AVG)",
            "donderdag 5 maart 2026",
            "Wettelijke termijn (art. 12 lid 3 AVG)",
            "dinsdag 7 april 2026",
            "Toegezegde termijn (binnen vier weken)",
            "donderdag 2 april 2026",
            "bewust niet in deze e-mail",
        ],
    );
    let en = render(forwarded(), Language::En);
    assert_eq!(en.subject, "New data subject request: DSR-2026-000042");
    assert_all(
        &en,
        &[
            "data portability (Art. 20 GDPR)",
            "Legal deadline (Art. 12(3) GDPR)",
            "Tuesday 7 April 2026",
            "Promised deadline (within four weeks)",
            "Thursday 2 April 2026",
            "deliberately left out",
        ],
    );
}

#[test]
fn identity_request_pauses_the_clock_and_gives_kopieid_guidance_only_when_a_copy_is_asked() {
    let plain = render(identity(false), Language::Nl);
    assert_eq!(
        plain.subject,
        "Verzoek DSR-2026-000042: bevestig uw identiteit"
    );
    assert_all(
        &plain,
        &[
            "klantnummer van uw abonnement",
            "staat stil",
            "begint niet opnieuw",
        ],
    );
    assert_none(&plain, &["KopieID", "BSN", "upload?token"]);

    let copy = render(identity(true), Language::Nl);
    assert_all(
        &copy,
        &[
            "KopieID",
            "pasfoto",
            "burgerservicenummer (BSN)",
            "MRZ",
            "documentnummer",
            "nooit uw BSN",
            "https://inzage.example.nl/upload?token=u9",
            "versleuteld",
        ],
    );
    let en = render(identity(true), Language::En);
    assert_eq!(
        en.subject,
        "Request DSR-2026-000042: please confirm your identity"
    );
    assert_all(
        &en,
        &[
            "paused",
            "KopieID",
            "photo",
            "BSN",
            "MRZ",
            "document number",
            "Never send us your BSN",
            "upload?token=u9",
        ],
    );
}

#[test]
fn extension_notice_gives_months_new_date_and_reasons() {
    let nl = render(extension(), Language::Nl);
    assert_eq!(
        nl.subject,
        "Verzoek DSR-2026-000042: de termijn is verlengd"
    );
    assert_all(
        &nl,
        &[
            "2 maanden",
            "vrijdag 5 juni 2026",
            "zeven systemen",
            "art. 12 lid 3 AVG",
        ],
    );
    let mut one = extension();
    one.months = 1;
    let en = render(one, Language::En);
    assert_eq!(
        en.subject,
        "Request DSR-2026-000042: the deadline has been extended"
    );
    assert_all(
        &en,
        &["by 1 month.", "Friday 5 June 2026", "Art. 12(3) GDPR"],
    );
}

#[test]
fn refusal_names_ground_reason_and_the_rights_to_complain_and_go_to_court() {
    for ground in RefusalGround::ALL {
        for lang in LANGS {
            let mut m = refusal("Wij bewaren dit wettelijk.");
            m.ground = ground;
            let r = render(m, lang);
            assert_all(
                &r,
                &[
                    &labels::ground_label(ground, RequestKind::Erasure, lang),
                    "Wij bewaren dit wettelijk.",
                    "Autoriteit Persoonsgegevens",
                    "https://autoriteitpersoonsgegevens.nl",
                ],
            );
            let rights: &[&str] = match lang {
                Language::Nl => &[
                    "art. 12 lid 4 AVG",
                    "art. 77 AVG",
                    "art. 79 AVG",
                    "zes weken na dit antwoord een verzoekschrift indienen bij de rechtbank",
                    "art. 35 UAVG",
                    "geen advocaat",
                ],
                Language::En => &[
                    "Art. 12(4) GDPR",
                    "Art. 77 GDPR",
                    "Art. 79 GDPR",
                    "six weeks of this answer, file a petition (verzoekschrift) with the district court",
                    "you do not need a lawyer",
                ],
            };
            assert_all(&r, rights);
        }
    }
    let nl = render(refusal("x"), Language::Nl);
    assert_eq!(
        nl.subject,
        "Verzoek DSR-2026-000042: uw verzoek is afgewezen"
    );
    assert_all(&nl, &["Namens Almanapp B.V.", "(art. 17 lid 3 sub b AVG)"]);
    let en = render(refusal("x"), Language::En);
    assert_eq!(
        en.subject,
        "Request DSR-2026-000042: your request has been refused"
    );
    assert_all(&en, &["On behalf of Almanapp B.V.", "(Art. 17(3)(b) GDPR)"]);
}

#[test]
fn an_id_copy_request_says_why_the_copy_is_needed() {
    let nl = render(identity(true), Language::Nl);
    for part in [&nl.text, &nl.html] {
        assert!(
            part.contains("Waarom dat hier nodig is: U schreef vanaf een ander adres."),
            "{part}"
        );
    }
    let en = render(identity(true), Language::En);
    assert!(
        en.text
            .contains("Why it is needed here: U schreef vanaf een ander adres.")
    );
    let plain = render(identity(false), Language::Nl);
    assert!(!plain.text.contains("Waarom dat hier nodig is"));
    assert!(!plain.text.contains("identiteitsbewijs"), "{}", plain.text);
}

#[test]
fn remedies_follow_the_kind_of_controller_in_both_languages() {
    let mut private = refusal("x");
    private.sector = Sector::Private;
    let mut public = refusal("x");
    public.sector = Sector::Public;
    let mut done = completion(None);
    done.sector = Sector::Public;
    let nl = render(private.clone(), Language::Nl);
    assert_all(
        &nl,
        &[
            "art. 35 UAVG",
            "verzoekschrift",
            "geen advocaat",
            "op elk moment",
        ],
    );
    assert!(!nl.text.contains("bezwaar maken"), "{}", nl.text);
    let en = render(private, Language::En);
    assert_all(
        &en,
        &["Art. 35", "petition", "do not need a lawyer", "at any time"],
    );
    for r in [
        render(public.clone(), Language::Nl),
        render(done.clone(), Language::Nl),
    ] {
        assert_all(
            &r,
            &[
                "bezwaar maken",
                "art. 34 UAVG",
                "art. 6:7 Awb",
                "bestuursrechter",
                "art. 77 AVG",
            ],
        );
        assert!(!r.text.contains("verzoekschrift"), "{}", r.text);
    }
    for r in [render(public, Language::En), render(done, Language::En)] {
        assert_all(
            &r,
            &[
                "objection (bezwaar)",
                "Art. 34 UAVG",
                "Art. 6:7",
                "administrative court",
                "Art. 77 GDPR",
            ],
        );
        assert!(!r.text.contains("petition"), "{}", r.text);
    }
}

#[test]
fn no_data_is_worded_as_an_answer_not_a_refusal() {
    let mut m = refusal("Wij vonden niets.");
    m.ground = RefusalGround::NoData;
    let nl = render(m.clone(), Language::Nl);
    assert_eq!(nl.subject, "Verzoek DSR-2026-000042: geen gegevens over u");
    for part in [&nl.text, &nl.html] {
        assert!(!part.contains("afgewezen"), "{part}");
        assert!(
            part.contains("er worden geen persoonsgegevens over u verwerkt"),
            "{part}"
        );
    }
    let en = render(m, Language::En);
    assert_eq!(en.subject, "Request DSR-2026-000042: no data about you");
    for part in [&en.text, &en.html] {
        assert!(!part.contains("refused"), "{part}");
        assert!(
            part.contains("no personal data about you is processed"),
            "{part}"
        );
    }
}

#[test]
fn new_grounds_name_their_article_in_both_languages() {
    for (ground, kind, nl, en) in [
        (
            RefusalGround::RightsOfOthers,
            RequestKind::Access,
            "art. 15 lid 4 AVG",
            "Art. 15(4) GDPR",
        ),
        (
            RefusalGround::StatutoryRestriction,
            RequestKind::Access,
            "art. 23 AVG",
            "Art. 23 GDPR",
        ),
        (
            RefusalGround::ConditionsNotMet,
            RequestKind::Erasure,
            "art. 17 lid 1 AVG",
            "Art. 17(1) GDPR",
        ),
        (
            RefusalGround::CompellingLegitimateGrounds,
            RequestKind::Objection,
            "art. 21 lid 1 AVG",
            "Art. 21(1) GDPR",
        ),
        (
            RefusalGround::AutomatedDecisionException,
            RequestKind::AutomatedDecision,
            "art. 22 lid 2 AVG",
            "Art. 22(2) GDPR",
        ),
    ] {
        let mut m = refusal("x");
        m.ground = ground;
        m.kind = kind;
        let r = render(m.clone(), Language::Nl);
        assert!(r.text.contains(nl) && r.html.contains(nl), "{}", r.text);
        let r = render(m, Language::En);
        assert!(r.text.contains(en) && r.html.contains(en), "{}", r.text);
    }
}

#[test]
fn free_text_is_escaped_in_html_and_shown_as_written_in_text() {
    let reason = "<script>alert(\"x\")</script> & meer\nregel twee";
    for lang in LANGS {
        let r = render(refusal(reason), lang);
        assert!(r.text.contains(reason), "{}", r.text);
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(
            r.html.contains(
                "&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; meer<br/>regel twee"
            ),
            "{}",
            r.html
        );
    }
    // The same holds for every free-text field and for names.
    let mut m = identity(true);
    m.note = "<b>bold</b>".to_owned();
    let r = render(m, Language::Nl);
    assert!(r.text.contains("<b>bold</b>") && !r.html.contains("<b>bold"));
    let mut m = forwarded();
    m.controller = "<i>Evil</i> B.V.".to_owned();
    assert!(!render(m, Language::En).html.contains("<i>Evil"));
}

#[test]
fn completion_explains_how_to_get_the_bundle() {
    let none = render(completion(None), Language::Nl);
    assert_eq!(
        none.subject,
        "Verzoek DSR-2026-000042: uw verzoek is afgehandeld"
    );
    assert_all(
        &none,
        &[
            "Wij hebben uw gegevens verzameld.",
            "Autoriteit Persoonsgegevens",
        ],
    );
    assert_none(&none, &["exportpakket"]);

    let via_status = render(
        completion(Some(BundleLink {
            download_url: None,
            expires_at: None,
        })),
        Language::Nl,
    );
    assert_all(
        &via_status,
        &["exportpakket", "statuspagina", "status?token=abc"],
    );

    let linked = completion(Some(BundleLink {
        download_url: Some("https://inzage.example.nl/dl?token=z".to_owned()),
        expires_at: Some(Utc.with_ymd_and_hms(2026, 4, 9, 10, 0, 0).unwrap()),
    }));
    let nl = render(linked.clone(), Language::Nl);
    assert_all(&nl, &["dl?token=z", "9 april 2026 om 12:00"]);
    let en = render(linked, Language::En);
    assert_eq!(
        en.subject,
        "Request DSR-2026-000042: your request has been completed"
    );
    assert_all(
        &en,
        &["export bundle", "dl?token=z", "9 April 2026 at 12:00"],
    );
}

#[test]
fn reminders_show_the_extension_notice_date_while_an_extension_is_possible() {
    let mut m = reminder(ReminderStage::SevenWorkingDays);
    let nl = render(m.clone(), Language::Nl);
    assert!(
        !nl.text.contains("binnen een maand na ontvangst"),
        "{}",
        nl.text
    );
    m.extension_notice_due = Some(d(2026, 4, 5));
    let nl = render(m.clone(), Language::Nl);
    for part in [&nl.text, &nl.html] {
        assert!(part.contains("uiterlijk op zondag 5 april 2026"), "{part}");
        assert!(part.contains("binnen een maand na ontvangst"), "{part}");
    }
    let en = render(m, Language::En);
    for part in [&en.text, &en.html] {
        assert!(part.contains("no later than Sunday 5 April 2026"), "{part}");
        assert!(part.contains("within one month of receipt"), "{part}");
    }
}

#[test]
fn reminders_differ_per_stage_and_overdue_is_sharper() {
    let subjects = |lang| -> Vec<String> {
        ReminderStage::ALL
            .map(|s| render(reminder(s), lang).subject)
            .to_vec()
    };
    assert_eq!(
        subjects(Language::Nl),
        [
            "Herinnering: verzoek DSR-2026-000042 moet over 7 werkdagen beantwoord zijn",
            "Herinnering: verzoek DSR-2026-000042 moet over 2 werkdagen beantwoord zijn",
            "Vandaag uiterste datum: verzoek DSR-2026-000042",
            "TE LAAT: de termijn van verzoek DSR-2026-000042 is verstreken",
        ]
    );
    assert_eq!(
        subjects(Language::En),
        [
            "Reminder: request DSR-2026-000042 is due in 7 working days",
            "Reminder: request DSR-2026-000042 is due in 2 working days",
            "Due today: request DSR-2026-000042",
            "OVERDUE: the deadline for request DSR-2026-000042 has passed",
        ]
    );
    for stage in ReminderStage::ALL {
        let nl = render(reminder(stage), Language::Nl);
        assert_all(
            &nl,
            &[
                "dinsdag 7 april 2026",
                "Almanapp B.V.",
                "bezwaar tegen de verwerking (art. 21 AVG)",
                "https://inzage.example.nl/requests/DSR-2026-000042",
            ],
        );
        let en = render(reminder(stage), Language::En);
        assert_all(&en, &["Tuesday 7 April 2026", "requests/DSR-2026-000042"]);
    }
    let overdue = render(reminder(ReminderStage::Overdue), Language::Nl);
    assert_all(&overdue, &["is verstreken", "zo snel mogelijk"]);
    assert_none(&overdue, &["Lukt het niet op tijd"]);
    let mut unassigned = reminder(ReminderStage::DueToday);
    unassigned.controller = None;
    assert_none(&render(unassigned, Language::En), &["Controller:"]);
}

#[test]
fn messages_round_trip_as_tagged_json_for_the_outbox() {
    for m in all_messages() {
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["message"], m.name());
        let back: MailMessage = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
    }
    let json =
        serde_json::to_value(MailMessage::from(reminder(ReminderStage::SevenWorkingDays))).unwrap();
    assert_eq!(json["stage"], "7_working_days");
    assert_eq!(json["kind"], "objection");
    let json = serde_json::to_value(MailMessage::from(receipt(Forwarding::Forwarded {
        controller: "X".to_owned(),
    })))
    .unwrap();
    assert_eq!(json["forwarding"]["state"], "forwarded");
    assert_eq!(json["received_on"], "2026-03-05");
}

#[test]
#[ignore = "prints every message; run with --ignored --nocapture to read them"]
fn print_all() {
    for m in all_messages() {
        for lang in LANGS {
            let r = m.render(lang, PROCESSOR).unwrap();
            println!(
                "===== {} {lang:?}\nSubject: {}\n\n{}\n----- html\n{}\n",
                m.name(),
                r.subject,
                r.text,
                r.html
            );
        }
    }
}

fn grant(event: GrantEvent, to_grantee: bool) -> GrantNotice {
    GrantNotice {
        event,
        to_grantee,
        tenant: "Sportclub Noord".to_owned(),
        tenant_slug: "noord".to_owned(),
        grantee: "sam@hostbedrijf.example.nl".to_owned(),
        granted_by: "privacy@noord.example.nl".to_owned(),
        reason: "ticket 4711".to_owned(),
        expires_at: Utc.with_ymd_and_hms(2026, 3, 12, 13, 5, 0).unwrap(),
        used_at: (event == GrantEvent::FirstUse)
            .then(|| Utc.with_ymd_and_hms(2026, 3, 12, 12, 10, 0).unwrap()),
    }
}

#[test]
fn grant_notices_name_grantee_reason_and_end_in_both_languages() {
    for lang in LANGS {
        for (event, to_grantee) in [
            (GrantEvent::Given, true),
            (GrantEvent::Given, false),
            (GrantEvent::FirstUse, false),
        ] {
            let r = render(grant(event, to_grantee), lang);
            assert_all(
                &r,
                &[
                    "Sportclub Noord",
                    "sam@hostbedrijf.example.nl",
                    "ticket 4711",
                ],
            );
            assert!(r.subject.contains("noord"), "{}", r.subject);
            assert!(!r.subject.contains('@'), "no address in the subject");
        }
        let used = render(grant(GrantEvent::FirstUse, false), lang);
        let word = match lang {
            Language::Nl => "voor het eerst",
            Language::En => "first time",
        };
        assert!(used.subject.contains(word), "{}", used.subject);
    }
}

#[test]
fn no_data_is_an_answer_never_a_refusal() {
    let mut c = completion(None);
    c.no_data = true;
    for lang in LANGS {
        let r = render(c.clone(), lang);
        assert_none(&r, &["afgewezen", "refused", "weiger"]);
        match lang {
            Language::Nl => assert_all(&r, &["geen persoonsgegevens over u verwerkt"]),
            Language::En => assert_all(&r, &["no personal data about you is processed"]),
        }
    }
}

#[test]
fn a_subjects_mail_names_a_person_to_reach_and_a_controllers_does_not() {
    let m: MailMessage = completion(None).into();
    for lang in LANGS {
        let r = m
            .render_with(lang, PROCESSOR, Some("privacy@almanapp.example.nl"))
            .unwrap();
        assert_all(&r, &["privacy@almanapp.example.nl"]);
        assert!(
            !r.text.contains("/console/"),
            "no staff page for the subject"
        );
        let r = MailMessage::from(reminder(ReminderStage::Overdue))
            .render_with(lang, PROCESSOR, Some("privacy@almanapp.example.nl"))
            .unwrap();
        assert_none(&r, &["privacy@almanapp.example.nl"]);
    }
}

#[test]
fn the_download_code_is_in_the_body_only() {
    let m = crate::mail::DownloadCode {
        reference: REF.to_owned(),
        code_id: "c1".to_owned(),
        code: Some("042917".to_owned()),
        expires_at: Utc.with_ymd_and_hms(2026, 4, 9, 10, 0, 0).unwrap(),
    };
    // The stored form never holds the code.
    let stored = serde_json::to_string(&MailMessage::from(m.clone())).unwrap();
    assert!(!stored.contains("042917"), "{stored}");
    for lang in LANGS {
        let r = render(m.clone(), lang);
        assert_all(&r, &["042917"]);
        assert!(!r.subject.contains("042917"));
    }
}

#[test]
fn the_overdue_reminder_does_not_make_a_complaint_wait_for_the_deadline() {
    for lang in LANGS {
        let r = render(reminder(ReminderStage::Overdue), lang);
        assert_none(&r, &["Na de wettelijke termijn", "Once the legal deadline"]);
        match lang {
            Language::Nl => assert_all(&r, &["op elk moment een klacht"]),
            Language::En => assert_all(&r, &["at any time"]),
        }
    }
}

#[test]
fn the_no_data_ground_is_worded_as_an_answer() {
    let mut r = refusal("Wij hebben in alle systemen gezocht.");
    r.ground = RefusalGround::NoData;
    for lang in LANGS {
        let m = render(r.clone(), lang);
        assert_none(&m, &["afgewezen", "refused", "weigering"]);
        assert!(!m.subject.contains("afgewezen") && !m.subject.contains("refused"));
        assert_all(&m, &["Wij hebben in alle systemen gezocht."]);
    }
}
