//! `Stdp`: pair-based spike-timing-dependent plasticity with Inferno's sign semantics.
//!
//! ```text
//! x_pre_i(s)  = α_pre·x_pre_i(s−1)  + |lr_post|·[i arrives at s]      (cumulative; nearest: set)
//! x_post_j(s) = α_post·x_post_j(s−1) + |lr_pre|·[j spikes at s]
//! dpost_ij = [j spikes at s]·x_pre_i(s)        dpre_ij = [i arrives at s]·x_post_j(s)
//! (lr_post ≥ 0, lr_pre ≥ 0):  (yes, no)  Hebbian          pos = dpost,        neg = dpre
//!                             (no, yes)  anti-Hebbian     pos = dpre,         neg = dpost
//!                             (yes, yes) potentiative     pos = dpost + dpre
//!                             (no, no)   depressive       neg = dpost + dpre
//! w ← bounds(w, pos, neg)                                  (α = exp(−dt/τ))
//! ```
//!
//! The signs of the learning rates only route the terms; their magnitudes are the trace
//! amplitudes. Scenes may instead write the Hebbian magnitudes `a_plus`, `a_minus` (≥ 0), i.e.
//! `lr_post = a_plus`, `lr_pre = −a_minus` ([`crate::stdp_forms`]); `hebb check` prints the mode. Net effect without bounds: `Δw = lr_post·post·x̂_pre + lr_pre·pre·x̂_post` with
//! unit-amplitude traces `x̂`. Both traces include the spikes of the current step (Inferno's
//! timing); the presynaptic trace sees the spikes as they arrive, after the delay.
//!
//! | parameter | unit | default | meaning |
//! |---|---|---|---|
//! | `lr_post` | 1 | 0.01 | learning rate on postsynaptic spikes (sign: potentiate if ≥ 0) |
//! | `lr_pre` | 1 | −0.0105 | learning rate on presynaptic arrivals (sign: potentiate if ≥ 0) |
//! | `a_plus` | 1 | (0.01) | instead of `lr_post`/`lr_pre`: causal-pair magnitude, `lr_post = a_plus` |
//! | `a_minus` | 1 | (0.0105) | instead of `lr_post`/`lr_pre`: acausal-pair magnitude, `lr_pre = −a_minus` |
//! | `tau_post_ms` | ms | 20 | time constant of the postsynaptic trace |
//! | `tau_pre_ms` | ms | 20 | time constant of the presynaptic trace |
//! | `trace_mode` | — | `Cumulative` | `Cumulative` (all-to-all) or `Nearest` |
//! | `bounds` | — | `Unbounded` | see [`crate::bounds`] |
//!
//! Reference: Inferno `inferno/learn/trainers/two_factor_stdp.py::STDP` (inferno-ai 0.0.5);
//! `docs/plasticity/stdp.md`.

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

use crate::bounds::{Bounds, UpdateOrder};
use crate::owned::BySynapse;
use crate::pair::{PairTraces, Side, pair_step, pair_terms_in, recorded_at, sign};
use crate::rule::PartitionLists;
use crate::trace::TraceMode;
use crate::update::{SharedSums, WeightBounding, WeightUpdate, apply_accumulated};

/// Pair-based STDP (Inferno's `STDP` trainer). Scenes write the amplitudes as magnitudes
/// (`a_plus`, `a_minus`) or in Inferno's signed form (`lr_post`, `lr_pre`), see
/// [`crate::stdp_forms`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "crate::stdp_forms::StdpFields")]
pub struct Stdp {
    /// Learning rate on postsynaptic spikes; its magnitude is the presynaptic trace's amplitude,
    /// its sign routes `dpost` (≥ 0: potentiation). Default 0.01.
    pub lr_post: f64,
    /// Learning rate on presynaptic arrivals; its magnitude is the postsynaptic trace's
    /// amplitude, its sign routes `dpre` (≥ 0: potentiation). Default −0.0105.
    pub lr_pre: f64,
    /// Postsynaptic trace time constant, ms. Default 20.
    pub tau_post_ms: f64,
    /// Presynaptic trace time constant, ms. Default 20.
    pub tau_pre_ms: f64,
    /// Cumulative or nearest traces. Default `Cumulative`.
    pub trace_mode: TraceMode,
    /// Weight bounds. Default `Unbounded`.
    pub bounds: Bounds,
}

