//! # `Exponential` — exponentially decaying current synapse (CUBA)
//!
//! One variable `g` per postsynaptic neuron and projection. Arriving spikes add `w · scale`
//! (scale: the STP release fraction, 1 without STP); between arrivals `g` decays with `tau`;
//! the synapse adds `g` to the postsynaptic input current every step:
//!
//! ```text
//! dg/dt = −g/τ + Σ w·scale·δ(t − t_arrival)          I_post += g
//! ```
//!
//! One step, with `p` the sum of this step's arrivals onto a neuron:
//!
//! ```text
//! input_timing: AfterDecay   g ← g·α + p        (default; Brian2, NEST, Norse, ngc-learn order)
//! input_timing: BeforeDecay  g ← (g + p)·α      (BrainPy AlignPost: a fresh input is decayed once)
//! input_timing: NextStep     I uses g, then g ← g·α + p   (Brian2: arrivals act from the next step)
//! decay: Exact   α = exp(−dt/τ)                  (default)
//! decay: Euler   α = 1 − dt/τ                    (Norse's STP example: i ← i + dt·(−i/τ_s) + out)
//! I_post += g
//! ```
//!
//! The arrivals go into a pending buffer (event-driven, O(synapses of the spiking neurons)),
//! then one fused, vectorizable pass over the postsynaptic neurons decays `g`, adds the pending
//! input, clears it and adds the current. Recordable variable: `g`.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `tau_ms` | ms | 5 | decay time constant (Euler needs `tau_ms >= dt`) |
//! | `decay` | — | `Exact` | `Exact` (α = e^(−dt/τ)) or `Euler` (α = 1 − dt/τ) |
//! | `input_timing` | — | `AfterDecay` | `AfterDecay` (g·α + p), `BeforeDecay` ((g + p)·α) or `NextStep` (current first, then g·α + p) |
//!
//! References: BrainPy `bp.dyn.Expon` + `bp.dyn.CUBA`; Brian2 `dg/dt = −g/τ` with
//! `on_pre='g += w'`; Norse `functional/test/test_tsodyks_makram.py::example`; Inferno
//! `SingleExponentialCurrent`.

use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::deliver::{Incoming, deliver_arrivals};
use crate::region::{PostArrays, PostSlices, StatefulProjection, step_projections_in_one_region};

/// How `g` decays over one step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decay {
    /// `α = exp(−dt/τ)`: exact for any dt.
    #[default]
    Exact,
    /// `α = 1 − dt/τ`: forward Euler (needs `τ >= dt`).
    Euler,
}

/// Whether this step's arrivals are added after or before the decay of the step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputTiming {
    /// `g ← g·α + p`: an arrival acts at full weight in its own step.
    #[default]
    AfterDecay,
    /// `g ← (g + p)·α`: BrainPy's AlignPost order, an arrival is decayed once before use.
    BeforeDecay,
    /// The current uses `g` as the previous step left it, then `g ← g·α + p`: an arrival acts
    /// from the next step on. Brian2's order for a synapse whose source spikes in the same step
    /// (e.g. from a `PoissonGroup`): its synapses run after the state update.
    NextStep,
}

/// The per-step decay factor α of `tau_ms` at `dt_ms` (`field` names `tau_ms` in errors).
pub fn decay_factor(tau_ms: f64, decay: Decay, dt_ms: f64) -> Result<Real, ParamError> {
    check::positive("tau_ms", tau_ms)?;
    match decay {
        Decay::Exact => Ok((-dt_ms / tau_ms).exp() as Real),
        Decay::Euler => {
            if tau_ms < dt_ms {
                return Err(ParamError::new(
                    "tau_ms",
                    format!(
                        "must be >= dt ({dt_ms} ms) with decay Euler (1 − dt/tau would be \
                         negative), got {tau_ms}; use decay: Exact"
                    ),
                ));
            }
            Ok((1.0 - dt_ms / tau_ms) as Real)
        }
    }
}

