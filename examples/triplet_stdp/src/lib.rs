//! # `TripletStdp` — triplet spike-timing-dependent plasticity, as an out-of-tree hebb plugin
//!
//! The minimal all-to-all triplet rule of Pfister & Gerstner (2006). This crate depends only on
//! hebb's public API (the `hebb` facade): it registers the rule's name and params with the model
//! registry, so scenes use it exactly like a built-in rule (`plasticity: TripletStdp(…)`).
//!
//! ## Equations
//! Four spike traces, all-to-all (every earlier spike counts), each decaying exponentially:
//! two per presynaptic neuron (`r1` with τ₊, `r2` with τ_x), two per postsynaptic neuron
//! (`o1` with τ₋, `o2` with τ_y). `t − ε` means "just before this spike's own jump".
//!
//! ```text
//! dr1/dt = −r1/τ₊     dr2/dt = −r2/τ_x     do1/dt = −o1/τ₋     do2/dt = −o2/τ_y
//!
//! presynaptic spike (arriving at the synapse) at t:
//!     w ← w − o1(t) · (A2− + A3− · r2(t − ε))        then r1 += 1, r2 += 1
//! postsynaptic spike at t:
//!     w ← w + r1(t) · (A2+ + A3+ · o2(t − ε))        then o1 += 1, o2 += 1
//! ```
//!
//! Depression and potentiation go into hebb's weight accumulator (`WeightUpdate`), and the one
//! weight-update system of `hebb_plasticity` applies them with the projection's `bounds`.
//!
//! **Same-step spikes.** When a presynaptic arrival and a postsynaptic spike fall in the same
//! step, the presynaptic one is handled first (as Brian2 runs the `pre` pathway before `post`):
//! its depression reads `o1` without this step's post spike, then the post spike's potentiation
//! reads `r1` including this step's arrival. A same-step pair counts as Δt = 0⁺ (causal).
//!
//! **Timing in hebb.** Presynaptic spikes are taken as they *arrive* at the synapse
//! (`Arrivals.pre`, after the projection's delay); postsynaptic spikes are the post
//! population's `Spikes` of the step.
//!
//! ## Parameters
//! Defaults: the visual-cortex data set, minimal all-to-all model (Pfister & Gerstner 2006,
//! Table 4).
//!
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `tau_plus_ms` | ms | 16.8 | τ₊, presynaptic trace `r1` (pair potentiation) |
//! | `tau_minus_ms` | ms | 33.7 | τ₋, postsynaptic trace `o1` (pair depression) |
//! | `tau_x_ms` | ms | 101 | τ_x, presynaptic trace `r2` (triplet depression; unused when A3− = 0) |
//! | `tau_y_ms` | ms | 114 | τ_y, postsynaptic trace `o2` (triplet potentiation) |
//! | `a2_plus` | 1 | 0 | A2+, pair potentiation amplitude |
//! | `a3_plus` | 1 | 6.5e-3 | A3+, triplet potentiation amplitude |
//! | `a2_minus` | 1 | 7.1e-3 | A2−, pair depression amplitude |
//! | `a3_minus` | 1 | 0 | A3−, triplet depression amplitude |
//! | `bounds` | — | `Unbounded` | `Hard(w_min, w_max)`, `Multiplicative(…)`, `Power(…)` |
//!
//! Amplitudes are ≥ 0 (their roles, potentiation or depression, are fixed by the equations).
//!
//! Reference: J.-P. Pfister & W. Gerstner (2006), *Triplets of spikes in a model of spike
//! timing-dependent plasticity*, J. Neurosci. 26(38):9673–9682, Table 4 (visual cortex,
//! minimal all-to-all). The time constants τ₊ = 16.8 ms, τ₋ = 33.7 ms and τ_x = 101 ms are also
//! the defaults of NESTML's `stdp_triplet_synapse` (whose amplitudes and τ_y = 125 ms are the
//! *full* model's); NEST's `stdp_triplet_synapse` documents the same trace names (`r1`, `r2`,
//! `o1`, `o2`) and all-to-all interaction. See `docs/writing-a-plugin.md`.