impl Default for Stdp {
    fn default() -> Self {
        Self {
            lr_post: 0.01,
            lr_pre: -0.0105,
            tau_post_ms: 20.0,
            tau_pre_ms: 20.0,
            trace_mode: TraceMode::Cumulative,
            bounds: Bounds::Unbounded,
        }
    }
}

/// The shared parameter table of the pair-based rules.
pub(crate) const PAIR_PARAMS: [ParamDoc; 6] = [
    ParamDoc {
        name: "lr_post",
        unit: "1",
        doc: "learning rate on postsynaptic spikes: |lr_post| is the presynaptic trace amplitude, its sign routes dpost (>= 0: potentiation)",
    },
    ParamDoc {
        name: "lr_pre",
        unit: "1",
        doc: "learning rate on presynaptic arrivals: |lr_pre| is the postsynaptic trace amplitude, its sign routes dpre (>= 0: potentiation)",
    },
    ParamDoc {
        name: "tau_post_ms",
        unit: "ms",
        doc: "time constant of the postsynaptic trace",
    },
    ParamDoc {
        name: "tau_pre_ms",
        unit: "ms",
        doc: "time constant of the presynaptic trace",
    },
    ParamDoc {
        name: "trace_mode",
        unit: "-",
        doc: "Cumulative (decay, then add) or Nearest (set on a spike)",
    },
    ParamDoc {
        name: "bounds",
        unit: "-",
        doc: "Unbounded | Hard(w_min, w_max) | Multiplicative(w_min, w_max) | Power(w_min, w_max, mu)",
    },
];

/// `Stdp`'s parameter table: the pair parameters and the magnitude form.
const STDP_PARAMS: [ParamDoc; 8] = [
    PAIR_PARAMS[0],
    PAIR_PARAMS[1],
    ParamDoc {
        name: "a_plus",
        unit: "1",
        doc: "instead of lr_post/lr_pre (Hebbian, magnitudes >= 0): a causal pair adds a_plus·x_pre; default 0.01",
    },
    ParamDoc {
        name: "a_minus",
        unit: "1",
        doc: "instead of lr_post/lr_pre: an acausal pair subtracts a_minus·x_post (a_minus >= 0); default 0.0105",
    },
    PAIR_PARAMS[2],
    PAIR_PARAMS[3],
    PAIR_PARAMS[4],
    PAIR_PARAMS[5],
];

/// Validate the shared pair parameters.
pub(crate) fn validate_pair(
    lr_post: f64,
    lr_pre: f64,
    tau_post_ms: f64,
    tau_pre_ms: f64,
    bounds: &Bounds,
) -> Result<(), ParamError> {
    check::finite("lr_post", lr_post)?;
    check::finite("lr_pre", lr_pre)?;
    check::positive("tau_post_ms", tau_post_ms)?;
    check::positive("tau_pre_ms", tau_pre_ms)?;
    bounds.validate("bounds")
}

/// Attach the shared pair state: traces (pre amplitude |lr_post|, post amplitude |lr_pre|),
/// accumulator and bounds.
#[expect(
    clippy::too_many_arguments,
    reason = "the pair parameters, spelled out"
)]
pub(crate) fn attach_pair(
    ctx: &mut AttachContext<'_>,
    model: &str,
    lr_post: f64,
    lr_pre: f64,
    tau_post_ms: f64,
    tau_pre_ms: f64,
    trace_mode: TraceMode,
    bounds: Bounds,
) -> Result<(), BuildError> {
    let shape = ctx.projection(model)?;
    let traces = PairTraces::new(
        shape.n_pre,
        shape.n_post,
        ctx.dt_ms,
        tau_pre_ms,
        lr_post.abs() as Real,
        tau_post_ms,
        lr_pre.abs() as Real,
        trace_mode,
    );
    // The rules' systems apply their accumulated changes themselves.
    ctx.without_kind_systems();
    ctx.entity_mut().insert((
        traces,
        WeightUpdate::new(shape.n_synapses),
        WeightBounding::new(bounds, UpdateOrder::Combined),
        PairSigns {
            post: sign(lr_post),
            pre: sign(lr_pre),
        },
    ));
    Ok(())
}