/// State of an exponential (or conductance) synapse output: `g` and this step's pending input,
/// one entry per postsynaptic neuron.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynapseState {
    /// The synaptic variable `g` (current or conductance units).
    pub g: Vec<Real>,
    /// Arrivals of this step not yet added to `g` (zero between steps).
    pub pending: Vec<Real>,
}

impl SynapseState {
    /// Zero state for `n_post` postsynaptic neurons.
    pub fn new(n_post: usize) -> Self {
        Self {
            g: vec![0.0; n_post],
            pending: vec![0.0; n_post],
        }
    }
}

impl StateVariables for SynapseState {
    const VARIABLES: &'static [&'static str] = &["g"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        (name == "g").then_some(self.g.as_slice())
    }
}

/// Magnitudes of `g` below this are flushed to 0.
pub const DENORMAL_FLUSH: Real = 1e-30;

/// `g` after one step from `g` with pending input `p`. A `g` that has decayed below 1e-30 is
/// set to 0: left alone it would become a subnormal float after a long silence (~87 τ in f32),
/// and x86 arithmetic on subnormals is about a hundred times slower (Brian2's generated code
/// avoids them with `-ffast-math`). Branch-free, so the kernels stay vectorized.
#[inline(always)]
pub fn advance<const BEFORE_DECAY: bool>(alpha: Real, g: Real, p: Real) -> Real {
    let g = if BEFORE_DECAY {
        (g + p) * alpha
    } else {
        g * alpha + p
    };
    if g.abs() < DENORMAL_FLUSH { 0.0 } else { g }
}

/// One step of the current synapse over slices: advance `g` with `pending` (then cleared) and
/// add `g` to `current`.
pub fn exponential_kernel<const BEFORE_DECAY: bool>(
    alpha: Real,
    g: &mut [Real],
    pending: &mut [Real],
    current: &mut [Real],
) {
    let n = g.len();
    let (pending, current) = (&mut pending[..n], &mut current[..n]);
    for ((g, p), i) in g.iter_mut().zip(pending.iter_mut()).zip(current.iter_mut()) {
        let gn = advance::<BEFORE_DECAY>(alpha, *g, *p);
        *g = gn;
        *p = 0.0;
        *i += gn;
    }
}

/// One step of the current synapse with [`InputTiming::NextStep`]: add `g` as the previous
/// step left it to `current`, then advance `g` with `pending` (then cleared).
pub fn exponential_kernel_next_step(
    alpha: Real,
    g: &mut [Real],
    pending: &mut [Real],
    current: &mut [Real],
) {
    let n = g.len();
    let (pending, current) = (&mut pending[..n], &mut current[..n]);
    for ((g, p), i) in g.iter_mut().zip(pending.iter_mut()).zip(current.iter_mut()) {
        *i += *g;
        *g = advance::<false>(alpha, *g, *p);
        *p = 0.0;
    }
}

/// The attached exponential current output of a projection.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct ExponentialOutput {
    /// Per-step decay factor α.
    pub alpha: Real,
    /// Order of input and decay.
    pub timing: InputTiming,
}

/// Exponential current synapse params (scene name `Exponential`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Exponential {
    /// Decay time constant in ms. Default 5.
    pub tau_ms: f64,
    /// Decay scheme. Default `Exact`.
    pub decay: Decay,
    /// Arrivals added after (default) or before the decay of their step.
    pub input_timing: InputTiming,
}

impl Default for Exponential {
    fn default() -> Self {
        Self {
            tau_ms: 5.0,
            decay: Decay::Exact,
            input_timing: InputTiming::AfterDecay,
        }
    }
}