use hebb::core::bevy_ecs;
use hebb::plasticity::WeightUpdatePlugin;
use hebb::plasticity::bounds::{Bounds, UpdateOrder};
use hebb::plasticity::pair::recorded_at;
use hebb::plasticity::trace::{SpikeTrace, TraceMode};
use hebb::plasticity::update::{WeightBounding, WeightUpdate, apply_weight_updates};
use hebb::prelude::*;
use serde::{Deserialize, Serialize};

/// Triplet STDP params (scene name `TripletStdp`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TripletStdp {
    /// τ₊ of the presynaptic trace `r1`, ms. Default 16.8.
    pub tau_plus_ms: f64,
    /// τ₋ of the postsynaptic trace `o1`, ms. Default 33.7.
    pub tau_minus_ms: f64,
    /// τ_x of the presynaptic trace `r2`, ms. Default 101.
    pub tau_x_ms: f64,
    /// τ_y of the postsynaptic trace `o2`, ms. Default 114.
    pub tau_y_ms: f64,
    /// A2+, pair potentiation amplitude (≥ 0). Default 0.
    pub a2_plus: f64,
    /// A3+, triplet potentiation amplitude (≥ 0). Default 6.5e-3.
    pub a3_plus: f64,
    /// A2−, pair depression amplitude (≥ 0). Default 7.1e-3.
    pub a2_minus: f64,
    /// A3−, triplet depression amplitude (≥ 0). Default 0.
    pub a3_minus: f64,
    /// Weight bounds. Default `Unbounded`.
    pub bounds: Bounds,
}

impl TripletStdp {
    /// The visual-cortex parameters of the minimal all-to-all model (Pfister & Gerstner 2006,
    /// Table 4), unbounded.
    pub fn visual_cortex() -> Self {
        Self {
            tau_plus_ms: 16.8,
            tau_minus_ms: 33.7,
            tau_x_ms: 101.0,
            tau_y_ms: 114.0,
            a2_plus: 0.0,
            a3_plus: 6.5e-3,
            a2_minus: 7.1e-3,
            a3_minus: 0.0,
            bounds: Bounds::Unbounded,
        }
    }
}

impl Default for TripletStdp {
    fn default() -> Self {
        Self::visual_cortex()
    }
}

/// The four traces of a triplet projection: `r1`, `r2` per presynaptic neuron, `o1`, `o2` per
/// postsynaptic neuron, O(neurons) state. Recordable by those names.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TripletTraces {
    /// Presynaptic trace with τ₊.
    pub r1: SpikeTrace,
    /// Presynaptic trace with τ_x.
    pub r2: SpikeTrace,
    /// Postsynaptic trace with τ₋.
    pub o1: SpikeTrace,
    /// Postsynaptic trace with τ_y.
    pub o2: SpikeTrace,
}

impl TripletTraces {
    /// Zero traces for `n_pre × n_post` at time step `dt_ms`.
    pub fn new(params: &TripletStdp, n_pre: usize, n_post: usize, dt_ms: f64) -> Self {
        let trace = |n, tau| SpikeTrace::new(n, tau, dt_ms, 1.0, TraceMode::Cumulative);
        Self {
            r1: trace(n_pre, params.tau_plus_ms),
            r2: trace(n_pre, params.tau_x_ms),
            o1: trace(n_post, params.tau_minus_ms),
            o2: trace(n_post, params.tau_y_ms),
        }
    }

    fn seek(&mut self, step: u64) {
        self.r1.seek(step);
        self.r2.seek(step);
        self.o1.seek(step);
        self.o2.seek(step);
    }

    fn refresh_views_at(&mut self, step: u64) {
        self.r1.refresh_view_at(step);
        self.r2.refresh_view_at(step);
        self.o1.refresh_view_at(step);
        self.o2.refresh_view_at(step);
    }
}

impl StateVariables for TripletTraces {
    const VARIABLES: &'static [&'static str] = &["r1", "r2", "o1", "o2"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        match name {
            "r1" => Some(self.r1.view()),
            "r2" => Some(self.r2.view()),
            "o1" => Some(self.o1.view()),
            "o2" => Some(self.o2.view()),
            _ => None,
        }
    }
}

