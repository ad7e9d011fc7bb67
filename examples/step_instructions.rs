//! Instruction counts of the step benchmark's networks (`benches/step.rs`), for A/B comparisons
//! on a shared machine where wall-clock timings are noisy:
//!
//! ```text
//! cargo build --release --example step_instructions
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured_steps*' \
//!     target/release/examples/step_instructions adex_rkf45 100
//! ```
//!
//! The network (`lifref_coba`, `cuba`, `adex_rkf45`, `adex_euler`, `adex_rk4`, `izhikevich`) is
//! built and run for 200 ms, then `measured_steps` runs the given number of steps (default 100);
//! callgrind counts only inside it. The program prints the spikes per step of the measured
//! steps, so that networks are compared at their activity.

#[path = "../benches/networks/mod.rs"]
mod networks;

use hebb::core::population::SpikeCount;
use hebb::prelude::*;

#[inline(never)]
fn measured_steps(sim: &mut Simulation, steps: u64) {
    for _ in 0..steps {
        sim.step();
    }
}

/// Spikes of every population since the start.
fn total_spikes(sim: &mut Simulation) -> u64 {
    let mut counts = sim.world.query::<&SpikeCount>();
    counts.iter(&sim.world).map(|c| c.0).sum()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let network = args.next().unwrap_or_else(|| "lifref_coba".into());
    let steps: u64 = args
        .next()
        .map_or(100, |s| s.parse().expect("a step count"));
    let mut sim = match network.as_str() {
        "lifref_coba" => networks::coba_4000(),
        "cuba" => networks::cuba_4000(),
        "adex_rkf45" => networks::adex_4000(AdExIntegration::Rkf45),
        "adex_euler" => networks::adex_4000(AdExIntegration::Euler),
        "adex_rk4" => networks::adex_4000(AdExIntegration::Rk4),
        "izhikevich" => networks::izhikevich_4000(),
        other => panic!("unknown network `{other}`"),
    };
    let before = total_spikes(&mut sim);
    measured_steps(&mut sim, steps);
    let spikes = total_spikes(&mut sim) - before;
    println!(
        "{network}: {steps} steps, {:.2} spikes per step ({:.1} Hz per neuron)",
        spikes as f64 / steps as f64,
        spikes as f64 / steps as f64 / 4000.0 / 1e-4
    );
}