/// Parameter docs shared by `Exponential` and `Conductance`.
pub(crate) const DECAY_PARAMS: [ParamDoc; 3] = [
    ParamDoc {
        name: "tau_ms",
        unit: "ms",
        doc: "decay time constant of g (Euler needs tau_ms >= dt)",
    },
    ParamDoc {
        name: "decay",
        unit: "-",
        doc: "Exact (alpha = exp(-dt/tau)) or Euler (alpha = 1 - dt/tau)",
    },
    ParamDoc {
        name: "input_timing",
        unit: "-",
        doc: "AfterDecay (g = g·alpha + in), BeforeDecay (g = (g + in)·alpha, BrainPy) or NextStep (current from the old g, then g·alpha + in; Brian2)",
    },
];

impl Model for Exponential {
    const NAME: &'static str = "Exponential";
    const KIND: ModelKind = ModelKind::Synapse;
    const SUMMARY: &'static str = "exponentially decaying current synapse: I += g (CUBA)";
    const PARAMS: &'static [ParamDoc] = &DECAY_PARAMS;

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_ms", self.tau_ms)
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        let alpha = decay_factor(self.tau_ms, self.decay, ctx.dt_ms)
            .map_err(|e| BuildError::param(format!("projection `{}`", ctx.name), e))?;
        ctx.entity_mut().insert((
            ExponentialOutput {
                alpha,
                timing: self.input_timing,
            },
            SynapseState::new(shape.n_post),
        ));
        Ok(())
    }
}

/// [`Stage::CurrentIntegration`]: deliver arrivals, advance `g`, add `g` to the input current.
/// With several partitions every exponential projection runs in one parallel region
/// ([`crate::region`]); with one thread each projection is one plain call on whole arrays.
pub fn exponential_step(
    executor: &Executor,
    mut projections: Query<StatefulProjection<ExponentialOutput>>,
    mut posts: Query<PostArrays>,
) {
    if !executor.is_single() {
        step_projections_in_one_region(
            executor,
            &mut projections,
            &mut posts,
            |incoming, output, block, g, pending, post| {
                exponential_block(incoming, output, block, g, pending, post);
            },
        );
        return;
    }
    for (incoming, output, mut state) in &mut projections {
        let Ok((_, mut input, _)) = posts.get_mut(incoming.0.post) else {
            continue;
        };
        let state = &mut *state;
        let n = state.g.len();
        let (g, pending) = (&mut state.g[..], &mut state.pending[..]);
        let post = (&mut input.current[..n], None);
        exponential_block(incoming, output, 0..n, g, pending, post);
    }
}

/// One projection on one block of its postsynaptic neurons: deliver the arrivals into
/// `pending`, advance `g`, add it to the current.
#[inline(always)]
fn exponential_block(
    (_, connectivity, weights, arrivals, scale): Incoming<'_>,
    output: &ExponentialOutput,
    block: std::ops::Range<usize>,
    g: &mut [Real],
    pending: &mut [Real],
    (current, _): PostSlices<'_>,
) {
    deliver_arrivals(connectivity, weights, arrivals, scale, &block, pending);
    match output.timing {
        InputTiming::AfterDecay => exponential_kernel::<false>(output.alpha, g, pending, current),
        InputTiming::BeforeDecay => exponential_kernel::<true>(output.alpha, g, pending, current),
        InputTiming::NextStep => exponential_kernel_next_step(output.alpha, g, pending, current),
    }
}

/// Registers the `Exponential` synapse output, its recordable `g` and its system.
pub struct ExponentialPlugin;

