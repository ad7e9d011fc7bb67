//! Small networks built in code: dense and CSR storage give identical runs, a Poisson → Lif
//! network through a delayed Conductance synapse runs end to end, and a run resumed from a
//! snapshot continues bit for bit.

use hebb_core::population::SpikeCount;
use hebb_core::prelude::*;
use hebb_neurons::prelude::*;
use hebb_synapses::prelude::*;

struct Outcome {
    spikes: Vec<(u64, u32)>,
    v: Vec<Real>,
    g_in: Vec<Real>,
    g_rec: Vec<Real>,
}

/// 50 Poisson inputs → 20 Lif (Conductance, AllToAll, per-pre scale) plus a recurrent
/// Exponential projection (AllToAll, per-synapse scale, inhibitory weights, 0.3 ms delay).
fn all_to_all(storage: Storage) -> Outcome {
    let mut sim = Simulation::new(0.1, 2024).unwrap();
    sim.add_plugins((hebb_neurons::NeuronsPlugin, hebb_synapses::SynapsesPlugin));
    for (name, size, model) in [
        (
            "in",
            50,
            Box::new(Poisson {
                rate_hz: 30.0,
                rates_hz: None,
                timed: None,
            }) as Box<dyn ModelParams>,
        ),
        ("exc", 20, Box::new(Lif::default())),
    ] {
        sim.add_population(PopulationSpec {
            name: name.into(),
            size,
            model,
        })
        .unwrap();
    }
    let mut input = ProjectionSpec::new(
        "input",
        "in",
        "exc",
        ConnectivitySpec::AllToAll,
        WeightInit::Uniform {
            low: 0.0,
            high: 0.2,
        },
        Conductance::default(),
    );
    input.storage = storage;
    let input = sim.add_projection(input).unwrap();
    let mut recurrent = ProjectionSpec::new(
        "recurrent",
        "exc",
        "exc",
        ConnectivitySpec::AllToAll,
        WeightInit::Uniform {
            low: -30.0,
            high: 0.0,
        },
        Exponential {
            tau_ms: 10.0,
            input_timing: InputTiming::BeforeDecay,
            ..Exponential::default()
        },
    );
    recurrent.delay_ms = 0.3;
    recurrent.storage = storage;
    let recurrent = sim.add_projection(recurrent).unwrap();
    let per_pre: Vec<Real> = (0..50).map(|i| 0.5 + (i % 5) as Real * 0.25).collect();
    sim.world
        .entity_mut(input)
        .insert(TransmissionScale::PerPre(per_pre));
    let per_syn: Vec<Real> = (0..400).map(|s| ((s * 7) % 11) as Real / 10.0).collect();
    sim.world
        .entity_mut(recurrent)
        .insert(TransmissionScale::PerSynapse(per_syn));
    sim.add_recorder(&RecorderSpec::spikes("exc")).unwrap();
    for (name, target, var) in [
        ("v", "exc", "v"),
        ("g_in", "input", "g"),
        ("g_rec", "recurrent", "g"),
    ] {
        sim.add_recorder(&RecorderSpec::State {
            name: name.into(),
            target: target.into(),
            variables: vec![var.into()],
            indices: None,
            stride: 1,
        })
        .unwrap();
    }
    sim.run_steps(1500);
    let rec = sim.recorders();
    let s = rec.spikes_of("exc").unwrap();
    let values = |name: &str| rec.state(name).unwrap().values.clone();
    Outcome {
        spikes: s.steps.iter().copied().zip(s.neurons.clone()).collect(),
        v: values("v"),
        g_in: values("g_in"),
        g_rec: values("g_rec"),
    }
}

#[test]
fn dense_and_csr_storage_give_identical_runs() {
    let dense = all_to_all(Storage::Auto);
    let sparse = all_to_all(Storage::Sparse);
    assert!(
        dense.spikes.len() > 50,
        "the network must be active: {} spikes",
        dense.spikes.len()
    );
    assert!(
        dense.g_rec.iter().any(|&g| g < 0.0),
        "recurrent input must act"
    );
    assert_eq!(dense.spikes, sparse.spikes);
    assert_eq!(dense.v, sparse.v);
    assert_eq!(dense.g_in, sparse.g_in);
    assert_eq!(dense.g_rec, sparse.g_rec);
}

