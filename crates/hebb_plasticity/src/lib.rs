//! # hebb_plasticity — long-term plasticity rules and reward
//!
//! (skeleton: filled in by the plasticity work)

use hebb_core::prelude::*;

/// Registers every plasticity rule and reward source of this crate.
pub struct PlasticityPlugin;

impl Plugin for PlasticityPlugin {
    fn build(&self, _sim: &mut Simulation) {}
}

/// The crate's public types.
pub mod prelude {
    pub use crate::PlasticityPlugin;
}
