//! The 4000-neuron networks of the step benchmark (`benches/step.rs`), shared with
//! `examples/step_instructions.rs` (instruction counts under callgrind).
//!
//! Every network is built in code with `hebb::prelude` and run for 200 ms before it is
//! returned, so the activity has settled.

use hebb::prelude::*;

/// The synapse model of one Brette 2007 projection: excitatory (`true`) or inhibitory.
type SynapseOf = fn(bool) -> Box<dyn ModelParams>;

/// Brette et al. (2007)'s 4000-neuron network: 3200 excitatory and 800 inhibitory `LifRef`
/// neurons (v uniform in [−60, −50) mV, threshold −50, reset −60, refractory 5 ms), 2% random
/// connectivity; `synapse` and `weight` give each projection's output model and weight.
fn brette2007(neuron: &LifRef, synapse: SynapseOf, weight: fn(bool) -> f64) -> Simulation {
    network_4000(&|| Box::new(neuron.clone()), synapse, weight)
}

/// The 3200 + 800 network of `brette2007` with any neuron model.
fn network_4000(
    neuron: &dyn Fn() -> Box<dyn ModelParams>,
    synapse: SynapseOf,
    weight: fn(bool) -> f64,
) -> Simulation {
    let mut sim = Simulation::new(0.1, 2007).expect("valid dt");
    sim.add_plugins(DefaultPlugins);
    for (name, size) in [("exc", 3200), ("inh", 800)] {
        sim.add_population(PopulationSpec {
            name: name.into(),
            size,
            model: neuron(),
        })
        .expect("valid population");
    }
    for (pre, post) in [
        ("exc", "exc"),
        ("exc", "inh"),
        ("inh", "exc"),
        ("inh", "inh"),
    ] {
        let excitatory = pre == "exc";
        let spec = ProjectionSpec {
            name: format!("{pre}_{post}"),
            pre: pre.into(),
            post: post.into(),
            connectivity: ConnectivitySpec::FixedProbability {
                p: 0.02,
                autapses: true,
            },
            weights: WeightInit::Constant(weight(excitatory)),
            synapse: synapse(excitatory),
            delay_ms: 0.0,
            synapse_delays: None,
            stp: None,
            plasticity: None,
            storage: Storage::Auto,
        };
        sim.add_projection(spec).expect("valid projection");
    }
    sim.initialize().expect("schedule builds");
    sim.run_for(200.0).expect("on the grid");
    sim
}

pub fn coba_4000() -> Simulation {
    let neuron = LifRef {
        tau_ms: 20.0,
        v_rest_mv: -60.0,
        v_reset_mv: -60.0,
        v_threshold_mv: -50.0,
        tau_ref_ms: 5.0,
        v_init_uniform_mv: Some((-60.0, -50.0)),
        bias_current: 20.0,
        ..LifRef::default()
    };
    brette2007(
        &neuron,
        |excitatory| {
            Box::new(Conductance {
                tau_ms: if excitatory { 5.0 } else { 10.0 },
                e_rev_mv: if excitatory { 0.0 } else { -80.0 },
                ..Conductance::default()
            })
        },
        |excitatory| if excitatory { 0.6 } else { 6.7 },
    )
}

pub fn cuba_4000() -> Simulation {
    let neuron = LifRef {
        tau_ms: 20.0,
        v_rest_mv: -49.0,
        v_reset_mv: -60.0,
        v_threshold_mv: -50.0,
        tau_ref_ms: 5.0,
        v_init_uniform_mv: Some((-60.0, -50.0)),
        ..LifRef::default()
    };
    brette2007(
        &neuron,
        |excitatory| {
            Box::new(Exponential {
                tau_ms: if excitatory { 5.0 } else { 10.0 },
                ..Exponential::default()
            })
        },
        |excitatory| if excitatory { 1.62 } else { -9.0 },
    )
}

pub fn adex_4000(integration: AdExIntegration) -> Simulation {
    network_4000(
        &|| {
            Box::new(AdEx {
                i_e_pa: 700.0,
                integration,
                ..AdEx::default()
            })
        },
        |_| Box::new(Receptor {}),
        |excitatory| if excitatory { 1.0 } else { -4.0 },
    )
}

pub fn izhikevich_4000() -> Simulation {
    network_4000(
        &|| {
            Box::new(Izhikevich {
                i_e: 5.0,
                ..Izhikevich::default()
            })
        },
        |_| {
            Box::new(Delta {
                target: DeltaTarget::Voltage,
            })
        },
        |excitatory| if excitatory { 0.5 } else { -2.0 },
    )
}
