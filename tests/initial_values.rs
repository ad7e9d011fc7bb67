//! Per-neuron initial values (`initial: {"v": …}` on a population): every neuron model takes a
//! random initial `v`; other state variables (Izhikevich `u`, AdEx `w`) too and the dynamics
//! start from them; draws are per neuron (a population's first neurons get the same values
//! whatever its size); errors name file, line and field.

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};

fn scene(model: &str, size: usize, initial: &str) -> String {
    format!(
        "(version: 1, dt_ms: 0.1, duration_ms: 1.0, seed: 5,\n populations: [(name: \"n\", size: {size}, model: {model},\n   initial: {{{initial}}})])"
    )
}

fn build(text: &str) -> Simulation {
    Scene::parse(text, "initial.ron", &registry_of(DefaultPlugins))
        .unwrap()
        .build(DefaultPlugins)
        .unwrap()
}

fn v_of(sim: &Simulation) -> Vec<Real> {
    let pop = sim.index().population("n").unwrap();
    sim.world.get::<Membrane>(pop).unwrap().v.clone()
}

#[test]
fn every_neuron_model_starts_from_its_drawn_v() {
    for model in [
        "LifRef()",
        "Lif()",
        "IafPscExp()",
        "IafPscAlpha()",
        "Izhikevich()",
        "AdEx()",
    ] {
        let mut sim = build(&scene(
            model,
            200,
            r#""v": Uniform(low: -72.0, high: -68.0)"#,
        ));
        let v0 = v_of(&sim);
        assert!(v0.iter().all(|v| (-72.0..-68.0).contains(v)), "{model}");
        let distinct: std::collections::BTreeSet<_> = v0.iter().map(|v| v.to_bits()).collect();
        assert!(distinct.len() > 190, "{model}");
        // The first neurons of a population of 3 get the same values.
        assert_eq!(
            &v0[..3],
            v_of(&build(&scene(
                model,
                3,
                r#""v": Uniform(low: -72.0, high: -68.0)"#
            )))
            .as_slice(),
            "{model}"
        );
        // The model integrates from there: one step later, neurons still differ and each
        // moved by a small amount (no spike from -70 mV without input).
        sim.run_steps(1);
        let v1 = v_of(&sim);
        for (a, b) in v0.iter().zip(&v1) {
            assert!((a - b).abs() < 2.0, "{model}: {a} -> {b}");
        }
        let distinct: std::collections::BTreeSet<_> = v1.iter().map(|v| v.to_bits()).collect();
        assert!(distinct.len() > 190, "{model}");
    }
}

#[test]
fn other_state_variables_are_settable_and_used() {
    // Izhikevich u: with v equal everywhere, the neurons differ only through u.
    let mut sim = build(&scene(
        "Izhikevich()",
        50,
        r#""v": Constant(-65.0), "u": Normal(mean: -13.0, std: 2.0, min: -18.0, max: -8.0)"#,
    ));
    let pop = sim.index().population("n").unwrap();
    let u0 = sim
        .world
        .get::<hebb::neurons::IzhikevichState>(pop)
        .unwrap()
        .u
        .clone();
    assert!(u0.iter().all(|u| (-18.0..=-8.0).contains(u)));
    sim.run_steps(5);
    let v = v_of(&sim);
    let distinct: std::collections::BTreeSet<_> = v.iter().map(|v| v.to_bits()).collect();
    assert!(distinct.len() > 40, "{v:?}");
    // AdEx w: a list per neuron; a larger adaptation current pulls v down faster.
    let mut sim = build(&scene(
        "AdEx()",
        3,
        r#""v": Constant(-70.6), "w": Values([0.0, 100.0, 200.0])"#,
    ));
    sim.run_steps(10);
    let v = v_of(&sim);
    assert!(v[0] > v[1] && v[1] > v[2], "{v:?}");
}

