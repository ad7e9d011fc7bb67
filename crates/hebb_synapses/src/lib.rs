//! # hebb_synapses — synapse outputs and short-term plasticity
//!
//! (skeleton: filled in by the synapses and STP work)

use hebb_core::prelude::*;

pub mod tsodyks_markram;

/// Registers every synapse output and short-term plasticity model of this crate.
pub struct SynapsesPlugin;

impl Plugin for SynapsesPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.add_plugins(tsodyks_markram::TsodyksMarkramPlugin);
    }
}

/// The crate's public types.
pub mod prelude {
    pub use crate::SynapsesPlugin;
}
