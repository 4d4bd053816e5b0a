//! Staff sign-in and tokens: expired, tampered, foreign, unsigned tokens are 401.

use base64::Engine;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, spawn_app};
use inzage::auth::token::TokenKeys;
use inzage::domain::Role;

crate::on_both_backends!(
    login_gives_a_token_that_opens_the_queue,
    bad_tokens_are_refused,
    roles_are_enforced
);

async fn login_gives_a_token_that_opens_the_queue(backend: Backend) {
    let Some(app) = spawn_app(backend, "login").await else {
        return;
    };
    app.tenant("acme").await;
    let c = app.user(Role::Controller, Some("acme")).await;
    let v = app.login(&c.email.to_uppercase(), PASSWORD).await;
    assert_eq!(v["role"], "controller");
    assert_eq!(v["tenant"], "acme");
    assert!(v["expires_at"].is_string());
    let (status, _) = app.get("/api/v1/requests", v["token"].as_str()).await;
    assert_eq!(status, 200);

    for (email, password) in [
        (c.email.as_str(), "wrong password!!"),
        ("nobody@example.nl", PASSWORD),
    ] {
        let (status, v) = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(status, 401, "{v}");
        assert_eq!(v["error"]["code"], "unauthorized");
    }
    let (status, v) = app
        .post("/api/v1/auth/login", None, &json!({"email": c.email}))
        .await;
    assert_eq!(status, 422);
    assert!(v["error"]["fields"]["password"].is_string());
}

async fn bad_tokens_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend, "bad_tokens").await else {
        return;
    };
    let admin = app.user(Role::Admin, None).await;
    let me = app
        .with_conn({
            let email = admin.email.clone();
            move |c| {
                inzage::store::users::User::find_by_email(c, &email)
                    .unwrap()
                    .unwrap()
                    .id
            }
        })
        .await;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<String> = admin.token.split('.').map(str::to_owned).collect();

    let (expired, _) = app
        .state
        .tokens
        .issue_staff(
            &me,
            Role::Admin,
            None,
            chrono::Utc::now() - chrono::Duration::hours(13),
        )
        .unwrap();
    let (foreign, _) = TokenKeys::from_master(b"some other deployment's secret key!!")
        .issue_staff(&me, Role::Admin, None, chrono::Utc::now())
        .unwrap();
    let payload = String::from_utf8(engine.decode(&parts[1]).unwrap()).unwrap();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        engine.encode(payload.replace(me.as_str(), "someone-else")),
        parts[2]
    );
    let unsigned = format!(
        "{}.{}.",
        engine.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let (link, _) = app
        .state
        .tokens
        .issue_link(
            inzage::auth::token::Purpose::Status,
            me.as_str(),
            chrono::Utc::now(),
            chrono::Duration::days(1),
        )
        .unwrap();
    for (what, token) in [
        ("expired", expired.as_str()),
        ("foreign key", &foreign),
        ("tampered", &tampered),
        ("alg none", &unsigned),
        ("other purpose", &link),
        ("garbage", "not.a.token"),
    ] {
        let (status, v) = app.get("/api/v1/requests", Some(token)).await;
        assert_eq!(status, 401, "{what}: {v}");
        assert_eq!(v["error"]["code"], "unauthorized");
    }
    let (status, _) = app.get("/api/v1/requests", None).await;
    assert_eq!(status, 401);
    let r = app
        .client
        .get(app.url("/api/v1/requests"))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // the real one still works
    assert_eq!(app.get("/api/v1/requests", Some(&admin.token)).await.0, 200);
}

async fn roles_are_enforced(backend: Backend) {
    let Some(app) = spawn_app(backend, "roles").await else {
        return;
    };
    app.tenant("acme").await;
    let admin = app.user(Role::Admin, None).await;
    let support = app.user(Role::Support, None).await;
    let controller = app.user(Role::Controller, Some("acme")).await;
    let tenant = json!({"slug": "beta", "name": "Beta BV", "contact_email": "privacy@beta.nl"});
    for who in [&support, &controller] {
        assert_eq!(
            app.post("/api/v1/tenants", Some(&who.token), &tenant)
                .await
                .0,
            403
        );
        let user = json!({"email": "x@beta.nl", "role": "support", "password": PASSWORD});
        assert_eq!(
            app.post("/api/v1/users", Some(&who.token), &user).await.0,
            403
        );
    }
    let (status, v) = app
        .post("/api/v1/tenants", Some(&admin.token), &tenant)
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(
        app.post("/api/v1/tenants", Some(&admin.token), &tenant)
            .await
            .0,
        409
    );
    let (status, v) = app
        .post(
            "/api/v1/tenants",
            Some(&admin.token),
            &json!({"slug": "Bad Slug", "name": "", "contact_email": "x"}),
        )
        .await;
    assert_eq!(status, 422);
    for f in ["slug", "name", "contact_email"] {
        assert!(v["error"]["fields"][f].is_string(), "{f}: {v}");
    }
    let (status, v) = app
        .post("/api/v1/users", Some(&admin.token), &json!({"email": "ctl@beta.nl", "role": "controller", "tenant": "beta", "password": PASSWORD}))
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(app.login("ctl@beta.nl", PASSWORD).await["tenant"], "beta");
    let (status, v) = app
        .post(
            "/api/v1/users",
            Some(&admin.token),
            &json!({"email": "c2@beta.nl", "role": "controller", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    let (status, _) = app
        .post(
            "/api/v1/users",
            Some(&admin.token),
            &json!({"email": "s@beta.nl", "role": "support", "password": "short"}),
        )
        .await;
    assert_eq!(status, 422);
    // tenants: the processor sees all, a controller its own
    assert_eq!(
        app.get("/api/v1/tenants", Some(&support.token))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, own) = app.get("/api/v1/tenants", Some(&controller.token)).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["slug"], "acme");
}
