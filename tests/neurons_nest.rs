//! The NEST 3.10 neuron models against NEST's own traces (fixtures trimmed from the NEST 3.10 and
//! Brian2 2.11 reference runs by tests/fixtures/nest/make_fixtures.py): `IafPscExp`, `IafPscAlpha`,
//! `Izhikevich` (both schemes) and `AdEx` (GSL RKF45), each driven as in NEST through hebb's own
//! inputs: `SpikeSource` populations with `Receptor` projections and `StepCurrent` stimuli.
//!
//! How NEST's timing maps onto hebb's (docs/models/nest-timing.md):
//!
//! - A NEST `spike_generator` spike at t with delay d is added to the neuron at the end of step
//!   `(t + d)/dt − 1`. A hebb `SpikeSource` spike at t is emitted in step `t/dt` and, through a
//!   projection of delay D, handed to the neuron in step `t/dt + D/dt`, which also adds it at the
//!   end of its update. So hebb's delay is `d − dt` (0.9 ms for NEST's 1 ms); the tests check
//!   that this gives NEST's recorded arrival steps.
//! - A NEST `dc_generator` with `start` 49.9, `stop` 449.9 and delay 0.1 acts in steps 500..4499
//!   (NEST reads the current that arrives in step k from step k+1 on). A hebb `StepCurrent`
//!   section is used in the steps it covers: `values [0, I, 0]`, `durations_ms [50, 400, 50]`.
//! - NEST's sample k is the state after step k (time (k+1)·dt); hebb's recorder row k is the
//!   state after step k (stamped k·dt). Spike steps compare as step indices.
//!
//! Tolerances: hebb keeps state in f32 (`Real`) and computes each step in f64, so the only
//! difference from NEST is the rounding of the stored state to f32 after every step.

use hebb_core::prelude::*;
use hebb_neurons::prelude::*;
use hebb_synapses::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/nest/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture exists"))
        .expect("fixture parses")
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

/// NEST's spike input: generator times, weight, delay (ms) and the arrival steps NEST recorded.
struct SpikeInput {
    times_ms: Vec<f64>,
    weight: f64,
    nest_delay_ms: f64,
    arrival_steps: Vec<u64>,
}

/// One neuron of `model`, driven like NEST; returns the recorded columns and spike steps.
fn run(
    model: Box<dyn ModelParams>,
    dc: Option<&Value>,
    inputs: &[SpikeInput],
    variables: &[&str],
    n_steps: u64,
) -> (Vec<Vec<f64>>, Vec<u64>) {
    let dt = 0.1;
    let mut sim = Simulation::new(dt, 1).unwrap();
    sim.add_plugins((hebb_neurons::NeuronsPlugin, hebb_synapses::SynapsesPlugin));
    sim.add_population(PopulationSpec {
        name: "n".into(),
        size: 1,
        model,
    })
    .unwrap();
    if let Some(dc) = dc {
        let (first, last) = (
            dc["first_step"].as_u64().unwrap(),
            dc["last_step"].as_u64().unwrap(),
        );
        let on_ms = first as f64 * dt;
        let len_ms = (last + 1 - first) as f64 * dt;
        sim.add_stimulus(
            "n",
            &StepCurrent {
                values: vec![0.0, dc["value"].as_f64().unwrap(), 0.0],
                durations_ms: vec![on_ms, len_ms, n_steps as f64 * dt - on_ms - len_ms],
                neurons: None,
            },
        )
        .unwrap();
    }
    for (k, input) in inputs.iter().enumerate() {
        let name = format!("source{k}");
        // hebb's delay is NEST's minus one step (module docs); check it lands on NEST's steps.
        let delay_ms = input.nest_delay_ms - dt;
        let arrivals: Vec<u64> = input
            .times_ms
            .iter()
            .map(|t| ((t + delay_ms) / dt).round() as u64)
            .collect();
        assert_eq!(arrivals, input.arrival_steps, "arrival steps of {name}");
        sim.add_population(PopulationSpec {
            name: name.clone(),
            size: 1,
            model: Box::new(SpikeSource {
                times_ms: vec![input.times_ms.clone()],
            }),
        })
        .unwrap();
        let mut spec = ProjectionSpec::new(
            format!("{name}_n"),
            &name,
            "n",
            ConnectivitySpec::AllToAll,
            WeightInit::Constant(input.weight),
            Receptor {},
        );
        spec.delay_ms = delay_ms;
        sim.add_projection(spec).unwrap();
    }
    sim.add_recorder(&RecorderSpec::State {
        name: "state".into(),
        target: "n".into(),
        variables: variables.iter().map(|v| v.to_string()).collect(),
        indices: None,
        stride: 1,
    })
    .unwrap();
    sim.add_recorder(&RecorderSpec::spikes("n")).unwrap();
    for _ in 0..n_steps {
        sim.step();
    }
    let rec = sim.recorders();
    let columns = variables
        .iter()
        .map(|v| {
            rec.state("state")
                .unwrap()
                .column(&format!("{v}[0]"))
                .unwrap()
                .into_iter()
                .map(f64::from)
                .collect()
        })
        .collect();
    (columns, rec.spikes_of("n").unwrap().steps.clone())
}

