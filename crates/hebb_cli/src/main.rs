//! The `hebb` binary: the command with hebb's built-in models ([`hebb_cli::main_of`]).

use std::process::ExitCode;

fn main() -> ExitCode {
    hebb_cli::main_of(&hebb_cli::Plugins::builtin())
}
