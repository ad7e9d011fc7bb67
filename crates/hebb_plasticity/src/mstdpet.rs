//! `Mstdpet`: reward-modulated STDP with eligibility traces (Florian 2007; Inferno's `MSTDPET`).
//!
//! The spike traces and pairing terms are those of [`crate::stdp`]. Each synapse keeps two
//! eligibility traces that low-pass the pairing terms, and the broadcast reward turns them into
//! weight changes:
//!
//! ```text
//! z_post(s) = β·z_post(s−1) + dpost(s)/τ_z        z_pre(s) = β·z_pre(s−1) + dpre(s)/τ_z
//! Inferno timing:  Δw(s) = γ·r(s)·[sgn(lr_post)·z_post(s) + sgn(lr_pre)·z_pre(s)]
//! Florian timing:  Δw(s) = γ·dt·r(s)·[sgn(lr_post)·z_post(s−1) + sgn(lr_pre)·z_pre(s−1)]
//! β = exp(−dt/τ_z)
//! ```
//!
//! Inferno multiplies the eligibility of step `s` (which already contains the pairings of step
//! `s`) by the reward of step `s` and has no `dt` factor (its docs write one; the code does not).
//! Florian's discrete rule `z(t+δt) = z(t)·e^{−δt/τz} + ξ(t)/τz`, `w(t+δt) = w(t) + γ δt
//! r(t+δt) z(t+δt)` pairs the eligibility that contains the signal of step `s` with the reward of
//! step `s + 1` and multiplies by `δt` (ms): with `timing: Florian`, step `s` first applies
//! `γ·dt·r(s)·z(s−1)`, then updates `z`. Each term is routed to potentiation when its coefficient
//! is ≥ 0, to depression otherwise. The eligibility is per synapse, so this rule costs
//! O(synapses) per step (skipped while `γ·r = 0`, except for the decay).
//!
//! | parameter | unit | default | meaning |
//! |---|---|---|---|
//! | `lr_post` | 1 | 0.2 | learning rate on postsynaptic spikes (sign routes `z_post`) |
//! | `lr_pre` | 1 | −0.2 | learning rate on presynaptic arrivals (sign routes `z_pre`) |
//! | `tau_post_ms` | ms | 20 | postsynaptic trace time constant |
//! | `tau_pre_ms` | ms | 20 | presynaptic trace time constant |
//! | `tau_eligibility_ms` | ms | 25 | eligibility time constant τ_z |
//! | `trace_mode` | — | `Cumulative` | `Cumulative` or `Nearest` |
//! | `bounds` | — | `Unbounded` | see [`crate::bounds`] |
//! | `reward_gain` | 1 | 1 | γ, this projection's gain on the broadcast reward |
//! | `timing` | — | `Inferno` | `Inferno` or `Florian` |
//!
//! Recordable: `trace_pre`, `trace_post`, `elig_post`, `elig_pre` (per synapse, ≥ 0),
//! `eligibility` (= `sgn(lr_post)·z_post + sgn(lr_pre)·z_pre`), `reward`.
//!
//! References: Florian, R. V. (2007) Neural Computation 19(6):1468–1502; Inferno
//! `inferno/learn/trainers/three_factor_stdp.py::MSTDPET`; `docs/plasticity/mstdpet.md`.

use bevy_ecs::prelude::*;
use hebb_core::Real;
use hebb_core::clock::Clock;
use hebb_core::connectivity::Connectivity;
use hebb_core::error::{BuildError, ParamError};
use hebb_core::params::check;
use hebb_core::population::Spikes;
use hebb_core::prelude::{Plugin, Simulation, Stage, StateVariables};
use hebb_core::projection::{Arrivals, Projection, Weights};
use hebb_core::record::RecordedEvery;
use hebb_core::registry::{AttachContext, Model, ModelKind, ParamDoc};
use serde::{Deserialize, Serialize};

use crate::bounds::Bounds;
use crate::mstdp::REWARD_PARAMS;
use crate::pair::{PairTraces, Side, pair_step, recorded_at};
use crate::reward::{Reward, RewardModulation, RewardTiming};
use crate::stdp::{PAIR_PARAMS, PairSigns, attach_pair, validate_pair};
use crate::trace::TraceMode;
use crate::update::{WeightBounding, WeightUpdate, apply_accumulated};