impl Plugin for ExponentialPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Exponential>();
        sim.register_variables::<SynapseState>();
        sim.register_snapshot::<SynapseState>();
        sim.add_model_systems::<Exponential, _>(Stage::CurrentIntegration, exponential_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<const BEFORE: bool>(alpha: Real, inputs: &[Real]) -> Vec<(Real, Real)> {
        let (mut g, mut p, mut i) = ([0.0], [0.0], [0.0]);
        inputs
            .iter()
            .map(|&x| {
                p[0] += x;
                i[0] = 0.0;
                exponential_kernel::<BEFORE>(alpha, &mut g, &mut p, &mut i);
                assert_eq!(p[0], 0.0);
                (g[0], i[0])
            })
            .collect()
    }

    #[test]
    fn after_decay_acts_in_full_then_decays() {
        let a = decay_factor(10.0, Decay::Exact, 1.0).unwrap();
        assert!((f64::from(a) - (-0.1f64).exp()).abs() < 1e-7);
        let out = run::<false>(a, &[2.0, 0.0, 0.0, 1.0]);
        let e = (-0.1f64).exp();
        let want = [2.0, 2.0 * e, 2.0 * e * e, 2.0 * e * e * e + 1.0];
        for ((g, i), w) in out.iter().zip(want) {
            assert!((f64::from(*g) - w).abs() < 1e-6 && g == i, "{out:?}");
        }
    }

    #[test]
    fn next_step_current_lags_one_step() {
        // The current of each step is the g the previous step left; an input acts one step later.
        let a = decay_factor(5.0, Decay::Euler, 0.1).unwrap();
        let (mut g, mut p) = ([0.0], [0.0]);
        let mut currents = Vec::new();
        for x in [2.0, 0.0, 0.0] {
            p[0] += x;
            let mut i = [0.0];
            exponential_kernel_next_step(a, &mut g, &mut p, &mut i);
            currents.push(i[0]);
        }
        assert_eq!(currents, [0.0, 2.0, 2.0 * 0.98]);
        assert_eq!(g[0], 2.0 * 0.98 * 0.98);
    }

    #[test]
    fn before_decay_matches_brainpy_order() {
        // docs/upstream-models.md §4(c): dt 0.1, tau 5: an input of 0.5 is used as 0.5·e^(−0.02) = 0.4901.
        let a = decay_factor(5.0, Decay::Exact, 0.1).unwrap();
        let out = run::<true>(a, &[0.5, 0.0]);
        assert!((f64::from(out[0].0) - 0.5 * (-0.02f64).exp()).abs() < 1e-7);
        assert!((f64::from(out[0].0) - 0.4901).abs() < 1e-4);
        assert!((f64::from(out[1].0) - 0.5 * (-0.04f64).exp()).abs() < 1e-7);
    }

    #[test]
    fn euler_is_norse_current_filter() {
        // Norse example: i ← i + dt·(−i/τ_s) + out, dt = 1 ms, τ_s = 20 ms.
        let a = decay_factor(20.0, Decay::Euler, 1.0).unwrap();
        assert_eq!(a, 0.95);
        let out = run::<false>(a, &[0.45, 0.0, 0.0]);
        let mut i = 0.0f64;
        for (k, x) in [0.45, 0.0, 0.0].into_iter().enumerate() {
            i = i + 1.0 * (-i / 20.0) + x;
            assert!((f64::from(out[k].0) - i).abs() < 1e-7);
        }
    }

    #[test]
    fn long_silence_ends_at_exactly_zero_not_subnormal() {
        let a = decay_factor(5.0, Decay::Exact, 1.0).unwrap();
        let mut input = vec![0.0; 1000];
        input[0] = 1.0;
        let out = run::<false>(a, &input);
        assert!(out.iter().all(|&(g, _)| g == 0.0 || g.abs() >= 1e-30));
        assert_eq!(out[999].0, 0.0);
        assert!((f64::from(out[50].0) - (-10.0f64).exp()).abs() < 1e-9);
    }

    #[test]
    fn decay_factor_validation() {
        let e = decay_factor(0.05, Decay::Euler, 0.1)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("tau_ms must be >= dt (0.1 ms)") && e.contains("0.05"),
            "{e}"
        );
        assert!(decay_factor(0.05, Decay::Exact, 0.1).is_ok());
        assert_eq!(
            decay_factor(-3.0, Decay::Exact, 0.1)
                .unwrap_err()
                .to_string(),
            "tau_ms must be > 0, got -3"
        );
    }
}
