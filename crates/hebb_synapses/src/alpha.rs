//! # `Alpha` — alpha-function synapse (current, or conductance with a reversal potential)
//!
//! Each arriving spike of weight `w` (times the STP scale) starts an alpha-shaped time course
//! that peaks at `w` a time `τ` after the arrival, summed per postsynaptic neuron:
//!
//! ```text
//! g(t) = w · (t/τ) · e^(1 − t/τ)
//! dg/dt = x − g/τ      dx/dt = −x/τ      (an arrival adds e/τ · w to x)
//! ```
//!
//! integrated exactly over each step h (NEST's `iaf_psc_alpha` synapse, there inside the neuron):
//!
//! ```text
//! g ← e^(−h/τ)·(g + h·x)      x ← e^(−h/τ)·x + e/τ · Σ(arrivals of this step)
//! I_post += g                  (e_rev_mv: None, a current in the neuron's units)
//! I_post += g·(E − V)          (e_rev_mv: Some(E), a conductance; V before this step's update)
//! ```
//!
//! An arrival at step k therefore adds nothing in step k, `w·(h/τ)e^(1−h/τ)` in step k+1, and
//! peaks at `w` in step k + τ/h. Recordable variable: `g`.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `tau_ms` | ms | 2 | time to peak (NEST `tau_syn`, Brian2's `tau` of `alpha` synapses) |
//! | `e_rev_mv` | mV | none | reversal potential: none gives a current synapse, a value a conductance |
//!
//! Brian2 equivalent: `dg/dt = (x − g)/τ`, `dx/dt = −x/τ`, `on_pre: x += w·e` (there `x` is
//! scaled by τ). NEST: the PSC of `iaf_psc_alpha`, the conductance of `iaf_cond_alpha`.
//!
//! References: Rall (1967); NEST 3.10 `models/iaf_psc_alpha.cpp`.

use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::deliver::{Incoming, deliver_arrivals};

/// Alpha synapse params (scene name `Alpha`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alpha {
    /// Time to peak in ms. Default 2.
    pub tau_ms: f64,
    /// Reversal potential in mV: `None` (default) for a current synapse.
    pub e_rev_mv: Option<f64>,
}

impl Default for Alpha {
    fn default() -> Self {
        Self {
            tau_ms: 2.0,
            e_rev_mv: None,
        }
    }
}

/// The attached alpha output of a projection.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct AlphaOutput {
    /// `e^(−h/τ)`.
    pub p11: Real,
    /// `h·e^(−h/τ)`.
    pub p21: Real,
    /// `e/τ`: x per unit weight.
    pub initial: Real,
    /// Reversal potential (conductance) or none (current).
    pub e_rev: Option<Real>,
}

impl AlphaOutput {
    /// The output of `tau_ms` at step `h_ms`.
    pub fn new(tau_ms: f64, e_rev_mv: Option<f64>, h_ms: f64) -> Self {
        let p11 = (-h_ms / tau_ms).exp();
        Self {
            p11: p11 as Real,
            p21: (h_ms * p11) as Real,
            initial: (std::f64::consts::E / tau_ms) as Real,
            e_rev: e_rev_mv.map(|e| e as Real),
        }
    }
}

/// State of an alpha output: `g`, its rise variable `x`, and this step's arrivals, one entry per
/// postsynaptic neuron.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlphaState {
    /// The synaptic variable.
    pub g: Vec<Real>,
    /// The rise variable (units of g per ms).
    pub x: Vec<Real>,
    /// Arrivals of this step (zero between steps).
    pub pending: Vec<Real>,
}

impl StateVariables for AlphaState {
    const VARIABLES: &'static [&'static str] = &["g"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        (name == "g").then_some(self.g.as_slice())
    }
}

impl Model for Alpha {
    const NAME: &'static str = "Alpha";
    const KIND: ModelKind = ModelKind::Synapse;
    const SUMMARY: &'static str =
        "alpha-function synapse peaking at w after tau: a current, or a conductance with e_rev_mv";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "tau_ms",
            unit: "ms",
            doc: "time to peak",
        },
        ParamDoc {
            name: "e_rev_mv",
            unit: "mV",
            doc: "optional reversal potential: none = current synapse, a value = conductance",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_ms", self.tau_ms)?;
        if let Some(e) = self.e_rev_mv {
            check::finite("e_rev_mv", e)?;
        }
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        if self.e_rev_mv.is_some() && ctx.world.get::<Membrane>(shape.post).is_none() {
            return Err(crate::no_membrane_error(
                ctx.world, &ctx.name, "Alpha", shape.post,
            ));
        }
        let output = AlphaOutput::new(self.tau_ms, self.e_rev_mv, ctx.dt_ms);
        ctx.entity_mut().insert((
            output,
            AlphaState {
                g: vec![0.0; shape.n_post],
                x: vec![0.0; shape.n_post],
                pending: vec![0.0; shape.n_post],
            },
        ));
        Ok(())
    }
}