/// The largest |got − want| over `range` (all when None), with the step where it occurs.
fn worst(got: &[f64], want: &[f64]) -> (f64, usize) {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .enumerate()
        .map(|(k, (g, w))| ((g - w).abs(), k))
        .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
}

/// Rounding a value of magnitude up to `max` to f32 errs by at most half an ulp; an error made
/// in every step and then multiplied by a decay `p` per step adds up to at most
/// `half_ulp / (1 − p)`. With f64 (`Real = f64`) the bound is 0 up to f64 rounding.
fn f32_storage_bound(max: f64, decay_per_step: f64) -> f64 {
    let half_ulp = if std::mem::size_of::<Real>() == 4 {
        0.5 * f64::from(f32::EPSILON) * max.abs().max(1.0).log2().ceil().exp2()
    } else {
        1e-12 * max.abs().max(1.0)
    };
    half_ulp / (1.0 - decay_per_step)
}

/// V, I_ex and I_in (errors `[V, I_ex, I_in]`) within the f32 storage bound of NEST's values.
fn assert_iaf_within_f32_rounding(fx: &Value, errors: [f64; 3]) {
    let p = &fx["params"];
    let h = fx["dt"].as_f64().unwrap();
    let max_of = |k: &str| floats(&fx[k]).iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let bounds = [
        f32_storage_bound(max_of("V_m"), (-h / p["tau_m"].as_f64().unwrap()).exp()),
        f32_storage_bound(
            max_of("I_syn_ex"),
            (-h / p["tau_syn_ex"].as_f64().unwrap()).exp(),
        ),
        f32_storage_bound(
            max_of("I_syn_in"),
            (-h / p["tau_syn_in"].as_f64().unwrap()).exp(),
        ),
    ];
    for ((e, b), name) in errors
        .iter()
        .zip(bounds)
        .zip(["V_m", "I_syn_ex", "I_syn_in"])
    {
        assert!(
            *e <= b,
            "{name}: max error {e:e} above the f32 rounding bound {b:e}"
        );
    }
}

fn iaf_inputs(fx: &Value) -> Vec<SpikeInput> {
    ["exc", "inh"]
        .iter()
        .map(|kind| SpikeInput {
            times_ms: floats(&fx[format!("{kind}_generator_times_ms")]),
            weight: fx[format!("w_{kind}_pA")].as_f64().unwrap(),
            nest_delay_ms: fx["delay_ms"].as_f64().unwrap(),
            arrival_steps: steps(&fx[format!("{kind}_arrival_steps")]),
        })
        .collect()
}

