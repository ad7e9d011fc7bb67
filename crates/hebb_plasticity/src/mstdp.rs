//! `Mstdp`: reward-modulated STDP (Florian 2007; Inferno's `MSTDP` trainer).
//!
//! The spike traces and the pairing terms are those of [`crate::stdp`]; the broadcast reward
//! `r` scales them, with a per-projection gain γ:
//!
//! ```text
//! Inferno timing:  Δw(s)   = γ·r(s)·[sgn(lr_post)·dpost(s) + sgn(lr_pre)·dpre(s)]
//! Florian timing:  Δw(s+1) = γ·r(s+1)·[sgn(lr_post)·dpost(s) + sgn(lr_pre)·dpre(s)]
//! ```
//!
//! Each term is routed to potentiation when its coefficient `sgn(lr)·γ·r` is ≥ 0 and to
//! depression otherwise (this matters only under soft bounds); `r = 0` changes nothing. Inferno
//! pairs the reward of step `s` with the spikes of step `s` (traces include them); Florian's
//! discrete rule `w(t+δt) = w(t) + γ r(t+δt) ξ(t)` pairs the signal of step `s` with the next
//! step's reward, so with `timing: Florian` the terms of step `s` wait one step and are applied
//! in step `s + 1` with `r(s + 1)`. Map to Florian's parameters: `lr_post = γ_F·A₊`,
//! `lr_pre = γ_F·A₋` (A₋ < 0), `reward_gain = 1`.
//!
//! | parameter | unit | default | meaning |
//! |---|---|---|---|
//! | `lr_post` | 1 | 0.2 | learning rate on postsynaptic spikes (sign routes `dpost`) |
//! | `lr_pre` | 1 | −0.2 | learning rate on presynaptic arrivals (sign routes `dpre`) |
//! | `tau_post_ms` | ms | 20 | postsynaptic trace time constant |
//! | `tau_pre_ms` | ms | 20 | presynaptic trace time constant |
//! | `trace_mode` | — | `Cumulative` | `Cumulative` or `Nearest` |
//! | `bounds` | — | `Unbounded` | see [`crate::bounds`] |
//! | `reward_gain` | 1 | 1 | γ, this projection's gain on the broadcast reward |
//! | `timing` | — | `Inferno` | `Inferno` (same-step reward) or `Florian` (next step's reward) |
//!
//! References: Florian, R. V. (2007) Neural Computation 19(6):1468–1502; Inferno
//! `inferno/learn/trainers/three_factor_stdp.py::MSTDP`; `docs/plasticity/mstdp.md`.

use bevy_ecs::prelude::*;
use hebb_core::Real;
use hebb_core::clock::Clock;
use hebb_core::connectivity::Connectivity;
use hebb_core::error::{BuildError, ParamError};
use hebb_core::parallel::Executor;
use hebb_core::params::check;
use hebb_core::population::Spikes;
use hebb_core::prelude::{Plugin, Simulation, Stage};
use hebb_core::projection::{Arrivals, Projection, Weights};
use hebb_core::record::RecordedEvery;
use hebb_core::registry::{AttachContext, Model, ModelKind, ParamDoc};
use serde::{Deserialize, Serialize};

use crate::bounds::Bounds;
use crate::pair::{PairTraces, pair_step, recorded_at};
use crate::reward::{Reward, RewardModulation, RewardTiming};
use crate::rule::PartitionLists;
use crate::stdp::{
    PAIR_PARAMS, PairSigns, StdpProjectionStep, attach_pair, stdp_partitioned, validate_pair,
};
use crate::trace::TraceMode;
use crate::update::{WeightBounding, WeightUpdate, apply_accumulated};

