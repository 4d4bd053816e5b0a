//! `spawn_app`: the real server on a random port, over a fresh store — a temporary SQLite
//! file, or a fresh PostgreSQL database on the server named by `TEST_DATABASE_URL`.

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use inzage::config::Settings;
use inzage::domain::Role;
use inzage::service::admin::{TenantInput, UserInput, create_tenant, create_user};
use inzage::startup::{Application, open_store};
use inzage::state::AppState;
use serde_json::{Value, json};

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database server for tests named by `var` (e.g. `TEST_DATABASE_URL`), or None (with a
/// loud note) on a laptop without one. Under CI (`CI` set) a missing URL is a failure, never a
/// skip.
pub fn server_url(var: &str, server: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "{var} must be set under CI ({server} variants may not be skipped)"
            );
            eprintln!("SKIPPED {test} on {server}: {var} is not set");
            None
        }
    }
}

/// The PostgreSQL server for tests (`TEST_DATABASE_URL`); see [`server_url`].
pub fn postgres_url(test: &str) -> Option<String> {
    server_url("TEST_DATABASE_URL", "PostgreSQL", test)
}

/// A fresh database on the test server; dropped (with FORCE) when the guard goes.
pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> Self {
        let name = format!("inzage_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(admin_url).expect("connect to TEST_DATABASE_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// A fresh store: its URL, the data dir, and what keeps them alive.
pub struct Store {
    pub url: String,
    pub dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

pub fn fresh_store(backend: Backend, test: &str) -> Option<Store> {
    let dir = tempfile::tempdir().expect("tempdir");
    match backend {
        Backend::Sqlite => Some(Store {
            url: format!("sqlite://{}", dir.path().join("inzage.db").display()),
            dir,
            _pg: None,
        }),
        Backend::Postgres => {
            let pg = PgDatabase::create(&postgres_url(test)?);
            Some(Store {
                url: pg.url.clone(),
                dir,
                _pg: Some(pg),
            })
        }
    }
}

/// The environment a test instance runs with.
pub fn test_env(store: &Store, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("INZAGE_DATABASE_URL", store.url.as_str()),
        ("INZAGE_BIND", "127.0.0.1:0"),
        (
            "INZAGE_DATA_DIR",
            &*store.dir.path().join("var").to_string_lossy(),
        ),
        ("INZAGE_SECRET_KEY", SECRET),
        ("INZAGE_WORKERS", "2"),
        ("INZAGE_DB_POOL_SIZE", "8"),
        ("INZAGE_LOG", "warn"),
        // Tests file many requests from 127.0.0.1; `tests/api/rate_limit.rs` turns these on.
        ("INZAGE_RATE_LIMIT_PER_IP", "0"),
        ("INZAGE_RATE_LIMIT_PER_EMAIL", "0"),
        ("INZAGE_LOGIN_FAILURES_PER_IP", "0"),
        ("INZAGE_LOGIN_FAILURES_PER_ACCOUNT", "0"),
        // Every test instance its own metrics port.
        ("INZAGE_METRICS_BIND", "127.0.0.1:0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    env
}

pub struct TestApp {
    pub address: String,
    /// The metrics listener (`INZAGE_METRICS_BIND`).
    pub metrics_address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    /// Keeps the store (and its data dir) alive as long as the app.
    #[allow(dead_code)]
    pub store: Store,
}

static LOG: Once = Once::new();

pub async fn spawn_app(backend: Backend, test: &str) -> Option<TestApp> {
    spawn_app_with(backend, test, &[]).await
}

pub async fn spawn_app_with(
    backend: Backend,
    test: &str,
    extra: &[(&str, &str)],
) -> Option<TestApp> {
    LOG.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            inzage::logging::init(&filter, false);
        }
    });
    let store = fresh_store(backend, test)?;
    let env = test_env(&store, extra);
    let settings = Settings::load_from(None, &|k| env.get(k).cloned()).expect("settings");
    let db = open_store(&settings).await.expect("store");
    let state = AppState::new(db, settings).expect("state");
    let app = Application::build_with(state.clone()).expect("build");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = format!(
        "http://127.0.0.1:{}",
        app.metrics_port().expect("a metrics listener")
    );
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        address,
        metrics_address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        state,
        store,
    })
}

/// A staff user and a token for it.
pub struct Login {
    pub email: String,
    pub token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `/metrics`, from the metrics listener.
    pub fn metrics_url(&self) -> String {
        format!("{}/metrics", self.metrics_address)
    }

    /// Follows a link the service made (its public URL may differ from the test address).
    pub fn local(&self, link: &str) -> String {
        let path = link.splitn(4, '/').nth(3).unwrap_or_default();
        format!("{}/{}", self.address, path)
    }

    pub async fn tenant(&self, slug: &str) {
        self.create_tenant(TenantInput {
            slug: slug.to_owned(),
            name: format!("Tenant {slug}"),
            contact_email: format!("privacy@{slug}.example.nl"),
            language: inzage::domain::Language::Nl,
            datamap_path: None,
            id_document_required: false,
            sector: Default::default(),
        })
        .await;
    }

