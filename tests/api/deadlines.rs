//! Deadlines: the view per tenant, the CLI calendar, and the sweep's reminders, each stage once.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app_with};
use inzage::domain::Role;
use inzage::domain::deadline::{Calendar, ReminderStage};

crate::on_both_backends!(
    deadlines_show_due_soon_and_overdue_per_tenant,
    the_sweep_sends_each_stage_once,
    a_paused_clock_sends_no_reminders_and_an_extension_moves_them,
);

const NO_JOBS: &[(&str, &str)] = &[
    ("INZAGE_RUN_JOBS", "false"),
    ("INZAGE_SUPPORT_EMAIL", "support@processor.example.nl"),
];

async fn sweep_at(app: &TestApp, at: chrono::DateTime<Utc>) -> usize {
    let st = app.state.clone();
    tokio::task::spawn_blocking(move || inzage::jobs::sweep::run(&st, at).unwrap().sent)
        .await
        .unwrap()
}

/// 09:00 Europe/Amsterdam on `day`.
fn morning(day: NaiveDate) -> chrono::DateTime<Utc> {
    chrono_tz::Europe::Amsterdam
        .from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn request_id(app: &TestApp, reference: &str) -> inzage::domain::RequestId {
    let r = reference.to_owned();
    app.with_conn(move |c| {
        inzage::store::requests::RequestRow::find_by_reference(c, &r)
            .unwrap()
            .unwrap()
            .id
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

async fn outbox_of(
    app: &TestApp,
    id: &inzage::domain::RequestId,
) -> Vec<inzage::store::outbox::OutboxRow> {
    let id = id.clone();
    app.with_conn(move |c| inzage::store::outbox::for_request(c, &id).unwrap())
        .await
}

async fn deadlines_show_due_soon_and_overdue_per_tenant(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "deadlines_view", NO_JOBS).await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let support = app.user(Role::Support, None).await;
    let today = Utc::now().date_naive();
    let mut refs = Vec::new();
    for (days_ago, tenant) in [(40, "acme"), (26, "acme"), (0, "acme"), (35, "beta")] {
        let received = (today - Duration::days(days_ago)).to_string();
        let v = app
            .file_as(
                &support.token,
                Some(tenant),
                json!({"received_at": received}),
            )
            .await;
        refs.push(v["reference"].as_str().unwrap().to_owned());
    }
    let (s, v) = app
        .get("/api/v1/deadlines?within=7d", Some(&support.token))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["within"], "7d");
    let names = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|i| i["reference"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("overdue"), [refs[0].clone(), refs[3].clone()]);
    assert_eq!(names("due_soon"), [refs[1].clone()]);
    let acme = v["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant"] == "acme")
        .unwrap();
    assert_eq!(
        (acme["overdue"].as_i64(), acme["due_soon"].as_i64()),
        (Some(1), Some(1))
    );

    let controller = app.user(Role::Controller, Some("beta")).await;
    let (_, v) = app.get("/api/v1/deadlines", Some(&controller.token)).await;
    assert_eq!(v["overdue"].as_array().unwrap().len(), 1);
    assert_eq!(v["due_soon"].as_array().unwrap().len(), 0);
    assert!(
        !v.to_string().contains("acme"),
        "another tenant's counts leak: {v}"
    );
    for bad in ["?within=400d", "?within=abc", "?when=7d"] {
        let (s, v) = app
            .get(&format!("/api/v1/deadlines{bad}"), Some(&support.token))
            .await;
        assert_eq!(s, 422, "{bad}: {v}");
    }
    assert_eq!(app.get("/api/v1/deadlines", None).await.0, 401);
    // the queue's overdue filter agrees
    let (_, q) = app
        .get("/api/v1/requests?overdue=true", Some(&support.token))
        .await;
    assert_eq!(q["total"], 2);

    // `inzage deadlines --json` from the same store says the same
    let env = crate::helpers::test_env(&app.store, &[]);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_inzage"))
            .args(["deadlines", "--within", "7d", "--json"])
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["overdue"].as_array().unwrap().len(), 2);
    assert_eq!(cli["due_soon"].as_array().unwrap().len(), 1);
}

