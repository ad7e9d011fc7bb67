//! Tsodyks–Markram STP against ngc-learn's short-term plasticity tutorial (ngclearn 3.2.1:
//! `STPDenseSynapse` → `LIFCell`, dt = 1 ms, W = 2.5, facilitating U = 0.15, tau_f = 750,
//! tau_d = 50; LIF tau_m = 20, resist_m = 240, v_rest = −60, v_reset = −70, thr = −50).
//!
//! - The regular 20 Hz and the irregular clamped inputs: u, x, Wdyn, the synapse output, v and the
//!   postsynaptic spikes match at every step (float32 within 1e-5 relative).
//! - The recorded Poisson inputs of the 2 Hz and 20 Hz runs, replayed: v and the postsynaptic
//!   spikes match at every one of the 5000 steps.
//! - The four Poisson scenes with hebb's own random numbers: input and output spike counts lie
//!   within statistical bounds of the reference runs.

use std::path::PathBuf;

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};
use hebb::synapses::tsodyks_markram::{StpIntegration, TsodyksMarkram};
use serde_json::Value;

const W: f64 = 2.5;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Value {
    let path = root().join(format!("tests/fixtures/stp/{name}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn steps(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

/// The tutorial's LIF cell.
fn tutorial_lif() -> Lif {
    Lif {
        tau_m_ms: 20.0,
        resistance: 240.0,
        v_rest_mv: -60.0,
        v_reset_mv: -70.0,
        v_threshold_mv: -50.0,
        tau_theta_ms: 0.0,
        theta_plus_mv: 0.0,
        refractory_ms: 0.0,
        ..Lif::default()
    }
}

/// Spike source (the clamped input) → STP synapse (Delta current, W) → tutorial LIF, dt = 1 ms.
fn build(input_steps: &[u64], u_base: f64, tau_f_ms: f64, tau_d_ms: f64) -> Simulation {
    let mut sim = Simulation::new(1.0, 0).unwrap();
    sim.add_plugins(DefaultPlugins);
    let times = input_steps.iter().map(|&k| k as f64).collect();
    sim.add_population(PopulationSpec {
        name: "input".into(),
        size: 1,
        model: Box::new(SpikeSource {
            times_ms: vec![times],
        }),
    })
    .unwrap();
    sim.add_population(PopulationSpec {
        name: "lif".into(),
        size: 1,
        model: Box::new(tutorial_lif()),
    })
    .unwrap();
    let mut spec = ProjectionSpec::new(
        "stp",
        "input",
        "lif",
        ConnectivitySpec::AllToAll,
        WeightInit::Constant(W),
        Delta {
            target: DeltaTarget::Current,
        },
    );
    spec.stp = Some(Box::new(TsodyksMarkram {
        u_base,
        tau_f_ms,
        tau_d_ms,
        integration: StpIntegration::Euler,
        ..TsodyksMarkram::default()
    }));
    sim.add_projection(spec).unwrap();
    sim.add_recorder(&RecorderSpec::State {
        name: "stp".into(),
        target: "stp".into(),
        variables: vec!["u".into(), "x".into(), "Wdyn".into(), "released".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
    sim.add_recorder(&RecorderSpec::State {
        name: "v".into(),
        target: "lif".into(),
        variables: vec!["v".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
    sim.add_recorder(&RecorderSpec::spikes("lif")).unwrap();
    sim.add_recorder(&RecorderSpec::spikes("input")).unwrap();
    sim
}

fn assert_series(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let g = f64::from(g);
        assert!(
            (g - w).abs() <= 1e-5 * w.abs().max(1e-7),
            "{what} at step {k}: hebb {g}, ngc-learn {w}"
        );
    }
}

fn spike_steps(sim: &Simulation, population: &str) -> Vec<u64> {
    sim.recorders().spikes_of(population).unwrap().steps.clone()
}

fn check_deterministic_run(name: &str) {
    let run = fixture(&format!("ngclearn_stf_{name}.json"));
    let n = run["n_steps"].as_u64().unwrap();
    let params = &run["params"];
    assert_eq!(params["W"].as_f64(), Some(W));
    let input = steps(&run["input_spike_steps"]);
    let mut sim = build(
        &input,
        params["resources_Rval"].as_f64().unwrap(),
        params["tau_f"].as_f64().unwrap(),
        params["tau_d"].as_f64().unwrap(),
    );
    sim.run_steps(n);
    let stp = sim.recorders().state("stp").unwrap();
    assert_series(
        &format!("{name} u"),
        &stp.column("u[0]").unwrap(),
        &floats(&run["u"]),
    );
    assert_series(
        &format!("{name} x"),
        &stp.column("x[0]").unwrap(),
        &floats(&run["x"]),
    );
    assert_series(
        &format!("{name} Wdyn"),
        &stp.column("Wdyn[0]").unwrap(),
        &floats(&run["Wdyn"]),
    );
    // ngc-learn's synapse output s @ Wdyn is W·released: non-zero on spike steps only.
    let syn_out: Vec<f32> = stp
        .column("released[0]")
        .unwrap()
        .iter()
        .map(|r| W as f32 * r)
        .collect();
    assert_series(
        &format!("{name} syn_out"),
        &syn_out,
        &floats(&run["syn_out"]),
    );
    let v = sim.recorders().state("v").unwrap().column("v[0]").unwrap();
    assert_series(&format!("{name} v"), &v, &floats(&run["v"]));
    assert_eq!(spike_steps(&sim, "input"), input, "{name}: input spikes");
    let post = steps(&run["post_spike_steps"]);
    assert!(!post.is_empty());
    assert_eq!(spike_steps(&sim, "lif"), post, "{name}: LIF spikes");
}

#[test]
fn stf_regular_20hz_matches_every_step() {
    check_deterministic_run("regular_20Hz");
}

#[test]
fn stf_irregular_matches_every_step() {
    check_deterministic_run("irregular");
}

#[test]
fn stf_poisson_inputs_replayed_give_the_same_output() {
    let poisson = fixture("ngclearn_poisson.json");
    for rate in ["2Hz", "20Hz"] {
        let run = &poisson["stf"][rate];
        let input = steps(&run["input_spike_steps"]);
        assert_eq!(input.len() as u64, run["n_pre"].as_u64().unwrap());
        let mut sim = build(&input, 0.15, 750.0, 50.0);
        sim.run_steps(run["n_steps"].as_u64().unwrap());
        let v = sim.recorders().state("v").unwrap().column("v[0]").unwrap();
        assert_series(&format!("poisson {rate} v"), &v, &floats(&run["v"]));
        let post = spike_steps(&sim, "lif");
        assert_eq!(post, steps(&run["post_spike_steps"]), "poisson {rate}");
        assert_eq!(post.len() as u64, run["n_post"].as_u64().unwrap());
    }
}

/// Input and output spike counts of a Poisson scene run with `seed`.
fn counts(scene: &Scene, seed: u64) -> (u64, u64) {
    let mut scene = scene.clone();
    scene.seed = seed;
    let mut sim = scene
        .build(DefaultPlugins)
        .unwrap_or_else(|e| panic!("{e}"));
    sim.run_steps(scene.steps().unwrap());
    (
        spike_steps(&sim, "input").len() as u64,
        spike_steps(&sim, "lif").len() as u64,
    )
}

#[test]
fn poisson_scenes_give_spike_counts_within_statistical_bounds() {
    let poisson = fixture("ngclearn_poisson.json");
    let registry = registry_of(DefaultPlugins);
    const SEEDS: u64 = 40;
    for (kind, rate_hz) in [("stf", 2.0), ("stf", 20.0), ("std", 2.0), ("std", 20.0)] {
        let label = format!("{kind}_{rate_hz}hz");
        let path = root().join(format!("scenes/stp_ngclearn_{label}.ron"));
        let scene = Scene::load(&path, &registry).unwrap_or_else(|e| panic!("{e}"));
        let key = format!("{rate_hz}Hz");
        let reference = if kind == "stf" {
            &poisson["stf"][&key]
        } else {
            &poisson["std_observed_counts"][&key]
        };
        let ref_in = reference["n_pre"].as_u64().unwrap() as f64;
        let ref_out = reference["n_post"].as_u64().unwrap() as f64;

        // The input is Binomial(5000, p): the scene's own run and the reference both lie within
        // 4 standard deviations of the mean.
        let n = scene.steps().unwrap() as f64;
        let p = rate_hz * scene.dt_ms / 1000.0;
        let (mean, sd) = (n * p, (n * p * (1.0 - p)).sqrt());
        let (own_in, _) = counts(&scene, scene.seed);
        for (who, count) in [("hebb", own_in as f64), ("ngc-learn", ref_in)] {
            assert!(
                (count - mean).abs() <= 4.0 * sd,
                "{label}: {who} input count {count}, expected {mean} ± {sd}"
            );
        }

        // The output count over many seeds: the reference run's count lies within the spread
        // of hebb's runs (4 standard deviations, at least 2 spikes for the small counts).
        let samples: Vec<(f64, f64)> = (0..SEEDS)
            .map(|s| {
                let (i, o) = counts(&scene, 1000 + s);
                (i as f64, o as f64)
            })
            .collect();
        let outs: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let m = outs.iter().sum::<f64>() / outs.len() as f64;
        let var = outs.iter().map(|o| (o - m).powi(2)).sum::<f64>() / (outs.len() - 1) as f64;
        let bound = (4.0 * var.sqrt()).max(2.0);
        assert!(
            (ref_out - m).abs() <= bound,
            "{label}: ngc-learn output count {ref_out}, hebb {m:.1} ± {:.1} over {SEEDS} seeds",
            var.sqrt()
        );
        // The mean input count over the seeds agrees with the rate (standard error bound).
        let mean_in = samples.iter().map(|s| s.0).sum::<f64>() / SEEDS as f64;
        assert!(
            (mean_in - mean).abs() <= 4.0 * sd / (SEEDS as f64).sqrt(),
            "{label}: mean input count {mean_in}, expected {mean}"
        );
        eprintln!(
            "{label}: input {own_in} (ngc-learn {ref_in}, expected {mean:.0}); output over \
             {SEEDS} seeds {m:.1} ± {:.1} (ngc-learn {ref_out})",
            var.sqrt()
        );
    }
}

#[test]
fn std_depresses_and_stf_facilitates_at_20hz() {
    // Independent of the reference: with the same input train, the facilitating synapse drives
    // the LIF to fire many times more than the depressing one (ngc-learn: 66 vs 2).
    let train: Vec<u64> = (0..5000).filter(|k| k % 50 == 10).collect();
    let mut stf = build(&train, 0.15, 750.0, 50.0);
    let mut std = build(&train, 0.45, 50.0, 750.0);
    stf.run_steps(5000);
    std.run_steps(5000);
    let (n_stf, n_std) = (
        spike_steps(&stf, "lif").len(),
        spike_steps(&std, "lif").len(),
    );
    assert!(n_stf > 10 * n_std.max(1), "STF {n_stf} vs STD {n_std}");
    // Depression: the held efficacy at the last spike is far below the first one.
    let wdyn = std
        .recorders()
        .state("stp")
        .unwrap()
        .column("Wdyn[0]")
        .unwrap();
    assert!((f64::from(wdyn[10]) - W * 0.45).abs() < 1e-6);
    assert!(
        wdyn[4999] < 0.3 * wdyn[10],
        "{} vs {}",
        wdyn[4999],
        wdyn[10]
    );
}
