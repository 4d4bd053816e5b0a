//! The `inzage` binary: parses the command line and runs one command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = inzage::cli::Args::parse();
    match inzage::cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inzage: {e}");
            e.exit_code()
        }
    }
}
