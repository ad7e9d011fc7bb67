//! Per-synapse delays (`synapse_delays_ms`, `hebb_core::delays`): each synapse receives a
//! neuron's spike of step `k` at `k + 1 + d_s` (an input's at `k + d_s`) with every synapse
//! output, dense and sparse storage give the same result, the draws do not depend on the thread
//! count, and a snapshot resumes bit for bit with spikes still queued.

use hebb::DefaultPlugins;
use hebb::scene::{Scene, load_snapshot, registry_of, save_snapshot};
use hebb_core::delays::{DelayInit, SynapseDelays, SynapseQueue};
use hebb_core::prelude::*;
use hebb_neurons::prelude::*;
use hebb_synapses::prelude::*;

fn sim(dt: f64) -> Simulation {
    let mut sim = Simulation::new(dt, 11).unwrap();
    sim.add_plugins((hebb_neurons::NeuronsPlugin, hebb_synapses::SynapsesPlugin));
    sim
}

fn population(sim: &mut Simulation, name: &str, size: usize, model: impl ModelParams) {
    sim.add_population(PopulationSpec {
        name: name.into(),
        size,
        model: Box::new(model),
    })
    .unwrap();
}

/// A LifRef that never fires and does not leak: V moves only by voltage jumps.
fn integrator() -> LifRef {
    LifRef {
        tau_ms: 1e9,
        v_threshold_mv: 1e6,
        ..LifRef::default()
    }
}

fn voltage() -> Delta {
    Delta {
        target: DeltaTarget::Voltage,
    }
}

/// The first step at which each recorded `v[j]` leaves 0.
fn first_jumps(sim: &Simulation, n: usize) -> Vec<Option<usize>> {
    let rec = sim.recorders().state("v").unwrap();
    (0..n)
        .map(|j| {
            rec.column(&format!("v[{j}]"))
                .unwrap()
                .iter()
                .position(|&x| x != 0.0)
        })
        .collect()
}

