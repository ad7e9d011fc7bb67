//! Snapshots: running 0 → 2T in one go equals 0 → T, snapshot file, resume T → 2T, bit for bit,
//! on a network with Poisson input, a delay, short-term plasticity (Tsodyks–Markram) and STDP.

use hebb::DefaultPlugins;
use hebb::scene::{Scene, load_snapshot, registry_of, save_snapshot};

const SCENE: &str = r#"
// Snapshot test network.
(
    version: 1,
    dt_ms: 0.1,
    duration_ms: 200.0,
    seed: 7,
    populations: [
        (name: "input", size: 60, model: Poisson(rate_hz: 40.0)),
        (name: "cells", size: 20, model: Lif(tau_m_ms: 10.0, resistance: 10.0, v_rest_mv: -65.0, v_reset_mv: -65.0,
                                              v_threshold_mv: -55.0, tau_theta_ms: 50.0, refractory_ms: 2.0)),
    ],
    projections: [
        (
            name: "input_cells", from: "input", to: "cells",
            connectivity: FixedProbability(p: 0.5),
            weights: Uniform(low: 0.5, high: 2.0),
            synapse: Exponential(tau_ms: 3.0),
            delay_ms: 1.5,
            stp: TsodyksMarkram(u_base: 0.3, tau_f_ms: 200.0, tau_d_ms: 100.0),
            plasticity: Stdp(lr_post: 0.05, lr_pre: -0.06, tau_post_ms: 20.0, tau_pre_ms: 20.0,
                             bounds: Hard(w_min: 0.0, w_max: 3.0)),
        ),
    ],
    recorders: [
        Spikes(population: "cells"),
        State(name: "v", target: "cells", variables: ["v"], indices: [0, 1, 2]),
        State(name: "stp", target: "input_cells", variables: ["u", "x"], indices: [0, 5]),
        Weights(name: "w", projection: "input_cells", stride: 10),
    ],
)
"#;

#[test]
fn resume_from_a_snapshot_file_is_bit_identical() {
    let registry = registry_of(DefaultPlugins);
    let scene = Scene::parse(SCENE, "snapshot_test.ron", &registry).unwrap();
    let steps = scene.steps().unwrap();
    assert_eq!(steps, 2000);

    let mut straight = scene.build(DefaultPlugins).unwrap();
    straight.run_steps(steps);

    let mut first = scene.build(DefaultPlugins).unwrap();
    first.run_steps(steps / 2);
    let dir = std::env::temp_dir().join(format!("hebb_snapshot_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("half.snapshot");
    save_snapshot(&file, &scene, &first).unwrap();

    let snapshot = load_snapshot(&file, &registry).unwrap();
    assert_eq!(snapshot.time_ms(), 100.0);
    let mut resumed = snapshot.build(DefaultPlugins).unwrap();
    resumed.run_steps(steps / 2);

    let (a, b) = (straight.recorders(), resumed.recorders());
    let spikes = a.spikes_of("cells").unwrap();
    assert!(
        spikes.steps.len() > 50,
        "the network must be active: {}",
        spikes.steps.len()
    );
    assert_eq!(Some(spikes), b.spikes_of("cells"));
    for name in ["v", "stp", "w"] {
        let (x, y) = (a.state(name).unwrap(), b.state(name).unwrap());
        assert_eq!(x.times_ms, y.times_ms, "{name}");
        let same = x
            .values
            .iter()
            .zip(&y.values)
            .all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(
            same && x.values.len() == y.values.len(),
            "{name} differs after resume"
        );
    }
    let w = a.state("w").unwrap();
    assert_ne!(
        w.row(0),
        w.row(w.times_ms.len() - 1),
        "STDP must have changed weights"
    );
    assert_eq!(
        straight.save_state().unwrap(),
        resumed.save_state().unwrap()
    );

    std::fs::write(&file, b"HEBBSNAP\x02\x00\x00\x00\x00\x00\x00\x00garbage").unwrap();
    let err = load_snapshot(&file, &registry).unwrap_err().to_string();
    assert!(err.contains("damaged"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
