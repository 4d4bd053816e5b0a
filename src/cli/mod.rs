//! The command line (README, "Command line"): argument types and one function per command.
//! Exit codes: 0 done; 1 runtime failure; 2 bad usage or invalid input.

pub mod args;
mod audit;
mod datamap;
mod deadlines;
mod demo;
mod export;
mod keys;
mod requests;
mod serve;

use std::io::Read;
use std::process::ExitCode;

pub use args::Args;
use args::{
    AuditCommand, CertificateCommand, Command, DatamapCommand, KeysCommand, TenantCommand,
    UserCommand,
};

use crate::config::Settings;
use crate::error::AppError;
use crate::service::admin::{TenantInput, UserInput, create_tenant, create_user};
use crate::service::views::Db;
use crate::state::AppState;

/// A command's failure, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or invalid input: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The command could not be carried out: exit 1.
    #[error("{0}")]
    Runtime(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::Runtime(_) => ExitCode::from(1),
        }
    }
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(fields) => Self::Usage(
                fields
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::Conflict { message, .. } | AppError::InvalidTransition(message) => {
                Self::Usage(message)
            }
            AppError::NotFound => Self::Usage("not found".to_owned()),
            AppError::Internal(cause) => Self::Runtime(cause),
            AppError::Store(e) => Self::Runtime(e.to_string()),
            other => Self::Runtime(other.to_string()),
        }
    }
}

impl From<crate::service::views::StoreError> for CliError {
    fn from(e: crate::service::views::StoreError) -> Self {
        Self::Runtime(e.to_string())
    }
}

/// Runs the parsed command line.
pub fn run(args: Args) -> Result<(), CliError> {
    // The calendar needs no store and no secret: nothing is read or created for it.
    if let Command::Deadline {
        received,
        paused_days,
        extend_months,
        json,
    } = &args.command
    {
        let bridge_days = crate::config::load_bridge_days(args.config.as_deref())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        return deadlines::deadline(&bridge_days, received, *paused_days, *extend_months, *json);
    }
    // A data map is checked without the store.
    if let Command::Datamap {
        command: DatamapCommand::Check { file, connect },
    } = &args.command
    {
        return datamap::check(file, *connect);
    }
    // A certificate is checked against a key set without the store or a secret.
    if let Command::Certificate {
        command:
            CertificateCommand::Verify {
                file,
                jwks: Some(source),
            },
    } = &args.command
    {
        let keys = keys::keys_from(source)?;
        return keys::verify(file, &keys);
    }
    // A restore needs no secret key: none is generated into the data dir it fills.
    if let Command::Restore { file } = &args.command {
        let env = |k: &str| match std::env::var(k).ok().filter(|v| !v.is_empty()) {
            None if k == "INZAGE_SECRET_KEY" => Some("restore-needs-no-secret-key-restore".into()),
            v => v,
        };
        let settings = Settings::load_from(args.config.as_deref(), &env)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let summary = crate::service::backup::restore(&settings, file).map_err(backup_error)?;
        eprintln!(
            "inzage: restored {} files ({} bytes) from {}",
            summary.files,
            summary.bytes,
            file.display()
        );
        return Ok(());
    }
    let settings =
        Settings::load(args.config.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    match args.command {
        Command::Serve { demo } => serve::serve(settings, demo),
        Command::Migrate => {
            crate::logging::init_quiet(&settings.log);
            let db = Db::connect(settings.database_url(), 1)?;
            let n = db.migrate()?;
            eprintln!("inzage: {n} migration(s) applied");
            Ok(())
        }
        Command::Tenant {
            command: TenantCommand::Add(a),
        } => {
            let state = one_shot(settings)?;
            let mut conn = state.db.conn()?;
            let tenant = create_tenant(
                &mut conn,
                TenantInput {
                    slug: a.slug,
                    name: a.name,
                    contact_email: a.contact_email,
                    language: a
                        .language
                        .parse()
                        .map_err(|_| CliError::Usage("--language must be nl or en".into()))?,
                    datamap_path: a.datamap.map(|p| p.display().to_string()),
                    id_document_required: a.id_document_allowed,
                    sector: a.sector.parse().map_err(|_| {
                        CliError::Usage("--sector must be private or public".into())
                    })?,
                },
            )?;
            println!("{}", tenant.slug);
            Ok(())
        }
        Command::User {
            command: UserCommand::Add(a),
        } => {
            if !a.password_stdin {
                return Err(CliError::Usage(
                    "give the password on standard input with --password-stdin".into(),
                ));
            }
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| CliError::Runtime(format!("cannot read the password: {e}")))?;
            let password = password.lines().next().unwrap_or_default().to_owned();
            let role = a.role.parse().map_err(|_| {
                CliError::Usage("--role must be admin, support or controller".into())
            })?;
            let state = one_shot(settings)?;
            let mut conn = state.db.conn()?;
            let user = create_user(
                &mut conn,
                UserInput {
                    email: a.email,
                    role,
                    tenant_slug: a.tenant,
                    password,
                },
            )?;
            println!("{}", user.id);
            Ok(())
        }
        Command::Requests { command } => {
            let state = one_shot(settings)?;
            requests::run(&state, command)
        }
        Command::Deadline { .. } | Command::Datamap { .. } | Command::Restore { .. } => Ok(()), // handled above
        Command::Backup(a) => {
            crate::logging::init_quiet(&settings.log);
            let summary =
                crate::service::backup::backup(&settings, &a.out).map_err(backup_error)?;
            eprintln!(
                "inzage: backed up {} files ({} bytes) to {}",
                summary.files,
                summary.bytes,
                a.out.display()
            );
            Ok(())
        }
        Command::Export { request, out } => {
            let state = one_shot(settings)?;
            export::run(&state, &request, &out)
        }
        Command::Certificate {
            command: CertificateCommand::Verify { file, .. },
        } => {
            // No --jwks: the keys in this installation's store.
            let state = one_shot(settings)?;
            let mut conn = state.db.conn()?;
            let keys = crate::service::signing::store_keys(&mut conn)?;
            keys::verify(&file, &keys)
        }
        Command::Keys { command } => {
            let state = one_shot(settings)?;
            match command {
                KeysCommand::Rotate => keys::rotate(&state),
                KeysCommand::List => keys::list(&state),
            }
        }
        Command::Deadlines { within, json } => {
            let state = one_shot(settings)?;
            deadlines::deadlines(&state, &within, json)
        }
        Command::Audit {
            command: AuditCommand::Verify { tenant },
        } => {
            let state = one_shot(settings)?;
            audit::verify_chains(&state, tenant.as_deref())
        }
        Command::Report {
            tenant,
            from,
            to,
            csv,
        } => {
            let state = one_shot(settings)?;
            audit::report(&state, &tenant, from, to, csv)
        }
    }
}

fn backup_error(e: crate::service::backup::BackupError) -> CliError {
    use crate::service::backup::BackupError;
    match e {
        BackupError::NotSqlite | BackupError::WouldOverwrite(_) | BackupError::BadArchive(_) => {
            CliError::Usage(e.to_string())
        }
        other => CliError::Runtime(other.to_string()),
    }
}

/// State for a one-shot command: quiet logs, a small pool, migrations applied.
fn one_shot(settings: Settings) -> Result<AppState, CliError> {
    crate::logging::init_quiet(&settings.log);
    let db = Db::connect(settings.database_url(), 2)?;
    db.migrate()?;
    AppState::new(db, settings).map_err(|e| CliError::Runtime(e.to_string()))
}
