//! NEST 3.10's plasticity rules (refs README §F): `stdp_triplet_synapse`,
//! `vogels_sprekeler_synapse`, `stdp_synapse` and `stdp_nn_symm_synapse`, against hebb's
//! `TripletStdp`, `VogelsSprekeler` and `StdpNest`, weight after every presynaptic spike.
//!
//! ## How the two timings align
//! NEST takes the synapse's whole delay `d` (1 ms here) as dendritic: the synapse sees a pre
//! spike at its emission time `t_pre` and a post spike at `t_post + d`, and it applies the
//! changes lazily, at the next pre spike (potentiation by the post spikes since the previous pre
//! spike, then the depression of the new one). hebb sees a presynaptic spike when it arrives
//! (`t_pre + delay`) and a postsynaptic spike when it happens, and applies each change in the
//! step of its spike. So the networks here are:
//!
//! - pre: a `SpikeSource` at NEST's parrot times `t_pre`, projection delay 0 (seen at `t_pre`);
//! - post: a `SpikeSource` at `t_post + d` (seen at `t_post + d`, NEST's dendritic time);
//!
//! the rule sees the same lags as NEST. The operations on a weight happen in the same order
//! (post spikes between two pre spikes, each bounded, then the pre spike's), so hebb's weight
//! right after the step of each pre spike is NEST's `weight_recorder` entry for that spike.
//! NEST's `stdp_nn_symm_synapse` starts with `t_lastspike = 0`, as if a pre spike had
//! happened at t = 0; the test adds that spike to hebb's train (its own depression reads a zero
//! post trace: no change).
//!
//! ## Tolerance
//! NEST computes in f64; hebb's weights are `Real` (f32 by default) and its traces decay by the
//! exact `e^{−Δt/τ}` with `Real` values. With `ε = Real::EPSILON / 2`, each weight operation
//! (a potentiation or depression of at most `Δmax`) rounds `w` at most twice (`2·ε·|w|`) and
//! reads traces that are sums of at most `m` terms, each rounded a few times (`(m + 4)·ε`
//! relative). After `k` operations the error is therefore at most
//! `k · ε · (2·|w|max + (m + 4)·Δmax)`, with `Δmax` from the largest trace values of the actual
//! trains (computed below in f64) and the rule's amplitudes: derived, never widened to pass.
//! With the `f64` feature it shrinks by 2^29.

use std::path::PathBuf;

use hebb::prelude::*;
use serde_json::Value;

const DT: f64 = 0.1;

/// The fixture `tests/fixtures/plasticity/<name>` (copied whole from refs README §F).
fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plasticity")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn times(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// `t` on the dt grid (NEST's times are multiples of 0.1 ms printed in decimal).
fn on_grid(t: f64) -> f64 {
    (t / DT).round() * DT
}

/// One pre → post synapse learning with `rule` from `w0`, NEST's trains aligned as in the module
/// docs (`extra_pre`: spikes only hebb's train needs). Returns the weight after every pre
/// spike of `pre_ms`.
fn weights_after_each_pre(
    rule: impl ModelParams,
    w0: f64,
    pre_ms: &[f64],
    post_ms: &[f64],
    delay_ms: f64,
    extra_pre: &[f64],
) -> Vec<f64> {
    let mut sim = Simulation::new(DT, 0).unwrap();
    sim.add_plugins(DefaultPlugins);
    let mut hebb_pre: Vec<f64> = extra_pre
        .iter()
        .chain(pre_ms)
        .map(|&t| on_grid(t))
        .collect();
    hebb_pre.dedup();
    let hebb_post: Vec<f64> = post_ms.iter().map(|&t| on_grid(t + delay_ms)).collect();
    let last = hebb_pre
        .iter()
        .chain(&hebb_post)
        .fold(0.0f64, |a, &b| a.max(b));
    for (name, train) in [("pre", hebb_pre.clone()), ("post", hebb_post)] {
        sim.add_population(PopulationSpec {
            name: name.into(),
            size: 1,
            model: Box::new(SpikeSource {
                times_ms: vec![train],
            }),
        })
        .unwrap();
    }
    let mut spec = ProjectionSpec::new(
        "syn",
        "pre",
        "post",
        ConnectivitySpec::OneToOne,
        WeightInit::Constant(w0),
        Delta::default(),
    );
    spec.plasticity = Some(Box::new(rule));
    let projection = sim.add_projection(spec).unwrap();
    let pre_steps: Vec<u64> = pre_ms.iter().map(|&t| (t / DT).round() as u64).collect();
    let n_steps = (last / DT).round() as u64 + 1;
    let mut out = Vec::new();
    for step in 0..n_steps {
        sim.step();
        if pre_steps.contains(&step) {
            out.push(f64::from(
                sim.world.get::<Weights>(projection).unwrap().w[0],
            ));
        }
    }
    assert_eq!(out.len(), pre_ms.len());
    out
}

