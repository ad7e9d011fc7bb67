//! `Lif` (ngc-learn's LIFCell) in a running simulation: ngc-learn's own unit test, ngc-learn
//! reference traces (fixture trimmed from the recorded ngc-learn 3.2.1 run by
//! tests/fixtures/neurons/make_fixtures.py), and hand-computed sequences with an adaptive
//! threshold and a refractory period read through the recorders.

use hebb_core::prelude::*;
use hebb_neurons::prelude::*;
use serde_json::Value;

fn sim_with(dt: f64, lif: Lif, size: usize) -> Simulation {
    let mut sim = Simulation::new(dt, 7).unwrap();
    sim.add_plugins((hebb_neurons::NeuronsPlugin, hebb_synapses::SynapsesPlugin));
    sim.add_population(PopulationSpec {
        name: "lif".into(),
        size,
        model: Box::new(lif),
    })
    .unwrap();
    sim.add_recorder(&RecorderSpec::spikes("lif")).unwrap();
    sim.add_recorder(&RecorderSpec::State {
        name: "state".into(),
        target: "lif".into(),
        variables: vec!["v".into(), "theta".into(), "rfr".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
    sim
}

/// A StepCurrent that injects `per_step[k]` at step k (one section per step).
fn per_step_current(per_step: &[f64], dt: f64) -> StepCurrent {
    StepCurrent {
        values: per_step.to_vec(),
        durations_ms: vec![dt; per_step.len()],
        neurons: None,
    }
}

fn column(sim: &Simulation, name: &str) -> Vec<f64> {
    sim.recorders()
        .state("state")
        .unwrap()
        .column(name)
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

#[test]
fn ngclearn_upstream_lifcell_test() {
    // tests/components/neurons/spiking/test_LIFCell.py: tau_m 5, resist_m 30, dt 1, all other
    // params at ngc-learn's defaults; expected spikes [0,0,1,0,0,0,0,0,0,0,1,0,0,0].
    let x = [1., 1., 1., 1., 1., 0., 0., 1., 1., 1., 1., 1., 1., 0.];
    let mut sim = sim_with(
        1.0,
        // ngc-learn's LIFCell defaults, its adaptive threshold included (hebb's is off by
        // default).
        Lif {
            tau_m_ms: 5.0,
            resistance: 30.0,
            tau_theta_ms: 1e7,
            theta_plus_mv: 0.05,
            ..Lif::default()
        },
        1,
    );
    sim.add_stimulus("lif", &per_step_current(&x, 1.0)).unwrap();
    sim.run_steps(x.len() as u64);
    assert_eq!(sim.recorders().spikes_of("lif").unwrap().steps, vec![2, 10]);
    // The adaptive threshold rose by theta_plus = 0.05 at each spike and decays with 1e7 ms.
    let theta = column(&sim, "theta[0]");
    let decay = (-1e-7f64).exp();
    assert!((theta[2] - 0.05).abs() < 1e-7);
    assert!((theta[9] - 0.05 * decay.powi(7)).abs() < 1e-7);
    assert!((theta[10] - (0.05 * decay.powi(8) + 0.05)).abs() < 1e-6);
    // rfr: time since the last spike (ms), starting at refract_time = 5.
    let rfr = column(&sim, "rfr[0]");
    assert_eq!(&rfr[..5], &[6.0, 7.0, 0.0, 1.0, 2.0]);
}

#[test]
fn ngclearn_reference_traces() {
    let fx: Value =
        serde_json::from_str(include_str!("fixtures/neurons/ngclearn_lif.json")).unwrap();
    let p = &fx["lif"];
    let f = |k: &str| p[k].as_f64().unwrap();
    let lif = Lif {
        tau_m_ms: f("tau_m"),
        resistance: f("resist_m"),
        v_rest_mv: f("v_rest"),
        v_reset_mv: f("v_reset"),
        v_threshold_mv: f("thr"),
        tau_theta_ms: f("tau_theta"),
        theta_plus_mv: f("theta_plus"),
        refractory_ms: f("refract_time"),
        ..Lif::default()
    };
    let dt = fx["dt_ms"].as_f64().unwrap();
    for (name, run) in fx["runs"].as_object().unwrap() {
        let j: Vec<f64> = run["j"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let want_v: Vec<f64> = run["v"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let want_spikes: Vec<u64> = run["spike_steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        let mut sim = sim_with(dt, lif.clone(), 1);
        sim.add_stimulus("lif", &per_step_current(&j, dt)).unwrap();
        sim.run_steps(j.len() as u64);
        let spikes = &sim.recorders().spikes_of("lif").unwrap().steps;
        assert_eq!(spikes, &want_spikes, "{name}");
        assert!(
            want_spikes.len() > 20,
            "{name}: the run must exercise the threshold"
        );
        let v = column(&sim, "v[0]");
        let mut worst: f64 = 0.0;
        for (k, (a, b)) in v.iter().zip(&want_v).enumerate() {
            let err = (a - b).abs();
            assert!(err <= 1e-5 * b.abs(), "{name} v[{k}]: {a} vs ngc-learn {b}");
            worst = worst.max(err);
        }
        eprintln!("{name}: max |v error| {worst:e} mV");
    }
}

#[test]
fn hand_computed_adaptation_and_refractoriness() {
    // dt 0.5 ms, tau_m 10, R 2, constant input 9 (J = 18), adaptive threshold (tau_theta 20,
    // theta_plus 1.5), refractory 1 ms = 2 steps of gated input. The expected sequence is the
    // LIFCell update written out independently in f64.
    let (dt, tau, r, input) = (0.5, 10.0, 2.0, 9.0);
    let lif = Lif {
        tau_m_ms: tau,
        resistance: r,
        tau_theta_ms: 20.0,
        theta_plus_mv: 1.5,
        refractory_ms: 1.0,
        ..Lif::default()
    };
    let n = 120;
    let mut sim = sim_with(dt, lif, 2);
    sim.add_stimulus(
        "lif",
        &StepCurrent {
            values: vec![input],
            durations_ms: vec![n as f64 * dt],
            neurons: Some(vec![1]),
        },
    )
    .unwrap();
    sim.run_steps(n);
    let (mut v, mut theta, mut rfr) = (-65.0f64, 0.0f64, 1.0f64);
    let mut spikes = Vec::new();
    let (v_rec, th_rec, rfr_rec) = (
        column(&sim, "v[1]"),
        column(&sim, "theta[1]"),
        column(&sim, "rfr[1]"),
    );
    for k in 0..n as usize {
        let gate = if rfr >= 1.0 { 1.0 } else { 0.0 };
        v += dt / tau * ((-65.0 - v) + r * input * gate);
        let s = v > -52.0 + theta;
        rfr = if s { 0.0 } else { rfr + dt };
        if s {
            v = -60.0;
            spikes.push(k as u64);
        }
        theta = theta * (-dt / 20.0f64).exp() + if s { 1.5 } else { 0.0 };
        assert!(
            (v_rec[k] - v).abs() < 1e-4,
            "step {k}: v {} vs {v}",
            v_rec[k]
        );
        assert!((th_rec[k] - theta).abs() < 1e-5, "step {k}: theta");
        assert!((rfr_rec[k] - rfr).abs() < 1e-5, "step {k}: rfr");
    }
    assert!(spikes.len() >= 3, "{spikes:?}");
    let rec = sim.recorders().spikes_of("lif").unwrap();
    assert_eq!(rec.steps, spikes);
    assert!(
        rec.neurons.iter().all(|&i| i == 1),
        "neuron 0 gets no input"
    );
    // Neuron 0 stays at rest.
    assert!(column(&sim, "v[0]").iter().all(|&v| v == -65.0));
    // Adaptation lengthens the inter-spike intervals.
    let isi: Vec<u64> = spikes.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(isi.windows(2).all(|w| w[1] >= w[0]), "{isi:?}");
}

#[test]
fn lif_params_are_checked_at_build_time() {
    let mut sim = Simulation::new(1.0, 1).unwrap();
    sim.add_plugins(hebb_neurons::NeuronsPlugin);
    let e = sim
        .add_population(PopulationSpec {
            name: "bad".into(),
            size: 3,
            model: Box::new(Lif {
                tau_m_ms: -3.0,
                ..Lif::default()
            }),
        })
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid parameter in population `bad`: tau_m_ms must be > 0, got -3"
    );
    // Unknown fields are rejected by the params type.
    let e = serde_json::from_str::<Lif>(r#"{"tau_m_ms": 5, "tau": 3}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `tau`"), "{e}");
    let lif: Lif = serde_json::from_str(r#"{"integration": "Midpoint"}"#).unwrap();
    assert_eq!(lif.integration, LifIntegration::Rk2);
}