fn record_v(sim: &mut Simulation) {
    sim.add_recorder(&RecorderSpec::State {
        name: "v".into(),
        target: "post".into(),
        variables: vec!["v".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
}

/// `pre` (one LifRef) spikes at step 3, kicked by a spike source; `pre → post` has the given
/// connectivity and per-synapse delays (ms, dt = 0.1 ms).
fn neuron_network(
    connectivity: ConnectivitySpec,
    delays_ms: Vec<f64>,
    storage: Storage,
    n_post: usize,
) -> Simulation {
    let mut s = sim(0.1);
    population(
        &mut s,
        "src",
        1,
        SpikeSource {
            times_ms: vec![vec![0.3]],
        },
    );
    population(&mut s, "pre", 1, LifRef::default());
    population(&mut s, "post", n_post, integrator());
    let kick = ProjectionSpec::new(
        "kick",
        "src",
        "pre",
        ConnectivitySpec::AllToAll,
        WeightInit::Constant(25.0),
        voltage(),
    );
    s.add_projection(kick).unwrap();
    let mut spec = ProjectionSpec::new(
        "p",
        "pre",
        "post",
        connectivity,
        WeightInit::Constant(2.0),
        voltage(),
    );
    spec.synapse_delays = Some(DelayInit::Values(delays_ms));
    spec.storage = storage;
    s.add_projection(spec).unwrap();
    s.add_recorder(&RecorderSpec::spikes("pre")).unwrap();
    record_v(&mut s);
    s
}

#[test]
fn a_neuron_spike_reaches_each_synapse_one_plus_its_delay_later() {
    // Three synapses with 0, 2 and 5 steps of delay: spike at k = 3 → 4, 6, 9.
    for storage in [Storage::Auto, Storage::Sparse] {
        let mut s = neuron_network(ConnectivitySpec::AllToAll, vec![0.0, 0.2, 0.5], storage, 3);
        s.run_steps(15);
        assert_eq!(s.recorders().spikes_of("pre").unwrap().steps, vec![3]);
        assert_eq!(first_jumps(&s, 3), vec![Some(4), Some(6), Some(9)]);
        let v = s.recorders().state("v").unwrap().column("v[2]").unwrap();
        assert!((v[9] - 2.0).abs() < 1e-5 && v[8] == 0.0, "{v:?}");
    }
    // An explicit list: delays follow the list's order, not the synapse order.
    let mut s = neuron_network(
        ConnectivitySpec::List(vec![(0, 2), (0, 0), (0, 1)]),
        vec![0.7, 0.1, 0.3],
        Storage::Auto,
        3,
    );
    s.run_steps(15);
    assert_eq!(first_jumps(&s, 3), vec![Some(5), Some(7), Some(11)]);
}

#[test]
fn an_input_spike_reaches_each_synapse_after_its_delay() {
    // Input spikes act in their own step: source spike at step 2 → 2 + d_s.
    for storage in [Storage::Auto, Storage::Sparse] {
        let mut s = sim(0.5);
        population(
            &mut s,
            "src",
            2,
            SpikeSource {
                times_ms: vec![vec![1.0], vec![]],
            },
        );
        population(&mut s, "post", 2, integrator());
        let mut spec = ProjectionSpec::new(
            "p",
            "src",
            "post",
            ConnectivitySpec::AllToAll,
            WeightInit::Constant(1.0),
            voltage(),
        );
        spec.synapse_delays = Some(DelayInit::Values(vec![1.5, 0.5, 0.0, 9.0]));
        spec.storage = storage;
        s.add_projection(spec).unwrap();
        record_v(&mut s);
        s.run_steps(12);
        assert_eq!(first_jumps(&s, 2), vec![Some(5), Some(3)]);
    }
}

#[test]
fn every_synapse_output_takes_per_synapse_delays() {
    // The same spike through one synapse with a 4-step delay and one with 1 step, for each
    // output: post neuron 0 receives it 3 steps after post neuron 1, with the same trace shape.
    let outputs: Vec<(&str, Box<dyn ModelParams>)> = vec![
        ("Delta", Box::new(Delta::default())),
        ("Exponential", Box::new(Exponential::default())),
        (
            "Conductance",
            Box::new(Conductance {
                e_rev_mv: 50.0,
                ..Conductance::default()
            }),
        ),
        ("Alpha", Box::new(Alpha::default())),
        ("BiExponential", Box::new(BiExponential::default())),
    ];
    for (name, synapse) in outputs {
        let mut s = sim(0.1);
        population(
            &mut s,
            "src",
            1,
            SpikeSource {
                times_ms: vec![vec![0.2]],
            },
        );
        population(
            &mut s,
            "post",
            2,
            LifRef {
                v_threshold_mv: 1e6,
                ..LifRef::default()
            },
        );
        let mut spec = ProjectionSpec {
            synapse,
            ..ProjectionSpec::new(
                "p",
                "src",
                "post",
                ConnectivitySpec::AllToAll,
                WeightInit::Constant(0.5),
                Delta::default(),
            )
        };
        spec.synapse_delays = Some(DelayInit::Values(vec![0.4, 0.1]));
        s.add_projection(spec).unwrap();
        record_v(&mut s);
        s.run_steps(40);
        let rec = s.recorders().state("v").unwrap();
        let (late, early) = (rec.column("v[0]").unwrap(), rec.column("v[1]").unwrap());
        let rest = late[0];
        let moved = |v: &[Real]| {
            v.iter()
                .position(|&x| x != rest)
                .unwrap_or_else(|| panic!("{name}: v stays at {rest}: {v:?}"))
        };
        // Arrival at step 3 (the alpha-shaped outputs rise from 0 and move v one step later).
        assert!(
            (3..=4).contains(&moved(&early)),
            "{name}: {}",
            moved(&early)
        );
        assert_eq!(moved(&late), moved(&early) + 3, "{name}");
        for k in 0..30 {
            assert_eq!(late[k + 3], early[k], "{name}, step {k}");
        }
    }
}

#[test]
fn the_receptor_output_takes_per_synapse_delays() {
    let mut s = sim(0.1);
    population(
        &mut s,
        "src",
        1,
        SpikeSource {
            times_ms: vec![vec![0.2]],
        },
    );
    population(&mut s, "post", 2, IafPscExp::default());
    let mut spec = ProjectionSpec::new(
        "p",
        "src",
        "post",
        ConnectivitySpec::AllToAll,
        WeightInit::Constant(100.0),
        Receptor {},
    );
    spec.synapse_delays = Some(DelayInit::Values(vec![0.5, 0.1]));
    s.add_projection(spec).unwrap();
    record_v(&mut s);
    s.run_steps(30);
    let rec = s.recorders().state("v").unwrap();
    let (late, early) = (rec.column("v[0]").unwrap(), rec.column("v[1]").unwrap());
    let rest = late[0];
    let moved = |v: &[Real]| v.iter().position(|&x| x != rest).unwrap();
    assert_eq!(moved(&late) - moved(&early), 4);
    for k in 0..20 {
        assert_eq!(late[k + 4], early[k], "step {k}");
    }
}

#[test]
fn random_delays_are_stored_compactly_and_refuse_plasticity() {
    let mut s = sim(0.1);
    population(&mut s, "a", 200, integrator());
    population(&mut s, "b", 150, integrator());
    let mut spec = ProjectionSpec::new(
        "p",
        "a",
        "b",
        ConnectivitySpec::FixedProbability {
            p: 0.1,
            autapses: true,
        },
        WeightInit::Constant(1.0),
        Exponential::default(),
    );
    spec.synapse_delays = Some(DelayInit::Uniform {
        low: 0.2,
        high: 3.0,
    });
    let e = s.add_projection(spec.clone()).unwrap();
    let delays = s.world.get::<SynapseDelays>(e).unwrap();
    assert_eq!((delays.min_steps(), delays.max_steps()), (2, 30));
    assert_eq!(delays.bytes_per_synapse(), 1);
    assert_eq!(s.world.get::<Projection>(e).unwrap().delay_steps, 2);
    assert_eq!(s.world.get::<SynapseQueue>(e).unwrap().slots().len(), 29);

    let mut plastic = spec.clone();
    plastic.name = "q".into();
    plastic.stp = Some(Box::new(TsodyksMarkram::default()));
    let err = s.add_projection(plastic).unwrap_err().to_string();
    assert!(
        err.contains("projection `q`") && err.contains("synapse_delays_ms"),
        "{err}"
    );
    // All-equal delays make an ordinary one-delay projection.
    let mut equal = spec;
    equal.name = "r".into();
    equal.synapse_delays = Some(DelayInit::Uniform {
        low: 0.7,
        high: 0.7,
    });
    let e = s.add_projection(equal).unwrap();
    assert!(s.world.get::<SynapseDelays>(e).is_none());
    assert_eq!(s.world.get::<Projection>(e).unwrap().delay_steps, 7);
}

const SCENE: &str = r#"
(
    version: 1,
    dt_ms: 0.1,
    duration_ms: 100.0,
    seed: 5,
    populations: [
        (name: "input", size: 80, model: Poisson(rate_hz: 80.0)),
        (name: "cells", size: 50, model: LifRef(tau_ms: 10.0, v_threshold_mv: -55.0, v_rest_mv: -65.0,
                                                v_reset_mv: -65.0, tau_ref_ms: 2.0)),
    ],
    projections: [
        (name: "in", from: "input", to: "cells", connectivity: FixedProbability(p: 0.3),
         weights: Uniform(low: 0.5, high: 1.5), synapse: Exponential(tau_ms: 3.0),
         synapse_delays_ms: Normal(mean: 2.0, std: 1.0, min: 0.5, max: 4.0)),
        (name: "rec", from: "cells", to: "cells", connectivity: FixedProbability(p: 0.2),
         weights: Constant(0.4), synapse: Conductance(tau_ms: 5.0, e_rev_mv: 0.0),
         synapse_delays_ms: Uniform(low: 0.1, high: 5.0)),
    ],
    recorders: [Spikes(population: "cells")],
)
"#;

#[test]
fn a_snapshot_with_queued_spikes_resumes_bit_for_bit_on_any_thread_count() {
    let registry = registry_of(DefaultPlugins);
    let scene = Scene::parse(SCENE, "delays.ron", &registry).unwrap();
    let steps = scene.steps().unwrap();
    let mut straight = scene.build(DefaultPlugins).unwrap();
    straight.run_steps(steps);
    let spikes = straight.recorders().spikes_of("cells").unwrap().steps.len();
    assert!(spikes > 100, "the network must be active: {spikes} spikes");
    let expected = straight.save_state().unwrap().to_bytes().unwrap();

    let dir = std::env::temp_dir().join(format!("hebb_delays_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("half.snapshot");
    for (first, second) in [(1, 1), (2, 3), (3, 1)] {
        let options = |threads| hebb::scene::BuildOptions {
            threads: Some(threads),
        };
        let mut a = scene.build_with(DefaultPlugins, options(first)).unwrap();
        a.run_steps(steps / 2);
        let queued: usize = a
            .world
            .query::<&SynapseQueue>()
            .iter(&a.world)
            .map(|q| q.slots().iter().map(Vec::len).sum::<usize>())
            .sum();
        assert!(queued > 0, "spikes must be in flight at the snapshot");
        save_snapshot(&file, &scene, &a).unwrap();
        let snapshot = load_snapshot(&file, &registry).unwrap();
        let mut b = snapshot.build(DefaultPlugins).unwrap();
        b.set_threads(second).unwrap();
        b.run_steps(steps - steps / 2);
        assert!(
            b.save_state().unwrap().to_bytes().unwrap() == expected,
            "{first} then {second} threads differ from one straight run"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
