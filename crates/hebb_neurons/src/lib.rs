//! # hebb_neurons — neuron, input and stimulus models
//!
//! | model | kind | what it is |
//! |---|---|---|
//! | [`Lif`] | neuron | ngc-learn's `LIFCell`: Euler/RK2, strict threshold, adaptive threshold, input gating |
//! | [`LifRef`] | neuron | BrainPy's `LifRef`: exact integration, `>=` threshold, refractory hold |
//! | [`Poisson`] | input | per-step Bernoulli spikes `p = rate·dt`, skip-sampled (O(spikes)) |
//! | [`SpikeSource`] | input | explicit spike times per neuron |
//! | [`Exact`] | input | spikes from a schedule and/or `Simulation::impose_spikes` |
//! | [`StepCurrent`] | stimulus | piecewise-constant current (BrainPy `section_input`) |
//! | [`WhiteNoise`] | stimulus | Gaussian white-noise current per neuron (NEST `noise_generator`, Brian2 `xi`) |
//! | [`OrnsteinUhlenbeck`] | stimulus | Ornstein–Uhlenbeck current per neuron (exact update) |
//! | [`IafPscExp`] | neuron | NEST `iaf_psc_exp`: current-based LIF, exponential PSCs, exact integration |
//! | [`IafPscAlpha`] | neuron | NEST `iaf_psc_alpha`: current-based LIF, alpha PSCs, exact integration |
//! | [`Izhikevich`] | neuron | NEST `izhikevich`: Izhikevich (2003), both integration schemes |
//! | [`AdEx`] | neuron | NEST `aeif_cond_exp` / `aeif_psc_exp`: adaptive exponential IF, GSL RKF45 (or Euler, RK4) |
//!
//! Neuron models run in [`Stage::NeuronStep`]: they read and zero the population's
//! [`SynapticInput`] (`current` and `voltage_jump`), update their [`Membrane`] and state with a
//! pure, vectorizable kernel over slices, and write this step's [`Spikes`]. Input models write
//! [`Spikes`] in [`Stage::InputSpikes`], so their spikes act on projections in the same step.

use hebb_core::prelude::*;

pub mod adex;
pub mod exact;
pub mod exp_f64;
pub mod iaf_psc_alpha;
pub mod iaf_psc_exp;
pub mod izhikevich;
pub mod lif;
pub mod lif_ref;
pub mod noise;
pub mod poisson;
pub mod propagator;
pub mod rate_schedule;
pub mod schedule;
pub mod spike_source;
pub mod spiking;
pub mod step_current;

pub use adex::{AdEx, AdExIntegration, AdExPlugin, AdExState, AdExSynapses};
pub use exact::{Exact, ExactPlugin};
pub use iaf_psc_alpha::{IafPscAlpha, IafPscAlphaPlugin, IafPscAlphaState};
pub use iaf_psc_exp::{IafPscExp, IafPscExpPlugin, IafPscExpState};
pub use izhikevich::{Izhikevich, IzhikevichIntegration, IzhikevichPlugin, IzhikevichState};
pub use lif::{Lif, LifIntegration, LifPlugin, LifState};
pub use lif_ref::{LifRef, LifRefPlugin, LifRefState};
pub use noise::{NoisePlugin, OrnsteinUhlenbeck, WhiteNoise};
pub use poisson::{Poisson, PoissonPlugin, PoissonState};
pub use rate_schedule::TimedRates;
pub use spike_source::{SpikeSource, SpikeSourcePlugin};
pub use step_current::{StepCurrent, StepCurrentPlugin};

/// Registers every neuron, input and stimulus model of this crate.
pub struct NeuronsPlugin;

impl Plugin for NeuronsPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.add_plugins((
            PoissonPlugin,
            SpikeSourcePlugin,
            ExactPlugin,
            StepCurrentPlugin,
            NoisePlugin,
            LifPlugin,
            LifRefPlugin,
            IafPscExpPlugin,
            IafPscAlphaPlugin,
            IzhikevichPlugin,
            AdExPlugin,
        ));
    }
}

/// The crate's public types.
pub mod prelude {
    pub use crate::NeuronsPlugin;
    pub use crate::adex::{AdEx, AdExIntegration, AdExSynapses};
    pub use crate::exact::Exact;
    pub use crate::iaf_psc_alpha::IafPscAlpha;
    pub use crate::iaf_psc_exp::IafPscExp;
    pub use crate::izhikevich::{Izhikevich, IzhikevichIntegration};
    pub use crate::lif::{Lif, LifIntegration};
    pub use crate::lif_ref::LifRef;
    pub use crate::noise::{OrnsteinUhlenbeck, WhiteNoise};
    pub use crate::poisson::Poisson;
    pub use crate::rate_schedule::TimedRates;
    pub use crate::spike_source::SpikeSource;
    pub use crate::step_current::StepCurrent;
}
