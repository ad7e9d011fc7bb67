//! # `Conductance` — exponentially decaying conductance synapse (COBA)
//!
//! The same `g` dynamics as [`crate::exponential`] (arrivals add `w · scale`, decay with `tau`,
//! `Exact` or `Euler`, arrivals `AfterDecay` or `BeforeDecay`), but the current depends on the
//! postsynaptic membrane potential:
//!
//! ```text
//! I_post += g · (E_rev − V)                     (default; V of the previous step)
//! I_post += g · fixed_driving_force             (when fixed_driving_force_mv is set)
//! ```
//!
//! `V` is the postsynaptic [`Membrane`] as left by the previous step (the synapse runs in
//! [`Stage::CurrentIntegration`], before the neuron step), which is BrainPy's COBA (`g·(E −
//! V_old)`) and the usual explicit coupling of Brian2's and NEST's conductance models over one
//! step. A fixed driving force replaces `E − V` by a constant, as Brian2's Song, Miller & Abbott
//! (2000) example did before 2020 (`ge·(Ee − vr)`; it uses `ge·(Ee − v)` since). With
//! `input_timing: NextStep` the current of a step uses `g` as the previous step left it and this
//! step's arrivals act from the next step (Brian2's order for inputs spiking in the same step). A projection onto a population without a membrane is a
//! build error unless `fixed_driving_force_mv` is set.
//!
//! Recordable variable: `g`.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `tau_ms` | ms | 5 | decay time constant (Euler needs `tau_ms >= dt`) |
//! | `e_rev_mv` | mV | 0 | reversal potential E |
//! | `decay` | — | `Exact` | `Exact` (α = e^(−dt/τ)) or `Euler` (α = 1 − dt/τ) |
//! | `input_timing` | — | `AfterDecay` | `AfterDecay` (g·α + p), `BeforeDecay` ((g + p)·α) or `NextStep` (current first, then g·α + p) |
//! | `fixed_driving_force_mv` | mV | `None` | use this constant instead of `E − V` |
//! | `allow_negative_weights` | — | `false` | accept weights < 0 (negative conductances) |
//!
//! Weights are conductances and must stay `>= 0`: a projection whose initial weights are
//! negative, or whose plasticity bounds have no lower limit `>= 0` (e.g. an `Unbounded` `Stdp`),
//! is refused at build time (`hebb check` says so) unless `allow_negative_weights: true`
//! (BrainPy's shunting `STDP_Song2000` example lets its one weight reach −0.37).
//!
//! References: BrainPy `bp.dyn.Expon` + `bp.dyn.COBA` (`brainpy/dyn/outs/outputs.py`); Brian2
//! `examples/synapses/STDP.py` (`ge·(Ee − v)`; a fixed driving force before 2020),
//! `examples/COBAHH.py`.

use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::deliver::{Incoming, deliver_arrivals};
use crate::exponential::{DECAY_PARAMS, Decay, InputTiming, SynapseState, advance, decay_factor};
use crate::region::{PostArrays, PostSlices, StatefulProjection, step_projections_in_one_region};

/// Conductance synapse params (scene name `Conductance`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Conductance {
    /// Decay time constant in ms. Default 5.
    pub tau_ms: f64,
    /// Reversal potential in mV. Default 0.
    pub e_rev_mv: f64,
    /// Decay scheme. Default `Exact`.
    pub decay: Decay,
    /// Arrivals added after (default) or before the decay of their step.
    pub input_timing: InputTiming,
    /// A constant driving force in mV replacing `E − V`. Default `None`.
    pub fixed_driving_force_mv: Option<f64>,
    /// Allow negative weights (negative conductances). Default `false`: a projection whose
    /// initial weights or plasticity bounds allow `w < 0` is refused.
    pub allow_negative_weights: bool,
}

impl Default for Conductance {
    fn default() -> Self {
        Self {
            tau_ms: 5.0,
            e_rev_mv: 0.0,
            decay: Decay::Exact,
            input_timing: InputTiming::AfterDecay,
            fixed_driving_force_mv: None,
            allow_negative_weights: false,
        }
    }
}

/// How the conductance becomes a current.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DrivingForce {
    /// `I = g·(E − V)` with the reversal potential `E` in mV.
    Reversal(Real),
    /// `I = g·D` with a constant `D` in mV.
    Fixed(Real),
}

/// The attached conductance output of a projection.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct ConductanceOutput {
    /// Per-step decay factor α.
    pub alpha: Real,
    /// Order of input and decay.
    pub timing: InputTiming,
    /// `E − V` or a constant.
    pub drive: DrivingForce,
}

