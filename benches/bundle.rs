//! Bundle compilation against the raw limit: a subject with N rows spread over three systems
//! (PostgreSQL, MariaDB, SQLite), compiled by `inzage export` (the release binary, one
//! process, peak memory read from /proc), and the same rows dumped by the databases' own
//! clients (`psql \copy … csv`, `mariadb --batch`, `sqlite3 -csv`) plus `zip` of the files.
//!
//! `cargo bench --bench bundle` with `TEST_DATABASE_URL` (PostgreSQL admin URL) and
//! `TEST_MYSQL_URL` (MariaDB); options after `--`: `--rows N[,N…]` (default 100000,1000000).
//! Fresh databases are created and dropped. Prints a Markdown table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use inzage::auth::Principal;
use inzage::config::Settings;
use inzage::domain::{Channel, Language, RequestKind, Role, SubjectEmail, SubjectName};
use inzage::service::admin::{TenantInput, UserInput, create_tenant, create_user, principal_for};
use inzage::service::intake::{Intake, file};
use inzage::startup::open_store;
use inzage::state::AppState;

#[path = "support/three_systems.rs"]
mod three_systems;
use three_systems::{Dbs, SUBJECT, admin_urls, mariadb, run_ok, sizes, watch_peak};

const SUBJECT_ROWS: &str = "SELECT a.* FROM activities a WHERE a.member_id IN \
     (SELECT m.id FROM members m WHERE lower(trim(m.email)) = 'anna@example.nl') ORDER BY a.id";
const SUBJECT_MEMBER: &str =
    "SELECT id, email, name FROM members m WHERE lower(trim(m.email)) = 'anna@example.nl'";

/// The raw limit: the clients dump the subject's rows to CSV, then `zip` packs them.
fn raw_limit(dir: &Path, dbs: &Dbs) -> Duration {
    let out = dir.join("raw");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let start = Instant::now();
    for (table, q) in [("members", SUBJECT_MEMBER), ("activities", SUBJECT_ROWS)] {
        let f = out.join(format!("pg_{table}.csv"));
        run_ok(
            Command::new("psql")
                .arg(&dbs.pg_url)
                .arg("-qc")
                .arg(format!("\\copy ({q}) TO '{}' CSV HEADER", f.display())),
        );
        let f = std::fs::File::create(out.join(format!("maria_{table}.tsv"))).unwrap();
        let status = mariadb(&dbs.name)
            .args(["--batch", "--quick", "-e", q])
            .stdout(f)
            .status()
            .unwrap();
        assert!(status.success());
        let f = std::fs::File::create(out.join(format!("lite_{table}.csv"))).unwrap();
        let status = Command::new("sqlite3")
            .args(["-csv", "-header"])
            .arg(&dbs.lite)
            .arg(q)
            .stdout(f)
            .status()
            .unwrap();
        assert!(status.success());
    }
    run_ok(
        Command::new("zip")
            .current_dir(&out)
            .args(["-q", "-r", "../raw.zip", "."]),
    );
    start.elapsed()
}

