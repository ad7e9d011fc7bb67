//! # `BiExponential` — difference-of-exponentials synapse (rise and decay times)
//!
//! Each arriving spike of weight `w` (times the STP scale) starts a time course with rise time
//! constant `τ_r` and decay time constant `τ_d` (τ_r < τ_d), normalized to peak at `w`:
//!
//! ```text
//! g(t) = w · N · (e^(−t/τ_d) − e^(−t/τ_r))
//! t_peak = τ_d·τ_r/(τ_d − τ_r) · ln(τ_d/τ_r)      N = 1/(e^(−t_peak/τ_d) − e^(−t_peak/τ_r))
//! ```
//!
//! kept as two exponential traces `d` and `r`, both jumping by `N·w`, integrated exactly:
//!
//! ```text
//! d ← e^(−h/τ_d)·d + N·p      r ← e^(−h/τ_r)·r + N·p      g = d − r       (p: this step's arrivals)
//! I_post += g                  (e_rev_mv: None, a current)
//! I_post += g·(E − V)          (e_rev_mv: Some(E), a conductance; V before this step's update)
//! ```
//!
//! An arrival adds nothing in its own step (g jumps by 0) and rises from the next. Recordable
//! variable: `g`.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `tau_rise_ms` | ms | 0.5 | rise time constant τ_r (< τ_d) |
//! | `tau_decay_ms` | ms | 5 | decay time constant τ_d |
//! | `e_rev_mv` | mV | none | reversal potential: none gives a current synapse, a value a conductance |
//!
//! Brian2 equivalent: `g = d − r`, `dd/dt = −d/τ_d`, `dr/dt = −r/τ_r`, `on_pre: d += N·w; r +=
//! N·w`. NEST: the normalized beta function of `iaf_psc_beta`/`iaf_cond_beta` (same peak
//! normalization).
//!
//! Reference: Roth & van Rossum (2009), "Modeling synapses", in Computational Modeling Methods
//! for Neuroscientists, MIT Press.

use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::deliver::{Incoming, deliver_arrivals};

/// Bi-exponential synapse params (scene name `BiExponential`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BiExponential {
    /// Rise time constant in ms. Default 0.5.
    pub tau_rise_ms: f64,
    /// Decay time constant in ms. Default 5.
    pub tau_decay_ms: f64,
    /// Reversal potential in mV: `None` (default) for a current synapse.
    pub e_rev_mv: Option<f64>,
}

impl Default for BiExponential {
    fn default() -> Self {
        Self {
            tau_rise_ms: 0.5,
            tau_decay_ms: 5.0,
            e_rev_mv: None,
        }
    }
}

/// The attached bi-exponential output of a projection.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct BiExponentialOutput {
    /// `e^(−h/τ_d)`.
    pub decay: Real,
    /// `e^(−h/τ_r)`.
    pub rise: Real,
    /// Peak normalization N.
    pub norm: Real,
    /// Reversal potential (conductance) or none (current).
    pub e_rev: Option<Real>,
}

impl BiExponentialOutput {
    /// The output of the given time constants (τ_r < τ_d) at step `h_ms`.
    pub fn new(tau_rise_ms: f64, tau_decay_ms: f64, e_rev_mv: Option<f64>, h_ms: f64) -> Self {
        let (tr, td) = (tau_rise_ms, tau_decay_ms);
        let t_peak = td * tr / (td - tr) * (td / tr).ln();
        let norm = 1.0 / ((-t_peak / td).exp() - (-t_peak / tr).exp());
        Self {
            decay: (-h_ms / td).exp() as Real,
            rise: (-h_ms / tr).exp() as Real,
            norm: norm as Real,
            e_rev: e_rev_mv.map(|e| e as Real),
        }
    }
}

/// State of a bi-exponential output, one entry per postsynaptic neuron.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiExponentialState {
    /// `g = d − r`.
    pub g: Vec<Real>,
    /// The decaying trace d.
    pub d: Vec<Real>,
    /// The rising trace r.
    pub r: Vec<Real>,
    /// Arrivals of this step (zero between steps).
    pub pending: Vec<Real>,
}

impl StateVariables for BiExponentialState {
    const VARIABLES: &'static [&'static str] = &["g"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        (name == "g").then_some(self.g.as_slice())
    }
}

