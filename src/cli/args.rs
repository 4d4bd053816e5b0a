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
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The accountability report of a tenant over the requests received in a period.
    Report {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// First day of receipt (YYYY-MM-DD, included).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<String>,
        /// Last day of receipt (YYYY-MM-DD, included).
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<String>,
        /// Print CSV (`metric,value`) instead of JSON.
        #[arg(long)]
        csv: bool,
    },
    /// Execution certificates (signed proof of an erasure, correction or restriction).
    Certificate {
        #[command(subcommand)]
        command: CertificateCommand,
    },
    /// The installation's signing keys (Ed25519, kept encrypted in the store).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
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
    /// The tenant allows staff to ask for a copy of an ID document on a single request, with a
    /// reason (never by routine). `--id-document-required` is the older name, meaning the same.
    #[arg(long, alias = "id-document-required")]
    pub id_document_allowed: bool,
    /// The kind of controller: `private` (default) or `public` (a public body). It decides the
    /// remedies the subject is told.
    #[arg(long, default_value = "private", value_parser = ["private", "public"])]
    pub sector: String,
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

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every tenant's hash chain (or one): exit 0 when intact, 1 naming the first bad
    /// entry.
    Verify {
        /// Only this tenant's chain (its slug).
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CertificateCommand {
    /// Check a certificate (a compact JWS, e.g. saved from `GET …/certificate`): exit 0 printing
    /// what it certifies, or 1 saying why not (unknown key, bad signature, malformed).
    Verify {
        /// The certificate file.
        file: PathBuf,
        /// The public keys: a JWK Set file, or its URL (`https://…/.well-known/jwks.json`).
        /// Without it, the keys in this installation's store (INZAGE_DATABASE_URL).
        #[arg(long, value_name = "FILE|URL")]
        jwks: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new current signing key; the old one is retired and stays published, so what
    /// it signed keeps verifying.
    Rotate,
    /// The keys: kid, created, retired.
    List,
}
