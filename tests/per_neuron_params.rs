//! Neuron params given per neuron (`per_neuron: {"<param>": …}` on a population) for every
//! built-in neuron model: a heterogeneous population runs bit for bit like separate
//! one-neuron populations with those params, whatever the number of threads; each neuron's
//! params are validated as a whole, and errors name the file, line, param and neuron.

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};

/// A model, its per-neuron params (three values each) and the synapse its drive comes through.
struct Case {
    model: &'static str,
    params: &'static [(&'static str, [f64; 3])],
    synapse: &'static str,
    weight: f64,
}

const CASES: &[Case] = &[
    Case {
        model: "LifRef()",
        params: &[
            ("tau_ms", [8.0, 10.0, 14.0]),
            ("resistance", [1.0, 1.3, 0.9]),
            ("v_rest_mv", [0.0, 1.0, -1.0]),
            ("v_reset_mv", [-5.0, -3.0, -6.0]),
            ("v_threshold_mv", [15.0, 18.0, 20.0]),
            ("tau_ref_ms", [0.5, 1.0, 2.0]),
            ("bias_current", [16.0, 18.0, 21.0]),
        ],
        synapse: "Delta(target: Voltage)",
        weight: 1.5,
    },
    Case {
        model: "Lif()",
        params: &[
            ("tau_m_ms", [15.0, 20.0, 25.0]),
            ("resistance", [1.0, 1.1, 0.9]),
            ("v_rest_mv", [-65.0, -63.0, -67.0]),
            ("v_reset_mv", [-60.0, -61.0, -62.0]),
            ("v_threshold_mv", [-52.0, -50.0, -54.0]),
            ("conductance_leak", [1.0, 0.8, 1.2]),
            ("tau_theta_ms", [0.0, 100.0, 50.0]),
            ("theta_plus_mv", [0.05, 1.0, 2.0]),
            ("refractory_ms", [2.0, 5.0, 3.0]),
        ],
        synapse: "Delta(target: Current)",
        weight: 60.0,
    },
    Case {
        model: "IafPscExp()",
        params: &[
            ("c_m_pf", [250.0, 200.0, 300.0]),
            ("tau_m_ms", [10.0, 12.0, 8.0]),
            ("tau_syn_ex_ms", [2.0, 1.0, 3.0]),
            ("tau_syn_in_ms", [2.0, 4.0, 1.5]),
            ("t_ref_ms", [2.0, 1.0, 3.0]),
            ("e_l_mv", [-70.0, -68.0, -72.0]),
            ("v_th_mv", [-55.0, -54.0, -57.0]),
            ("v_reset_mv", [-70.0, -65.0, -72.0]),
            ("i_e_pa", [400.0, 350.0, 600.0]),
        ],
        synapse: "Receptor()",
        weight: 150.0,
    },
    Case {
        model: "IafPscAlpha(v_min_mv: -80.0)",
        params: &[
            ("c_m_pf", [250.0, 200.0, 300.0]),
            ("tau_m_ms", [10.0, 12.0, 8.0]),
            ("tau_syn_ex_ms", [2.0, 1.0, 3.0]),
            ("tau_syn_in_ms", [2.0, 4.0, 1.5]),
            ("t_ref_ms", [2.0, 1.0, 3.0]),
            ("e_l_mv", [-70.0, -68.0, -72.0]),
            ("v_th_mv", [-55.0, -54.0, -57.0]),
            ("v_reset_mv", [-70.0, -65.0, -72.0]),
            ("i_e_pa", [400.0, 350.0, 600.0]),
        ],
        synapse: "Receptor()",
        weight: 100.0,
    },
    Case {
        model: "AdEx(integration: Rk4)",
        params: &[
            ("c_m_pf", [281.0, 250.0, 300.0]),
            ("g_l_ns", [30.0, 25.0, 35.0]),
            ("e_l_mv", [-70.6, -68.0, -72.0]),
            ("v_th_mv", [-50.4, -52.0, -49.0]),
            ("delta_t_mv", [2.0, 1.0, 0.0]),
            ("v_peak_mv", [0.0, -10.0, 10.0]),
            ("v_reset_mv", [-60.0, -58.0, -65.0]),
            ("t_ref_ms", [0.0, 1.0, 2.0]),
            ("a_ns", [4.0, 2.0, 0.0]),
            ("b_pa", [80.5, 40.0, 0.0]),
            ("tau_w_ms", [144.0, 100.0, 200.0]),
            ("e_ex_mv", [0.0, -5.0, 5.0]),
            ("e_in_mv", [-85.0, -80.0, -90.0]),
            ("tau_syn_ex_ms", [0.2, 1.0, 2.0]),
            ("tau_syn_in_ms", [2.0, 5.0, 1.0]),
            ("i_e_pa", [700.0, 600.0, 900.0]),
        ],
        synapse: "Receptor()",
        weight: 5.0,
    },
    Case {
        model: "Izhikevich()",
        params: &[
            ("a", [0.02, 0.1, 0.02]),
            ("b", [0.2, 0.25, 0.2]),
            ("c_mv", [-65.0, -65.0, -50.0]),
            ("d", [8.0, 2.0, 2.0]),
            ("v_th_mv", [30.0, 25.0, 30.0]),
            ("i_e", [5.0, 10.0, 7.0]),
        ],
        synapse: "Delta(target: Voltage)",
        weight: 1.0,
    },
];

