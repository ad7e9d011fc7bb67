//! Criterion benchmarks of one simulation step.
//!
//! - `empty_schedule`: the per-step cost of the engine itself (all stages, no models).
//!
//! Run with `cargo bench --bench step`.

use criterion::{Criterion, criterion_group, criterion_main};
use hebb::prelude::*;

fn empty_schedule(c: &mut Criterion) {
    let mut sim = Simulation::new(0.1, 1).expect("valid dt");
    sim.add_plugins(DefaultPlugins);
    sim.initialize().expect("schedule builds");
    c.bench_function("empty_schedule", |b| b.iter(|| sim.step()));
}

criterion_group!(benches, empty_schedule);
criterion_main!(benches);