/// Reward-modulated STDP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mstdp {
    /// Learning rate on postsynaptic spikes (magnitude: presynaptic trace amplitude; sign:
    /// routing of `dpost`). Default 0.2.
    pub lr_post: f64,
    /// Learning rate on presynaptic arrivals (magnitude: postsynaptic trace amplitude; sign:
    /// routing of `dpre`). Default −0.2.
    pub lr_pre: f64,
    /// Postsynaptic trace time constant, ms. Default 20.
    pub tau_post_ms: f64,
    /// Presynaptic trace time constant, ms. Default 20.
    pub tau_pre_ms: f64,
    /// Cumulative or nearest traces. Default `Cumulative`.
    pub trace_mode: TraceMode,
    /// Weight bounds. Default `Unbounded`.
    pub bounds: Bounds,
    /// γ: gain on the broadcast reward. Default 1.
    pub reward_gain: f64,
    /// Reward pairing. Default `Inferno`.
    pub timing: RewardTiming,
}

impl Default for Mstdp {
    fn default() -> Self {
        Self {
            lr_post: 0.2,
            lr_pre: -0.2,
            tau_post_ms: 20.0,
            tau_pre_ms: 20.0,
            trace_mode: TraceMode::Cumulative,
            bounds: Bounds::Unbounded,
            reward_gain: 1.0,
            timing: RewardTiming::Inferno,
        }
    }
}

/// The parameter rows the reward-modulated rules add to [`PAIR_PARAMS`].
pub(crate) const REWARD_PARAMS: [ParamDoc; 2] = [
    ParamDoc {
        name: "reward_gain",
        unit: "1",
        doc: "gamma: this projection's gain on the broadcast reward",
    },
    ParamDoc {
        name: "timing",
        unit: "-",
        doc: "Inferno (reward of the same step) or Florian (reward of the next step; MSTDPET also multiplies by dt)",
    },
];

const MSTDP_PARAMS: [ParamDoc; 8] = [
    PAIR_PARAMS[0],
    PAIR_PARAMS[1],
    PAIR_PARAMS[2],
    PAIR_PARAMS[3],
    PAIR_PARAMS[4],
    PAIR_PARAMS[5],
    REWARD_PARAMS[0],
    REWARD_PARAMS[1],
];

/// State of a projection that learns with [`Mstdp`]: the terms waiting for the next step's
/// reward (Florian timing), as `(synapse, sgn(lr)·term)`.
#[derive(Component, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MstdpRule {
    /// Terms of the previous step (Florian timing only).
    pub pending: Vec<(u32, Real)>,
}

impl Model for Mstdp {
    const NAME: &'static str = "Mstdp";
    const KIND: ModelKind = ModelKind::Plasticity;
    const SUMMARY: &'static str = "reward-modulated STDP (Florian 2007, Inferno's MSTDP)";
    const PARAMS: &'static [ParamDoc] = &MSTDP_PARAMS;
    const USES_REWARD: bool = true;

    fn validate(&self) -> Result<(), ParamError> {
        validate_pair(
            self.lr_post,
            self.lr_pre,
            self.tau_post_ms,
            self.tau_pre_ms,
            &self.bounds,
        )?;
        check::finite("reward_gain", self.reward_gain)
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        attach_pair(
            ctx,
            Self::NAME,
            self.lr_post,
            self.lr_pre,
            self.tau_post_ms,
            self.tau_pre_ms,
            self.trace_mode,
            self.bounds,
        )?;
        ctx.entity_mut().insert((
            MstdpRule::default(),
            RewardModulation::new(self.reward_gain as Real, self.timing),
        ));
        Ok(())
    }
}

/// The MSTDP kernel for one step with broadcast reward `reward`.
#[expect(
    clippy::too_many_arguments,
    reason = "a pure kernel over the rule's pieces"
)]
#[inline]
pub fn mstdp_kernel(
    connectivity: &Connectivity,
    traces: &mut PairTraces,
    signs: PairSigns,
    gain: Real,
    timing: RewardTiming,
    reward: Real,
    step: u64,
    arrivals: &[u32],
    post_spikes: &[u32],
    pending: &mut Vec<(u32, Real)>,
    update: &mut WeightUpdate,
) {
    let m = gain * reward;
    match timing {
        RewardTiming::Inferno => {
            pair_step(
                connectivity,
                traces,
                step,
                arrivals,
                post_spikes,
                |side, s, v| {
                    if m != 0.0 {
                        update.add_signed(s, signs.of(side) * m, v);
                    }
                },
            );
        }
        RewardTiming::Florian => {
            if m != 0.0 {
                for &(s, signed) in pending.iter() {
                    update.add_value(s as usize, m * signed);
                }
            }
            pending.clear();
            pair_step(
                connectivity,
                traces,
                step,
                arrivals,
                post_spikes,
                |side, s, v| {
                    if v != 0.0 {
                        pending.push((s as u32, signs.of(side) * v));
                    }
                },
            );
        }
    }
}

