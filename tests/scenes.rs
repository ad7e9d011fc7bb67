//! Every scene in `scenes/` loads, builds with the built-in models, runs a few steps, and reads
//! back from its saved form to the same network. Scenes added later are covered automatically.

use std::path::PathBuf;

use hebb::DefaultPlugins;
use hebb::core::simulation::Simulation;
use hebb::scene::{Scene, registry_of};

/// Steps run per scene (or the scene's whole duration when shorter).
const STEPS: u64 = 20;

fn scene_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

/// Everything the recorders hold after running.
fn recorded(sim: &Simulation) -> Vec<String> {
    let rec = sim.recorders();
    let mut out = Vec::new();
    for s in &rec.spikes {
        out.push(format!("{}: {:?} {:?}", s.population, s.steps, s.neurons));
    }
    for s in &rec.states {
        out.push(format!(
            "{}: {:?} {:?} {:?}",
            s.name, s.columns, s.times_ms, s.values
        ));
    }
    out
}

fn run(scene: &Scene) -> Vec<String> {
    let mut sim = scene
        .build(DefaultPlugins)
        .unwrap_or_else(|e| panic!("{e}"));
    sim.run_steps(scene.steps().unwrap().min(STEPS));
    recorded(&sim)
}

#[test]
fn the_bundled_demo_scene_exists() {
    let names: Vec<_> = scene_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"poisson_lif_conductance.ron".to_owned()),
        "{names:?}"
    );
}

#[test]
fn every_scene_loads_builds_and_runs() {
    let registry = registry_of(DefaultPlugins);
    for path in scene_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.trim_start().starts_with("//"),
            "{}: a scene starts with a header comment saying what it shows",
            path.display()
        );
        let scene = Scene::load(&path, &registry).unwrap_or_else(|e| panic!("{e}"));
        assert!(scene.steps().unwrap() > 0, "{}", path.display());
        let mut sim = scene
            .build(DefaultPlugins)
            .unwrap_or_else(|e| panic!("{e}"));
        let steps = scene.steps().unwrap().min(STEPS);
        sim.run_steps(steps);
        assert_eq!(sim.clock().step, steps, "{}", path.display());
    }
}

#[test]
fn every_scene_saves_and_loads_back_to_the_same_network() {
    let registry = registry_of(DefaultPlugins);
    for path in scene_files() {
        let scene = Scene::load(&path, &registry).unwrap_or_else(|e| panic!("{e}"));
        let saved = scene.to_ron().unwrap();
        let name = format!("{} (saved)", path.display());
        let again = Scene::parse(&saved, &name, &registry)
            .unwrap_or_else(|e| panic!("{e}\n--- saved text ---\n{saved}"));
        // Saving is a fixed point, and the reloaded scene builds the same network: same
        // recordings, bit for bit, over the first steps.
        assert_eq!(again.to_ron().unwrap(), saved, "{name}");
        assert_eq!(run(&scene), run(&again), "{name}");
    }
}

#[test]
fn a_stimulus_drives_only_the_neurons_it_names() {
    // A constant 20 (× resistance 1) mV drive lifts neuron 1's steady state to -45 mV, above the
    // -52 mV threshold, so it fires; neuron 0 gets nothing and stays at rest. `neurons: [1]`
    // is an `Option` written without `Some` (implicit_some).
    let text = r#"// A step current on one of two LIF neurons.
(
    version: 1,
    dt_ms: 0.1,
    duration_ms: 100.0,
    populations: [(name: "n", size: 2, model: Lif(tau_theta_ms: 0.0))],
    inputs: [(population: "n", model: StepCurrent(values: [20.0], durations_ms: [100.0], neurons: [1]))],
    recorders: [Spikes(population: "n"), State(name: "v", target: "n", variables: ["v"])],
)"#;
    let scene = Scene::parse(text, "step.ron", &registry_of(DefaultPlugins)).unwrap();
    let mut sim = scene.build(DefaultPlugins).unwrap();
    sim.run_steps(scene.steps().unwrap());
    let spikes = sim.recorders().spikes_of("n").unwrap();
    assert!(!spikes.neurons.is_empty());
    assert!(
        spikes.neurons.iter().all(|&i| i == 1),
        "{:?}",
        spikes.neurons
    );
    let v0 = sim.recorders().state("v").unwrap().column("v[0]").unwrap();
    assert!(v0.iter().all(|&v| v == -65.0), "neuron 0 stays at rest");
}