impl Model for BiExponential {
    const NAME: &'static str = "BiExponential";
    const KIND: ModelKind = ModelKind::Synapse;
    const SUMMARY: &'static str = "difference-of-exponentials synapse (rise, decay) peaking at w: \
         a current, or a conductance with e_rev_mv";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "tau_rise_ms",
            unit: "ms",
            doc: "rise time constant (< tau_decay_ms)",
        },
        ParamDoc {
            name: "tau_decay_ms",
            unit: "ms",
            doc: "decay time constant",
        },
        ParamDoc {
            name: "e_rev_mv",
            unit: "mV",
            doc: "optional reversal potential: none = current synapse, a value = conductance",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_rise_ms", self.tau_rise_ms)?;
        check::positive("tau_decay_ms", self.tau_decay_ms)?;
        check::less_than(
            "tau_rise_ms",
            self.tau_rise_ms,
            "tau_decay_ms",
            self.tau_decay_ms,
        )?;
        if let Some(e) = self.e_rev_mv {
            check::finite("e_rev_mv", e)?;
        }
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        if self.e_rev_mv.is_some() && ctx.world.get::<Membrane>(shape.post).is_none() {
            return Err(crate::no_membrane_error(
                ctx.world,
                &ctx.name,
                "BiExponential",
                shape.post,
            ));
        }
        let output = BiExponentialOutput::new(
            self.tau_rise_ms,
            self.tau_decay_ms,
            self.e_rev_mv,
            ctx.dt_ms,
        );
        let n = shape.n_post;
        ctx.entity_mut().insert((
            output,
            BiExponentialState {
                g: vec![0.0; n],
                d: vec![0.0; n],
                r: vec![0.0; n],
                pending: vec![0.0; n],
            },
        ));
        Ok(())
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

/// The arrays of one block of a bi-exponential output (one entry per postsynaptic neuron).
pub struct BiExponentialSlices<'a> {
    /// `g = d − r`.
    pub g: &'a mut [Real],
    /// The decaying trace d.
    pub d: &'a mut [Real],
    /// The rising trace r.
    pub r: &'a mut [Real],
    /// Arrivals of this step (consumed: zeroed).
    pub pending: &'a mut [Real],
}

/// One step over slices (the pure kernel): advance both traces with the pending arrivals (then
/// cleared), add `g` (or `g·(E − V)` when `v` is given) to `current`.
pub fn biexponential_kernel(
    o: &BiExponentialOutput,
    s: BiExponentialSlices<'_>,
    v: Option<&[Real]>,
    current: &mut [Real],
) {
    let n = s.g.len();
    let (g, d, r, pending, current) = (
        &mut s.g[..n],
        &mut s.d[..n],
        &mut s.r[..n],
        &mut s.pending[..n],
        &mut current[..n],
    );
    let v = v.map(|v| &v[..n]);
    for i in 0..n {
        let jump = o.norm * pending[i];
        let di = flush(o.decay * d[i] + jump);
        let ri = flush(o.rise * r[i] + jump);
        let gi = di - ri;
        (d[i], r[i], g[i]) = (di, ri, gi);
        pending[i] = 0.0;
        current[i] += match (v, o.e_rev) {
            (Some(v), Some(e)) => gi * (e - v[i]),
            _ => gi,
        };
    }
}

/// [`Stage::CurrentIntegration`]: deliver arrivals and step every bi-exponential output, each
/// partition on its own postsynaptic block.
pub fn biexponential_step(
    executor: &Executor,
    mut projections: Query<(Incoming, &BiExponentialOutput, &mut BiExponentialState)>,
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
            (&mut state.g[..], &mut state.d[..], &mut state.r[..]),
            &mut state.pending[..],
            &mut input.current[..n],
            v,
        );
        executor.for_each_block(n, arrays, |block, ((g, d, r), pending, current, v)| {
            deliver_arrivals(connectivity, weights, arrivals, scale, &block, pending);
            if step_g {
                let s = BiExponentialSlices { g, d, r, pending };
                biexponential_kernel(output, s, v, current);
            }
        });
    }
}

/// Registers the `BiExponential` synapse output, its recordable `g` and its system.
pub struct BiExponentialPlugin;

impl Plugin for BiExponentialPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<BiExponential>();
        sim.register_variables::<BiExponentialState>();
        sim.register_snapshot::<BiExponentialState>();
        sim.add_model_systems::<BiExponential, _>(Stage::CurrentIntegration, biexponential_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_arrival_follows_the_closed_form_and_peaks_at_w() {
        let (tr, td, h, w) = (0.5, 5.0, 0.1, 2.0);
        let o = BiExponentialOutput::new(tr, td, None, h);
        let mut s = BiExponentialState {
            g: vec![0.0],
            d: vec![0.0],
            r: vec![0.0],
            pending: vec![w as Real],
        };
        let t_peak = td * tr / (td - tr) * (td / tr).ln();
        let norm = 1.0 / ((-t_peak / td).exp() - (-t_peak / tr).exp());
        let mut peak = 0.0f64;
        for k in 0..300 {
            let mut current = [0.0];
            let slices = BiExponentialSlices {
                g: &mut s.g,
                d: &mut s.d,
                r: &mut s.r,
                pending: &mut s.pending,
            };
            biexponential_kernel(&o, slices, None, &mut current);
            let t = k as f64 * h;
            let want = w * norm * ((-t / td).exp() - (-t / tr).exp());
            let g = f64::from(current[0]);
            assert!((g - want).abs() < 1e-5, "step {k}: {g} vs {want}");
            peak = peak.max(g);
        }
        // Sampled on the grid the peak is at most w, within the curvature over half a step.
        assert!(peak <= w + 1e-5 && peak > w * 0.999, "{peak}");
    }

    #[test]
    fn validation_needs_rise_below_decay() {
        let e = Model::validate(&BiExponential {
            tau_rise_ms: 5.0,
            tau_decay_ms: 5.0,
            e_rev_mv: None,
        })
        .unwrap_err();
        assert!(e.to_string().contains("tau_rise_ms"), "{e}");
    }
}
