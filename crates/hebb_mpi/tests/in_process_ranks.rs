//! Distributed runs without MPI: K ranks as K threads of this process, exchanging through
//! [`InProcessExchange`]. After gathering, rank 0's recorders, spike counts and weights must
//! equal the single-process run's bit for bit for K = 1, 2, 3 (COBA, a plastic network with STDP, STP,
//! delays 0 / 0.5 / 1.5 ms, the triplet plugin's network, and a network of the other partitioned
//! models: IafPscExp, IafPscAlpha, Receptor, Alpha, BiExponential, noise and PoissonInput).

use std::path::{Path, PathBuf};

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};
use hebb_core::population::{Membrane, SpikeCount};
use hebb_core::projection::Weights;
use hebb_mpi::prelude::*;
use triplet_stdp::TripletStdpPlugin;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Everything rank 0 reports: recordings (bits) and spike counts.
fn outputs(sim: &Simulation) -> Vec<String> {
    let rec = sim.recorders();
    let mut out = Vec::new();
    for s in &rec.spikes {
        out.push(format!("{}: {:?} {:?}", s.population, s.steps, s.neurons));
    }
    for s in &rec.states {
        let bits: Vec<_> = s.values.iter().map(|v| v.to_bits()).collect();
        out.push(format!(
            "{}: {:?} {:?} {bits:?}",
            s.name, s.columns, s.times_ms
        ));
    }
    for (name, e) in &sim.index().populations {
        let count = sim.world.get::<SpikeCount>(*e).map_or(0, |c| c.0);
        out.push(format!("{name}: {count} spikes"));
    }
    for (name, e) in &sim.index().projections {
        let w = sim.world.get::<Weights>(*e).unwrap();
        let bits: Vec<u32> = w.w.iter().map(|x| x.to_bits()).collect();
        out.push(format!("{name} weights: {bits:?}"));
    }
    out
}

fn build(path: &Path, triplet: bool) -> Simulation {
    if triplet {
        let scene = Scene::load(path, &registry_of((TripletStdpPlugin, DefaultPlugins))).unwrap();
        scene.build((TripletStdpPlugin, DefaultPlugins)).unwrap()
    } else {
        let scene = Scene::load(path, &registry_of(DefaultPlugins)).unwrap();
        scene.build(DefaultPlugins).unwrap()
    }
}

/// Run `steps` steps on `ranks` in-process ranks (in chunks of `chunk` steps, as a CLI would);
/// return rank 0's gathered outputs.
fn distributed(path: &Path, triplet: bool, ranks: usize, steps: u64, chunk: u64) -> Vec<String> {
    let handles: Vec<_> = InProcessExchange::group(ranks)
        .into_iter()
        .map(|mut exchange| {
            let path = path.to_owned();
            std::thread::spawn(move || {
                let mut sim = build(&path, triplet);
                let mut run = RankRun::prepare(&mut sim, exchange.rank(), ranks).unwrap();
                let mut done = 0;
                while done < steps {
                    let n = chunk.min(steps - done);
                    run.run_steps(&mut sim, &mut exchange, n).unwrap();
                    done += n;
                }
                run.gather_outputs(&mut sim, &mut exchange).unwrap();
                outputs(&sim)
            })
        })
        .collect();
    let mut results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    results.swap_remove(0)
}

fn check(path: &Path, triplet: bool, steps: u64) {
    let mut single = build(path, triplet);
    single.run_steps(steps);
    let expected = outputs(&single);
    assert!(
        expected.iter().any(|l| !l.ends_with(": 0 spikes")),
        "{}: the test needs spikes",
        path.display()
    );
    for ranks in 1..=3 {
        // Chunks that do not divide the communication interval.
        let got = distributed(path, triplet, ranks, steps, 7);
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert!(
                g == e,
                "{}: {ranks} ranks differ from one process:\n{g:.300}\n{e:.300}",
                path.display()
            );
        }
    }
}

#[test]
fn coba_is_identical_on_one_two_and_three_ranks() {
    check(&root().join("scenes/brette2007_coba.ron"), false, 1000);
}

#[test]
fn plastic_network_with_stp_and_delays_is_identical_on_one_two_and_three_ranks() {
    check(&fixture("plastic_network.ron"), false, 3000);
}

#[test]
fn triplet_plugin_network_is_identical_on_one_two_and_three_ranks() {
    check(
        &root().join("examples/triplet_stdp/scenes/triplet_network.ron"),
        true,
        5000,
    );
}