#[test]
fn iaf_psc_exp_matches_nest() {
    let fx = fixture("nest_iaf_psc_exp.json");
    let (cols, spikes) = run(
        Box::new(IafPscExp::default()),
        Some(&fx["dc"]),
        &iaf_inputs(&fx),
        &["v", "i_syn_ex", "i_syn_in"],
        fx["n_steps"].as_u64().unwrap(),
    );
    let (ev, kv) = worst(&cols[0], &floats(&fx["V_m"]));
    let (ee, ke) = worst(&cols[1], &floats(&fx["I_syn_ex"]));
    let (ei, ki) = worst(&cols[2], &floats(&fx["I_syn_in"]));
    eprintln!("iaf_psc_exp: V {ev:e} at {kv}, I_ex {ee:e} at {ke}, I_in {ei:e} at {ki}");
    assert_eq!(spikes, steps(&fx["spike_steps"]));
    assert_iaf_within_f32_rounding(&fx, [ev, ee, ei]);
}

#[test]
fn iaf_psc_alpha_matches_nest() {
    let fx = fixture("nest_iaf_psc_alpha.json");
    let (cols, spikes) = run(
        Box::new(IafPscAlpha::default()),
        Some(&fx["dc"]),
        &iaf_inputs(&fx),
        &["v", "i_syn_ex", "i_syn_in"],
        fx["n_steps"].as_u64().unwrap(),
    );
    let (ev, kv) = worst(&cols[0], &floats(&fx["V_m"]));
    let (ee, ke) = worst(&cols[1], &floats(&fx["I_syn_ex"]));
    let (ei, ki) = worst(&cols[2], &floats(&fx["I_syn_in"]));
    eprintln!("iaf_psc_alpha: V {ev:e} at {kv}, I_ex {ee:e} at {ke}, I_in {ei:e} at {ki}");
    assert_eq!(spikes, steps(&fx["spike_steps"]));
    assert_iaf_within_f32_rounding(&fx, [ev, ee, ei]);
}

#[test]
fn izhikevich_matches_nest() {
    let fx = fixture("nest_izhikevich.json");
    for (name, run_fx) in fx["runs"].as_object().unwrap() {
        let p = &run_fx["params"];
        let model = Izhikevich {
            a: p["a"].as_f64().unwrap(),
            b: p["b"].as_f64().unwrap(),
            c_mv: p["c"].as_f64().unwrap(),
            d: p["d"].as_f64().unwrap(),
            v_th_mv: p["V_th"].as_f64().unwrap(),
            v_min_mv: None,
            i_e: p["I_e"].as_f64().unwrap(),
            v_init_mv: p["V_m"].as_f64().unwrap(),
            u_init: Some(p["U_m"].as_f64().unwrap()),
            integration: if p["consistent_integration"].as_i64() == Some(1) {
                IzhikevichIntegration::Consistent
            } else {
                IzhikevichIntegration::Published
            },
        };
        let (cols, spikes) = run(Box::new(model), None, &[], &["v", "u"], 5000);
        let (ev, kv) = worst(&cols[0], &floats(&run_fx["V_m"]));
        let (eu, ku) = worst(&cols[1], &floats(&run_fx["U_m"]));
        eprintln!("izhikevich {name}: v {ev:e} at {kv}, u {eu:e} at {ku}");
        assert_eq!(spikes, steps(&run_fx["spike_steps"]), "{name}");
        // The state is integrated in f64 with NEST's operations in NEST's order: the f32 copies
        // differ from NEST's values by their rounding only.
        assert!(ev <= f32_storage_bound(65.0, 0.0), "{name}: v {ev:e}");
        assert!(eu <= f32_storage_bound(20.0, 0.0), "{name}: u {eu:e}");
    }
}

fn adex_params(p: &Value) -> AdEx {
    let f = |k: &str| p[k].as_f64().unwrap();
    AdEx {
        c_m_pf: f("C_m"),
        g_l_ns: f("g_L"),
        e_l_mv: f("E_L"),
        v_th_mv: f("V_th"),
        delta_t_mv: f("Delta_T"),
        v_peak_mv: f("V_peak"),
        v_reset_mv: f("V_reset"),
        t_ref_ms: f("t_ref"),
        a_ns: f("a"),
        b_pa: f("b"),
        tau_w_ms: f("tau_w"),
        e_ex_mv: f("E_ex"),
        e_in_mv: f("E_in"),
        tau_syn_ex_ms: f("tau_syn_ex"),
        tau_syn_in_ms: f("tau_syn_in"),
        i_e_pa: f("I_e"),
        v_init_mv: Some(f("V_m")),
        w_init_pa: f("w"),
        error_tolerance: f("gsl_error_tol"),
        ..AdEx::default()
    }
}

