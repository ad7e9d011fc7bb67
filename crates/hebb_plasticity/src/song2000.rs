//! `Song2000`: additive pair STDP with unit-jump traces and clipping, in BrainPy's
//! (`bp.dyn.STDP_Song2000`) or Brian2's (`examples/synapses/STDP.py`) timing.
//!
//! ```text
//! x_pre_i  ← α_pre·x_pre_i + [i arrives]            x_post_j ← α_post·x_post_j + [j spikes]
//! on each arriving pre spike i (LTD):  w_ij ← bound(w_ij − a_minus·x_post_j)   for all j
//! on each post spike j (LTP):          w_ij ← bound(w_ij + a_plus·x_pre_i)     for all i
//! ```
//!
//! Depression is applied and bounded before potentiation (the weight update runs with
//! `UpdateOrder::DepressionFirst`), so a pre and a post event in the same step give
//! `bound(bound(w − LTD) + LTP)`: with `Hard(w_min: 0, w_max: 1)`, 0.5 − 0.53 → 0 → 0.96, as
//! BrainPy (docs/upstream-models.md §4(d)).
//!
//! ## Timing
//! - `BrainPy`: the projection updates *before* it transmits (its `update()` runs first in the
//!   network step). In step `s`, during `SynapticStp`, the spikes arriving at step `s` depress
//!   with the postsynaptic trace of step `s − 1`, the postsynaptic spikes of step `s − 1`
//!   potentiate with the presynaptic trace of step `s − 1`, and the weights are bounded; the
//!   transmission of step `s` then carries the updated weight. The traces take the arrivals and
//!   spikes of step `s` in the `Plasticity` stage. This reproduces BrainPy's observed order
//!   exactly (refs README §D). BrainPy's rotating delay delivers a spike emitted at step `k`
//!   at step `k + max(1, d − 1)` (`d = delay/dt`): give hebb the delay BrainPy effectively
//!   applies (`0.8 ms` for BrainPy's `1 ms` at dt 0.1 ms, since a hebb neuron's spike at `k`
//!   arrives at `k + 1 + d`).
//! - `Brian2`: in the `Plasticity` stage of step `s`, Brian's synapse order (pre pathway before
//!   post pathway): the presynaptic trace takes this step's arrivals, the arrivals depress with
//!   the postsynaptic trace *before* this step's post spikes, then the postsynaptic trace takes
//!   them and they potentiate with the presynaptic trace that includes this step's arrivals.
//!   The transmission of step `s` used the weight before the update (Brian's `ge += w` first).
//!
//! Brian2's parameters map as `a_plus = dApre`, `a_minus = −dApost`, `bounds = Hard(w_min: 0,
//! w_max: gmax)`, `tau_pre_ms = taupre`, `tau_post_ms = taupost`.
//!
//! | parameter | unit | default | meaning |
//! |---|---|---|---|
//! | `tau_pre_ms` | ms | 16.8 | presynaptic trace time constant (BrainPy `tau_s`, Brian `taupre`) |
//! | `tau_post_ms` | ms | 33.7 | postsynaptic trace time constant (BrainPy `tau_t`, Brian `taupost`) |
//! | `a_plus` | 1 | 0.96 | potentiation per post spike × unit pre trace (BrainPy `A1`, Brian `dApre`) |
//! | `a_minus` | 1 | 0.53 | depression per pre spike × unit post trace (BrainPy `A2`, Brian `−dApost`) |
//! | `bounds` | — | `Unbounded` | BrainPy `W_min`/`W_max` → `Hard(w_min:, w_max:)`; any [`Bounds`] works |
//! | `timing` | — | `BrainPy` | `BrainPy` or `Brian2` (see above) |
//!
//! Recordable: `trace_pre`, `trace_post` (unit-jump traces: BrainPy's `Apre`, `Apost`).
//!
//! References: Song, Miller & Abbott (2000) Nat. Neurosci. 3:919–926; BrainPy 2.8.2
//! `brainpy/dyn/projections/plasticity.py::STDP_Song2000`; Brian2 `examples/synapses/STDP.py`;
//! `docs/plasticity/song2000.md`.

