//! Criterion benchmark: the cost of plasticity in a recurrent network.
//!
//! Brette et al. (2007)'s CUBA network scaled to 10 000 `LifRef` neurons (8000 excitatory,
//! 2000 inhibitory) with 1% random connectivity: about 1 000 000 synapses, each neuron receiving
//! 80 excitatory and 20 inhibitory inputs as in the 4000-neuron original. Two variants, one step
//! each after 200 ms of settling:
//!
//! - `plastic_10k/static`: no plasticity;
//! - `plastic_10k/triplet`: every synapse (all four projections, ~1 M) learns with the built-in
//!   `TripletStdp` (NEST's defaults, amplitudes ×0.01 so that the activity stays that of the
//!   static network; excitatory weights in `[0, 2·w]`, inhibitory in `[2·w, 0]` with the signed
//!   `Nest` bounds).
//!
//! - `plastic_10k/stdp`: the same with the built-in pair `Stdp` (a full system, not the rule
//!   API; Hebbian, rates 1e-4, hard bounds), for comparison.
//!
//! The goal: the plastic network within 2× of the static one. Run with
//! `cargo bench --bench plastic`; docs/performance.md has the figures.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use hebb::prelude::*;

/// Which plasticity every projection gets.
#[derive(Clone, Copy, PartialEq)]
enum Learning {
    Static,
    Triplet,
    Stdp,
}

fn cuba_10k(learning: Learning) -> Simulation {
    let mut sim = Simulation::new(0.1, 2007).expect("valid dt");
    sim.add_plugins(DefaultPlugins);
    let neuron = LifRef {
        tau_ms: 20.0,
        v_rest_mv: -49.0,
        v_reset_mv: -60.0,
        v_threshold_mv: -50.0,
        tau_ref_ms: 5.0,
        v_init_uniform_mv: Some((-60.0, -50.0)),
        ..LifRef::default()
    };
    for (name, size) in [("exc", 8000), ("inh", 2000)] {
        sim.add_population(PopulationSpec {
            name: name.into(),
            size,
            model: Box::new(neuron.clone()),
        })
        .expect("valid population");
    }
    for (pre, post) in [
        ("exc", "exc"),
        ("exc", "inh"),
        ("inh", "exc"),
        ("inh", "inh"),
    ] {
        let excitatory = pre == "exc";
        let w: f64 = if excitatory { 1.62 } else { -9.0 };
        let plasticity: Option<Box<dyn ModelParams>> = match learning {
            Learning::Static => None,
            Learning::Stdp => Some(Box::new(Stdp {
                lr_post: 1e-4,
                lr_pre: -1e-4,
                bounds: Bounds::Hard {
                    w_min: Some(w.min(0.0) * 2.0),
                    w_max: Some(w.max(0.0) * 2.0),
                },
                ..Stdp::default()
            })),
            Learning::Triplet => Some({
                let d = TripletStdp::default();
                Box::new(TripletStdp {
                    a2_plus: d.a2_plus * 0.01,
                    a3_plus: d.a3_plus * 0.01,
                    a2_minus: d.a2_minus * 0.01,
                    a3_minus: d.a3_minus * 0.01,
                    bounds: Bounds::Nest {
                        w_max: 2.0 * w,
                        mu_plus: 0.0,
                        mu_minus: 0.0,
                    },
                    ..d
                }) as Box<dyn ModelParams>
            }),
        };
        sim.add_projection(ProjectionSpec {
            name: format!("{pre}_{post}"),
            pre: pre.into(),
            post: post.into(),
            connectivity: ConnectivitySpec::FixedProbability {
                p: 0.01,
                autapses: true,
            },
            weights: WeightInit::Constant(w),
            synapse: Box::new(Exponential {
                tau_ms: if excitatory { 5.0 } else { 10.0 },
                ..Exponential::default()
            }),
            delay_ms: 0.0,
            synapse_delays: None,
            stp: None,
            plasticity,
            storage: Storage::Auto,
        })
        .expect("valid projection");
    }
    sim.initialize().expect("schedule builds");
    sim.run_for(200.0).expect("on the grid");
    sim
}

fn plastic_10k(c: &mut Criterion) {
    let mut group = c.benchmark_group("plastic_10k");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, learning) in [
        ("static", Learning::Static),
        ("triplet", Learning::Triplet),
        ("stdp", Learning::Stdp),
    ] {
        let mut sim = cuba_10k(learning);
        let spikes: usize = ["exc", "inh"]
            .iter()
            .map(|p| {
                let e = sim.index().population(p).expect("population");
                sim.world.get::<Spikes>(e).map_or(0, |s| s.indices().len())
            })
            .sum();
        eprintln!("plastic_10k/{name}: {spikes} spikes in the last settling step");
        group.bench_function(name, |b| b.iter(|| sim.step()));
    }
    group.finish();
}

criterion_group!(benches, plastic_10k);
criterion_main!(benches);
