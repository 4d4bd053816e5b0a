//! The accountability report on a seeded month equals a count made by hand, over HTTP (JSON
//! and CSV) and from `inzage report`.

use std::process::{Command, Stdio};

use chrono::{Datelike, Duration, NaiveDate};
use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app, test_env};
use inzage::domain::Role;

crate::on_both_backends!(the_report_of_a_seeded_month_matches_a_count_by_hand);

fn date(v: &Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

/// Files a request received on `day` and returns (reference, legal date, promised date).
async fn received(
    app: &TestApp,
    token: &str,
    kind: &str,
    day: NaiveDate,
) -> (String, NaiveDate, NaiveDate) {
    let v = app
        .file_as(
            token,
            Some("acme"),
            json!({"kind": kind, "received_at": day.to_string()}),
        )
        .await;
    (
        v["reference"].as_str().unwrap().to_owned(),
        date(&v["deadline"]["legal"]),
        date(&v["deadline"]["promised"]),
    )
}

/// Seeds how a request ended, as if it had been handled then.
async fn seed(
    app: &TestApp,
    reference: &str,
    status: &str,
    closed_on: Option<NaiveDate>,
    set: &str,
) {
    let sql = format!(
        "UPDATE requests SET status = '{status}', closed_at = $1 {set} WHERE reference = $2"
    );
    let closed = closed_on.map(|d| d.and_hms_opt(12, 0, 0).unwrap());
    let reference = reference.to_owned();
    app.with_conn(move |c| {
        diesel::sql_query(sql)
            .bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamp>, _>(closed)
            .bind::<diesel::sql_types::Text, _>(reference)
            .execute(c)
            .unwrap();
    })
    .await;
}

async fn the_report_of_a_seeded_month_matches_a_count_by_hand(backend: Backend) {
    let Some(app) = spawn_app(backend, "report").await else {
        return;
    };
    app.tenant("acme").await;
    app.tenant("beta").await;
    let admin = app.user(Role::Admin, None).await;
    let support = app.user(Role::Support, None).await;
    let acme = app.user(Role::Controller, Some("acme")).await;
    let beta = app.user(Role::Controller, Some("beta")).await;

    // the month that began about a hundred days ago
    let back = chrono::Utc::now().date_naive() - Duration::days(100);
    let first = NaiveDate::from_ymd_opt(back.year(), back.month(), 1).unwrap();
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    let day = |n: i64| first + Duration::days(n);

    // A: access, answered on the promised date
    let (a, _, a_promised) = received(&app, &admin.token, "access", day(1)).await;
    seed(&app, &a, "completed", Some(a_promised), "").await;
    // B: access, answered on the legal date
    let (b, b_legal, b_promised) = received(&app, &admin.token, "access", day(2)).await;
    seed(&app, &b, "completed", Some(b_legal), "").await;
    // C: erasure, refused two days late
    let (c, c_legal, _) = received(&app, &admin.token, "erasure", day(3)).await;
    seed(
        &app,
        &c,
        "refused",
        Some(c_legal + Duration::days(2)),
        ", refusal_ground = 'manifestly_unfounded', refusal_reason = 'r'",
    )
    .await;
    // D: access, extended by a month, answered ten days after the legal date
    let (d, d_legal, _) = received(&app, &admin.token, "access", day(4)).await;
    let extended = d_legal + Duration::days(30);
    seed(
        &app,
        &d,
        "completed",
        Some(d_legal + Duration::days(10)),
        &format!(
            ", extended_due = '{extended}', extension_months = 1, extension_reason = 'many systems'"
        ),
    )
    .await;
    // E: erasure, withdrawn (not answered); F: portability, still open
    let (e, _, _) = received(&app, &admin.token, "erasure", day(5)).await;
    seed(&app, &e, "withdrawn", Some(day(6)), "").await;
    let _f = received(&app, &admin.token, "portability", day(6)).await;
    // G: received the month after: not in the report
    let (g, _, g_promised) = received(&app, &admin.token, "access", last + Duration::days(2)).await;
    seed(&app, &g, "completed", Some(g_promised), "").await;

    // two grants given in the month, one of them used
    for _ in 0..2 {
        let (s, v) = app
            .post(
                "/api/v1/tenants/acme/grants",
                Some(&acme.token),
                &json!({"grantee": support.email, "hours": 1, "reason": "check"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let given = day(10).and_hms_opt(9, 0, 0).unwrap();
    app.with_conn(move |c| {
        diesel::sql_query("UPDATE access_grants SET created_at = $1, expires_at = $2")
            .bind::<diesel::sql_types::Timestamp, _>(given)
            .bind::<diesel::sql_types::Timestamp, _>(given + Duration::hours(1))
            .execute(c)
            .unwrap();
        diesel::sql_query(
            "UPDATE access_grants SET first_used_at = $1 WHERE id = (SELECT MIN(id) FROM access_grants)",
        )
        .bind::<diesel::sql_types::Timestamp, _>(given + Duration::minutes(5))
        .execute(c)
        .unwrap();
    })
    .await;

    // the count by hand
    let days_a = (a_promised - day(1)).num_days();
    let days_b = (b_legal - day(2)).num_days();
    let days_c = (c_legal + Duration::days(2) - day(3)).num_days();
    let days_d = (d_legal + Duration::days(10) - day(4)).num_days();
    let mut days = [days_a, days_b, days_c, days_d];
    days.sort_unstable();
    let median = (days[1] + days[2]) as f64 / 2.0;
    // A on time by both; B on time legally, and by the promise if that is the same day;
    // C late by both; D on time by its extended date, late by its promise.
    let b_promised_on_time = u64::from(b_legal <= b_promised);
    let promised_on_time = 1 + b_promised_on_time;

    let path = format!("/api/v1/tenants/acme/report?from={first}&to={last}");
    let (s, r) = app.get(&path, Some(&acme.token)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["tenant"], "acme");
    assert_eq!(r["received"], 6, "{r}");
    assert_eq!(
        r["by_kind"]["access"],
        json!({"total": 3, "completed": 3, "refused": 0, "withdrawn": 0, "open": 0})
    );
    assert_eq!(
        r["by_kind"]["erasure"],
        json!({"total": 2, "completed": 0, "refused": 1, "withdrawn": 1, "open": 0})
    );
    assert_eq!(
        r["by_kind"]["portability"],
        json!({"total": 1, "completed": 0, "refused": 0, "withdrawn": 0, "open": 1})
    );
    assert_eq!(r["answered"], 4);
    assert_eq!(r["legal"], json!({"on_time": 3, "late": 1}));
    assert_eq!(
        r["promised"],
        json!({"on_time": promised_on_time, "late": 4 - promised_on_time})
    );
    assert_eq!(r["median_days_to_answer"], median);
    assert_eq!(r["worst_days_to_answer"], days[3]);
    assert_eq!(
        r["extensions"],
        json!([{"reference": d, "months": 1, "reason": "many systems"}])
    );
    assert_eq!(r["refusals_by_ground"], json!({"manifestly_unfounded": 1}));
    assert_eq!(r["grants"], json!({"given": 2, "used": 1}));

    // as CSV
    let res = app
        .client
        .get(app.url(&format!("{path}&format=csv")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("metric,value\n"), "{csv}");
    assert!(csv.contains("\nreceived,6\n"), "{csv}");
    assert!(csv.contains("\nlegal.late,1\n"), "{csv}");
    assert!(csv.contains("\ngrants.used,1\n"), "{csv}");

    // only the tenant's controller and admin; bad dates are named
    let (s, _) = app.get(&path, Some(&support.token)).await;
    assert_eq!(s, 403);
    let (s, _) = app.get(&path, Some(&beta.token)).await;
    assert_eq!(s, 404);
    let (s, v) = app
        .get("/api/v1/tenants/acme/report?from=march", Some(&acme.token))
        .await;
    assert_eq!(s, 422);
    assert!(v["error"]["fields"]["from"].is_string());

    // the command line gives the same figures
    let env = test_env(&app.store, &[]);
    let (from, to) = (first.to_string(), last.to_string());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_inzage"))
            .args(["report", "--tenant", "acme", "--from", &from, "--to", &to])
            .envs(&env)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, r);
}
