//! Group commit of public intakes (`service::intake_writer`): concurrent intakes written
//! together are each complete and distinct; a group whose shared write fails files each
//! intake on its own, so one intake's fault fails no other.

use chrono::{SubsecRound, Utc};
use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{Backend, spawn_app};
use inzage::domain::{Channel, Language, RequestKind, SubjectEmail, SubjectName};
use inzage::service::intake::{Intake, file_together};

crate::on_both_backends!(
    concurrent_public_intakes_are_each_filed_whole,
    a_failed_group_files_each_intake_on_its_own,
);

async fn concurrent_public_intakes_are_each_filed_whole(backend: Backend) {
    let Some(app) = spawn_app(backend, "intake_group").await else {
        return;
    };
    app.tenant("acme").await;
    const N: usize = 48;
    // A known tenant, a name that matches none, and no tenant at all, mixed in one burst.
    let calls = (0..N).map(|i| {
        let tenant = match i % 3 {
            0 => Some("acme"),
            1 => Some("Bakkerij Nergens"),
            _ => None,
        };
        let mut body = json!({"kind": "access", "subject": {"name": format!("Subject {i}"), "email": format!("s{i}@example.nl")}});
        if let Some(t) = tenant {
            body["tenant"] = json!(t);
        }
        let app = &app;
        async move { (i, tenant, app.post("/api/v1/requests", None, &body).await) }
    });
    let answers = join_all(calls).await;
    let mut references = std::collections::BTreeSet::new();
    for (i, _, (status, v)) in &answers {
        assert_eq!(*status, 201, "intake {i}: {v}");
        assert_eq!(v["status"], "awaiting_verification", "{v}");
        references.insert(v["reference"].as_str().unwrap().to_owned());
    }
    assert_eq!(references.len(), N, "every intake its own reference");

    // Each request has its own first event and its own verification mail, to its own address.
    for (i, tenant, (_, v)) in &answers {
        let reference = v["reference"].as_str().unwrap().to_owned();
        let mails = app.mail_payloads(&reference).await;
        assert_eq!(mails.len(), 1, "intake {i}: {mails:?}");
        assert_eq!(mails[0].0, "verification_link");
        let r = reference.clone();
        let (row, events) = app
            .with_conn(move |c| {
                let row = inzage::store::requests::RequestRow::find_by_reference(c, &r)
                    .unwrap()
                    .unwrap();
                let events = inzage::store::events::Event::for_request(c, &row.id).unwrap();
                (row, events)
            })
            .await;
        assert_eq!(row.subject_email, format!("s{i}@example.nl"));
        // Filed for the tenant it named, when that tenant is known.
        assert_eq!(
            row.tenant_id.is_some(),
            *tenant == Some("acme"),
            "intake {i}"
        );
        assert_eq!(events.len(), 1, "intake {i}");
        assert_eq!(events[0].kind.as_str(), "received");
        // What the subject typed where no tenant matched is kept for support.
        let named = (*tenant == Some("Bakkerij Nergens")).then_some("Bakkerij Nergens");
        assert_eq!(events[0].note.as_deref(), named, "intake {i}");
    }
    // Every intake went through the writers (in groups of one or more).
    assert_eq!(
        app.state.metrics.intake_group.get_sample_sum() as usize,
        N,
        "every intake counted once in a group"
    );
}

fn intake(name: &str, email: &str) -> Intake {
    Intake {
        tenant_slug: None,
        kind: RequestKind::Access,
        name: SubjectName::parse(name).unwrap(),
        email: SubjectEmail::parse(email).unwrap(),
        phone: None,
        details: None,
        language: Language::Nl,
        channel: Channel::Web,
        received_at: Utc::now().trunc_subsecs(6),
        staff: None,
        idempotency: None,
    }
}

async fn a_failed_group_files_each_intake_on_its_own(backend: Backend) {
    let Some(app) = spawn_app(backend, "intake_group_fails").await else {
        return;
    };
    // The store refuses one subject's row: the group's shared write fails with it.
    let trigger: &[&str] = match backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON requests WHEN NEW.subject_name = 'Boom' \
             BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN \
             IF NEW.subject_name = 'Boom' THEN RAISE EXCEPTION 'refused by test'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON requests FOR EACH ROW \
             EXECUTE FUNCTION refuse_boom()",
        ],
    };
    let trigger: Vec<String> = trigger.iter().map(|s| s.to_string()).collect();
    app.with_conn(move |c| {
        for sql in &trigger {
            diesel::sql_query(sql.as_str()).execute(c).unwrap();
        }
    })
    .await;

    let state = app.state.clone();
    let (answers, counts) = app
        .with_conn(move |c| {
            let answers = file_together(
                c,
                &state,
                vec![
                    intake("Anna", "anna@example.nl"),
                    intake("Boom", "boom@example.nl"),
                    intake("Cas", "cas@example.nl"),
                ],
            );
            let counts: Vec<usize> = ["anna@example.nl", "boom@example.nl", "cas@example.nl"]
                .iter()
                .map(|e| {
                    use inzage::store::schema::requests;
                    requests::table
                        .filter(requests::subject_email.eq(*e))
                        .count()
                        .get_result::<i64>(c)
                        .unwrap() as usize
                })
                .collect();
            (answers, counts)
        })
        .await;
    assert_eq!(answers.len(), 3);
    assert!(answers[0].is_ok(), "{:?}", answers[0]);
    assert!(answers[1].is_err(), "the refused intake gets its error");
    assert!(answers[2].is_ok(), "{:?}", answers[2]);
    // The two good intakes are filed once each; the refused one left nothing behind.
    assert_eq!(counts, vec![1, 0, 1]);
}
