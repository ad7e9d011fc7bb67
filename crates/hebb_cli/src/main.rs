//! `hebb`: run and check scene files.
//!
//! ```text
//! hebb run SCENE.ron --out DIR [--force] [--format csv|npy]
//! hebb check SCENE.ron
//! hebb models
//! ```
//!
//! Every built-in model is available (the `hebb` crate's `DefaultPlugins`). Errors are printed
//! as one `error: …` line (file, line, column, element, what is wrong) and the exit code is 1;
//! usage errors exit with 2.

mod check;
mod error;
mod models;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Run and check hebb scene files (RON).
#[derive(Debug, Parser)]
#[command(name = "hebb", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scene; write summary.json and one file per recorder into DIR.
    Run(RunArgs),
    /// Validate a scene and print its network and the schedule of one step.
    Check {
        /// The scene file.
        scene: PathBuf,
    },
    /// List the registered models, their parameters and defaults.
    Models,
}

/// Arguments of `hebb run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scene file.
    pub scene: PathBuf,
    /// Output directory (created if missing; must be empty unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a non-empty DIR, overwriting hebb's own output files (nothing else is
    /// touched).
    #[arg(long)]
    pub force: bool,
    /// File format of the recordings.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
}

/// File format of recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated text: `t_ms,neuron` and `t_ms,<column>…`.
    Csv,
    /// NumPy structured arrays with the same column names.
    Npy,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Check { scene } => check::check(&scene),
        Command::Models => {
            models::list();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
