//! Tsodyks–Markram STP in networks larger than ngc-learn's 1×1 synapse:
//!
//! - Poisson (20) → LIF (8), sparse random connectivity, U per synapse: every synapse's u, x and
//!   released fraction follow an independent f64 re-implementation of the Euler equations driven
//!   by the recorded presynaptic spikes, and the LIF input is Σ w·released over the arriving
//!   synapses (checked through v of a neuron that cannot spike).
//! - STP and STDP on one projection: STP scales what is transmitted but never the stored weight,
//!   so with imposed postsynaptic spikes the STDP weight trajectory is the same with and without
//!   STP, while the transmitted current differs.

use hebb::prelude::*;
use hebb::synapses::tsodyks_markram::{StpIntegration, TsodyksMarkram};

/// One Euler step of the Norse/ngc-learn equations in f64, written independently of the kernel.
fn euler_reference(u: &mut f64, x: &mut f64, big_u: f64, a_f: f64, a_d: f64, s: bool) -> f64 {
    let s = if s { 1.0 } else { 0.0 };
    let u_new = *u + a_f * (-*u) + big_u * (1.0 - *u) * s;
    let released = u_new * *x * s;
    *x += a_d * (1.0 - *x) - released;
    *u = u_new;
    released
}

#[test]
fn sparse_network_with_per_synapse_u() {
    let (n_pre, n_post, dt) = (20usize, 8usize, 0.5);
    let mut sim = Simulation::new(dt, 11).unwrap();
    sim.add_plugins(DefaultPlugins);
    sim.add_population(PopulationSpec {
        name: "input".into(),
        size: n_pre,
        model: Box::new(Poisson {
            rate_hz: 80.0,
            ..Poisson::default()
        }),
    })
    .unwrap();
    // A LIF without leak-driven spiking (threshold far away), so v integrates every input.
    sim.add_population(PopulationSpec {
        name: "out".into(),
        size: n_post,
        model: Box::new(Lif {
            tau_m_ms: 10.0,
            v_rest_mv: 0.0,
            v_reset_mv: -1.0,
            v_threshold_mv: 1e6,
            tau_theta_ms: 0.0,
            refractory_ms: 0.0,
            ..Lif::default()
        }),
    })
    .unwrap();
    // Build once to learn the number of synapses the random connectivity draws.
    let connectivity = ConnectivitySpec::FixedProbability {
        p: 0.4,
        autapses: true,
    };
    let probe = {
        let mut s = Simulation::new(dt, 11).unwrap();
        s.add_plugins(DefaultPlugins);
        for (name, size) in [("input", n_pre), ("out", n_post)] {
            s.add_population(PopulationSpec {
                name: name.into(),
                size,
                model: Box::new(Exact::default()),
            })
            .unwrap();
        }
        let e = s
            .add_projection(ProjectionSpec::new(
                "stp",
                "input",
                "out",
                connectivity.clone(),
                WeightInit::Uniform {
                    low: 0.5,
                    high: 1.5,
                },
                Delta::default(),
            ))
            .unwrap();
        s.world.get::<Connectivity>(e).unwrap().pairs()
    };
    let n_syn = probe.len();
    assert!(n_syn > n_pre && n_syn < n_pre * n_post, "{n_syn} synapses");
    let u_per_synapse: Vec<f64> = (0..n_syn)
        .map(|s| 0.05 + 0.9 * (s as f64 / n_syn as f64))
        .collect();
    let (tau_f, tau_d) = (30.0, 80.0);
    let mut spec = ProjectionSpec::new(
        "stp",
        "input",
        "out",
        connectivity,
        WeightInit::Uniform {
            low: 0.5,
            high: 1.5,
        },
        Delta {
            target: DeltaTarget::Current,
        },
    );
    spec.stp = Some(Box::new(TsodyksMarkram {
        u_base_per_synapse: Some(u_per_synapse.clone()),
        tau_f_ms: tau_f,
        tau_d_ms: tau_d,
        integration: StpIntegration::Euler,
        ..TsodyksMarkram::default()
    }));
    let e = sim.add_projection(spec).unwrap();
    // Same seed and names: the same synapses as the probe.
    let pairs = sim.world.get::<Connectivity>(e).unwrap().pairs();
    assert_eq!(pairs, probe);
    let w: Vec<f64> = sim
        .world
        .get::<Weights>(e)
        .unwrap()
        .w
        .iter()
        .map(|&w| f64::from(w))
        .collect();
    for (name, target, variables) in [
        ("stp", "stp", vec!["u", "x", "released"]),
        ("v", "out", vec!["v"]),
    ] {
        sim.add_recorder(&RecorderSpec::State {
            name: name.into(),
            target: target.into(),
            variables: variables.into_iter().map(String::from).collect(),
            indices: None,
            stride: 1,
        })
        .unwrap();
    }
    sim.add_recorder(&RecorderSpec::spikes("input")).unwrap();
    let n_steps = 400;
    sim.run_steps(n_steps);

    let rec = sim.recorders();
    let spikes = rec.spikes_of("input").unwrap();
    assert!(
        spikes.steps.len() > 200,
        "{} input spikes",
        spikes.steps.len()
    );
    let stp = rec.state("stp").unwrap();
    let v = rec.state("v").unwrap();
    assert_eq!(stp.columns.len(), 3 * n_syn);

    let (a_f, a_d) = (dt / tau_f, dt / tau_d);
    let mut u = vec![0.0; n_syn];
    let mut x = vec![1.0; n_syn];
    let mut v_ref = vec![0.0f64; n_post];
    let mut spike_at = 0;
    let mut max_err: f64 = 0.0;
    for k in 0..n_steps as usize {
        let mut spiking = vec![false; n_pre];
        while spike_at < spikes.steps.len() && spikes.steps[spike_at] == k as u64 {
            spiking[spikes.neurons[spike_at] as usize] = true;
            spike_at += 1;
        }
        let row = stp.row(k);
        let mut input = vec![0.0f64; n_post];
        for (s, &(i, j)) in pairs.iter().enumerate() {
            let r = euler_reference(
                &mut u[s],
                &mut x[s],
                u_per_synapse[s],
                a_f,
                a_d,
                spiking[i as usize],
            );
            input[j as usize] += w[s] * r / dt;
            for (value, want) in [
                (row[s], u[s]),
                (row[n_syn + s], x[s]),
                (row[2 * n_syn + s], r),
            ] {
                let err = (f64::from(value) - want).abs();
                max_err = max_err.max(err);
                assert!(
                    err <= 2e-5 * want.abs().max(1e-3),
                    "step {k} synapse {s}: {value} vs {want}"
                );
            }
        }
        // ngc-learn's LIF with R = 1, g_L = 1, Euler: v += dt/τ·(−v + I).
        for j in 0..n_post {
            v_ref[j] += dt / 10.0 * (-v_ref[j] + input[j]);
            let got = f64::from(v.row(k)[j]);
            assert!(
                (got - v_ref[j]).abs() <= 1e-4 * v_ref[j].abs().max(1.0),
                "step {k} v[{j}]: {got} vs {}",
                v_ref[j]
            );
        }
    }
    assert!(max_err < 1e-5, "{max_err}");
    // Per-synapse U matters: synapses of the same presynaptic neuron end in different states.
    let last = stp.row(n_steps as usize - 1);
    let first_pre = pairs[0].0;
    let same_pre: Vec<usize> = (0..n_syn).filter(|&s| pairs[s].0 == first_pre).collect();
    if same_pre.len() >= 2 {
        let (a, b) = (same_pre[0], *same_pre.last().unwrap());
        assert_ne!(last[n_syn + a], last[n_syn + b]);
    }
}

