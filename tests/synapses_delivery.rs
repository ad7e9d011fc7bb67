//! Synapse outputs between real populations: exact arrival steps with delays, Delta current and
//! voltage, Exponential input timings, the conductance driving force E − V, the STP scale, and
//! build errors. Expected values are written out independently from the model equations.

use hebb_core::prelude::*;
use hebb_neurons::prelude::*;
use hebb_synapses::prelude::*;

fn sim(dt: f64) -> Simulation {
    let mut sim = Simulation::new(dt, 11).unwrap();
    sim.add_plugins((hebb_neurons::NeuronsPlugin, hebb_synapses::SynapsesPlugin));
    sim
}

fn population(sim: &mut Simulation, name: &str, size: usize, model: impl ModelParams) -> Entity {
    sim.add_population(PopulationSpec {
        name: name.into(),
        size,
        model: Box::new(model),
    })
    .unwrap()
}

fn project(
    sim: &mut Simulation,
    name: &str,
    (pre, post): (&str, &str),
    w: f64,
    delay_ms: f64,
    synapse: impl ModelParams,
) -> Result<Entity, BuildError> {
    let mut spec = ProjectionSpec::new(
        name,
        pre,
        post,
        ConnectivitySpec::AllToAll,
        WeightInit::Constant(w),
        synapse,
    );
    spec.delay_ms = delay_ms;
    sim.add_projection(spec)
}

