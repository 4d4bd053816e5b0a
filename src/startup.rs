//! Building and running the application: migrate, bind (port 0 works, for tests), serve,
//! run background work, and shut down gracefully on SIGTERM/SIGINT.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::http;
use crate::http::telemetry::{InzageRootSpan, observe};
use crate::state::AppState;
use crate::store::{Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the data dir {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("{0}")]
    Task(String),
    #[error("{0}")]
    State(#[from] crate::state::StateError),
}

pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener (`INZAGE_METRICS_BIND`) and its port, unless it is `off`.
    metrics: Option<(u16, Server)>,
    state: AppState,
}

/// Binds an address (port 0 picks a free one) and tells the port it got.
fn bind(addr: &str) -> Result<(TcpListener, u16), StartupError> {
    let err = |source| StartupError::Bind {
        addr: addr.to_owned(),
        source,
    };
    let listener = TcpListener::bind(addr).map_err(err)?;
    let port = listener.local_addr().map_err(err)?.port();
    Ok((listener, port))
}

/// Opens the store and applies pending migrations (off the async threads).
pub async fn open_store(settings: &Settings) -> Result<Db, StartupError> {
    crate::private_fs::private_dir(&settings.data_dir).map_err(|source| StartupError::DataDir {
        path: settings.data_dir.display().to_string(),
        source,
    })?;
    let db = Db::connect(settings.database_url(), settings.pool_size)?;
    let migrator = db.clone();
    let applied = tokio::task::spawn_blocking(move || migrator.migrate())
        .await
        .map_err(|e| StartupError::Task(e.to_string()))??;
    if applied > 0 {
        tracing::info!(applied, backend = db.backend().name(), "migrations applied");
    }
    Ok(db)
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = open_store(&settings).await?;
        Self::build_with(AppState::new(db, settings)?)
    }

    pub fn build_with(state: AppState) -> Result<Self, StartupError> {
        let addr = state.settings.bind.clone();
        let listener = TcpListener::bind(&addr).map_err(|source| StartupError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                addr: addr.clone(),
                source,
            })?
            .port();
        let workers = state.settings.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2)
        });
        let metrics = match state.settings.metrics_bind.clone() {
            None => None,
            Some(addr) => {
                let (listener, port) = bind(&addr)?;
                let metrics_state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(metrics_state.clone()))
                        .configure(http::configure_metrics)
                })
                .workers(1)
                .shutdown_timeout(5)
                .listen(listener)
                .map_err(|source| StartupError::Bind {
                    addr: addr.clone(),
                    source,
                })?
                .run();
                Some((port, server))
            }
        };
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let metrics = app_state.metrics.clone();
            App::new()
                .app_data(web::Data::new(app_state.clone()))
                .wrap(from_fn(http::head_as_get))
                .wrap(from_fn(move |req, next| {
                    observe(metrics.clone(), req, next)
                }))
                .wrap(TracingLogger::<InzageRootSpan>::new())
                .configure(http::configure)
        })
        .workers(workers.max(1))
        .shutdown_timeout(30)
        .listen(listener)
        .map_err(|source| StartupError::Bind { addr, source })?
        .run();
        Ok(Self {
            port,
            server,
            metrics,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, unless `INZAGE_METRICS_BIND` is `off`.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM/SIGINT (actix stops accepting, finishes in-flight requests within
    /// 30 s), then stops the background workers and waits for them to put their work down.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let workers = crate::jobs::spawn(self.state.clone());
        let result = match self.metrics {
            // Both stop on SIGTERM/SIGINT; the main listener's result is the one that counts.
            Some((_, metrics)) => {
                let (result, metrics_result) =
                    futures_util::future::join(self.server, metrics).await;
                if let Err(e) = metrics_result {
                    tracing::warn!(error = %e, "the metrics listener failed");
                }
                result
            }
            None => self.server.await,
        };
        workers.stop().await;
        tracing::info!("stopped");
        result
    }
}