/// A scene with a one-neuron Poisson source `src` driving every neuron of `n` (`size`
/// neurons, `model`, optionally `per_neuron`) through `synapse`.
fn scene(case: &Case, size: usize, model: &str, per_neuron: &str) -> String {
    format!(
        "(version: 1, dt_ms: 0.1, duration_ms: 1.0, seed: 9,
          populations: [(name: \"src\", size: 1, model: Poisson(rate_hz: 300.0)),
                        (name: \"n\", size: {size}, model: {model},
                         per_neuron: {{{per_neuron}}})],
          projections: [(name: \"drive\", from: \"src\", to: \"n\", connectivity: AllToAll,
                         weights: Constant({w:?}), synapse: {synapse}, delay_ms: 0.1)],
          recorders: [Spikes(population: \"n\")])",
        w = case.weight,
        synapse = case.synapse,
    )
}

fn build(text: &str) -> Simulation {
    Scene::parse(text, "per_neuron.ron", &registry_of(DefaultPlugins))
        .unwrap()
        .build(DefaultPlugins)
        .unwrap()
}

/// `model` with `param: value` appended to its params.
fn with_params(model: &str, params: &[(&str, f64)]) -> String {
    let (name, rest) = model.split_once('(').unwrap();
    let inner = rest.trim_end_matches(')');
    let mut all: Vec<String> = params.iter().map(|(p, v)| format!("{p}: {v:?}")).collect();
    if !inner.is_empty() {
        all.insert(0, inner.to_owned());
    }
    format!("{name}({})", all.join(", "))
}

/// Every neuron's v (bits) after each of `steps` steps, and the spikes.
fn trace(sim: &mut Simulation, steps: u64) -> (Vec<Vec<u32>>, Vec<(u64, u32)>) {
    let pop = sim.index().population("n").unwrap();
    let mut vs = Vec::new();
    for _ in 0..steps {
        sim.run_steps(1);
        let v = &sim.world.get::<Membrane>(pop).unwrap().v;
        vs.push(v.iter().map(|x| x.to_bits()).collect());
    }
    let rec = sim.recorders().spikes_of("n").unwrap();
    let spikes = rec.steps.iter().copied().zip(rec.neurons.iter().copied());
    (vs, spikes.collect())
}

#[test]
fn a_heterogeneous_population_is_separate_homogeneous_neurons_for_every_model() {
    for case in CASES {
        let per_neuron: Vec<String> = case
            .params
            .iter()
            .map(|(p, v)| format!("{p:?}: Values({v:?})"))
            .collect();
        let mut together = build(&scene(case, 3, case.model, &per_neuron.join(", ")));
        let (v_together, spikes_together) = trace(&mut together, 3000);
        for k in 0..3 {
            let params: Vec<(&str, f64)> = case.params.iter().map(|(p, v)| (*p, v[k])).collect();
            let mut alone = build(&scene(case, 1, &with_params(case.model, &params), ""));
            let (v_alone, spikes_alone) = trace(&mut alone, 3000);
            let v_mine: Vec<u32> = v_together.iter().map(|v| v[k]).collect();
            let v_single: Vec<u32> = v_alone.iter().map(|v| v[0]).collect();
            assert_eq!(v_mine, v_single, "{} neuron {k}: v", case.model);
            let mine: Vec<u64> = spikes_together
                .iter()
                .filter(|s| s.1 == k as u32)
                .map(|s| s.0)
                .collect();
            let single: Vec<u64> = spikes_alone.iter().map(|s| s.0).collect();
            assert!(single.len() >= 3, "{} neuron {k}: {single:?}", case.model);
            assert_eq!(mine, single, "{} neuron {k}: spikes", case.model);
        }
        // The params matter: the three neurons do not fire alike.
        let counts: Vec<usize> = (0..3)
            .map(|k| spikes_together.iter().filter(|s| s.1 == k).count())
            .collect();
        assert!(
            counts[0] != counts[1] || counts[1] != counts[2],
            "{}: {counts:?}",
            case.model
        );
    }
}

#[test]
fn per_neuron_draws_give_the_same_bits_on_one_two_and_three_threads() {
    for case in CASES {
        // Each param drawn uniformly between its first two test values (both valid).
        let per_neuron: Vec<String> = case
            .params
            .iter()
            // (Refractory periods stay on the time grid: drawn, they would be refused.)
            .filter(|(p, _)| !p.contains("ref"))
            .filter(|(_, v)| v[0] != v[1])
            .map(|(p, v)| {
                let (low, high) = (v[0].min(v[1]), v[0].max(v[1]));
                format!("{p:?}: Uniform(low: {low:?}, high: {high:?})")
            })
            .collect();
        let text = scene(case, 301, case.model, &per_neuron.join(", "));
        let mut runs = Vec::new();
        for threads in 1..=3 {
            let mut sim = build(&text);
            sim.set_threads(threads).unwrap();
            runs.push(trace(&mut sim, 400));
        }
        assert!(runs[0].1.len() > 30, "{}: {}", case.model, runs[0].1.len());
        assert_eq!(runs[0], runs[1], "{}: 2 threads", case.model);
        assert_eq!(runs[0], runs[2], "{}: 3 threads", case.model);
    }
}

#[test]
fn a_per_neuron_tau_makes_its_propagator_per_neuron_and_leaves_the_others_single() {
    use hebb::core::per_neuron::{Column, Columns};
    use hebb::neurons::lif_ref::LifRefConstants;
    let sim = build(&scene(
        &CASES[0],
        4,
        "LifRef()",
        r#""tau_ms": Values([5.0, 10.0, 10.0, 20.0])"#,
    ));
    let pop = sim.index().population("n").unwrap();
    let c = sim.world.get::<LifRefConstants<Columns>>(pop).unwrap();
    let decays: Vec<f64> = [5.0f64, 10.0, 10.0, 20.0]
        .iter()
        .map(|tau| (-0.1 / tau).exp())
        .collect();
    match &c.decay {
        Column::Each(d) => {
            let want: Vec<Real> = decays.iter().map(|&x| x as Real).collect();
            assert_eq!(d, &want);
        }
        Column::Same(_) => panic!("decay must be per neuron"),
    }
    assert_eq!(c.v_threshold, Column::Same(20.0));
    assert_eq!(c.refractory_steps, Column::Same(0));
    // A homogeneous population has no per-neuron constants at all.
    let sim = build(&scene(&CASES[0], 4, "LifRef()", ""));
    let pop = sim.index().population("n").unwrap();
    assert!(sim.world.get::<LifRefConstants<Columns>>(pop).is_none());
}

#[test]
fn lif_and_adex_neurons_start_at_their_own_rest_and_izhikevich_u_at_its_own_b_v() {
    let v0 = |model: &str, per_neuron: &str| {
        let sim = build(&scene(&CASES[0], 2, model, per_neuron));
        let pop = sim.index().population("n").unwrap();
        sim.world.get::<Membrane>(pop).unwrap().v.clone()
    };
    assert_eq!(
        v0("Lif()", r#""v_rest_mv": Values([-65.0, -70.0])"#),
        [-65.0, -70.0]
    );
    assert_eq!(
        v0("AdEx()", r#""e_l_mv": Values([-70.0, -60.0])"#),
        [-70.0, -60.0]
    );
    // An explicit v_init_mv wins.
    assert_eq!(
        v0(
            "Lif(v_init_mv: -50.0)",
            r#""v_rest_mv": Values([-65.0, -70.0])"#
        ),
        [-50.0, -50.0]
    );
    let sim = build(&scene(
        &CASES[0],
        2,
        "Izhikevich()",
        r#""b": Values([0.2, 0.25])"#,
    ));
    let pop = sim.index().population("n").unwrap();
    let u = &sim
        .world
        .get::<hebb::neurons::izhikevich::IzhikevichState>(pop)
        .unwrap()
        .u;
    assert_eq!(u, &[(0.2 * -65.0) as Real, (0.25 * -65.0) as Real]);
}

fn build_error(model: &str, per_neuron: &str) -> String {
    let text = format!(
        "(version: 1, duration_ms: 1.0,\n populations: [(name: \"n\", size: 3, model: {model},\n  per_neuron: {{{per_neuron}}})])"
    );
    // Bad draws are found when the scene is read, bad params when it is built.
    Scene::parse(&text, "pn.ron", &registry_of(DefaultPlugins))
        .and_then(|scene| scene.build(DefaultPlugins).map(|_| ()))
        .unwrap_err()
        .to_string()
}

#[test]
fn errors_name_the_file_line_param_and_neuron() {
    // A param the model does not take: the error lists those it does.
    let e = build_error("Izhikevich()", r#""tau_ms": Constant(5.0)"#);
    assert!(e.starts_with("pn.ron:3:"), "{e}");
    assert!(
        e.contains(
            "`Izhikevich` does not take `tau_ms` per neuron (it takes: a, b, c_mv, d, v_th_mv, i_e)"
        ),
        "{e}"
    );
    // One neuron's params refused by the model's own checks, naming the neuron.
    let e = build_error(
        "LifRef(v_reset_mv: -5.0)",
        r#""v_threshold_mv": Values([20.0, -6.0, 10.0])"#,
    );
    assert!(e.starts_with("pn.ron:3:"), "{e}");
    assert!(
        e.contains("per_neuron.v_threshold_mv[1] must be greater than v_reset_mv (-5), got -6"),
        "{e}"
    );
    // Two per-neuron params checked together: neuron 2's reset is above its threshold.
    let e = build_error(
        "IafPscExp()",
        r#""v_reset_mv": Values([-70.0, -70.0, -50.0]), "v_th_mv": Values([-55.0, -55.0, -52.0])"#,
    );
    assert!(
        e.contains("per_neuron.v_th_mv[2] must be greater than v_reset_mv (-50), got -52"),
        "{e}"
    );
    // A shared param refused because of a neuron's value.
    let e = build_error(
        "LifRef(v_threshold_mv: 10.0)",
        r#""v_reset_mv": Values([0.0, 5.0, 12.0])"#,
    );
    assert!(
        e.contains("v_threshold_mv must be greater than v_reset_mv (12), got 10 (neuron 2, with its per_neuron values)"),
        "{e}"
    );
    // A refractory period off the time grid, per neuron.
    let e = build_error("IafPscAlpha()", r#""t_ref_ms": Values([2.0, 2.05, 2.0])"#);
    assert!(e.contains("per_neuron.t_ref_ms[1]"), "{e}");
    // Bad draws are refused before any neuron is built.
    let e = build_error("AdEx()", r#""tau_w_ms": Uniform(low: 5.0, high: 1.0)"#);
    assert!(
        e.contains("per_neuron.tau_w_ms.high must be greater than per_neuron.tau_w_ms.low"),
        "{e}"
    );
    let e = build_error("Lif()", r#""tau_m_ms": Values([10.0, 0.0, 5.0])"#);
    assert!(
        e.contains("per_neuron.tau_m_ms[1] must be > 0, got 0"),
        "{e}"
    );
}