/// The routing signs of a pair rule: `sgn(lr_post)` and `sgn(lr_pre)` (zero counts as +).
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct PairSigns {
    /// Sign applied to `dpost`.
    pub post: Real,
    /// Sign applied to `dpre`.
    pub pre: Real,
}

impl PairSigns {
    /// The sign of a term from `side`.
    #[inline]
    pub fn of(&self, side: Side) -> Real {
        match side {
            Side::Post => self.post,
            Side::Pre => self.pre,
        }
    }
}

/// Marks a projection that learns with [`Stdp`].
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdpRule;

impl Model for Stdp {
    const NAME: &'static str = "Stdp";
    const KIND: ModelKind = ModelKind::Plasticity;
    const SUMMARY: &'static str = "pair-based STDP with Inferno's sign modes (Hebbian, anti-Hebbian, potentiative, depressive)";
    const PARAMS: &'static [ParamDoc] = &STDP_PARAMS;

    fn validate(&self) -> Result<(), ParamError> {
        validate_pair(
            self.lr_post,
            self.lr_pre,
            self.tau_post_ms,
            self.tau_pre_ms,
            &self.bounds,
        )
    }

    fn describe(&self) -> Option<String> {
        Some(crate::stdp_forms::describe_rates(self.lr_post, self.lr_pre))
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
        ctx.entity_mut().insert(StdpRule);
        Ok(())
    }
}

/// The STDP kernel for one step: update the traces, then route every term into `update` by
/// its sign.
#[inline]
pub fn stdp_kernel(
    connectivity: &Connectivity,
    traces: &mut PairTraces,
    signs: PairSigns,
    step: u64,
    arrivals: &[u32],
    post_spikes: &[u32],
    update: &mut WeightUpdate,
) {
    pair_step(
        connectivity,
        traces,
        step,
        arrivals,
        post_spikes,
        |side, s, v| {
            update.add_signed(s, signs.of(side), v);
        },
    );
}

/// What [`stdp_step`] reads and writes of each STDP projection.
type StdpProjection<'a> = (
    Option<&'a RecordedEvery>,
    &'a Projection,
    &'a Connectivity,
    &'a Arrivals,
    &'a PairSigns,
    &'a WeightBounding,
    &'a mut PairTraces,
    &'a mut WeightUpdate,
    &'a mut Weights,
);