async fn the_sweep_sends_each_stage_once(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "sweep", NO_JOBS).await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let filed = app.file_as(&support.token, Some("acme"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap();
    let id = request_id(&app, reference).await;
    let promised: NaiveDate = filed["deadline"]["promised"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let legal: NaiveDate = filed["deadline"]["legal"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let target = promised.min(legal);
    let cal = Calendar::dutch();
    let day = |s: ReminderStage| s.from_day(&cal, target);

    // before 08:00 on the seven-working-day mark: nothing; from 08:00: that stage, once
    let early = morning(day(ReminderStage::SevenWorkingDays)) - Duration::hours(2);
    assert_eq!(sweep_at(&app, early).await, 0);
    assert_eq!(
        sweep_at(&app, morning(day(ReminderStage::SevenWorkingDays))).await,
        1
    );
    assert_eq!(
        sweep_at(&app, morning(day(ReminderStage::SevenWorkingDays))).await,
        0
    );
    let mails = outbox_of(&app, &id).await;
    let reminders: Vec<_> = mails
        .iter()
        .filter(|m| m.template == "deadline_reminder")
        .collect();
    assert_eq!(reminders.len(), 2, "tenant and support");
    assert!(
        reminders
            .iter()
            .any(|m| m.recipient == "privacy@acme.example.nl")
    );
    assert!(
        reminders
            .iter()
            .any(|m| m.recipient == "support@processor.example.nl")
    );
    for m in &reminders {
        assert!(
            inzage::mail::outbox::render(&app.state, m)
                .unwrap()
                .subject
                .contains(reference)
        );
    }

    assert_eq!(
        sweep_at(&app, morning(day(ReminderStage::TwoWorkingDays))).await,
        1
    );
    // missed the due day: the next sweep sends "overdue" only, the due-day stage is skipped
    assert_eq!(
        sweep_at(&app, morning(day(ReminderStage::Overdue))).await,
        1
    );
    assert_eq!(
        sweep_at(
            &app,
            morning(day(ReminderStage::Overdue) + Duration::days(3))
        )
        .await,
        0
    );

    let sent: Vec<String> = events_of(&app, &id, "reminder")
        .await
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(e.data.as_deref().unwrap()).unwrap()["stage"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(sent, ["7_working_days", "2_working_days", "overdue"]);
    assert_eq!(events_of(&app, &id, "overdue").await.len(), 1);
    let id2 = id.clone();
    let rows = app
        .with_conn(move |c| {
            use diesel::prelude::*;
            use inzage::store::schema::reminders::dsl::*;
            reminders
                .filter(request_id.eq(&id2))
                .select((stage, mailed))
                .load::<(String, bool)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows.len(), 4);
    assert!(rows.contains(&("due_today".to_owned(), false)));
    let (_, d) = app
        .get(
            &format!("/api/v1/requests/{reference}"),
            Some(&support.token),
        )
        .await;
    assert!(
        d["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "overdue")
    );
}

async fn a_paused_clock_sends_no_reminders_and_an_extension_moves_them(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "sweep_pause", NO_JOBS).await else {
        return;
    };
    app.tenant("acme").await;
    let support = app.user(Role::Support, None).await;
    let filed = app.file_as(&support.token, Some("acme"), json!({})).await;
    let reference = filed["reference"].as_str().unwrap();
    let id = request_id(&app, reference).await;
    let far = Utc::now() + Duration::days(120);

    let (s, _) = app
        .act(
            &support.token,
            reference,
            "request_identity",
            json!({"note": "klantnummer?"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(sweep_at(&app, far).await, 0, "a paused clock sends nothing");
    app.act(
        &support.token,
        reference,
        "identity_confirmed",
        json!({"method": "klantnummer"}),
    )
    .await;

    let (s, v) = app
        .act(
            &support.token,
            reference,
            "extend",
            json!({"months": 2, "reason": "veel systemen"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let extended: NaiveDate = v["deadline"]["extended"].as_str().unwrap().parse().unwrap();
    // the extension notice went to the subject, with the reasons, before the legal deadline
    let mails = outbox_of(&app, &id).await;
    let notice = mails
        .iter()
        .find(|m| m.template == "extension_notice")
        .expect("extension notice queued");
    assert_eq!(notice.recipient, "bram@example.nl");
    assert!(
        inzage::mail::outbox::render(&app.state, notice)
            .unwrap()
            .text
            .contains("veel systemen")
    );
    // reminders now follow the extended date: nothing a week before the old target
    let old_target: NaiveDate = filed["deadline"]["promised"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(sweep_at(&app, morning(old_target)).await, 0);
    let cal = Calendar::dutch();
    assert_eq!(
        sweep_at(
            &app,
            morning(ReminderStage::SevenWorkingDays.from_day(&cal, extended))
        )
        .await,
        1
    );

    // closed: nothing more, ever
    app.act(&support.token, reference, "withdraw", json!({}))
        .await;
    assert_eq!(
        sweep_at(&app, morning(extended + Duration::days(5))).await,
        0
    );
}

#[test]
fn the_cli_computes_the_worked_examples() {
    for (args, legal) in [
        (vec!["--received", "2026-03-05"], "2026-04-07"),
        (vec!["--received", "2026-01-31"], "2026-03-02"),
        (vec!["--received", "2026-03-26"], "2026-04-28"),
        (
            vec!["--received", "2026-03-02", "--paused-days", "7"],
            "2026-04-09",
        ),
        // The early reading: Good Friday does not move a GDPR date.
        (vec!["--received", "2026-03-03"], "2026-04-03"),
        (vec!["--received", "2027-02-26"], "2027-03-26"),
        (vec!["--received", "2028-03-14"], "2028-04-14"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_inzage"))
            .arg("deadline")
            .args(&args)
            .arg("--json")
            .env_remove("INZAGE_BRIDGE_DAYS")
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["legal"], legal, "{args:?}");
        assert!(v["extended"].is_null());
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args([
            "deadline",
            "--received",
            "2026-03-05",
            "--extend-months",
            "2",
            "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["extended"], "2026-06-05");
    // Nor does a configured bridge day (2 Jan 2026 is one month after 2 Dec 2025).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args(["deadline", "--received", "2025-12-02", "--json"])
        .env("INZAGE_BRIDGE_DAYS", "2026-01-02")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["legal"], "2026-01-02");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args(["deadline", "--received", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
