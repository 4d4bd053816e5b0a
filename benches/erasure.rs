//! Erasure against the raw limit: a subject with N rows spread over three systems
//! (PostgreSQL, MariaDB, SQLite), erased by inzage's execution code (`tenant_data::execute`,
//! the code the `execution` job runs: lock, then batched deletes, one transaction per system)
//! in a child process whose peak memory is read from /proc, against the same DELETEs run by
//! the databases' own clients (`psql`, `mariadb`, `sqlite3`), one transaction per system.
//!
//! `cargo bench --bench erasure` with `TEST_DATABASE_URL` (PostgreSQL admin URL) and
//! `TEST_MYSQL_URL` (MariaDB); options after `--`: `--rows N[,N…]` (default 1000000). Fresh
//! databases are created, seeded twice (once for each side) and dropped. Prints a Markdown
//! table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use inzage::tenant_data::exec_sql::{Operation, plan_system};
use inzage::tenant_data::execute::{DELETE_BATCH, ExecOptions, Finish, UPDATE_BATCH, run_system};
use inzage::tenant_data::sql::Needles;
use inzage::tenant_data::{DataMap, ExportOptions, SubjectIdentities};

#[path = "support/three_systems.rs"]
mod three_systems;
use three_systems::{Dbs, SUBJECT, admin_urls, mariadb, run_ok, sizes, watch_peak};

const RAW_DELETE: &str = "BEGIN; \
    DELETE FROM activities WHERE member_id IN (SELECT id FROM members WHERE lower(trim(email)) = 'anna@example.nl'); \
    DELETE FROM members WHERE lower(trim(email)) = 'anna@example.nl'; COMMIT;";

/// The raw limit: each database's own client runs the two DELETEs in one transaction.
fn raw_limit(dbs: &Dbs) -> Duration {
    let start = Instant::now();
    run_ok(
        Command::new("psql")
            .arg(&dbs.pg_url)
            .arg("-qc")
            .arg(RAW_DELETE),
    );
    eprintln!("  raw pg done at {:.2} s", start.elapsed().as_secs_f64());
    run_ok(mariadb(&dbs.name).args(["-e", RAW_DELETE]));
    eprintln!("  raw maria done at {:.2} s", start.elapsed().as_secs_f64());
    run_ok(Command::new("sqlite3").arg(&dbs.lite).arg(RAW_DELETE));
    start.elapsed()
}

/// The child: erases the subject in every system of the map, as the job does.
fn child(map: &str) {
    let map = DataMap::load(Path::new(map)).unwrap();
    let needles = Needles::from_subject(&SubjectIdentities {
        emails: vec![SUBJECT.to_owned()],
        ..Default::default()
    });
    let export = ExportOptions::default();
    let hash = |v: &str| v.to_owned();
    let options = ExecOptions {
        delete_batch: DELETE_BATCH,
        update_batch: UPDATE_BATCH,
        export: &export,
        mask_hash: &hash,
    };
    let mut rows = 0;
    for system in &map.systems {
        let steps = plan_system(system, &Operation::Erase);
        let t = Instant::now();
        let mut hook = |_: &[_]| Ok(());
        let results = run_system(
            system,
            &steps,
            &needles,
            &options,
            Finish::Commit(&mut hook),
            &mut |_| {},
        )
        .unwrap();
        rows += results.iter().map(|r| r.rows).sum::<u64>();
        eprintln!(
            "  inzage {} {:.2} s",
            system.name,
            t.elapsed().as_secs_f64()
        );
    }
    println!("{rows}");
}

/// Runs the child and returns its time, peak resident memory (KiB, VmHWM) and rows deleted.
fn inzage(map: &Path) -> (Duration, u64, u64) {
    let (elapsed, peak, out) =
        watch_peak(Command::new(std::env::current_exe().unwrap()).env("ERASURE_BENCH_CHILD", map));
    assert!(
        out.status.success(),
        "child: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let rows = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    (elapsed, peak, rows)
}

fn main() {
    if let Ok(map) = std::env::var("ERASURE_BENCH_CHILD") {
        child(&map);
        return;
    }
    let (pg_admin, my_admin) = admin_urls();
    let admins = (pg_admin.as_str(), my_admin.as_str());
    let mut table = Vec::new();
    for rows in sizes(&[1_000_000]) {
        let per_system = rows / 3;
        let dir = tempfile::tempdir().unwrap();
        let pid = std::process::id();
        let (raw_name, our_name) = (
            format!("inzage_erase_raw_{pid}"),
            format!("inzage_erase_ours_{pid}"),
        );
        let t = Instant::now();
        let raw_dbs = Dbs::seed(admins, dir.path(), &raw_name, per_system, true);
        let ours = Dbs::seed(admins, dir.path(), &our_name, per_system, true);
        eprintln!(
            "seeded 2 × {rows} rows in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let raw = raw_limit(&raw_dbs);
        let map = dir.path().join("bench.toml");
        let erase = "on_erasure = \"delete\"\n";
        ours.datamap(&map, |_| String::new(), erase, erase);
        let (elapsed, peak, deleted) = inzage(&map);
        table.push((rows, raw, elapsed, peak, deleted));
        raw_dbs.drop_all(admins);
        ours.drop_all(admins);
    }
    println!(
        "| subject rows | raw DELETEs (psql + mariadb + sqlite3) | inzage erasure | ratio | peak RSS | rows deleted |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for (rows, raw, ours, peak, deleted) in table {
        println!(
            "| {rows} | {:.2} s | {:.2} s | {:.2} | {:.1} MiB | {deleted} |",
            raw.as_secs_f64(),
            ours.as_secs_f64(),
            ours.as_secs_f64() / raw.as_secs_f64(),
            peak as f64 / 1024.0
        );
    }
}