/// Reward-modulated STDP with eligibility traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mstdpet {
    /// Learning rate on postsynaptic spikes. Default 0.2.
    pub lr_post: f64,
    /// Learning rate on presynaptic arrivals. Default −0.2.
    pub lr_pre: f64,
    /// Postsynaptic trace time constant, ms. Default 20.
    pub tau_post_ms: f64,
    /// Presynaptic trace time constant, ms. Default 20.
    pub tau_pre_ms: f64,
    /// Eligibility time constant τ_z, ms. Default 25.
    pub tau_eligibility_ms: f64,
    /// Cumulative or nearest traces. Default `Cumulative`.
    pub trace_mode: TraceMode,
    /// Weight bounds. Default `Unbounded`.
    pub bounds: Bounds,
    /// γ: gain on the broadcast reward. Default 1.
    pub reward_gain: f64,
    /// Reward pairing. Default `Inferno`.
    pub timing: RewardTiming,
}

impl Default for Mstdpet {
    fn default() -> Self {
        Self {
            lr_post: 0.2,
            lr_pre: -0.2,
            tau_post_ms: 20.0,
            tau_pre_ms: 20.0,
            tau_eligibility_ms: 25.0,
            trace_mode: TraceMode::Cumulative,
            bounds: Bounds::Unbounded,
            reward_gain: 1.0,
            timing: RewardTiming::Inferno,
        }
    }
}

const MSTDPET_PARAMS: [ParamDoc; 9] = [
    PAIR_PARAMS[0],
    PAIR_PARAMS[1],
    PAIR_PARAMS[2],
    PAIR_PARAMS[3],
    ParamDoc {
        name: "tau_eligibility_ms",
        unit: "ms",
        doc: "time constant of the per-synapse eligibility traces",
    },
    PAIR_PARAMS[4],
    PAIR_PARAMS[5],
    REWARD_PARAMS[0],
    REWARD_PARAMS[1],
];

/// Per-synapse eligibility traces of an [`Mstdpet`] projection.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eligibility {
    /// `z_post`: low-passed `dpost` terms (≥ 0), one per synapse.
    pub post: Vec<Real>,
    /// `z_pre`: low-passed `dpre` terms (≥ 0), one per synapse.
    pub pre: Vec<Real>,
    /// `sgn(lr_post)·z_post + sgn(lr_pre)·z_pre` (filled for recorders).
    pub combined: Vec<Real>,
    /// β = exp(−dt/τ_z).
    pub decay: Real,
    /// 1/τ_z, 1/ms.
    pub inv_tau: Real,
    /// dt, ms (Florian's factor).
    pub dt_ms: Real,
}

impl Eligibility {
    /// Zero eligibility for `n` synapses.
    pub fn new(n: usize, tau_ms: f64, dt_ms: f64) -> Self {
        Self {
            post: vec![0.0; n],
            pre: vec![0.0; n],
            combined: vec![0.0; n],
            decay: (-dt_ms / tau_ms).exp() as Real,
            inv_tau: (1.0 / tau_ms) as Real,
            dt_ms: dt_ms as Real,
        }
    }

    /// Fill `combined` for recorders.
    pub fn refresh_view(&mut self, signs: PairSigns) {
        for ((c, p), q) in self.combined.iter_mut().zip(&self.post).zip(&self.pre) {
            *c = signs.post * p + signs.pre * q;
        }
    }
}

impl StateVariables for Eligibility {
    const VARIABLES: &'static [&'static str] = &["elig_post", "elig_pre", "eligibility"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        match name {
            "elig_post" => Some(&self.post),
            "elig_pre" => Some(&self.pre),
            "eligibility" => Some(&self.combined),
            _ => None,
        }
    }
}

/// Marks a projection that learns with [`Mstdpet`].
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct MstdpetRule;

impl Model for Mstdpet {
    const NAME: &'static str = "Mstdpet";
    const KIND: ModelKind = ModelKind::Plasticity;
    const SUMMARY: &'static str =
        "reward-modulated STDP with eligibility traces (Florian 2007, Inferno's MSTDPET)";
    const PARAMS: &'static [ParamDoc] = &MSTDPET_PARAMS;
    const USES_REWARD: bool = true;

