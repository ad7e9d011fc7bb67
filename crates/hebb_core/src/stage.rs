//! The one public stage enum. The core chains the stages once; plugins only place systems in them.

use bevy_ecs::schedule::SystemSet;

/// The ordered stages of one simulation step.
///
/// Every step runs the stages in this order. Within a stage, systems run in the order they were
/// added (hebb chains them), so a schedule is deterministic by construction.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Input populations (Poisson, spike sources, imposed spikes) emit this step's spikes and
    /// stimuli (step currents) write into the populations' input accumulators. At the end of the
    /// stage the core delivers spikes into every projection's delay line and collects the
    /// presynaptic spikes that arrive this step ([`crate::projection::Arrivals`]).
    InputSpikes,
    /// Short-term plasticity: projections update their release state (u, x) on the arrivals and
    /// set the [`crate::projection::TransmissionScale`] of this step.
    SynapticStp,
    /// Synapse outputs decay, take the arrivals (weight × release), and add their current into
    /// the postsynaptic [`crate::population::SynapticInput`].
    CurrentIntegration,
    /// Neuron models integrate their membrane with this step's input, consume (zero) the input
    /// accumulators and write this step's [`crate::population::Spikes`].
    NeuronStep,
    /// Plasticity: traces update with this step's spikes and arrivals, rules accumulate
    /// potentiation/depression, one system applies bounded weight changes.
    Plasticity,
    /// The reward (neuromodulator) for the next plasticity stage is set.
    RewardBroadcast,
    /// Recorders read state after the step.
    Record,
}

impl Stage {
    /// All stages in run order.
    pub const ALL: [Stage; 7] = [
        Stage::InputSpikes,
        Stage::SynapticStp,
        Stage::CurrentIntegration,
        Stage::NeuronStep,
        Stage::Plasticity,
        Stage::RewardBroadcast,
        Stage::Record,
    ];
}

/// Engine-internal steps between the public stages (spike delivery after `InputSpikes`).
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CoreSet {
    /// Push emitted spikes into delay lines and pop this step's arrivals.
    Deliver,
    /// Copy the input current of populations whose `i_syn` is recorded (scheduled only then;
    /// see [`crate::population::InputCurrent`]).
    CaptureInput,
    /// With several ranks: drop the spikes of neurons another rank owns (see
    /// [`crate::parallel::keep_owned_spikes`]).
    KeepOwned,
}
