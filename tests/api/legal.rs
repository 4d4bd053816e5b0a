//! The legal rules reviewed against the statutes: the early reading of the holidays, the
//! extension notice, ID copies only by necessity, the refusal grounds, the remedies by kind of
//! controller, and the retention of inzage's own data.

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app_with};
use inzage::domain::Role;
use inzage::store::schema::requests;

crate::on_both_backends!(
    open_requests_get_their_dates_recomputed_and_closed_ones_keep_theirs,
    extend_after_one_month_is_too_late_even_with_paused_days,
    each_new_ground_is_refused_for_a_kind_it_does_not_answer,
    an_id_copy_needs_a_reason_and_a_tenant_that_allows_it,
    a_request_closed_past_retention_loses_its_personal_fields_and_keeps_its_record,
    a_public_body_tells_the_subject_of_bezwaar,
);

const NO_JOBS: &[(&str, &str)] = &[("INZAGE_RUN_JOBS", "false")];

async fn row(app: &TestApp, reference: &str) -> inzage::store::requests::RequestRow {
    let r = reference.to_owned();
    app.with_conn(move |c| {
        inzage::store::requests::RequestRow::find_by_reference(c, &r)
            .unwrap()
            .unwrap()
    })
    .await
}

async fn events_of(
    app: &TestApp,
    id: &inzage::domain::RequestId,
    kind: &str,
) -> Vec<inzage::store::events::Event> {
    let (id, kind) = (id.clone(), kind.to_owned());
    app.with_conn(move |c| {
        inzage::store::events::Event::for_request(c, &id)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind.as_str() == kind)
            .collect()
    })
    .await
}

/// Moves a stored legal date, as the older rule (rolling past Good Friday and bridge days)
/// could have stored it.
async fn store_legal(app: &TestApp, id: &inzage::domain::RequestId, legal: NaiveDate) {
    let id = id.clone();
    app.with_conn(move |c| {
        diesel::update(requests::table.filter(requests::id.eq(&id)))
            .set(requests::legal_due.eq(legal))
            .execute(c)
            .unwrap();
    })
    .await;
}

async fn recompute(app: &TestApp) -> usize {
    let st = app.state.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = st.db.conn().unwrap();
        inzage::service::recompute::recompute_open_deadlines(&mut conn, &st.calendar).unwrap()
    })
    .await
    .unwrap()
}

async fn open_requests_get_their_dates_recomputed_and_closed_ones_keep_theirs(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "legal_recompute", NO_JOBS).await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let received = (Utc::now() - Duration::days(3)).date_naive().to_string();
    let open = app
        .file_as(
            &support.token,
            Some("acme"),
            json!({"received_at": received}),
        )
        .await;
    let open = open["reference"].as_str().unwrap().to_owned();
    let closed = app
        .file_as(
            &support.token,
            Some("acme"),
            json!({"received_at": received}),
        )
        .await;
    let closed = closed["reference"].as_str().unwrap().to_owned();
    let (s, v) = app
        .act(&support.token, &closed, "withdraw", json!({}))
        .await;
    assert_eq!(s, 200, "{v}");

    let right = row(&app, &open).await.legal_due;
    let later = right + Duration::days(4);
    let (open_id, closed_id) = (row(&app, &open).await.id, row(&app, &closed).await.id);
    store_legal(&app, &open_id, later).await;
    store_legal(&app, &closed_id, later).await;

    assert_eq!(recompute(&app).await, 1);
    let now_open = row(&app, &open).await;
    assert_eq!(now_open.legal_due, right);
    let events = events_of(&app, &open_id, "deadline_recomputed").await;
    assert_eq!(events.len(), 1);
    let data: serde_json::Value = serde_json::from_str(events[0].data.as_deref().unwrap()).unwrap();
    assert_eq!(data["reason"], "early_reading");
    assert_eq!(data["legal"]["from"], later.to_string());
    assert_eq!(data["legal"]["to"], right.to_string());
    assert!(events[0].note.as_deref().unwrap().contains("Good Friday"));
    // The staff view shows the corrected date and the event.
    let (s, v) = app
        .get(&format!("/api/v1/requests/{open}"), Some(&support.token))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["deadline"]["legal"], right.to_string());
    assert!(v["events"].to_string().contains("deadline_recomputed"));

    // Closed requests keep the dates they were answered under.
    assert_eq!(row(&app, &closed).await.legal_due, later);
    assert!(
        events_of(&app, &closed_id, "deadline_recomputed")
            .await
            .is_empty()
    );
    // Idempotent: a second run changes nothing.
    assert_eq!(recompute(&app).await, 0);
    assert_eq!(
        events_of(&app, &open_id, "deadline_recomputed").await.len(),
        1
    );
}

