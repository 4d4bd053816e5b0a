//! What every handler and job shares: the store, settings, keys, calendar and metrics.

use std::sync::Arc;

use crate::auth::token::TokenKeys;
use crate::config::Settings;
use crate::domain::deadline::Calendar;
use crate::limits::RateLimits;
use crate::metrics::Metrics;
use crate::service::intake_writer::IntakeWriter;
use crate::store::Db;
use crate::store::files::FileStorage;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub tokens: TokenKeys,
    pub calendar: Arc<Calendar>,
    pub metrics: Metrics,
    /// Files at rest (bundles, ID copies), encrypted.
    pub files: FileStorage,
    /// Rate limits of the public routes (in memory, per instance).
    pub limits: Arc<RateLimits>,
    /// Permits to check a password hash (`INZAGE_PASSWORD_CHECKS`), so sign-ins cannot take
    /// every core.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// The queue to the threads that write public intakes in groups (group commit).
    pub intake_writer: IntakeWriter,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> Result<Self, StateError> {
        let tokens = TokenKeys::from_master(settings.secret_bytes());
        // The execution job signs certificates with a connection only (service::signing).
        crate::service::signing::install_master(settings.secret_bytes());
        let calendar = Calendar::with_bridge_days(settings.bridge_days.iter().copied());
        let files = FileStorage::new(
            db.clone(),
            &settings.data_dir.join("files"),
            settings.secret_bytes(),
        );
        let metrics = Metrics::new()?;
        let limits = Arc::new(RateLimits::new(
            &settings,
            Some(metrics.rate_limited.clone()),
        ));
        let password_checks = Arc::new(tokio::sync::Semaphore::new(settings.password_checks));
        let intake_writer = IntakeWriter::start()?;
        Ok(Self {
            intake_writer,
            password_checks,
            db,
            files,
            tokens,
            calendar: Arc::new(calendar),
            settings: Arc::new(settings),
            metrics,
            limits,
        })
    }
}

/// Why the shared state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("starting the intake writers: {0}")]
    Threads(#[from] std::io::Error),
}
