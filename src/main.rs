//! The `inzage` binary: parses the command line and runs one command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Files with personal data (the store, its WAL, mail files, bundles) are the owner's only.
    inzage::private_fs::private_umask();
    let args = inzage::cli::Args::parse();
    match inzage::cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inzage: {e}");
            e.exit_code()
        }
    }
}