/// The amplitudes of a triplet projection, in `Real`.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct TripletAmplitudes {
    /// A2+.
    pub a2_plus: Real,
    /// A3+.
    pub a3_plus: Real,
    /// A2−.
    pub a2_minus: Real,
    /// A3−.
    pub a3_minus: Real,
}

/// Marks a projection that learns with [`TripletStdp`].
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct TripletRule;

impl Model for TripletStdp {
    const NAME: &'static str = "TripletStdp";
    const KIND: ModelKind = ModelKind::Plasticity;
    const SUMMARY: &'static str =
        "triplet STDP, minimal all-to-all model (Pfister & Gerstner 2006), an out-of-tree plugin";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "tau_plus_ms",
            unit: "ms",
            doc: "time constant of the presynaptic trace r1 (pair potentiation)",
        },
        ParamDoc {
            name: "tau_minus_ms",
            unit: "ms",
            doc: "time constant of the postsynaptic trace o1 (pair depression)",
        },
        ParamDoc {
            name: "tau_x_ms",
            unit: "ms",
            doc: "time constant of the presynaptic trace r2 (triplet depression)",
        },
        ParamDoc {
            name: "tau_y_ms",
            unit: "ms",
            doc: "time constant of the postsynaptic trace o2 (triplet potentiation)",
        },
        ParamDoc {
            name: "a2_plus",
            unit: "1",
            doc: "pair potentiation amplitude A2+ (>= 0)",
        },
        ParamDoc {
            name: "a3_plus",
            unit: "1",
            doc: "triplet potentiation amplitude A3+ (>= 0)",
        },
        ParamDoc {
            name: "a2_minus",
            unit: "1",
            doc: "pair depression amplitude A2- (>= 0)",
        },
        ParamDoc {
            name: "a3_minus",
            unit: "1",
            doc: "triplet depression amplitude A3- (>= 0)",
        },
        ParamDoc {
            name: "bounds",
            unit: "-",
            doc: "Unbounded | Hard(w_min, w_max) | Multiplicative(w_min, w_max) | Power(w_min, w_max, mu)",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_plus_ms", self.tau_plus_ms)?;
        check::positive("tau_minus_ms", self.tau_minus_ms)?;
        check::positive("tau_x_ms", self.tau_x_ms)?;
        check::positive("tau_y_ms", self.tau_y_ms)?;
        check::non_negative("a2_plus", self.a2_plus)?;
        check::non_negative("a3_plus", self.a3_plus)?;
        check::non_negative("a2_minus", self.a2_minus)?;
        check::non_negative("a3_minus", self.a3_minus)?;
        self.bounds.validate("bounds")
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        let traces = TripletTraces::new(self, shape.n_pre, shape.n_post, ctx.dt_ms);
        ctx.entity_mut().insert((
            traces,
            TripletAmplitudes {
                a2_plus: self.a2_plus as Real,
                a3_plus: self.a3_plus as Real,
                a2_minus: self.a2_minus as Real,
                a3_minus: self.a3_minus as Real,
            },
            WeightUpdate::new(shape.n_synapses),
            WeightBounding::new(self.bounds, UpdateOrder::Combined),
            TripletRule,
        ));
        Ok(())
    }
}

