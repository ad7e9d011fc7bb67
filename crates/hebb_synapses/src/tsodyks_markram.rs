//! Tsodyks–Markram short-term plasticity (skeleton: filled in by the STP work).

use hebb_core::prelude::*;

/// Registers the Tsodyks–Markram model.
pub struct TsodyksMarkramPlugin;

impl Plugin for TsodyksMarkramPlugin {
    fn build(&self, _sim: &mut Simulation) {}
}