    fn validate(&self) -> Result<(), ParamError> {
        validate_pair(
            self.lr_post,
            self.lr_pre,
            self.tau_post_ms,
            self.tau_pre_ms,
            &self.bounds,
        )?;
        check::positive("tau_eligibility_ms", self.tau_eligibility_ms)?;
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
        let n = ctx.projection(Self::NAME)?.n_synapses;
        let eligibility = Eligibility::new(n, self.tau_eligibility_ms, ctx.dt_ms);
        ctx.entity_mut().insert((
            MstdpetRule,
            eligibility,
            RewardModulation::new(self.reward_gain as Real, self.timing),
        ));
        Ok(())
    }
}

/// Route `k·z[s]` for every synapse: into `pos` when `k ≥ 0`, into `neg` otherwise.
#[inline]
fn route_dense(pos: &mut [Real], neg: &mut [Real], k: Real, z: &[Real]) {
    if k >= 0.0 {
        for (p, &z) in pos.iter_mut().zip(z) {
            *p += k * z;
        }
    } else {
        let k = -k;
        for (n, &z) in neg.iter_mut().zip(z) {
            *n += k * z;
        }
    }
}

/// The MSTDPET kernel for one step with broadcast reward `reward`.
#[expect(
    clippy::too_many_arguments,
    reason = "a pure kernel over the rule's pieces"
)]
#[inline]
pub fn mstdpet_kernel(
    connectivity: &Connectivity,
    traces: &mut PairTraces,
    eligibility: &mut Eligibility,
    signs: PairSigns,
    gain: Real,
    timing: RewardTiming,
    reward: Real,
    step: u64,
    arrivals: &[u32],
    post_spikes: &[u32],
    update: &mut WeightUpdate,
) {
    let m = gain * reward;
    let apply = |update: &mut WeightUpdate, eligibility: &Eligibility, m: Real| {
        if m != 0.0 {
            let (pos, neg) = update.dense_mut();
            route_dense(pos, neg, signs.post * m, &eligibility.post);
            route_dense(pos, neg, signs.pre * m, &eligibility.pre);
        }
    };
    if timing == RewardTiming::Florian {
        apply(update, eligibility, m * eligibility.dt_ms);
    }
    let beta = eligibility.decay;
    for z in &mut eligibility.post {
        *z *= beta;
    }
    for z in &mut eligibility.pre {
        *z *= beta;
    }
    let inv_tau = eligibility.inv_tau;
    let (z_post, z_pre) = (&mut eligibility.post, &mut eligibility.pre);
    pair_step(
        connectivity,
        traces,
        step,
        arrivals,
        post_spikes,
        |side, s, v| match side {
            Side::Post => z_post[s] += inv_tau * v,
            Side::Pre => z_pre[s] += inv_tau * v,
        },
    );
    if timing == RewardTiming::Inferno {
        apply(update, eligibility, m);
    }
}

/// What [`mstdpet_step`] reads and writes of each MSTDPET projection.
type MstdpetProjection<'a> = (
    Option<&'a RecordedEvery>,
    &'a Projection,
    &'a Connectivity,
    &'a Arrivals,
    &'a PairSigns,
    &'a WeightBounding,
    &'a mut PairTraces,
    &'a mut Eligibility,
    &'a mut WeightUpdate,
    &'a mut RewardModulation,
    &'a mut Weights,
);

/// `Plasticity` system of [`Mstdpet`].
pub fn mstdpet_step(
    clock: Clock,
    reward: Res<Reward>,
    mut projections: Query<MstdpetProjection, With<MstdpetRule>>,
    spikes: Query<&Spikes>,
) {
    let r = reward.value();
    for (
        recorded,
        projection,
        connectivity,
        arrivals,
        signs,
        bounding,
        mut traces,
        mut eligibility,
        mut update,
        mut modulation,
        mut weights,
    ) in &mut projections
    {
        modulation.seen[0] = r;
        let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
        mstdpet_kernel(
            connectivity,
            &mut traces,
            &mut eligibility,
            *signs,
            modulation.gain,
            modulation.timing,
            r,
            clock.step,
            &arrivals.pre,
            post,
            &mut update,
        );
        apply_accumulated(&mut update, &mut weights.w, bounding);
        if recorded_at(recorded, clock.step) {
            traces.refresh_views_at(clock.step);
            eligibility.refresh_view(*signs);
        }
    }
}

/// Registers [`Mstdpet`] and its system.
pub struct MstdpetPlugin;