/// pre (spike source) → post (Exact, imposed spikes), one synapse with STDP and optionally
/// STP; returns the weight after every step and, with STP, the released fraction of every step.
fn stdp_run(with_stp: bool) -> (Vec<f32>, Option<Vec<f32>>) {
    let mut sim = Simulation::new(1.0, 0).unwrap();
    sim.add_plugins(DefaultPlugins);
    sim.add_population(PopulationSpec {
        name: "pre".into(),
        size: 1,
        model: Box::new(SpikeSource {
            times_ms: vec![vec![10.0, 20.0, 30.0, 40.0, 70.0]],
        }),
    })
    .unwrap();
    sim.add_population(PopulationSpec {
        name: "post".into(),
        size: 1,
        model: Box::new(Exact {
            steps: vec![vec![15, 25, 28, 60]],
            ..Exact::default()
        }),
    })
    .unwrap();
    let mut spec = ProjectionSpec::new(
        "syn",
        "pre",
        "post",
        ConnectivitySpec::OneToOne,
        WeightInit::Constant(0.5),
        Delta::default(),
    );
    spec.plasticity = Some(Box::new(Stdp {
        lr_post: 0.05,
        lr_pre: -0.04,
        tau_post_ms: 20.0,
        tau_pre_ms: 20.0,
        ..Stdp::default()
    }));
    if with_stp {
        spec.stp = Some(Box::new(TsodyksMarkram {
            u_base: 0.5,
            tau_f_ms: 20.0,
            tau_d_ms: 200.0,
            ..TsodyksMarkram::default()
        }));
    }
    sim.add_projection(spec).unwrap();
    sim.add_recorder(&RecorderSpec::Weights {
        name: "w".into(),
        projection: "syn".into(),
        synapses: None,
        stride: 1,
    })
    .unwrap();
    if with_stp {
        sim.add_recorder(&RecorderSpec::State {
            name: "stp".into(),
            target: "syn".into(),
            variables: vec!["released".into(), "Wdyn".into()],
            indices: None,
            stride: 1,
        })
        .unwrap();
    }
    sim.run_steps(100);
    let rec = sim.recorders();
    (
        rec.state("w").unwrap().column("w[0,0]").unwrap(),
        rec.state("stp").map(|s| s.column("released[0]").unwrap()),
    )
}