/// Runs `inzage export` and returns its time and peak resident memory (KiB, VmHWM).
fn export(env: &[(String, String)], reference: &str, out: &Path) -> (Duration, u64) {
    let (elapsed, peak, out) = watch_peak(
        Command::new(env!("CARGO_BIN_EXE_inzage"))
            .args(["export", "--request", reference, "--out"])
            .arg(out)
            .envs(env.iter().cloned()),
    );
    assert!(
        out.status.success(),
        "export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("  {}", String::from_utf8_lossy(&out.stdout).trim());
    (elapsed, peak)
}

fn main() {
    let (pg_admin, my_admin) = admin_urls();
    let admins = (pg_admin.as_str(), my_admin.as_str());
    let mut table = Vec::new();
    for rows in sizes(&[100_000, 1_000_000]) {
        // each system holds a third of the subject's rows
        let per_system = rows / 3;
        let dir = tempfile::tempdir().unwrap();
        let name = format!("inzage_bundle_bench_{}", std::process::id());
        let t = Instant::now();
        let dbs = Dbs::seed(admins, dir.path(), &name, per_system, false);
        eprintln!("seeded {rows} rows in {:.1} s", t.elapsed().as_secs_f64());

        let map = dir.path().join("bench.toml");
        dbs.datamap(
            &map,
            |name| format!("description = \"System {name}\"\n"),
            "exclude = [\"password_hash\"]\ncategory = \"Contact details\"\n",
            "category = \"Usage\"\n",
        );
        let env: Vec<(String, String)> = vec![
            (
                "INZAGE_DATABASE_URL".into(),
                format!("sqlite://{}", dir.path().join("inzage.db").display()),
            ),
            (
                "INZAGE_DATA_DIR".into(),
                dir.path().join("var").display().to_string(),
            ),
            (
                "INZAGE_SECRET_KEY".into(),
                "bench-secret-bench-secret-bench-secret".into(),
            ),
            ("INZAGE_LOG".into(), "error".into()),
        ];
        let reference = {
            let lookup: std::collections::HashMap<String, String> = env.iter().cloned().collect();
            let settings = Settings::load_from(None, &|k| lookup.get(k).cloned()).unwrap();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let store = rt.block_on(open_store(&settings)).unwrap();
            let state = AppState::new(store, settings).unwrap();
            let mut conn = state.db.conn().unwrap();
            create_tenant(
                &mut conn,
                TenantInput {
                    slug: "bench".into(),
                    name: "Bench BV".into(),
                    contact_email: "privacy@bench.example.nl".into(),
                    language: Language::Nl,
                    datamap_path: Some(map.display().to_string()),
                    id_document_required: false,
                    sector: Default::default(),
                },
            )
            .unwrap();
            let admin = create_user(
                &mut conn,
                UserInput {
                    email: "admin@bench.example.nl".into(),
                    role: Role::Admin,
                    tenant_slug: None,
                    password: "bench password bench password".into(),
                },
            )
            .unwrap();
            let staff: Principal = principal_for(&mut conn, &admin.id).unwrap().unwrap();
            let filed = file(
                &mut conn,
                &state,
                Intake {
                    tenant_slug: Some("bench".into()),
                    kind: RequestKind::Portability,
                    name: SubjectName::parse("Anna de Vries").unwrap(),
                    email: SubjectEmail::parse(SUBJECT).unwrap(),
                    phone: None,
                    details: None,
                    language: Language::Nl,
                    channel: Channel::Email,
                    received_at: chrono::Utc::now(),
                    staff: Some(staff),
                    idempotency: None,
                },
            )
            .unwrap();
            filed.request.reference
        };

        let raw = raw_limit(dir.path(), &dbs);
        let out = dir.path().join("bundle.zip");
        let (ours, peak_kib) = export(&env, &reference, &out);
        let raw_bytes = std::fs::metadata(dir.path().join("raw.zip")).unwrap().len();
        let our_bytes = std::fs::metadata(&out).unwrap().len();
        table.push((rows, raw, raw_bytes, ours, our_bytes, peak_kib));

        if std::env::var_os("BENCH_KEEP").is_some() {
            // For profiling: keep the databases and print how to run the export again.
            let dir = dir.keep();
            let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            eprintln!(
                "kept {}: {} inzage export --request {reference} --out /tmp/x.zip",
                dir.display(),
                vars.join(" ")
            );
            continue;
        }
        dbs.drop_all(admins);
    }
    println!(
        "| subject rows | raw limit (clients + zip) | raw zip | inzage export | bundle zip | ratio | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (rows, raw, raw_bytes, ours, our_bytes, peak) in table {
        println!(
            "| {rows} | {:.2} s | {:.1} MiB | {:.2} s | {:.1} MiB | {:.2} | {:.1} MiB |",
            raw.as_secs_f64(),
            raw_bytes as f64 / 1048576.0,
            ours.as_secs_f64(),
            our_bytes as f64 / 1048576.0,
            ours.as_secs_f64() / raw.as_secs_f64(),
            peak as f64 / 1024.0
        );
    }
}
