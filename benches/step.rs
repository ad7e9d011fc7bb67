//! Criterion benchmarks of one simulation step.
//!
//! - `empty_schedule`: the per-step cost of the engine itself (all stages, no models).
//! - `coba_4000`: one step of Brette et al. (2007) benchmark 1 as in Brian2's COBA benchmark
//!   (scenes/brette2007_coba.ron): 3200 + 800 `LifRef` neurons with a 20 mV bias, 2% random
//!   conductance synapses (τ 5 / 10 ms, E 0 / −80 mV), about 22 Hz of activity.
//! - `cuba_4000`: one step of benchmark 2 (scenes/brette2007_cuba.ron), current synapses.
//! - `adex_rkf45_4000`, `adex_euler_4000`: the same 3200 + 800 network and 2% connectivity with
//!   NEST's default `AdEx` (aeif_cond_exp, I_e 700 pA) and `Receptor` conductance weights
//!   (+1 / −4 nS), integrated with the GSL RKF45 port or forward Euler.
//! - `izhikevich_4000`: the same network of regular-spiking `Izhikevich` neurons (I_e 5) with
//!   `Delta(target: Voltage)` jumps (+0.5 / −2 mV).
//!
//! The networks (`networks.rs`) are built in code with `hebb::prelude` and run for 200 ms before
//! measuring, so the activity has settled. Run with `cargo bench --bench step`; docs/performance.md compares
//! the figures with Brian2's C++ standalone mode.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use hebb::prelude::*;
use networks::{adex_4000, coba_4000, cuba_4000, izhikevich_4000};

mod networks;

fn empty_schedule(c: &mut Criterion) {
    let mut sim = Simulation::new(0.1, 1).expect("valid dt");
    sim.add_plugins(DefaultPlugins);
    sim.initialize().expect("schedule builds");
    c.bench_function("empty_schedule", |b| b.iter(|| sim.step()));
}

fn models(c: &mut Criterion) {
    let mut group = c.benchmark_group("models");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut sim = coba_4000();
    group.bench_function("lifref_coba_4000", |b| b.iter(|| sim.step()));
    let mut sim = adex_4000(AdExIntegration::Rkf45);
    group.bench_function("adex_rkf45_4000", |b| b.iter(|| sim.step()));
    let mut sim = adex_4000(AdExIntegration::Euler);
    group.bench_function("adex_euler_4000", |b| b.iter(|| sim.step()));
    let mut sim = izhikevich_4000();
    group.bench_function("izhikevich_4000", |b| b.iter(|| sim.step()));
    group.finish();
}

fn networks(c: &mut Criterion) {
    let mut group = c.benchmark_group("brette2007");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut sim = coba_4000();
    group.bench_function("coba_4000", |b| b.iter(|| sim.step()));
    let mut sim = cuba_4000();
    group.bench_function("cuba_4000", |b| b.iter(|| sim.step()));
    group.finish();
}

criterion_group!(benches, empty_schedule, networks, models);
criterion_main!(benches);