/// One step over slices (the pure kernel): advance `g` and `x`, take the pending arrivals (then
/// cleared), add `g` (or `g·(E − V)` when `v` is given) to `current`. Every slice has one entry
/// per postsynaptic neuron of the same block.
pub fn alpha_kernel(
    o: &AlphaOutput,
    g: &mut [Real],
    x: &mut [Real],
    pending: &mut [Real],
    v: Option<&[Real]>,
    current: &mut [Real],
) {
    let n = g.len();
    let (x, pending, current) = (&mut x[..n], &mut pending[..n], &mut current[..n]);
    let v = v.map(|v| &v[..n]);
    for i in 0..n {
        let gi = flush(o.p21 * x[i] + o.p11 * g[i]);
        x[i] = flush(o.p11 * x[i] + o.initial * pending[i]);
        pending[i] = 0.0;
        g[i] = gi;
        current[i] += match (v, o.e_rev) {
            (Some(v), Some(e)) => gi * (e - v[i]),
            _ => gi,
        };
    }
}

/// `x`, or 0 below 1e-30 (no subnormal floats after a long silence).
#[inline(always)]
fn flush(x: Real) -> Real {
    if x.abs() < crate::exponential::DENORMAL_FLUSH {
        0.0
    } else {
        x
    }
}

/// [`Stage::CurrentIntegration`]: deliver arrivals and step every alpha output, each partition
/// on its own postsynaptic block.
pub fn alpha_step(
    executor: &Executor,
    mut projections: Query<(Incoming, &AlphaOutput, &mut AlphaState)>,
    membranes: Query<&Membrane>,
    mut inputs: Query<&mut SynapticInput>,
) {
    for ((projection, connectivity, weights, arrivals, scale), output, mut state) in
        &mut projections
    {
        let Ok(mut input) = inputs.get_mut(projection.post) else {
            continue;
        };
        // A conductance needs the membrane; without one the arrivals still wait in `pending`.
        let v = output
            .e_rev
            .and_then(|_| membranes.get(projection.post).ok())
            .map(|m| m.v.as_slice());
        let step_g = output.e_rev.is_none() || v.is_some();
        let state = &mut *state;
        let n = state.g.len();
        let arrays = (
            &mut state.g[..],
            &mut state.x[..],
            &mut state.pending[..],
            &mut input.current[..n],
            v,
        );
        executor.for_each_block(n, arrays, |block, (g, x, pending, current, v)| {
            deliver_arrivals(connectivity, weights, arrivals, scale, &block, pending);
            if step_g {
                alpha_kernel(output, g, x, pending, v, current);
            }
        });
    }
}

/// Registers the `Alpha` synapse output, its recordable `g` and its system.
pub struct AlphaPlugin;

impl Plugin for AlphaPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Alpha>();
        sim.register_variables::<AlphaState>();
        sim.register_snapshot::<AlphaState>();
        sim.add_model_systems::<Alpha, _>(Stage::CurrentIntegration, alpha_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_arrival_gives_the_alpha_function_peaking_at_w() {
        let (tau, h, w) = (2.0, 0.1, 3.0);
        let o = AlphaOutput::new(tau, None, h);
        let mut s = AlphaState {
            g: vec![0.0],
            x: vec![0.0],
            pending: vec![w as Real],
        };
        let mut trace = Vec::new();
        for _ in 0..100 {
            let mut current = [0.0];
            alpha_kernel(&o, &mut s.g, &mut s.x, &mut s.pending, None, &mut current);
            assert_eq!(current[0], s.g[0]);
            trace.push(f64::from(s.g[0]));
        }
        assert_eq!(trace[0], 0.0);
        for (k, g) in trace.iter().enumerate() {
            let t = k as f64 * h;
            let want = w * t / tau * (1.0 - t / tau).exp();
            assert!((g - want).abs() < 1e-5, "step {k}: {g} vs {want}");
        }
        let peak = trace.iter().cloned().fold(0.0, f64::max);
        assert!((peak - w).abs() < 1e-5 && (trace[20] - w).abs() < 1e-5);
    }

    #[test]
    fn conductance_uses_the_driving_force() {
        let o = AlphaOutput::new(1.0, Some(0.0), 0.1);
        let mut s = AlphaState {
            g: vec![0.5],
            x: vec![0.0],
            pending: vec![0.0],
        };
        let mut current = [0.0];
        alpha_kernel(
            &o,
            &mut s.g,
            &mut s.x,
            &mut s.pending,
            Some(&[-60.0]),
            &mut current,
        );
        assert!((current[0] - s.g[0] * 60.0).abs() < 1e-5 && current[0] > 0.0);
    }
}
