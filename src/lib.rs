//! # hebb
//!
//! A fast, deterministic spiking neural network simulator with synaptic plasticity, built on
//! bevy_ecs. This facade re-exports hebb's crates and offers [`DefaultPlugins`], the group of
//! every built-in model.
//!
//! ```no_run
//! use hebb::prelude::*;
//! let mut sim = Simulation::new(0.1, 42).unwrap();
//! sim.add_plugins(DefaultPlugins);
//! ```

pub use hebb_core as core;
pub use hebb_neurons as neurons;
pub use hebb_plasticity as plasticity;
pub use hebb_scene as scene;
pub use hebb_synapses as synapses;

use hebb_core::prelude::*;

/// Every built-in model: neurons and inputs, synapse outputs and short-term plasticity,
/// long-term plasticity rules and reward sources.
pub struct DefaultPlugins;

impl Plugin for DefaultPlugins {
    fn build(&self, sim: &mut Simulation) {
        sim.add_plugins((
            hebb_neurons::NeuronsPlugin,
            hebb_synapses::SynapsesPlugin,
            hebb_plasticity::PlasticityPlugin,
        ));
    }
}

/// Writing a plugin: `use hebb::plugin::prelude::*;` brings everything a plasticity rule (or
/// another model) needs — the rule API, bounds, the accumulator, traces, bevy_ecs and the core
/// types. See `docs/writing-a-plugin.md`.
pub mod plugin {
    /// Everything a plugin needs.
    pub mod prelude {
        pub use crate::prelude::*;
        pub use hebb_core::record::RecordedEvery;
        pub use hebb_plasticity::WeightUpdatePlugin;
        pub use hebb_plasticity::bounds::{BoundKernel, Bounds, UpdateOrder};
        pub use hebb_plasticity::pair::recorded_at;
        pub use hebb_plasticity::rule::prelude::*;
        pub use hebb_plasticity::rule::valid;
        pub use hebb_plasticity::trace::{SpikeTrace, TraceMode};
        pub use hebb_plasticity::update::{WeightBounding, WeightUpdate, apply_weight_updates};
    }
}

/// Everything needed to build and run networks.
pub mod prelude {
    pub use crate::DefaultPlugins;
    pub use hebb_core::prelude::*;
    pub use hebb_neurons::prelude::*;
    pub use hebb_plasticity::prelude::*;
    pub use hebb_synapses::prelude::*;
}