#[test]
fn partitioned_models_are_identical_on_one_two_and_three_ranks() {
    check(&fixture("partitioned_models.ron"), false, 2000);
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// On 2 ranks, each rank's partitioned neuron steps leave the membranes of the other rank's
/// neurons of `populations` exactly as built, and move its own.
fn steps_only_own_neurons(path: PathBuf, populations: &'static [&'static str]) {
    let handles: Vec<_> = InProcessExchange::group(2)
        .into_iter()
        .map(|mut exchange| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut sim = build(&path, false);
                let entities: Vec<_> = populations
                    .iter()
                    .map(|p| sim.index().population(p).unwrap())
                    .collect();
                let before: Vec<Vec<_>> = entities
                    .iter()
                    .map(|e| sim.world.get::<Membrane>(*e).unwrap().v.clone())
                    .collect();
                let rank = exchange.rank();
                let mut run = RankRun::prepare(&mut sim, rank, 2).unwrap();
                run.run_steps(&mut sim, &mut exchange, 200).unwrap();
                for ((name, e), before) in populations.iter().zip(&entities).zip(&before) {
                    let after = &sim.world.get::<Membrane>(*e).unwrap().v;
                    let owned = owned_range(before.len(), rank, 2);
                    for (i, (a, b)) in after.iter().zip(before).enumerate() {
                        if owned.contains(&i) {
                            continue;
                        }
                        assert_eq!(
                            a.to_bits(),
                            b.to_bits(),
                            "rank {rank} stepped {name} neuron {i}"
                        );
                    }
                    let moved = owned.filter(|&i| after[i] != before[i]).count();
                    assert!(moved > 0, "rank {rank} stepped its own {name} neurons");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn each_rank_steps_only_its_own_neurons() {
    steps_only_own_neurons(root().join("scenes/brette2007_coba.ron"), &["exc", "inh"]);
    steps_only_own_neurons(fixture("partitioned_models.ron"), &["exp", "alpha", "lif"]);
}

#[test]
fn more_ranks_than_the_largest_population_is_refused() {
    let mut sim = build(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plastic_network.ron"),
        false,
    );
    let err = RankRun::prepare(&mut sim, 0, 61).unwrap_err().to_string();
    assert!(
        err.contains("61 ranks") && err.contains("60 neuron(s)"),
        "{err}"
    );
}

/// The plastic network with every projection between neuron populations delayed (the smallest
/// by 0.5 ms): ranks exchange every 6 steps, so a snapshot can fall inside an interval.
fn delayed_plastic_network(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture("plastic_network.ron")).unwrap();
    let undelayed = "weights: Constant(0.5), synapse: Conductance(tau_ms: 10.0, e_rev_mv: -80.0)),";
    assert!(text.contains(undelayed));
    let scene = dir.join("delayed_plastic_network.ron");
    std::fs::write(
        &scene,
        text.replace(
            undelayed,
            "weights: Constant(0.5), synapse: Conductance(tau_ms: 10.0, e_rev_mv: -80.0), delay_ms: 0.8),",
        ),
    )
    .unwrap();
    scene
}

/// Every entity's saved state (postcard bytes of every component), by key.
fn entity_states(sim: &Simulation) -> Vec<hebb_core::snapshot::EntityState> {
    sim.save_state().unwrap().entities
}

/// Run `steps` steps on `ranks` in-process ranks and return rank 0's gathered state.
fn gathered_state(path: &Path, ranks: usize, steps: u64) -> hebb_core::snapshot::StateSnapshot {
    let handles: Vec<_> = InProcessExchange::group(ranks)
        .into_iter()
        .map(|mut exchange| {
            let path = path.to_owned();
            std::thread::spawn(move || {
                let mut sim = build(&path, false);
                let mut run = RankRun::prepare(&mut sim, exchange.rank(), ranks).unwrap();
                run.run_steps(&mut sim, &mut exchange, steps).unwrap();
                run.gather_state(&mut sim, &mut exchange).unwrap()
            })
        })
        .collect();
    let mut states: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        states[1..].iter().all(Option::is_none),
        "only rank 0 holds it"
    );
    states.swap_remove(0).unwrap()
}

#[test]
fn a_snapshot_gathered_from_ranks_resumes_in_one_process_like_a_straight_run() {
    let dir = std::env::temp_dir().join(format!("hebb_mpi_snapshot_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenes = [
        (fixture("plastic_network.ron"), 1003, 2000),
        (delayed_plastic_network(&dir), 1003, 2000),
        (fixture("partitioned_models.ron"), 777, 1500),
    ];
    for (path, at, total) in scenes {
        let mut straight = build(&path, false);
        straight.run_steps(total);
        let expected = entity_states(&straight);
        for ranks in [2, 3] {
            let state = gathered_state(&path, ranks, at);
            let mut resumed = build(&path, false);
            resumed.restore_state(&state).unwrap();
            resumed.run_steps(total - at);
            let got = entity_states(&resumed);
            assert_eq!(got.len(), expected.len());
            for (g, e) in got.iter().zip(&expected) {
                assert_eq!(g.key, e.key);
                for (gc, ec) in g.components.iter().zip(&e.components) {
                    assert!(
                        gc == ec,
                        "{}: snapshot of {ranks} ranks at step {at}, resumed: {} of `{}` differs from a straight run",
                        path.display(),
                        ec.0,
                        e.key
                    );
                }
                assert_eq!(g.components.len(), e.components.len());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