#[test]
fn stp_and_stdp_share_a_projection() {
    let (w_plain, _) = stdp_run(false);
    let (w_stp, released) = stdp_run(true);
    // STDP did change the weight, and STP did not change what STDP does to it.
    assert_ne!(w_plain[0], w_plain[99]);
    assert_eq!(w_plain, w_stp);
    // STP released less than everything at later spikes (depression at 10 ms intervals).
    let released = released.unwrap();
    assert_eq!(released[10], 0.5);
    assert!(
        released[20] < 0.5 && released[30] < released[20],
        "{released:?}"
    );
}

/// Poisson (50) → STP (Exact, one U) → LIF (10), all to all.
fn resumable_network() -> Simulation {
    let mut sim = Simulation::new(0.5, 5).unwrap();
    sim.add_plugins(DefaultPlugins);
    sim.add_population(PopulationSpec {
        name: "input".into(),
        size: 50,
        model: Box::new(Poisson {
            rate_hz: 40.0,
            ..Poisson::default()
        }),
    })
    .unwrap();
    sim.add_population(PopulationSpec {
        name: "out".into(),
        size: 10,
        model: Box::new(Lif {
            resistance: 80.0,
            refractory_ms: 2.0,
            tau_theta_ms: 0.0,
            ..Lif::default()
        }),
    })
    .unwrap();
    let mut spec = ProjectionSpec::new(
        "stp",
        "input",
        "out",
        ConnectivitySpec::AllToAll,
        WeightInit::Uniform {
            low: 0.0,
            high: 1.0,
        },
        Delta::default(),
    );
    spec.stp = Some(Box::new(TsodyksMarkram {
        u_base: 0.3,
        tau_f_ms: 100.0,
        tau_d_ms: 300.0,
        ..TsodyksMarkram::default()
    }));
    sim.add_projection(spec).unwrap();
    sim.add_recorder(&RecorderSpec::spikes("out")).unwrap();
    sim.add_recorder(&RecorderSpec::State {
        name: "stp".into(),
        target: "stp".into(),
        variables: vec!["u".into(), "x".into(), "released".into()],
        indices: Some(vec![0, 7, 49]),
        stride: 3,
    })
    .unwrap();
    sim
}

#[test]
fn a_snapshot_resumes_bit_for_bit() {
    let mut straight = resumable_network();
    straight.run_steps(1000);

    let mut first = resumable_network();
    first.run_steps(400);
    let bytes = first.save_state().unwrap().to_bytes().unwrap();
    let mut resumed = resumable_network();
    resumed
        .restore_state(&hebb::core::snapshot::StateSnapshot::from_bytes(&bytes).unwrap())
        .unwrap();
    resumed.run_steps(600);

    let (a, b) = (straight.recorders(), resumed.recorders());
    let spikes = a.spikes_of("out").unwrap();
    assert!(
        spikes.steps.len() > 20,
        "the output fires: {}",
        spikes.steps.len()
    );
    assert_eq!(spikes.steps, b.spikes_of("out").unwrap().steps);
    assert_eq!(spikes.neurons, b.spikes_of("out").unwrap().neurons);
    let (sa, sb) = (a.state("stp").unwrap(), b.state("stp").unwrap());
    assert_eq!(sa.times_ms, sb.times_ms);
    assert_eq!(sa.values, sb.values);
    let e = straight.index().projection("stp").unwrap();
    type State = hebb::synapses::tsodyks_markram::TsodyksMarkramState;
    assert_eq!(
        straight.world.get::<State>(e),
        resumed.world.get::<State>(e)
    );
}
