//! Spike input into a neuron model's own synapses.
//!
//! Some neuron models integrate their synaptic currents or conductances together with the
//! membrane, as one system (NEST's `iaf_psc_exp`, `iaf_psc_alpha`, `aeif_cond_exp`, hebb's
//! `IafPscExp`, `IafPscAlpha`, `AdEx`): a projection does not compute a current for them but
//! hands over the weights that arrive. Such a model attaches [`ReceptorInput`] to its
//! population; the `Receptor` synapse output (in `hebb_synapses`) adds every arriving weight
//! into it in [`crate::stage::Stage::CurrentIntegration`], and the model consumes (reads and zeroes) it
//! in [`crate::stage::Stage::NeuronStep`].

use bevy_ecs::component::Component;

use crate::Real;

/// This step's arriving weights per neuron, split by sign as NEST does: a positive weight goes to
/// the excitatory channel, a negative one to the inhibitory channel (kept negative, as summed).
#[derive(Component, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReceptorInput {
    /// Sum of the positive weights arriving this step, per neuron.
    pub excitatory: Vec<Real>,
    /// Sum of the negative weights arriving this step, per neuron (≤ 0).
    pub inhibitory: Vec<Real>,
}

impl ReceptorInput {
    /// Zeroed channels for `size` neurons.
    pub fn new(size: usize) -> Self {
        Self {
            excitatory: vec![0.0; size],
            inhibitory: vec![0.0; size],
        }
    }

    /// Add one transmitted weight `x` into neuron `j`'s channel of its sign.
    #[inline]
    pub fn add(&mut self, j: usize, x: Real) {
        if x > 0.0 {
            self.excitatory[j] += x;
        } else {
            self.inhibitory[j] += x;
        }
    }
}
