//! LifRef, StepCurrent, a delayed projection and a BeforeDecay Conductance synapse against
//! BrainPy 2.8.2 (the `STDP_Song2000` docstring network, float32, dt 0.1 ms, 3000 steps;
//! fixture trimmed from the recorded BrainPy 2.8.2 run by
//! tests/fixtures/neurons/make_fixtures.py).
//!
//! pre: LifRef(1) driven by section_input I_pre; post: LifRef(1) driven by I_post plus the
//! COBA current g·(0 − V_post) of an Expon(τ = 5 ms) synapse (inputs added before the decay).
//! BrainPy's 1 ms delay with its rotating buffer delivers a spike of step k at step k + 9 (MODELS
//! §4(b)); a hebb neuron spike of step k with delay d steps arrives at k + 1 + d, so the
//! equivalent hebb delay is 0.8 ms. BrainPy's STDP changes W at the start of some steps; the test
//! replays the recorded W (set before each step) so that only the neuron and synapse dynamics
//! are under test.

use hebb_core::prelude::*;
use hebb_neurons::prelude::*;
use hebb_synapses::prelude::*;
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/neurons/brainpy_lifref_coba.json");
    serde_json::from_str(text).expect("fixture parses")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn steps(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("step"))
        .collect()
}

fn step_current(sections: &Value) -> StepCurrent {
    StepCurrent {
        values: floats(&sections["values"]),
        durations_ms: floats(&sections["durations_ms"]),
        neurons: None,
    }
}

struct Run {
    v_pre: Vec<f64>,
    v_post: Vec<f64>,
    g: Vec<f64>,
    pre_spikes: Vec<u64>,
    post_spikes: Vec<u64>,
}

fn run(fx: &Value, replay_w: bool) -> Run {
    let n = fx["n_steps"].as_u64().unwrap();
    let w_rec = floats(&fx["W"]);
    let mut sim = Simulation::new(fx["dt_ms"].as_f64().unwrap(), 42).unwrap();
    sim.add_plugins((hebb_neurons::NeuronsPlugin, hebb_synapses::SynapsesPlugin));
    for name in ["pre", "post"] {
        sim.add_population(PopulationSpec {
            name: name.into(),
            size: 1,
            model: Box::new(LifRef::default()),
        })
        .unwrap();
    }
    sim.add_stimulus("pre", &step_current(&fx["I_pre_sections"]))
        .unwrap();
    sim.add_stimulus("post", &step_current(&fx["I_post_sections"]))
        .unwrap();
    let mut spec = ProjectionSpec::new(
        "syn",
        "pre",
        "post",
        ConnectivitySpec::AllToAll,
        WeightInit::Constant(fx["w_init"].as_f64().unwrap()),
        Conductance {
            tau_ms: 5.0,
            e_rev_mv: 0.0,
            input_timing: InputTiming::BeforeDecay,
            ..Conductance::default()
        },
    );
    spec.delay_ms = 0.8;
    let syn = sim.add_projection(spec).unwrap();
    for (name, target, var) in [
        ("v_pre", "pre", "v"),
        ("v_post", "post", "v"),
        ("g", "syn", "g"),
    ] {
        sim.add_recorder(&RecorderSpec::State {
            name: name.into(),
            target: target.into(),
            variables: vec![var.into()],
            indices: None,
            stride: 1,
        })
        .unwrap();
    }
    for population in ["pre", "post"] {
        sim.add_recorder(&RecorderSpec::spikes(population)).unwrap();
    }
    for &w in &w_rec[..n as usize] {
        if replay_w {
            sim.world.get_mut::<Weights>(syn).unwrap().w[0] = w as Real;
        }
        sim.step();
    }
    let rec = sim.recorders();
    let col = |name: &str, c: &str| -> Vec<f64> {
        rec.state(name)
            .unwrap()
            .column(c)
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect()
    };
    Run {
        v_pre: col("v_pre", "v[0]"),
        v_post: col("v_post", "v[0]"),
        g: col("g", "g[0]"),
        pre_spikes: rec.spikes_of("pre").unwrap().steps.clone(),
        post_spikes: rec.spikes_of("post").unwrap().steps.clone(),
    }
}

fn assert_close(name: &str, got: &[f64], want: &[f64], abs: f64, rel: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{name}: length");
    let mut worst: f64 = 0.0;
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs();
        assert!(
            err <= abs + rel * w.abs(),
            "{name}[{k}]: hebb {g} vs BrainPy {w} (error {err})"
        );
        worst = worst.max(err);
    }
    worst
}

#[test]
fn step_currents_reproduce_brainpy_section_input() {
    let fx = fixture();
    let dt = fx["dt_ms"].as_f64().unwrap();
    for (sections, per_step) in [("I_pre_sections", "I_pre"), ("I_post_sections", "I_post")] {
        let stim = step_current(&fx[sections]);
        let want = floats(&fx[per_step]);
        let mut bounds = Vec::new();
        let mut end = 0.0;
        for (&v, &d) in stim.values.iter().zip(&stim.durations_ms) {
            end += d;
            bounds.push(((end / dt).round() as usize, v));
        }
        for (k, &w) in want.iter().enumerate() {
            let v = bounds.iter().find(|(e, _)| k < *e).map_or(0.0, |b| b.1);
            assert_eq!(v, w, "{per_step}[{k}]");
        }
    }
}

#[test]
fn lifref_and_coba_synapse_match_brainpy() {
    let fx = fixture();
    let got = run(&fx, true);
    assert_eq!(got.pre_spikes, steps(&fx["pre_spike_steps"]));
    assert_eq!(got.post_spikes, steps(&fx["post_spike_steps"]));
    let e_pre = assert_close("V_pre", &got.v_pre, &floats(&fx["V_pre"]), 1e-4, 1e-5);
    let e_g = assert_close("g", &got.g, &floats(&fx["g"]), 1e-7, 1e-5);
    let e_post = assert_close("V_post", &got.v_post, &floats(&fx["V_post"]), 1e-4, 1e-5);
    eprintln!("max abs errors: V_pre {e_pre:e}, g {e_g:e}, V_post {e_post:e}");
    // The conductance is zero until the first pre spike (159) arrives at 159 + 9 = 168.
    assert!(got.g[..168].iter().all(|&g| g == 0.0) && got.g[168] > 0.0);
}

#[test]
fn without_the_weight_replay_the_run_matches_until_stdp_acts() {
    // W first changes at step 213 (LTP after the post spike at 212): before that the plain
    // network (constant weight) is BrainPy's run.
    let fx = fixture();
    let got = run(&fx, false);
    let w = floats(&fx["W"]);
    let first_change = w.iter().position(|&x| x != w[0]).unwrap();
    assert_eq!(first_change, 213);
    let want_post = floats(&fx["V_post"]);
    let want_g = floats(&fx["g"]);
    assert_close(
        "V_post",
        &got.v_post[..first_change],
        &want_post[..first_change],
        1e-4,
        1e-5,
    );
    assert_close(
        "g",
        &got.g[..first_change],
        &want_g[..first_change],
        1e-7,
        1e-5,
    );
    assert_eq!(got.post_spikes[0], 212);
}
