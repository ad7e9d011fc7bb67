//! One network on 1, 2 and 3 threads gives the same bits: every bundled scene's full state
//! (every component, spike counts, weights, recordings) after a run is byte-identical for each
//! thread count, and a snapshot saved on one thread count resumes on another bit for bit.

use std::path::PathBuf;

use hebb::DefaultPlugins;
use hebb::core::connectivity::{ConnectivitySpec, WeightInit};
use hebb::core::parallel::block_range;
use hebb::core::simulation::{PopulationSpec, ProjectionSpec, Simulation};
use hebb::neurons::LifRef;
use hebb::scene::{BuildOptions, Scene, registry_of};
use hebb::synapses::Exponential;

/// Steps run per scene (or the scene's whole duration when shorter): long enough for spikes to
/// cross every delay and plasticity to act.
const STEPS: u64 = 3000;

fn scene_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

fn build(scene: &Scene, threads: usize) -> Simulation {
    let sim = scene
        .build_with(
            DefaultPlugins,
            BuildOptions {
                threads: Some(threads),
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sim.threads(), threads);
    sim
}

/// The whole state, encoded: equal bytes mean equal bits everywhere.
fn state_bytes(sim: &Simulation) -> Vec<u8> {
    sim.save_state().unwrap().to_bytes().unwrap()
}

#[test]
fn every_scene_gives_the_same_bits_on_1_2_and_3_threads() {
    let registry = registry_of(DefaultPlugins);
    for path in scene_files() {
        let scene = Scene::load(&path, &registry).unwrap_or_else(|e| panic!("{e}"));
        let steps = scene.steps().unwrap().min(STEPS);
        let mut reference = build(&scene, 1);
        reference.run_steps(steps);
        let spikes: u64 = reference
            .recorders()
            .spikes
            .iter()
            .map(|s| s.steps.len() as u64)
            .sum();
        let expected = state_bytes(&reference);
        for threads in [2, 3] {
            let mut sim = build(&scene, threads);
            sim.run_steps(steps);
            assert!(
                state_bytes(&sim) == expected,
                "{}: {threads} threads differ from 1 thread ({spikes} recorded spikes)",
                path.display()
            );
        }
    }
}

#[test]
fn a_snapshot_resumes_on_another_thread_count_bit_for_bit() {
    let registry = registry_of(DefaultPlugins);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/brette2007_coba.ron");
    let scene = Scene::load(&path, &registry).unwrap();
    let mut straight = build(&scene, 1);
    straight.run_steps(1000);
    let expected = state_bytes(&straight);
    for (first, second) in [(2, 1), (1, 2), (3, 2)] {
        let mut a = build(&scene, first);
        a.run_steps(400);
        let snapshot = a.save_state().unwrap();
        let mut b = build(&scene, second);
        b.restore_state(&snapshot).unwrap();
        b.run_steps(600);
        assert!(
            state_bytes(&b) == expected,
            "saved on {first} threads, resumed on {second}"
        );
    }
}

#[test]
fn threads_can_change_between_steps() {
    let registry = registry_of(DefaultPlugins);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/brette2007_cuba.ron");
    let scene = Scene::load(&path, &registry).unwrap();
    let mut straight = build(&scene, 1);
    straight.run_steps(900);
    let mut sim = build(&scene, 3);
    for threads in [3, 1, 2] {
        sim.set_threads(threads).unwrap();
        sim.run_steps(300);
    }
    assert!(state_bytes(&sim) == state_bytes(&straight));
    assert!(sim.set_threads(0).is_err());
    assert_eq!(sim.threads(), 2);
}

/// Bytes held by every sparse projection's rows (and row splits) of `sim`.
fn row_bytes(sim: &mut Simulation) -> Vec<(usize, usize)> {
    use hebb::core::connectivity::Connectivity;
    let mut query = sim.world.query::<&Connectivity>();
    query
        .iter(&sim.world)
        .filter_map(|c| match c {
            Connectivity::Sparse(csr) => Some((csr.heap_bytes(), c.n_pre())),
            Connectivity::Dense { .. } => None,
        })
        .collect()
}

#[test]
fn sparse_rows_keep_their_split_positions_only_on_several_threads() {
    use hebb::core::connectivity::Connectivity;
    let registry = registry_of(DefaultPlugins);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/brette2007_coba.ron");
    let scene = Scene::load(&path, &registry).unwrap();
    let mut sim = build(&scene, 1);
    let rows_only = row_bytes(&mut sim);
    assert_eq!(rows_only.len(), 4);
    let splits_of = |sim: &mut Simulation| -> Vec<bool> {
        let threads = sim.threads();
        let mut query = sim.world.query::<&Connectivity>();
        query
            .iter(&sim.world)
            .filter_map(|c| match c {
                Connectivity::Sparse(csr) => Some((0..threads).all(|p| {
                    csr.row_parts(&block_range(c.n_post(), p, threads))
                        .is_some()
                })),
                Connectivity::Dense { .. } => None,
            })
            .collect()
    };
    for threads in [2, 3, 1, 2] {
        sim.set_threads(threads).unwrap();
        // One offset of 2 bytes per row and inner bound (8 bytes for the bound itself).
        let expected: Vec<(usize, usize)> = rows_only
            .iter()
            .map(|&(bytes, rows)| (bytes + (threads - 1) * (2 * rows + 8), rows))
            .collect();
        assert_eq!(row_bytes(&mut sim), expected, "{threads} threads");
        assert!(
            splits_of(&mut sim)
                .iter()
                .all(|&kept| kept == (threads > 1)),
            "{threads} threads"
        );
    }
    // A projection added to a simulation already on several threads gets them too.
    let mut sim = Simulation::new(0.1, 1).unwrap();
    sim.add_plugins(DefaultPlugins);
    sim.set_threads(2).unwrap();
    for name in ["a", "b"] {
        sim.add_population(PopulationSpec {
            name: name.into(),
            size: 100,
            model: Box::new(LifRef::default()),
        })
        .unwrap();
    }
    sim.add_projection(ProjectionSpec::new(
        "a_b",
        "a",
        "b",
        ConnectivitySpec::FixedProbability {
            p: 0.1,
            autapses: true,
        },
        WeightInit::Constant(0.5),
        Exponential::default(),
    ))
    .unwrap();
    assert_eq!(splits_of(&mut sim), [true]);
}

#[test]
fn the_plastic_benchmark_network_gives_the_same_bits_on_1_2_and_3_threads() {
    // 10 000 neurons, ≈ 1 000 000 synapses, every one learning with TripletStdp (NEST's order,
    // signed `Nest` bounds): the rule API's hooks run partitioned by postsynaptic neuron.
    let registry = registry_of(DefaultPlugins);
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/scenes/plastic_10k_triplet.ron");
    let scene = Scene::load(&path, &registry).unwrap();
    let steps = 600;
    let mut reference = build(&scene, 1);
    reference.run_steps(steps);
    let expected = state_bytes(&reference);
    for threads in [2, 3] {
        let mut sim = build(&scene, threads);
        sim.run_steps(steps);
        assert!(
            state_bytes(&sim) == expected,
            "{threads} threads differ from 1 thread"
        );
    }
}