/// What [`mstdp_step`] reads and writes of each MSTDP projection.
type MstdpProjection<'a> = (
    Option<&'a RecordedEvery>,
    &'a Projection,
    &'a Connectivity,
    &'a Arrivals,
    &'a PairSigns,
    &'a WeightBounding,
    &'a mut PairTraces,
    &'a mut WeightUpdate,
    &'a mut MstdpRule,
    &'a mut RewardModulation,
    &'a mut Weights,
);

/// `Plasticity` system of [`Mstdp`]. With several threads (or ranks), the projections with
/// Inferno's timing run partitioned by postsynaptic neuron with the same bits
/// ([`stdp_partitioned`], terms scaled by `γ·r`); Florian's timing keeps an ordered list of
/// pending changes (snapshot state) and runs on the calling thread.
pub fn mstdp_step(
    clock: Clock,
    executor: &Executor,
    mut lists: Local<PartitionLists>,
    reward: Res<Reward>,
    mut projections: Query<MstdpProjection>,
    spikes: Query<&Spikes>,
) {
    let r = reward.value();
    if !executor.is_single() {
        let mut active = Vec::new();
        for (
            recorded,
            projection,
            connectivity,
            arrivals,
            signs,
            bounding,
            mut traces,
            mut update,
            mut rule,
            mut modulation,
            mut weights,
        ) in &mut projections
        {
            modulation.seen[0] = r;
            let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
            let recorded = recorded_at(recorded, clock.step);
            if modulation.timing == RewardTiming::Inferno {
                active.push(StdpProjectionStep {
                    recorded,
                    connectivity,
                    arrivals: &arrivals.pre,
                    post,
                    signs: *signs,
                    scale: modulation.gain * r,
                    bounding,
                    traces: traces.into_inner(),
                    update: update.into_inner(),
                    weights: &mut weights.into_inner().w,
                });
                continue;
            }
            mstdp_kernel(
                connectivity,
                &mut traces,
                *signs,
                modulation.gain,
                modulation.timing,
                r,
                clock.step,
                &arrivals.pre,
                post,
                &mut rule.pending,
                &mut update,
            );
            apply_accumulated(&mut update, &mut weights.w, bounding);
            if recorded {
                traces.refresh_views_at(clock.step);
            }
        }
        stdp_partitioned(executor, &mut lists.0, &mut active, clock.step);
        return;
    }
    for (
        recorded,
        projection,
        connectivity,
        arrivals,
        signs,
        bounding,
        mut traces,
        mut update,
        mut rule,
        mut modulation,
        mut weights,
    ) in &mut projections
    {
        modulation.seen[0] = r;
        let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
        mstdp_kernel(
            connectivity,
            &mut traces,
            *signs,
            modulation.gain,
            modulation.timing,
            r,
            clock.step,
            &arrivals.pre,
            post,
            &mut rule.pending,
            &mut update,
        );
        apply_accumulated(&mut update, &mut weights.w, bounding);
        if recorded_at(recorded, clock.step) {
            traces.refresh_views_at(clock.step);
        }
    }
}

/// Registers [`Mstdp`] and its system.
pub struct MstdpPlugin;