impl Model for Conductance {
    const NAME: &'static str = "Conductance";
    const KIND: ModelKind = ModelKind::Synapse;
    const SUMMARY: &'static str =
        "exponentially decaying conductance synapse: I += g·(E − V) (COBA)";
    const PARAMS: &'static [ParamDoc] = &[
        DECAY_PARAMS[0],
        ParamDoc {
            name: "e_rev_mv",
            unit: "mV",
            doc: "reversal potential E",
        },
        DECAY_PARAMS[1],
        DECAY_PARAMS[2],
        ParamDoc {
            name: "fixed_driving_force_mv",
            unit: "mV",
            doc: "optional constant replacing E − V (Brian2's pre-2020 Song 2000 example: Ee − vr)",
        },
        ParamDoc {
            name: "allow_negative_weights",
            unit: "-",
            doc: "false (default): refuse weights or plasticity bounds that allow w < 0",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_ms", self.tau_ms)?;
        check::finite("e_rev_mv", self.e_rev_mv)?;
        if let Some(d) = self.fixed_driving_force_mv {
            check::finite("fixed_driving_force_mv", d)?;
        }
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        let alpha = decay_factor(self.tau_ms, self.decay, ctx.dt_ms)
            .map_err(|e| BuildError::param(format!("projection `{}`", ctx.name), e))?;
        let drive = match self.fixed_driving_force_mv {
            Some(d) => DrivingForce::Fixed(d as Real),
            None => {
                if ctx.world.get::<Membrane>(shape.post).is_none() {
                    return Err(crate::no_membrane_error(
                        ctx.world,
                        &ctx.name,
                        "Conductance",
                        shape.post,
                    ));
                }
                DrivingForce::Reversal(self.e_rev_mv as Real)
            }
        };
        if !self.allow_negative_weights {
            ctx.entity_mut().insert(NonNegativeWeights {
                synapse: Self::NAME,
                opt_out: "allow_negative_weights",
            });
        }
        ctx.entity_mut().insert((
            ConductanceOutput {
                alpha,
                timing: self.input_timing,
                drive,
            },
            SynapseState::new(shape.n_post),
        ));
        Ok(())
    }
}

/// One step over slices: advance `g` with `pending` (then cleared), add `g·(e_rev − v)`.
pub fn conductance_kernel<const BEFORE_DECAY: bool>(
    alpha: Real,
    e_rev: Real,
    g: &mut [Real],
    pending: &mut [Real],
    v: &[Real],
    current: &mut [Real],
) {
    let n = g.len();
    let (pending, v, current) = (&mut pending[..n], &v[..n], &mut current[..n]);
    for (((g, p), &v), i) in g
        .iter_mut()
        .zip(pending.iter_mut())
        .zip(v)
        .zip(current.iter_mut())
    {
        let gn = advance::<BEFORE_DECAY>(alpha, *g, *p);
        *g = gn;
        *p = 0.0;
        *i += gn * (e_rev - v);
    }
}

/// One step over slices with a fixed driving force: add `g·drive`.
pub fn fixed_drive_kernel<const BEFORE_DECAY: bool>(
    alpha: Real,
    drive: Real,
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
        *i += gn * drive;
    }
}

/// One step with [`InputTiming::NextStep`]: add `g·(e_rev − v)` (or, with `e_rev` `None`,
/// `g·drive[0]`) from `g` as the previous step left it, then advance `g` with `pending` (then
/// cleared).
pub fn conductance_kernel_next_step(
    alpha: Real,
    e_rev: Option<Real>,
    g: &mut [Real],
    pending: &mut [Real],
    v_or_drive: &[Real],
    current: &mut [Real],
) {
    let n = g.len();
    let (pending, current) = (&mut pending[..n], &mut current[..n]);
    for (j, ((g, p), i)) in g
        .iter_mut()
        .zip(pending.iter_mut())
        .zip(current.iter_mut())
        .enumerate()
    {
        let drive = match e_rev {
            Some(e) => e - v_or_drive[j],
            None => v_or_drive[0],
        };
        *i += *g * drive;
        *g = advance::<false>(alpha, *g, *p);
        *p = 0.0;
    }
}

/// [`Stage::CurrentIntegration`]: deliver arrivals, advance `g`, add `g·(E − V)` (or `g·D`).
/// With several partitions every conductance projection runs in one parallel region: each
/// partition delivers and integrates all projections onto its own block, in creation order
/// ([`crate::region`]). With one thread each projection is one plain call on whole arrays.
pub fn conductance_step(
    executor: &Executor,
    mut projections: Query<StatefulProjection<ConductanceOutput>>,
    mut posts: Query<PostArrays>,
) {
    if !executor.is_single() {
        step_projections_in_one_region(
            executor,
            &mut projections,
            &mut posts,
            |incoming, output, block, g, pending, post| {
                conductance_block(incoming, output, block, g, pending, post);
            },
        );
        return;
    }
    for (incoming, output, mut state) in &mut projections {
        let Ok((_, mut input, membrane)) = posts.get_mut(incoming.0.post) else {
            continue;
        };
        let state = &mut *state;
        let n = state.g.len();
        let v = membrane.map(|m| &m.v[..n]);
        let (g, pending) = (&mut state.g[..], &mut state.pending[..]);
        let post = (&mut input.current[..n], v);
        conductance_block(incoming, output, 0..n, g, pending, post);
    }
}

