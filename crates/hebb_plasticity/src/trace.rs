//! Spike traces with exact exponential decay, updated event-driven.
//!
//! A trace `x_i` of neuron `i` decays with `α = exp(−dt/τ)` per step and reacts to the
//! neuron's spikes:
//!
//! ```text
//! cumulative:  x_i(s) = α·x_i(s−1) + A·[spike_i(s)]        (all-to-all pairing)
//! nearest:     x_i(s) = spike_i(s) ? A : α·x_i(s−1)         (nearest-spike pairing)
//! ```
//!
//! as Inferno's `trace_cumulative` / `trace_nearest` (decay first, then add; a zero initial value).
//!
//! ## Event-driven storage
//! Decaying every neuron every step costs O(neurons) per step (10⁹ multiplications for Song et al.
//! 2000 with 1000 inputs over 10⁶ steps). Instead a trace stores *scaled* values
//! `y_i = x_i · α^(e − s)` relative to an epoch step `e`, so that at step `s`
//!
//! ```text
//! x_i(s) = y_i · f(s),   f(s) = α^(s − e)
//! ```
//!
//! with `α` rounded to `Real` (so that the values are those of the recursion `x ← α·x` in that
//! precision, as Inferno's and BrainPy's float32 traces). One scalar `f` (and its inverse
//! `g = 1/f`) per trace and step replaces the per-neuron decay: a
//! spike costs O(1) (`y_i += A·g`, or `y_i = A·g`), a read costs one multiplication, and `f`, `g`
//! advance by one multiplication per step (computed with `exp` after a gap). When `g` exceeds
//! 10¹² the trace renormalises (`y_i ← y_i·f`, `e ← s`), an O(n) pass every ~27.6·τ/dt steps.
//! The values agree with step-by-step decay to float rounding (≈1e-7 relative in f32).
//!
//! [`SpikeTrace::new_exact`] decays by the exact `e^{−n·dt/τ}` (α in f64) instead: the values
//! of a continuous-time trace sampled at the steps, as NEST's synapses compute them, with a
//! relative error of a few `Real` roundings however long the decay (the rule API's traces).
//!
//! Recorders read `x` through [`SpikeTrace::view`], which the plasticity plugin fills only on the
//! steps that a recorder samples; filling it never changes the simulation.

use hebb_core::Real;
use serde::{Deserialize, Serialize};

/// How a spike acts on a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TraceMode {
    /// Decay, then add the amplitude: every earlier spike contributes (all-to-all pairing).
    #[default]
    Cumulative,
    /// Set to the amplitude on a spike: only the latest spike counts (nearest-spike pairing).
    Nearest,
}

/// Renormalise when the inverse decay factor exceeds this.
const RENORMALISE_ABOVE: f64 = 1e12;

/// One exponentially decaying spike trace per neuron of a population (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikeTrace {
    /// Scaled values `x_i / f` relative to `epoch`.
    scaled: Vec<Real>,
    /// `x` at the step of the last [`SpikeTrace::refresh_view`] (for recorders).
    view: Vec<Real>,
    amplitude: Real,
    mode: TraceMode,
    ln_alpha: f64,
    alpha: f64,
    epoch: u64,
    /// The step that `f` and `g` belong to.
    at: u64,
    /// `α^(at − epoch)`.
    f: f64,
    /// `1 / f`.
    g: f64,
    /// `f` rounded to `Real` (the read factor).
    f_real: Real,
    /// `A · g` rounded to `Real` (the scaled jump).
    jump_real: Real,
}

impl SpikeTrace {
    /// A zero trace for `n` neurons with time constant `tau_ms`, amplitude `amplitude` and
    /// `mode`, at step 0.
    pub fn new(n: usize, tau_ms: f64, dt_ms: f64, amplitude: Real, mode: TraceMode) -> Self {
        // The per-step factor is α rounded to `Real`, and the trace decays by exactly its powers:
        // the values are those of the step-by-step recursion `x ← α·x` in `Real` (up to the
        // rounding of each step), as every step-based simulator computes them in that precision.
        let alpha = f64::from((-dt_ms / tau_ms).exp() as Real);
        Self::with_alpha(n, alpha, amplitude, mode)
    }

