//! The `hebb` binary: parses the command line and hands it to [`hebb_cli::run_cli`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = hebb_cli::Cli::parse();
    hebb_cli::init_logging(cli.verbose);
    hebb_cli::install_interrupt_handler();
    hebb_cli::run_cli(cli)
}