/// One projection on one block of its postsynaptic neurons: deliver the arrivals into
/// `pending`, advance `g`, add the current. Without a membrane (a reversal potential needs one)
/// the arrivals are still delivered, and `g` waits.
#[inline(always)]
fn conductance_block(
    (_, connectivity, weights, arrivals, scale): Incoming<'_>,
    output: &ConductanceOutput,
    block: std::ops::Range<usize>,
    g: &mut [Real],
    pending: &mut [Real],
    (current, v): PostSlices<'_>,
) {
    deliver_arrivals(connectivity, weights, arrivals, scale, &block, pending);
    let a = output.alpha;
    match (output.timing, output.drive, v) {
        (InputTiming::NextStep, DrivingForce::Reversal(e), Some(v)) => {
            conductance_kernel_next_step(a, Some(e), g, pending, v, current);
        }
        (InputTiming::NextStep, DrivingForce::Fixed(d), _) => {
            conductance_kernel_next_step(a, None, g, pending, &[d], current);
        }
        (InputTiming::BeforeDecay, DrivingForce::Reversal(e), Some(v)) => {
            conductance_kernel::<true>(a, e, g, pending, v, current);
        }
        (InputTiming::AfterDecay, DrivingForce::Reversal(e), Some(v)) => {
            conductance_kernel::<false>(a, e, g, pending, v, current);
        }
        (InputTiming::BeforeDecay, DrivingForce::Fixed(d), _) => {
            fixed_drive_kernel::<true>(a, d, g, pending, current);
        }
        (InputTiming::AfterDecay, DrivingForce::Fixed(d), _) => {
            fixed_drive_kernel::<false>(a, d, g, pending, current);
        }
        (_, DrivingForce::Reversal(_), None) => {}
    }
}

/// Registers the `Conductance` synapse output, its recordable `g` and its system.
pub struct ConductancePlugin;

impl Plugin for ConductancePlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Conductance>();
        sim.register_variables::<SynapseState>();
        sim.register_snapshot::<SynapseState>();
        sim.add_model_systems::<Conductance, _>(Stage::CurrentIntegration, conductance_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_uses_reversal_minus_voltage() {
        let a = decay_factor(5.0, Decay::Exact, 0.1).unwrap();
        let (mut g, mut p) = (vec![0.0, 1.0], vec![2.0, 0.0]);
        let v = [-60.0, -80.0];
        let mut i = [0.0, 0.0];
        conductance_kernel::<false>(a, -70.0, &mut g, &mut p, &v, &mut i);
        let e = (-0.02f64).exp();
        // neuron 0: g = 2 (fresh input), E − V = −10; neuron 1: g = e^(−0.02), E − V = +10.
        assert!((f64::from(i[0]) + 20.0).abs() < 1e-5, "{i:?}");
        assert!((f64::from(i[1]) - 10.0 * e).abs() < 1e-5, "{i:?}");
        assert_eq!(p, vec![0.0, 0.0]);
        let mut i = [0.0, 0.0];
        fixed_drive_kernel::<true>(a, 14.0, &mut g, &mut p, &mut i);
        assert!((f64::from(i[0]) - 14.0 * 2.0 * e).abs() < 1e-5, "{i:?}");
    }

    #[test]
    fn next_step_timing_uses_the_previous_conductance_then_takes_the_arrival() {
        // Brian2's order: v(k+1) uses ge(k); an arrival of step k acts from step k + 1.
        let a = decay_factor(5.0, Decay::Euler, 0.1).unwrap();
        let (mut g, mut p) = (vec![0.0, 1.0], vec![2.0, 0.0]);
        let v = [-60.0, -80.0];
        let mut i = [0.0, 0.0];
        conductance_kernel_next_step(a, Some(-70.0), &mut g, &mut p, &v, &mut i);
        // neuron 0: no conductance yet (the arrival waits); neuron 1: g = 1 undecayed, E − V = 10.
        assert_eq!(i, [0.0, 10.0]);
        assert_eq!(g, vec![2.0, 0.98]);
        assert_eq!(p, vec![0.0, 0.0]);
        let mut i = [0.0, 0.0];
        conductance_kernel_next_step(a, None, &mut g, &mut p, &[60.0], &mut i);
        assert_eq!(i, [120.0, 0.98 * 60.0]);
        assert_eq!(g, vec![2.0 * 0.98, 0.98 * 0.98]);
    }

    #[test]
    fn validation_names_fields() {
        let bad = |c: Conductance| Model::validate(&c).unwrap_err().to_string();
        assert_eq!(
            bad(Conductance {
                tau_ms: 0.0,
                ..Default::default()
            }),
            "tau_ms must be > 0, got 0"
        );
        assert!(
            bad(Conductance {
                e_rev_mv: f64::NAN,
                ..Default::default()
            })
            .starts_with("e_rev_mv")
        );
        assert!(
            bad(Conductance {
                fixed_driving_force_mv: Some(f64::INFINITY),
                ..Default::default()
            })
            .starts_with("fixed_driving_force_mv")
        );
    }
}
