//! # hebb_plasticity — long-term plasticity rules and reward
//!
//! Rules are plugins whose systems sit in the `Plasticity` stage (one also in `SynapticStp`).
//! Spike traces live with the neurons' counts (one per presynaptic and one per postsynaptic
//! neuron of each plastic projection, [`pair::PairTraces`]), decayed exactly and event-driven
//! ([`trace`]). Rules write potentiation and depression into the projection's accumulator
//! ([`update::WeightUpdate`]); ONE function ([`update::apply_accumulated`]) applies it with the
//! projection's [`bounds::Bounds`], at the end of each built-in rule's system (the shared
//! system [`update::apply_weight_updates`] does it for third-party rules that leave it to it,
//! and joins the schedule only for them).
//!
//! | model | kind | file |
//! |---|---|---|
//! | `Stdp` | plasticity | [`stdp`] — pair STDP, Inferno's four sign modes |
//! | `Mstdp` | plasticity | [`mstdp`] — reward-modulated STDP (Florian 2007) |
//! | `Mstdpet` | plasticity | [`mstdpet`] — reward-modulated STDP with eligibility traces |
//! | `Song2000` | plasticity | [`song2000`] — additive STDP with clipping, BrainPy or Brian2 timing |
//! | `TripletStdp` | plasticity | [`triplet`] — triplet STDP (Pfister & Gerstner 2006), NEST's `stdp_triplet_synapse` |
//! | `VogelsSprekeler` | plasticity | [`vogels_sprekeler`] — inhibitory STDP (Vogels et al. 2011) |
//! | `StdpNest` | plasticity | [`stdp_nest`] — NEST's `stdp_synapse` and nearest-neighbour pairings, Gütig weight dependence |
//! | `RewardConstant`, `RewardSchedule` | reward | [`reward`] |
//!
//! ## Systems, in run order
//! - `SynapticStp`: `song2000_pre_transmission_step` (scheduled only for BrainPy timing:
//!   LTD/LTP before the transmission, applied with the bounds by the same
//!   [`update::WeightUpdate::apply_to`]).
//! - `Plasticity`: `stdp_step`, `mstdp_step`, `mstdpet_step`, `song2000_step`, the rule API's
//!   `rule_step::<R>`, each applying its own projections' changes, then `apply_weight_updates`
//!   (only when a third-party rule relies on it).
//! - `RewardBroadcast`: `broadcast_scheduled_reward` (the next step's reward).
//!
//! Rules fill the recorder views of their traces ([`trace::SpikeTrace::view`]) on the steps that
//! a recorder samples their projection; recording never changes the simulation.
//!
//! Each system costs a fixed overhead per step even when no projection uses its rule, so the
//! crate keeps their number small (six).
//!
//! `TripletStdp`, `VogelsSprekeler` and `StdpNest` are written with the rule API ([`rule`]):
//! parameters, traces and two hooks; each has its own generic system `rule_step::<R>` in
//! `Plasticity` (placed only when a scene uses the rule).
//!
//! A third-party rule uses the same API ([`rule::RulePlugin`]), or adds its own system to `Stage::Plasticity` and writes into a
//! [`update::WeightUpdate`] with a [`update::WeightBounding`]; its plugin must be added before
//! [`WeightUpdatePlugin`] (so before [`PlasticityPlugin`], which ends with it) for its changes to
//! be applied in the same step.
//!
//! See `docs/plasticity/` for one page per rule.

pub mod bounds;
pub mod mstdp;
pub mod mstdpet;
mod owned;
pub mod pair;
pub mod reward;
pub mod rule;
pub mod sign;
pub mod song2000;
pub mod stdp;
pub mod stdp_forms;
pub mod stdp_nest;
pub mod trace;
pub mod triplet;
pub mod update;
pub mod vogels_sprekeler;

#[cfg(test)]
mod world_tests;

use hebb_core::prelude::*;

use crate::mstdpet::Eligibility;
use crate::pair::PairTraces;
use crate::update::WeightUpdate;

/// The one weight-update system, at the end of the `Plasticity` stage. Add it after every rule
/// plugin.
pub struct WeightUpdatePlugin;

impl Plugin for WeightUpdatePlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_variables::<PairTraces>()
            .register_variables::<Eligibility>()
            .register_snapshot::<WeightUpdate>();
        sim.add_systems_for_kinds(
            &[ModelKind::Plasticity],
            Stage::Plasticity,
            update::apply_weight_updates,
        );
        sim.add_projection_check("weight sign", sign::check_weight_sign);
    }
}

/// Registers every plasticity rule and reward source of this crate, then the weight update.
pub struct PlasticityPlugin;

impl Plugin for PlasticityPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.add_plugins((
            reward::RewardPlugin,
            stdp::StdpPlugin,
            mstdp::MstdpPlugin,
            mstdpet::MstdpetPlugin,
            song2000::Song2000Plugin,
            rule::RulePlugin::<triplet::TripletStdp>::new(),
            rule::RulePlugin::<vogels_sprekeler::VogelsSprekeler>::new(),
            rule::RulePlugin::<stdp_nest::StdpNest>::new(),
            WeightUpdatePlugin,
        ));
    }
}

/// The crate's public types.
pub mod prelude {
    pub use crate::bounds::Bounds;
    pub use crate::mstdp::Mstdp;
    pub use crate::mstdpet::Mstdpet;
    pub use crate::pair::PairTraces;
    pub use crate::reward::{
        Reward, RewardChange, RewardConstant, RewardExt, RewardSchedule, RewardTiming,
    };
    pub use crate::song2000::{Song2000, Song2000Timing};
    pub use crate::stdp::Stdp;
    pub use crate::stdp_nest::{Pairing, StdpNest};
    pub use crate::trace::TraceMode;
    pub use crate::triplet::TripletStdp;
    pub use crate::update::{WeightBounding, WeightUpdate};
    pub use crate::vogels_sprekeler::VogelsSprekeler;
    pub use crate::{PlasticityPlugin, WeightUpdatePlugin};
}
