//! The triplet rule as a third-party plugin: scenes find it by name, an unknown rule name lists
//! the registered ones (this one included), the crate's scenes load, save and load back to the
//! same network, the order of `add_plugins` does not change results, and its state is part of
//! snapshots (resume bit for bit).

use std::path::PathBuf;

use hebb::prelude::*;
use hebb::scene::{Scene, load_snapshot, registry_of, save_snapshot};
use triplet_stdp::{TripletStdpPlugin, TripletTraces};

fn scene_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files
}

/// Everything the recorders hold.
fn recorded(sim: &Simulation) -> Vec<String> {
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
    out
}

fn run(scene: &Scene, steps: u64) -> Vec<String> {
    let mut sim = scene
        .build((TripletStdpPlugin, DefaultPlugins))
        .unwrap_or_else(|e| panic!("{e}"));
    sim.run_steps(steps);
    recorded(&sim)
}

const UNKNOWN_RULE: &str = r#"// A scene naming a rule nobody registered.
(
    version: 1,
    dt_ms: 0.1,
    duration_ms: 10.0,
    populations: [
        (name: "pre", size: 1, model: SpikeSource(times_ms: [[1.0]])),
        (name: "post", size: 1, model: SpikeSource(times_ms: [[2.0]])),
    ],
    projections: [(name: "syn", from: "pre", to: "post", connectivity: OneToOne,
                   weights: Constant(0.5), synapse: Delta, plasticity: MinimalTriplte(a3_plus: 0.01))],
)
"#;

#[test]
fn unknown_rule_names_fail_with_the_registered_names() {
    let registry = registry_of((TripletStdpPlugin, DefaultPlugins));
    let e = Scene::parse(UNKNOWN_RULE, "typo.ron", &registry)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "typo.ron:11:72: unknown plasticity model `MinimalTriplte`; registered: MinimalTriplet, \
             Mstdp, Mstdpet, Song2000, Stdp, StdpNest, TripletStdp, VogelsSprekeler"
        ),
        "{e}"
    );
    assert!(e.contains("MinimalTriplte"), "{e}");
    for name in ["MinimalTriplet", "Stdp", "Mstdp", "Mstdpet", "Song2000"] {
        assert!(
            e.contains(name),
            "registered rule {name} is not listed: {e}"
        );
    }
    // Without the plugin the correct name is unknown too, and the list lacks it.
    let text = UNKNOWN_RULE.replace("MinimalTriplte", "MinimalTriplet");
    let e = Scene::parse(&text, "no_plugin.ron", &registry_of(DefaultPlugins))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown plasticity model `MinimalTriplet`"),
        "{e}"
    );
    assert!(
        e.contains("Song2000") && !e.contains("MinimalTriplet,"),
        "{e}"
    );
    // With it, the scene builds.
    assert!(Scene::parse(&text, "ok.ron", &registry).is_ok());
}

#[test]
fn bad_params_name_the_field_and_value() {
    let registry = registry_of((TripletStdpPlugin, DefaultPlugins));
    let text = UNKNOWN_RULE.replace(
        "MinimalTriplte(a3_plus: 0.01)",
        "MinimalTriplet(tau_y_ms: -5.0)",
    );
    let e = Scene::parse(&text, "bad.ron", &registry)
        .unwrap_err()
        .to_string();
    assert!(e.contains("tau_y_ms must be > 0, got -5"), "{e}");
    let text = UNKNOWN_RULE.replace(
        "MinimalTriplte(a3_plus: 0.01)",
        "MinimalTriplet(tau_z_ms: 5.0)",
    );
    let e = Scene::parse(&text, "bad.ron", &registry)
        .unwrap_err()
        .to_string();
    assert!(e.contains("tau_z_ms") && e.contains("tau_y_ms"), "{e}");
}

#[test]
fn the_crate_scenes_save_and_load_back_to_the_same_network() {
    let registry = registry_of((TripletStdpPlugin, DefaultPlugins));
    for path in scene_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("//"), "{}: header comment", path.display());
        let scene = Scene::load(&path, &registry).unwrap_or_else(|e| panic!("{e}"));
        let saved = scene.to_ron().unwrap();
        let again = Scene::parse(&saved, "saved.ron", &registry)
            .unwrap_or_else(|e| panic!("{e}\n--- saved ---\n{saved}"));
        assert_eq!(again.to_ron().unwrap(), saved, "{}", path.display());
        let steps = scene.steps().unwrap().min(2000);
        let first = run(&scene, steps);
        assert!(first.iter().any(|r| r.starts_with("w:")), "{first:?}");
        assert_eq!(first, run(&again, steps), "{}", path.display());
    }
}