    /// As [`SpikeTrace::new`], decaying by the exact `e^{−n·dt/τ}` (α in f64, not rounded to
    /// `Real`): a continuous-time trace sampled at the steps, as NEST computes it.
    pub fn new_exact(n: usize, tau_ms: f64, dt_ms: f64, amplitude: Real, mode: TraceMode) -> Self {
        Self::with_alpha(n, (-dt_ms / tau_ms).exp(), amplitude, mode)
    }

    fn with_alpha(n: usize, alpha: f64, amplitude: Real, mode: TraceMode) -> Self {
        let ln_alpha = alpha.ln();
        Self {
            scaled: vec![0.0; n],
            view: vec![0.0; n],
            amplitude,
            mode,
            ln_alpha,
            alpha,
            epoch: 0,
            at: 0,
            f: 1.0,
            g: 1.0,
            f_real: 1.0,
            jump_real: amplitude,
        }
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.scaled.len()
    }

    /// True for an empty population.
    pub fn is_empty(&self) -> bool {
        self.scaled.is_empty()
    }

    /// The jump amplitude `A`.
    pub fn amplitude(&self) -> Real {
        self.amplitude
    }

    /// The per-step decay factor `α = exp(−dt/τ)`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The step the trace is positioned at.
    pub fn step(&self) -> u64 {
        self.at
    }

    /// Position the trace at `step` (the next reads and spikes happen at that step). Moving by
    /// one step costs two multiplications; a gap costs two `exp`. Steps before the epoch are
    /// clamped to it (a trace never runs backwards past a renormalisation).
    #[inline]
    pub fn seek(&mut self, step: u64) {
        let step = step.max(self.epoch);
        if step == self.at {
            return;
        }
        if step == self.at + 1 {
            self.f *= self.alpha;
            self.g /= self.alpha;
        } else {
            let n = (step - self.epoch) as f64;
            self.f = (n * self.ln_alpha).exp();
            self.g = (-n * self.ln_alpha).exp();
        }
        self.at = step;
        if self.g > RENORMALISE_ABOVE {
            let f = self.f as Real;
            for y in &mut self.scaled {
                *y *= f;
            }
            self.epoch = step;
            self.f = 1.0;
            self.g = 1.0;
        }
        self.f_real = self.f as Real;
        self.jump_real = (f64::from(self.amplitude) * self.g) as Real;
    }

    /// Neuron `i` spikes at the current step.
    #[inline]
    pub fn spike(&mut self, i: usize) {
        match self.mode {
            TraceMode::Cumulative => self.scaled[i] += self.jump_real,
            TraceMode::Nearest => self.scaled[i] = self.jump_real,
        }
    }

    /// Every neuron in `indices` spikes at the current step.
    #[inline]
    pub fn spike_all(&mut self, indices: &[u32]) {
        for &i in indices {
            self.spike(i as usize);
        }
    }

    /// The stored (scaled) values: neuron `i`'s trace is `scaled()[i] · scale()`.
    #[inline]
    pub fn scaled(&self) -> &[Real] {
        &self.scaled
    }

    /// The factor that turns the stored values into the trace at the current step.
    #[inline]
    pub fn scale(&self) -> Real {
        self.f_real
    }

    /// `x_i` at the current step.
    #[inline]
    pub fn value(&self, i: usize) -> Real {
        self.scaled[i] * self.f_real
    }

    /// Fill [`SpikeTrace::view`] with the values at the current step.
    pub fn refresh_view(&mut self) {
        self.refresh_view_at(self.at);
    }

    /// Fill [`SpikeTrace::view`] with the values at `step` (≥ the current step) without moving
    /// the trace, so that reading never changes later results.
    pub fn refresh_view_at(&mut self, step: u64) {
        let f = if step == self.at {
            self.f_real
        } else {
            ((step.max(self.epoch) - self.epoch) as f64 * self.ln_alpha).exp() as Real
        };
        for (v, &y) in self.view.iter_mut().zip(&self.scaled) {
            *v = y * f;
        }
    }