use bevy_ecs::prelude::*;
use hebb_core::Real;
use hebb_core::clock::Clock;
use hebb_core::connectivity::Connectivity;
use hebb_core::error::{BuildError, ParamError};
use hebb_core::params::check;
use hebb_core::population::Spikes;
use hebb_core::prelude::{Plugin, Simulation, Stage};
use hebb_core::projection::{Arrivals, Projection, Weights};
use hebb_core::record::RecordedEvery;
use hebb_core::registry::{AttachContext, Model, ModelKind, ParamDoc};
use serde::{Deserialize, Serialize};

use crate::bounds::{BoundKernel, Bounds, UpdateOrder};
use crate::pair::{PairTraces, recorded_at};
use crate::trace::TraceMode;
use crate::update::{WeightBounding, WeightUpdate, apply_accumulated};

/// When `Song2000` updates relative to transmission and its traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Song2000Timing {
    /// BrainPy's `STDP_Song2000`: update before transmission, from the previous step's traces
    /// and postsynaptic spikes.
    #[default]
    BrainPy,
    /// Brian2's example: after the neuron step, LTD (pre pathway) before LTP (post pathway).
    Brian2,
}

/// Additive STDP of Song, Miller & Abbott (2000).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Song2000 {
    /// Presynaptic trace time constant, ms. Default 16.8 (BrainPy's `tau_s`).
    pub tau_pre_ms: f64,
    /// Postsynaptic trace time constant, ms. Default 33.7 (BrainPy's `tau_t`).
    pub tau_post_ms: f64,
    /// Potentiation per postsynaptic spike per unit presynaptic trace. Default 0.96 (`A1`).
    pub a_plus: f64,
    /// Depression per presynaptic spike per unit postsynaptic trace. Default 0.53 (`A2`).
    pub a_minus: f64,
    /// Weight bounds. Default `Unbounded` (BrainPy's `W_min = W_max = None`).
    pub bounds: Bounds,
    /// Update timing. Default `BrainPy`.
    pub timing: Song2000Timing,
}

impl Default for Song2000 {
    fn default() -> Self {
        Self {
            tau_pre_ms: 16.8,
            tau_post_ms: 33.7,
            a_plus: 0.96,
            a_minus: 0.53,
            bounds: Bounds::Unbounded,
            timing: Song2000Timing::BrainPy,
        }
    }
}

/// The tag of the `SynapticStp` system that only BrainPy-timed projections need
/// ([`song2000_pre_transmission_step`]): it joins the schedule with the first such projection.
pub const BRAINPY_TIMING: &str = "Song2000(timing: BrainPy)";

/// State of a [`Song2000`] projection besides its traces.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Song2000Rule {
    /// Potentiation per unit presynaptic trace.
    pub a_plus: Real,
    /// Depression per unit postsynaptic trace.
    pub a_minus: Real,
    /// Timing.
    pub timing: Song2000Timing,
    /// Postsynaptic spikes of the previous step (BrainPy timing).
    pub previous_post: Vec<u32>,
}

impl Model for Song2000 {
    const NAME: &'static str = "Song2000";
    const KIND: ModelKind = ModelKind::Plasticity;
    const SUMMARY: &'static str =
        "additive STDP with unit-jump traces and clipping (Song et al. 2000; BrainPy, Brian2)";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "tau_pre_ms",
            unit: "ms",
            doc: "presynaptic trace time constant (BrainPy tau_s, Brian taupre)",
        },
        ParamDoc {
            name: "tau_post_ms",
            unit: "ms",
            doc: "postsynaptic trace time constant (BrainPy tau_t, Brian taupost)",
        },
        ParamDoc {
            name: "a_plus",
            unit: "1",
            doc: "potentiation per post spike per unit pre trace (BrainPy A1, Brian dApre)",
        },
        ParamDoc {
            name: "a_minus",
            unit: "1",
            doc: "depression per pre spike per unit post trace (BrainPy A2, Brian -dApost)",
        },
        ParamDoc {
            name: "bounds",
            unit: "-",
            doc: "Unbounded | Hard(w_min, w_max) | Multiplicative(...) | Power(...); applied after LTD, then after LTP",
        },
        ParamDoc {
            name: "timing",
            unit: "-",
            doc: "BrainPy (update before transmission, previous step's post spikes) or Brian2 (after the neuron step)",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_pre_ms", self.tau_pre_ms)?;
        check::positive("tau_post_ms", self.tau_post_ms)?;
        check::finite("a_plus", self.a_plus)?;
        check::finite("a_minus", self.a_minus)?;
        self.bounds.validate("bounds")
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        let traces = PairTraces::new(
            shape.n_pre,
            shape.n_post,
            ctx.dt_ms,
            self.tau_pre_ms,
            1.0,
            self.tau_post_ms,
            1.0,
            TraceMode::Cumulative,
        );
        if self.timing == Song2000Timing::BrainPy {
            ctx.use_systems(BRAINPY_TIMING);
        }
        // Its systems apply their accumulated changes themselves.
        ctx.without_kind_systems();
        ctx.entity_mut().insert((
            traces,
            WeightUpdate::new(shape.n_synapses),
            WeightBounding::new(self.bounds, UpdateOrder::DepressionFirst),
            Song2000Rule {
                a_plus: self.a_plus as Real,
                a_minus: self.a_minus as Real,
                timing: self.timing,
                previous_post: Vec::new(),
            },
        ));
        Ok(())
    }
}