/// `Plasticity` system of [`Stdp`]: the kernel, then the accumulated changes applied with the
/// projection's bounds. With several threads (or ranks) it runs partitioned by postsynaptic
/// neuron with the same bits ([`stdp_partitioned`]).
pub fn stdp_step(
    clock: Clock,
    executor: &Executor,
    mut lists: Local<PartitionLists>,
    mut projections: Query<StdpProjection, With<StdpRule>>,
    spikes: Query<&Spikes>,
) {
    if !executor.is_single() {
        let mut active = Vec::new();
        for (
            recorded,
            projection,
            connectivity,
            arrivals,
            signs,
            bounding,
            traces,
            update,
            weights,
        ) in &mut projections
        {
            let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
            active.push(StdpProjectionStep {
                recorded: recorded_at(recorded, clock.step),
                connectivity,
                arrivals: &arrivals.pre,
                post,
                signs: *signs,
                scale: 1.0,
                bounding,
                traces: traces.into_inner(),
                update: update.into_inner(),
                weights: &mut weights.into_inner().w,
            });
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
        mut weights,
    ) in &mut projections
    {
        let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
        stdp_kernel(
            connectivity,
            &mut traces,
            *signs,
            clock.step,
            &arrivals.pre,
            post,
            &mut update,
        );
        apply_accumulated(&mut update, &mut weights.w, bounding);
        if recorded_at(recorded, clock.step) {
            traces.refresh_views_at(clock.step);
        }
    }
}

/// One STDP projection's step, as [`stdp_partitioned`] takes it.
pub struct StdpProjectionStep<'a> {
    /// Whether a recorder samples the traces after this step.
    pub recorded: bool,
    /// The synapses.
    pub connectivity: &'a Connectivity,
    /// This step's arrivals (ascending presynaptic indices).
    pub arrivals: &'a [u32],
    /// This step's postsynaptic spikes.
    pub post: &'a [u32],
    /// The signs of the two terms.
    pub signs: PairSigns,
    /// The factor of every term's sign: 1 for `Stdp`, `γ·r` for `Mstdp` with Inferno's timing
    /// (no term at all when 0).
    pub scale: Real,
    /// Bounds and update order.
    pub bounding: &'a WeightBounding,
    /// The traces.
    pub traces: &'a mut PairTraces,
    /// The accumulator (empty between steps).
    pub update: &'a mut WeightUpdate,
    /// The weights.
    pub weights: &'a mut [Real],
}

/// What the partitions of [`stdp_partitioned`]'s region share of one projection.
struct Shared<'a> {
    connectivity: &'a Connectivity,
    arrivals: &'a [u32],
    post: &'a [u32],
    signs: PairSigns,
    scale: Real,
    bounding: &'a WeightBounding,
    traces: &'a PairTraces,
    sums: SharedSums<'a>,
    w: BySynapse<'a, Real>,
}

