//! Kill -9 the server during a burst of intakes, restart it: every request that got a 201
//! is there.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, free_port, fresh_store, start_server as start, wait_healthy};

crate::on_both_backends!(every_accepted_request_survives_a_kill);

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