impl Plugin for MstdpPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Mstdp>()
            .register_variables::<PairTraces>()
            .register_variables::<RewardModulation>()
            .register_snapshot::<PairTraces>()
            .register_snapshot::<MstdpRule>()
            .register_snapshot::<RewardModulation>();
        sim.add_model_systems::<Mstdp, _>(Stage::Plasticity, mstdp_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::UpdateOrder;
    use crate::pair::sign;

    /// One synapse with lr ±0.2, τ 20 ms, dt 1 ms; returns w after each step.
    fn run(
        timing: RewardTiming,
        gain: Real,
        reward: impl Fn(u64) -> Real,
        pre: &[u64],
        post: &[u64],
        steps: u64,
    ) -> Vec<Real> {
        let conn = Connectivity::Dense {
            n_pre: 1,
            n_post: 1,
        };
        let mut traces = PairTraces::new(1, 1, 1.0, 20.0, 0.2, 20.0, 0.2, TraceMode::Cumulative);
        let signs = PairSigns {
            post: sign(0.2),
            pre: sign(-0.2),
        };
        let mut update = WeightUpdate::new(1);
        let mut pending = Vec::new();
        let mut w = vec![0.2];
        let mut out = Vec::new();
        for s in 0..steps {
            let a: &[u32] = if pre.contains(&s) { &[0] } else { &[] };
            let p: &[u32] = if post.contains(&s) { &[0] } else { &[] };
            mstdp_kernel(
                &conn,
                &mut traces,
                signs,
                gain,
                timing,
                reward(s),
                s,
                a,
                p,
                &mut pending,
                &mut update,
            );
            update.apply_to(&mut w, Bounds::Unbounded.kernel(), UpdateOrder::Combined);
            out.push(w[0]);
        }
        out
    }

    fn d5() -> Real {
        0.2 * (-0.25f64).exp() as Real
    }

    #[test]
    fn inferno_timing_uses_the_same_steps_reward() {
        // Causal pair (10, 15); reward 0 except at step 15 (r = 2) → Δw = 2·d at step 15.
        let w = run(
            RewardTiming::Inferno,
            1.0,
            |s| if s == 15 { 2.0 } else { 0.0 },
            &[10],
            &[15],
            20,
        );
        assert_eq!(w[14], 0.2);
        assert!((w[15] - (0.2 + 2.0 * d5())).abs() < 1e-6);
        assert_eq!(w[19], w[15]);
        // Reward only at step 16 → nothing (the pairing signal exists only at step 15).
        let w = run(
            RewardTiming::Inferno,
            1.0,
            |s| if s == 16 { 2.0 } else { 0.0 },
            &[10],
            &[15],
            20,
        );
        assert_eq!(w[19], 0.2);
        // Negative reward turns potentiation into depression; the gain scales.
        let w = run(RewardTiming::Inferno, 0.5, |_| -1.0, &[10], &[15], 20);
        assert!((w[19] - (0.2 - 0.5 * d5())).abs() < 1e-6);
    }

    #[test]
    fn florian_timing_uses_the_next_steps_reward() {
        // Florian: w(t+1) = w(t) + γ r(t+1) ξ(t): the signal of step 15 meets r(16), applied at 16.
        let w = run(
            RewardTiming::Florian,
            1.0,
            |s| if s == 16 { 2.0 } else { 0.0 },
            &[10],
            &[15],
            20,
        );
        assert_eq!(w[15], 0.2);
        assert!((w[16] - (0.2 + 2.0 * d5())).abs() < 1e-6);
        // Reward at step 15 alone does nothing under Florian timing.
        let w = run(
            RewardTiming::Florian,
            1.0,
            |s| if s == 15 { 2.0 } else { 0.0 },
            &[10],
            &[15],
            20,
        );
        assert_eq!(w[19], 0.2);
        // Acausal pair (post 10, pre 15) with r = 1 throughout: depression at step 16.
        let w = run(RewardTiming::Florian, 1.0, |_| 1.0, &[15], &[10], 20);
        assert_eq!(w[15], 0.2);
        assert!((w[16] - (0.2 - d5())).abs() < 1e-6);
    }

    #[test]
    fn validation() {
        let e = Model::validate(&Mstdp {
            reward_gain: f64::INFINITY,
            ..Mstdp::default()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("reward_gain"), "{e}");
        let e = Model::validate(&Mstdp {
            tau_post_ms: 0.0,
            ..Mstdp::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "tau_post_ms must be > 0, got 0");
    }
}