/// Depression of every synapse of every arriving presynaptic neuron by `a_minus·x_post_j` at the
/// traces' current step.
#[inline]
fn depress_on_arrivals(
    connectivity: &Connectivity,
    traces: &PairTraces,
    a_minus: Real,
    arrivals: &[u32],
    update: &mut WeightUpdate,
) {
    for &i in arrivals {
        connectivity.for_each_outgoing(i as usize, |s, j| {
            update.add_value(s, -(a_minus * traces.post.value(j)));
        });
    }
}

/// Potentiation of every synapse onto every spiking postsynaptic neuron by `a_plus·x_pre_i` at
/// the traces' current step.
#[inline]
fn potentiate_on_post(
    connectivity: &Connectivity,
    traces: &PairTraces,
    a_plus: Real,
    post_spikes: &[u32],
    update: &mut WeightUpdate,
) {
    for &j in post_spikes {
        connectivity.for_each_incoming(j as usize, |s, i| {
            update.add_value(s, a_plus * traces.pre.value(i));
        });
    }
}

/// The `Plasticity`-stage kernel of step `step`: Brian2 timing (traces, LTD, LTP) or BrainPy
/// timing (traces only; remembers the post spikes for the next step's update).
#[inline]
pub fn song2000_after_neurons(
    connectivity: &Connectivity,
    traces: &mut PairTraces,
    rule: &mut Song2000Rule,
    step: u64,
    arrivals: &[u32],
    post_spikes: &[u32],
    update: &mut WeightUpdate,
) {
    traces.seek(step);
    traces.pre.spike_all(arrivals);
    match rule.timing {
        Song2000Timing::Brian2 => {
            depress_on_arrivals(connectivity, traces, rule.a_minus, arrivals, update);
            traces.post.spike_all(post_spikes);
            potentiate_on_post(connectivity, traces, rule.a_plus, post_spikes, update);
        }
        Song2000Timing::BrainPy => {
            traces.post.spike_all(post_spikes);
            rule.previous_post.clear();
            rule.previous_post.extend_from_slice(post_spikes);
        }
    }
}

/// Whether Brian2-timed changes can be applied to the weights as the events come (Brian2's own
/// order) instead of through the accumulator, with the same result: arrivals only depress and
/// post spikes only potentiate (`a_minus, a_plus ≥ 0`; the traces are ≥ 0), depression comes
/// first in the step as in `UpdateOrder::DepressionFirst`, each synapse gets at most one of each
/// per step (one arrival per presynaptic neuron, one spike per postsynaptic neuron), and the
/// bounds are hard or absent, for which a zero change and a second clip are exact no-ops. Then
/// `bound(bound(w − LTD) + LTP)` is computed with the same operations either way (the sign of
/// a zero weight aside).
#[inline]
pub fn brian2_in_place(rule: &Song2000Rule, bounding: &WeightBounding) -> bool {
    rule.timing == Song2000Timing::Brian2
        && rule.a_plus >= 0.0
        && rule.a_minus >= 0.0
        && bounding.order == UpdateOrder::DepressionFirst
        && matches!(
            bounding.kernel,
            BoundKernel::Hard { .. } | BoundKernel::Unbounded
        )
}