#[test]
fn initial_errors_name_file_line_and_field() {
    let registry = registry_of(DefaultPlugins);
    let e = Scene::parse(
        &scene("LifRef()", 2, r#""v": Uniform(low: 1.0, high: 0.0)"#),
        "bad.ron",
        &registry,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("bad.ron:3:") && e.contains("initial.v.high"),
        "{e}"
    );
    let build_error = |initial: &str| {
        Scene::parse(&scene("Izhikevich()", 2, initial), "bad.ron", &registry)
            .unwrap()
            .build(DefaultPlugins)
            .err()
            .unwrap()
            .to_string()
    };
    let e = build_error(r#""w": Constant(1.0)"#);
    assert!(e.starts_with("bad.ron:"), "{e}");
    assert!(
        e.contains("initial `w` is not a settable") && e.contains("settable: v, u"),
        "{e}"
    );
    let e = build_error(r#""v": Values([1.0, 2.0, 3.0])"#);
    assert!(
        e.contains("initial.v must have one value per neuron (2), got 3"),
        "{e}"
    );
}

/// (step, neuron) of every spike of `population` (recorded by the scene) after `steps` steps.
fn raster(sim: &mut Simulation, population: &str, steps: u64) -> Vec<(u64, u32)> {
    sim.run_steps(steps);
    let rec = sim.recorders().spikes_of(population).unwrap();
    rec.steps
        .iter()
        .copied()
        .zip(rec.neurons.iter().copied())
        .collect()
}

#[test]
fn per_neuron_thresholds_equal_separate_homogeneous_populations() {
    // Three LifRef neurons with thresholds 12, 15 and 19 mV under the same noisy drive spike
    // exactly like three one-neuron populations with those thresholds (and the same noise:
    // the white noise of neuron i is drawn for neuron i, so each single population gets the
    // first neuron's noise — hence a constant drive here, plus neuron-specific v0).
    let thresholds = [12.0, 15.0, 19.0];
    let text = format!(
        "(version: 1, dt_ms: 0.1, duration_ms: 1.0, seed: 5,
          populations: [(name: \"n\", size: 3, model: LifRef(tau_ms: 10.0, tau_ref_ms: 2.0, bias_current: 20.5),
                         per_neuron: {{\"v_threshold_mv\": Values({thresholds:?})}})],
          recorders: [Spikes(population: \"n\")])"
    );
    let mut sim = build(&text);
    let together = raster(&mut sim, "n", 3000);
    for (k, th) in thresholds.iter().enumerate() {
        let mut single = build(&format!(
            "(version: 1, dt_ms: 0.1, duration_ms: 1.0, seed: 5,
              populations: [(name: \"n\", size: 1, model: LifRef(tau_ms: 10.0, tau_ref_ms: 2.0, bias_current: 20.5, v_threshold_mv: {th:?}))],
              recorders: [Spikes(population: \"n\")])"
        ));
        let alone: Vec<u64> = raster(&mut single, "n", 3000).iter().map(|s| s.0).collect();
        let mine: Vec<u64> = together
            .iter()
            .filter(|s| s.1 == k as u32)
            .map(|s| s.0)
            .collect();
        assert!(alone.len() > 5, "{th}: {alone:?}");
        assert_eq!(mine, alone, "threshold {th}");
    }
    // Lower thresholds fire more.
    let count = |k: u32| together.iter().filter(|s| s.1 == k).count();
    assert!(count(0) > count(1) && count(1) > count(2));
}

#[test]
fn per_neuron_thresholds_give_the_same_spikes_on_one_and_three_threads() {
    let text = r#"(version: 1, dt_ms: 0.1, duration_ms: 1.0, seed: 5,
        populations: [(name: "n", size: 1000, model: LifRef(tau_ms: 10.0, tau_ref_ms: 2.0, bias_current: 16.0),
                       per_neuron: {"v_threshold_mv": Normal(mean: 20.0, std: 2.0, min: 14.0, max: 26.0)},
                       initial: {"v": Uniform(low: 0.0, high: 14.0)})],
        inputs: [(population: "n", model: WhiteNoise(density_sqrt_ms: 12.0))],
        recorders: [Spikes(population: "n")])"#;
    let mut one = build(text);
    let a = raster(&mut one, "n", 2000);
    let mut three = build(text);
    three.set_threads(3).unwrap();
    let b = raster(&mut three, "n", 2000);
    assert!(a.len() > 1000);
    assert_eq!(a, b);
}

#[test]
fn per_neuron_errors_name_the_field() {
    let registry = registry_of(DefaultPlugins);
    let error = |model: &str, per_neuron: &str| {
        let text = format!(
            "(version: 1, duration_ms: 1.0,\n populations: [(name: \"n\", size: 3, model: {model},\n  per_neuron: {{{per_neuron}}})])"
        );
        Scene::parse(&text, "pn.ron", &registry)
            .unwrap()
            .build(DefaultPlugins)
            .err()
            .unwrap()
            .to_string()
    };
    let e = error(
        "Poisson(rate_hz: 5.0)",
        r#""v_threshold_mv": Constant(-50.0)"#,
    );
    assert!(e.starts_with("pn.ron:3:"), "{e}");
    assert!(
        e.contains("`Poisson` does not take `v_threshold_mv` per neuron (it takes: none)"),
        "{e}"
    );
    let e = error(
        "LifRef(v_reset_mv: -5.0)",
        r#""v_threshold_mv": Values([20.0, -6.0, 10.0])"#,
    );
    assert!(
        e.contains("per_neuron.v_threshold_mv[1] must be greater than v_reset_mv (-5), got -6"),
        "{e}"
    );
    let e = error("LifRef()", r#""tau_m_ms": Constant(5.0)"#);
    assert!(
        e.contains("(it takes: tau_ms, resistance, v_rest_mv, v_reset_mv, v_threshold_mv, tau_ref_ms, bias_current)"),
        "{e}"
    );
}

/// Without `v_init_mv`, `LifRef` starts at its resting potential (each neuron at its own when
/// `v_rest_mv` is given per neuron), so a population at rest below threshold does not fire at
/// t = 0. Before, it started at 0 mV whatever `v_rest_mv` was, and every neuron of a
/// `v_rest_mv: -65, v_threshold_mv: -50` population spiked in the first step.
#[test]
fn lif_ref_starts_at_its_resting_potential() {
    let text = |per_neuron: &str| {
        format!(
            "(version: 1, dt_ms: 0.1, duration_ms: 1.0, seed: 5,\n populations: [(name: \"n\", size: 3,\n   model: LifRef(v_rest_mv: -65.0, v_reset_mv: -70.0, v_threshold_mv: -50.0),\n   per_neuron: {{{per_neuron}}})])"
        )
    };
    let mut sim = build(&text(""));
    assert_eq!(v_of(&sim), vec![-65.0; 3]);
    sim.add_recorder(&RecorderSpec::spikes("n")).unwrap();
    sim.run_steps(10);
    assert!(sim.recorders().spikes_of("n").unwrap().steps.is_empty());
    let sim = build(&text(r#""v_rest_mv": Values([-60.0, -61.0, -62.0])"#));
    assert_eq!(v_of(&sim), vec![-60.0, -61.0, -62.0]);
    // An explicit v_init_mv wins (BrainPy's ZeroInit).
    let explicit = text("").replace(
        "v_threshold_mv: -50.0",
        "v_threshold_mv: -50.0, v_init_mv: 0.0",
    );
    assert_eq!(v_of(&build(&explicit)), vec![0.0; 3]);
}
