//! Noise currents in running networks: the free membrane of `LifRef` driven by `WhiteNoise`
//! (NEST std and Brian2 density forms) and `OrnsteinUhlenbeck` has the stationary mean and
//! variance of the discrete-time theory; every neuron model takes the noise; scene errors name
//! the field; a snapshot resumes the OU current bit for bit. `PoissonInput` (Brian2): the
//! shot noise of its binomial counts on the membrane and on a projection's conductance.

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};

fn build(text: &str) -> (Scene, Simulation) {
    let scene = Scene::parse(text, "noise.ron", &registry_of(DefaultPlugins)).unwrap();
    let sim = scene.build(DefaultPlugins).unwrap();
    (scene, sim)
}

/// Sample the membrane of every neuron of "n" every `every` steps after `burn_in` steps,
/// `samples` times; (mean, variance) over all samples.
fn membrane_moments(sim: &mut Simulation, burn_in: u64, every: u64, samples: usize) -> (f64, f64) {
    let pop = sim.index().population("n").unwrap();
    sim.run_steps(burn_in);
    let mut all = Vec::new();
    for _ in 0..samples {
        sim.run_steps(every);
        let v = &sim.world.get::<Membrane>(pop).unwrap().v;
        all.extend(v.iter().map(|&x| f64::from(x)));
    }
    let n = all.len() as f64;
    let mean = all.iter().sum::<f64>() / n;
    let var = all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

/// A free `LifRef` (threshold out of reach) of `size` neurons with `stimulus`.
fn free_lifref(dt: f64, size: usize, stimulus: &str) -> String {
    format!(
        "(version: 1, dt_ms: {dt}, duration_ms: 1.0, seed: 11,
          populations: [(name: \"n\", size: {size}, model: LifRef(tau_ms: 10.0, v_threshold_mv: 1e6))],
          inputs: [(population: \"n\", model: {stimulus})])"
    )
}

/// Checks `(mean, var)` against theory: 5 standard errors, with the samples' effective number
/// taken as half their count (samples 10 ms apart are correlated by about e^-1 through the
/// 10 ms membrane).
fn assert_moments(got: (f64, f64), mean: f64, var: f64, count: usize) {
    let eff = count as f64 / 2.0;
    assert!(
        (got.0 - mean).abs() < 5.0 * (var / eff).sqrt(),
        "mean {} vs {mean}",
        got.0
    );
    assert!(
        (got.1 - var).abs() < 5.0 * var * (2.0 / eff).sqrt(),
        "variance {} vs {var}",
        got.1
    );
}

#[test]
fn white_noise_membrane_variance_matches_the_discrete_theory_in_both_forms() {
    // v_k = a·v_(k-1) + b·I_k with b = R(1 - a): stationary variance b²s²/(1 - a²).
    let tau: f64 = 10.0;
    for (dt, form, s) in [
        (0.1, "std: 3.0", 3.0),
        (0.1, "density_sqrt_ms: 2.0", 2.0 / 0.1f64.sqrt()),
        (0.05, "density_sqrt_ms: 2.0", 2.0 / 0.05f64.sqrt()),
        (0.1, "std: 3.0, interval_ms: 0.1", 3.0),
    ] {
        let a = (-dt / tau).exp();
        let b = 1.0 - a;
        let var = b * b * s * s / (1.0 - a * a);
        let every = (10.0 / dt) as u64;
        let (_, mut sim) = build(&free_lifref(
            dt,
            400,
            &format!("WhiteNoise(mean: 1.5, {form})"),
        ));
        let got = membrane_moments(&mut sim, 10 * every, every, 20);
        assert_moments(got, 1.5, var, 400 * 20);
    }
    // Brian2's `tau*dv/dt = -v + sigma*sqrt(tau)*xi` has the stationary variance sigma²/2; the
    // density form D = sigma·√tau approaches it as dt → 0 (here within 0.3 % at dt = 0.05 ms).
    let (sigma, dt) = (2.0 / 10.0f64.sqrt(), 0.05);
    let a = (-dt / tau).exp();
    let s2 = 4.0 / dt;
    let discrete = (1.0 - a) * (1.0 - a) * s2 / (1.0 - a * a);
    assert!((discrete - sigma * sigma / 2.0).abs() / (sigma * sigma / 2.0) < 0.003);
}

#[test]
fn a_held_draw_has_the_variance_of_its_interval() {
    // interval_ms = 1 ms holds each draw for 10 steps: the membrane integrates longer
    // correlated kicks, v_k = a^h v + ..., variance larger than with a fresh draw each step.
    let (dt, tau, s, h) = (0.1f64, 10.0f64, 3.0f64, 10u32);
    // Sample at the ends of intervals: v_(m+1) = a^h v_m + R(1 − a^h)·s·z.
    let ah = (-(f64::from(h)) * dt / tau).exp();
    let var = (1.0 - ah) * (1.0 - ah) * s * s / (1.0 - ah * ah);
    let (_, mut sim) = build(&free_lifref(
        dt,
        400,
        "WhiteNoise(std: 3.0, interval_ms: 1.0)",
    ));
    let got = membrane_moments(&mut sim, 1000, 100, 20);
    assert_moments(got, 0.0, var, 400 * 20);
}

#[test]
fn ou_free_membrane_matches_the_discrete_theory() {
    // I_k = m + (I_(k-1) - m)c + std√(1-c²) z; v_k = a v_(k-1) + b I_k.
    // Var v = b²·std²·(1 + ac) / ((1 - a²)(1 - ac)); mean = R·m.
    let (dt, tau_m, tau_i, std, mean) = (0.1f64, 10.0f64, 5.0f64, 2.0f64, 1.5f64);
    let (a, c) = ((-dt / tau_m).exp(), (-dt / tau_i).exp());
    let b = 1.0 - a;
    let var = b * b * std * std * (1.0 + a * c) / ((1.0 - a * a) * (1.0 - a * c));
    // The continuous limit R²·std²·τ/(τ + τ_m) is within 0.1 % of it.
    let limit = std * std * tau_i / (tau_i + tau_m);
    assert!((var - limit).abs() / limit < 1e-3, "{var} vs {limit}");
    let (_, mut sim) = build(&free_lifref(
        dt,
        400,
        "OrnsteinUhlenbeck(mean: 1.5, std: 2.0, tau_ms: 5.0)",
    ));
    let got = membrane_moments(&mut sim, 1000, 100, 20);
    assert_moments(got, mean, var, 400 * 20);
}

#[test]
fn every_neuron_model_takes_the_noise() {
    // The same model twice, with and without noise: the noise moves each neuron differently.
    for model in [
        "LifRef()",
        "Lif()",
        "IafPscExp()",
        "IafPscAlpha()",
        "Izhikevich()",
        "AdEx()",
        "AdEx(synapses: Current)",
    ] {
        let run = |noise: bool| {
            let inputs = if noise {
                r#"inputs: [(population: "n", model: WhiteNoise(std: 50.0)), (population: "n", model: OrnsteinUhlenbeck(std: 20.0, tau_ms: 2.0))],"#
            } else {
                ""
            };
            let (_, mut sim) = build(&format!(
                "(version: 1, duration_ms: 1.0, populations: [(name: \"n\", size: 8, model: {model})], {inputs})"
            ));
            sim.run_steps(20);
            let pop = sim.index().population("n").unwrap();
            sim.world.get::<Membrane>(pop).unwrap().v.clone()
        };
        let (quiet, noisy) = (run(false), run(true));
        assert!(
            quiet.iter().all(|&v| v == quiet[0]),
            "{model}: without noise every neuron is alike"
        );
        let moved = noisy.iter().zip(&quiet).filter(|(a, b)| a != b).count();
        let distinct = noisy
            .iter()
            .map(|v| v.to_bits())
            .collect::<std::collections::BTreeSet<_>>();
        assert_eq!(moved, 8, "{model}: {noisy:?}");
        assert!(distinct.len() > 4, "{model}: {noisy:?}");
    }
}

#[test]
fn noise_errors_name_file_line_and_field() {
    let registry = registry_of(DefaultPlugins);
    let text = "(version: 1, duration_ms: 1.0,\n populations: [(name: \"n\", size: 2, model: LifRef())],\n inputs: [(population: \"n\", model: WhiteNoise(std: 1.0, density_sqrt_ms: 2.0))])";
    let e = Scene::parse(text, "bad.ron", &registry)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("bad.ron:3:"), "{e}");
    assert!(e.contains("density_sqrt_ms"), "{e}");
    let text = "(version: 1, duration_ms: 1.0,\n populations: [(name: \"n\", size: 2, model: LifRef())],\n inputs: [(population: \"n\", model: WhiteNoise(std: 1.0, interval_ms: 0.25))])";
    let scene = Scene::parse(text, "grid.ron", &registry).unwrap();
    let e = scene.build(DefaultPlugins).err().unwrap().to_string();
    assert!(e.starts_with("grid.ron:3:"), "{e}");
    assert!(
        e.contains("interval_ms") && e.contains("whole number"),
        "{e}"
    );
    let text = "(version: 1, duration_ms: 1.0,\n populations: [(name: \"p\", size: 2, model: Poisson(rate_hz: 5.0))],\n inputs: [(population: \"p\", model: OrnsteinUhlenbeck())])";
    let scene = Scene::parse(text, "input.ron", &registry).unwrap();
    let e = scene.build(DefaultPlugins).err().unwrap().to_string();
    assert!(e.contains("ignores currents"), "{e}");
    let text = "(version: 1, duration_ms: 1.0,\n populations: [(name: \"n\", size: 2, model: LifRef())],\n inputs: [(population: \"n\", model: OrnsteinUhlenbeck(neurons: [0, 2]))])";
    let scene = Scene::parse(text, "range.ron", &registry).unwrap();
    let e = scene.build(DefaultPlugins).err().unwrap().to_string();
    assert!(
        e.contains("neurons[1]") && e.contains("population size 2"),
        "{e}"
    );
}

#[test]
fn an_ou_snapshot_resumes_bit_for_bit() {
    let text = free_lifref(
        0.1,
        50,
        "OrnsteinUhlenbeck(mean: 1.0, std: 2.0, tau_ms: 3.0, neurons: [1, 7, 30])",
    )
    .replace(
        "inputs: [",
        "inputs: [(population: \"n\", model: WhiteNoise(std: 1.0)), ",
    );
    let v = |sim: &Simulation| {
        let pop = sim.index().population("n").unwrap();
        sim.world.get::<Membrane>(pop).unwrap().v.clone()
    };
    let (_, mut straight) = build(&text);
    straight.run_steps(400);
    let (_, mut first) = build(&text);
    first.run_steps(200);
    let state = first.save_state().unwrap();
    let (_, mut resumed) = build(&text);
    resumed.restore_state(&state).unwrap();
    resumed.run_steps(200);
    assert_eq!(v(&straight), v(&resumed));
    assert_ne!(v(&straight)[1], v(&straight)[0]);
}

/// (mean, variance) over neurons and samples of a recorded variable read by `read`.
fn moments_of(
    sim: &mut Simulation,
    burn_in: u64,
    every: u64,
    samples: usize,
    read: impl Fn(&Simulation) -> Vec<f64>,
) -> (f64, f64) {
    sim.run_steps(burn_in);
    let mut all = Vec::new();
    for _ in 0..samples {
        sim.run_steps(every);
        all.extend(read(sim));
    }
    let n = all.len() as f64;
    let mean = all.iter().sum::<f64>() / n;
    (
        mean,
        all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n,
    )
}

#[test]
fn poisson_input_voltage_shot_noise_has_the_binomial_moments() {
    // v_k = a·v_(k-1) + w·C_k, C_k ~ Binomial(N, p): mean wNp/(1 - a), var w²Np(1-p)/(1 - a²).
    let (n_src, rate, w, dt, tau) = (1000.0f64, 10.0f64, 0.2f64, 0.1f64, 10.0f64);
    let p = rate * dt / 1000.0;
    let a = (-dt / tau).exp();
    let mean = w * n_src * p / (1.0 - a);
    let var = w * w * n_src * p * (1.0 - p) / (1.0 - a * a);
    let (_, mut sim) = build(&free_lifref(
        dt,
        400,
        "PoissonInput(n_sources: 1000, rate_hz: 10.0, weight: 0.2)",
    ));
    let pop = sim.index().population("n").unwrap();
    let got = moments_of(&mut sim, 1000, 100, 20, |s| {
        let v = &s.world.get::<Membrane>(pop).unwrap().v;
        v.iter().map(|&x| f64::from(x)).collect()
    });
    assert_moments(got, mean, var, 400 * 20);
}

#[test]
fn poisson_input_into_a_projection_drives_its_conductance() {
    // An Exponential projection whose own source never fires: g_k = d·g_(k-1) + w·C_k, so
    // the mean of g is wNp/(1 - d) whatever the input timing.
    let text = r#"(version: 1, dt_ms: 0.1, duration_ms: 1.0, seed: 3,
        populations: [(name: "silent", size: 1, model: Poisson(rate_hz: 0.0)),
                      (name: "n", size: 300, model: LifRef(v_threshold_mv: 1e6))],
        projections: [(name: "ext", from: "silent", to: "n", connectivity: AllToAll,
                       weights: Constant(0.0), synapse: Exponential(tau_ms: 5.0))],
        inputs: [(population: "n", model: PoissonInput(n_sources: 200, rate_hz: 20.0, weight: 0.5,
                                                        target: Projection("ext")))],
        recorders: [State(name: "g", target: "ext", variables: ["g"], indices: Some([0, 1, 2]))])"#;
    let (_, mut sim) = build(text);
    let p = 20.0 * 0.1 / 1000.0;
    let d = (-0.1f64 / 5.0).exp();
    let mean = 0.5 * 200.0 * p / (1.0 - d);
    let proj = sim.index().projection("ext").unwrap();
    let got = moments_of(&mut sim, 500, 50, 20, |s| {
        let g = &s.world.get::<hebb::synapses::SynapseState>(proj).unwrap().g;
        g.iter().map(|&x| f64::from(x)).collect()
    });
    // Var of g: w²Np(1-p)/(1 - d²).
    let var = 0.25 * 200.0 * p * (1.0 - p) / (1.0 - d * d);
    assert_moments(got, mean, var, 300 * 20);
}

#[test]
fn poisson_input_errors_name_the_field() {
    let registry = registry_of(DefaultPlugins);
    let scene = |target: &str| {
        format!(
            "(version: 1, duration_ms: 1.0,\n populations: [(name: \"a\", size: 2, model: LifRef()), (name: \"b\", size: 2, model: LifRef())],\n projections: [(name: \"ab\", from: \"a\", to: \"b\", connectivity: AllToAll, weights: Constant(1.0), synapse: Exponential()),\n  (name: \"ba\", from: \"b\", to: \"a\", connectivity: AllToAll, weights: Constant(1.0), synapse: Alpha())],\n inputs: [(population: \"a\", model: PoissonInput(n_sources: 10, weight: 1.0, target: {target}))])"
        )
    };
    let error = |target: &str| {
        let s = Scene::parse(&scene(target), "pi.ron", &registry).unwrap();
        s.build(DefaultPlugins).err().unwrap().to_string()
    };
    let e = error("Projection(\"nope\")");
    assert!(
        e.starts_with("pi.ron:5:") && e.contains("target") && e.contains("ab, ba"),
        "{e}"
    );
    let e = error("Projection(\"ab\")");
    assert!(e.contains("does not end on `a`"), "{e}");
    let e = error("Projection(\"ba\")");
    assert!(e.contains("no Exponential or Conductance"), "{e}");
    let s = Scene::parse(&scene("Voltage"), "pi.ron", &registry).unwrap();
    assert!(s.build(DefaultPlugins).is_ok());
    let text = scene("Current").replace("n_sources: 10,", "n_sources: 10, rate_hz: 20000.0,");
    let s = Scene::parse(&text, "pi.ron", &registry).unwrap();
    let e = s.build(DefaultPlugins).err().unwrap().to_string();
    assert!(e.contains("rate_hz") && e.contains("(> 1)"), "{e}");
}