/// The `Plasticity`-stage kernel in Brian2 timing when [`brian2_in_place`] holds, with the
/// traces already at the step ([`PairTraces::seek`]): the same events and traces as
/// [`song2000_after_neurons`], each change bounded into the weight at once (as Brian2's
/// `w = clip(w + Apost, 0, gmax)`), no accumulator.
#[inline]
pub fn song2000_brian2_in_place(
    connectivity: &Connectivity,
    traces: &mut PairTraces,
    rule: &Song2000Rule,
    kernel: BoundKernel,
    arrivals: &[u32],
    post_spikes: &[u32],
    w: &mut [Real],
) {
    traces.pre.spike_all(arrivals);
    let (a_plus, a_minus) = (rule.a_plus, rule.a_minus);
    for &i in arrivals {
        connectivity.for_each_outgoing(i as usize, |s, j| {
            w[s] = kernel.depress(w[s], a_minus * traces.post.value(j));
        });
    }
    traces.post.spike_all(post_spikes);
    for &j in post_spikes {
        let pre = &traces.pre;
        match connectivity {
            // The column of a dense matrix with one postsynaptic neuron is the whole weight
            // array: a plain loop the compiler vectorizes.
            Connectivity::Dense { n_post: 1, .. } => {
                let f = pre.scale();
                for (w, &y) in w.iter_mut().zip(pre.scaled()) {
                    *w = kernel.potentiate(*w, a_plus * (y * f));
                }
            }
            _ => connectivity.for_each_incoming(j as usize, |s, i| {
                w[s] = kernel.potentiate(w[s], a_plus * pre.value(i));
            }),
        }
    }
}

/// The `SynapticStp`-stage kernel of step `step` (BrainPy timing): LTD for this step's arrivals
/// and LTP for the previous step's post spikes, both with the traces of the previous step.
#[inline]
pub fn song2000_before_transmission(
    connectivity: &Connectivity,
    traces: &mut PairTraces,
    rule: &Song2000Rule,
    step: u64,
    arrivals: &[u32],
    update: &mut WeightUpdate,
) {
    if rule.timing != Song2000Timing::BrainPy || step == 0 {
        return;
    }
    traces.seek(step - 1);
    depress_on_arrivals(connectivity, traces, rule.a_minus, arrivals, update);
    potentiate_on_post(
        connectivity,
        traces,
        rule.a_plus,
        &rule.previous_post,
        update,
    );
}

/// What [`song2000_pre_transmission_step`] reads and writes of each Song2000 projection.
type PreTransmission<'a> = (
    &'a Connectivity,
    &'a Arrivals,
    &'a Song2000Rule,
    &'a WeightBounding,
    &'a mut PairTraces,
    &'a mut WeightUpdate,
    &'a mut Weights,
);

/// `SynapticStp` system of [`Song2000`] (BrainPy timing): accumulate this step's
/// pre-transmission LTD and LTP and apply them with the projection's bounds through
/// [`WeightUpdate::apply_to`] (the same function as [`crate::update::apply_weight_updates`]), so
/// that this step's transmission carries the updated weight.
pub fn song2000_pre_transmission_step(clock: Clock, mut projections: Query<PreTransmission>) {
    for (connectivity, arrivals, rule, bounding, mut traces, mut update, mut weights) in
        &mut projections
    {
        if rule.timing != Song2000Timing::BrainPy {
            continue;
        }
        song2000_before_transmission(
            connectivity,
            &mut traces,
            rule,
            clock.step,
            &arrivals.pre,
            &mut update,
        );
        if !update.is_empty() {
            update.apply_to(&mut weights.w, bounding.kernel, bounding.order);
        }
    }
}

/// What [`song2000_step`] reads and writes of each Song2000 projection.
type AfterNeurons<'a> = (
    Option<&'a RecordedEvery>,
    &'a Projection,
    &'a Connectivity,
    &'a Arrivals,
    &'a WeightBounding,
    &'a mut Song2000Rule,
    &'a mut PairTraces,
    &'a mut WeightUpdate,
    &'a mut Weights,
);