    /// Creates a tenant directly in the store.
    pub async fn create_tenant(&self, input: TenantInput) {
        let st = self.state.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = st.db.conn().unwrap();
            create_tenant(&mut conn, input).unwrap();
        })
        .await
        .unwrap();
    }

    /// Creates a user directly in the store and signs in over HTTP.
    pub async fn user(&self, role: Role, tenant: Option<&str>) -> Login {
        let email = format!(
            "{}-{}@staff.example.nl",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        let st = self.state.clone();
        let (e, t) = (email.clone(), tenant.map(str::to_owned));
        tokio::task::spawn_blocking(move || {
            let mut conn = st.db.conn().unwrap();
            create_user(
                &mut conn,
                UserInput {
                    email: e,
                    role,
                    tenant_slug: t,
                    password: PASSWORD.to_owned(),
                },
            )
            .unwrap();
        })
        .await
        .unwrap();
        let token = self.login(&email, PASSWORD).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        Login { email, token }
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        let r = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login failed");
        r.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Files a public request and returns the 201 body.
    pub async fn file(&self, tenant: Option<&str>, email: &str) -> Value {
        let mut body =
            json!({"kind": "access", "subject": {"name": "Anna de Vries", "email": email}});
        if let Some(t) = tenant {
            body["tenant"] = json!(t);
        }
        let (status, v) = self.post("/api/v1/requests", None, &body).await;
        assert_eq!(status, 201, "{v}");
        v
    }

    /// Files a request as staff (status `received`), optionally for a tenant.
    pub async fn file_as(&self, token: &str, tenant: Option<&str>, extra: Value) -> Value {
        let mut body = json!({"kind": "access", "subject": {"name": "Bram Jansen", "email": "bram@example.nl"}, "channel": "letter"});
        if let Some(t) = tenant {
            body["tenant"] = json!(t);
        }
        if let Value::Object(m) = extra {
            for (k, v) in m {
                body[k] = v;
            }
        }
        let (status, v) = self.post("/api/v1/requests", Some(token), &body).await;
        assert_eq!(status, 201, "{v}");
        v
    }

    pub async fn act(
        &self,
        token: &str,
        reference: &str,
        action: &str,
        body: Value,
    ) -> (u16, Value) {
        self.post(
            &format!("/api/v1/requests/{reference}/{action}"),
            Some(token),
            &body,
        )
        .await
    }

    /// The payloads of the mails queued for a request, oldest first.
    pub async fn mail_payloads(&self, reference: &str) -> Vec<(String, Value)> {
        let r = reference.to_owned();
        self.with_conn(move |c| {
            let row = inzage::store::requests::RequestRow::find_by_reference(c, &r)
                .unwrap()
                .unwrap();
            inzage::store::outbox::for_request(c, &row.id)
                .unwrap()
                .into_iter()
                .map(|m| (m.template, serde_json::from_str(&m.payload).unwrap()))
                .collect()
        })
        .await
    }

    /// The status link the subject was mailed, as a path on this server. The public intake's
    /// answer carries none: a public request is confirmed through its mailed link first, and
    /// the receipt that follows carries it.
    pub async fn mailed_status_path(&self, reference: &str) -> String {
        let find = |mails: &[(String, Value)]| {
            mails
                .iter()
                .rev()
                .find_map(|(_, p)| p["status_url"].as_str().map(str::to_owned))
        };
        let mut mails = self.mail_payloads(reference).await;
        if find(&mails).is_none() {
            let verify = mails
                .iter()
                .find(|(t, _)| t == "verification_link")
                .and_then(|(_, p)| p["verify_url"].as_str())
                .expect("a verification mail")
                .to_owned();
            let local = self.local(&verify);
            let (s, v) = self.get(&local[self.address.len()..], None).await;
            assert_eq!(s, 200, "{v}");
            mails = self.mail_payloads(reference).await;
        }
        let url = find(&mails).expect("a mail with the status link");
        self.local(&url)[self.address.len()..].to_owned()
    }

    /// Runs a closure on a store connection.
    pub async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut inzage::store::DbConnection) -> T + Send + 'static,
    ) -> T {
        let st = self.state.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = st.db.conn().unwrap();
            f(&mut conn)
        })
        .await
        .unwrap()
    }
}

/// Runs each named test against SQLite and PostgreSQL: `mod sqlite { fn name }` and
/// `mod postgres { fn name }`, each calling `name(Backend)` from the enclosing module.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::helpers::postgres_url(stringify!($name)).is_some() {
                        super::$name($crate::helpers::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start_server(store: &Store, port: u16) -> Child {
    start_server_with(store, port, &[])
}

/// Starts `inzage serve` as its own process (so it can be killed with SIGKILL).
pub fn start_server_with(store: &Store, port: u16, extra: &[(&str, &str)]) -> Child {
    let bind = format!("127.0.0.1:{port}");
    Command::new(env!("CARGO_BIN_EXE_inzage"))
        .arg("serve")
        .envs(test_env(store, &[("INZAGE_BIND", &bind)]))
        .envs(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start inzage serve")
}

pub async fn wait_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not come up");
}
