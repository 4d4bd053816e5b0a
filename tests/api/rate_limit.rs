//! Rate limits on the public routes: per client IP (the intake without a staff token and the
//! subject's links together) and per subject e-mail address; 429 with `Retry-After` in the
//! contract's error shape. The other tests run with the limits off (`helpers::test_env`).

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};

crate::on_both_backends!(
    the_public_routes_are_limited_per_ip,
    intakes_are_limited_per_email_address,
    behind_a_trusted_proxy_the_forwarded_client_counts,
);

fn intake(email: &str) -> Value {
    json!({"kind": "access", "subject": {"name": "Anna de Vries", "email": email}})
}

async fn public_intake(
    app: &TestApp,
    email: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/requests"))
        .json(&intake(email));
    if let Some(x) = forwarded_for {
        req = req.header("x-forwarded-for", x);
    }
    req.send().await.unwrap()
}

async fn assert_limited(r: reqwest::Response) {
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1, "Retry-After {retry}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    assert!(v["error"]["message"].as_str().unwrap().contains("seconds"));
}

async fn the_public_routes_are_limited_per_ip(backend: Backend) {
    let Some(app) = spawn_app_with(
        backend,
        "rate_limit_ip",
        &[
            ("INZAGE_RATE_LIMIT_PER_IP", "30"),
            ("INZAGE_RATE_LIMIT_IP_BURST", "3"),
            ("INZAGE_RATE_LIMIT_PER_EMAIL", "0"),
        ],
    )
    .await
    else {
        return;
    };
    let support = app.user(inzage::domain::Role::Support, None).await;
    for i in 0..3 {
        let r = public_intake(&app, &format!("s{i}@example.nl"), None).await;
        assert_eq!(r.status(), 201);
    }
    assert_limited(public_intake(&app, "s9@example.nl", None).await).await;
    // The subject's links share the client's allowance…
    assert_limited(
        app.client
            .get(app.url("/api/v1/verify?token=whatever"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // …and a browser gets a page saying so, with the same status and Retry-After.
    let r = app
        .client
        .get(app.url("/api/v1/verify?token=whatever"))
        .header("accept", "text/html")
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("Please wait a moment"));
    // Staff entering a letter are not limited.
    let (s, v) = app
        .post(
            "/api/v1/requests",
            Some(&support.token),
            &json!({"kind": "access", "subject": {"name": "Bram", "email": "bram@example.nl"}, "channel": "letter"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // The refusals are counted.
    let metrics = app
        .client
        .get(app.metrics_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = metrics
        .lines()
        .find(|l| l.starts_with("inzage_rate_limited_total{limit=\"ip\"}"))
        .unwrap_or_else(|| panic!("no rate limit metric in\n{metrics}"));
    let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 3.0, "{line}");
    // The allowance comes back (30 a minute: one every 2 seconds).
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        public_intake(&app, "s10@example.nl", None).await.status(),
        201
    );
}

async fn intakes_are_limited_per_email_address(backend: Backend) {
    let Some(app) = spawn_app_with(
        backend,
        "rate_limit_email",
        &[
            ("INZAGE_RATE_LIMIT_PER_IP", "0"),
            ("INZAGE_RATE_LIMIT_PER_EMAIL", "2"),
        ],
    )
    .await
    else {
        return;
    };
    assert_eq!(
        public_intake(&app, "Anna@Example.nl", None).await.status(),
        201
    );
    assert_eq!(
        public_intake(&app, "anna@example.nl", None).await.status(),
        201
    );
    // The same address however written: normalised.
    let r = public_intake(&app, "ANNA@EXAMPLE.NL", None).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 60, "an hour's allowance: {retry}");
    assert_limited(public_intake(&app, "anna@example.nl", None).await).await;
    // Someone else is not affected; an invalid body is a 422, not counted against anyone.
    assert_eq!(
        public_intake(&app, "bram@example.nl", None).await.status(),
        201
    );
    let (s, _) = app
        .post("/api/v1/requests", None, &json!({"kind": "access"}))
        .await;
    assert_eq!(s, 422);
}

async fn behind_a_trusted_proxy_the_forwarded_client_counts(backend: Backend) {
    let limits = [
        ("INZAGE_RATE_LIMIT_PER_IP", "30"),
        ("INZAGE_RATE_LIMIT_IP_BURST", "2"),
        ("INZAGE_RATE_LIMIT_PER_EMAIL", "0"),
    ];
    let mut proxied = limits.to_vec();
    proxied.push(("INZAGE_TRUSTED_PROXIES", "127.0.0.1/32, ::1"));
    let Some(app) = spawn_app_with(backend, "rate_limit_proxy", &proxied).await else {
        return;
    };
    for i in 0..2 {
        let r = public_intake(&app, &format!("p{i}@example.nl"), Some("198.51.100.1")).await;
        assert_eq!(r.status(), 201);
    }
    assert_limited(public_intake(&app, "p2@example.nl", Some("198.51.100.1")).await).await;
    // Another client behind the same proxy has its own allowance; a forged left-most entry
    // does not help the first.
    let r = public_intake(&app, "p3@example.nl", Some("198.51.100.2")).await;
    assert_eq!(r.status(), 201);
    assert_limited(public_intake(&app, "p4@example.nl", Some("10.9.9.9, 198.51.100.1")).await)
        .await;
    drop(app);

    // Without trusted proxies the header is ignored: the peer (127.0.0.1) is the client.
    let Some(app) = spawn_app_with(backend, "rate_limit_no_proxy", &limits).await else {
        return;
    };
    for (i, ip) in ["198.51.100.1", "198.51.100.2"].iter().enumerate() {
        let r = public_intake(&app, &format!("q{i}@example.nl"), Some(ip)).await;
        assert_eq!(r.status(), 201);
    }
    assert_limited(public_intake(&app, "q3@example.nl", Some("198.51.100.3")).await).await;
}