/// One step of the triplet rule on one projection: depression for every arriving presynaptic
/// spike, potentiation for every postsynaptic spike, written into `update`; then the traces
/// take this step's spikes. Pure over its arguments (no World), O(spikes × fan-out).
#[inline]
pub fn triplet_kernel(
    connectivity: &Connectivity,
    traces: &mut TripletTraces,
    amplitudes: TripletAmplitudes,
    step: u64,
    arrivals: &[u32],
    post_spikes: &[u32],
    update: &mut WeightUpdate,
) {
    if arrivals.is_empty() && post_spikes.is_empty() {
        return;
    }
    traces.seek(step);
    let TripletAmplitudes {
        a2_plus,
        a3_plus,
        a2_minus,
        a3_minus,
    } = amplitudes;
    // Presynaptic arrivals first: o1 and r2 without this step's jumps.
    for &i in arrivals {
        let i = i as usize;
        let factor = a2_minus + a3_minus * traces.r2.value(i);
        let o1 = &traces.o1;
        connectivity.for_each_outgoing(i, |s, j| update.depress(s, o1.value(j) * factor));
    }
    traces.r1.spike_all(arrivals);
    traces.r2.spike_all(arrivals);
    // Postsynaptic spikes: r1 including this step's arrivals, o2 without this step's jump.
    for &j in post_spikes {
        let j = j as usize;
        let factor = a2_plus + a3_plus * traces.o2.value(j);
        let r1 = &traces.r1;
        connectivity.for_each_incoming(j, |s, i| update.potentiate(s, r1.value(i) * factor));
    }
    traces.o1.spike_all(post_spikes);
    traces.o2.spike_all(post_spikes);
}

/// What [`triplet_step`] reads and writes of each triplet projection.
type TripletProjection<'a> = (
    Entity,
    &'a Projection,
    &'a Connectivity,
    &'a Arrivals,
    &'a TripletAmplitudes,
    &'a mut TripletTraces,
    &'a mut WeightUpdate,
);

/// `Plasticity` system of [`TripletStdp`].
pub fn triplet_step(
    clock: Res<Clock>,
    recorders: Res<Recorders>,
    mut projections: Query<TripletProjection, With<TripletRule>>,
    spikes: Query<&Spikes>,
) {
    for (entity, projection, connectivity, arrivals, amplitudes, mut traces, mut update) in
        &mut projections
    {
        let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
        triplet_kernel(
            connectivity,
            &mut traces,
            *amplitudes,
            clock.step,
            &arrivals.pre,
            post,
            &mut update,
        );
        if recorded_at(&recorders, entity, clock.step) {
            traces.refresh_views_at(clock.step);
        }
    }
}

/// Registers [`TripletStdp`] (name, params, recordable traces, snapshot state) and its system.
///
/// Add it before or after `DefaultPlugins`: before, hebb's one weight-update system (added by
/// `DefaultPlugins` at the end of the `Plasticity` stage) applies the rule's changes in the same
/// step; after, the plugin places that system once more right after the rule, so the order of
/// `add_plugins` never delays a change. Without `DefaultPlugins` (or
/// `hebb::plasticity::WeightUpdatePlugin`) added after it, no weight-update system exists.
pub struct TripletStdpPlugin;