#[test]
fn plugin_order_does_not_change_the_result() {
    // Added before DefaultPlugins, the shared weight-update system (added later) applies the
    // rule's changes; added after, the plugin adds it once more right after the rule. Either
    // way a change is applied in the step it is made.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/triplet_pairing_20hz.ron");
    let registry = registry_of((TripletStdpPlugin, DefaultPlugins));
    let scene = Scene::load(&path, &registry).unwrap();
    let steps = scene.steps().unwrap();
    let mut before = scene.build((TripletStdpPlugin, DefaultPlugins)).unwrap();
    let mut after = scene.build((DefaultPlugins, TripletStdpPlugin)).unwrap();
    before.run_steps(steps);
    after.run_steps(steps);
    assert_eq!(recorded(&before), recorded(&after));
    let w = before
        .recorders()
        .state("w")
        .unwrap()
        .column("w[0,0]")
        .unwrap();
    // 60 pairings at 20 Hz potentiate (see the scene's header).
    assert!(w[0] == 0.5 && *w.last().unwrap() > 0.7, "{:?}", w.last());
    // The first change is the depression at the second pre spike (50 ms, step 500): the first
    // post spike (10 ms) has no earlier post spike, so no triplet potentiation (A2+ = 0).
    // Recorded after step 500, so the change is applied in the step it is made, in both orders.
    let times = &before.recorders().state("w").unwrap().times_ms;
    let (t, w1) = times
        .iter()
        .zip(&w)
        .find(|(_, w)| **w != 0.5)
        .map(|(t, w)| (*t, f64::from(*w)))
        .unwrap();
    let expected = 0.5 - 7.1e-3 * (-40.0f64 / 33.7).exp();
    assert!(
        t == 50.0 && (w1 - expected).abs() < 1e-6,
        "{t} ms: {w1} vs {expected}"
    );
}

#[test]
fn resume_from_a_snapshot_is_bit_identical() {
    // A LIF network with Poisson input, a delay and the triplet rule: its traces are
    // third-party state, saved and restored through `register_snapshot`.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/triplet_network.ron");
    let plugins = || (TripletStdpPlugin, DefaultPlugins);
    let registry = registry_of(plugins());
    // The bundled network with a stronger drive (20 Hz inputs), so that it fires a lot.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("rate_hz: 10.0", "rate_hz: 20.0");
    let mut scene = Scene::parse(&text, "triplet_network_20hz.ron", &registry).unwrap();
    scene.duration_ms = 400.0;
    let steps = scene.steps().unwrap();

    let mut straight = scene.build(plugins()).unwrap();
    straight.run_steps(steps);

    let mut first = scene.build(plugins()).unwrap();
    first.run_steps(steps / 2);
    let dir = std::env::temp_dir().join(format!("triplet_snapshot_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("half.snapshot");
    save_snapshot(&file, &scene, &first).unwrap();
    let snapshot = load_snapshot(&file, &registry).unwrap();
    assert_eq!(snapshot.time_ms(), 200.0);
    let mut resumed = snapshot.build(plugins()).unwrap();
    // The traces came back from the file (not just rebuilt at zero).
    let proj = resumed.index().projection("inputs_to_neurons").unwrap();
    let o2 = resumed
        .world
        .get::<TripletTraces>(proj)
        .unwrap()
        .trace(3)
        .values();
    assert!(o2.iter().any(|&x| x > 0.0), "restored o2 is zero: {o2:?}");
    resumed.run_steps(steps / 2);
    std::fs::remove_dir_all(&dir).unwrap();

    let spikes = straight.recorders().spikes_of("neurons").unwrap();
    assert!(
        spikes.steps.len() > 100,
        "the network must fire: {}",
        spikes.steps.len()
    );
    assert_eq!(recorded(&straight), recorded(&resumed));
    assert_eq!(
        straight.save_state().unwrap(),
        resumed.save_state().unwrap()
    );
    let w = straight.recorders().state("w").unwrap();
    assert_ne!(
        w.row(0),
        w.row(w.times_ms.len() - 1),
        "the rule must change weights"
    );
}
