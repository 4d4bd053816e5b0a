//! Command-line arguments (clap). Usage errors exit with 2.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "inzage",
    version,
    about = "GDPR data-subject requests for a processor and its controllers"
)]
pub struct Args {
    /// A TOML file with settings (the INZAGE_* names in lower case); the environment wins.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (applies migrations first).
    Serve {
        /// On an empty store: create a demo tenant and one user per role (passwords printed once).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Back up a SQLite store and the data dir into one archive, while the service runs.
    Backup(BackupArgs),
    /// Restore a backup into an empty store and data dir (never over an existing store).
    Restore {
        /// The archive `inzage backup` wrote.
        file: PathBuf,
    },
    /// Manage tenants (controllers).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The request queue.
    Requests {
        #[command(subcommand)]
        command: RequestsCommand,
    },
    /// The legal, promised and (if extended) extended deadline of a request received on a day.
    Deadline {
        /// The day the request reached the processor or the controller (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        received: String,
        /// Days the clock was paused (identity asked until answered).
        #[arg(long, default_value_t = 0)]
        paused_days: u32,
        /// An extension by 1 or 2 months (GDPR art. 12(3)).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
        extend_months: Option<u8>,
        /// Print {"legal","promised","extended"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Data maps (exports/<tenant>.toml).
    Datamap {
        #[command(subcommand)]
        command: DatamapCommand,
    },
    /// Compile a request's bundle from its tenant's data map into a zip file.
    Export {
        /// The request's reference (DSR-YYYY-NNNNNN).
        #[arg(long, value_name = "REF")]
        request: String,
        /// Where to write the zip.
        #[arg(long, value_name = "FILE.zip")]
        out: PathBuf,
    },
    /// Requests due soon and overdue, per tenant.
    Deadlines {
        /// The window, e.g. 7d or 2w (at most 366 days).
        #[arg(long, default_value = "7d")]
        within: String,
        #[arg(long)]
        json: bool,
    },
}

/// `inzage backup --out FILE`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The archive to write (mode 0600; written as FILE.partial and renamed).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Register a controller (tenant).
    Add(TenantAdd),
}

#[derive(Debug, clap::Args)]
pub struct TenantAdd {
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub contact_email: String,
    #[arg(long, default_value = "nl", value_parser = ["nl", "en"])]
    pub language: String,
    /// The tenant's data map, e.g. exports/acme.toml.
    #[arg(long, value_name = "FILE")]
    pub datamap: Option<PathBuf>,
    /// The tenant's policy asks for a copy of an ID document.
    #[arg(long)]
    pub id_document_required: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff user; the password is read from standard input.
    Add(UserAdd),
}

#[derive(Debug, clap::Args)]
pub struct UserAdd {
    #[arg(long)]
    pub email: String,
    #[arg(long, value_parser = ["admin", "support", "controller"])]
    pub role: String,
    /// The tenant's slug (required for a controller).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Read the password from standard input (the only way: never on the command line).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// The queue, soonest deadline first.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        overdue: bool,
        /// Print JSON (the API's list shape) instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DatamapCommand {
    /// Validate a data map; with --connect also that every table and column exists.
    Check {
        file: PathBuf,
        /// Connect to every system and check its tables and columns.
        #[arg(long)]
        connect: bool,
    },
}
