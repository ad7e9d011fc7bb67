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
        e.contains("initial.w") && e.contains("settable: v, u"),
        "{e}"
    );
    let e = build_error(r#""v": Values([1.0, 2.0, 3.0])"#);
    assert!(
        e.contains("initial.v must have one value per neuron (2), got 3"),
        "{e}"
    );
}