fn poisson_to_lif(seed: u64) -> Simulation {
    let mut sim = Simulation::new(0.1, seed).unwrap();
    sim.add_plugins((hebb_neurons::NeuronsPlugin, hebb_synapses::SynapsesPlugin));
    sim.add_population(PopulationSpec {
        name: "in".into(),
        size: 100,
        model: Box::new(Poisson {
            rate_hz: 20.0,
            rates_hz: None,
            timed: None,
        }),
    })
    .unwrap();
    sim.add_population(PopulationSpec {
        name: "out".into(),
        size: 50,
        model: Box::new(Lif {
            tau_m_ms: 10.0,
            refractory_ms: 2.0,
            ..Lif::default()
        }),
    })
    .unwrap();
    let mut spec = ProjectionSpec::new(
        "in_to_out",
        "in",
        "out",
        ConnectivitySpec::FixedProbability {
            p: 0.2,
            autapses: true,
        },
        WeightInit::Uniform {
            low: 0.0,
            high: 0.4,
        },
        Conductance {
            tau_ms: 5.0,
            e_rev_mv: 0.0,
            ..Conductance::default()
        },
    );
    spec.delay_ms = 1.5;
    sim.add_projection(spec).unwrap();
    for population in ["in", "out"] {
        sim.add_recorder(&RecorderSpec::spikes(population)).unwrap();
    }
    sim.add_recorder(&RecorderSpec::State {
        name: "g".into(),
        target: "in_to_out".into(),
        variables: vec!["g".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
    sim
}

#[test]
fn poisson_to_lif_through_a_delayed_conductance_runs_end_to_end() {
    let mut sim = poisson_to_lif(1);
    sim.run_steps(400);
    let rec = sim.recorders();
    let input = rec.spikes_of("in").unwrap();
    let output = rec.spikes_of("out").unwrap();
    // 100 × 20 Hz × 40 ms = 80 input spikes expected (sd ≈ 9).
    assert!(
        (40..130).contains(&input.steps.len()),
        "{}",
        input.steps.len()
    );
    assert!(!output.steps.is_empty(), "the Lif population must fire");
    // Nothing reaches the synapse before the first input spike plus the 15-step delay.
    let g = rec.state("g").unwrap();
    let first_arrival = input.steps[0] as usize + 15;
    for k in 0..first_arrival {
        assert!(
            g.row(k).iter().all(|&x| x == 0.0),
            "g before arrival at step {k}"
        );
    }
    assert!(g.row(first_arrival).iter().any(|&x| x > 0.0));
    assert!(g.values.iter().all(|&x| x >= 0.0));
    // A Lif fires at the earliest 1 step after the first arrival.
    assert!(output.steps[0] as usize > first_arrival);
    // Same seed, same run; another seed, another run.
    let spikes = |s: &Simulation| s.recorders().spikes_of("out").unwrap().clone();
    let mut again = poisson_to_lif(1);
    again.run_steps(400);
    assert_eq!(spikes(&sim), spikes(&again));
    let mut other = poisson_to_lif(2);
    other.run_steps(400);
    assert_ne!(spikes(&sim).steps, spikes(&other).steps);
}

#[test]
fn resuming_from_a_snapshot_continues_bit_for_bit() {
    let mut straight = poisson_to_lif(5);
    straight.run_steps(200);
    let snapshot = straight.save_state().unwrap();
    straight.run_steps(300);
    let mut resumed = poisson_to_lif(5);
    resumed.restore_state(&snapshot).unwrap();
    resumed.run_steps(300);
    let a = straight.recorders();
    let b = resumed.recorders();
    assert_eq!(a.spikes_of("out").unwrap(), b.spikes_of("out").unwrap());
    assert_eq!(a.spikes_of("in").unwrap(), b.spikes_of("in").unwrap());
    assert_eq!(a.state("g").unwrap().values, b.state("g").unwrap().values);
    let out = straight.index().population("out").unwrap();
    let out_b = resumed.index().population("out").unwrap();
    assert_eq!(
        straight.world.get::<Membrane>(out).unwrap(),
        resumed.world.get::<Membrane>(out_b).unwrap()
    );
    assert_eq!(
        straight.world.get::<SpikeCount>(out).unwrap(),
        resumed.world.get::<SpikeCount>(out_b).unwrap()
    );
}
