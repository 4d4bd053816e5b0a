//! Kill -9 the server during a burst of intakes, restart it: every request that got a 201
//! is there. And SIGTERM: the server stops taking connections, finishes what it took, and
//! exits 0.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, free_port, fresh_store, start_server as start, wait_healthy};

crate::on_both_backends!(
    every_accepted_request_survives_a_kill,
    sigterm_finishes_what_it_took_and_exits_cleanly,
);

async fn every_accepted_request_survives_a_kill(backend: Backend) {
    let Some(store) = fresh_store(backend, "durability") else {
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut server = start(&store, port);
    wait_healthy(&client, &base).await;

    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (client, base, accepted) = (client.clone(), base.clone(), accepted.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let body = json!({"kind": "access", "subject": {"name": format!("Subject {worker}-{i}"), "email": format!("s{worker}x{i}@example.nl")}});
                match client.post(format!("{base}/api/v1/requests")).json(&body).send().await {
                    Ok(r) if r.status() == 201 => {
                        if let Ok(v) = r.json::<serde_json::Value>().await {
                            accepted.lock().unwrap().push(v["reference"].as_str().unwrap().to_owned());
                        }
                    }
                    _ => break,
                }
            }
        }));
    }
    // let the burst run, then kill -9 in the middle of it
    while accepted.lock().unwrap().len() < 150 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();

    let mut server = start(&store, port);
    wait_healthy(&client, &base).await;
    let db = inzage::store::Db::connect(&store.url, 1).unwrap();
    let stored: Vec<String> = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use inzage::store::schema::requests;
        let mut conn = db.conn().unwrap();
        requests::table
            .select(requests::reference)
            .load(&mut conn)
            .unwrap()
    })
    .await
    .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    for r in &accepted {
        assert!(
            stored.contains(r),
            "{r} got a 201 but is gone after the kill"
        );
    }
    assert!(accepted.len() >= 150);
    let mut unique = stored.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), stored.len(), "references are unique");
}

async fn sigterm_finishes_what_it_took_and_exits_cleanly(backend: Backend) {
    let Some(store) = fresh_store(backend, "sigterm") else {
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut server = start(&store, port);
    wait_healthy(&client, &base).await;

    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<u16>::new()));
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (client, base, accepted, refused) = (
            client.clone(),
            base.clone(),
            accepted.clone(),
            refused.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let body = json!({"kind": "access", "subject": {"name": format!("Subject {worker}-{i}"), "email": format!("t{worker}x{i}@example.nl")}});
                match client.post(format!("{base}/api/v1/requests")).json(&body).send().await {
                    Ok(r) if r.status() == 201 => {
                        let v: serde_json::Value = r.json().await.unwrap();
                        accepted.lock().unwrap().push(v["reference"].as_str().unwrap().to_owned());
                    }
                    Ok(r) => refused.lock().unwrap().push(r.status().as_u16()),
                    // the listener is closed: the server is going down
                    Err(_) => break,
                }
            }
        }));
    }
    while accepted.lock().unwrap().len() < 50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut exit = None;
    for _ in 0..400 {
        if let Some(s) = server.try_wait().unwrap() {
            exit = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exit = exit.expect("the server stops within 40 s of SIGTERM");
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        *refused.lock().unwrap(),
        Vec::<u16>::new(),
        "no call failed on the way down"
    );

    let accepted = accepted.lock().unwrap().clone();
    let db = inzage::store::Db::connect(&store.url, 1).unwrap();
    let stored: Vec<String> = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use inzage::store::schema::requests;
        let mut conn = db.conn().unwrap();
        requests::table
            .select(requests::reference)
            .load(&mut conn)
            .unwrap()
    })
    .await
    .unwrap();
    for r in &accepted {
        assert!(stored.contains(r), "{r} got a 201 and must be stored");
    }
}