impl Plugin for MstdpetPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Mstdpet>()
            .register_variables::<PairTraces>()
            .register_variables::<Eligibility>()
            .register_variables::<RewardModulation>()
            .register_snapshot::<PairTraces>()
            .register_snapshot::<Eligibility>()
            .register_snapshot::<RewardModulation>();
        sim.add_model_systems::<Mstdpet, _>(Stage::Plasticity, mstdpet_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::UpdateOrder;
    use crate::pair::sign;

    /// One synapse, lr ±0.2, τ 20, τz 25, dt `dt`; returns (w, z_post, z_pre) after each step.
    fn run(
        timing: RewardTiming,
        dt: f64,
        reward: impl Fn(u64) -> Real,
        pre: &[u64],
        post: &[u64],
        steps: u64,
    ) -> Vec<(Real, Real, Real)> {
        let conn = Connectivity::Dense {
            n_pre: 1,
            n_post: 1,
        };
        let mut traces = PairTraces::new(1, 1, dt, 20.0, 0.2, 20.0, 0.2, TraceMode::Cumulative);
        let mut elig = Eligibility::new(1, 25.0, dt);
        let signs = PairSigns {
            post: sign(0.2),
            pre: sign(-0.2),
        };
        let mut update = WeightUpdate::new(1);
        let mut w = vec![0.2];
        let mut out = Vec::new();
        for s in 0..steps {
            let a: &[u32] = if pre.contains(&s) { &[0] } else { &[] };
            let p: &[u32] = if post.contains(&s) { &[0] } else { &[] };
            mstdpet_kernel(
                &conn,
                &mut traces,
                &mut elig,
                signs,
                1.0,
                timing,
                reward(s),
                s,
                a,
                p,
                &mut update,
            );
            update.apply_to(&mut w, Bounds::Unbounded.kernel(), UpdateOrder::Combined);
            out.push((w[0], elig.post[0], elig.pre[0]));
        }
        out
    }

    #[test]
    fn eligibility_integrates_pairings_and_reward_reads_it() {
        // Causal pair (10, 15), r = 1 from step 0: z_post(15) = d/25 and Δw(15) = z_post(15).
        let d = 0.2 * (-0.25f64).exp();
        let out = run(RewardTiming::Inferno, 1.0, |_| 1.0, &[10], &[15], 40);
        let z15 = (d / 25.0) as Real;
        assert!((out[15].1 - z15).abs() < 1e-8 && out[15].2 == 0.0);
        assert!((out[15].0 - (0.2 + z15)).abs() < 1e-7);
        // Afterwards z decays with β and keeps potentiating: w(s) = 0.2 + z15·Σ β^k.
        let beta = (-1.0f64 / 25.0).exp();
        let expected: f64 = 0.2 + (d / 25.0) * (0..=24).map(|k| beta.powi(k)).sum::<f64>();
        assert!(
            (f64::from(out[39].0) - expected).abs() < 1e-6,
            "{} vs {expected}",
            out[39].0
        );
        // Acausal pair (post 10, pre 15): z_pre grows, the weight falls.
        let out = run(RewardTiming::Inferno, 1.0, |_| 1.0, &[15], &[10], 20);
        assert!(out[15].2 > 0.0 && out[15].1 == 0.0 && out[19].0 < 0.2);
    }

    #[test]
    fn florian_timing_lags_one_step_and_scales_by_dt() {
        // Reward only at step 16: Inferno uses z(16)·r(16); Florian uses dt·z(15)·r(16).
        let d = 0.2 * (-0.25f64).exp();
        let dt = 0.5;
        // With dt = 0.5 ms the pair (10, 15) in steps is 2.5 ms apart.
        let d_dt = 0.2 * (-2.5f64 / 20.0).exp();
        let r16 = |s| if s == 16 { 1.0 } else { 0.0 };
        let f = run(RewardTiming::Florian, dt, r16, &[10], &[15], 20);
        let z15 = d_dt / 25.0;
        assert_eq!(f[15].0, 0.2);
        assert!(
            (f64::from(f[16].0) - (0.2 + dt * z15)).abs() < 1e-7,
            "{}",
            f[16].0
        );
        let i = run(RewardTiming::Inferno, 1.0, r16, &[10], &[15], 20);
        let beta = (-1.0f64 / 25.0).exp();
        assert!((f64::from(i[16].0) - (0.2 + beta * d / 25.0)).abs() < 1e-7);
    }

    #[test]
    fn validation() {
        let e = Model::validate(&Mstdpet {
            tau_eligibility_ms: -1.0,
            ..Mstdpet::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "tau_eligibility_ms must be > 0, got -1");
    }
}