/// `Plasticity` system of [`Song2000`].
pub fn song2000_step(clock: Clock, mut projections: Query<AfterNeurons>, spikes: Query<&Spikes>) {
    for (
        recorded,
        projection,
        connectivity,
        arrivals,
        bounding,
        mut rule,
        mut traces,
        mut update,
        mut weights,
    ) in &mut projections
    {
        let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
        if brian2_in_place(&rule, bounding) {
            traces.seek(clock.step);
            if !arrivals.pre.is_empty() || !post.is_empty() {
                song2000_brian2_in_place(
                    connectivity,
                    &mut traces,
                    &rule,
                    bounding.kernel,
                    &arrivals.pre,
                    post,
                    &mut weights.w,
                );
            }
        } else {
            song2000_after_neurons(
                connectivity,
                &mut traces,
                &mut rule,
                clock.step,
                &arrivals.pre,
                post,
                &mut update,
            );
            apply_accumulated(&mut update, &mut weights.w, bounding);
        }
        if recorded_at(recorded, clock.step) {
            traces.refresh_views_at(clock.step);
        }
    }
}

/// Registers [`Song2000`] and its systems (one in `SynapticStp`, one in `Plasticity`).
pub struct Song2000Plugin;

impl Plugin for Song2000Plugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Song2000>()
            .register_variables::<PairTraces>()
            .register_snapshot::<PairTraces>()
            .register_snapshot::<Song2000Rule>();
        sim.add_systems_for(
            &[BRAINPY_TIMING],
            Stage::SynapticStp,
            song2000_pre_transmission_step,
        );
        sim.add_model_systems::<Song2000, _>(Stage::Plasticity, song2000_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct One {
        conn: Connectivity,
        traces: PairTraces,
        rule: Song2000Rule,
        update: WeightUpdate,
        w: Vec<Real>,
        bounds: Bounds,
    }

    impl One {
        fn new(timing: Song2000Timing, bounds: Bounds, w0: Real) -> Self {
            Self {
                conn: Connectivity::Dense {
                    n_pre: 1,
                    n_post: 1,
                },
                traces: PairTraces::new(1, 1, 0.1, 16.8, 1.0, 33.7, 1.0, TraceMode::Cumulative),
                rule: Song2000Rule {
                    a_plus: 0.96,
                    a_minus: 0.53,
                    timing,
                    previous_post: Vec::new(),
                },
                update: WeightUpdate::new(1),
                w: vec![w0],
                bounds,
            }
        }

        /// One step with `arrive` presynaptic arrival and `post` spike, in the stage order.
        fn step(&mut self, s: u64, arrive: bool, post: bool) -> Real {
            let a: &[u32] = if arrive { &[0] } else { &[] };
            let p: &[u32] = if post { &[0] } else { &[] };
            let k = self.bounds.kernel();
            song2000_before_transmission(
                &self.conn,
                &mut self.traces,
                &self.rule,
                s,
                a,
                &mut self.update,
            );
            self.update
                .apply_to(&mut self.w, k, UpdateOrder::DepressionFirst);
            song2000_after_neurons(
                &self.conn,
                &mut self.traces,
                &mut self.rule,
                s,
                a,
                p,
                &mut self.update,
            );
            self.update
                .apply_to(&mut self.w, k, UpdateOrder::DepressionFirst);
            self.w[0]
        }
    }

    fn run(
        timing: Song2000Timing,
        bounds: Bounds,
        arrive: &[u64],
        post: &[u64],
        steps: u64,
    ) -> Vec<Real> {
        let mut one = One::new(timing, bounds, 0.5);
        (0..steps)
            .map(|s| one.step(s, arrive.contains(&s), post.contains(&s)))
            .collect()
    }

    #[test]
    fn brainpy_observations_of_models_md() {
        // docs/upstream-models.md §4(d), observed in BrainPy (delay 0, where BrainPy's pre trace takes a spike
        // one step before the projection sees it). In hebb's BrainPy timing the pre trace and
        // the LTD see an arrival at the same step, so the same trace values arise from:
        // - same-step pre+post (w0 = 0.5): both spikes in the traces when the projection
        //   updates next, i.e. arrivals at 10 (trace) and 11 (LTD), post at 10:
        //   0.5 − 0.53 + 0.96 = 0.93 unbounded; with [0, 1]: 0.5 − 0.53 → 0 → 0.96.
        let hard = Bounds::Hard {
            w_min: Some(0.0),
            w_max: Some(1.0),
        };
        let w = run(Song2000Timing::BrainPy, hard, &[10, 11], &[10], 14);
        assert_eq!(w[10], 0.5);
        assert!((w[11] - 0.96).abs() < 1e-6, "{}", w[11]);
        let w = run(
            Song2000Timing::BrainPy,
            Bounds::Unbounded,
            &[10, 11],
            &[10],
            14,
        );
        assert!((w[11] - 0.93).abs() < 1e-6, "{}", w[11]);
        // - pre at 2, post at 5 → +0.96·e^{-0.3/16.8} = 1.44301 (LTP at the update of step 6);
        let w = run(Song2000Timing::BrainPy, Bounds::Unbounded, &[2], &[5], 8);
        assert_eq!(w[5], 0.5);
        assert!((w[6] - 1.44301).abs() < 1e-5, "{}", w[6]);
        // - reversed, post at 2 and the pre spike reaching the synapse at 6 → −0.53·e^{-0.3/33.7}
        //   = −0.0253 (0.5 − 0.5253).
        let w = run(Song2000Timing::BrainPy, Bounds::Unbounded, &[6], &[2], 8);
        assert_eq!(w[5], 0.5);
        assert!((w[6] - (-0.0253)).abs() < 1e-4, "{}", w[6]);
    }

    #[test]
    fn brainpy_ltp_uses_previous_steps_post_spike_and_trace() {
        // Post at step 20, arrival at step 10: LTP happens at step 21 with Apre(20) = α^10.
        let w = run(Song2000Timing::BrainPy, Bounds::Unbounded, &[10], &[20], 25);
        assert_eq!(w[20], 0.5);
        let apre = (-1.0f64 / 16.8).exp() as Real;
        assert!((w[21] - (0.5 + 0.96 * apre)).abs() < 1e-6);
        // Post at 10, arrival at 20: LTD at step 20 with Apost(19) = α_post^9.
        let w = run(Song2000Timing::BrainPy, Bounds::Unbounded, &[20], &[10], 25);
        let apost = (-0.9f64 / 33.7).exp() as Real;
        assert_eq!(w[19], 0.5);
        assert!((w[20] - (0.5 - 0.53 * apost)).abs() < 1e-6);
    }

    #[test]
    fn brian2_order_within_a_step() {
        // Same step: LTD reads Apost before this step's post spike (0), LTP reads Apre including
        // this step's arrival (1): w = clip(clip(w − 0) + a_plus).
        let hard = Bounds::Hard {
            w_min: Some(0.0),
            w_max: Some(1.0),
        };
        let w = run(Song2000Timing::Brian2, hard, &[7], &[7], 9);
        assert!((w[7] - 1.0).abs() < 1e-6 && w[6] == 0.5);
        let w = run(Song2000Timing::Brian2, Bounds::Unbounded, &[7], &[7], 9);
        assert!((w[7] - 1.46).abs() < 1e-6);
        // Causal pair 10 → 20 (1 ms): +0.96·e^{-1/16.8} at step 20; acausal: −0.53·e^{-1/33.7}.
        let w = run(Song2000Timing::Brian2, Bounds::Unbounded, &[10], &[20], 22);
        assert!(
            (w[20] - (0.5 + 0.96 * (-1.0f64 / 16.8).exp() as Real)).abs() < 1e-6 && w[19] == 0.5
        );
        let w = run(Song2000Timing::Brian2, Bounds::Unbounded, &[20], &[10], 22);
        assert!((w[20] - (0.5 - 0.53 * (-1.0f64 / 33.7).exp() as Real)).abs() < 1e-6);
    }

    #[test]
    fn validation() {
        let e = Model::validate(&Song2000 {
            tau_pre_ms: -3.0,
            ..Song2000::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "tau_pre_ms must be > 0, got -3");
        let e = Model::validate(&Song2000 {
            a_minus: f64::NAN,
            ..Song2000::default()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("a_minus"));
    }
}
