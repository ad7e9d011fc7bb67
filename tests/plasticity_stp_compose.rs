//! STDP and Tsodyks–Markram STP on the same projection compose: STP scales what each arriving
//! spike transmits, STDP changes the stored weights, and neither disturbs the other. The same
//! network runs with and without STP: the stored weights are bit-identical, and every step's
//! transmitted charge equals `Σ w(previous step) · released` (STP) or `Σ w(previous step)`.

use hebb::prelude::*;
use hebb::synapses::tsodyks_markram::TsodyksMarkram;

const STEPS: usize = 120;

struct Run {
    /// Weights after each step, synapse order.
    weights: Vec<Vec<Real>>,
    /// `released` per presynaptic neuron after each step (STP runs only).
    released: Vec<Vec<Real>>,
    /// The charge delivered to each postsynaptic neuron in each step.
    current: Vec<Vec<Real>>,
    /// Initial weights.
    w0: Vec<Real>,
}

fn run(with_stp: bool) -> Run {
    let mut sim = Simulation::new(1.0, 11).unwrap();
    sim.add_plugins(DefaultPlugins);
    let pre_times: Vec<Vec<f64>> = vec![
        (0..10).map(|k| 5.0 + 11.0 * k as f64).collect(),
        (0..6).map(|k| 8.0 + 17.0 * k as f64).collect(),
        vec![20.0, 21.0, 22.0, 60.0, 90.0],
    ];
    sim.add_population(PopulationSpec {
        name: "pre".into(),
        size: 3,
        model: Box::new(SpikeSource {
            times_ms: pre_times,
        }),
    })
    .unwrap();
    sim.add_population(PopulationSpec {
        name: "post".into(),
        size: 2,
        model: Box::new(Exact {
            steps: vec![vec![10, 30, 31, 62, 95], vec![12, 24, 50, 80]],
            times_ms: vec![],
        }),
    })
    .unwrap();
    let mut spec = ProjectionSpec::new(
        "p",
        "pre",
        "post",
        ConnectivitySpec::AllToAll,
        WeightInit::Uniform {
            low: 0.2,
            high: 0.8,
        },
        Delta::default(),
    );
    spec.plasticity = Some(Box::new(Stdp {
        lr_post: 0.05,
        lr_pre: -0.06,
        tau_post_ms: 15.0,
        tau_pre_ms: 20.0,
        bounds: Bounds::Hard {
            w_min: Some(0.0),
            w_max: Some(1.0),
        },
        ..Stdp::default()
    }));
    if with_stp {
        spec.stp = Some(Box::new(TsodyksMarkram {
            u_base: 0.2,
            tau_f_ms: 200.0,
            tau_d_ms: 100.0,
            ..TsodyksMarkram::default()
        }));
    }
    let projection = sim.add_projection(spec).unwrap();
    let post = sim.index().population("post").unwrap();
    let w0 = sim.world.get::<Weights>(projection).unwrap().w.clone();
    let mut out = Run {
        weights: Vec::new(),
        released: Vec::new(),
        current: Vec::new(),
        w0,
    };
    for _ in 0..STEPS {
        sim.step();
        out.weights
            .push(sim.world.get::<Weights>(projection).unwrap().w.clone());
        out.current.push(
            sim.world
                .get::<SynapticInput>(post)
                .unwrap()
                .current
                .clone(),
        );
        if with_stp {
            let state = sim
                .world
                .get::<hebb::synapses::tsodyks_markram::TsodyksMarkramState>(projection)
                .unwrap();
            out.released.push(state.released.clone());
        }
    }
    out
}

#[test]
fn stdp_and_stp_share_a_projection() {
    let plain = run(false);
    let stp = run(true);
    assert_eq!(plain.w0, stp.w0);
    // STDP learned, identically with and without STP.
    assert_ne!(plain.weights[STEPS - 1], plain.w0);
    for (k, (a, b)) in plain.weights.iter().zip(&stp.weights).enumerate() {
        let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "step {k}: {a:?} vs {b:?}");
    }
    // Transmission: the weights before this step's plasticity, scaled by STP's release.
    let mut scaled_somewhere = false;
    for k in 0..STEPS {
        let before = if k == 0 {
            &plain.w0
        } else {
            &plain.weights[k - 1]
        };
        for j in 0..2 {
            let mut expected_plain = 0.0;
            let mut expected_stp = 0.0;
            for i in 0..3 {
                let released = stp.released[k][i];
                if released > 0.0 {
                    expected_plain += before[i * 2 + j];
                    expected_stp += before[i * 2 + j] * released;
                    scaled_somewhere |= (released - 1.0).abs() > 0.05;
                }
            }
            assert!(
                (plain.current[k][j] - expected_plain).abs() < 1e-6,
                "step {k} post {j}: {} vs {expected_plain}",
                plain.current[k][j]
            );
            assert!(
                (stp.current[k][j] - expected_stp).abs() < 1e-6,
                "step {k} post {j}: {} vs {expected_stp}",
                stp.current[k][j]
            );
        }
    }
    assert!(scaled_somewhere, "STP changed the transmitted fraction");
}
