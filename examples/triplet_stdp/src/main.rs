//! `triplet_stdp`: the whole `hebb` command (run, resume, check, list, plot, snapshots,
//! progress, CSV/NPY, every flag) with the out-of-tree `MinimalTriplet` rule added to hebb's
//! built-in models — one line, [`hebb_cli::main_with`].
//!
//! ```text
//! cargo run --release -p triplet_stdp -- run examples/triplet_stdp/scenes/triplet_pairing_20hz.ron --out out/triplet
//! cargo run --release -p triplet_stdp -- list          # MinimalTriplet is listed with its parameters
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    hebb_cli::main_with(triplet_stdp::TripletStdpPlugin)
}