#[test]
fn adex_matches_nest_aeif_cond_exp() {
    let fx = fixture("nest_aeif_cond_exp.json");
    for (name, run_fx) in fx["runs"].as_object().unwrap() {
        let inputs: Vec<SpikeInput> = if run_fx.get("exc_generator_times_ms").is_some() {
            ["exc", "inh"]
                .iter()
                .map(|kind| SpikeInput {
                    times_ms: floats(&run_fx[format!("{kind}_generator_times_ms")]),
                    weight: run_fx[format!("w_{kind}_nS")].as_f64().unwrap(),
                    nest_delay_ms: run_fx["delay_ms"].as_f64().unwrap(),
                    arrival_steps: steps(&run_fx[format!("{kind}_arrival_steps")]),
                })
                .collect()
        } else {
            Vec::new()
        };
        let (cols, spikes) = run(
            Box::new(adex_params(&run_fx["params"])),
            run_fx.get("dc"),
            &inputs,
            &["v", "w", "syn_ex", "syn_in"],
            fx["n_steps"].as_u64().unwrap(),
        );
        // V within 0.1 mV at every step (spike steps included), w within 0.01 pA, the
        // conductances within 1e-4 nS; spike steps within one step of NEST's.
        for (k, (var, tol)) in [("V_m", 0.1), ("w", 0.01), ("g_ex", 1e-4), ("g_in", 1e-4)]
            .into_iter()
            .enumerate()
        {
            let (e, at) = worst(&cols[k], &floats(&run_fx[var]));
            eprintln!("aeif_cond_exp {name}: {var} max error {e:e} at step {at}");
            assert!(e <= tol, "{name}: {var} error {e} at step {at}");
        }
        let nest_spikes = steps(&run_fx["spike_steps"]);
        eprintln!("aeif_cond_exp {name}: spike steps {spikes:?}, NEST {nest_spikes:?}");
        assert_within_one_step(&spikes, &nest_spikes, name);
    }
}

fn assert_within_one_step(got: &[u64], want: &[u64], name: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{name}: spike count, {got:?} vs {want:?}"
    );
    for (g, w) in got.iter().zip(want) {
        assert!(
            g.abs_diff(*w) <= 1,
            "{name}: spike steps {got:?} vs {want:?}"
        );
    }
}

/// `AdEx(integration: Euler | Rk4)` against Brian2 2.11's `euler` and `rk4` runs of the
/// step-current protocol (NEST's default AdEx, 800 pA in steps 500..4499, no synapses).
/// Brian2 resets at the end of the step, as these two schemes do.
#[test]
fn adex_euler_and_rk4_match_brian2() {
    let fx = fixture("brian2_adex.json");
    let p = &fx["params"];
    let f = |k: &str| p[k].as_f64().unwrap();
    for (method, integration) in [
        ("euler", AdExIntegration::Euler),
        ("rk4", AdExIntegration::Rk4),
    ] {
        let model = AdEx {
            c_m_pf: f("C_m"),
            g_l_ns: f("g_L"),
            e_l_mv: f("E_L"),
            v_th_mv: f("V_th"),
            delta_t_mv: f("Delta_T"),
            v_peak_mv: f("V_peak"),
            v_reset_mv: f("V_reset"),
            a_ns: f("a"),
            b_pa: f("b"),
            tau_w_ms: f("tau_w"),
            integration,
            ..AdEx::default()
        };
        let (cols, spikes) = run(Box::new(model), Some(&fx["dc"]), &[], &["v", "w"], 5000);
        let want = &fx["runs"][method];
        let (ev, kv) = worst(&cols[0], &floats(&want["V_m"]));
        let (ew, kw) = worst(&cols[1], &floats(&want["w"]));
        eprintln!("brian2 {method}: V {ev:e} at {kv}, w {ew:e} at {kw}, spikes {spikes:?}");
        assert_eq!(spikes, steps(&want["spike_steps"]), "{method}");
    }
}
