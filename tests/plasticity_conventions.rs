//! Conventions without traps: `Stdp` written with Brian2/NEST-style magnitudes (`a_plus`,
//! `a_minus`) is the Hebbian signed form bit for bit, mixing the forms or a negative magnitude
//! is a scene error at its line, and a reward-modulated rule in a scene without a reward source
//! is a scene error (not a reward of 0 at every step).

use hebb::DefaultPlugins;
use hebb::scene::{Scene, registry_of};

/// A Poisson → LIF network learning with `RULE` (replaced by the test), plus `REWARD`.
const SCENE: &str = r#"
// Conventions test network.
(
    version: 1,
    dt_ms: 0.1,
    duration_ms: 300.0,
    seed: 11,
    populations: [
        (name: "input", size: 50, model: Poisson(rate_hz: 30.0)),
        (name: "cells", size: 10, model: Lif(tau_m_ms: 10.0, resistance: 10.0, v_rest_mv: -65.0, v_reset_mv: -65.0,
                                              v_threshold_mv: -55.0, tau_theta_ms: 0.0, refractory_ms: 2.0)),
    ],
    projections: [
        (
            name: "input_cells", from: "input", to: "cells",
            connectivity: FixedProbability(p: 0.5),
            weights: Uniform(low: 0.5, high: 2.0),
            synapse: Exponential(tau_ms: 3.0),
            delay_ms: 1.0,
            plasticity: RULE,
        ),
    ],
    REWARD
    recorders: [
        Spikes(population: "cells"),
        Weights(name: "w", projection: "input_cells", stride: 100),
    ],
)
"#;

fn scene_with(rule: &str, reward: &str) -> Result<Scene, String> {
    let text = SCENE.replace("RULE", rule).replace("REWARD", reward);
    Scene::parse(&text, "conventions.ron", &registry_of(DefaultPlugins)).map_err(|e| e.to_string())
}

/// Every recorded value, as bits.
fn run(scene: &Scene) -> (Vec<u64>, Vec<u32>) {
    let mut sim = scene.build(DefaultPlugins).unwrap();
    sim.run_steps(scene.steps().unwrap());
    let rec = sim.recorders();
    let w = rec.state("w").unwrap();
    let spikes = rec.spikes_of("cells").unwrap();
    (
        spikes.steps.clone(),
        w.values.iter().map(|v| v.to_bits()).collect(),
    )
}

#[test]
fn magnitudes_are_the_signed_hebbian_form_bit_for_bit() {
    let bounds = "bounds: Hard(w_min: 0.0, w_max: 3.0)";
    let magnitudes =
        scene_with(&format!("Stdp(a_plus: 0.05, a_minus: 0.06, {bounds})"), "").unwrap();
    let signed = scene_with(&format!("Stdp(lr_post: 0.05, lr_pre: -0.06, {bounds})"), "").unwrap();
    let (spikes, w) = run(&magnitudes);
    assert_eq!((spikes.clone(), w.clone()), run(&signed));
    // It did learn: the last weights differ from the first ones, and within the bounds.
    let n = w.len() / 3;
    assert!(n > 0 && w[..n] != w[w.len() - n..]);
    assert!(!spikes.is_empty());
    // Two positive signed rates are Inferno's potentiation-only mode: a different run.
    let potentiative =
        scene_with(&format!("Stdp(lr_post: 0.05, lr_pre: 0.06, {bounds})"), "").unwrap();
    assert_ne!(run(&potentiative).1, w);
}

#[test]
fn mixed_forms_and_negative_magnitudes_are_errors_at_their_line() {
    let e = scene_with("Stdp(a_plus: 0.05, lr_pre: -0.06)", "").unwrap_err();
    assert!(e.starts_with("conventions.ron:"), "{e}");
    assert!(e.contains("not both"), "{e}");
    let e = scene_with("Stdp(a_plus: 0.05, a_minus: -0.06)", "").unwrap_err();
    assert!(
        e.contains("a_minus is a magnitude and must be >= 0, got -0.06"),
        "{e}"
    );
}

#[test]
fn a_reward_modulated_rule_needs_a_reward_source() {
    for rule in [
        "Mstdp(lr_post: 0.2, lr_pre: -0.2)",
        "Mstdpet(lr_post: 0.2, lr_pre: -0.2)",
    ] {
        let e = scene_with(rule, "").unwrap_err();
        let name = rule.split('(').next().unwrap();
        assert!(e.starts_with("conventions.ron:"), "{e}");
        assert!(e.contains("projections[0] (`input_cells`)"), "{e}");
        assert!(
            e.contains(&format!(
                "plasticity `{name}` is modulated by reward, but the scene has no `reward:` source"
            )),
            "{e}"
        );
        let scene = scene_with(rule, "reward: RewardConstant(value: 1.0),").unwrap();
        scene.build(DefaultPlugins).unwrap();
    }
    // Rules without reward need none.
    scene_with("Stdp", "").unwrap();
}
