//! # hebb_synapses — synapse outputs and short-term plasticity
//!
//! A projection's synapse output turns the spikes that arrive this step (after the delay, see
//! [`hebb_core::projection`]) into input of the postsynaptic population, in
//! [`Stage::CurrentIntegration`]:
//!
//! | model | effect on the postsynaptic population | state |
//! |---|---|---|
//! | [`Delta`] | `I += w·scale/dt` for one step, or `V += w·scale` | none |
//! | [`Exponential`] | `g` decays with τ, jumps by `w·scale`; `I += g` | `g` per post neuron |
//! | [`Conductance`] | as `Exponential`, `I += g·(E − V)` (or a fixed driving force) | `g` per post neuron |
//! | [`Alpha`] | alpha function `w·(t/τ)e^(1−t/τ)`, peak w at τ; a current or `g·(E − V)` | `g`, `x` per post neuron |
//! | [`BiExponential`] | difference of exponentials (rise, decay), peak w; a current or `g·(E − V)` | two traces per post neuron |
//! | [`Receptor`] | the weight goes to the neuron model's own synapses (by sign) | none |
//!
//! [`PoissonInput`] (a stimulus) adds Binomial counts of `N` virtual Poisson sources per neuron
//! and step to the membrane, the input current, or an `Exponential`/`Conductance` projection's
//! synapses (Brian2's `PoissonInput`).
//!
//! `scale` is the release fraction of short-term plasticity ([`TransmissionScale`], set by
//! [`tsodyks_markram`] in [`Stage::SynapticStp`]); without STP it is 1. Delivery is
//! event-driven: work is proportional to the synapses of the neurons whose spikes arrive, plus
//! one vectorized pass over the postsynaptic neurons for the stateful outputs.

use hebb_core::prelude::*;

pub mod alpha;
pub mod biexponential;
pub mod conductance;
pub mod deliver;
pub mod delta;
pub mod exponential;
pub mod poisson_input;
pub mod receptor;
pub mod region;
pub mod tsodyks_markram;

pub use alpha::{Alpha, AlphaPlugin};
pub use biexponential::{BiExponential, BiExponentialPlugin};
pub use conductance::{Conductance, ConductancePlugin};
pub use delta::{Delta, DeltaPlugin, DeltaTarget};
pub use exponential::{Decay, Exponential, ExponentialPlugin, InputTiming, SynapseState};
pub use poisson_input::{PoissonInput, PoissonInputPlugin, PoissonInputTarget};
pub use receptor::{Receptor, ReceptorPlugin};
pub use tsodyks_markram::{StpIntegration, TsodyksMarkram, TsodyksMarkramPlugin};

/// The build error of an output that needs the postsynaptic membrane potential on a population
/// that has none.
pub(crate) fn no_membrane_error(
    world: &World,
    projection: &str,
    what: &str,
    post: Entity,
) -> BuildError {
    let (name, model) = world
        .get::<Population>(post)
        .map_or(("?", "?"), |p| (p.name.as_str(), p.model.as_str()));
    BuildError::Invalid(format!(
        "projection `{projection}`: {what} needs the membrane potential of its postsynaptic \
         population, but `{name}` (model `{model}`) has no membrane; use a neuron model such as \
         Lif or LifRef{}",
        if what == "Conductance" {
            ", or set fixed_driving_force_mv"
        } else {
            ""
        }
    ))
}

/// Registers every synapse output and short-term plasticity model of this crate.
pub struct SynapsesPlugin;

impl Plugin for SynapsesPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.add_plugins((
            tsodyks_markram::TsodyksMarkramPlugin,
            DeltaPlugin,
            ExponentialPlugin,
            ConductancePlugin,
            ReceptorPlugin,
            AlphaPlugin,
            BiExponentialPlugin,
            PoissonInputPlugin,
        ));
    }
}

/// The crate's public types.
pub mod prelude {
    pub use crate::SynapsesPlugin;
    pub use crate::alpha::Alpha;
    pub use crate::biexponential::BiExponential;
    pub use crate::conductance::Conductance;
    pub use crate::delta::{Delta, DeltaTarget};
    pub use crate::exponential::{Decay, Exponential, InputTiming};
    pub use crate::poisson_input::{PoissonInput, PoissonInputTarget};
    pub use crate::receptor::Receptor;
    pub use crate::tsodyks_markram::{StpIntegration, TsodyksMarkram};
}
