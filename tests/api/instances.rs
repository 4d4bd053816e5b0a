//! Several `inzage serve` processes on one PostgreSQL database: every due reminder is
//! produced exactly once, and a job whose worker is killed mid-way is finished by another.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::helpers::{Backend, free_port, fresh_store, start_server_with, wait_healthy};

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}

/// `n` requests of tenant `acme`, received 40 days ago, their reminders due now.
fn seed(conn: &mut PgConnection, n: i64) {
    diesel::sql_query(
        "INSERT INTO tenants (id, slug, name, contact_email, language, id_document_required, created_at) \
         VALUES ('t-acme', 'acme', 'Acme BV', 'privacy@acme.example.nl', 'nl', false, now())",
    )
    .execute(conn)
    .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO requests (id, reference, tenant_id, kind, status, channel, language, subject_name, subject_email, \
           subject_email_norm, received_at, received_on, legal_due, promised_due, paused_days, identity_pending, due_at, \
           next_reminder_at, version, created_at, updated_at) \
         SELECT 'r-' || i, 'DSR-2026-' || lpad(i::text, 6, '0'), 't-acme', 'access', 'forwarded', 'web', 'nl', \
           'Subject ' || i, 's' || i || '@example.nl', 's' || i || '@example.nl', now() - interval '40 days', \
           current_date - 40, current_date - 8, current_date - 12, 0, false, now() - interval '12 days', \
           now() - interval '1 minute', 0, now(), now() \
         FROM generate_series(1, {n}) AS i"
    ))
    .execute(conn)
    .unwrap();
}

/// Every request got exactly one mailed reminder (overdue), one reminder event, one overdue
/// flag, and one mail per recipient.
fn assert_exactly_once(conn: &mut PgConnection, n: i64, recipients: i64) {
    assert_eq!(
        count(conn, "SELECT COUNT(*) AS n FROM reminders WHERE mailed"),
        n
    );
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) AS n FROM (SELECT request_id FROM reminders WHERE mailed GROUP BY request_id HAVING COUNT(*) > 1) d"
        ),
        0
    );
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) AS n FROM request_events WHERE kind = 'reminder'"
        ),
        n
    );
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) AS n FROM request_events WHERE kind = 'overdue'"
        ),
        n
    );
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) AS n FROM outbox WHERE template = 'deadline_reminder'"
        ),
        n * recipients
    );
    assert_eq!(
        count(conn, "SELECT COUNT(DISTINCT message_id) AS n FROM outbox"),
        count(conn, "SELECT COUNT(*) AS n FROM outbox")
    );
}

async fn wait_until(conn: &mut PgConnection, sql: &str, want: i64, secs: u64) {
    for _ in 0..secs * 10 {
        if count(conn, sql) == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "timed out waiting for {sql} = {want} (now {})",
        count(conn, sql)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_send_every_reminder_once() {
    let Some(store) = fresh_store(Backend::Postgres, "three_instances") else {
        return;
    };
    let mut conn = PgConnection::establish(&store.url).unwrap();
    let migrate = tokio::task::spawn_blocking({
        let url = store.url.clone();
        move || {
            inzage::store::Db::connect(&url, 1)
                .unwrap()
                .migrate()
                .unwrap()
        }
    });
    migrate.await.unwrap();
    seed(&mut conn, 300);
    let env = [
        ("INZAGE_SWEEP_INTERVAL_SECS", "1"),
        ("INZAGE_JOB_WORKERS", "2"),
        ("INZAGE_SUPPORT_EMAIL", "support@processor.example.nl"),
    ];
    let mut servers = Vec::new();
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let port = free_port();
        servers.push(start_server_with(&store, port, &env));
        wait_healthy(&client, &format!("http://127.0.0.1:{port}")).await;
    }
    wait_until(
        &mut conn,
        "SELECT COUNT(*) AS n FROM requests WHERE next_reminder_at IS NOT NULL",
        0,
        60,
    )
    .await;
    // let more sweeps run on every instance: still nothing twice, and the work is shared
    tokio::time::sleep(Duration::from_secs(6)).await;
    for mut s in servers {
        s.kill().unwrap();
        s.wait().unwrap();
    }
    assert_exactly_once(&mut conn, 300, 2);
    let instances = count(
        &mut conn,
        "SELECT COUNT(DISTINCT split_part(locked_by, '/', 1)) AS n FROM jobs WHERE kind = 'deadline_sweep'",
    );
    assert!(
        instances >= 2,
        "the sweeps were shared between instances ({instances})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_is_killed_is_finished_by_another() {
    let Some(store) = fresh_store(Backend::Postgres, "killed_worker") else {
        return;
    };
    let mut conn = PgConnection::establish(&store.url).unwrap();
    tokio::task::spawn_blocking({
        let url = store.url.clone();
        move || {
            inzage::store::Db::connect(&url, 1)
                .unwrap()
                .migrate()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let n = 3000;
    seed(&mut conn, n);
    // one worker per instance, a long sweep period, a short lease
    let env = [
        ("INZAGE_SWEEP_INTERVAL_SECS", "3600"),
        ("INZAGE_JOB_WORKERS", "1"),
        ("INZAGE_JOB_LEASE_SECS", "3"),
    ];
    let client = reqwest::Client::new();
    let port_a = free_port();
    let mut a = start_server_with(&store, port_a, &env);
    wait_healthy(&client, &format!("http://127.0.0.1:{port_a}")).await;
    // kill -9 while the sweep is half-way
    for _ in 0..600 {
        if count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM reminders WHERE mailed",
        ) >= 100
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill().unwrap();
    a.wait().unwrap();
    let done_by_a = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM reminders WHERE mailed",
    );
    assert!(
        done_by_a > 0 && done_by_a < n,
        "killed mid-sweep ({done_by_a} of {n})"
    );
    let sweep_id = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'deadline_sweep' AND state = 'running'",
    )
    .get_result::<N>(&mut conn)
    .unwrap()
    .n;
    assert_eq!(sweep_id, 1, "the killed worker's job is left running");

    let port_b = free_port();
    let mut b = start_server_with(&store, port_b, &env);
    wait_healthy(&client, &format!("http://127.0.0.1:{port_b}")).await;
    wait_until(
        &mut conn,
        "SELECT COUNT(*) AS n FROM requests WHERE next_reminder_at IS NOT NULL",
        0,
        120,
    )
    .await;
    wait_until(&mut conn, "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'deadline_sweep' AND state = 'done' AND attempts = 2", 1, 30).await;
    b.kill().unwrap();
    b.wait().unwrap();
    let pid_b = b.id();
    let taken_over = count(
        &mut conn,
        &format!(
            "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'deadline_sweep' AND attempts = 2 AND locked_by LIKE '%:{pid_b}:%'"
        ),
    );
    assert_eq!(
        taken_over, 1,
        "the second instance finished the first one's job"
    );
    assert_exactly_once(&mut conn, n, 1);
}