/// The [`Stdp`] step of every projection on the executor's partitions, in one region, with
/// the bits of [`stdp_kernel`] and [`apply_accumulated`] on one thread (and of
/// `mstdp_kernel` with Inferno's timing, whose terms are scaled by `γ·r`). The traces seek and
/// jump on the calling thread (O(spikes)); then partition `p` adds, for each projection in
/// order, the terms of the synapses onto its block (the columns of its spiking neurons, its
/// part of every arriving row: [`pair_terms_in`], in `pair_step`'s order) into the shared
/// per-synapse sums, keeping its own list of touched synapses, and bounds them into their
/// weights. `lists` holds the partitions' lists between steps.
pub fn stdp_partitioned(
    executor: &Executor,
    lists: &mut Vec<Vec<Vec<u32>>>,
    active: &mut [StdpProjectionStep<'_>],
    step: u64,
) {
    for a in active.iter_mut() {
        a.traces.seek(step);
        a.traces.pre.spike_all(a.arrivals);
        a.traces.post.spike_all(a.post);
        if a.recorded {
            a.traces.refresh_views_at(step);
        }
    }
    let shared: Vec<_> = active
        .iter_mut()
        .filter(|a| (!a.arrivals.is_empty() || !a.post.is_empty()) && a.scale != 0.0)
        .map(|a| Shared {
            connectivity: a.connectivity,
            arrivals: a.arrivals,
            post: a.post,
            signs: a.signs,
            scale: a.scale,
            bounding: a.bounding,
            traces: &*a.traces,
            sums: a.update.shared_sums(),
            w: BySynapse::new(&mut *a.weights),
        })
        .collect();
    if shared.is_empty() {
        return;
    }
    lists.resize_with(executor.threads(), Vec::new);
    for list in lists.iter_mut() {
        list.resize_with(shared.len(), Vec::new);
    }
    executor.for_each_part(lists.iter_mut(), |p, lists| {
        for (a, list) in shared.iter().zip(lists.iter_mut()) {
            let block = executor.block(a.connectivity.n_post(), p);
            let mut update = a.sums.with_list(list);
            pair_terms_in(
                a.connectivity,
                a.traces,
                a.arrivals,
                a.post,
                &block,
                |side, s, v| {
                    // SAFETY: `pair_terms_in` visits only synapses onto this partition's block.
                    unsafe { update.add_signed(s, a.signs.of(side) * a.scale, v) };
                },
            );
            let bounding = a.bounding;
            // SAFETY: this partition touched only synapses onto its block.
            unsafe { update.apply(a.w, bounding.kernel, bounding.order) };
        }
    });
}

/// Registers [`Stdp`] and its system.
pub struct StdpPlugin;

impl Plugin for StdpPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Stdp>()
            .register_variables::<PairTraces>()
            .register_snapshot::<PairTraces>();
        sim.add_model_systems::<Stdp, _>(Stage::Plasticity, stdp_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::BoundKernel;

    /// One synapse, pre spikes at `pre`, post spikes at `post`, run `steps`, return w.
    fn run(
        lr_post: f64,
        lr_pre: f64,
        bounds: Bounds,
        w0: Real,
        pre: &[u64],
        post: &[u64],
        steps: u64,
    ) -> (Real, Vec<(u64, Real, Real)>) {
        let conn = Connectivity::Dense {
            n_pre: 1,
            n_post: 1,
        };
        let mut traces = PairTraces::new(
            1,
            1,
            1.0,
            20.0,
            lr_post.abs() as Real,
            20.0,
            lr_pre.abs() as Real,
            TraceMode::Cumulative,
        );
        let signs = PairSigns {
            post: sign(lr_post),
            pre: sign(lr_pre),
        };
        let mut update = WeightUpdate::new(1);
        let mut w = vec![w0];
        let mut log = Vec::new();
        for s in 0..steps {
            let a: &[u32] = if pre.contains(&s) { &[0] } else { &[] };
            let p: &[u32] = if post.contains(&s) { &[0] } else { &[] };
            stdp_kernel(&conn, &mut traces, signs, s, a, p, &mut update);
            if !update.is_empty() {
                log.push((s, update.pos(0), update.neg(0)));
            }
            update.apply_to(&mut w, bounds.kernel(), UpdateOrder::Combined);
        }
        (w[0], log)
    }

    const A: f64 = 0.2;

    fn decay(n: i32) -> Real {
        (-(n as f64) / 20.0).exp() as Real
    }

    #[test]
    fn hebbian_potentiates_causal_and_depresses_acausal_pairs() {
        // Pre at 10, post at 15: pos = 0.2·e^{-5/20} at 15.
        let (w, log) = run(A, -A, Bounds::Unbounded, 0.5, &[10], &[15], 30);
        assert_eq!(log.len(), 2);
        assert_eq!((log[0].0, log[0].1, log[0].2), (10, 0.0, 0.0));
        assert_eq!(log[1].0, 15);
        assert!((log[1].1 - 0.2 * decay(5)).abs() < 1e-6 && log[1].2 == 0.0);
        assert!((w - (0.5 + 0.2 * decay(5))).abs() < 1e-6);
        // Post at 10, pre at 15: neg = 0.2·e^{-5/20}.
        let (w, log) = run(A, -A, Bounds::Unbounded, 0.5, &[15], &[10], 30);
        assert!(
            log.iter()
                .any(|&(s, p, n)| s == 15 && p == 0.0 && (n - 0.2 * decay(5)).abs() < 1e-6)
        );
        assert!((w - (0.5 - 0.2 * decay(5))).abs() < 1e-6);
        // Same step: both terms at full amplitude.
        let (w, log) = run(A, -A, Bounds::Unbounded, 0.5, &[7], &[7], 10);
        assert_eq!(log.len(), 1);
        assert!(log[0].0 == 7 && (log[0].1 - 0.2).abs() < 1e-7 && (log[0].2 - 0.2).abs() < 1e-7);
        assert!((w - 0.5).abs() < 1e-7);
    }

    #[test]
    fn each_sign_mode_routes_terms() {
        // A causal pair (pre 10, post 15) then an acausal one (post 40, pre 45).
        let (pre, post) = ([10, 45], [15, 40]);
        let causal = 0.2 * decay(5);
        // Pre at 45 reads the post trace of both post spikes (cumulative mode).
        let acausal = 0.2 * (decay(5) + decay(30));
        let cases = [
            // (lr_post, lr_pre, pos at 15, neg at 15, pos at 45, neg at 45)
            (A, -A, causal, 0.0, 0.0, acausal),  // Hebbian
            (-A, A, 0.0, causal, acausal, 0.0),  // anti-Hebbian
            (A, A, causal, 0.0, acausal, 0.0),   // potentiative only
            (-A, -A, 0.0, causal, 0.0, acausal), // depressive only
        ];
        for (lr_post, lr_pre, p15, n15, p45, n45) in cases {
            let (_, log) = run(lr_post, lr_pre, Bounds::Unbounded, 0.5, &pre, &post, 60);
            let at = |s| log.iter().find(|e| e.0 == s).map(|e| (e.1, e.2)).unwrap();
            let (p, n) = at(15);
            assert!(
                (p - p15).abs() < 1e-6 && (n - n15).abs() < 1e-6,
                "{lr_post} {lr_pre} step 15: {p} {n}"
            );
            let (p, n) = at(45);
            assert!(
                (p - p45).abs() < 1e-6 && (n - n45).abs() < 1e-6,
                "{lr_post} {lr_pre} step 45: {p} {n}"
            );
        }
    }

    #[test]
    fn routing_matters_under_soft_bounds() {
        // With multiplicative bounds [0, 1] and w0 = 0.8, a causal pair potentiates by
        // d·(1 − 0.8) when Hebbian and depresses by d·(0.8 − 0) when anti-Hebbian.
        let d = 0.2 * decay(5);
        let b = Bounds::Multiplicative {
            w_min: 0.0,
            w_max: 1.0,
        };
        let (w, _) = run(A, -A, b, 0.8, &[10], &[15], 20);
        assert!((w - (0.8 + d * 0.2)).abs() < 1e-6, "{w}");
        let (w, _) = run(-A, A, b, 0.8, &[10], &[15], 20);
        assert!((w - (0.8 - d * 0.8)).abs() < 1e-6, "{w}");
        // Hard bounds clip; power bounds scale by the distance to the limit to the power μ.
        let (w, _) = run(
            A,
            -A,
            Bounds::Hard {
                w_min: Some(0.0),
                w_max: Some(0.9),
            },
            0.8,
            &[10],
            &[15],
            20,
        );
        assert_eq!(w, 0.9);
        let (w, _) = run(
            A,
            -A,
            Bounds::Power {
                w_min: 0.0,
                w_max: 1.0,
                mu: 2.0,
            },
            0.8,
            &[10],
            &[15],
            20,
        );
        assert!((w - (0.8 + d * 0.04)).abs() < 1e-6, "{w}");
        let _ = BoundKernel::Unbounded;
    }

    #[test]
    fn inhibitory_projection_learns_within_signed_limits() {
        // Weights in [−1, 0]. Anti-Hebbian signs make a causal pair strengthen inhibition
        // (more negative) and an acausal one weaken it; limits hold.
        let b = Bounds::Hard {
            w_min: Some(-1.0),
            w_max: Some(0.0),
        };
        let d = 0.2 * decay(5);
        let (w, _) = run(-A, A, b, -0.5, &[10], &[15], 20);
        assert!((w - (-0.5 - d)).abs() < 1e-6, "{w}");
        let (w, _) = run(-A, A, b, -0.5, &[15], &[10], 20);
        assert!((w - (-0.5 + d)).abs() < 1e-6, "{w}");
        // Many causal pairs saturate at −1, never beyond.
        let pre: Vec<u64> = (0..40).map(|k| 10 + 30 * k).collect();
        let post: Vec<u64> = pre.iter().map(|s| s + 2).collect();
        let (w, _) = run(-A, A, b, -0.5, &pre, &post, 1300);
        assert_eq!(w, -1.0);
        // Soft bounds with signed limits approach −1 from above.
        // (Equilibrium where the causal depression d·(w + 1) balances the acausal potentiation
        // d'·(0 − w), well below the start.)
        let (w, _) = run(
            -A,
            A,
            Bounds::Multiplicative {
                w_min: -1.0,
                w_max: 0.0,
            },
            -0.5,
            &pre,
            &post,
            1300,
        );
        assert!(w > -1.0 && w < -0.7, "{w}");
    }

    #[test]
    fn validation_names_the_field() {
        let e = Model::validate(&Stdp {
            tau_pre_ms: -3.0,
            ..Stdp::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "tau_pre_ms must be > 0, got -3");
        let e = Model::validate(&Stdp {
            lr_post: f64::NAN,
            ..Stdp::default()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("lr_post"));
        let bad = Stdp {
            bounds: Bounds::Hard {
                w_min: Some(1.0),
                w_max: Some(0.0),
            },
            ..Stdp::default()
        };
        assert!(
            Model::validate(&bad)
                .unwrap_err()
                .to_string()
                .starts_with("bounds.w_max")
        );
    }

    /// Weights and traces after every step of a 13 × 7 projection with random spikes, with
    /// [`stdp_kernel`] on one thread or, with `Some(threads)`, [`stdp_partitioned`].
    fn run_random(conn: &Connectivity, threads: Option<usize>) -> (Vec<Vec<Real>>, PairTraces) {
        let (n_pre, n_post, p) = (13, 7, 0.15);
        let executor = threads.map(|t| Executor::new(t).unwrap());
        let mut lists = Vec::new();
        let mut traces = PairTraces::new(
            n_pre,
            n_post,
            0.1,
            5.0,
            1.0,
            3.0,
            1.0,
            TraceMode::Cumulative,
        );
        let signs = PairSigns {
            post: 1.0,
            pre: -1.0,
        };
        let bounding = WeightBounding::new(
            Bounds::Hard {
                w_min: Some(0.0),
                w_max: Some(0.6),
            },
            UpdateOrder::Combined,
        );
        let mut update = WeightUpdate::new(n_pre * n_post);
        let mut w = vec![0.3; n_pre * n_post];
        let mut seed = 99u64;
        let mut draw = |n: usize| -> Vec<u32> {
            (0..n as u32)
                .filter(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 33) as f64 / (1u64 << 31) as f64) < p
                })
                .collect()
        };
        let mut out = Vec::new();
        for step in 0..400 {
            let (a, b) = (draw(n_pre), draw(n_post));
            if let Some(executor) = &executor {
                let mut active = [StdpProjectionStep {
                    recorded: false,
                    connectivity: conn,
                    arrivals: &a,
                    post: &b,
                    signs,
                    scale: 1.0,
                    bounding: &bounding,
                    traces: &mut traces,
                    update: &mut update,
                    weights: &mut w,
                }];
                stdp_partitioned(executor, &mut lists, &mut active, step);
            } else {
                stdp_kernel(conn, &mut traces, signs, step, &a, &b, &mut update);
                apply_accumulated(&mut update, &mut w, &bounding);
            }
            assert!(update.is_empty());
            out.push(w.clone());
        }
        (out, traces)
    }

    #[test]
    fn partitions_give_the_bits_of_one_thread() {
        let dense = Connectivity::Dense {
            n_pre: 13,
            n_post: 7,
        };
        for conn in [dense.clone(), dense.to_sparse()] {
            let (reference, traces) = run_random(&conn, None);
            let last = reference.last().unwrap();
            assert!(last.iter().filter(|&&w| w != 0.3).count() > 20);
            for threads in [1, 2, 3] {
                let (weights, parted) = run_random(&conn, Some(threads));
                assert!(weights == reference, "{threads} partitions");
                assert!(parted == traces, "{threads} partitions");
            }
        }
    }
}