async fn extend_after_one_month_is_too_late_even_with_paused_days(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "legal_extend_late", NO_JOBS).await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let today = inzage::domain::deadline::amsterdam_date(Utc::now());
    // Received one month and one day ago: the notice period ended yesterday.
    let received = (today - Duration::days(1))
        .checked_sub_months(chrono::Months::new(1))
        .unwrap();
    let filed = app
        .file_as(
            &support.token,
            Some("acme"),
            json!({"received_at": received.to_string()}),
        )
        .await;
    let late = filed["reference"].as_str().unwrap().to_owned();
    // Ten paused days put the legal date in the future; they do not move the notice date.
    let id = row(&app, &late).await.id;
    let cal = app.state.calendar.clone();
    app.with_conn(move |c| {
        let d = inzage::domain::deadline::Deadline::compute(&cal, received, 10, None).unwrap();
        diesel::update(requests::table.filter(requests::id.eq(&id)))
            .set((
                requests::paused_days.eq(10),
                requests::legal_due.eq(d.legal),
                requests::due_at.eq(d.due_at().naive_utc()),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
    assert!(row(&app, &late).await.legal_due >= today);
    let (s, v) = app
        .get(&format!("/api/v1/requests/{late}"), Some(&support.token))
        .await;
    assert_eq!(s, 200);
    assert!(v["deadline"]["extension_notice_due"].is_null(), "{v}");
    assert!(!v["allowed_actions"].to_string().contains("extend"), "{v}");
    let (s, v) = app
        .act(
            &support.token,
            &late,
            "extend",
            json!({"months": 1, "reason": "many systems"}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "extension_too_late");

    // A fresh request: the deadline block shows the notice date, and extending works.
    let fresh = app.file_as(&support.token, Some("acme"), json!({})).await;
    let notice = inzage::domain::deadline::add_months(today, 1).to_string();
    assert_eq!(fresh["deadline"]["extension_notice_due"], notice, "{fresh}");
    let fresh = fresh["reference"].as_str().unwrap().to_owned();
    let (s, v) = app
        .act(
            &support.token,
            &fresh,
            "extend",
            json!({"months": 1, "reason": "many systems"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Once extended, no further extension is possible: the block no longer shows the date.
    assert!(v["deadline"]["extension_notice_due"].is_null(), "{v}");
}

async fn each_new_ground_is_refused_for_a_kind_it_does_not_answer(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "legal_grounds", NO_JOBS).await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    // (ground, a kind it does not answer, a kind it answers, the article the view names)
    for (ground, wrong, right, article) in [
        ("rights_of_others", "erasure", "access", "15(4)"),
        ("conditions_not_met", "access", "restriction", "18(1)"),
        (
            "compelling_legitimate_grounds",
            "access",
            "objection",
            "21(1)",
        ),
        (
            "automated_decision_exception",
            "objection",
            "automated_decision",
            "22(2)",
        ),
        (
            "erasure_exception_archiving",
            "access",
            "erasure",
            "17(3)(d)",
        ),
    ] {
        let body = json!({"ground": ground, "reason": "see the letter"});
        let filed = app
            .file_as(&support.token, Some("acme"), json!({"kind": wrong}))
            .await;
        let reference = filed["reference"].as_str().unwrap();
        let (s, v) = app
            .act(&support.token, reference, "refuse", body.clone())
            .await;
        assert_eq!(s, 422, "{ground} for {wrong}: {v}");
        assert!(v["error"]["fields"]["ground"].is_string(), "{v}");
        let filed = app
            .file_as(&support.token, Some("acme"), json!({"kind": right}))
            .await;
        let reference = filed["reference"].as_str().unwrap();
        let (s, v) = app.act(&support.token, reference, "refuse", body).await;
        assert_eq!(s, 200, "{ground} for {right}: {v}");
        assert_eq!(v["refusal"]["ground"], ground);
        assert_eq!(v["refusal"]["article"], article, "{v}");
    }
    // statutory_restriction answers every kind; the identity ground cites art. 11(2) only for
    // the rights of art. 15 to 20.
    let filed = app
        .file_as(&support.token, Some("acme"), json!({"kind": "objection"}))
        .await;
    let reference = filed["reference"].as_str().unwrap();
    let (s, v) = app
        .act(
            &support.token,
            reference,
            "refuse",
            json!({"ground": "identity_not_established", "reason": "no answer"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["refusal"]["article"], "12(2), 12(6)");
    let filed = app
        .file_as(
            &support.token,
            Some("acme"),
            json!({"kind": "automated_decision"}),
        )
        .await;
    let reference = filed["reference"].as_str().unwrap();
    let (s, v) = app
        .act(
            &support.token,
            reference,
            "refuse",
            json!({"ground": "statutory_restriction", "reason": "art. 41 UAVG"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["refusal"]["article"], "23");
}

async fn allowing_tenant(app: &TestApp, slug: &str) {
    let slug = slug.to_owned();
    app.with_conn(move |c| {
        inzage::service::admin::create_tenant(
            c,
            inzage::service::admin::TenantInput {
                slug: slug.clone(),
                name: format!("Tenant {slug}"),
                contact_email: format!("privacy@{slug}.example.nl"),
                language: inzage::domain::Language::Nl,
                datamap_path: None,
                id_document_required: true,
                sector: Default::default(),
            },
        )
        .unwrap();
    })
    .await;
}

async fn last_identity_mail(app: &TestApp, reference: &str) -> serde_json::Value {
    let id = row(app, reference).await.id;
    app.with_conn(move |c| {
        let rows = inzage::store::outbox::for_request(c, &id).unwrap();
        let row = rows
            .into_iter()
            .rev()
            .find(|r| r.template == "identity_request")
            .unwrap();
        serde_json::from_str(&row.payload).unwrap()
    })
    .await
}

async fn an_id_copy_needs_a_reason_and_a_tenant_that_allows_it(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "legal_id_copy", NO_JOBS).await else {
        return;
    };
    app.tenant("plain").await;
    allowing_tenant(&app, "allows").await;
    let support = app.user(Role::Support, None).await;

    // Without a reason: 422 on `reason`, nothing asked.
    let filed = app.file_as(&support.token, Some("allows"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let (s, v) = app
        .act(
            &support.token,
            &reference,
            "request_identity",
            json!({"note": "Stuur een kopie.", "id_copy": true}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"]["fields"]["reason"].is_string(), "{v}");
    assert!(!row(&app, &reference).await.identity_pending);

    // The default question never asks for a copy, even where the tenant allows copies.
    let (s, v) = app
        .act(
            &support.token,
            &reference,
            "request_identity",
            json!({"note": "Antwoord vanaf het adres dat u ons gaf."}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mail = last_identity_mail(&app, &reference).await;
    assert_eq!(mail["id_copy"], false);
    assert!(mail["upload_url"].is_null());
    let (s, _) = app
        .get(
            &format!("/api/v1/requests/{reference}/id_document?token=x"),
            None,
        )
        .await;
    assert_ne!(s, 200);

    // With a reason on a tenant that allows copies: asked, the reason recorded and told.
    let filed = app.file_as(&support.token, Some("allows"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let reason = "U schreef vanaf een ander adres dan het adres dat wij kennen.";
    let (s, v) = app
        .act(
            &support.token,
            &reference,
            "request_identity",
            json!({"note": "Stuur een afgeschermde kopie.", "id_copy": true, "reason": reason}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let asked = events_of(&app, &row(&app, &reference).await.id, "identity_requested").await;
    let data: serde_json::Value = serde_json::from_str(asked[0].data.as_deref().unwrap()).unwrap();
    assert_eq!(data["id_copy"], true);
    assert_eq!(data["id_copy_reason"], reason);
    let mail = last_identity_mail(&app, &reference).await;
    assert_eq!(mail["id_copy"], true);
    assert_eq!(mail["id_copy_reason"], reason);
    assert!(mail["upload_url"].is_string());

    // On a tenant that does not allow copies: 422, nothing asked.
    let filed = app.file_as(&support.token, Some("plain"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap().to_owned();
    let (s, v) = app
        .act(
            &support.token,
            &reference,
            "request_identity",
            json!({"note": "Stuur een kopie.", "id_copy": true, "reason": reason}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"]["fields"]["id_copy"].is_string(), "{v}");
    assert!(!row(&app, &reference).await.identity_pending);
}

async fn a_request_closed_past_retention_loses_its_personal_fields_and_keeps_its_record(
    backend: Backend,
) {
    let Some(app) = spawn_app_with(backend, "legal_retention", NO_JOBS).await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let mut refs = Vec::new();
    for _ in 0..2 {
        let filed = app
            .file_as(
                &support.token,
                Some("acme"),
                json!({"kind": "erasure", "details": "Mijn klantnummer is 4711.",
                       "subject": {"name": "Bram Jansen", "email": "bram@example.nl", "phone": "+31612345678"}}),
            )
            .await;
        let reference = filed["reference"].as_str().unwrap().to_owned();
        let (s, v) = app
            .act(
                &support.token,
                &reference,
                "refuse",
                json!({"ground": "erasure_exception_legal_obligation", "reason": "Bram's invoices: 7 years"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        refs.push(reference);
    }
    let (old, recent) = (refs[0].clone(), refs[1].clone());
    let before = row(&app, &old).await;
    // Closed three years and a day ago (the default retention is 1095 days).
    let closed = inzage::store::now() - Duration::days(1096);
    let id = before.id.clone();
    app.with_conn(move |c| {
        diesel::update(requests::table.filter(requests::id.eq(&id)))
            .set(requests::closed_at.eq(Some(closed)))
            .execute(c)
            .unwrap();
    })
    .await;

    let st = app.state.clone();
    let erased = tokio::task::spawn_blocking(move || {
        inzage::jobs::retention::requests(&st, Utc::now()).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(erased, 1);

    let after = row(&app, &old).await;
    assert_eq!(after.subject_name, "");
    assert_eq!(after.subject_email, "");
    assert_eq!(after.subject_phone, None);
    assert_eq!(after.details, None);
    assert_eq!(after.refusal_reason, None);
    // The anonymous record stays: kind, tenant, dates, outcome, ground.
    assert_eq!(after.kind.as_str(), "erasure");
    assert_eq!(after.tenant_id, before.tenant_id);
    assert_eq!(after.status.as_str(), "refused");
    assert_eq!(after.received_on, before.received_on);
    assert_eq!(after.legal_due, before.legal_due);
    assert_eq!(after.closed_at, Some(closed));
    assert_eq!(
        after.refusal_ground.as_deref(),
        Some("erasure_exception_legal_obligation")
    );
    let id = after.id.clone();
    let (events, mail, audit) = app
        .with_conn(move |c| {
            (
                inzage::store::events::Event::for_request(c, &id).unwrap(),
                inzage::store::outbox::for_request(c, &id).unwrap(),
                inzage::store::audit::for_request(c, &id).unwrap(),
            )
        })
        .await;
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e.note.is_none()), "{events:?}");
    assert!(events.iter().any(|e| e.kind.as_str() == "refused"));
    assert!(!mail.is_empty());
    for m in &mail {
        assert!(!m.payload.contains("Bram"), "{}", m.payload);
        assert!(!m.recipient.contains("bram"), "{}", m.recipient);
    }
    assert!(
        audit
            .iter()
            .any(|a| a.action == "request_personal_data_erased"),
        "{audit:?}"
    );
    // A request closed recently keeps everything.
    assert_eq!(row(&app, &recent).await.subject_name, "Bram Jansen");
    // Counted in /metrics; a second run erases nothing more.
    let st = app.state.clone();
    let again = tokio::task::spawn_blocking(move || {
        inzage::jobs::retention::requests(&st, Utc::now()).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(again, 0);
    let text = app
        .client
        .get(app.metrics_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("inzage_request_erasures_total 1"), "{text}");
}

async fn a_public_body_tells_the_subject_of_bezwaar(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "legal_sector", NO_JOBS).await else {
        return;
    };
    let admin = app.user(Role::Admin, None).await;
    let (s, v) = app
        .post(
            "/api/v1/tenants",
            Some(&admin.token),
            &json!({"slug": "gemeente", "name": "Gemeente Demo", "contact_email": "privacy@gemeente.example.nl", "sector": "public"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["sector"], "public");
    let (s, v) = app
        .post(
            "/api/v1/tenants",
            Some(&admin.token),
            &json!({"slug": "winkel", "name": "Winkel", "contact_email": "privacy@winkel.example.nl"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["sector"], "private");
    let (s, v) = app
        .post(
            "/api/v1/tenants",
            Some(&admin.token),
            &json!({"slug": "raar", "name": "Raar", "contact_email": "privacy@raar.example.nl", "sector": "semi"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"]["fields"]["sector"].is_string());

    let support = app.user(Role::Support, None).await;
    for (tenant, public) in [("gemeente", true), ("winkel", false)] {
        let filed = app.file_as(&support.token, Some(tenant), json!({})).await;
        let reference = filed["reference"].as_str().unwrap().to_owned();
        let (s, v) = app
            .act(
                &support.token,
                &reference,
                "refuse",
                json!({"ground": "excessive", "reason": "Vijfde verzoek deze maand."}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let id = row(&app, &reference).await.id;
        let mail: serde_json::Value = app
            .with_conn(move |c| {
                let rows = inzage::store::outbox::for_request(c, &id).unwrap();
                let row = rows
                    .into_iter()
                    .rev()
                    .find(|r| r.template == "refusal")
                    .unwrap();
                serde_json::from_str(&row.payload).unwrap()
            })
            .await;
        assert_eq!(mail["sector"], if public { "public" } else { "private" });
        let message: inzage::mail::MailMessage = serde_json::from_value(mail).unwrap();
        for lang in [inzage::domain::Language::Nl, inzage::domain::Language::En] {
            let text = message.render(lang, "inzage").unwrap().text;
            let (bezwaar, petition) = match lang {
                inzage::domain::Language::Nl => ("bezwaar maken", "verzoekschrift"),
                inzage::domain::Language::En => ("objection (bezwaar)", "petition"),
            };
            assert_eq!(text.contains(bezwaar), public, "{text}");
            assert_eq!(text.contains(petition), !public, "{text}");
        }
        // The status page names the same remedies, in the request's language (Dutch here).
        let status_url = app.url(&app.mailed_status_path(&reference).await);
        let page = app
            .client
            .get(&status_url)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Autoriteit Persoonsgegevens"), "{page}");
        assert_eq!(page.contains("bezwaar maken"), public, "{page}");
        assert_eq!(page.contains("verzoekschrift"), !public, "{page}");
        assert_eq!(page.contains("art. 34 UAVG"), public, "{page}");
        assert_eq!(page.contains("art. 35 UAVG"), !public, "{page}");
    }
}