fn record(sim: &mut Simulation, name: &str, target: &str, var: &str) {
    sim.add_recorder(&RecorderSpec::State {
        name: name.into(),
        target: target.into(),
        variables: vec![var.into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
}

fn series(sim: &Simulation, name: &str, column: &str) -> Vec<f64> {
    sim.recorders()
        .state(name)
        .unwrap()
        .column(column)
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

fn source(times_ms: &[f64]) -> SpikeSource {
    SpikeSource {
        times_ms: vec![times_ms.to_vec()],
    }
}

/// A LifRef that never fires and does not leak (e^(−dt/τ) rounds to 1 in f32): V moves only by
/// voltage jumps.
fn integrator() -> LifRef {
    LifRef {
        tau_ms: 1e9,
        v_threshold_mv: 1e6,
        ..LifRef::default()
    }
}

#[test]
fn input_spike_arrives_exactly_delay_steps_later() {
    for d in [0u64, 1, 3, 7] {
        let mut s = sim(0.5);
        population(&mut s, "src", 1, source(&[1.0])); // step 2
        population(&mut s, "post", 1, integrator());
        let voltage = Delta {
            target: DeltaTarget::Voltage,
        };
        project(&mut s, "p", ("src", "post"), 3.0, d as f64 * 0.5, voltage).unwrap();
        record(&mut s, "v", "post", "v");
        s.run_steps(15);
        let v = series(&s, "v", "v[0]");
        let jump = v.iter().position(|&x| x != 0.0).unwrap() as u64;
        assert_eq!(jump, 2 + d, "delay {d} steps");
        assert!((v[jump as usize] - 3.0).abs() < 1e-5);
    }
}

#[test]
fn neuron_spike_arrives_one_plus_delay_steps_later() {
    for d in [0u64, 2, 5] {
        let mut s = sim(0.1);
        population(&mut s, "src", 1, source(&[0.3])); // step 3
        population(&mut s, "pre", 1, LifRef::default());
        population(&mut s, "post", 1, integrator());
        let kick = Delta {
            target: DeltaTarget::Voltage,
        };
        project(&mut s, "kick", ("src", "pre"), 25.0, 0.0, kick.clone()).unwrap();
        project(&mut s, "p", ("pre", "post"), 2.0, d as f64 * 0.1, kick).unwrap();
        s.add_recorder(&RecorderSpec::spikes("pre")).unwrap();
        record(&mut s, "v", "post", "v");
        s.run_steps(15);
        assert_eq!(s.recorders().spikes_of("pre").unwrap().steps, vec![3]);
        let v = series(&s, "v", "v[0]");
        let jump = v.iter().position(|&x| x != 0.0).unwrap() as u64;
        assert_eq!(jump, 3 + 1 + d, "delay {d} steps");
    }
}

#[test]
fn delta_current_is_a_charge_per_spike() {
    // I = w/dt during the arrival step only; LifRef integrates it exactly:
    // V1 = R·(w/dt)·(1 − e^(−dt/τ)), then V decays.
    let (dt, w, tau) = (0.1, 2.0, 10.0);
    let mut s = sim(dt);
    population(&mut s, "src", 1, source(&[0.0]));
    population(&mut s, "post", 1, LifRef::default());
    project(&mut s, "p", ("src", "post"), w, 0.0, Delta::default()).unwrap();
    record(&mut s, "v", "post", "v");
    s.run_steps(3);
    let v = series(&s, "v", "v[0]");
    let e = (-dt / tau).exp();
    let v1 = w / dt * (1.0 - e);
    assert!((v[0] - v1).abs() < 1e-5, "{} vs {v1}", v[0]);
    assert!((v[1] - v1 * e).abs() < 1e-5);
    assert!((v[2] - v1 * e * e).abs() < 1e-5);
}

#[test]
fn exponential_input_timing() {
    let (dt, tau, w) = (0.1f64, 5.0f64, 0.5f64);
    let alpha = (-dt / tau).exp();
    for (timing, first) in [
        (InputTiming::AfterDecay, w),
        (InputTiming::BeforeDecay, w * alpha),
    ] {
        let mut s = sim(dt);
        population(&mut s, "src", 1, source(&[0.2]));
        let post = LifRef {
            v_threshold_mv: 1e6,
            ..LifRef::default()
        };
        population(&mut s, "post", 1, post);
        let syn = Exponential {
            tau_ms: tau,
            input_timing: timing,
            ..Exponential::default()
        };
        project(&mut s, "p", ("src", "post"), w, 0.0, syn).unwrap();
        record(&mut s, "g", "p", "g");
        record(&mut s, "v", "post", "v");
        s.run_steps(6);
        let g = series(&s, "g", "g[0]");
        assert_eq!(&g[..2], &[0.0, 0.0]);
        for k in 2..6 {
            let want = first * alpha.powi(k - 2);
            assert!((g[k as usize] - want).abs() < 1e-6, "{timing:?} step {k}");
        }
        // The current I = g drives LifRef (τ 10 ms, R 1) exactly: V' = g + (V − g)·e^(−dt/τ).
        let v = series(&s, "v", "v[0]");
        let e_m = (-dt / 10.0).exp();
        let mut want = 0.0;
        for k in 0..6 {
            want = g[k] + (want - g[k]) * e_m;
            assert!(
                (v[k] - want).abs() < 1e-6,
                "{timing:?} step {k}: {} vs {want}",
                v[k]
            );
        }
        assert!(v[1] == 0.0 && v[2] > 0.0, "{v:?}");
    }
}

/// Independent transcription of LifRef + COBA: I = g·(E − V_old), exact V update.
fn coba_reference(
    g0: f64,
    alpha: f64,
    drive: impl Fn(f64) -> f64,
    v0: f64,
    v_rest: f64,
    e_m: f64,
    n: usize,
) -> Vec<(f64, f64)> {
    let (mut g, mut v) = (0.0, v0);
    (0..n)
        .map(|k| {
            g = g * alpha + if k == 0 { g0 } else { 0.0 };
            let i = g * drive(v);
            v = v_rest + i + (v - v_rest - i) * e_m;
            (g, v)
        })
        .collect()
}

#[test]
fn conductance_uses_reversal_minus_voltage_of_the_previous_step() {
    let (dt, tau, w) = (0.1f64, 5.0f64, 0.5f64);
    let (alpha, e_m) = ((-dt / tau).exp(), (-dt / 10.0f64).exp());
    let post = LifRef {
        v_rest_mv: -60.0,
        v_init_mv: -60.0,
        v_reset_mv: -70.0,
        v_threshold_mv: 100.0,
        ..LifRef::default()
    };
    for (e_rev, fixed) in [(0.0, None), (-80.0, None), (0.0, Some(14.0))] {
        let mut s = sim(dt);
        population(&mut s, "src", 1, source(&[0.0]));
        population(&mut s, "post", 1, post.clone());
        let syn = Conductance {
            tau_ms: tau,
            e_rev_mv: e_rev,
            fixed_driving_force_mv: fixed,
            ..Conductance::default()
        };
        project(&mut s, "p", ("src", "post"), w, 0.0, syn).unwrap();
        record(&mut s, "g", "p", "g");
        record(&mut s, "v", "post", "v");
        s.run_steps(60);
        let (g, v) = (series(&s, "g", "g[0]"), series(&s, "v", "v[0]"));
        let want = coba_reference(
            w,
            alpha,
            |v| fixed.unwrap_or(e_rev - v),
            -60.0,
            -60.0,
            e_m,
            60,
        );
        for (k, &(gw, vw)) in want.iter().enumerate() {
            assert!(
                (g[k] - gw).abs() < 1e-6,
                "E {e_rev} step {k}: g {} vs {gw}",
                g[k]
            );
            assert!(
                (v[k] - vw).abs() < 1e-4,
                "E {e_rev} step {k}: v {} vs {vw}",
                v[k]
            );
        }
        // Depolarizing towards E = 0 (or by the fixed drive), hyperpolarizing towards −80.
        if e_rev < -60.0 {
            assert!(v[10] < -60.01);
        } else {
            assert!(v[10] > -59.99);
        }
    }
}

#[test]
fn transmission_scale_multiplies_what_is_delivered() {
    // A TransmissionScale (as short-term plasticity sets it) scales every output; here set by
    // hand, per presynaptic neuron and per synapse.
    let mut s = sim(1.0);
    population(
        &mut s,
        "src",
        2,
        SpikeSource {
            times_ms: vec![vec![0.0], vec![0.0]],
        },
    );
    population(&mut s, "post", 2, integrator());
    let voltage = Delta {
        target: DeltaTarget::Voltage,
    };
    let p = project(&mut s, "p", ("src", "post"), 1.0, 0.0, voltage.clone()).unwrap();
    s.world
        .entity_mut(p)
        .insert(TransmissionScale::PerPre(vec![0.5, 0.25]));
    let q = project(&mut s, "q", ("src", "post"), 1.0, 0.0, voltage).unwrap();
    s.world
        .entity_mut(q)
        .insert(TransmissionScale::PerSynapse(vec![1.0, 0.0, 0.0, 2.0]));
    record(&mut s, "v", "post", "v");
    s.step();
    let v = s.recorders().state("v").unwrap().row(0).to_vec();
    // post 0: 0.5 + 0.25 (p) + 1 (q, synapse (0,0)); post 1: 0.75 + 2 (q, synapse (1,1)).
    assert_eq!(v, vec![1.75, 2.75]);
}

#[test]
fn build_errors_name_the_problem() {
    let mut s = sim(0.1);
    population(&mut s, "in", 2, Poisson::default());
    population(&mut s, "out", 2, Lif::default());
    population(&mut s, "exact", 2, Exact::default());
    let e = project(&mut s, "c", ("out", "in"), 1.0, 0.0, Conductance::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("projection `c`: Conductance needs the membrane potential")
            && e.contains("`in` (model `Poisson`) has no membrane")
            && e.contains("fixed_driving_force_mv"),
        "{e}"
    );
    let fixed = Conductance {
        fixed_driving_force_mv: Some(10.0),
        ..Conductance::default()
    };
    assert!(project(&mut s, "c2", ("in", "exact"), 1.0, 0.0, fixed).is_ok());
    let e = project(
        &mut s,
        "d",
        ("in", "exact"),
        1.0,
        0.0,
        Delta {
            target: DeltaTarget::Voltage,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("Delta(target: Voltage) needs the membrane"),
        "{e}"
    );
    let euler = Exponential {
        tau_ms: 0.05,
        decay: Decay::Euler,
        ..Exponential::default()
    };
    let e = project(&mut s, "x", ("in", "out"), 1.0, 0.0, euler)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("projection `x`") && e.contains("tau_ms must be >= dt (0.1 ms)"),
        "{e}"
    );
    let e = project(
        &mut s,
        "y",
        ("in", "out"),
        1.0,
        0.0,
        Exponential {
            tau_ms: -3.0,
            ..Exponential::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.ends_with("tau_ms must be > 0, got -3"), "{e}");
    assert!(serde_json::from_str::<Conductance>(r#"{"e_rev": 0}"#).is_err());
}

/// Every built-in neuron model with a membrane takes voltage jumps (`Delta(target: Voltage)`,
/// Brian2's `v_post += w`): a 3 mV jump moves V by 3 mV against the same run without it. Before,
/// `IafPscExp`, `IafPscAlpha` and `AdEx` silently ignored them.
#[test]
fn every_membrane_model_takes_voltage_jumps() {
    type Make = fn() -> Box<dyn ModelParams>;
    let models: [(&str, Make); 6] = [
        ("LifRef", || Box::new(LifRef::default())),
        ("Lif", || Box::new(Lif::default())),
        ("IafPscExp", || Box::new(IafPscExp::default())),
        ("IafPscAlpha", || Box::new(IafPscAlpha::default())),
        ("AdEx", || Box::new(AdEx::default())),
        ("Izhikevich", || Box::new(Izhikevich::default())),
    ];
    for (name, model) in models {
        let v_of = |w: f64| {
            let mut s = sim(0.1);
            population(&mut s, "src", 1, source(&[1.0])); // step 10
            s.add_population(PopulationSpec {
                name: "post".into(),
                size: 1,
                model: model(),
            })
            .unwrap();
            let voltage = Delta {
                target: DeltaTarget::Voltage,
            };
            project(&mut s, "p", ("src", "post"), w, 0.0, voltage).unwrap();
            record(&mut s, "v", "post", "v");
            s.run_steps(20);
            series(&s, "v", "v[0]")
        };
        let (plain, kicked) = (v_of(0.0), v_of(3.0));
        let first = plain.iter().zip(&kicked).position(|(a, b)| a != b);
        let Some(k) = first else {
            panic!("{name}: the voltage jump did nothing");
        };
        assert!((10..=11).contains(&k), "{name}: V moved at step {k}");
        let moved = kicked[k] - plain[k];
        assert!((moved - 3.0).abs() < 1e-3, "{name}: V moved by {moved} mV");
    }
}
