//! `inzage serve [--demo]`.

use super::CliError;
use super::demo;
use crate::config::Settings;
use crate::startup::{Application, open_store};
use crate::state::AppState;

pub fn serve(settings: Settings, with_demo: bool) -> Result<(), CliError> {
    crate::logging::init(&settings.log, settings.log_json);
    if settings.secret_generated {
        tracing::warn!(
            path = %settings.data_dir.join("secret.key").display(),
            "INZAGE_SECRET_KEY is not set: using a key generated into the data dir; set it (the same on every instance) in production"
        );
    }
    actix_web::rt::System::new().block_on(async move {
        let db = open_store(&settings)
            .await
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        let state = AppState::new(db, settings).map_err(|e| CliError::Runtime(e.to_string()))?;
        if with_demo {
            let st = state.clone();
            let seeded = tokio::task::spawn_blocking(move || demo::seed(&st))
                .await
                .map_err(|e| CliError::Runtime(e.to_string()))??;
            for (role, email, password) in seeded.logins {
                eprintln!("demo login {role} {email} {password}");
            }
            if let Some(reference) = seeded.request {
                eprintln!("demo request {reference} anna@example.nl");
            }
        }
        let app = Application::build_with(state).map_err(|e| CliError::Runtime(e.to_string()))?;
        tracing::info!(
            port = app.port(),
            metrics_port = ?app.metrics_port(),
            backend = app.state().db.backend().name(),
            "listening"
        );
        app.run_until_stopped()
            .await
            .map_err(|e| CliError::Runtime(e.to_string()))
    })
}
