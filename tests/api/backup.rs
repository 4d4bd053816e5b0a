//! `inzage backup` while the service takes requests, `inzage restore` into a fresh directory:
//! every acknowledged request, its events and every stored file come back, byte for byte.

use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use inzage::config::Settings;
use inzage::startup::open_store;
use inzage::state::AppState;
use inzage::store::files::FilePurpose;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, fresh_store, spawn_app, test_env};

fn inzage(env: &std::collections::HashMap<String, String>, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_everything_acknowledged() {
    let app = spawn_app(Backend::Sqlite, "backup").await.unwrap();
    // files at rest: written and acknowledged before the backup
    let mut files = Vec::new();
    for n in [0usize, 1, 70_000, 300_000] {
        let st = app.state.clone();
        let plain: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
        let id = tokio::task::spawn_blocking({
            let plain = plain.clone();
            move || {
                let mut w = st.files.create(FilePurpose::Bundle).unwrap();
                w.write_all(&plain).unwrap();
                w.finish().unwrap().id
            }
        })
        .await
        .unwrap();
        files.push((id, hex::encode(Sha256::digest(&plain)), plain));
    }
    // write load: intakes keep coming while the backup runs
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for w in 0..4 {
        let (client, url, acknowledged, stop) = (
            app.client.clone(),
            app.url("/api/v1/requests"),
            acknowledged.clone(),
            stop.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = json!({"kind": "access", "subject": {"name": "Subject", "email": format!("s{w}x{i}@example.nl")}});
                let r = client.post(&url).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 201);
                let v: serde_json::Value = r.json().await.unwrap();
                acknowledged.lock().unwrap().push(v["reference"].as_str().unwrap().to_owned());
                i += 1;
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let archive = app.store.dir.path().join("backup.zip");
    let env = test_env(&app.store, &[]);
    let out = {
        let (env, archive) = (env.clone(), archive.clone());
        tokio::task::spawn_blocking(move || {
            inzage(&env, &["backup", "--out", archive.to_str().unwrap()])
        })
        .await
        .unwrap()
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let during = acknowledged.lock().unwrap().len();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in load {
        t.await.unwrap();
    }
    assert!(during > before.len(), "the load ran during the backup");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // restore into a fresh directory
    let fresh = fresh_store(Backend::Sqlite, "restore").unwrap();
    let fresh_env = test_env(&fresh, &[]);
    let out = inzage(&fresh_env, &["restore", archive.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // never over an existing store: again, and over the running one
    let out = inzage(&fresh_env, &["restore", archive.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = inzage(&env, &["restore", archive.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));

    let settings = Settings::load_from(None, &|k| fresh_env.get(k).cloned()).unwrap();
    let db = open_store(&settings).await.unwrap();
    let restored = AppState::new(db, settings).unwrap();
    let (original, copy) = (app.state.clone(), restored.clone());
    let refs = before.clone();
    tokio::task::spawn_blocking(move || {
        use inzage::store::events::Event;
        use inzage::store::requests::RequestRow;
        let mut a = original.db.conn().unwrap();
        let mut b = copy.db.conn().unwrap();
        for r in &refs {
            let row = RequestRow::find_by_reference(&mut b, r)
                .unwrap()
                .unwrap_or_else(|| panic!("{r} is in the restored store"));
            let was = RequestRow::find_by_reference(&mut a, r).unwrap().unwrap();
            assert_eq!(row.id, was.id);
            let events = Event::for_request(&mut b, &row.id).unwrap();
            assert!(!events.is_empty(), "{r} has its events");
            assert_eq!(
                events.len(),
                Event::for_request(&mut a, &row.id).unwrap().len()
            );
        }
    })
    .await
    .unwrap();
    for (id, sha, plain) in files {
        let st = restored.clone();
        let got = tokio::task::spawn_blocking(move || {
            let mut r = st.files.open(&id).unwrap();
            let mut out = Vec::new();
            r.copy_to(&mut out).unwrap();
            out
        })
        .await
        .unwrap();
        assert_eq!(got, plain);
        assert_eq!(hex::encode(Sha256::digest(&got)), sha);
    }

    // PostgreSQL: pg_dump, not this command
    let pg = test_env(
        &app.store,
        &[("INZAGE_DATABASE_URL", "postgres://nobody@127.0.0.1:1/x")],
    );
    let out = inzage(&pg, &["backup", "--out", "/tmp/never.zip"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}
