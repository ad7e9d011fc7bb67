//! `triplet_stdp [scene.ron]`: load a scene with hebb's built-in models plus the out-of-tree
//! `TripletStdp` rule, run it for its duration and print, for every projection that learns with
//! the rule, the mean weight before and after and its change.
//!
//! Without an argument it runs `scenes/triplet_pairing_20hz.ron` (60 pre-post pairings at
//! 20 Hz, Δt = +10 ms): `cargo run --release -p triplet_stdp`.

use std::path::PathBuf;
use std::process::ExitCode;

use hebb::prelude::*;
use hebb::scene::load_and_build;
use triplet_stdp::{TripletRule, TripletStdpPlugin};

/// Mean weight of every triplet projection, by name.
fn mean_weights(sim: &mut Simulation) -> Vec<(String, usize, f64)> {
    let mut query = sim
        .world
        .query_filtered::<(&Projection, &Weights), With<TripletRule>>();
    let mut out: Vec<(String, usize, f64)> = query
        .iter(&sim.world)
        .map(|(p, w)| {
            let n = w.w.len();
            let mean = w.w.iter().map(|&x| f64::from(x)).sum::<f64>() / n.max(1) as f64;
            (p.name.clone(), n, mean)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn main() -> ExitCode {
    let path = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/triplet_pairing_20hz.ron"),
        PathBuf::from,
    );
    let (scene, mut sim) = match load_and_build(&path, || (TripletStdpPlugin, DefaultPlugins)) {
        Ok(built) => built,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let steps = match scene.steps() {
        Ok(steps) => steps,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let before = mean_weights(&mut sim);
    if before.is_empty() {
        eprintln!("{}: no projection learns with TripletStdp", path.display());
        return ExitCode::FAILURE;
    }
    let started = std::time::Instant::now();
    sim.run_steps(steps);
    let elapsed = started.elapsed();
    println!(
        "{}: {} ms simulated ({steps} steps) in {:.3} s",
        path.display(),
        scene.duration_ms,
        elapsed.as_secs_f64()
    );
    for ((name, n, w0), (_, _, w1)) in before.iter().zip(mean_weights(&mut sim)) {
        println!(
            "projection `{name}` ({n} synapses): mean weight {w0:.6} -> {w1:.6}, change {:+.6}",
            w1 - w0
        );
    }
    ExitCode::SUCCESS
}
