//! The job queue: leases, takeover after a lease runs out, backoff, dead after the last try
//! (shown in /metrics and the API, and retried by an admin), concurrent claims.

use chrono::Duration;
use serde_json::json;

use crate::helpers::{Backend, spawn_app_with};
use inzage::domain::Role;
use inzage::store::jobs::{self, NewJob};
use inzage::store::now;

crate::on_both_backends!(
    leases_backoff_and_dead_jobs,
    a_failing_job_ends_dead_through_the_workers
);

fn job(kind: &str, max_attempts: i32) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload: json!({}),
        dedupe_key: None,
        run_after: now(),
        max_attempts,
    }
}

async fn leases_backoff_and_dead_jobs(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "jobs_leases", &[("INZAGE_RUN_JOBS", "false")]).await
    else {
        return;
    };
    let admin = app.user(Role::Admin, None).await;
    let support = app.user(Role::Support, None).await;
    let id = app
        .with_conn(|c| {
            let dedupe = NewJob {
                dedupe_key: Some("once".into()),
                ..job("maintenance", 2)
            };
            let t = now();
            assert!(jobs::enqueue(c, &dedupe, t).unwrap());
            assert!(
                !jobs::enqueue(c, &dedupe, t).unwrap(),
                "a dedupe key lets one through"
            );

            let a = jobs::claim(c, "worker-a", Duration::seconds(30), t)
                .unwrap()
                .unwrap();
            assert_eq!((a.attempts, a.state.as_str()), (1, "running"));
            assert!(
                jobs::claim(c, "worker-b", Duration::seconds(30), t)
                    .unwrap()
                    .is_none(),
                "held by a's lease"
            );
            // a's lease runs out (a died): b takes the job over; a can no longer finish it
            let later = t + Duration::seconds(31);
            let b = jobs::claim(c, "worker-b", Duration::seconds(30), later)
                .unwrap()
                .unwrap();
            assert_eq!((b.id.as_str(), b.attempts), (a.id.as_str(), 2));
            assert!(!jobs::complete(c, &a.id, "worker-a", later).unwrap());
            // b fails on its last try: dead
            assert_eq!(
                jobs::fail(c, &b, "worker-b", "tenant database down", later).unwrap(),
                jobs::JobState::Dead
            );
            a.id
        })
        .await;
    let text = app
        .client
        .get(app.metrics_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"inzage_jobs{kind="maintenance",state="dead"} 1"#),
        "{text}"
    );

    let (s, v) = app.get("/api/v1/jobs?state=dead", Some(&admin.token)).await;
    assert_eq!(s, 200);
    assert_eq!(v[0]["id"], id);
    assert_eq!(v[0]["last_error"], "tenant database down");
    assert_eq!(app.get("/api/v1/jobs", Some(&support.token)).await.0, 403);
    assert_eq!(
        app.get("/api/v1/jobs?state=lost", Some(&admin.token))
            .await
            .0,
        422
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/jobs/{id}/retry"),
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("queued")), "{v}");
    assert_eq!(
        app.post(
            &format!("/api/v1/jobs/{id}/retry"),
            Some(&admin.token),
            &json!({})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        app.post("/api/v1/jobs/nope/retry", Some(&admin.token), &json!({}))
            .await
            .0,
        404
    );

    // backoff: a failed try waits before the next
    app.with_conn(|c| {
        let sweep = job("deadline_sweep", 5);
        let t = now();
        jobs::enqueue(c, &sweep, t).unwrap();
        // the retried maintenance job and the new one: take both, fail the sweep
        let mut claimed = Vec::new();
        while let Some(j) = jobs::claim(c, "w", Duration::seconds(30), t).unwrap() {
            claimed.push(j);
        }
        assert_eq!(claimed.len(), 2);
        let sweep = claimed.iter().find(|j| j.kind == "deadline_sweep").unwrap();
        assert_eq!(
            jobs::fail(c, sweep, "w", "boom", t).unwrap(),
            jobs::JobState::Queued
        );
        assert!(
            jobs::claim(c, "w", Duration::seconds(30), t + Duration::seconds(29))
                .unwrap()
                .is_none()
        );
        assert!(
            jobs::claim(c, "w", Duration::seconds(30), t + Duration::seconds(31))
                .unwrap()
                .is_some()
        );
    })
    .await;
}

async fn a_failing_job_ends_dead_through_the_workers(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "jobs_workers", &[]).await else {
        return;
    };
    app.with_conn(|c| jobs::enqueue(c, &job("no_such_kind", 1), now()).unwrap())
        .await;
    let mut state = String::new();
    for _ in 0..300 {
        let rows = app.with_conn(|c| jobs::list(c, None, 50).unwrap()).await;
        if let Some(j) = rows.iter().find(|j| j.kind == "no_such_kind") {
            state = j.state.clone();
            if state == "dead" {
                assert!(
                    j.last_error
                        .as_deref()
                        .unwrap()
                        .contains("unknown job kind")
                );
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "dead");
    // the scheduler enqueued the periodic jobs and a worker ran the sweep
    let mut swept = false;
    for _ in 0..300 {
        let rows = app
            .with_conn(|c| jobs::list(c, Some("done"), 50).unwrap())
            .await;
        swept = rows.iter().any(|j| j.kind == "deadline_sweep");
        if swept {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(swept, "no deadline sweep ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_on_postgres_never_share_a_job() {
    let Some(app) = spawn_app_with(
        Backend::Postgres,
        "jobs_skip_locked",
        &[("INZAGE_RUN_JOBS", "false")],
    )
    .await
    else {
        return;
    };
    app.with_conn(|c| {
        for _ in 0..40 {
            jobs::enqueue(c, &job("maintenance", 3), now()).unwrap();
        }
    })
    .await;
    let handles: Vec<_> = (0..4)
        .map(|w| {
            let st = app.state.clone();
            tokio::task::spawn_blocking(move || {
                let mut conn = st.db.conn().unwrap();
                let mut mine = Vec::new();
                while let Some(j) =
                    jobs::claim(&mut conn, &format!("w{w}"), Duration::seconds(60), now()).unwrap()
                {
                    mine.push(j.id);
                }
                mine
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!((n, all.len()), (40, 40), "every job claimed exactly once");
}