    /// The values at the step of the last [`SpikeTrace::refresh_view`].
    pub fn view(&self) -> &[Real] {
        &self.view
    }

    /// The values at the current step, as a new vector.
    pub fn values(&self) -> Vec<Real> {
        (0..self.len()).map(|i| self.value(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Step-by-step reference in f64, as Inferno's `trace_cumulative` / `trace_nearest`.
    fn reference(
        spikes: &[Vec<usize>],
        n: usize,
        alpha: f64,
        a: f64,
        mode: TraceMode,
    ) -> Vec<Vec<f64>> {
        let mut x = vec![0.0; n];
        let mut out = Vec::new();
        for s in spikes {
            for v in &mut x {
                *v *= alpha;
            }
            for &i in s {
                match mode {
                    TraceMode::Cumulative => x[i] += a,
                    TraceMode::Nearest => x[i] = a,
                }
            }
            out.push(x.clone());
        }
        out
    }

    fn pattern(steps: usize) -> Vec<Vec<usize>> {
        (0..steps)
            .map(|s| match s % 7 {
                0 => vec![0],
                3 => vec![0, 2],
                _ if s % 11 == 5 => vec![1],
                _ => vec![],
            })
            .collect()
    }

    #[test]
    fn matches_step_by_step_decay_in_both_modes() {
        for mode in [TraceMode::Cumulative, TraceMode::Nearest] {
            let spikes = pattern(400);
            let (tau, dt, a): (f64, f64, f64) = (20.0, 1.0, 0.2);
            let alpha = f64::from((-dt / tau).exp() as Real);
            let expected = reference(&spikes, 3, alpha, a, mode);
            let mut t = SpikeTrace::new(3, tau, dt, a as Real, mode);
            for (s, sp) in spikes.iter().enumerate() {
                t.seek(s as u64);
                for &i in sp {
                    t.spike(i);
                }
                for (i, &e) in expected[s].iter().enumerate() {
                    let got = f64::from(t.value(i));
                    assert!(
                        (got - e).abs() <= 1e-6 * e.abs().max(1e-3),
                        "{mode:?} step {s} neuron {i}: {got} vs {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn gaps_and_renormalisation_keep_exact_decay() {
        // τ = 1 ms, dt = 0.5 ms: g exceeds 1e12 after 56 steps, so a long run renormalises often.
        let mut t = SpikeTrace::new(2, 1.0, 0.5, 1.0, TraceMode::Cumulative);
        let alpha = f64::from((-0.5f64).exp() as Real);
        let mut x = [0.0f64; 2];
        let mut last = 0u64;
        for s in (0..5000u64).step_by(3) {
            // Visit only every third step: exercises the exp path.
            for v in &mut x {
                *v *= alpha.powi((s - last) as i32);
            }
            last = s;
            t.seek(s);
            if s % 9 == 0 {
                t.spike(0);
                x[0] += 1.0;
            }
            if s % 15 == 0 {
                t.spike(1);
                x[1] += 1.0;
            }
            for (i, &e) in x.iter().enumerate() {
                let got = f64::from(t.value(i));
                assert!(
                    (got - e).abs() <= 1e-6 * e.max(1e-6),
                    "step {s}: {got} vs {e}"
                );
            }
        }
        // After a very long silence the trace is zero, not NaN or infinite.
        t.seek(10_000_000);
        assert_eq!(t.value(0), 0.0);
        t.spike(1);
        assert!((t.value(1) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn view_is_filled_on_demand_only() {
        let mut t = SpikeTrace::new(2, 10.0, 1.0, 1.0, TraceMode::Cumulative);
        t.spike(1);
        assert_eq!(t.view(), &[0.0, 0.0]);
        t.seek(10);
        t.refresh_view();
        let e = (-1.0f64).exp() as Real;
        assert!((t.view()[1] - e).abs() < 1e-6 && t.view()[0] == 0.0);
        assert_eq!(t.values(), t.view().to_vec());
    }
}
