//! `rampart check FILE`: load and validate a config, listing every problem.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `rampart check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The config file.
    pub file: PathBuf,
}

/// Prints `ok` or every problem; the exit code says which.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match model::load_file(&args.file) {
        Ok(snapshot) => {
            let c = snapshot.config();
            println!(
                "{}: ok ({} listeners, {} routes, {} services)",
                args.file.display(),
                c.listeners.len(),
                c.routes.len(),
                c.services.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
