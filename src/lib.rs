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

/// Everything needed to build and run networks.
pub mod prelude {
    pub use crate::DefaultPlugins;
    pub use hebb_core::prelude::*;
    pub use hebb_neurons::prelude::*;
    pub use hebb_plasticity::prelude::*;
    pub use hebb_synapses::prelude::*;
}