impl Plugin for TripletStdpPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<TripletStdp>()
            .register_variables::<TripletTraces>()
            .register_snapshot::<TripletTraces>()
            .register_snapshot::<WeightUpdate>();
        sim.add_model_systems::<TripletStdp, _>(Stage::Plasticity, triplet_step);
        let update_plugin = std::any::type_name::<WeightUpdatePlugin>();
        if sim.plugin_names().iter().any(|n| n == update_plugin) {
            sim.add_model_systems::<TripletStdp, _>(Stage::Plasticity, apply_weight_updates);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f64 = 0.1;

    /// One synapse; `pre`/`post` are spike steps. Returns the weight after `steps` (w0 = 0,
    /// unbounded) and the (step, pos, neg) of every step with a change.
    fn run(
        params: &TripletStdp,
        pre: &[u64],
        post: &[u64],
        steps: u64,
    ) -> (Real, Vec<(u64, Real, Real)>) {
        let conn = Connectivity::Dense {
            n_pre: 1,
            n_post: 1,
        };
        let mut traces = TripletTraces::new(params, 1, 1, DT);
        let amplitudes = TripletAmplitudes {
            a2_plus: params.a2_plus as Real,
            a3_plus: params.a3_plus as Real,
            a2_minus: params.a2_minus as Real,
            a3_minus: params.a3_minus as Real,
        };
        let mut update = WeightUpdate::new(1);
        let mut w = vec![0.0];
        let mut log = Vec::new();
        let bounding = WeightBounding::new(Bounds::Unbounded, UpdateOrder::Combined);
        for s in 0..steps {
            let a: &[u32] = if pre.contains(&s) { &[0] } else { &[] };
            let p: &[u32] = if post.contains(&s) { &[0] } else { &[] };
            triplet_kernel(&conn, &mut traces, amplitudes, s, a, p, &mut update);
            if !update.is_empty() {
                log.push((s, update.pos(0), update.neg(0)));
            }
            update.apply_to(&mut w, bounding.kernel, bounding.order);
        }
        (w[0], log)
    }

    fn all_pair(a2_plus: f64, a2_minus: f64) -> TripletStdp {
        TripletStdp {
            a2_plus,
            a3_plus: 0.0,
            a2_minus,
            a3_minus: 0.0,
            ..TripletStdp::default()
        }
    }

    fn close(a: Real, b: f64) -> bool {
        (f64::from(a) - b).abs() <= 1e-5 * b.abs().max(1e-6)
    }

    #[test]
    fn pairs_follow_the_exponential_window() {
        // A2 terms only: a pair rule with windows τ₊ (causal) and τ₋ (acausal).
        let p = all_pair(0.01, 0.02);
        let (w, _) = run(&p, &[100], &[200], 300);
        assert!(close(w, 0.01 * (-10.0f64 / 16.8).exp()), "{w}");
        let (w, _) = run(&p, &[200], &[100], 300);
        assert!(close(w, -0.02 * (-10.0f64 / 33.7).exp()), "{w}");
    }

    #[test]
    fn triplet_terms_need_an_earlier_spike_of_the_same_side() {
        // A3+ only: a post spike potentiates by r1·A3+·o2(t−ε), so a single pre-post pair does
        // nothing, and post-pre-post potentiates at the second post spike by
        // A3+ · e^{−5/τ₊} · e^{−10/τ_y} (pre 5 ms before, earlier post 10 ms before).
        let p = TripletStdp {
            a2_plus: 0.0,
            a3_plus: 0.01,
            a2_minus: 0.0,
            a3_minus: 0.0,
            ..TripletStdp::default()
        };
        let (w, _) = run(&p, &[100], &[150], 300);
        assert_eq!(w, 0.0);
        let (w, _) = run(&p, &[150], &[100, 200], 300);
        let expected = 0.01 * (-5.0f64 / 16.8).exp() * (-10.0f64 / 114.0).exp();
        assert!(close(w, expected), "{w} vs {expected}");
        // A3− only: pre-post-pre depresses at the second pre by A3− · o1 · r2(t−ε).
        let p = TripletStdp {
            a2_plus: 0.0,
            a3_plus: 0.0,
            a2_minus: 0.0,
            a3_minus: 0.01,
            tau_x_ms: 50.0,
            ..TripletStdp::default()
        };
        let (w, _) = run(&p, &[100, 200], &[150], 300);
        let expected = -0.01 * (-5.0f64 / 33.7).exp() * (-10.0f64 / 50.0).exp();
        assert!(close(w, expected), "{w} vs {expected}");
    }

    #[test]
    fn same_step_pre_and_post_count_as_causal() {
        // Pre first: its depression reads o1 without the post spike (0), then the post spike's
        // potentiation reads r1 including the arrival (1).
        let p = all_pair(0.01, 0.02);
        let (w, log) = run(&p, &[50], &[50], 100);
        assert_eq!(log, vec![(50, 0.01, 0.0)]);
        assert!(close(w, 0.01));
    }

    #[test]
    fn validation_names_the_field_and_value() {
        let e = Model::validate(&TripletStdp {
            tau_y_ms: -3.0,
            ..TripletStdp::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "tau_y_ms must be > 0, got -3");
        let e = Model::validate(&TripletStdp {
            a3_plus: -0.1,
            ..TripletStdp::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "a3_plus must be >= 0, got -0.1");
        let e = Model::validate(&TripletStdp {
            bounds: Bounds::Hard {
                w_min: Some(1.0),
                w_max: Some(0.0),
            },
            ..TripletStdp::default()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("bounds.w_max"), "{e}");
        assert!(Model::validate(&TripletStdp::default()).is_ok());
    }
}
