//! # hebb_neurons — neuron and input models
//!
//! (skeleton: filled in by the neurons work)

use hebb_core::prelude::*;

/// Registers every neuron, input and stimulus model of this crate.
pub struct NeuronsPlugin;

impl Plugin for NeuronsPlugin {
    fn build(&self, _sim: &mut Simulation) {}
}

/// The crate's public types.
pub mod prelude {
    pub use crate::NeuronsPlugin;
}