/// The error bound of the module docs after `k` weight operations.
fn bound(k: usize, w_abs_max: f64, m: usize, delta_max: f64) -> f64 {
    let eps = f64::from(Real::EPSILON) / 2.0;
    k as f64 * eps * (2.0 * w_abs_max + (m as f64 + 4.0) * delta_max)
}

/// The largest value of an all-to-all trace (+1 per spike, time constant `tau_ms`) of `train`.
fn trace_max(train: &[f64], tau_ms: f64) -> f64 {
    train
        .iter()
        .map(|&t| {
            train
                .iter()
                .filter(|&&s| s <= t)
                .map(|&s| (-(t - s) / tau_ms).exp())
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

/// Compare, after every pre spike, with the bound for the operations so far (≤ 3 per spike of
/// either side up to that pre spike). Returns the largest error relative to its bound.
fn assert_close(
    what: &str,
    hebb: &[f64],
    nest: &[f64],
    ops_before: &impl Fn(usize) -> usize,
    bound_of: impl Fn(usize) -> f64,
) -> f64 {
    assert_eq!(hebb.len(), nest.len(), "{what}");
    let mut worst: f64 = 0.0;
    for (i, (h, n)) in hebb.iter().zip(nest).enumerate() {
        let b = bound_of(ops_before(i));
        let err = (h - n).abs();
        assert!(
            err <= b,
            "{what}: after pre spike {i}: hebb {h} vs NEST {n} (error {err:e}, bound {b:e})"
        );
        worst = worst.max(err / b);
    }
    worst
}

/// Number of spikes (pre and post) up to and including pre spike `i`, times 3 operations.
fn ops(pre_ms: &[f64], post_ms: &[f64], delay_ms: f64) -> impl Fn(usize) -> usize {
    let pre = pre_ms.to_vec();
    let post: Vec<f64> = post_ms.iter().map(|t| t + delay_ms).collect();
    move |i| {
        let t = pre[i] + 1e-6;
        3 * (i + 1 + post.iter().filter(|&&p| p <= t).count())
    }
}

#[test]
fn triplet_pairing_protocol_matches_nest() {
    let fix = fixture("nest_stdp_triplet.json");
    let set = &fix["pairing_protocol"]["sets"]["nest_defaults"];
    let d = fix["delay_ms"].as_f64().unwrap();
    let runs = set["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 10);
    let rule = TripletStdp::default();
    // hebb's defaults are NEST's synapse and neuron defaults.
    let sd = &fix["synapse_defaults"];
    assert_eq!(rule.a2_plus, sd["Aplus"].as_f64().unwrap());
    assert_eq!(rule.a3_plus, sd["Aplus_triplet"].as_f64().unwrap());
    assert_eq!(rule.a2_minus, sd["Aminus"].as_f64().unwrap());
    assert_eq!(rule.a3_minus, sd["Aminus_triplet"].as_f64().unwrap());
    assert_eq!(rule.tau_plus_ms, sd["tau_plus"].as_f64().unwrap());
    assert_eq!(rule.tau_x_ms, sd["tau_plus_triplet"].as_f64().unwrap());
    let nd = &fix["post_neuron_defaults"];
    assert_eq!(rule.tau_minus_ms, nd["tau_minus"].as_f64().unwrap());
    assert_eq!(rule.tau_y_ms, nd["tau_minus_triplet"].as_f64().unwrap());
    let mut worst: f64 = 0.0;
    for run in runs {
        let pre = times(&run["pre_times_ms"]);
        let post = times(&run["post_times_ms"]);
        let nest = times(&run["w_after_each_pre"]);
        let hebb = weights_after_each_pre(rule.clone(), 1.0, &pre, &post, d, &[]);
        let what = format!("f {} Hz, dt_syn {}", run["f_hz"], run["dt_syn_ms"]);
        let delta_max = f64::max(
            trace_max(&pre, rule.tau_plus_ms)
                * (rule.a2_plus + rule.a3_plus * trace_max(&post, rule.tau_y_ms)),
            trace_max(&post, rule.tau_minus_ms)
                * (rule.a2_minus + rule.a3_minus * trace_max(&pre, rule.tau_x_ms)),
        );
        let w_abs_max = nest.iter().fold(1.0f64, |a, &b| a.max(b.abs())) + delta_max;
        let m = pre.len().max(post.len());
        worst = worst.max(assert_close(
            &what,
            &hebb,
            &nest,
            &ops(&pre, &post, d),
            |k| bound(k, w_abs_max, m, delta_max),
        ));
        // The frequency dependence itself (README table): the final weight change.
        let dw = hebb[59] - 1.0;
        let nest_dw = run["w_after_last_protocol_pre"].as_f64().unwrap() - 1.0;
        assert_eq!(dw.signum(), nest_dw.signum(), "{what}: {dw} vs {nest_dw}");
    }
    eprintln!("triplet: worst error / bound = {worst:.3}");
}

#[test]
fn vogels_sprekeler_irregular_trains_match_nest() {
    let fix = fixture("nest_vogels_sprekeler.json");
    let d = fix["delay_ms"].as_f64().unwrap();
    let irr = &fix["irregular"];
    let pre = times(&irr["pre_times_ms"]);
    let post = times(&irr["post_times_ms"]);
    let nest = times(&irr["wr_weights"]);
    let rule = VogelsSprekeler::default();
    let sd = &fix["synapse_defaults"];
    assert_eq!(rule.eta, sd["eta"].as_f64().unwrap());
    assert_eq!(rule.alpha, sd["alpha"].as_f64().unwrap());
    assert_eq!(rule.tau_ms, sd["tau"].as_f64().unwrap());
    assert_eq!(rule.w_max, sd["Wmax"].as_f64().unwrap());
    let w0 = sd["weight"].as_f64().unwrap();
    let hebb = weights_after_each_pre(rule.clone(), w0, &pre, &post, d, &[]);
    let x_max = f64::max(trace_max(&pre, rule.tau_ms), trace_max(&post, rule.tau_ms));
    let delta_max = rule.eta * x_max.max(rule.alpha);
    let m = pre.len().max(post.len());
    let all_ops = ops(&pre, &post, d);
    let worst = assert_close("vogels", &hebb, &nest, &all_ops, |k| {
        bound(k, rule.w_max, m, delta_max)
    });
    eprintln!("vogels: worst error / bound = {worst:.3}");
    // The last pre spike's weight is NEST's final weight (the trailing post spike is applied
    // only by hebb, online).
    let final_w = irr["final_status"]["weight"].as_f64().unwrap();
    let k = all_ops(pre.len() - 1);
    assert!((hebb[hebb.len() - 1] - final_w).abs() <= bound(k, rule.w_max, m, delta_max));
}

#[test]
fn stdp_synapse_and_nn_symm_additive_match_nest() {
    let fix = fixture("nest_stdp_nn.json");
    let d = fix["delay_ms"].as_f64().unwrap();
    let pre = times(&fix["pre_times_ms"]);
    let post = times(&fix["post_times_ms"]);
    let run = &fix["runs"]["additive"];
    let p = &run["params"];
    let get = |k: &str| p[k].as_f64().unwrap();
    let rule = |pairing| StdpNest {
        tau_plus_ms: get("tau_plus"),
        tau_minus_ms: run["post_neuron_tau_minus_ms"].as_f64().unwrap(),
        lambda: get("lambda"),
        alpha: get("alpha"),
        mu_plus: get("mu_plus"),
        mu_minus: get("mu_minus"),
        w_max: get("Wmax"),
        pairing,
    };
    for (model, pairing, extra) in [
        ("stdp_synapse", Pairing::AllToAll, &[][..]),
        // NEST's t_lastspike = 0: a pre spike at t = 0 for the nearest-neighbour schemes.
        (
            "stdp_nn_symm_synapse",
            Pairing::NearestSymmetric,
            &[0.0][..],
        ),
    ] {
        let nest = times(&run["models"][model]["wr_weights"]);
        let hebb = weights_after_each_pre(rule(pairing), get("weight"), &pre, &post, d, extra);
        let x_max = f64::max(
            trace_max(&pre, get("tau_plus")),
            trace_max(&post, get("tau_plus")),
        );
        let delta_max = get("lambda") * get("Wmax") * get("alpha").max(1.0) * x_max;
        let w_abs_max = nest.iter().fold(0.0f64, |a, &b| a.max(b.abs())) + delta_max;
        let m = pre.len().max(post.len());
        let worst = assert_close(model, &hebb, &nest, &ops(&pre, &post, d), |k| {
            bound(k, w_abs_max, m, delta_max)
        });
        eprintln!("{model}: worst error / bound = {worst:.3}");
    }
}

/// NEST's lazy `send()` of the four pair-STDP models, ported in f64 from refs README §F (one
/// pass over the pre spikes; `t_last = 0` initially, as NEST). Returns the weight after each
/// pre spike.
fn nest_port(
    pairing: Pairing,
    w0: f64,
    params: (f64, f64, f64, f64, f64, f64, f64),
    pre: &[f64],
    post: &[f64],
    d: f64,
) -> Vec<f64> {
    let (tau_plus, tau_minus, lambda, alpha, mu_plus, mu_minus, w_max) = params;
    let facilitate = |w: f64, k: f64| {
        let u = w / w_max;
        w_max * f64::min(u + lambda * (1.0 - u).powf(mu_plus) * k, 1.0)
    };
    let depress = |w: f64, k: f64| {
        let u = w / w_max;
        w_max * f64::max(u - alpha * lambda * u.powf(mu_minus) * k, 0.0)
    };
    let eps = 1e-6;
    let (mut w, mut t_last, mut kplus) = (w0, 0.0f64, 0.0f64);
    let mut out = Vec::new();
    for &t in pre {
        let history: Vec<f64> = post
            .iter()
            .copied()
            .filter(|&tj| tj > t_last - d + eps && tj <= t - d + eps)
            .collect();
        match pairing {
            Pairing::AllToAll | Pairing::NearestSymmetric => {
                for &tj in &history {
                    let k = if pairing == Pairing::AllToAll {
                        kplus
                    } else {
                        1.0
                    };
                    w = facilitate(w, k * ((t_last - (tj + d)) / tau_plus).exp());
                }
            }
            Pairing::NearestPreCentered => {
                if let Some(&tj) = history.first() {
                    w = facilitate(w, kplus * ((t_last - (tj + d)) / tau_plus).exp());
                    kplus = 0.0;
                }
            }
            Pairing::NearestRestricted => {
                if let Some(&tj) = history.first() {
                    w = facilitate(w, ((t_last - (tj + d)) / tau_plus).exp());
                }
            }
        }
        let before: Vec<f64> = post
            .iter()
            .copied()
            .filter(|&tp| tp < t - d - eps)
            .collect();
        let kminus = if pairing == Pairing::AllToAll {
            before
                .iter()
                .map(|&tp| (-(t - d - tp) / tau_minus).exp())
                .sum()
        } else {
            before
                .last()
                .map_or(0.0, |&tk| (-(t - d - tk) / tau_minus).exp())
        };
        if pairing != Pairing::NearestRestricted || !history.is_empty() {
            w = depress(w, kminus);
        }
        out.push(w);
        kplus = kplus * ((t_last - t) / tau_plus).exp() + 1.0;
        t_last = t;
    }
    out
}

#[test]
fn every_pairing_scheme_additive_and_multiplicative_matches_nests_algorithm() {
    let fix = fixture("nest_stdp_nn.json");
    let d = fix["delay_ms"].as_f64().unwrap();
    let pre = times(&fix["pre_times_ms"]);
    let post = times(&fix["post_times_ms"]);
    let additive = &fix["runs"]["additive"];
    let p = &additive["params"];
    let get = |k: &str| p[k].as_f64().unwrap();
    // The port reproduces NEST's recorded runs to double rounding.
    let additive_params = (
        get("tau_plus"),
        additive["post_neuron_tau_minus_ms"].as_f64().unwrap(),
        get("lambda"),
        get("alpha"),
        get("mu_plus"),
        get("mu_minus"),
        get("Wmax"),
    );
    for (model, pairing) in [
        ("stdp_synapse", Pairing::AllToAll),
        ("stdp_nn_symm_synapse", Pairing::NearestSymmetric),
    ] {
        let nest = times(&additive["models"][model]["wr_weights"]);
        let port = nest_port(pairing, get("weight"), additive_params, &pre, &post, d);
        for (a, b) in port.iter().zip(&nest) {
            assert!((a - b).abs() < 1e-9, "{model}: port {a} vs NEST {b}");
        }
    }
    // hebb against the port for every scheme, additive (the fixture's run) and multiplicative
    // (README §F: λ = 0.01, μ = 1).
    let (tp, tm, _, alpha, _, _, w_max) = additive_params;
    for (set, lambda, mu) in [
        ("additive", get("lambda"), 0.0),
        ("multiplicative", 0.01, 1.0),
    ] {
        for pairing in [
            Pairing::AllToAll,
            Pairing::NearestSymmetric,
            Pairing::NearestPreCentered,
            Pairing::NearestRestricted,
        ] {
            let reference = nest_port(
                pairing,
                get("weight"),
                (tp, tm, lambda, alpha, mu, mu, w_max),
                &pre,
                &post,
                d,
            );
            let rule = StdpNest {
                tau_plus_ms: tp,
                tau_minus_ms: tm,
                lambda,
                alpha,
                mu_plus: mu,
                mu_minus: mu,
                w_max,
                pairing,
            };
            let extra: &[f64] = match pairing {
                Pairing::NearestSymmetric | Pairing::NearestRestricted => &[0.0],
                _ => &[],
            };
            let hebb = weights_after_each_pre(rule, get("weight"), &pre, &post, d, extra);
            let x_max = f64::max(trace_max(&pre, tp), trace_max(&post, tm));
            let delta_max = lambda * w_max * alpha.max(1.0) * x_max;
            let w_abs_max = reference.iter().fold(0.0f64, |a, &b| a.max(b.abs())) + delta_max;
            let m = pre.len().max(post.len());
            let what = format!("{set} {pairing:?}");
            let worst = assert_close(&what, &hebb, &reference, &ops(&pre, &post, d), |k| {
                bound(k, w_abs_max, m, delta_max)
            });
            eprintln!("{what}: worst error / bound = {worst:.3}");
        }
    }
}
