//! Populations: one entity per group of neurons, its state in contiguous arrays.
//!
//! Every population has a [`Population`], [`Spikes`] and [`SynapticInput`]; random numbers come
//! from counter-based streams ([`crate::rng`]), never from state stored per population.
//! Models with a membrane potential add [`Membrane`]; their own state is one more component.

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;

use crate::Real;

/// Identity and size of a population.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Population {
    /// Unique name within the network (scene).
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// The registered model name.
    pub model: String,
    /// Whether the model is an input (spikes emitted in [`crate::stage::Stage::InputSpikes`], delivered
    /// in the same step) rather than a neuron (spikes emitted in [`crate::stage::Stage::NeuronStep`],
    /// delivered from the next step on).
    pub is_input: bool,
}

/// This step's spikes: a flag per neuron plus the list of spiking indices (ascending).
///
/// `clear` costs O(spikes), not O(size), so sparse inputs stay cheap.
#[derive(Component, Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spikes {
    flags: Vec<bool>,
    indices: Vec<u32>,
}

impl Spikes {
    /// No spikes, `size` neurons.
    pub fn new(size: usize) -> Self {
        Self {
            flags: vec![false; size],
            indices: Vec::new(),
        }
    }

    /// Forget the spikes of the previous step.
    #[inline]
    pub fn clear(&mut self) {
        for &i in &self.indices {
            self.flags[i as usize] = false;
        }
        self.indices.clear();
    }

    /// Mark neuron `i` as spiking (idempotent). Push in ascending order to keep `indices` sorted.
    #[inline]
    pub fn push(&mut self, i: usize) {
        if !self.flags[i] {
            self.flags[i] = true;
            self.indices.push(i as u32);
        }
    }

    /// Indices of the neurons that spiked this step.
    #[inline]
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// One flag per neuron.
    #[inline]
    pub fn flags(&self) -> &[bool] {
        &self.flags
    }

    /// Did neuron `i` spike?
    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.flags[i]
    }

    /// Number of neurons.
    pub fn size(&self) -> usize {
        self.flags.len()
    }

    /// Number of spikes this step.
    pub fn count(&self) -> usize {
        self.indices.len()
    }

    /// Keep only the spikes of neurons in `owned` (a rank of a distributed run keeps its own
    /// neurons' spikes; the others arrive through the spike exchange). Costs O(spikes).
    pub fn retain_range(&mut self, owned: std::ops::Range<usize>) {
        let flags = &mut self.flags;
        self.indices.retain(|&i| {
            let keep = owned.contains(&(i as usize));
            if !keep {
                flags[i as usize] = false;
            }
            keep
        });
    }

    /// Append the neurons `more`, which must be ascending, distinct and above every neuron
    /// already in (e.g. the partitions' spike lists, joined in partition order).
    #[inline]
    pub fn extend_ascending(&mut self, more: &[u32]) {
        debug_assert!(
            more.windows(2).all(|w| w[0] < w[1])
                && more
                    .first()
                    .is_none_or(|&i| self.indices.last().is_none_or(|&l| l < i)),
            "extend_ascending: {more:?} after {:?}",
            self.indices.last()
        );
        for &i in more {
            self.flags[i as usize] = true;
        }
        self.indices.extend_from_slice(more);
    }
}

/// Input accumulators of a population, filled by stimuli and synapses during a step and
/// consumed (read, then zeroed) by the neuron model in [`crate::stage::Stage::NeuronStep`].
#[derive(Component, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SynapticInput {
    /// Input current (model units, e.g. pA or ngc-learn's dimensionless `j`), held for this step.
    pub current: Vec<Real>,
    /// Instantaneous jumps of the membrane potential in mV (delta synapses onto the voltage).
    pub voltage_jump: Vec<Real>,
}

impl SynapticInput {
    /// Zeroed accumulators for `size` neurons.
    pub fn new(size: usize) -> Self {
        Self {
            current: vec![0.0; size],
            voltage_jump: vec![0.0; size],
        }
    }
}

/// Membrane potential in mV, for models that have one. Conductance synapses read it
/// (I = g·(E − V)) and recorders can record it as `v`.
#[derive(Component, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Membrane {
    /// Membrane potential per neuron, mV.
    pub v: Vec<Real>,
}

/// Spikes imposed from outside for the next step, read by models that accept them (`Exact`).
#[derive(Component, Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImposedSpikes {
    /// Neuron indices that must spike at the next step.
    pub next: Vec<u32>,
}

/// Total spikes emitted so far by a population (kept by the core, read by summaries).
#[derive(
    Component, Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub struct SpikeCount(pub u64);

/// On a stimulus entity: the population it drives. A stimulus's per-neuron state (e.g. an
/// Ornstein–Uhlenbeck current per neuron) is indexed like that population's neurons, so a run
/// over several ranks knows which rank owns each entry.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct StimulusOf(pub Entity);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spikes_clear_only_what_was_set() {
        let mut s = Spikes::new(5);
        s.push(1);
        s.push(3);
        s.push(3);
        assert_eq!(s.indices(), &[1, 3]);
        assert!(s.contains(3));
        s.clear();
        assert_eq!(s.count(), 0);
        assert!(s.flags().iter().all(|f| !f));
    }

    #[test]
    fn retain_range_drops_the_others_flags_too() {
        let mut s = Spikes::new(6);
        for i in [0, 2, 3, 5] {
            s.push(i);
        }
        s.retain_range(2..4);
        assert_eq!(s.indices(), &[2, 3]);
        assert_eq!(s.flags(), &[false, false, true, true, false, false]);
    }
}

/// The input current each neuron integrated in the last step (`i_syn`, recordable for every
/// neuron model): the sum the synapse outputs and current stimuli put into
/// [`SynapticInput::current`] that step, captured just before the neuron models consume it.
/// Every neuron population has this component, empty; a state recorder that asks for `i_syn`
/// sizes it and the core starts capturing it ([`Simulation::add_recorder`]), so populations
/// whose `i_syn` nobody records pay nothing per step.
///
/// Models that integrate their own receptor synapses (`IafPscExp`, `IafPscAlpha`, `AdEx`) take
/// those spikes through [`crate::receptor::ReceptorInput`], not through this current: their
/// synaptic currents (or conductances) are the model's own variables (`i_syn_ex`, `i_syn_in`,
/// `syn_ex`, `syn_in`), and `i_syn` holds what else reaches them (other synapse outputs,
/// stimuli).
///
/// [`Simulation::add_recorder`]: crate::simulation::Simulation::add_recorder
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct InputCurrent {
    /// One value per neuron once recorded, else empty.
    pub i_syn: Vec<Real>,
}

impl crate::record::StateVariables for InputCurrent {
    const VARIABLES: &'static [&'static str] = &["i_syn"];

    fn variable(&self, name: &str) -> Option<&[Real]> {
        (name == "i_syn").then_some(self.i_syn.as_slice())
    }
}

/// Core system between [`crate::stage::Stage::CurrentIntegration`] and
/// [`crate::stage::Stage::NeuronStep`], scheduled once some `i_syn` is recorded: copy this
/// step's input current of the recorded populations.
pub(crate) fn capture_input_current(
    mut populations: bevy_ecs::system::Query<(&SynapticInput, &mut InputCurrent)>,
) {
    for (input, mut captured) in &mut populations {
        let n = captured.i_syn.len();
        if n > 0 {
            captured.i_syn.copy_from_slice(&input.current[..n]);
        }
    }
}
